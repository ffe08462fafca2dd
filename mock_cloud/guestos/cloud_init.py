"""cloud-init on first boot: user data (`#!` scripts and `#cloud-config`), logged the way cloud-init does.

Only write_files, package_update/upgrade, packages and runcmd are emulated; other kinds of user
data are reported in /var/log/cloud-init-output.log, never silently dropped.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from mock_cloud.guestos.packages.managers import run_package_manager
from mock_cloud.guestos.shell.interpreter import Interp, run_guarded
from mock_cloud.guestos.shell.lookup import SHEBANG_SHELLS
from mock_cloud.guestos.shell.quoting import trace_quote
from mock_cloud.guestos.shell.streams import IO, Input, Terminal
from mock_cloud.guestos.vfs import VfsError, normalize

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS

USER_DATA_LIMIT = 16 * 1024  # what EC2 accepts (before base64)
SCRIPT_PATH = "/var/lib/cloud/instance/scripts/part-001"


_UNEMULATED_KINDS = (("#include", "#include"), ("#cloud-boothook", "#cloud-boothook"),
                     ("#part-handler", "#part-handler"), ("#upstart-job", "#upstart-job"),
                     ("content-type: multipart", "MIME multi-part"), ("<powershell>", "Windows PowerShell"))
_CLOUD_CONFIG_KEYS = ("write_files", "package_update", "package_upgrade", "packages", "runcmd")
_PACKAGE_TOOL = {"al2023": "dnf", "al2": "yum", "ubuntu": "apt-get"}


class _CloudLog:
    """What cloud-init writes to /var/log/cloud-init-output.log: stage banners, warnings, script output."""

    def __init__(self, os: InstanceOS) -> None:
        self.os = os
        self.chunks: list[str] = []

    def stage(self, name: str, uptime: float) -> None:
        self.line(f"Cloud-init v. {self.os.spec.cloud_init} running '{name}' at {self._stamp()}. "
                  f"Up {uptime:.2f} seconds.")

    def finished(self, uptime: float) -> None:
        self.line(f"Cloud-init v. {self.os.spec.cloud_init} finished at {self._stamp()}. "
                  f"Datasource DataSourceEc2Local.  Up {uptime:.2f} seconds")

    def warn(self, module: str, message: str) -> None:
        now = self.os.now()
        self.line(f"{now:%Y-%m-%d %H:%M:%S},{now.microsecond // 1000:03d} - {module}[WARNING]: {message}")

    def note(self, message: str) -> None:
        self.line(f"lblab: {message}")

    def line(self, text: str) -> None:
        self.output(text + "\n")

    def output(self, text: str) -> None:
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.chunks.append("\n")
        self.chunks.append(text)

    def text(self) -> str:
        return "".join(self.chunks)

    def _stamp(self) -> str:
        return self.os.now().strftime("%a, %d %b %Y %H:%M:%S +0000")


def _classify(text: str) -> str:
    stripped = text.lstrip()
    if not stripped:
        return "empty"
    if stripped.startswith("#!"):
        return "script"
    head = stripped[:64].lower()
    if head.startswith("#cloud-config"):
        return "cloud-config"
    return next((kind for prefix, kind in _UNEMULATED_KINDS if head.startswith(prefix)), "unhandled")


def _excerpt(text: str) -> str:
    """How cloud-init quotes unhandled user data: the first line (24 characters at most), escaped."""
    start = text.split("\n", 1)[0][:24]
    return f"'{start.encode('unicode_escape')!s}...'"


def _save(os: InstanceOS, path: str, text: str, mode: int) -> None:
    try:
        os.fs.mkdir(posixpath.dirname(path), parents=True)
        os.fs.write_text(path, text)
        os.fs.chmod(path, mode)
    except VfsError:
        pass  # a disk the script filled or wiped keeps no copy, as on a real host


def _append_log(os: InstanceOS, path: str, text: str) -> None:
    try:
        os.fs.mkdir(posixpath.dirname(path), parents=True)
        os.fs.write_text(path, text, append=True)
    except VfsError:
        pass


def _script_failed(os: InstanceOS, log: _CloudLog, path: str, code: str) -> None:
    runner = "util.py" if os.distro == "al2" else "subp.py"
    log.warn(runner, f"Failed running {path} [{code}]")
    log.warn("cc_scripts_user.py",
             "Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)")
    log.warn("util.py", f"Running module scripts-user (<module 'cloudinit.config.cc_scripts_user' from "
                        f"'{os.spec.cloud_init_module}'>) failed")


def _run_script_part(os: InstanceOS, text: str, log: _CloudLog, path: str = SCRIPT_PATH) -> None:
    _save(os, path, text, 0o700)
    first = text.split("\n", 1)[0]
    if not text.startswith("#!"):
        _script_failed(os, log, path, "-")
        log.note("the script must start with #! on its very first line, with nothing before it (not even "
                 "a blank line or a space); the kernel refused to run it ('Exec format error')")
        return
    if first.endswith("\r"):
        _script_failed(os, log, path, "-")
        log.note(f"the script has Windows (CRLF) line endings, so the kernel looked for the interpreter "
                 f"'{first[2:].strip()}\\r', which does not exist; save it with LF line endings")
        return
    shell = SHEBANG_SHELLS.match(first)
    if shell is None:
        log.note(f"'{first}' scripts are not emulated (only sh and bash); nothing ran")
        return
    interp = Interp(os, "root", interactive=False, script_name=path, cwd="/")
    options = "".join(arg[1:] for arg in shell.group(1).split() if arg.startswith("-"))
    interp.errexit, interp.xtrace = "e" in options, "x" in options
    term = Terminal()
    status = run_guarded(interp, text, IO(Input(""), term, term))
    log.output(term.text())
    if status:
        _script_failed(os, log, path, str(status))


def _cloud_config(text: str, log: _CloudLog) -> dict[str, Any]:
    import yaml  # here: a YAML parser is a sixth of a guest's start, and only #cloud-config user data needs one

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        log.warn("util.py", f"Failed loading yaml blob. {str(error).splitlines()[0]}")
        return {}
    if not isinstance(data, dict):
        log.warn("util.py", "Failed loading yaml blob. Yaml load allows (<class 'dict'>,) root types, but "
                            f"got {type(data).__name__} instead")
        return {}
    for key in data:
        if key not in _CLOUD_CONFIG_KEYS:
            log.note(f"cloud-config key '{key}' is not emulated; skipped")
    return data


def _cloud_config_stage(os: InstanceOS, data: dict[str, Any], log: _CloudLog) -> None:
    """modules:config: write_files, then package_update/package_upgrade/packages."""
    for entry in data.get("write_files") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            log.note("a write_files entry without a path was skipped")
            continue
        content = entry.get("content", "")
        mode = entry.get("permissions", "0644")
        try:
            path = normalize(entry["path"])
            os.fs.mkdir(posixpath.dirname(path), parents=True)
            os.fs.write_text(path, content if isinstance(content, str) else str(content),
                             append=bool(entry.get("append")))
            os.fs.chmod(path, int(str(mode), 8))
        except (VfsError, ValueError) as error:
            log.warn("cc_write_files.py", f"Failed to write {entry['path']}: {error}")
    tool = _PACKAGE_TOOL[os.distro]
    names = [p for p in data.get("packages") or [] if isinstance(p, str)]
    refresh = ["update" if os.distro == "ubuntu" else "makecache"]
    steps = [refresh] if data.get("package_update") or names else []
    steps += [["upgrade", "-y"]] if data.get("package_upgrade") else []
    steps += [["install", "-y", *names]] if names else []
    for args in steps:
        result = run_package_manager(os, tool, args, root=True, interactive=False)
        log.output(result.out + result.err)
        if result.status:
            log.warn("cc_package_update_upgrade_install.py", "Failed to install packages: " + " ".join(names))


def _cloud_config_final(os: InstanceOS, data: dict[str, Any], log: _CloudLog) -> None:
    """modules:final: runcmd, written as a shell script and run like user-data scripts."""
    lines = []
    for item in data.get("runcmd") or []:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, list) and all(isinstance(arg, str) for arg in item):
            lines.append(" ".join(trace_quote(arg) for arg in item))
        else:
            log.note("a runcmd entry that is neither a string nor a list of strings was skipped")
    if lines:
        script = "#!/bin/sh\n" + "\n".join(lines) + "\n"
        _run_script_part(os, script, log, "/var/lib/cloud/instance/scripts/runcmd")


def run_user_data(os: InstanceOS, user_data: str | bytes) -> str:
    """cloud-init on first boot: run the user data once and log it the way cloud-init does.

    Returns the text appended to /var/log/cloud-init-output.log (the caller also shows it in
    the console output). A script runs only if it starts with `#!`; `#cloud-config` handles
    write_files, packages and runcmd.
    """
    if os.user_data_ran:
        return ""
    os.user_data_ran = True
    raw = user_data.encode("utf-8") if isinstance(user_data, str) else bytes(user_data)
    text = raw.decode("utf-8", errors="replace")
    kind = _classify(text) if len(raw) <= USER_DATA_LIMIT else "too-large"
    log = _CloudLog(os)
    log.stage("init", 8.02)
    if kind not in ("empty", "too-large"):
        _save(os, "/var/lib/cloud/instance/user-data.txt", text, 0o600)
    if kind == "unhandled":
        log.warn("__init__.py", f"Unhandled non-multipart (text/x-not-multipart) userdata: {_excerpt(text)}")
        log.note("the user data does not start with '#!' (for example #!/bin/bash) or '#cloud-config', so "
                 "cloud-init did not run it")
    config = _cloud_config(text, log) if kind == "cloud-config" else {}
    log.stage("modules:config", 10.31)
    _cloud_config_stage(os, config, log)
    log.stage("modules:final", 12.85)
    if kind == "script":
        _run_script_part(os, text, log)
    elif kind == "cloud-config":
        _cloud_config_final(os, config, log)
    elif kind == "too-large":
        log.note(f"the user data is {len(raw)} bytes; EC2 accepts at most {USER_DATA_LIMIT} bytes, "
                 "so it did not run")
    elif kind not in ("empty", "unhandled"):
        log.note(f"{kind} user data is not emulated; nothing ran")
    log.finished(27.64)
    output = log.text()
    _append_log(os, "/var/log/cloud-init-output.log", output)
    return output
