"""ELBv2 behaviours checked against AWS's API reference through boto3 on the real endpoint (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.test_api_errors import error_of
from tests.api.test_api_paging import IMAGE
from tests.support.api import LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 is a test dependency")


@pytest.fixture(scope="module")
def live() -> Iterator[LiveCloud]:
    """A cloud whose time stands still until a test advances it."""
    with LiveCloud(make_config(time_scale=0)) as running:
        yield running


@pytest.fixture(scope="module")
def balanced(live: LiveCloud) -> dict[str, Any]:
    """Two instances registered in a group that a balancer's listener forwards to (cloud time stands still)."""
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=IMAGE, MinCount=2, MaxCount=2)["Instances"]]
    group = elbv2.create_target_group(Name="fidelity-tg", Protocol="HTTP", Port=80, VpcId=vpc_id)["TargetGroups"][0]
    lb = elbv2.create_load_balancer(Name="fidelity", Subnets=subnets[:2])["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])["Listeners"][0]
    live.run(live.cloud.clock.advance(60))  # booted: only running instances can be registered
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i} for i in ids])
    return {"ids": ids, "group": group["TargetGroupArn"], "listener": listener["ListenerArn"]}


def health_of(live: LiveCloud, group: str, target_id: str) -> dict[str, Any]:
    rows = live.client("elbv2").describe_target_health(TargetGroupArn=group, Targets=[{"Id": target_id}])
    [row] = rows["TargetHealthDescriptions"]
    assert row["Target"]["Id"] == target_id
    return row["TargetHealth"]


def test_a_target_named_but_not_registered_is_unused(live: LiveCloud, balanced: dict[str, Any]) -> None:
    for unknown in ("i-0123456789abcdef0", live.client("ec2").run_instances(
            ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]):
        assert health_of(live, balanced["group"], unknown) == {
            "State": "unused", "Reason": "Target.NotRegistered",
            "Description": "Target is not registered to the target group"}


def test_a_terminated_target_drains_before_it_is_gone(live: LiveCloud, balanced: dict[str, Any]) -> None:
    doomed = balanced["ids"][0]
    live.client("ec2").terminate_instances(InstanceIds=[doomed])
    assert health_of(live, balanced["group"], doomed) == {
        "State": "draining", "Reason": "Target.DeregistrationInProgress",
        "Description": "Target deregistration is in progress"}
    everyone = live.client("elbv2").describe_target_health(TargetGroupArn=balanced["group"])
    assert {r["Target"]["Id"]: r["TargetHealth"]["State"] for r in everyone["TargetHealthDescriptions"]}[doomed] == \
        "draining"


@pytest.mark.parametrize("condition, message", [
    ({"Field": "path-pattern", "Values": []}, "A condition value must be specified"),
    ({"Field": "path-pattern", "PathPatternConfig": {"Values": []}}, "A condition value must be specified"),
    ({"Field": "host-header", "HostHeaderConfig": {"Values": []}}, "A condition value must be specified"),
    ({"Field": "source-ip", "SourceIpConfig": {"Values": []}}, "A 'source-ip' value must be specified"),
    ({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": []}},
     "A condition value must be specified"),
])
def test_an_empty_condition_value_list_is_named_as_aws_does(live: LiveCloud, balanced: dict[str, Any],
                                                            condition: dict[str, Any], message: str) -> None:
    elbv2 = live.client("elbv2")
    action = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
    assert error_of(elbv2.create_rule, ListenerArn=balanced["listener"], Priority=7, Conditions=[condition],
                    Actions=action) == ("ValidationError", 400, message)


def test_target_group_listing_shapes(live: LiveCloud, balanced: dict[str, Any]) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for name in ("zeta-tg", "alpha-tg"):
        elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc_id)
    listed = [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]]
    assert listed == sorted(listed) and {"zeta-tg", "alpha-tg"} <= set(listed)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
    lonely = elbv2.create_load_balancer(Name="lonely", Subnets=subnets[:2])["LoadBalancers"][0]
    assert error_of(elbv2.describe_target_groups, LoadBalancerArn=lonely["LoadBalancerArn"]) == (
        "TargetGroupNotFound", 400, "One or more target groups not found")
    assert error_of(elbv2.create_target_group, Name="a--b", Protocol="HTTP", Port=80, VpcId=vpc_id) == (
        "ValidationError", 400, "Target group name 'a--b' cannot contain '--'")


def test_forward_config_echoes_stickiness_and_the_stickiness_error_names_the_protocol(
        live: LiveCloud, balanced: dict[str, Any]) -> None:
    elbv2 = live.client("elbv2")
    forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": balanced["group"]}]}}
    rule = elbv2.create_rule(ListenerArn=balanced["listener"], Priority=9, Actions=[forward], Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/sticky"]}}])["Rules"][0]
    assert rule["Actions"][0]["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": False}
    vpc_id = live.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    secure = elbv2.create_target_group(Name="secure-tg", Protocol="HTTPS", Port=443, VpcId=vpc_id)["TargetGroups"][0]
    assert error_of(elbv2.modify_target_group_attributes, TargetGroupArn=secure["TargetGroupArn"],
                    Attributes=[{"Key": "stickiness.type", "Value": "source_ip"}]) == (
        "InvalidConfigurationRequest", 400,
        "Stickiness type 'source_ip' is not supported for target groups with the HTTPS protocol")


@pytest.mark.parametrize("protocol, message", [
    ("GENEVE", "Listener protocol 'GENEVE' must be one of 'HTTP, HTTPS'"),
    ("TCP_QUIC", "Listener protocol 'TCP_QUIC' must be one of 'HTTP, HTTPS'"),
    ("SCTP", "1 validation error detected: Value 'SCTP' at 'protocol' failed to satisfy constraint: Member must "
             "satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE, QUIC, TCP_QUIC]"),
])
def test_listener_protocols_of_other_balancer_types_are_named_for_an_alb(
        live: LiveCloud, balanced: dict[str, Any], protocol: str, message: str) -> None:
    elbv2 = live.client("elbv2")
    [listener] = elbv2.describe_listeners(ListenerArns=[balanced["listener"]])["Listeners"]
    assert error_of(elbv2.create_listener, LoadBalancerArn=listener["LoadBalancerArn"], Protocol=protocol,
                    Port=6081, DefaultActions=[{"Type": "forward", "TargetGroupArn": balanced["group"]}]) == (
        "ValidationError", 400, message)


def test_app_cookie_stickiness_is_accepted_with_the_applications_cookie_name(
        live: LiveCloud, balanced: dict[str, Any]) -> None:
    elbv2 = live.client("elbv2")
    group = balanced["group"]
    assert error_of(elbv2.modify_target_group_attributes, TargetGroupArn=group, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"}]) == (
        "ValidationError", 400, "An application cookie name ('stickiness.app_cookie.cookie_name') must be specified "
                                "for stickiness type 'app_cookie'")
    assert error_of(elbv2.modify_target_group_attributes, TargetGroupArn=group, Attributes=[
        {"Key": "stickiness.app_cookie.cookie_name", "Value": "AWSALBAPP-0"}])[0] == "ValidationError"
    elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"},
        {"Key": "stickiness.app_cookie.cookie_name", "Value": "JSESSIONID"},
        {"Key": "stickiness.app_cookie.duration_seconds", "Value": "3600"}])
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=group)[
        "Attributes"]}
    assert (attributes["stickiness.type"], attributes["stickiness.app_cookie.cookie_name"],
            attributes["stickiness.app_cookie.duration_seconds"]) == ("app_cookie", "JSESSIONID", "3600")
    elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=[
        {"Key": "stickiness.enabled", "Value": "false"}])
