"""A listener's fast lane: the routing of the most common listener worked out once, not per request.

A listener whose only rule is its default one, forwarding to one target group that is neither sticky nor
slow-starting and balances by round robin, decides every request the same way but for the turn of the
round robin: no condition reads the request, and the group's eligible targets, their instances and whether
the security groups let the balancer reach them change only when something in the cloud changes. The lane
holds, for each eligible target in turn, the `RouteDecision` the full route would make and a `Forward` to
it; a request then costs one turn of the round robin and one look at where the instance's port is served.

It is valid while no event has been published and the group's eligible targets are the same object
(the data plane replaces them on every health or registration change); anything else builds it again.
Whatever it does not cover (rules to match, stickiness, another algorithm, a target the balancer cannot
reach or whose instance is gone, nothing listening on the port) is left to the full route, which knows
every reason code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_cloud.ec2.instance import Instance
from mock_cloud.elbv2.balancing import TargetPicker
from mock_cloud.elbv2.exchange import RouteDecision
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.listener_rules import FORWARD, Action
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.plane import DataPlane, Eligible
from mock_cloud.elbv2.proxy import Forward
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup


@dataclass(slots=True)
class LaneEntry:
    """One eligible target: the decision every request sent to it shares (never changed once built)."""

    target: RegisteredTarget
    instance: Instance
    decision: RouteDecision
    forward: Forward | None = None  # to the port the instance's server had when last asked


@dataclass(slots=True)
class Lane:
    published: int  # the cloud's event count it was built at
    group: TargetGroup | None = None
    eligible: Eligible | None = None
    picker: TargetPicker | None = None
    entries: list[LaneEntry] = field(default_factory=list)  # empty: the listener has no fast lane now


def build_lane(plane: DataPlane, lb: LoadBalancer, listener: Listener) -> Lane:
    """The lane for the listener as the cloud is now (empty when the full route is needed)."""
    lane = Lane(plane.ctx.events.published)
    rules = listener.rules
    if len(rules) != 1:
        return lane
    rule = rules[0]
    action = rule.actions[-1]
    arn = _only_group(action)
    group = plane.groups.get(arn) if arn is not None else None
    if group is None:
        return lane
    lane.group, lane.eligible = group, plane.eligible.get(group.arn)
    lane.picker = picker = plane.pickers[group.arn]
    routing = picker.routing(group)
    plain = (routing.algorithm == "round_robin" and not routing.slow_start and routing.sticky_seconds is None
             and routing.app_cookie is None)
    if not plain or lane.eligible is None or not lane.eligible.targets:
        return lane
    eligible = lane.eligible
    entries = []
    for target in eligible.targets:
        instance = plane.instance_of(target.id)
        if instance is None:
            return lane
        reach = plane.reach(lb, instance, target.port)
        if not reach.allowed:
            return lane
        decision = RouteDecision(listener.arn, rule, None, FORWARD, group, target, instance.private_ip,
                                 routing.algorithm, target.health.state, eligible.fail_open, len(eligible.targets),
                                 reach=reach.reason)
        entries.append(LaneEntry(target, instance, decision))
    lane.entries = entries
    return lane


def _only_group(action: Action) -> str | None:
    """The target group of a forward to exactly one group (no weights to draw, no group stickiness to read)."""
    if action.type != FORWARD:
        return None
    config = action.forward_config
    if config is None:
        return action.target_group_arn
    groups = config.target_groups
    return groups[0].arn if len(groups) == 1 and groups[0].weight != 0 else None
