"""A listener's fast lane (mock_cloud/elbv2/lane.py): the same answers, traces and metrics as the full route, and
every change in the cloud followed from the very next request."""

from __future__ import annotations

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.listener_rules import RuleCondition
from mock_cloud.scenarios import Lab, healthy_lab
from tests.support.elbv2 import fixed, hostnames, run_in

Hops = list[tuple[str, bool, str, str]]


def last_traces(cloud: Cloud, count: int) -> list[Hops]:
    """What a learner reads in the request traces, minus the timings."""
    return [[(h.name, h.ok, h.detail, h.reason_code) for h in t.hops[1:]] for t in cloud.elbv2.traces(limit=count)]


def in_lane(cloud: Cloud, lab: Lab) -> bool:
    """Whether the listener's last request took the fast lane."""
    router = cloud.elbv2._servers[lab.listener.arn].route.__self__  # type: ignore[attr-defined]
    return bool(router._lane.entries)


async def never_matching_rule(cloud: Cloud, lab: Lab) -> None:
    await cloud.elbv2.create_rule(lab.listener.arn, 10, [RuleCondition("path-pattern", path_pattern_config=["/never"])],
                                  [fixed("404")])


async def test_the_lane_answers_as_the_full_route_does(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    metric = {"LoadBalancer": lab.lb.dimension}
    lane_hosts = await hostnames(cloud, lab.url, 4)
    assert in_lane(cloud, lab)
    lane_traces = last_traces(cloud, 4)
    lane_requests = cloud.elbv2.metrics(metric, "RequestCount")[-1][1]

    await never_matching_rule(cloud, lab)  # a rule to match: the full route
    full_hosts = await hostnames(cloud, lab.url, 4)
    assert not in_lane(cloud, lab)
    assert full_hosts == lane_hosts and len(set(full_hosts)) == 2  # the round robin's turn goes on across both
    assert last_traces(cloud, 4) == lane_traces
    assert cloud.elbv2.metrics(metric, "RequestCount")[-1][1] == 2 * lane_requests == 8


async def test_the_lane_follows_every_change_from_the_next_request(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    first, second = lab.instances
    await hostnames(cloud, lab.url, 2)
    assert in_lane(cloud, lab)

    # The instances' group stops admitting port 80: the balancer's connection attempts time out (504).
    http = RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")
    await cloud.ec2.revoke(lab.web_sg, [http])
    page = await cloud.fetch(lab.url)
    stop = cloud.elbv2.traces(limit=1)[-1].stopped_at
    assert page.status == 504 and stop is not None and stop.name == "instance security group"
    await cloud.ec2.authorize(lab.web_sg, [http])
    await hostnames(cloud, lab.url, 2)

    # Nothing listens on one instance's port 80 any more, and no health check has noticed yet: every request goes
    # to the other instance, as the full route sends it on when a target refuses.
    await run_in(cloud, first, "systemctl stop httpd")
    assert set(await hostnames(cloud, lab.url, 4)) == {second.private_dns_name}

    # A new rule applies to the next request.
    await cloud.elbv2.create_rule(lab.listener.arn, 5, [RuleCondition("path-pattern", path_pattern_config=["/x"])],
                                  [fixed("418", "teapot")])
    page = await cloud.fetch(f"http://{lab.lb.dns_name}/x")
    assert (page.status, page.text) == (418, "teapot")
