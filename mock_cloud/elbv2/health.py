"""Target health: AWS's states and reason codes, the threshold state machine, and real HTTP checks.

A `HealthChecker` runs one loop per in-service target of a target group on the cloud clock:
every interval it sends a real `GET <path>` with `User-Agent: ELB-HealthChecker/2.0` to the
instance's web server on loopback, unless the security groups drop it, in which case the check
waits out its timeout on the cloud clock, as a dropped SYN does on AWS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_cloud.clock import Clock

if TYPE_CHECKING:
    from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup

INITIAL, HEALTHY, UNHEALTHY, UNUSED, DRAINING = "initial", "healthy", "unhealthy", "unused", "draining"

REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
TIMEOUT = "Target.Timeout"
FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
NOT_REGISTERED = "Target.NotRegistered"
NOT_IN_USE = "Target.NotInUse"
INVALID_STATE = "Target.InvalidState"
DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"

# The Description AWS returns with each reason (ALB user guide, "Health check reason codes").
DESCRIPTIONS = {
    REGISTRATION_IN_PROGRESS: "Target registration is in progress",
    INITIAL_HEALTH_CHECKING: "Initial health checks in progress",
    TIMEOUT: "Request timed out",
    FAILED_HEALTH_CHECKS: "Health checks failed",
    NOT_REGISTERED: "Target is not registered to the target group",
    NOT_IN_USE: "Target group is not configured to receive traffic from the load balancer",
    DEREGISTRATION_IN_PROGRESS: "Target deregistration is in progress",
}
ZONE_NOT_ENABLED = "Target is in an Availability Zone that is not enabled for the load balancer"

USER_AGENT = "ELB-HealthChecker/2.0"
# Real seconds a check may take: the cloud timeout scaled to real time, but never so short that a
# busy test machine fails checks, nor, on a paused clock, longer than a learner would wait.
REAL_TIMEOUT_FLOOR = 0.25
REAL_TIMEOUT_PAUSED = 2.0

# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
THRESHOLD_NOTE = "note.threshold"


@dataclass(frozen=True)
class TargetHealth:
    state: str
    reason: str | None = None
    description: str | None = None
    since: float = 0.0  # cloud time it entered `state` (slow start ramps from a target's healthy `since`)

    @classmethod
    def of(cls, state: str, reason: str | None, since: float, description: str | None = None) -> TargetHealth:
        return cls(state, reason, description or DESCRIPTIONS.get(reason or ""), since)

    @classmethod
    def registering(cls, since: float = 0.0) -> TargetHealth:
        return cls.of(INITIAL, REGISTRATION_IN_PROGRESS, since)

    def same(self, other: TargetHealth) -> bool:
        """Equal as DescribeTargetHealth shows it (ignoring when it started)."""
        return (self.state, self.reason, self.description) == (other.state, other.reason, other.description)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str | None = None  # the unhealthy reason code of a failed check
    description: str | None = None
    detail: str = ""  # what happened, for the console


def invalid_state(instance_state: str | None, since: float) -> TargetHealth:
    """unused/Target.InvalidState for an instance that is not running (None: it no longer exists)."""
    if instance_state in ("stopped", "stopping"):
        text = "Target is in the stopped state"
    elif instance_state in (None, "terminated", "shutting-down"):
        text = "Target is in the terminated state"
    else:
        text = "Target is in an invalid state"
    return TargetHealth.of(UNUSED, INVALID_STATE, since, text)


def mismatch(status: int) -> CheckResult:
    return CheckResult(False, RESPONSE_CODE_MISMATCH, f"Health checks failed with these codes: [{status}]",
                       f"the target answered HTTP {status}")


def timed_out(detail: str) -> CheckResult:
    return CheckResult(False, TIMEOUT, DESCRIPTIONS[TIMEOUT], detail)


def failed(detail: str) -> CheckResult:
    return CheckResult(False, FAILED_HEALTH_CHECKS, DESCRIPTIONS[FAILED_HEALTH_CHECKS], detail)


def real_timeout(clock: Clock, cloud_seconds: float) -> float:
    if clock.manual:
        return min(cloud_seconds, REAL_TIMEOUT_PAUSED)
    return max(cloud_seconds / clock.scale, REAL_TIMEOUT_FLOOR)


async def http_check(local_port: int, host: str, path: str, accepts: Callable[[int], bool],
                     limit: float) -> CheckResult:
    """One real health check: a fresh connection, `GET path`, judged by the status line only."""
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
               "Accept-Encoding: gzip, compressed\r\nConnection: close\r\n\r\n").encode("latin-1")
    try:
        async with asyncio.timeout(limit):
            reader, writer = await asyncio.open_connection("127.0.0.1", local_port)
            try:
                writer.write(request)
                status_line = await reader.readline()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except TimeoutError:
        return timed_out(f"no response within the {limit:g} s timeout")
    except OSError as exc:
        return failed(f"connection failed: {exc.strerror or exc}")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not (parts[1].isascii() and parts[1].isdigit()):
        return failed(f"malformed response {status_line[:60]!r}")
    status = int(parts[1])
    return CheckResult(True, detail=f"HTTP {status}") if accepts(status) else mismatch(status)


@dataclass
class Streak:
    """Consecutive results since the last state change."""

    successes: int = 0
    failures: int = 0


def next_health(current: TargetHealth, streak: Streak, result: CheckResult, healthy_after: int,
                unhealthy_after: int, now: float) -> TargetHealth:
    """The threshold state machine: unhealthy after M straight failures; healthy after N straight
    successes, except that a newly registered target needs just one (as the ALB user guide says)."""
    if result.ok:
        streak.successes, streak.failures = streak.successes + 1, 0
        needed = 1 if current.state == INITIAL else healthy_after
        if current.state != HEALTHY and streak.successes >= needed:
            return TargetHealth.of(HEALTHY, None, now)
    else:
        streak.successes, streak.failures = 0, streak.failures + 1
        if current.state == UNHEALTHY or streak.failures >= unhealthy_after:
            # An unhealthy target stays so but reports the latest failure's reason.
            since = current.since if current.state == UNHEALTHY else now
            return TargetHealth.of(UNHEALTHY, result.reason, since, result.description)
    if current.state == INITIAL:
        return TargetHealth.of(INITIAL, INITIAL_HEALTH_CHECKING, current.since)
    return current


Check = Callable[["TargetGroup", "RegisteredTarget"], Awaitable[CheckResult]]
HealthChanged = Callable[["TargetGroup", "RegisteredTarget", TargetHealth, CheckResult | None], None]


class HealthChecker:
    """The health-check loops of one target group, one per target that is in service."""

    def __init__(self, clock: Clock, group: TargetGroup, check: Check, on_change: HealthChanged) -> None:
        self._clock = clock
        self._group = group
        self._check = check
        self._on_change = on_change
        self._loops: dict[tuple[str, int], asyncio.Task[None]] = {}

    def checking(self, key: tuple[str, int]) -> bool:
        return key in self._loops

    def start(self, target: RegisteredTarget) -> None:
        if target.key not in self._loops:
            task = self._clock.spawn(self._run(target), name=f"health-{self._group.name}-{target.id}")
            self._loops[target.key] = task

    def stop(self, key: tuple[str, int]) -> None:
        task = self._loops.pop(key, None)
        if task is not None:
            task.cancel()

    def restart(self) -> None:
        """New settings: every loop starts over on the new interval, keeping each target's state."""
        targets = [self._group.targets[key] for key in self._loops if key in self._group.targets]
        self.stop_all()
        for target in targets:
            self.start(target)

    def stop_all(self) -> list[asyncio.Task[None]]:
        """Cancel every loop; returns the tasks, for a caller that must wait for them to end."""
        tasks = list(self._loops.values())
        for key in list(self._loops):
            self.stop(key)
        return tasks

    async def _run(self, target: RegisteredTarget) -> None:
        clock = self._clock
        streak = Streak()
        next_at = clock.now()
        if target.health.reason == REGISTRATION_IN_PROGRESS:
            self._on_change(self._group, target, TargetHealth.of(INITIAL, INITIAL_HEALTH_CHECKING, clock.now()), None)
        while True:
            # Checks keep their cadence however long each takes (each result lasts an interval).
            settings = self._group.health_check
            next_at += settings.interval_seconds
            await clock.sleep(max(0.0, next_at - clock.now()))
            result = await self._check(self._group, target)
            new = next_health(target.health, streak, result, settings.healthy_threshold_count,
                              settings.unhealthy_threshold_count, clock.now())
            self._on_change(self._group, target, new, result)
