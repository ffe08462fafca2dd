"""The routing brain of each listener: the `route` and `on_complete` callbacks of its ListenerServer.

`route` runs once per request, inside the engine's data_received: it matches the rules, picks a
target group and a target, checks that the security groups let the balancer reach the target,
and answers Forward or Respond. Everything it needs is precomputed by the service (sorted rules,
each group's eligible targets) or cached (security-group decisions), so a request costs a rule
match, a choice and a few dict lookups; on a listener with a fast lane (lane.py: one rule, one plain
round-robin group, the seed lab's), one turn of the round robin.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from mock_cloud.ec2.instance import Instance
from mock_cloud.elbv2 import health
from mock_cloud.elbv2.balancing import Routing, pick_group
from mock_cloud.elbv2.exchange import (
    HOP_HTTPD,
    HOP_INSTANCE_SG,
    HOP_TARGET_GROUP,
    Exchange,
    History,
    RouteDecision,
)
from mock_cloud.elbv2.lane import Lane, LaneEntry, build_lane
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.listener_rules import (
    FORWARD,
    REDIRECT,
    Action,
    RequestInfo,
    Rule,
    TargetGroupTuple,
    parse_query,
    render_redirect,
    select_rule,
)
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.metrics import minute_of
from mock_cloud.elbv2.plane import DataPlane, Eligible
from mock_cloud.elbv2.proxy import ExchangeRecord, Forward, ListenerServer, RequestHead, Respond
from mock_cloud.elbv2.proxy_http import error_page
from mock_cloud.elbv2.stickiness import (
    APP_COOKIE,
    APP_COOKIE_REMOVED,
    GROUP_COOKIE,
    GROUP_CORS_COOKIE,
    TARGET_COOKIE,
    TARGET_CORS_COOKIE,
    app_cookie_headers,
    request_cookie,
    response_sets_cookie,
    set_cookie_headers,
)
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup

# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
SG_TIMEOUT_NOTE = "note.sg_timeout"

def _alb_page(status: int, reason: str, decision: RouteDecision) -> Respond:
    """ALB's own error page, carrying the decision for logs and traces."""
    return Respond(status, [("Content-Type", "text/html")], error_page(status), reason, decision)


class ListenerRouter:
    """route() and on_complete() for one listener."""

    def __init__(self, plane: DataPlane, lb: LoadBalancer, listener: Listener, history: History) -> None:
        self.plane = plane
        self.lb = lb
        self.listener = listener
        self.history = history
        self.server: ListenerServer | None = None
        self._lb_dims = (("LoadBalancer", lb.dimension),)
        self._connections_seen = 0
        self._peak_minute, self._peak = -1, -1  # the highest ActiveConnectionCount recorded, and when
        self._lane = Lane(-1)

    # -- route ------------------------------------------------------------------------------------
    def route(self, head: RequestHead) -> Forward | Respond:
        """The fast lane when the listener has one (lane.py), else the full route."""
        lane, plane = self._lane, self.plane
        if lane.published != plane.ctx.events.published or (
                lane.group is not None and plane.eligible.get(lane.group.arn) is not lane.eligible):
            lane = self._lane = build_lane(plane, self.lb, self.listener)
        entries = lane.entries
        if not entries:
            return self._route(head)
        assert lane.picker is not None
        entry = entries[lane.picker.next_turn(len(entries))]
        target = entry.target
        local = entry.instance.local_port(target.port)
        forward = entry.forward
        if forward is not None and forward.port == local:
            return forward
        if local is None:  # nothing listens there now: the full route's refusal, retry and reason code
            assert lane.group is not None and lane.eligible is not None
            return self._dispatch(lane.group, target, lane.eligible.targets, copy.copy(entry.decision), [])
        entry.forward = forward = Forward("127.0.0.1", local, f"{entry.instance.private_ip}:{target.port}",
                                          retry=self._lane_retry(lane, entry), context=entry.decision)
        return forward

    def _lane_retry(self, lane: Lane, entry: LaneEntry) -> Callable[[], Forward | None]:
        """The full route's retry, on a decision of its own (the lane's is shared by many requests)."""
        group, eligible = lane.group, lane.eligible
        assert group is not None and eligible is not None
        return lambda: self._retry(group, entry.target, eligible.targets, copy.copy(entry.decision), [])()

    def _route(self, head: RequestHead) -> Forward | Respond:
        listener = self.listener
        rules = listener.rules
        rule: Rule | None
        if len(rules) == 1:  # only the default rule: nothing to match
            info, rule = None, rules[0]
        else:
            info = RequestInfo(head.method, head.header("host"), head.path,
                               parse_query(head.query) if head.query else (), head.headers, head.client_ip)
            rule = select_rule(rules, info)
        decision = RouteDecision(listener.arn, rule, info)
        if rule is None:  # cannot happen: every listener has its default rule
            return _alb_page(500, "NoRule", decision)
        action = rule.actions[-1]
        decision.action = action.type
        if action.type == FORWARD:
            return self._forward(head, action, decision)
        if action.type == REDIRECT:
            return self._redirect(head, action, decision)
        fixed = action.fixed_response_config
        assert fixed is not None
        body = (fixed.message_body or "").encode("utf-8")
        return Respond(fixed.http_status, [("Content-Type", fixed.content_type or "text/plain")], body,
                       "fixed-response", decision)

    def _redirect(self, head: RequestHead, action: Action, decision: RouteDecision) -> Respond:
        config = action.redirect_config
        assert config is not None
        info = decision.request or RequestInfo(head.method, head.header("host"), head.path)
        url = render_redirect(config, head.scheme, info.hostname or self.lb.dns_name, head.listener_port, head.path,
                              head.query)
        decision.redirect_url = url
        status = config.http_status
        return Respond(status, [("Location", url), ("Content-Type", "text/html")], error_page(status), "redirect",
                       decision)

    def _forward(self, head: RequestHead, action: Action, decision: RouteDecision) -> Forward | Respond:
        plane = self.plane
        cookies: list[tuple[str, str]] = []
        if action.forward_config is None:  # one target group, no weights: nothing to choose
            arn = action.target_group_arn
        else:
            arn, cookies = self._choose_group(head, action, decision)
        group = plane.groups.get(arn) if arn is not None else None
        if group is None:
            return _alb_page(503, "NoTargetGroup", decision.stop(
                HOP_TARGET_GROUP, health.NOT_REGISTERED, "HTTP 503: every target group of the action has weight 0"))
        picker = plane.pickers[group.arn]
        routing = picker.routing(group)
        decision.group, decision.algorithm = group, routing.algorithm
        eligible = plane.eligible.get(group.arn)
        if eligible is None or not eligible.targets:
            eligible = eligible or Eligible()
            return _alb_page(503, "NoRegisteredTargets", decision.stop(
                HOP_TARGET_GROUP, eligible.empty_code, f"HTTP 503: {eligible.empty_detail}"))
        decision.fail_open, decision.eligible = eligible.fail_open, len(eligible.targets)
        target = None
        if routing.sticky_seconds is not None or routing.app_cookie is not None:
            target = self._sticky_target(head, group, routing, eligible.targets, decision)
            decision.sticky = target is not None
        if target is None:
            # The cloud clock matters to the choice only while slow start ramps targets up.
            target = picker.pick(group, eligible.targets, plane.ctx.clock.now() if routing.slow_start else 0.0)
        return self._dispatch(group, target, eligible.targets, decision, cookies)

    def _choose_group(self, head: RequestHead, action: Action,
                      decision: RouteDecision) -> tuple[str | None, list[tuple[str, str]]]:
        """The action's target group (by weight, or by the AWSALBTG cookie), and the cookies to set."""
        config = action.forward_config
        assert config is not None
        groups, sticky, plane = config.target_groups, config.stickiness, self.plane
        if sticky is None or not sticky.enabled or len(groups) < 2:
            return pick_group(groups, plane.rng), []
        arn = self._sticky_group(head, groups, decision) or pick_group(groups, plane.rng)
        if arn is None:
            return None, []
        expires = plane.ctx.clock.now() + (sticky.duration_seconds or 0)
        return arn, set_cookie_headers(GROUP_COOKIE, GROUP_CORS_COOKIE, plane.codec.encode("tg", arn), expires)

    def _dispatch(self, group: TargetGroup, target: RegisteredTarget, candidates: list[RegisteredTarget],
                  decision: RouteDecision, cookies: list[tuple[str, str]]) -> Forward | Respond:
        plane = self.plane
        instance = plane.instance_of(target.id)
        decision.target, decision.health = target, target.health.state
        if instance is None:
            return self._refused(group, target, candidates, decision, cookies, f"{target.id} no longer exists")
        decision.target_ip = instance.private_ip
        reach = plane.reach(self.lb, instance, target.port)
        decision.reach = reach.reason
        if not reach.allowed:
            detail = f"{reach.reason}: the connection attempt times out, and the balancer answers 504"
            return _alb_page(504, "TargetConnectionError", decision.stop(HOP_INSTANCE_SG, health.TIMEOUT, detail))
        local = instance.local_port(target.port)
        if local is None:
            return self._refused(group, target, candidates, decision, cookies,
                                 f"connection refused: nothing listens on port {target.port} of {target.id}")
        return self._send(group, target, instance, local, decision, cookies,
                          self._retry(group, target, candidates, decision, cookies))

    def _send(self, group: TargetGroup, target: RegisteredTarget, instance: Instance, local: int,
              decision: RouteDecision, cookies: list[tuple[str, str]],
              retry: Callable[[], Forward | None] | None) -> Forward:
        plane = self.plane
        decision.target, decision.health, decision.target_ip = target, target.health.state, instance.private_ip
        headers = cookies
        picker = plane.pickers[group.arn]
        routing = picker.routing(group)
        if routing.sticky_seconds is not None:
            value = plane.codec.encode(group.arn, target.id, str(target.port))
            headers = cookies + set_cookie_headers(TARGET_COOKIE, TARGET_CORS_COOKIE, value,
                                                   plane.ctx.clock.now() + routing.sticky_seconds)
        picker.started(target.key)
        decision.in_flight = True
        app = routing.app_cookie
        return Forward("127.0.0.1", local, f"{instance.private_ip}:{target.port}", add_response_headers=headers,
                       response_headers=self._app_cookie(group, target, app, decision) if app is not None else None,
                       retry=retry, context=decision)

    def _app_cookie(self, group: TargetGroup, target: RegisteredTarget, app: tuple[str, int],
                    decision: RouteDecision) -> Callable[[bytes], list[tuple[str, str]]]:
        """Application-based stickiness: AWSALBAPP follows the target's answer. A new application cookie starts
        a stickiness period; a stuck session keeps its period; otherwise the AWSALBAPP parts are removed."""
        name, duration = app
        until = decision.sticky_until if decision.sticky else None
        plane = self.plane

        def headers(response_head: bytes) -> list[tuple[str, str]]:
            now = plane.ctx.clock.now()
            stuck_until = now + duration if response_sets_cookie(response_head, name) else until
            if stuck_until is None:
                return app_cookie_headers(None, now)
            value = plane.codec.encode(group.arn, target.id, str(target.port), f"{stuck_until:.0f}")
            return app_cookie_headers(value, now)

        return headers

    def _refused(self, group: TargetGroup, target: RegisteredTarget, candidates: list[RegisteredTarget],
                 decision: RouteDecision, cookies: list[tuple[str, str]], detail: str) -> Forward | Respond:
        """Nothing listens on the target: like a refused connection, try another target once, else 502."""
        other = self._retry(group, target, candidates, decision, cookies)()
        if other is not None:
            return other
        return _alb_page(502, "TargetConnectionError",
                         decision.stop(HOP_HTTPD, health.FAILED_HEALTH_CHECKS, f"HTTP 502: {detail}"))

    def _retry(self, group: TargetGroup, failed: RegisteredTarget, candidates: list[RegisteredTarget],
               decision: RouteDecision, cookies: list[tuple[str, str]]) -> Callable[[], Forward | None]:
        """Another target for a request whose target refused the connection (asked at most once)."""

        def retry() -> Forward | None:
            plane = self.plane
            picker = plane.pickers[group.arn]
            if decision.in_flight:
                picker.finished(failed.key)
                decision.in_flight = False
            usable = {}
            for target in candidates:
                instance = plane.instance_of(target.id)
                if target.key == failed.key or instance is None:
                    continue
                local = instance.local_port(target.port)
                if local is not None and plane.reach(self.lb, instance, target.port).allowed:
                    usable[target.key] = (instance, local)
            if not usable:
                return None
            chosen = picker.pick(group, [t for t in candidates if t.key in usable], plane.ctx.clock.now())
            instance, local = usable[chosen.key]
            return self._send(group, chosen, instance, local, decision, cookies, None)

        return retry

    def _sticky_group(self, head: RequestHead, groups: list[TargetGroupTuple], decision: RouteDecision) -> str | None:
        value = request_cookie(head.header("cookie"), GROUP_COOKIE)
        if value is None:
            return None
        fields = self.plane.codec.decode(value)
        if fields is None or len(fields) != 2 or fields[0] != "tg":
            decision.error_reason = "AWSALBTGCookieInvalid"
            return None
        return fields[1] if any(g.arn == fields[1] and g.weight != 0 for g in groups) else None

    def _sticky_target(self, head: RequestHead, group: TargetGroup, routing: Routing,
                       candidates: list[RegisteredTarget], decision: RouteDecision) -> RegisteredTarget | None:
        fields = self._sticky_fields(head, group, routing)
        if fields is None or fields[0] != group.arn:
            return None
        if len(fields) == 4:
            decision.sticky_until = float(fields[3])
        # Honoured only while that target can still be chosen (healthy, or in the fail-open set).
        key = (fields[1], int(fields[2]) if fields[2].isascii() and fields[2].isdigit() else -1)
        return next((t for t in candidates if t.key == key), None)

    def _sticky_fields(self, head: RequestHead, group: TargetGroup, routing: Routing) -> list[str] | None:
        """The stickiness cookie's fields (group, target, port[, stuck until]) when the group is sticky."""
        if routing.sticky_seconds is not None:
            value = request_cookie(head.header("cookie"), TARGET_COOKIE)
            fields = self.plane.codec.decode(value) if value else None
            return fields if fields is not None and len(fields) == 3 else None
        app = routing.app_cookie
        if app is None:
            return None
        cookies = head.header("cookie")
        if request_cookie(cookies, app[0]) is None:
            return None  # application-based stickiness needs the application's own cookie as well
        value = request_cookie(cookies, f"{APP_COOKIE}-0")
        fields = self.plane.codec.decode(value) if value and value != APP_COOKIE_REMOVED else None
        if fields is None or len(fields) != 4 or not fields[3].isdigit():
            return None
        return fields if float(fields[3]) > self.plane.ctx.clock.now() else None

    # -- on_complete ------------------------------------------------------------------------------
    def on_complete(self, record: ExchangeRecord) -> None:
        plane = self.plane
        decision = record.context if isinstance(record.context, RouteDecision) else None
        if decision is not None and decision.in_flight and decision.group is not None and decision.target:
            picker = plane.pickers.get(decision.group.arn)
            if picker is not None:
                picker.finished(decision.target.key)
            decision.in_flight = False
        now = plane.ctx.clock.now()
        exchange = Exchange(record, decision, now)
        self.history.exchanges.append(exchange)
        minute = minute_of(now)
        plane.metrics.count_exchange(minute, self._lb_dims, record, decision)
        self._count_connections(minute)
        if self.lb.access_logs_enabled:
            plane.write_access_log(self.lb, self.listener, exchange)
        plane.announce_metrics(self.lb)

    def _count_connections(self, minute: int) -> None:
        server = self.server
        if server is None:
            return
        metrics = self.plane.metrics
        new = server.new_connections - self._connections_seen
        if new:
            self._connections_seen = server.new_connections
            metrics.add(self._lb_dims, "NewConnectionCount", new, minute)
        active = server.active_connections
        # A minute's peak only moves up: while it cannot change, skip the metric update.
        if minute != self._peak_minute or active > self._peak:
            self._peak_minute, self._peak = minute, active
            metrics.peak(self._lb_dims, "ActiveConnectionCount", active, minute)
