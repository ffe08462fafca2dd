"""AWS's error codes and messages for load balancer, target group, listener and rule inputs."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.listener import MAX_LISTENERS_PER_ALB, MAX_RULES_PER_ALB
from mock_cloud.elbv2.listener_rules import Action, RedirectConfig, RuleCondition
from mock_cloud.elbv2.target_group import TargetSpec
from mock_cloud.errors import CloudError
from mock_cloud.scenarios import web_servers
from tests.support.elbv2 import fixed, forward


async def fails(call: Awaitable[object], code: str, message: str | None = None) -> CloudError:
    with pytest.raises(CloudError) as caught:
        await call
    assert caught.value.code == code, caught.value
    if message is not None:
        assert caught.value.message == message
    return caught.value


def subnets(cloud: Cloud) -> list[str]:
    return [s.subnet_id for s in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id)]


async def test_load_balancer_inputs(cloud: Cloud) -> None:
    elbv2, two = cloud.elbv2, subnets(cloud)[:2]
    await fails(elbv2.create_load_balancer("a" * 33, two), "ValidationError",
                f"The load balancer name '{'a' * 33}' cannot be longer than '32' characters")
    await fails(elbv2.create_load_balancer("bad_name", two), "ValidationError")
    await fails(elbv2.create_load_balancer("-edge", two), "ValidationError")
    await fails(elbv2.create_load_balancer("internal-lb", two), "ValidationError",
                "The load balancer name 'internal-lb' cannot begin with 'internal-'")
    error = await fails(elbv2.create_load_balancer("nlb", two, lb_type="network"), "ValidationError")
    assert "not emulated in lblab" in error.message
    error = await fails(elbv2.create_load_balancer("dual", two, ip_address_type="dualstack"), "ValidationError")
    assert "not emulated in lblab" in error.message
    await fails(elbv2.create_load_balancer("one", two[:1]), "ValidationError",
                "At least two subnets in two different Availability Zones must be specified")
    await fails(elbv2.create_load_balancer("ghost", [two[0], "subnet-0123456789abcdef0"]), "SubnetNotFound")
    await fails(elbv2.create_load_balancer("sg", two, ["sg-0123456789abcdef0"]), "InvalidSecurityGroup")
    await fails(elbv2.create_load_balancer("odd", two, scheme="public"), "ValidationError")

    lb = await elbv2.create_load_balancer("inner", two, scheme="internal")
    assert lb.dns_name.startswith("internal-inner-")
    default_sg = cloud.ec2.security_group_by_name("default").group_id
    assert lb.security_groups == [default_sg]
    await fails(elbv2.create_load_balancer("inner", two), "DuplicateLoadBalancerName",
                "A load balancer with the specified name already exists.")
    attributes = elbv2.describe_load_balancer_attributes(lb.arn)
    assert (attributes["idle_timeout.timeout_seconds"], attributes["deletion_protection.enabled"],
            attributes["routing.http2.enabled"]) == ("60", "false", "true")
    await fails(elbv2.modify_load_balancer_attributes(lb.arn, {"idle_timeout.timeout_seconds": "0"}),
                "ValidationError")
    await fails(elbv2.modify_load_balancer_attributes(lb.arn, {"no.such": "1"}), "ValidationError")
    await elbv2.modify_load_balancer_attributes(lb.arn, {"deletion_protection.enabled": "true"})
    await fails(elbv2.delete_load_balancer(lb.arn), "OperationNotPermitted")
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.delete_security_group(default_sg)
    assert caught.value.code == "CannotDelete"
    await elbv2.modify_load_balancer_attributes(lb.arn, {"deletion_protection.enabled": False})
    await elbv2.delete_load_balancer(lb.arn)
    await elbv2.delete_load_balancer(lb.arn)  # gone already: still succeeds, as on AWS
    with pytest.raises(CloudError) as caught:
        elbv2.describe_load_balancers([lb.arn])
    assert caught.value.code == "LoadBalancerNotFound"


async def test_a_security_group_a_balancer_uses_cannot_be_deleted(cloud: Cloud) -> None:
    group = await cloud.ec2.create_security_group("alb-sg", "SG for ALB")
    await cloud.elbv2.create_load_balancer("lb", subnets(cloud)[:2], [group.group_id])
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.delete_security_group(group.group_id)
    assert caught.value.code == "DependencyViolation"


async def test_target_group_inputs(cloud: Cloud) -> None:
    elbv2 = cloud.elbv2
    await fails(elbv2.create_target_group("t" * 33), "ValidationError",
                f"Target group name '{'t' * 33}' cannot be longer than '32' characters")
    await fails(elbv2.create_target_group("tg-"), "ValidationError", "Target group name 'tg-' cannot begin or end "
                                                                     "with '-'")
    error = await fails(elbv2.create_target_group("lambdas", target_type="lambda"), "ValidationError")
    assert "not emulated in lblab" in error.message
    await fails(elbv2.create_target_group("udp", protocol="UDP"), "ValidationError")
    await fails(elbv2.create_target_group("port", port=0), "ValidationError")
    await fails(elbv2.create_target_group("vpc", vpc_id="vpc-0123456789abcdef0"), "ValidationError")
    await fails(elbv2.create_target_group("slow", health_check={"interval_seconds": 4}), "ValidationError")
    await fails(elbv2.create_target_group("tmo", health_check={"interval_seconds": 5, "timeout_seconds": 5}),
                "ValidationError", "Health check timeout '5' must be smaller than the interval '5'")
    await fails(elbv2.create_target_group("thr", health_check={"healthy_threshold_count": 11}), "ValidationError")
    await fails(elbv2.create_target_group("codes", health_check={"matcher": "100"}), "ValidationError")
    await fails(elbv2.create_target_group("codes2", health_check={"matcher": "200-600"}), "ValidationError")

    group = await elbv2.create_target_group("demo-tg", health_check={"matcher": "200-399,404"})
    assert group.health_check.matcher == "200-399,404" and group.health_check.accepts(404)
    assert group.health_check.interval_seconds == 30 and group.health_check.path == "/"
    assert await elbv2.create_target_group("demo-tg", health_check={"matcher": "200-399,404"}) is group
    await fails(elbv2.create_target_group("demo-tg", port=8080), "DuplicateTargetGroupName",
                "A target group with the specified name already exists.")
    attributes = elbv2.describe_target_group_attributes(group.arn)
    assert (attributes["deregistration_delay.timeout_seconds"], attributes["load_balancing.algorithm.type"],
            attributes["stickiness.type"]) == ("300", "round_robin", "lb_cookie")
    await fails(elbv2.modify_target_group_attributes(group.arn, {"deregistration_delay.timeout_seconds": 3601}),
                "ValidationError")
    await fails(elbv2.modify_target_group_attributes(group.arn, {"load_balancing.algorithm.type": "fastest"}),
                "ValidationError")
    await fails(elbv2.modify_target_group_attributes(group.arn, {
        "load_balancing.algorithm.type": "least_outstanding_requests", "slow_start.duration_seconds": 60}),
        "InvalidConfigurationRequest")
    await fails(elbv2.modify_target_group(group.arn, timeout_seconds=30), "ValidationError")
    await fails(elbv2.register_targets(group.arn, [TargetSpec("i-0123456789abcdef0")]), "InvalidTarget")
    with pytest.raises(CloudError) as caught:
        elbv2.describe_target_groups(["arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/x/1"])
    assert caught.value.code == "TargetGroupNotFound"


async def test_registering_needs_a_running_instance(cloud: Cloud) -> None:
    [instance] = await web_servers(cloud, 1)
    group = await cloud.elbv2.create_target_group("demo-tg")
    await cloud.ec2.stop_instances([instance.instance_id])
    await fails(cloud.elbv2.register_targets(group.arn, [TargetSpec(instance.instance_id)]), "InvalidTarget",
                f"The following targets are not in a running state and cannot be registered: "
                f"'{instance.instance_id}'")


async def test_listener_and_rule_inputs(cloud: Cloud) -> None:
    elbv2 = cloud.elbv2
    lb = await elbv2.create_load_balancer("lb", subnets(cloud)[:2])
    group = await elbv2.create_target_group("demo-tg")
    await fails(elbv2.create_listener(lb.arn, "TCP", 80, [forward(group.arn)]), "ValidationError",
                "Listener protocol 'TCP' must be one of 'HTTP, HTTPS'")
    await fails(elbv2.create_listener(lb.arn, "HTTP", 70000, [forward(group.arn)]), "ValidationError")
    await fails(elbv2.create_listener(lb.arn, "HTTPS", 443, [forward(group.arn)]), "ValidationError")
    await fails(elbv2.create_listener(lb.arn, "HTTPS", 443, [forward(group.arn)], certificates=[
        "arn:aws:acm:ap-northeast-2:123456789012:certificate/nope"]), "CertificateNotFound")
    await fails(elbv2.create_listener(lb.arn, "HTTP", 80, [forward("arn:nope")]), "TargetGroupNotFound")
    listener = await elbv2.create_listener(lb.arn, "HTTP", 80, [forward(group.arn)])
    assert listener.local_port is None  # provisioning: nothing listens yet
    await fails(elbv2.create_listener(lb.arn, "HTTP", 80, [fixed("200")]), "DuplicateListener",
                "A listener with the specified port already exists.")
    with pytest.raises(CloudError) as caught:
        await elbv2.delete_target_group(group.arn)
    assert caught.value.code == "ResourceInUse"

    other = await elbv2.create_load_balancer("other", subnets(cloud)[:2])
    await fails(elbv2.create_listener(other.arn, "HTTP", 80, [forward(group.arn)]), "TargetGroupAssociationLimit")

    path = [RuleCondition("path-pattern", path_pattern_config=["/a"])]
    rule = await elbv2.create_rule(listener.arn, 10, path, [fixed("200")])
    await fails(elbv2.create_rule(listener.arn, 10, path, [fixed("200")]), "PriorityInUse")
    await fails(elbv2.create_rule(listener.arn, 0, path, [fixed("200")]), "ValidationError")
    await fails(elbv2.create_rule(listener.arn, 11, [], [fixed("200")]), "ValidationError")
    await fails(elbv2.create_rule(listener.arn, 11, path, [Action("redirect", redirect_config=RedirectConfig(
        "HTTP_301"))]), "InvalidLoadBalancerAction")
    await fails(elbv2.modify_rule(rule.arn), "ValidationError", "Either conditions or actions must be specified")
    default = next(r for r in elbv2.describe_rules(listener.arn) if r.is_default)
    await fails(elbv2.delete_rule(default.arn), "OperationNotPermitted")
    await fails(elbv2.set_rule_priorities([(default.arn, 5)]), "OperationNotPermitted")
    await fails(elbv2.delete_rule(rule.arn + "0"), "RuleNotFound")
    with pytest.raises(CloudError) as caught:
        elbv2.describe_rules()
    assert caught.value.message == "You must specify either listener rule ARNs or a listener ARN"
    modified = await elbv2.modify_rule(rule.arn, actions=[fixed("404", "gone")])
    assert modified.priority == 10 and modified.actions[0].fixed_response_config is not None

    for priority in range(11, MAX_RULES_PER_ALB + 10):
        await elbv2.create_rule(listener.arn, priority, path, [fixed("200")])
    await fails(elbv2.create_rule(listener.arn, 200, path, [fixed("200")]), "TooManyRules")
    for port in range(1, MAX_LISTENERS_PER_ALB):
        await elbv2.create_listener(lb.arn, "HTTP", 1000 + port, [fixed("200")])
    await fails(elbv2.create_listener(lb.arn, "HTTP", 9999, [fixed("200")]), "TooManyListeners")
