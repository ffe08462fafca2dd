"""Saving and restoring load balancers, listeners, rules, target groups and targets; traffic flows again."""

from __future__ import annotations

from pathlib import Path

from mock_cloud.clock import wait_for_condition
from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.listener_rules import RuleCondition
from mock_cloud.scenarios import INTERVAL, PROVISION, healthy_lab, seed_lab
from tests.support.cloud import make_config
from tests.support.elbv2 import fixed, hostnames, states


async def test_everything_survives_a_restart_and_serves_again(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with Cloud(config) as cloud:
        lab = await healthy_lab(cloud)
        await cloud.elbv2.create_rule(lab.listener.arn, 7, [RuleCondition("path-pattern", path_pattern_config=[
            "/health"])], [fixed("200", "ok")])
        await cloud.elbv2.modify_target_group_attributes(lab.group.arn, {"stickiness.enabled": "true"})
        certificate = await cloud.elbv2.request_certificate("www.example.com")
        before = cloud.to_dict()["elbv2"]
        names = {i.private_dns_name for i in lab.instances}

    async with Cloud(config) as cloud:
        elbv2 = cloud.elbv2
        assert cloud.restore_error is None
        assert cloud.to_dict()["elbv2"] == before
        [lb] = elbv2.describe_load_balancers()
        assert (lb.name, lb.state, lb.dns_name) == ("DemoALB", "active", lab.lb.dns_name)
        [group] = elbv2.describe_target_groups()
        assert group.load_balancer_arns == [lb.arn]
        assert elbv2.describe_target_group_attributes(group.arn)["stickiness.enabled"] == "true"
        [listener] = elbv2.describe_listeners(lb.arn)
        assert listener.local_port and [r.priority for r in elbv2.describe_rules(listener.arn)] == [7, "default"]
        assert [c.arn for c in elbv2.certificates.list()] == [certificate]
        # Health is not saved: every target is checked afresh.
        assert set(states(cloud, group).values()) == {("initial", "Elb.RegistrationInProgress")}
        await cloud.clock.advance(5 * INTERVAL)
        assert set(states(cloud, group).values()) == {("healthy", None)}
        url = f"http://{lb.dns_name}/"
        assert (await cloud.fetch(url + "health")).text == "ok"
        seen = set()
        for _ in range(4):
            page = await cloud.fetch(url)  # no cookie sent back: round robin
            seen |= {n for n in names if n in page.text}
        assert seen == names


async def test_a_balancer_saved_while_provisioning_finishes_after_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with Cloud(config) as cloud:
        lab = await seed_lab(cloud, count=1)
        await cloud.clock.advance(PROVISION / 2)
    async with Cloud(config) as cloud:
        [lb] = cloud.elbv2.describe_load_balancers()
        assert lb.state == "provisioning"
        # Provisioning ends PROVISION after creation in cloud time (wherever the restored clock stands).
        assert await wait_for_condition(lambda: lb.state == "active", cloud.clock, 2 * PROVISION)
        await cloud.clock.advance(5 * INTERVAL)
        assert await hostnames(cloud, lab.url, 2)
