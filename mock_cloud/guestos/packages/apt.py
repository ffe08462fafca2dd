"""apt and apt-get (Ubuntu): the transcripts a learner sees in cloud-init's log, and installing.

One module per package manager because each has its own wording, prompts and failures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_cloud.guestos.packages.catalogue import CATALOGUE, lookup
from mock_cloud.guestos.packages.transaction import (
    DPKG_DATABASE,
    WRITE_ACTIONS,
    PmRequest,
    PmResult,
    install_all,
    new_deps,
    plan_install,
    remove_files,
    size_k,
    transcript_text,
)

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS


def run_apt(os: InstanceOS, req: PmRequest, root: bool, interactive: bool) -> PmResult:
    warn = "" if interactive or req.tool == "apt-get" else (
        "\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n"
    )
    done = " Done" if interactive else ""
    reading = [f"Reading package lists...{done}", f"Building dependency tree...{done}",
               f"Reading state information...{done}"]
    action = req.action
    if action == "list":
        lines = ["Listing...", *(f"{p.name}/noble,now {p.version} {p.arch} [installed]"
                                 for p in sorted(CATALOGUE["ubuntu"].values(), key=lambda p: p.name)
                                 if p.name in os.packages)]
        return PmResult(out=transcript_text(lines), notice=warn)
    if action not in WRITE_ACTIONS:
        return PmResult(notice=warn, err=f"E: Invalid operation {action}\n", status=100)
    if not root:
        if action == "update":
            return PmResult(out=reading[0] + "\n", notice=warn, status=100,
                            err="E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission "
                                "denied)\nE: Unable to lock directory /var/lib/apt/lists/\n")
        return PmResult(notice=warn, status=100,
                        err="E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission "
                            "denied)\nE: Unable to acquire the dpkg frontend lock "
                            "(/var/lib/dpkg/lock-frontend), are you root?\n")
    if action == "update":
        mirror = f"http://{os.metadata.get('placement/region', 'us-east-1')}.ec2.archive.ubuntu.com/ubuntu"
        lines = [f"Hit:1 {mirror} noble InRelease", f"Get:2 {mirror} noble-updates InRelease [126 kB]",
                 f"Get:3 {mirror} noble-backports InRelease [126 kB]",
                 "Get:4 http://security.ubuntu.com/ubuntu noble-security InRelease [126 kB]",
                 "Fetched 378 kB in 1s (412 kB/s)", reading[0]]
        if req.tool == "apt":
            lines += [*reading[1:], "All packages are up to date."]
        return PmResult(out=transcript_text(lines), notice=warn)
    if action in ("upgrade", "dist-upgrade", "full-upgrade", "autoremove", "clean"):
        tail = [] if action == "clean" else ["0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."]
        return PmResult(out=transcript_text(([] if action == "clean" else reading) + tail), notice=warn)
    if action in ("remove", "purge"):
        return _apt_remove(os, req, reading, warn)
    new, present, missing = plan_install(os, req.names)
    if missing:
        return PmResult(out=transcript_text(reading), notice=warn, err=f"E: Unable to locate package {missing[0]}\n",
                        status=100)
    out = reading + [f"{p.name} is already the newest version ({p.version})." for p in present]
    if not new:
        out.append("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
        return PmResult(out=transcript_text(out), notice=warn)
    deps = new_deps(os, new)
    every = deps + [(p.name, p.version, p.arch) for p in new]
    total_k = sum(size_k(n) for n, _v, _a in every)
    if deps:
        out += ["The following additional packages will be installed:",
                "  " + " ".join(n for n, _v, _a in deps)]
    out += ["The following NEW packages will be installed:",
            "  " + " ".join(sorted(n for n, _v, _a in every)),
            f"0 upgraded, {len(every)} newly installed, 0 to remove and 0 not upgraded.",
            f"Need to get {total_k} kB of archives.",
            f"After this operation, {total_k * 3} kB of additional disk space will be used."]
    if not req.yes:
        return PmResult(out=transcript_text(out) + "Do you want to continue? [Y/n] Abort.\n", notice=warn, status=1)
    mirror = f"http://{os.metadata.get('placement/region', 'us-east-1')}.ec2.archive.ubuntu.com/ubuntu"
    out += [f"Get:{i} {mirror} noble/main {a} {n} {a} {v} [{size_k(n)} kB]"
            for i, (n, v, a) in enumerate(every, 1)]
    out.append(f"Fetched {total_k} kB in 0s ({total_k * 12} kB/s)")
    for i, (n, v, a) in enumerate(every):
        out += [f"Selecting previously unselected package {n}.",
                *([DPKG_DATABASE] if i == 0 else []),
                f"Preparing to unpack .../{i}-{n}_{v.split(':')[-1]}_{a}.deb ...", f"Unpacking {n} ({v}) ..."]
    notes = install_all(os, new)
    out += [f"Setting up {n} ({v}) ..." for n, v, _a in every] + notes
    out += ["Processing triggers for man-db (2.12.0-4build2) ...",
            "Processing triggers for ufw (0.36.2-6) ..."]
    return PmResult(out=transcript_text(out), notice=warn)


def _apt_remove(os: InstanceOS, req: PmRequest, reading: list[str], warn: str) -> PmResult:
    _new, present, missing = plan_install(os, req.names)
    unknown = [name for name in missing if lookup(os.distro, name) is None]
    if unknown:
        return PmResult(out=transcript_text(reading), notice=warn, status=100,
                        err=f"E: Unable to locate package {unknown[0]}\n")
    out = reading + [f"Package '{name}' is not installed, so not removed" for name in missing]
    out.append(f"0 upgraded, 0 newly installed, {len(present)} to remove and 0 not upgraded.")
    if present and not req.yes:
        return PmResult(out=transcript_text(out) + "Do you want to continue? [Y/n] Abort.\n", notice=warn, status=1)
    out += [f"Removing {p.name} ({p.version}) ..." for p in present]
    for pkg in present:
        remove_files(os, pkg)
    return PmResult(out=transcript_text(out), notice=warn)
