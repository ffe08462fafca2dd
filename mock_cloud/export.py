"""`lblab export`: what the learner built, as something that builds it again on real AWS.

Two formats share one reading of the saved state (no servers start): a bash script of `aws`
CLI calls (export_awscli.py) and a CloudFormation template (export_cloudformation.py). Neither
names anything that only exists here: the default VPC, its subnets and the AMIs are looked up
where the export runs (AMIs through AWS's public SSM parameters, see ec2/images.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from mock_cloud.export_awscli import aws_cli_script
from mock_cloud.export_cloudformation import cloudformation_template
from mock_cloud.export_model import Setup
from mock_cloud.store import STATE_VERSION

RENDERERS: dict[str, Callable[[Setup], str]] = {"aws-cli": aws_cli_script, "cloudformation": cloudformation_template}


class ExportError(Exception):
    """The state cannot be exported (missing, unreadable, or nothing in it)."""


def load_setup(path: Path) -> Setup:
    """Read a saved state file without touching it (a broken file is reported, not moved aside)."""
    if not path.exists():
        raise ExportError(f"there is no saved cloud at {path} (start lblab once, or pass --state)")
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        raise ExportError(f"{path} is not an lblab state file of version {STATE_VERSION}")
    try:
        return Setup.from_state(document["state"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"{path} is not a complete lblab state ({type(exc).__name__}: {exc})") from None


def render(setup: Setup, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(RENDERERS)}")
    return RENDERERS[fmt](setup)


def export_command(fmt: str, state_path: Path) -> int:
    """`lblab export --format FMT [--state PATH]`: the export on stdout, problems on stderr."""
    try:
        setup = load_setup(state_path)
        if setup.is_empty:
            raise ExportError(f"nothing to export: the cloud saved at {state_path} has no security groups, "
                              "instances, target groups or load balancers of yours yet")
        sys.stdout.write(render(setup, fmt))
    except ExportError as exc:
        print(f"lblab export: {exc}", file=sys.stderr)
        return 1
    return 0
