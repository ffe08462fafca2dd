"""Choosing where a request goes: a target group by weight, then a target by the group's algorithm.

Called once per request, so everything here is a few list operations on targets already known
to be eligible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from mock_cloud.elbv2.listener_rules import TargetGroupTuple
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup

# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
SLOW_START_NOTE = "note.attr.slow_start.duration_seconds"


def pick_group(groups: Sequence[TargetGroupTuple], rng: random.Random) -> str | None:
    """A forward action's target group, at random in proportion to the weights (None: all weights 0)."""
    if len(groups) == 1:
        return groups[0].arn if groups[0].weight != 0 else None
    weights = [1 if g.weight is None else g.weight for g in groups]
    if not any(weights):
        return None
    return rng.choices(groups, weights)[0].arn


@dataclass(frozen=True, slots=True)
class Routing:
    """The attributes of a target group that every request reads, parsed once per change rather than per request."""

    attributes: dict[str, str]  # the dict they were read from: a change replaces it (never edits it in place)
    algorithm: str
    slow_start: int
    sticky_seconds: int | None  # duration-based stickiness (lb_cookie)
    app_cookie: tuple[str, int] | None  # application-based stickiness: the application's cookie, the duration

    @classmethod
    def of(cls, group: TargetGroup) -> Routing:
        return cls(group.attributes, group.algorithm, group.slow_start, group.sticky_seconds, group.app_cookie)


class TargetPicker:
    """One target group's routing state: its routing attributes, the round-robin position and in-flight
    request counts."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next = 0
        self._routing: Routing | None = None
        self.outstanding: dict[tuple[str, int], int] = {}

    def routing(self, group: TargetGroup) -> Routing:
        routing = self._routing
        if routing is None or routing.attributes is not group.attributes:
            routing = self._routing = Routing.of(group)
        return routing

    def pick(self, group: TargetGroup, candidates: Sequence[RegisteredTarget], now: float) -> RegisteredTarget:
        routing = self.routing(group)
        ramp = routing.slow_start
        if ramp:
            weights = [min(1.0, (now - t.health.since) / ramp) for t in candidates]
            if 0 < sum(weights) < len(weights):
                return self._rng.choices(candidates, weights)[0]
        algorithm = routing.algorithm
        if algorithm == "weighted_random":
            return self._rng.choice(candidates)
        if algorithm == "least_outstanding_requests":
            fewest = min(self.outstanding.get(t.key, 0) for t in candidates)
            candidates = [t for t in candidates if self.outstanding.get(t.key, 0) == fewest]
        return candidates[self.next_turn(len(candidates))]

    def next_turn(self, candidates: int) -> int:
        """The round robin's next position (one turn shared by `pick` and a listener's fast lane)."""
        self._next += 1
        return self._next % candidates

    def started(self, key: tuple[str, int]) -> None:
        self.outstanding[key] = self.outstanding.get(key, 0) + 1

    def finished(self, key: tuple[str, int]) -> None:
        left = self.outstanding.get(key, 0) - 1
        if left > 0:
            self.outstanding[key] = left
        else:
            self.outstanding.pop(key, None)
