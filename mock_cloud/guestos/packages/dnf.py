"""dnf (Amazon Linux 2023) and rpm: transcripts and installing.

One module per package manager because each has its own wording, prompts and failures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_cloud.guestos.packages.catalogue import CATALOGUE, PROTECTED, lookup, nevra
from mock_cloud.guestos.packages.transaction import (
    NOT_ROOT_DNF,
    PmRequest,
    PmResult,
    fmt_size,
    install_all,
    mkdirs,
    new_deps,
    package_table,
    plan_install,
    progress_lines,
    remove_files,
    size_k,
    transcript_text,
)

if TYPE_CHECKING:
    from datetime import datetime

    from mock_cloud.guestos.instance_os import InstanceOS


def _dnf_metadata(os: InstanceOS, now: datetime) -> list[str]:
    marker = "/var/cache/dnf/amazonlinux.solv"
    if os.fs.exists(marker):
        return [f"Last metadata expiration check: 0:00:02 ago on {now:%a %b %d %H:%M:%S %Y}."]
    mkdirs(os, "/var/cache/dnf")
    os.fs.write_text(marker, "")
    return [
        "Amazon Linux 2023 repository                     44 MB/s |  30 MB     00:00",
        "Amazon Linux 2023 Kernel Livepatch repository    62 kB/s |  16 kB     00:00",
    ]


def run_dnf(os: InstanceOS, req: PmRequest, root: bool) -> PmResult:
    action = {"erase": "remove", "update": "upgrade"}.get(req.action, req.action)
    if action not in ("install", "reinstall", "remove", "upgrade", "makecache", "clean", "list",
                      "autoremove"):
        if not action:
            return PmResult(err=f"usage: {req.tool} [options] COMMAND\nError: No command given.\n", status=1)
        return PmResult(err=f"No such command: {action}. Please use /usr/bin/{req.tool} --help\n", status=1)
    if action == "list":
        return PmResult(out=rpm_list(os, "Installed Packages"))
    if not root:
        return PmResult(err=NOT_ROOT_DNF, status=1)
    out = _dnf_metadata(os, req.now)
    if action == "makecache":
        return PmResult(out=transcript_text([*out, "Metadata cache created."]))
    if action == "clean":
        return PmResult(out="17 files removed\n")
    if action == "remove":
        return _dnf_remove(os, req, out)
    if action in ("upgrade", "autoremove"):
        return PmResult(out=transcript_text([*out, "Dependencies resolved.", "Nothing to do.", "Complete!"]))
    new, present, missing = plan_install(os, req.names)
    out += [f"Package {nevra(p.name, p.version, p.arch)} is already installed." for p in present]
    if missing:
        out += [f"No match for argument: {name}" for name in missing]
        error = f"Error: Unable to find a match: {' '.join(missing)}\n"
        return PmResult(out=transcript_text(out), err=error, status=1)
    if not req.names:
        return PmResult(out=transcript_text(out), err="Error: Need to pass a list of pkgs to install\n", status=1)
    out.append("Dependencies resolved.")
    if not new:
        return PmResult(out=transcript_text([*out, "Nothing to do.", "Complete!"]))
    deps = new_deps(os, new)
    rows = [(p.name, p.version, p.arch) for p in new]
    out += package_table([("Installing:", rows), ("Installing dependencies:", deps)], "amazonlinux")
    count = len(rows) + len(deps)
    total_k = sum(size_k(n) for n, _v, _a in rows + deps)
    out += ["", "Transaction Summary", "=" * 80, f"Install  {count} Package{'s' if count > 1 else ''}", "",
            f"Total download size: {fmt_size(total_k)}", f"Installed size: {fmt_size(total_k * 3)}"]
    if not req.yes:
        return PmResult(out=transcript_text(out) + "Is this ok [y/N]: Operation aborted.\n", status=1)
    items = [nevra(*d) for d in deps] + [nevra(*r) for r in rows]
    out += ["Downloading Packages:", "-" * 80,
            f"Total                                            21 MB/s | {fmt_size(total_k)}B     00:00",
            "Running transaction check", "Transaction check succeeded.", "Running transaction test",
            "Transaction test succeeded.", "Running transaction",
            f"  {'Preparing':<17}:{'':<53}1/1"]
    out += progress_lines("Installing", items, 17) + progress_lines("Verifying", items, 17)
    out += ["", "Installed:"] + [f"  {item}" for item in items] + ["", "Complete!"]
    install_all(os, new)
    return PmResult(out=transcript_text(out))


def _dnf_remove(os: InstanceOS, req: PmRequest, out: list[str]) -> PmResult:
    protected = [n for n in req.names if n in PROTECTED]
    if protected:
        return PmResult(err="Error: \n Problem: The operation would result in removing the following "
                            f"protected packages: {', '.join(protected)}\n", status=1)
    _new, present, missing = plan_install(os, req.names)
    out += [f"No match for argument: {name}" for name in missing]
    if not present:
        out += ["No packages marked for removal.", "Dependencies resolved.", "Nothing to do.", "Complete!"]
        return PmResult(out=transcript_text(out))
    rows = [(p.name, p.version, p.arch) for p in present]
    out += ["Dependencies resolved.", *package_table([("Removing:", rows)], "@amazonlinux")]
    plural = "s" if len(rows) > 1 else ""
    out += ["", "Transaction Summary", "=" * 80, f"Remove  {len(rows)} Package{plural}", ""]
    if not req.yes:
        return PmResult(out=transcript_text(out) + "Is this ok [y/N]: Operation aborted.\n", status=1)
    items = [nevra(*r) for r in rows]
    out += ["Running transaction", *progress_lines("Erasing", items, 17)]
    out += ["", "Removed:"] + [f"  {item}" for item in items] + ["", "Complete!"]
    for pkg in present:
        remove_files(os, pkg)
    return PmResult(out=transcript_text(out))


def rpm_list(os: InstanceOS, title: str) -> str:
    lines = [title]
    for pkg in sorted(CATALOGUE[os.distro].values(), key=lambda p: p.name):
        if pkg.name in os.packages:
            repo = "@amzn2-core" if os.distro == "al2" else "@amazonlinux"
            lines.append(f"{pkg.name + '.' + pkg.arch:<40}{pkg.version:<28}{repo}")
    return transcript_text(lines)


def run_rpm(os: InstanceOS, args: list[str]) -> PmResult:
    if "-qa" in args:
        out = [nevra(p.name, p.version, p.arch) for p in CATALOGUE[os.distro].values()
               if p.name in os.packages]
        return PmResult(out="".join(line + "\n" for line in sorted(out)))
    if args[:1] == ["-q"] and len(args) > 1:
        err: list[str] = []
        out, status = [], 0
        for name in args[1:]:
            pkg = lookup(os.distro, name)
            if pkg is not None and pkg.name in os.packages:
                out.append(nevra(pkg.name, pkg.version, pkg.arch))
            else:
                out.append(f"package {name} is not installed")
                status = 1
        return PmResult(out="".join(line + "\n" for line in out), err="".join(err), status=status)
    return PmResult(err="lblab: only 'rpm -q NAME' and 'rpm -qa' are emulated\n", status=1)


# yum (Amazon Linux 2) and amazon-linux-extras ----------------------------------------------------------
