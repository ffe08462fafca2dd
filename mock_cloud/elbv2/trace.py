"""Request traces: the path of one request through the cloud, hop by hop, and where it stopped.

internet edge → load balancer security group → listener → rule → target group → target →
instance security group → web server → status. A failed hop carries the AWS reason code a
learner would meet for the same cause in DescribeTargetHealth (`Target.Timeout` for a dropped
connection or a silent target, `Target.FailedHealthChecks` for a refused connection or a broken
response, `Target.NotRegistered` ... for a target group with nothing to send to).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_cloud.elbv2.exchange import (
    HOP_ACTION,
    HOP_EDGE,
    HOP_HTTPD,
    HOP_INSTANCE_SG,
    HOP_LB_SG,
    HOP_LISTENER,
    HOP_RULE,
    HOP_STATUS,
    HOP_TARGET,
    HOP_TARGET_GROUP,
    Exchange,
    RouteDecision,
)
from mock_cloud.elbv2.health import FAILED_HEALTH_CHECKS, TIMEOUT
from mock_cloud.elbv2.listener_rules import FIXED_RESPONSE, REDIRECT, explain_match
from mock_cloud.elbv2.proxy import ExchangeRecord

# The engine's error reasons, as what happened at the web server and the matching reason code.
_TARGET_ERRORS = {
    "TargetConnectionError": ("connection refused: nothing listens on the target port", FAILED_HEALTH_CHECKS),
    "TargetResponseError": ("the target closed the connection or sent a malformed response", FAILED_HEALTH_CHECKS),
    "TargetTimeout": ("no response before the load balancer's idle timeout", TIMEOUT),
}


@dataclass
class Hop:
    name: str
    ok: bool
    detail: str
    reason_code: str = ""
    elapsed_ms: float | None = None


@dataclass
class RequestTrace:
    time: float  # cloud time
    load_balancer_arn: str
    request: str  # "GET http://name:80/path"
    client: str
    status: int | None  # None: no HTTP answer came back (a dropped connection)
    hops: list[Hop] = field(default_factory=list)
    trace_id: str = ""

    @property
    def ok(self) -> bool:
        return all(h.ok for h in self.hops)

    @property
    def stopped_at(self) -> Hop | None:
        return next((h for h in self.hops if not h.ok), None)


def _ms(seconds: float) -> float | None:
    return None if seconds < 0 else round(seconds * 1000, 3)


def dropped_trace(at: float, load_balancer_arn: str, request: str, client: str, hops: list[Hop]) -> RequestTrace:
    """A request that never reached a listener: the edge saw the packets dropped."""
    return RequestTrace(at, load_balancer_arn, request, client, None, hops)


def exchange_trace(exchange: Exchange, load_balancer_arn: str, dns_name: str, lb_sg_detail: str) -> RequestTrace:
    record, decision = exchange.record, exchange.decision
    head = record.head
    request = f"{head.method} {head.scheme}://{head.header('host') or dns_name}{head.target}"
    tls = f" ({record.ssl_protocol}, {record.ssl_cipher})" if record.ssl_protocol else ""
    hops = [
        Hop(HOP_EDGE, True, f"{head.client_ip}:{head.client_port} → {dns_name}:{head.listener_port}"),
        Hop(HOP_LB_SG, True, lb_sg_detail),
        Hop(HOP_LISTENER, True, f"{head.scheme.upper()}:{head.listener_port}{tls}",
            elapsed_ms=_ms(record.request_processing_time)),
    ]
    if decision is not None:
        hops += _routing_hops(decision, record)
    elb, target = record.elb_status, record.target_status
    origin = "from the target" if target is not None else "from the load balancer"
    hops.append(Hop(HOP_STATUS, elb < 500, f"HTTP {elb} {origin}", elapsed_ms=_ms(record.response_processing_time)))
    return RequestTrace(exchange.at, load_balancer_arn, request, f"{head.client_ip}:{head.client_port}", elb,
                        hops, head.trace_id)


def _routing_hops(decision: RouteDecision, record: ExchangeRecord) -> list[Hop]:
    hops = [_rule_hop(decision)]
    if decision.action == REDIRECT:
        return [*hops, Hop(HOP_ACTION, True, f"redirect to {decision.redirect_url}")]
    if decision.action == FIXED_RESPONSE:
        return [*hops, Hop(HOP_ACTION, True, "fixed response")]
    planned = [
        (HOP_TARGET_GROUP, _group_detail(decision)),
        (HOP_TARGET, _target_detail(decision, record)),
        (HOP_INSTANCE_SG, decision.reach),
        (HOP_HTTPD, f"{record.target_label} answered"),
    ]
    for name, detail in planned:
        if name == decision.stopped_at:
            return [*hops, Hop(name, False, decision.stop_detail, decision.stop_code)]
        if name == HOP_HTTPD and record.error_reason in _TARGET_ERRORS:
            detail, code = _TARGET_ERRORS[record.error_reason]
            return [*hops, Hop(name, False, detail, code, _ms(record.target_processing_time))]
        hops.append(Hop(name, True, detail, elapsed_ms=_ms(record.target_processing_time) if name == HOP_HTTPD
                        else None))
    return hops


def _rule_hop(decision: RouteDecision) -> Hop:
    rule, request = decision.rule, decision.request
    if rule is None:
        return Hop(HOP_RULE, False, decision.stop_detail or "no rule matched", decision.stop_code)
    if rule.is_default or request is None:
        return Hop(HOP_RULE, True, "default rule: no other rule matched")
    return Hop(HOP_RULE, True, f"priority {rule.priority}: " + "; ".join(explain_match(rule, request)))


def _group_detail(decision: RouteDecision) -> str:
    group = decision.group
    if group is None:
        return ""
    return f"{group.name} ({group.protocol}:{group.port}, {decision.algorithm})"


def _target_detail(decision: RouteDecision, record: ExchangeRecord) -> str:
    target = decision.target
    if target is None:
        return ""
    parts = [f"{target.id}:{target.port} ({record.target_label or decision.target_ip}), {decision.health}"]
    if decision.sticky:
        parts.append("chosen by its stickiness cookie")
    if decision.fail_open:
        parts.append("fail-open: too few targets are healthy, so the unhealthy ones get requests too")
    if record.retried_from:
        parts.append(f"after {record.retried_from} refused the connection")
    return "; ".join(parts)
