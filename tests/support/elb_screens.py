"""What the ELB snapshots and `screenshots/elb-make-screenshots.py` add to `mock_cloud.scenarios.populate_elb`'s
cloud: a rule answering itself, certificates with fixed dates, request traces with fixed timings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.listener_rules import Action, FixedResponseConfig, RuleCondition
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.trace import Hop, RequestTrace

# What the snapshots show for a certificate's dates (issuing stamps the host's real time).
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 31, tzinfo=UTC)


async def add_maintenance_rule(cloud: Cloud, lb: LoadBalancer, priority: int = 10,
                               path: str = "/maintenance/*") -> None:
    """A path-pattern rule answering 503 itself, as the rules flow adds it."""
    [listener] = cloud.elbv2.describe_listeners(lb.arn)
    condition = RuleCondition("path-pattern", path_pattern_config=[path])
    answer = FixedResponseConfig("503", "text/plain", "Down for maintenance")
    action = Action("fixed-response", fixed_response_config=answer)
    await cloud.elbv2.create_rule(listener.arn, priority, [condition], [action])


def fixed_dates(cloud: Cloud) -> None:
    for certificate in cloud.elbv2.certificates.list():
        certificate.created_at = certificate.not_before = ISSUED
        certificate.not_after = EXPIRES


def sample_traces(cloud: Cloud, lb: LoadBalancer) -> list[RequestTrace]:
    """Two requests as the cloud traces them, with fixed timings: one served, one stopped by a group."""
    group = next(iter(cloud.elbv2.target_groups.values()))
    first, second = sorted(group.targets.values(), key=lambda t: t.id)
    servers = {i.instance_id: i for i in cloud.ec2.describe_instances()}
    lb_sg = cloud.ec2.security_groups[lb.security_groups[0]]
    web_sg = cloud.ec2.security_groups[servers[first.id].security_group_ids[0]]
    now = cloud.clock.now()
    edge = Hop("internet edge", True, f"203.0.113.10:50312 → {lb.dns_name}:80")
    admitted = Hop("load balancer security group", True,
                   f"{lb_sg.group_id} ({lb_sg.group_name}) allows tcp/80 from 0.0.0.0/0")
    served = RequestTrace(now - 20, lb.arn, f"GET http://{lb.dns_name}/", "203.0.113.10:50312", 200, [
        edge, admitted,
        Hop("listener", True, "HTTP:80", elapsed_ms=0.412),
        Hop("rule", True, "default rule: no other rule matched"),
        Hop("target group", True, f"{group.name} (HTTP:80, round_robin)"),
        Hop("target", True, f"{first.id}:80 ({servers[first.id].private_ip}:80), healthy"),
        Hop("instance security group", True, f"{web_sg.group_id} ({web_sg.group_name}) allows tcp/80 from 0.0.0.0/0"),
        Hop("web server", True, f"{servers[first.id].private_ip}:80 answered", elapsed_ms=1.834),
        Hop("status", True, "HTTP 200 from the target", elapsed_ms=0.051),
    ], "Root=1-6955b9a0-0123456789abcdef01234567")
    stopped = replace(served, time=now - 10, status=504, hops=[
        *served.hops[:5],
        Hop("target", True, f"{second.id}:80 ({servers[second.id].private_ip}:80), healthy"),
        Hop("instance security group", False, f"no inbound rule of {web_sg.group_id} ({web_sg.group_name}) allows "
                                              "tcp/80 from DemoALB: the connection attempt times out, and the "
                                              "balancer answers 504", "Target.Timeout"),
        Hop("status", False, "HTTP 504 from the load balancer", elapsed_ms=0.038),
    ])
    return [served, stopped]
