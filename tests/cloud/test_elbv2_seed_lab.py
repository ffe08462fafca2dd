"""The seed lab end to end through the service API, over real sockets and the internet edge."""

from __future__ import annotations

import asyncio
import itertools
import re

import aiohttp

from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.load_balancer import CANONICAL_HOSTED_ZONE_ID
from mock_cloud.scenarios import INTERVAL, PROVISION, seed_lab
from tests.support.elbv2 import hostnames, states


async def test_seed_lab_balances_two_servers_and_survives_a_stop(cloud: Cloud) -> None:
    lab = await seed_lab(cloud)
    lb, group = lab.lb, lab.group
    first, second = lab.instances
    assert lb.state == "provisioning"
    assert re.fullmatch(r"DemoALB-\d{10}\.ap-northeast-2\.elb\.amazonaws\.com", lb.dns_name)
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/DemoALB/"
                        r"[0-9a-f]{16}", lb.arn)
    assert lb.canonical_hosted_zone_id == CANONICAL_HOSTED_ZONE_ID
    assert len(lb.availability_zones) == 4 and lb.security_groups == [lab.lb_sg]
    assert group.load_balancer_arns == [lb.arn]
    assert set(states(cloud, group).values()) == {("initial", "Elb.RegistrationInProgress")}
    unknown = await cloud.fetch(lab.url)
    assert unknown.status == 502 and "provisioning" in unknown.text

    await cloud.clock.advance(PROVISION)
    assert lb.state == "active" and lab.listener.local_port
    assert set(states(cloud, group).values()) == {("initial", "Elb.InitialHealthChecking")}
    await cloud.clock.advance(INTERVAL - 1)  # the first check is one interval away
    assert set(states(cloud, group).values()) == {("initial", "Elb.InitialHealthChecking")}
    await cloud.clock.advance(1)  # a newly registered target needs one passing check (ALB user guide)
    assert set(states(cloud, group).values()) == {("healthy", None)}

    names = await hostnames(cloud, lab.url, 10)
    assert set(names) == {first.private_dns_name, second.private_dns_name}
    assert all(a != b for a, b in itertools.pairwise(names))  # round robin alternates

    await cloud.ec2.stop_instances([first.instance_id])
    rows = {d.target_id: d for d in cloud.elbv2.describe_target_health(group.arn)}
    assert (rows[first.instance_id].state, rows[first.instance_id].reason) == ("unused", "Target.InvalidState")
    assert rows[first.instance_id].description == "Target is in the stopped state"
    assert set(await hostnames(cloud, lab.url, 6)) == {second.private_dns_name}
    await cloud.clock.advance(20)
    assert first.state == "stopped"
    assert set(await hostnames(cloud, lab.url, 4)) == {second.private_dns_name}

    await cloud.ec2.start_instances([first.instance_id])
    await cloud.clock.advance(10)
    assert first.state == "running"
    assert states(cloud, group)[first.instance_id][0] == "initial"
    assert set(await hostnames(cloud, lab.url, 4)) == {second.private_dns_name}
    await cloud.clock.advance(INTERVAL)
    assert states(cloud, group)[first.instance_id] == ("healthy", None)
    assert set(await hostnames(cloud, lab.url, 4)) == {first.private_dns_name, second.private_dns_name}


async def test_health_events_tell_every_change(cloud: Cloud) -> None:
    events = cloud.events.subscribe("target.health")
    lab = await seed_lab(cloud, count=1)
    await cloud.clock.advance(PROVISION + 5 * INTERVAL)
    seen = []
    while not events.queue.empty():
        event = events.queue.get_nowait()
        seen.append((event.data["old_state"], event.data["state"], event.data["reason"]))
    assert seen[-2:] == [("initial", "initial", "Elb.InitialHealthChecking"), ("initial", "healthy", None)]
    assert lab.group.arn == event.data["target_group_arn"]


async def test_stopping_an_instance_under_load_loses_no_get(cloud: Cloud) -> None:
    lab = await seed_lab(cloud)
    await cloud.clock.advance(PROVISION + 5 * INTERVAL)
    port = lab.listener.local_port
    statuses: list[int] = []

    async def client(session: aiohttp.ClientSession) -> None:
        for _ in range(40):
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                await response.read()
                statuses.append(response.status)

    async with aiohttp.ClientSession() as session:
        clients = [asyncio.create_task(client(session)) for _ in range(8)]
        while len(statuses) < 60:
            await asyncio.sleep(0.005)
        await cloud.ec2.stop_instances([lab.instances[0].instance_id])
        await asyncio.gather(*clients)
    assert len(statuses) == 320 and set(statuses) == {200}
    assert lab.instances[0].local_port(80) is None
