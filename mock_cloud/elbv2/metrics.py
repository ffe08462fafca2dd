"""CloudWatch-style metrics of the AWS/ApplicationELB namespace, in per-minute buckets of cloud time.

Counters are summed per minute; TargetResponseTime is averaged; host counts and active
connections are gauges (the last value of a minute, carried forward while nothing changes).
As on CloudWatch, a counter that saw no traffic in a minute has no datapoint for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_cloud.elbv2.exchange import RouteDecision
    from mock_cloud.elbv2.proxy import ExchangeRecord
    from mock_cloud.elbv2.target_group import TargetGroup

NAMESPACE = "AWS/ApplicationELB"
RETENTION_MINUTES = 24 * 60

# What the console can chart, per level (all but the gauges and TargetResponseTime are per-minute sums).
LB_METRICS = (
    "RequestCount", "ProcessedBytes", "NewConnectionCount",
    "HTTPCode_ELB_3XX_Count", "HTTPCode_ELB_4XX_Count", "HTTPCode_ELB_5XX_Count",
    "HTTPCode_ELB_500_Count", "HTTPCode_ELB_502_Count", "HTTPCode_ELB_503_Count", "HTTPCode_ELB_504_Count",
    "HTTPCode_Target_2XX_Count", "HTTPCode_Target_3XX_Count", "HTTPCode_Target_4XX_Count",
    "HTTPCode_Target_5XX_Count", "HTTP_Fixed_Response_Count", "HTTP_Redirect_Count",
    "TargetResponseTime", "ActiveConnectionCount",
)
TG_METRICS = ("RequestCount", "RequestCountPerTarget", "TargetConnectionErrorCount", "HTTPCode_Target_2XX_Count",
              "HTTPCode_Target_3XX_Count", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count",
              "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount")
AVERAGES = frozenset({"TargetResponseTime"})
GAUGES = frozenset({"HealthyHostCount", "UnHealthyHostCount", "ActiveConnectionCount"})
# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
METRIC_NOTE = "note.metrics"

Dims = tuple[tuple[str, str], ...]
PENDING_LIMIT = 1024  # kinds of exchanges held before they are counted even though nobody reads
_ACTION_COUNTERS = {"redirect": "HTTP_Redirect_Count", "fixed-response": "HTTP_Fixed_Response_Count"}
# Counter names by status class, made once rather than formatted for every request.
_TARGET_CODES = {n: f"HTTPCode_Target_{n}XX_Count" for n in range(10)}
_ELB_CODES = {n: f"HTTPCode_ELB_{n}XX_Count" for n in range(3, 6)}
_ELB_STATUSES = {n: f"HTTPCode_ELB_{n}_Count" for n in (500, 502, 503, 504)}


def dims_key(dims: Mapping[str, str]) -> Dims:
    """Target group metrics are keyed by the group alone: in ALB a group serves one balancer."""
    if "TargetGroup" in dims:
        return (("TargetGroup", dims["TargetGroup"]),)
    return tuple(sorted(dims.items()))


def minute_of(now: float) -> int:
    return int(now // 60) * 60


class Metrics:
    def __init__(self) -> None:
        self._points: dict[tuple[Dims, str], dict[int, float]] = {}
        self._samples: dict[tuple[Dims, str], dict[int, int]] = {}  # datapoints averaged per minute
        # Finished exchanges not counted yet, by everything their metrics depend on: a request through the
        # balancer costs one dict update; they are counted in bulk before anything reads (see count_exchange).
        self._pending: dict[tuple[Any, ...], PendingExchanges] = {}

    def add(self, dims: Dims, name: str, value: float, minute: int) -> None:
        points = self._points.get((dims, name))
        if points is not None and minute in points:
            points[minute] += value  # the usual case, without the bookkeeping of a new minute
        else:
            self._series(dims, name, minute)[minute] = float(value)

    def average(self, dims: Dims, name: str, value: float, minute: int, count: int = 1) -> None:
        """`count` datapoints whose values add up to `value` join the minute's average."""
        key = (dims, name)
        points = self._points.get(key)
        if points is None or minute not in points:
            points = self._series(dims, name, minute)
        samples = self._samples.get(key)
        if samples is None:
            samples = self._samples[key] = {}
        seen = samples.get(minute, 0)
        points[minute] = (points.get(minute, 0.0) * seen + value) / (seen + count)
        samples[minute] = seen + count

    def gauge(self, dims: Dims, name: str, value: float, minute: int) -> None:
        self._series(dims, name, minute)[minute] = value

    def peak(self, dims: Dims, name: str, value: float, minute: int) -> None:
        points = self._series(dims, name, minute)
        points[minute] = max(points.get(minute, 0.0), value)

    def series(self, dims: Mapping[str, str], name: str, minutes: int, now: float) -> list[tuple[int, float]]:
        """(minute epoch, value) for the last `minutes` minutes that have data, oldest first."""
        self._count_pending()
        points = self._points.get((dims_key(dims), name), {})
        last = minute_of(now)
        first = last - 60 * (minutes - 1)
        window = [(m, v) for m, v in sorted(points.items()) if first <= m <= last]
        if name not in GAUGES:
            return window
        # A gauge holds its value until it changes: fill every minute from the last known one.
        value = None
        for minute, point in sorted(points.items()):
            if minute < first:
                value = point
        known = dict(window)
        filled = []
        for minute in range(first, last + 60, 60):
            value = known.get(minute, value)
            if value is not None:
                filled.append((minute, value))
        return filled

    def forget(self, dims: Mapping[str, str]) -> None:
        self._count_pending()
        key = dims_key(dims)
        for store in (self._points, self._samples):
            for series in [k for k in store if k[0] == key]:
                del store[series]

    def _series(self, dims: Dims, name: str, minute: int) -> dict[int, float]:
        points = self._points.get((dims, name))
        if points is None:  # not setdefault: that would build an empty dict on every call
            points = self._points[dims, name] = {}
        elif minute not in points and len(points) > RETENTION_MINUTES:
            cutoff = minute - 60 * RETENTION_MINUTES
            for old in [m for m in points if m < cutoff]:
                del points[old]
        return points


    def count_exchange(self, minute: int, lb: Dims, record: ExchangeRecord, decision: RouteDecision | None) -> None:
        """One finished exchange, held with the others of its kind (same minute, group, statuses, action) until
        anything reads the metrics: one dict update per request instead of a handful of series updates."""
        if decision is None:
            group, chosen, eligible, action = None, False, 0, "-"
        else:
            group, chosen, eligible = decision.group, decision.target is not None, decision.eligible
            action = decision.action
        key = (minute, lb, group.arn if group is not None else None, chosen, eligible, record.target_status,
               record.elb_status, action, record.error_reason)
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= PENDING_LIMIT:
                self._count_pending()
            pending = self._pending[key] = PendingExchanges(minute, lb, group, chosen, eligible, record.target_status,
                                                            record.elb_status, action, record.error_reason)
        pending.requests += 1
        pending.processed_bytes += record.received_bytes + record.sent_bytes
        pending.target_time += record.target_processing_time

    def _count_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for held in pending.values():
            held.count(self)


@dataclass(slots=True)
class PendingExchanges:
    """Finished exchanges of one kind not counted yet: how many, their bytes and their total target time."""

    minute: int
    lb: Dims
    group: TargetGroup | None
    chosen: bool  # the balancer could choose a target
    eligible: int  # among how many targets
    status: int | None  # the target's
    elb: int  # the balancer's own status when the target gave none
    action: str
    error: str | None
    requests: int = 0
    processed_bytes: int = 0
    target_time: float = 0.0

    def count(self, metrics: Metrics) -> None:
        """The per-request metrics of these exchanges."""
        add, n, minute, lb = metrics.add, self.requests, self.minute, self.lb
        add(lb, "ProcessedBytes", self.processed_bytes, minute)
        group_dims = (("TargetGroup", self.group.dimension),) if self.group is not None else None
        if self.chosen:
            # RequestCount only counts requests for which the balancer could choose a target.
            add(lb, "RequestCount", n, minute)
            if group_dims is not None:
                add(group_dims, "RequestCount", n, minute)
                add(group_dims, "RequestCountPerTarget", n / max(1, self.eligible), minute)
        if self.status is not None:
            name = _TARGET_CODES[self.status // 100]
            add(lb, name, n, minute)
            metrics.average(lb, "TargetResponseTime", self.target_time, minute, n)
            if group_dims is not None:
                add(group_dims, name, n, minute)
                metrics.average(group_dims, "TargetResponseTime", self.target_time, minute, n)
            return
        if 300 <= self.elb < 600:
            add(lb, _ELB_CODES[self.elb // 100], n, minute)
            if self.elb in _ELB_STATUSES:
                add(lb, _ELB_STATUSES[self.elb], n, minute)
        if self.action in _ACTION_COUNTERS:
            add(lb, _ACTION_COUNTERS[self.action], n, minute)
        if group_dims is not None and self.error == "TargetConnectionError":
            add(group_dims, "TargetConnectionErrorCount", n, minute)
