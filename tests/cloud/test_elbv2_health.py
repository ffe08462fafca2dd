"""Target health on the manual clock: exact thresholds, AWS reason codes, real checks, draining."""

from __future__ import annotations

import asyncio

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.target_group import TargetSpec
from mock_cloud.scenarios import INTERVAL, PROVISION, healthy_lab, seed_lab
from tests.support.elbv2 import hostnames, run_in, states


async def test_thresholds_are_counted_exactly(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    [instance] = lab.instances
    await cloud.elbv2.modify_target_group(lab.group.arn, path="/missing.html")
    await cloud.clock.advance(INTERVAL)  # one failed check: UnhealthyThresholdCount is 2
    assert states(cloud, lab.group)[instance.instance_id] == ("healthy", None)
    await cloud.clock.advance(INTERVAL)
    [row] = cloud.elbv2.describe_target_health(lab.group.arn)
    assert (row.state, row.reason, row.description) == (
        "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")
    assert row.health_check_port == "80"

    await cloud.elbv2.modify_target_group(lab.group.arn, path="/", healthy_threshold_count=3)
    await cloud.clock.advance(2 * INTERVAL)
    assert states(cloud, lab.group)[instance.instance_id][0] == "unhealthy"
    await cloud.clock.advance(INTERVAL)
    assert states(cloud, lab.group)[instance.instance_id] == ("healthy", None)


async def test_broken_web_servers_fail_with_aws_reasons(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    no_index, stopped = lab.instances
    await run_in(cloud, no_index, "rm /var/www/html/index.html")
    await run_in(cloud, stopped, "systemctl stop httpd")
    assert stopped.local_port(80) is None
    await cloud.clock.advance(2 * INTERVAL)
    rows = {d.target_id: d for d in cloud.elbv2.describe_target_health(lab.group.arn)}
    assert (rows[no_index.instance_id].reason, rows[no_index.instance_id].description) == (
        "Target.ResponseCodeMismatch", "Health checks failed with these codes: [403]")
    assert (rows[stopped.instance_id].state, rows[stopped.instance_id].reason,
            rows[stopped.instance_id].description) == ("unhealthy", "Target.FailedHealthChecks",
                                                       "Health checks failed")
    # Fail-open: with no healthy target, requests go to every target (the 403 page, or a retry there).
    page = await cloud.fetch(lab.url)
    assert page.status == 403 and b"Test Page" in page.body


async def test_instance_group_that_does_not_admit_the_balancer_times_out(cloud: Cloud) -> None:
    default_sg = cloud.ec2.security_group_by_name("default").group_id
    lab = await seed_lab(cloud, count=1, instance_groups=[default_sg])
    [instance] = lab.instances
    await cloud.clock.advance(PROVISION + INTERVAL + 5)  # the first check waited its 5 s timeout
    assert states(cloud, lab.group)[instance.instance_id] == ("initial", "Elb.InitialHealthChecking")
    await cloud.clock.advance(INTERVAL)
    [row] = cloud.elbv2.describe_target_health(lab.group.arn)
    assert (row.state, row.reason, row.description) == ("unhealthy", "Target.Timeout", "Request timed out")

    page = await cloud.fetch(lab.url)  # fail-open sends it there, and the group drops it
    assert page.status == 504 and page.headers["Server"] == "awselb/2.0"
    trace = cloud.elbv2.traces(limit=1)[-1]
    assert trace.stopped_at is not None
    assert (trace.stopped_at.name, trace.stopped_at.reason_code) == ("instance security group", "Target.Timeout")

    await cloud.ec2.authorize(default_sg, [RuleSpec("tcp", 80, 80, source_group_id=lab.lb_sg)])
    await cloud.clock.advance(5 * INTERVAL)
    assert states(cloud, lab.group)[instance.instance_id] == ("healthy", None)
    assert (await cloud.fetch(lab.url)).status == 200


async def test_deregistration_drains_then_forgets(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    leaving, staying = lab.instances
    await cloud.elbv2.modify_target_group_attributes(lab.group.arn, {"deregistration_delay.timeout_seconds": 60})
    await cloud.elbv2.deregister_targets(lab.group.arn, [TargetSpec(leaving.instance_id)])
    rows = {d.target_id: d for d in cloud.elbv2.describe_target_health(lab.group.arn)}
    assert (rows[leaving.instance_id].state, rows[leaving.instance_id].reason,
            rows[leaving.instance_id].description) == (
        "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
    assert set(await hostnames(cloud, lab.url, 4)) == {staying.private_dns_name}
    await cloud.clock.advance(59)
    assert states(cloud, lab.group)[leaving.instance_id][0] == "draining"
    await cloud.clock.advance(1)
    assert leaving.instance_id not in states(cloud, lab.group)
    [row] = cloud.elbv2.describe_target_health(lab.group.arn, [TargetSpec(leaving.instance_id)])
    assert (row.state, row.reason, row.description) == (
        "unused", "Target.NotRegistered", "Target is not registered to the target group")


async def test_a_group_no_listener_uses_is_not_in_use(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    [instance] = lab.instances
    spare = await cloud.elbv2.create_target_group("spare-tg")
    await cloud.elbv2.register_targets(spare.arn, [TargetSpec(instance.instance_id)])
    [row] = cloud.elbv2.describe_target_health(spare.arn)
    assert (row.state, row.reason, row.description) == (
        "unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
    await cloud.elbv2.delete_listener(lab.listener.arn)
    assert states(cloud, lab.group)[instance.instance_id] == ("unused", "Target.NotInUse")
    assert lab.group.load_balancer_arns == []


async def test_targets_still_in_initial_checks_get_no_requests(cloud: Cloud) -> None:
    lab = await seed_lab(cloud, count=1)
    await cloud.clock.advance(PROVISION + INTERVAL - 1)  # the first check is still ahead
    page = await cloud.fetch(lab.url)
    assert page.status == 503
    stop = cloud.elbv2.traces(limit=1)[-1].stopped_at
    assert stop is not None and stop.reason_code == "Elb.InitialHealthChecking"


async def test_deleting_the_balancer_closes_its_ports_and_releases_its_groups(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    port = lab.listener.local_port
    assert port is not None
    await cloud.elbv2.delete_load_balancer(lab.lb.arn)
    assert set(states(cloud, lab.group).values()) == {("unused", "Target.NotInUse")}
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    gone = await cloud.fetch(lab.url)
    assert gone.status == 502 and "does not exist" in gone.text
    await cloud.elbv2.delete_target_group(lab.group.arn)  # no longer in use
