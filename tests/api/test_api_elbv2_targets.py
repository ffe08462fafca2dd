"""Target types through boto3 on the real endpoint (issue 14, "Target types"): `ip` targets carry real traffic
and are health-checked as instances are; `lambda` and `alb` are refused as not emulated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.api.test_api_errors import error_of
from tests.api.test_api_seed_lab import build_seed_lab, hostnames
from tests.support.api import FAST, WAIT, LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 is a test dependency")


@pytest.fixture
def live() -> Iterator[LiveCloud]:
    with LiveCloud(make_config(time_scale=FAST)) as running:
        yield running


def test_ip_targets_are_checked_and_serve_traffic(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    lab = build_seed_lab(ec2, elbv2)
    ec2.get_waiter("instance_running").wait(InstanceIds=lab["instance_ids"], WaiterConfig=WAIT)
    instances = [i for r in ec2.describe_instances(InstanceIds=lab["instance_ids"])["Reservations"]
                 for i in r["Instances"]]
    group = elbv2.create_target_group(Name="ip-tg", Protocol="HTTP", Port=80, VpcId=lab["vpc_id"],
                                      TargetType="ip")["TargetGroups"][0]
    assert group["TargetType"] == "ip"
    arn = group["TargetGroupArn"]
    elbv2.modify_listener(ListenerArn=lab["listener"]["ListenerArn"], DefaultActions=[
        {"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i["PrivateIpAddress"], "Port": 80}
                                                        for i in instances])
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lab["lb"]["LoadBalancerArn"]],
                                                     WaiterConfig=WAIT)
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=arn, WaiterConfig=WAIT)
    rows = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    assert {(r["Target"]["Id"], r["Target"]["Port"], r["TargetHealth"]["State"]) for r in rows} == {
        (i["PrivateIpAddress"], 80, "healthy") for i in instances}
    url = f"http://{lab['lb']['DNSName']}/"
    assert set(hostnames(live, url, 6)) == {i["PrivateDnsName"] for i in instances}
    # The instance behind one address stops: the address fails its checks; traffic goes to the other.
    first, second = instances
    ec2.stop_instances(InstanceIds=[first["InstanceId"]])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[first["InstanceId"]], WaiterConfig=WAIT)
    for _ in range(200):
        health = {r["Target"]["Id"]: r["TargetHealth"]["State"] for r in elbv2.describe_target_health(
            TargetGroupArn=arn)["TargetHealthDescriptions"]}
        if health[first["PrivateIpAddress"]] == "unhealthy":
            break
        live.run(asyncio.sleep(0.1))
    assert health == {first["PrivateIpAddress"]: "unhealthy", second["PrivateIpAddress"]: "healthy"}
    assert set(hostnames(live, url, 4)) == {second["PrivateDnsName"]}


def test_ip_targets_must_be_in_the_vpc_and_other_types_are_not_emulated(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    arn = elbv2.create_target_group(Name="ip-only", Protocol="HTTP", Port=80, VpcId=vpc_id,
                                    TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    assert error_of(elbv2.register_targets, TargetGroupArn=arn, Targets=[{"Id": "192.168.1.10"}]) == (
        "ValidationError", 400,
        "The Availability Zone is required for IP address '192.168.1.10' because it is not in the VPC")
    assert error_of(elbv2.register_targets, TargetGroupArn=arn, Targets=[{"Id": "i-0123456789abcdef0"}])[:2] == (
        "ValidationError", 400)
    for target_type in ("lambda", "alb"):
        code, status, message = error_of(elbv2.create_target_group, Name=f"{target_type}-tg", TargetType=target_type)
        assert (code, status) == ("ValidationError", 400)
        assert message.startswith(f"Target type '{target_type}' is not emulated in lblab")
