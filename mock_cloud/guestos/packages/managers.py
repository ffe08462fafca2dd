"""The package managers' entry point: parse the command line and hand it to dnf, yum, rpm,
amazon-linux-extras or apt, including the classic failures (no sudo, no `-y`, unknown package).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mock_cloud.guestos.packages.apt import run_apt
from mock_cloud.guestos.packages.dnf import run_dnf, run_rpm
from mock_cloud.guestos.packages.transaction import VALUE_OPTIONS, PmRequest, PmResult
from mock_cloud.guestos.packages.yum import run_extras, run_yum

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS


def run_package_manager(
    os: InstanceOS, tool: str, args: list[str], *, root: bool, interactive: bool, now: datetime | None = None
) -> PmResult:
    """Run `tool args` (dnf, yum, rpm, amazon-linux-extras, apt, apt-get) against the instance."""
    positional: list[str] = []
    yes = False
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in ("--yes", "--assumeyes", "--assume-yes") or re.fullmatch(r"-q*yq*", arg):
            yes = True
        elif arg in VALUE_OPTIONS:
            skip_next = True
        elif not arg.startswith("-") or arg == "-":
            positional.append(arg)
    if tool == "rpm":
        return run_rpm(os, args)
    req = PmRequest(tool, positional[0] if positional else "", positional[1:], yes, now or datetime.now(UTC))
    if tool == "amazon-linux-extras":
        return run_extras(os, req, root)
    if tool in ("apt", "apt-get"):
        return run_apt(os, req, root, interactive)
    if os.distro == "al2":
        return run_yum(os, req, root)
    return run_dnf(os, req, root)
