"""Security groups: AWS's defaults and validation, and the network's allow/drop decisions."""

from __future__ import annotations

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.security_group import Peer
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.errors import CloudError
from mock_cloud.network import INTERNET_CLIENT

HTTP_ANYWHERE = RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0", description="HTTP from anywhere")


async def test_default_vpc_subnets_and_default_group(cloud: Cloud) -> None:
    vpc = cloud.ec2.default_vpc
    assert vpc.cidr_block == "172.31.0.0/16"
    subnets = cloud.ec2.subnets_of(vpc.vpc_id)
    assert [(s.availability_zone, s.cidr_block) for s in subnets] == [
        ("ap-northeast-2a", "172.31.0.0/20"),
        ("ap-northeast-2b", "172.31.16.0/20"),
        ("ap-northeast-2c", "172.31.32.0/20"),
        ("ap-northeast-2d", "172.31.48.0/20"),
    ]
    default = cloud.ec2.security_group_by_name("default")
    assert default.description == "default VPC security group"
    assert [r.referenced_group_id for r in default.ingress] == [default.group_id]
    assert [r.cidr_ipv4 for r in default.egress] == ["0.0.0.0/0"]


async def test_new_group_admits_nothing_and_allows_all_outbound(cloud: Cloud) -> None:
    group = await cloud.ec2.create_security_group("demo-sg-load-balancer", "SG for ALB")
    assert group.ingress == []
    assert [(r.protocol, r.cidr_ipv4) for r in group.egress] == [("-1", "0.0.0.0/0")]


@pytest.mark.parametrize(
    "name, description, code, fragment",
    [
        ("", "x", "MissingParameter", "groupName"),
        ("sg-web", "x", "InvalidParameterValue", "sg-*"),
        ("a" * 256, "x", "InvalidParameterValue", "too long"),
        ("웹서버", "x", "InvalidParameterValue", "Character sets beyond ASCII"),
        ("web", "", "MissingParameter", "groupDescription"),
    ],
)
async def test_group_name_validation(cloud: Cloud, name: str, description: str, code: str, fragment: str) -> None:
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.create_security_group(name, description)
    assert caught.value.code == code
    assert fragment in caught.value.message


async def test_duplicate_group_name_is_refused(cloud: Cloud) -> None:
    await cloud.ec2.create_security_group("web", "web servers")
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.create_security_group("web", "again")
    assert caught.value.code == "InvalidGroup.Duplicate"
    assert f"already exists for VPC '{cloud.ec2.default_vpc.vpc_id}'" in caught.value.message


@pytest.mark.parametrize(
    "spec, code, fragment",
    [
        (RuleSpec("tcp", 80, 80, cidr_ipv4="10.0.0/24"), "InvalidParameterValue", "CIDR block 10.0.0/24 is malformed"),
        (RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0"), "InvalidParameterValue", "malformed"),
        (RuleSpec("tcp", 90, 80, cidr_ipv4="0.0.0.0/0"), "InvalidParameterValue", "from port 90 is greater"),
        (RuleSpec("tcp", 80, 70000, cidr_ipv4="0.0.0.0/0"), "InvalidParameterValue", "0-65535"),
        (RuleSpec("tcp", None, None, cidr_ipv4="0.0.0.0/0"), "InvalidParameterValue", "portRange"),
        (RuleSpec("gre", 1, 1, cidr_ipv4="0.0.0.0/0"), "InvalidParameterValue", "Unknown protocol"),
        (RuleSpec("tcp", 80, 80), "InvalidParameterValue", "exactly one source"),
        (RuleSpec("tcp", 80, 80, source_group_id="sg-nope"), "InvalidGroupId.Malformed", "Invalid id"),
        (RuleSpec("tcp", 80, 80, source_group_id="sg-0123456789abcdef0"), "InvalidGroup.NotFound", "does not exist"),
    ],
)
async def test_rule_validation(cloud: Cloud, spec: RuleSpec, code: str, fragment: str) -> None:
    group = await cloud.ec2.create_security_group("web", "web servers")
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.authorize(group.group_id, [spec])
    assert caught.value.code == code
    assert fragment in caught.value.message
    assert group.ingress == []  # nothing half-applied


async def test_duplicate_rule_and_revoke(cloud: Cloud) -> None:
    group = await cloud.ec2.create_security_group("web", "web servers")
    await cloud.ec2.authorize(group.group_id, [HTTP_ANYWHERE])
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.authorize(group.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    assert caught.value.code == "InvalidPermission.Duplicate"
    assert "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" in caught.value.message
    await cloud.ec2.revoke(group.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    assert group.ingress == []
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.revoke(group.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    assert caught.value.code == "InvalidPermission.NotFound"


async def test_default_group_cannot_be_deleted_and_used_group_is_a_dependency(cloud: Cloud) -> None:
    default = cloud.ec2.security_group_by_name("default")
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.delete_security_group(default.group_id)
    assert caught.value.code == "CannotDelete"
    lb_group = await cloud.ec2.create_security_group("lb", "load balancer")
    web = await cloud.ec2.create_security_group("web", "web servers")
    await cloud.ec2.authorize(web.group_id, [RuleSpec("tcp", 80, 80, source_group_id=lb_group.group_id)])
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.delete_security_group(lb_group.group_id)
    assert caught.value.code == "DependencyViolation"
    await cloud.ec2.delete_security_group(web.group_id)
    await cloud.ec2.delete_security_group(lb_group.group_id)
    assert web.group_id not in cloud.ec2.security_groups


async def test_network_decisions_follow_the_rules(cloud: Cloud) -> None:
    lb_group = await cloud.ec2.create_security_group("lb", "load balancer")
    web = await cloud.ec2.create_security_group("web", "web servers")
    instance = Peer("172.31.5.10", (web.group_id,), "web-1")
    balancer = Peer("172.31.20.7", (lb_group.group_id,), "alb")
    other = Peer("172.31.33.3", (cloud.ec2.security_group_by_name("default").group_id,), "other")
    net = cloud.network

    assert not net.check(INTERNET_CLIENT, instance, 80).allowed  # a new group admits nothing
    await cloud.ec2.authorize(web.group_id, [RuleSpec("tcp", 80, 80, source_group_id=lb_group.group_id)])
    decision = net.check(balancer, instance, 80)
    assert decision.allowed and decision.rule is not None and decision.rule.referenced_group_id == lb_group.group_id
    assert not net.check(INTERNET_CLIENT, instance, 80).allowed  # only the balancer's group
    assert not net.check(other, instance, 80).allowed
    assert not net.check(balancer, instance, 22).allowed

    await cloud.ec2.authorize(web.group_id, [RuleSpec("tcp", 22, 22, cidr_ipv4="203.0.113.0/24")])
    assert net.check(INTERNET_CLIENT, instance, 22).allowed
    # Egress counts too: without an outbound rule the balancer cannot open the connection.
    await cloud.ec2.revoke(lb_group.group_id, [RuleSpec("-1", cidr_ipv4="0.0.0.0/0")], egress=True)
    denied = net.check(balancer, instance, 80)
    assert not denied.allowed and "outbound" in denied.reason
    await cloud.ec2.authorize(lb_group.group_id, [RuleSpec("tcp", 80, 80, source_group_id=web.group_id)], egress=True)
    assert net.check(balancer, instance, 80).allowed


async def test_a_peer_without_a_valid_address_matches_no_cidr_rule(cloud: Cloud) -> None:
    web = await cloud.ec2.create_security_group("web", "web servers")
    await cloud.ec2.authorize(web.group_id, [HTTP_ANYWHERE])
    forged = Peer("not-an-ip", (), "forged header")
    assert not cloud.network.check(forged, Peer("172.31.5.10", (web.group_id,)), 80).allowed
