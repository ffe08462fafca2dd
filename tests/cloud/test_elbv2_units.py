"""Pure pieces of the ELBv2 emulation: the health state machine, algorithms, metrics, cookies."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from mock_cloud.elbv2 import health
from mock_cloud.elbv2.balancing import TargetPicker, pick_group
from mock_cloud.elbv2.health import CheckResult, TargetHealth, next_health
from mock_cloud.elbv2.listener_rules import TargetGroupTuple
from mock_cloud.elbv2.metrics import Metrics, minute_of
from mock_cloud.elbv2.stickiness import CookieCodec, request_cookie
from mock_cloud.elbv2.target_group import (
    HealthCheckSettings,
    RegisteredTarget,
    TargetGroup,
    apply_attributes,
    parse_matcher,
)
from mock_cloud.errors import CloudError

OK = CheckResult(True)
NOT_FOUND = health.mismatch(404)


def run(results: list[CheckResult], start: TargetHealth, healthy: int = 5, unhealthy: int = 2) -> list[str]:
    streak = health.Streak()
    current, seen = start, []
    for index, result in enumerate(results):
        current = next_health(current, streak, result, healthy, unhealthy, float(index))
        seen.append(current.state)
    return seen


def test_thresholds_need_consecutive_results() -> None:
    fresh = TargetHealth.registering()
    # A newly registered target needs one passing check (ALB user guide); two failures make it unhealthy.
    assert run([OK, OK], fresh) == ["healthy", "healthy"]
    assert run([NOT_FOUND, OK], fresh) == ["initial", "healthy"]
    # Once unhealthy, it takes HealthyThresholdCount (5) straight passes to come back.
    assert run([NOT_FOUND, NOT_FOUND] + [OK] * 5, fresh) == ["initial"] + ["unhealthy"] * 5 + ["healthy"]
    well = TargetHealth.of(health.HEALTHY, None, 0.0)
    assert run([NOT_FOUND, OK, NOT_FOUND, NOT_FOUND], well) == ["healthy", "healthy", "healthy", "unhealthy"]
    sick = TargetHealth.of(health.UNHEALTHY, health.TIMEOUT, 0.0)
    assert run([OK, OK, NOT_FOUND], sick, healthy=2) == ["unhealthy", "healthy", "healthy"]
    last = next_health(sick, health.Streak(), NOT_FOUND, 5, 2, 1.0)
    assert (last.reason, last.description, last.since) == (
        "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]", 0.0)


def test_matcher_syntax() -> None:
    assert parse_matcher("200,202-204") == [(200, 200), (202, 204)]
    settings = HealthCheckSettings(matcher="200-299")
    assert settings.accepts(204) and not settings.accepts(301)


@pytest.mark.parametrize("bad", ["", "2OO", "300-200", "199", "500", "200,"])
def test_a_bad_matcher_is_refused(bad: str) -> None:
    with pytest.raises(CloudError):
        parse_matcher(bad)


def group(**attributes: str) -> TargetGroup:
    tg = TargetGroup("arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/t/0123456789abcdef",
                     "t", "HTTP", 80, "vpc-1", "instance", "HTTP1", HealthCheckSettings(), 0.0)
    tg.attributes = apply_attributes(tg.attributes, attributes, tg.protocol)
    return tg


def targets(count: int, healthy_since: float = 0.0) -> list[RegisteredTarget]:
    made = []
    for index in range(count):
        target = RegisteredTarget(f"i-{index}", 80, "ap-northeast-2a", 0.0)
        target.health = TargetHealth.of(health.HEALTHY, None, healthy_since)
        made.append(target)
    return made


def test_round_robin_and_least_outstanding_requests() -> None:
    picker, pool = TargetPicker(random.Random(1)), targets(3)
    rr = group()
    assert [picker.pick(rr, pool, 0.0).id for _ in range(6)] == ["i-1", "i-2", "i-0", "i-1", "i-2", "i-0"]
    lor = group(**{"load_balancing.algorithm.type": "least_outstanding_requests"})
    picker.started(("i-0", 80))
    picker.started(("i-1", 80))
    assert picker.pick(lor, pool, 0.0).id == "i-2"
    picker.started(("i-2", 80))
    picker.finished(("i-1", 80))
    assert picker.pick(lor, pool, 0.0).id == "i-1"


def test_weighted_random_and_slow_start() -> None:
    picker = TargetPicker(random.Random(7))
    wr = group(**{"load_balancing.algorithm.type": "weighted_random"})
    counts = Counter(picker.pick(wr, targets(2), 0.0).id for _ in range(1000))
    assert 400 < counts["i-0"] < 600
    slow = group(**{"slow_start.duration_seconds": "100"})
    veteran, newcomer = targets(1, healthy_since=-1000.0)[0], targets(1, healthy_since=0.0)[0]
    newcomer.id = "i-new"
    counts = Counter(picker.pick(slow, [veteran, newcomer], 25.0).id for _ in range(2000))
    assert 0.15 < counts["i-new"] / counts["i-0"] < 0.35  # a quarter of a full share after a quarter of the ramp
    assert Counter(picker.pick(slow, [veteran, newcomer], 200.0).id for _ in range(100))["i-new"] == 50


def test_target_group_weights() -> None:
    rng = random.Random(3)
    tuples = [TargetGroupTuple("a", 3), TargetGroupTuple("b", 1)]
    counts = Counter(pick_group(tuples, rng) for _ in range(4000))
    assert 2800 < counts["a"] < 3200
    assert pick_group([TargetGroupTuple("a", 0), TargetGroupTuple("b", 0)], rng) is None
    assert pick_group([TargetGroupTuple("only")], rng) == "only"


def test_metrics_sum_average_and_carry_gauges_forward() -> None:
    metrics, dims, start = Metrics(), (("LoadBalancer", "app/x/1"),), 1_767_225_600.0
    minute = minute_of(start)
    metrics.add(dims, "RequestCount", 1, minute)
    metrics.add(dims, "RequestCount", 2, minute)
    metrics.average(dims, "TargetResponseTime", 0.1, minute)
    metrics.average(dims, "TargetResponseTime", 0.3, minute)
    tg = (("TargetGroup", "targetgroup/t/1"),)
    metrics.gauge(tg, "HealthyHostCount", 2, minute)
    later = start + 180
    assert metrics.series({"LoadBalancer": "app/x/1"}, "RequestCount", 15, later) == [(minute, 3.0)]
    assert metrics.series({"LoadBalancer": "app/x/1"}, "TargetResponseTime", 15, later) == [(minute, 0.2)]
    gauge = metrics.series({"TargetGroup": "targetgroup/t/1", "LoadBalancer": "app/x/1"}, "HealthyHostCount", 3,
                           later)
    assert gauge == [(minute + 60, 2), (minute + 120, 2), (minute + 180, 2)]
    metrics.forget({"TargetGroup": "targetgroup/t/1"})
    assert metrics.series({"TargetGroup": "targetgroup/t/1"}, "HealthyHostCount", 3, later) == []


def test_stickiness_cookies_cannot_be_forged() -> None:
    codec = CookieCodec(b"k" * 32)
    value = codec.encode("arn:tg", "i-1", "80")
    assert codec.decode(value) == ["arn:tg", "i-1", "80"]
    assert CookieCodec(b"x" * 32).decode(value) is None
    assert codec.decode("not base64!") is None
    assert request_cookie(f"a=1; AWSALB={value}; b=2", "AWSALB") == value
    assert request_cookie("AWSALBCORS=zz", "AWSALB") is None
