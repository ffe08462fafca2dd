"""Keeping every registered target's health in line with the world around it.

A target's state is decided first by its surroundings: deregistration (draining), a target group
no listener uses, an instance that is not running, a zone the balancer does not serve, a balancer
still provisioning. Only when none of those applies do health checks decide, and then a
`HealthChecker` loop runs for it. Every change is published as a `target.health` event and
updates the data plane's view of where requests may go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from mock_cloud.context import Context
from mock_cloud.ec2.service import Ec2Service
from mock_cloud.elbv2 import health
from mock_cloud.elbv2.health import CheckResult, HealthChecker, TargetHealth
from mock_cloud.elbv2.load_balancer import ACTIVE, LoadBalancer
from mock_cloud.elbv2.metrics import minute_of
from mock_cloud.elbv2.plane import DataPlane
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup


@dataclass
class TargetHealthDescription:
    """One row of DescribeTargetHealth."""

    target_id: str
    port: int
    availability_zone: str | None
    health_check_port: str
    state: str
    reason: str | None
    description: str | None


class TargetKeeper:
    def __init__(self, ctx: Context, ec2: Ec2Service, plane: DataPlane,
                 balancer_of: Callable[[TargetGroup], LoadBalancer | None]) -> None:
        self.ctx = ctx
        self.ec2 = ec2
        self.plane = plane
        self._balancer_of = balancer_of
        self._checkers: dict[str, HealthChecker] = {}
        self._drains: dict[tuple[str, str, int], asyncio.Task[None]] = {}

    # -- keeping states ---------------------------------------------------------------------------
    def sync(self, group: TargetGroup) -> None:
        """Bring every target's state in line with its surroundings; start or stop its checks."""
        lb = self._balancer_of(group)
        checker = self._checker(group)
        now = self.ctx.clock.now()
        for target in list(group.targets.values()):
            if target.draining_until is None and self._terminated(target):
                # AWS deregisters a terminated instance itself: draining first, as DeregisterTargets does.
                self.deregister(group, target)
                if target.key not in group.targets:
                    continue
            standing = self._standing(lb, target, now)
            if standing is not None:
                checker.stop(target.key)
                self._set(group, target, standing)
            elif not checker.checking(target.key):
                if target.health.state != health.INITIAL:
                    self._set(group, target, TargetHealth.registering(now))
                checker.start(target)
        self._refresh(group)

    def restart_checks(self, group: TargetGroup) -> None:
        """New health-check settings: every loop starts over on the new interval."""
        self._checker(group).restart()

    def sync_instance(self, groups: list[TargetGroup], instance_id: str) -> None:
        instance = self.ec2.instances.get(instance_id)
        names = {instance_id, instance.private_ip if instance is not None else instance_id}  # as ip targets too
        for group in groups:
            if any(t.id in names for t in group.targets.values()):
                self.sync(group)

    def describe(self, group: TargetGroup, target: RegisteredTarget,
                 state: TargetHealth | None = None) -> TargetHealthDescription:
        state = state or target.health
        return TargetHealthDescription(target.id, target.port, target.availability_zone,
                                       str(group.health_check.check_port(target.port)), state.state, state.reason,
                                       state.description)

    # -- registration changes ---------------------------------------------------------------------
    def deregister(self, group: TargetGroup, target: RegisteredTarget) -> None:
        """Draining for the group's deregistration delay when a balancer uses the group, else gone at once."""
        delay = group.deregistration_delay
        if group.load_balancer_arns and delay > 0:
            # Draining: no new requests; in-flight ones finish; gone after the delay.
            target.draining_until = self.ctx.clock.now() + delay
            self.drain(group, target)
        else:
            self.remove(group, target)

    def drain(self, group: TargetGroup, target: RegisteredTarget) -> None:
        """Deregistration: draining until `target.draining_until` (cloud time), then gone."""
        self.cancel_drain(group, target)
        key = (group.arn, target.id, target.port)
        self._drains[key] = self.ctx.clock.spawn(self._drain(group, target), name=f"drain-{target.id}")

    def cancel_drain(self, group: TargetGroup, target: RegisteredTarget) -> None:
        task = self._drains.pop((group.arn, target.id, target.port), None)
        if task is not None:
            task.cancel()

    def remove(self, group: TargetGroup, target: RegisteredTarget) -> None:
        self.cancel_drain(group, target)
        self._checker(group).stop(target.key)
        del group.targets[target.key]
        self._announce(group, target, target.health,
                       TargetHealth.of(health.UNUSED, health.NOT_REGISTERED, self.ctx.clock.now()))

    def forget_group(self, group: TargetGroup) -> None:
        checker = self._checkers.pop(group.arn, None)
        if checker is not None:
            checker.stop_all()
        for target in group.targets.values():
            self.cancel_drain(group, target)

    def forget_instance(self, groups: list[TargetGroup], instance_id: str) -> None:
        """A terminated instance that disappeared is deregistered everywhere, as on AWS."""
        for group in groups:
            doomed = [t for t in group.targets.values() if t.id == instance_id]
            for target in doomed:
                self.remove(group, target)
            if doomed:
                self._refresh(group)
                self.ctx.changed("target_group.targets", group.arn)

    async def close(self) -> None:
        tasks = list(self._drains.values())
        for checker in self._checkers.values():
            tasks += checker.stop_all()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drains.clear()

    # -- internals --------------------------------------------------------------------------------
    def _checker(self, group: TargetGroup) -> HealthChecker:
        checker = self._checkers.get(group.arn)
        if checker is None:
            checker = self._checkers[group.arn] = HealthChecker(self.ctx.clock, group, self._check, self._on_check)
        return checker

    def _terminated(self, target: RegisteredTarget) -> bool:
        instance = self.ec2.instances.get(target.id)
        return instance is not None and instance.state in ("shutting-down", "terminated")

    def _standing(self, lb: LoadBalancer | None, target: RegisteredTarget, now: float) -> TargetHealth | None:
        """The state a target is in whatever health checks say; None when the checks decide."""
        current = target.health
        if target.draining_until is not None:
            return _keep(current, TargetHealth.of(health.DRAINING, health.DEREGISTRATION_IN_PROGRESS, now))
        if lb is None:
            return _keep(current, TargetHealth.of(health.UNUSED, health.NOT_IN_USE, now))
        instance = self.plane.instance_of(target.id)
        # An instance target follows its instance's state; an ip target is only as good as its checks.
        if target.id.startswith("i-") and (instance is None or instance.state != "running"):
            return _keep(current, health.invalid_state(instance.state if instance else None, now))
        if target.availability_zone not in lb.zone_names:
            return _keep(current, TargetHealth.of(health.UNUSED, health.NOT_IN_USE, now, health.ZONE_NOT_ENABLED))
        if lb.state != ACTIVE:
            return _keep(current, TargetHealth.registering(now))
        return None

    async def _check(self, group: TargetGroup, target: RegisteredTarget) -> CheckResult:
        """One health check from the balancer's node in the target's zone, subject to security groups."""
        clock = self.ctx.clock
        settings = group.health_check
        instance = self.plane.instance_of(target.id)
        lb = self._balancer_of(group)
        if instance is None or lb is None:
            return health.failed("the target or its load balancer is gone")
        port = settings.check_port(target.port)
        reach = self.plane.reach(lb, instance, port)
        if not reach.allowed:
            # A dropped SYN: nothing comes back, and the check gives up after its timeout.
            await clock.sleep(settings.timeout_seconds)
            return health.timed_out(reach.reason)
        local = instance.local_port(port)
        if local is None:
            return health.failed(f"connection refused: nothing listens on port {port}")
        return await health.http_check(local, f"{instance.private_ip}:{port}", settings.path, settings.accepts,
                                       health.real_timeout(clock, settings.timeout_seconds))

    def _on_check(self, group: TargetGroup, target: RegisteredTarget, new: TargetHealth,
                  result: CheckResult | None) -> None:
        if group.targets.get(target.key) is target:
            self._set(group, target, new)
            self._refresh(group)

    async def _drain(self, group: TargetGroup, target: RegisteredTarget) -> None:
        clock = self.ctx.clock
        await clock.sleep(max(0.0, (target.draining_until or 0.0) - clock.now()))
        self._drains.pop((group.arn, target.id, target.port), None)
        if group.targets.get(target.key) is target:
            self.remove(group, target)
            self._refresh(group)
            self.ctx.changed("target_group.targets", group.arn)

    def _set(self, group: TargetGroup, target: RegisteredTarget, new: TargetHealth) -> None:
        old = target.health
        if not old.same(new):
            target.health = new
            self._announce(group, target, old, new)

    def _announce(self, group: TargetGroup, target: RegisteredTarget, old: TargetHealth, new: TargetHealth) -> None:
        self.ctx.changed("target.health", target.id, persist=False, target_group_arn=group.arn, port=target.port,
                         old_state=old.state, old_reason=old.reason, state=new.state, reason=new.reason,
                         description=new.description)

    def _refresh(self, group: TargetGroup) -> None:
        """The data plane's eligible targets and the host-count gauges follow every change."""
        self.plane.refresh(group)
        states = [t.health.state for t in group.targets.values()]
        dims = (("TargetGroup", group.dimension),)
        minute = minute_of(self.ctx.clock.now())
        self.plane.metrics.gauge(dims, "HealthyHostCount", states.count(health.HEALTHY), minute)
        self.plane.metrics.gauge(dims, "UnHealthyHostCount", states.count(health.UNHEALTHY), minute)


def _keep(current: TargetHealth, new: TargetHealth) -> TargetHealth:
    """`new`, unless the target is already in that state (so it keeps the time it entered it)."""
    return current if current.same(new) else new
