"""Security groups admit and drop exactly what their rules say, proven with real requests.

Three paths of the seed lab, each through a matrix of rule sets:

- internet → listener (the balancer's group, inbound): a drop is a request that times out at the
  internet edge (its drop timeout), an admit is the page;
- balancer → target (the instances' group inbound, by group reference or CIDR, and the balancer's
  group outbound): a denied target turns unhealthy with Target.Timeout, and the balancer answers 504;
  an admitted one turns healthy and serves;
- internet → instance (the instances' group, inbound, to the public IP): timeout or the page.

The learner's machine is 203.0.113.10 (TEST-NET-3) as the cloud sees it; the VPC is 172.31.0.0/16.
"""

from __future__ import annotations

import pytest

from mock_cloud.cloud import Cloud, FetchResult
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.scenarios import HELLO, Lab, healthy_lab

ANYWHERE, CLIENT, CLIENT_NET, VPC = "0.0.0.0/0", "203.0.113.10/32", "203.0.113.0/24", "172.31.0.0/16"


async def set_rules(cloud: Cloud, group_id: str, specs: list[RuleSpec], egress: bool = False) -> None:
    """Replace the group's inbound (or outbound) rules with `specs`."""
    group = cloud.ec2.security_group(group_id)
    old = [r.rule_id for r in group.rules if r.egress == egress]
    if old:
        await cloud.ec2.revoke(group_id, rule_ids=old, egress=egress)
    if specs:
        await cloud.ec2.authorize(group_id, specs, egress=egress)


def tcp(port: int, cidr: str | None = None, group: str | None = None, to_port: int | None = None) -> RuleSpec:
    return RuleSpec("tcp", port, port if to_port is None else to_port, cidr_ipv4=cidr, source_group_id=group)


def admitted(result: FetchResult) -> bool:
    return result.status == 200 and bool(HELLO.search(result.text))


def dropped(cloud: Cloud, result: FetchResult) -> bool:
    """What a learner sees when a firewall drops the packets: the edge's timeout, after waiting."""
    return (result.status == 504 and "timed out" in result.text
            and result.elapsed >= cloud.config.drop_timeout * 0.9)


@pytest.fixture
async def lab(cloud: Cloud) -> Lab:
    lab = await healthy_lab(cloud)
    # Quick health checks, so a target changes state within a few intervals either way.
    await cloud.elbv2.modify_target_group(lab.group.arn, interval_seconds=5, timeout_seconds=2,
                                          healthy_threshold_count=2, unhealthy_threshold_count=2)
    return lab


async def test_internet_to_listener(cloud: Cloud, lab: Lab) -> None:
    other = (await cloud.ec2.create_security_group("other", "another group")).group_id
    matrix: list[tuple[str, list[RuleSpec], bool]] = [
        ("tcp/80 from anywhere", [tcp(80, ANYWHERE)], True),
        ("tcp/80 from the client's /24", [tcp(80, CLIENT_NET)], True),
        ("tcp/80 from the client's /32", [tcp(80, CLIENT)], True),
        ("tcp/80 from a neighbour's /32", [tcp(80, "203.0.113.11/32")], False),
        ("tcp/80 from another network", [tcp(80, "198.51.100.0/24")], False),
        ("tcp/79-81 from anywhere", [tcp(79, ANYWHERE, to_port=81)], True),
        ("tcp/8080 from anywhere", [tcp(8080, ANYWHERE)], False),
        ("tcp/all ports from anywhere", [tcp(0, ANYWHERE, to_port=65535)], True),
        ("udp/80 from anywhere", [RuleSpec("udp", 80, 80, cidr_ipv4=ANYWHERE)], False),
        ("all traffic from anywhere", [RuleSpec("-1", cidr_ipv4=ANYWHERE)], True),
        ("tcp/80 from a security group (the internet has none)", [tcp(80, group=other)], False),
        ("no inbound rule at all", [], False),
        ("tcp/443 and tcp/80 from the client", [tcp(443, ANYWHERE), tcp(80, CLIENT)], True),
    ]
    url = f"http://{lab.lb.dns_name}/"
    for name, rules, allowed in matrix:
        await set_rules(cloud, lab.lb_sg, rules)
        result = await cloud.fetch(url, timeout=10)
        if allowed:
            assert admitted(result), (name, result.status, result.error, result.text[:200])
        else:
            assert dropped(cloud, result), (name, result.status, result.error, result.text[:200])


async def test_balancer_to_target(cloud: Cloud, lab: Lab) -> None:
    other = (await cloud.ec2.create_security_group("other", "another group")).group_id
    lb_sg, web = lab.lb_sg, lab.web_sg
    # (name, instances' inbound, balancer's outbound (None: all traffic), reachable)
    matrix: list[tuple[str, list[RuleSpec], list[RuleSpec] | None, bool]] = [
        ("tcp/80 from the balancer's group", [tcp(80, group=lb_sg)], None, True),
        ("tcp/80 from another group", [tcp(80, group=other)], None, False),
        ("tcp/80 from the VPC's CIDR", [tcp(80, VPC)], None, True),
        ("tcp/80 from 10.0.0.0/8", [tcp(80, "10.0.0.0/8")], None, False),
        ("all traffic from the balancer's group", [RuleSpec("-1", source_group_id=lb_sg)], None, True),
        ("tcp/8080 from the balancer's group", [tcp(8080, group=lb_sg)], None, False),
        ("tcp/80 from the internet only (the balancer is not the internet)", [tcp(80, CLIENT)], None, False),
        ("balancer outbound tcp/80 to the instances' group", [tcp(80, group=lb_sg)], [tcp(80, group=web)], True),
        ("balancer outbound tcp/443 only", [tcp(80, group=lb_sg)], [tcp(443, ANYWHERE)], False),
        ("balancer outbound to the VPC", [tcp(80, group=lb_sg)], [tcp(80, VPC)], True),
        ("balancer with no outbound rule", [tcp(80, group=lb_sg)], [], False),
        ("anywhere, outbound all traffic again", [tcp(80, ANYWHERE)], [RuleSpec("-1", cidr_ipv4=ANYWHERE)], True),
    ]
    url = f"http://{lab.lb.dns_name}/"
    await set_rules(cloud, lb_sg, [tcp(80, ANYWHERE)])
    for name, inbound, outbound, reachable in matrix:
        await set_rules(cloud, web, inbound)
        await set_rules(cloud, lb_sg, outbound if outbound is not None else [RuleSpec("-1", cidr_ipv4=ANYWHERE)],
                        egress=True)
        await cloud.clock.advance(5 * 3)  # three checks: two in a row flip the state either way
        rows = cloud.elbv2.describe_target_health(lab.group.arn)
        states = {(r.state, r.reason) for r in rows}
        if reachable:
            assert states == {("healthy", None)}, (name, states)
            assert admitted(await cloud.fetch(url, timeout=10)), name
        else:
            assert states == {("unhealthy", "Target.Timeout")}, (name, states)
            assert {r.description for r in rows} == {"Request timed out"}
            # All targets unhealthy: the balancer fails open, tries one, and its SYN is dropped.
            answer = await cloud.fetch(url, timeout=10)
            assert answer.status == 504 and "awselb" in answer.headers.get("Server", ""), (name, answer.status)


async def test_internet_to_instance(cloud: Cloud, lab: Lab) -> None:
    instance = lab.instances[0]
    assert instance.public_ip
    matrix: list[tuple[str, list[RuleSpec], bool]] = [
        ("tcp/80 from anywhere", [tcp(80, ANYWHERE)], True),
        ("tcp/80 from the client", [tcp(80, CLIENT)], True),
        ("tcp/80 from the balancer's group only", [tcp(80, group=lab.lb_sg)], False),
        ("tcp/22 from anywhere", [tcp(22, ANYWHERE)], False),
        ("tcp/80 from another network", [tcp(80, "198.51.100.0/24")], False),
        ("no inbound rule", [], False),
        ("all traffic from anywhere", [RuleSpec("-1", cidr_ipv4=ANYWHERE)], True),
    ]
    for host in (instance.public_ip, instance.public_dns_name):
        for name, rules, allowed in matrix:
            await set_rules(cloud, lab.web_sg, rules)
            result = await cloud.fetch(f"http://{host}/", timeout=10)
            if allowed:
                assert admitted(result), (host, name, result.status, result.text[:200])
            else:
                assert dropped(cloud, result), (host, name, result.status, result.text[:200])
