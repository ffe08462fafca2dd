"""yum and amazon-linux-extras (Amazon Linux 2): transcripts and installing.

One module per package manager because each has its own wording, prompts and failures
(`nginx` needs `amazon-linux-extras enable nginx1` first, as on AL2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_cloud.guestos.packages.catalogue import EXTRAS_TOPICS, lookup, nevra
from mock_cloud.guestos.packages.dnf import rpm_list
from mock_cloud.guestos.packages.transaction import (
    AL2_PLUGINS,
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
    topic_enabled,
    transcript_text,
)

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS


def _yum_evr(version: str) -> str:
    return version if ":" in version else f"0:{version}"


def run_yum(os: InstanceOS, req: PmRequest, root: bool) -> PmResult:
    action = {"erase": "remove", "upgrade": "update"}.get(req.action, req.action)
    if action not in ("install", "reinstall", "remove", "update", "makecache", "clean", "list"):
        error = f"No such command: {action or '(none)'}. Please use /usr/bin/yum --help\n"
        return PmResult(out=AL2_PLUGINS, err=error, status=1)
    if action == "list":
        return PmResult(out=AL2_PLUGINS + rpm_list(os, "Installed Packages"))
    if not root:
        return PmResult(out=AL2_PLUGINS, err="You need to be root to perform this command.\n", status=1)
    out = [AL2_PLUGINS.rstrip("\n")]
    if action == "makecache":
        return PmResult(out=transcript_text([*out, "Metadata Cache Created"]))
    if action == "clean":
        return PmResult(out=transcript_text([*out, "Cleaning repos: amzn2-core", "Cleaning up everything"]))
    if action == "update":
        return PmResult(out=transcript_text([*out, "No packages marked for update"]))
    if action == "remove":
        return _yum_remove(os, req, out)
    new, present, missing = plan_install(os, req.names)
    out += [f"No package {name} available." for name in missing]
    out += [f"Package {nevra(p.name, p.version, p.arch)} already installed and latest version"
            for p in present]
    if not new:
        return PmResult(out=transcript_text(out) + _extras_hint(os, missing), err="Error: Nothing to do\n",
                        status=1 if missing or not req.names else 0)
    deps = new_deps(os, new)
    out += ["Resolving Dependencies", "--> Running transaction check"]
    out += [f"---> Package {p.name}.{p.arch} {_yum_evr(p.version)} will be installed" for p in new]
    for pkg in new:
        out += [f"--> Processing Dependency: {n} for package: {nevra(pkg.name, pkg.version, pkg.arch)}"
                for n, _v, _a in deps if (n, _v, _a) in pkg.deps]
    if deps:
        out.append("--> Running transaction check")
        out += [f"---> Package {n}.{a} {_yum_evr(v)} will be installed" for n, v, a in deps]
    rows = [(p.name, p.version, p.arch) for p in new]
    out += ["--> Finished Dependency Resolution", "", "Dependencies Resolved", ""]
    out += package_table([("Installing:", rows), ("Installing for dependencies:", deps)], "amzn2-core")
    plural = "s" if len(rows) > 1 else ""
    summary = f"Install  {len(rows)} Package{plural}"
    if deps:
        summary += f" (+{len(deps)} Dependent packages)"
    total_k = sum(size_k(n) for n, _v, _a in rows + deps)
    out += ["", "Transaction Summary", "=" * 80, summary, "", f"Total download size: {fmt_size(total_k)}",
            f"Installed size: {fmt_size(total_k * 3)}"]
    if not req.yes:
        stamp = f"{req.now:%Y-%m-%d.%H-%M}"
        saved = f"/tmp/yum_save_tx.{stamp}.x8Kq.yumtx"
        return PmResult(out=transcript_text(out) + "Is this ok [y/d/N]: Exiting on user command\n"
                        f"Your transaction was saved, rerun it with:\n yum load-transaction {saved}\n",
                        status=1)
    items = [nevra(*d) for d in deps] + [nevra(*r) for r in rows]
    out += ["Downloading packages:", "-" * 80,
            f"Total                                               18 MB/s | {fmt_size(total_k)}B  00:00:00",
            "Running transaction check", "Running transaction test", "Transaction test succeeded",
            "Running transaction"]
    out += progress_lines("Installing", items, 10) + progress_lines("Verifying", items, 10)
    out += ["", "Installed:", "  " + "  ".join(f"{n}.{a} {_yum_evr(v)}" for n, v, a in rows)]
    if deps:
        out += ["", "Dependency Installed:", "  " + "  ".join(f"{n}.{a} {_yum_evr(v)}" for n, v, a in deps)]
    out += ["", "Complete!"]
    install_all(os, new)
    return PmResult(out=transcript_text(out))


def _extras_hint(os: InstanceOS, missing: list[str]) -> str:
    hints = []
    for name in missing:
        pkg = lookup(os.distro, name)
        if pkg is not None and pkg.extras_topic:
            hints.append(
                f"\n\n{name} is available in Amazon Linux Extra topic \"{pkg.extras_topic}\"\n\nTo use, run\n"
                f"# sudo amazon-linux-extras install {pkg.extras_topic}\n\nLearn more at\n"
                "https://aws.amazon.com/amazon-linux-2/faqs/#Amazon_Linux_Extras\n"
            )
    return "".join(hints)


def _yum_remove(os: InstanceOS, req: PmRequest, out: list[str]) -> PmResult:
    _new, present, missing = plan_install(os, req.names)
    out += [f"No Match for argument: {name}" for name in missing]
    if not present:
        return PmResult(out=transcript_text([*out, "No Packages marked for removal"]))
    out += ["Resolving Dependencies", "--> Running transaction check"]
    out += [f"---> Package {p.name}.{p.arch} {_yum_evr(p.version)} will be erased" for p in present]
    out += ["--> Finished Dependency Resolution", ""]
    if not req.yes:
        return PmResult(out=transcript_text(out) + "Is this ok [y/N]: Exiting on user command\n", status=1)
    items = [nevra(p.name, p.version, p.arch) for p in present]
    out += ["Running transaction", *progress_lines("Erasing", items, 10)]
    out += ["", "Removed:", "  " + "  ".join(f"{p.name}.{p.arch} {_yum_evr(p.version)}" for p in present),
            "", "Complete!"]
    for pkg in present:
        remove_files(os, pkg)
    return PmResult(out=transcript_text(out))


def run_extras(os: InstanceOS, req: PmRequest, root: bool) -> PmResult:
    if req.action in ("", "list"):
        lines = [f" {i:>2}  {topic:<22} {'enabled' if topic_enabled(os, topic) else 'available'}"
                 for i, topic in enumerate(EXTRAS_TOPICS, 1)]
        return PmResult(out=transcript_text(lines))
    if req.action not in ("install", "enable"):
        return PmResult(err=f"lblab: 'amazon-linux-extras {req.action}' is not emulated\n", status=1)
    if not root:
        return PmResult(err="You lack permissions to write to system configuration.  "
                            "/etc/yum.repos.d/amzn2-extras.repo\n", status=1)
    unknown = [t for t in req.names if t not in EXTRAS_TOPICS]
    if unknown:
        return PmResult(err=f"Topic {unknown[0]} is not found.\n", status=1)
    repo = "/etc/yum.repos.d/amzn2-extras.repo"
    mkdirs(os, "/etc/yum.repos.d")
    for topic in req.names:
        if not topic_enabled(os, topic):
            os.fs.write_text(repo, f"[amzn2extra-{topic}]\nenabled = 1\n", append=True)
    names = [name for topic in req.names for name in EXTRAS_TOPICS[topic]]
    if req.action == "enable":
        return PmResult(out=f"Now you can install:\n # yum clean metadata\n # yum install {' '.join(names)}"
                            "\n")
    result = run_yum(os, PmRequest("yum", "install", names, req.yes, req.now), root)
    result.out = f"Installing {' '.join(names)}\n" + result.out
    return result


# apt (Ubuntu) ------------------------------------------------------------------------------------
