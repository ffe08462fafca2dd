"""Installing and removing packages in the instance's VirtualFS, and the transcript pieces
(tables, progress, sizes) the package managers share.
"""

from __future__ import annotations

import posixpath
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_cloud.guestos.packages.catalogue import SBIN_COMMANDS, Dep, Package, lookup
from mock_cloud.guestos.packages.web_configs import unit_text

if TYPE_CHECKING:
    from datetime import datetime

    from mock_cloud.guestos.instance_os import InstanceOS


def topic_enabled(os: InstanceOS, topic: str) -> bool:
    repo = "/etc/yum.repos.d/amzn2-extras.repo"
    return os.distro != "al2" or (os.fs.is_file(repo) and f"[amzn2extra-{topic}]" in os.fs.read_text(repo))


def size_k(name: str) -> int:
    """A stable, plausible package size in kB (real sizes would add nothing for a learner)."""
    return 12 + zlib.crc32(name.encode()) % 1400


def transcript_text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def fmt_size(kb: int) -> str:
    return f"{kb / 1024:.1f} M" if kb >= 1024 else f"{kb} k"


# -- installing into the instance ------------------------------------------------------------------


def mkdirs(os: InstanceOS, path: str, mode: int = 0o755) -> None:
    if not os.fs.exists(path):
        mkdirs(os, posixpath.dirname(path))
        os.fs.mkdir(path, mode=mode)


def lay_out(os: InstanceOS, pkg: Package) -> None:
    """Write the package's files, unit and system user; record it (and its dependencies)."""
    for path, mode in pkg.dirs:
        mkdirs(os, path, mode)
        os.fs.chmod(path, mode)
    for path, text in pkg.files:
        mkdirs(os, posixpath.dirname(path))
        os.fs.write_text(path, text)
    for command in pkg.commands:
        bin_dir = "/usr/sbin" if command in SBIN_COMMANDS else "/usr/bin"
        mkdirs(os, bin_dir)
        os.fs.write_text(f"{bin_dir}/{command}", "")
        os.fs.chmod(f"{bin_dir}/{command}", 0o755)
    if pkg.service:
        unit = unit_text(pkg.description, pkg.exec_start)
        os.fs.write_text(f"/usr/lib/systemd/system/{pkg.service}.service", unit)
        os.register_service(pkg.service)
    if pkg.passwd and pkg.passwd.split(":")[0] not in os.passwd():
        os.fs.write_text("/etc/passwd", pkg.passwd + "\n", append=True)
    os.packages.add(pkg.name)
    os.packages.update(dep[0] for dep in pkg.deps)


def remove_files(os: InstanceOS, pkg: Package) -> None:
    if pkg.service:
        os.stop_service(pkg.service)
        os.services.pop(pkg.service, None)
        unit = f"/usr/lib/systemd/system/{pkg.service}.service"
        if os.fs.exists(unit):
            os.fs.remove(unit)
    for path, _content in pkg.files:
        if os.fs.is_file(path):
            os.fs.remove(path)
    os.packages.discard(pkg.name)


@dataclass
class PmResult:
    out: str = ""
    err: str = ""
    status: int = 0
    notice: str = ""  # stderr printed before the output (apt's "unstable CLI" warning)


@dataclass
class PmRequest:
    tool: str
    action: str
    names: list[str]
    yes: bool
    now: datetime


VALUE_OPTIONS = {"-o", "-c", "-t", "-e", "-d", "-x", "--exclude", "--releasever", "--installroot"}
WRITE_ACTIONS = {"install", "reinstall", "remove", "erase", "purge", "update", "upgrade", "dist-upgrade",
                  "full-upgrade", "autoremove", "makecache", "clean"}
DPKG_DATABASE = "(Reading database ... 70641 files and directories currently installed.)"
AL2_PLUGINS = "Loaded plugins: extras_suggestions, langpacks, priorities, update-motd\n"
NOT_ROOT_DNF = ("Error: This command has to be run with superuser privileges "
                 "(under the root user on most systems).\n")


def package_table(title_rows: list[tuple[str, list[Dep]]], repo: str) -> list[str]:
    header = f" {'Package':<26} {'Arch':<8} {'Version':<27} {'Repository':<12} {'Size':>5}"
    lines = ["=" * 80, header, "=" * 80]
    for title, rows in title_rows:
        if rows:
            lines.append(title)
            lines += [f" {n:<26} {a:<8} {v:<27} {repo:<12} {fmt_size(size_k(n)):>5}" for n, v, a in rows]
    return lines


def progress_lines(verb: str, items: list[str], width: int) -> list[str]:
    total = len(items)
    return [f"  {verb:<{width}}: {item:<52} {i}/{total}" for i, item in enumerate(items, 1)]


def plan_install(os: InstanceOS, names: list[str]) -> tuple[list[Package], list[Package], list[str]]:
    """Split requested names into (to install, already installed, unknown)."""
    new: list[Package] = []
    present: list[Package] = []
    missing: list[str] = []
    for name in names:
        pkg = lookup(os.distro, name)
        if pkg is None or (pkg.extras_topic and not topic_enabled(os, pkg.extras_topic)):
            missing.append(name)
        elif pkg.name in os.packages:
            present.append(pkg)
        elif pkg not in new:
            new.append(pkg)
    return new, present, missing


def new_deps(os: InstanceOS, pkgs: list[Package]) -> list[Dep]:
    seen = {p.name for p in pkgs} | os.packages
    deps: list[Dep] = []
    for pkg in pkgs:
        for dep in pkg.deps:
            if dep[0] not in seen:
                seen.add(dep[0])
                deps.append(dep)
    return deps


def install_all(os: InstanceOS, pkgs: list[Package]) -> list[str]:
    """Lay the packages out; on Ubuntu their services start at once (Debian policy). Returns notes."""
    notes: list[str] = []
    for pkg in pkgs:
        lay_out(os, pkg)
        if os.distro == "ubuntu" and pkg.service:
            os.enable_service(pkg.service)
            notes.append(
                f"Created symlink /etc/systemd/system/multi-user.target.wants/{pkg.service}.service → "
                f"/usr/lib/systemd/system/{pkg.service}.service."
            )
            if os.start_service(pkg.service) == "failed":
                notes += [
                    f"Job for {pkg.service}.service failed because the control process exited with "
                    "error code.",
                    f'See "systemctl status {pkg.service}.service" and '
                    f'"journalctl -xeu {pkg.service}.service" for details.',
                    f'invoke-rc.d: initscript {pkg.service}, action "start" failed.',
                ]
    return notes


# dnf (Amazon Linux 2023) ------------------------------------------------------------------------
