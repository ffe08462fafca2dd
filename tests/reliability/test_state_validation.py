"""A state file is validated whole on load: a value of the wrong type, outside its enum or range, or
an ID of the wrong format sets the file aside (never re-saved over it) and the cloud starts afresh,
its API answering as usual."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.security_group import SecurityGroup, SgRule
from mock_cloud.scenarios import seed_lab
from tests.support.api import LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 drives the AWS API (pip install boto3)")

State = dict[str, Any]


@pytest.fixture(scope="module")
def lab_state(tmp_path_factory: pytest.TempPathFactory) -> State:
    """The saved state of the seed lab: two instances, security groups, a target group, an ALB, a listener."""
    path = tmp_path_factory.mktemp("lab")

    async def build() -> None:
        async with Cloud(make_config(path)) as cloud:
            await seed_lab(cloud)

    asyncio.run(build())
    return json.loads((path / "state.json").read_text())  # type: ignore[no-any-return]


def instance(state: State) -> State:
    return state["state"]["ec2"]["instances"][0]  # type: ignore[no-any-return]


def listener(state: State) -> State:
    return state["state"]["elbv2"]["listeners"][0]  # type: ignore[no-any-return]


def group(state: State) -> State:
    return state["state"]["elbv2"]["target_groups"][0]  # type: ignore[no-any-return]


def rule(state: State) -> State:
    return next(g for g in state["state"]["ec2"]["security_groups"] if g["group_name"] == "web")["rules"][-1]


# (what is broken, how, and the words the message names it by)
BROKEN: list[tuple[str, Callable[[State], None], str]] = [
    ("clock NaN", lambda s: s["state"].update(clock=float("nan")), "NaN is not a JSON number"),
    ("clock Infinity", lambda s: s["state"].update(clock=float("inf")), "Infinity is not a JSON number"),
    ("clock 1e999", lambda s: s["state"].update(clock="1e999-placeholder"), "clock: inf is not a finite number"),
    ("instance state bogus", lambda s: instance(s).update(state="bogus"), "'bogus' is not one of pending, running"),
    ("string launch_time", lambda s: instance(s).update(launch_time="yesterday"),
     "launch_time: 'yesterday' is not a finite number"),
    ("listener port eighty", lambda s: listener(s).update(port="eighty"), "port: 'eighty' is not an integer"),
    ("listener port 70000", lambda s: listener(s).update(port=70000), "port: 70000 is not between 1 and 65535"),
    ("listener port true", lambda s: listener(s).update(port=True), "port: True is not an integer"),
    ("rule port out of range", lambda s: rule(s).update(from_port=-5), "from_port: -5 is not between -1 and 65535"),
    ("rule protocol", lambda s: rule(s).update(protocol="tcpx"), "'tcpx' is not one of tcp, udp, icmp, -1"),
    ("rule cidr", lambda s: rule(s).update(cidr_ipv4="0.0.0.0/33"), "is not an IPv4 CIDR block"),
    ("instance ID format", lambda s: instance(s).update(instance_id="i-NOTHEX"), "does not look like i-"),
    ("group ID in an instance", lambda s: instance(s).update(security_group_ids=["default"]),
     "security_group_ids: 'default' does not look like sg-"),
    ("instance type", lambda s: instance(s).update(instance_type="t9.galactic"), "'t9.galactic' is not one of"),
    ("private IP", lambda s: instance(s).update(private_ip="172.31.999.1"), "is not an IPv4 address"),
    ("tags of numbers", lambda s: instance(s).update(tags={"Name": 7}), "tags['Name']: 7 is not str"),
    ("health check interval", lambda s: group(s)["health_check"].update(interval_seconds=1),
     "interval_seconds: 1 is not between 5 and 300"),
    ("target port 0", lambda s: group(s)["targets"][0].update(port=0), "port: 0 is not between 1 and 65535"),
    ("duplicate instance", lambda s: s["state"]["ec2"]["instances"].append(instance(s)), "listed twice"),
    ("vpc state", lambda s: s["state"]["ec2"]["vpcs"][0].update(state="gone"), "'gone' is not one of"),
]


def broken_file(path: Path, state: State, breaks: Callable[[State], None]) -> str:
    document = json.loads(json.dumps(state))
    breaks(document)
    text = json.dumps(document).replace('"1e999-placeholder"', "1e999")  # a number JSON reads as infinity
    path.write_text(text)
    return text


@pytest.mark.parametrize(("what", "breaks", "named"), BROKEN, ids=[case[0] for case in BROKEN])
async def test_an_invalid_value_sets_the_file_aside_and_the_cloud_starts_afresh(
        tmp_path: Path, lab_state: State, what: str, breaks: Callable[[State], None], named: str) -> None:
    path = tmp_path / "state.json"
    text = broken_file(path, lab_state, breaks)
    async with Cloud(make_config(tmp_path)) as cloud:
        assert cloud.restore_error and named in cloud.restore_error, cloud.restore_error
        assert "lblab starts with a fresh cloud" in cloud.restore_error
        assert not cloud.ec2.instances and not cloud.elbv2.listeners and cloud.ec2.default_vpc
    [moved] = tmp_path.glob("state.json.broken-*")
    assert moved.read_text() == text  # set aside as it was, never saved over


@pytest.mark.parametrize("what", ["clock NaN", "instance state bogus", "string launch_time", "listener port eighty"])
def test_the_issues_cases_leave_an_api_that_answers(tmp_path: Path, lab_state: State, what: str) -> None:
    [(_, breaks, named)] = [case for case in BROKEN if case[0] == what]
    broken_file(tmp_path / "state.json", lab_state, breaks)
    with LiveCloud(make_config(tmp_path)) as live:
        assert live.cloud.restore_error and named in live.cloud.restore_error
        ec2, elbv2 = live.client("ec2"), live.client("elbv2")
        assert ec2.describe_instances()["Reservations"] == []
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
        lb = elbv2.create_load_balancer(Name="after", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        assert elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"] == []
    assert list(tmp_path.glob("state.json.broken-*"))


@pytest.mark.parametrize("resource", [SgRule("sgr-0123456789abcdef0", False, "tcp", 80, 80),
                                      SecurityGroup("sg-0123456789abcdef0", "web", "web", "vpc-0123456789abcdef0")],
                         ids=["SgRule", "SecurityGroup"])
def test_spelled_out_to_dicts_save_every_field(resource: Any) -> None:
    """These save without dataclasses.asdict (speed): a field added later must not be left out."""
    assert list(resource.to_dict()) == [f.name for f in dataclasses.fields(resource)]


async def test_the_valid_lab_state_loads_whole(tmp_path: Path, lab_state: State) -> None:
    """The checks reject no state lblab itself saves."""
    (tmp_path / "state.json").write_text(json.dumps(lab_state))
    async with Cloud(make_config(tmp_path)) as cloud:
        assert cloud.restore_error is None
        assert len(cloud.ec2.instances) == 2 and len(cloud.elbv2.listeners) == 1
