"""The package managers' entry point: parse the command line and hand it to dnf, yum, rpm,
amazon-linux-extras or apt, including the classic failures (no sudo, no `-y`, unknown package).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mock_cloud.guestos.packages.apt import _apt
from mock_cloud.guestos.packages.dnf import _dnf, _rpm
from mock_cloud.guestos.packages.transaction import _VALUE_OPTIONS, PmResult, _Request
from mock_cloud.guestos.packages.yum import _extras, _yum

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
        elif arg in _VALUE_OPTIONS:
            skip_next = True
        elif not arg.startswith("-") or arg == "-":
            positional.append(arg)
    if tool == "rpm":
        return _rpm(os, args)
    req = _Request(tool, positional[0] if positional else "", positional[1:], yes, now or datetime.now(UTC))
    if tool == "amazon-linux-extras":
        return _extras(os, req, root)
    if tool in ("apt", "apt-get"):
        return _apt(os, req, root, interactive)
    if os.distro == "al2":
        return _yum(os, req, root)
    return _dnf(os, req, root)
