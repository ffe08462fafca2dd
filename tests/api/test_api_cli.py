"""The real aws CLI (v1) against the endpoint, as a learner runs it: dummy credentials, --endpoint-url."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cloud.test_export import aws_env
from tests.support.api import REGION, LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("awscli", reason="the aws CLI (pip install awscli) is a test dependency")


@pytest.fixture(scope="module")
def live() -> Iterator[LiveCloud]:
    with LiveCloud(make_config(time_scale=0)) as running:
        yield running


def aws(live: LiveCloud, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "awscli", "--endpoint-url", live.endpoint, "--region", REGION, *args]
    return subprocess.run(command, env=aws_env(live.endpoint), capture_output=True, text=True, timeout=60)


def test_describe_vpcs_with_the_aws_cli(live: LiveCloud) -> None:
    ran = aws(live, "ec2", "describe-vpcs", "--output", "json")
    assert ran.returncode == 0, ran.stderr
    vpcs = json.loads(ran.stdout)["Vpcs"]
    assert [(v["CidrBlock"], v["IsDefault"]) for v in vpcs] == [("172.31.0.0/16", True)]


def test_aws_cli_shows_aws_errors(live: LiveCloud) -> None:
    ran = aws(live, "ec2", "describe-instances", "--instance-ids", "i-nope")
    assert ran.returncode != 0
    assert "An error occurred (InvalidInstanceID.Malformed) when calling the DescribeInstances operation" in ran.stderr
    ran = aws(live, "elbv2", "describe-load-balancers", "--names", "missing")
    assert ran.returncode != 0 and "(LoadBalancerNotFound)" in ran.stderr
