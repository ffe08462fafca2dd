"""What the routers of every listener share: each target group's eligible targets and routing state,
security-group reachability of targets (cached), metrics, and the access-log file writer.

The service keeps it current (`refresh` after every health or registration change), so the
routers only read it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mock_cloud.context import Context
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.security_group import Peer
from mock_cloud.ec2.service import Ec2Service
from mock_cloud.elbv2 import health
from mock_cloud.elbv2.access_log import LogFileWriter, format_line, log_file_path
from mock_cloud.elbv2.balancing import TargetPicker
from mock_cloud.elbv2.certificates import CertificateStore, select_certificate
from mock_cloud.elbv2.exchange import Exchange
from mock_cloud.elbv2.ip_targets import target_instance
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.metrics import Metrics
from mock_cloud.elbv2.stickiness import CookieCodec
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup
from mock_cloud.network import Decision, Network, instance_peer

# How often (real seconds) a busy balancer announces new metrics to the console.
METRICS_EVENT_INTERVAL = 1.0


@dataclass(slots=True)
class Eligible:
    """Where one target group can send requests right now (recomputed on every health change)."""

    targets: list[RegisteredTarget] = field(default_factory=list)
    fail_open: bool = False
    # Why there is nothing to send to: an AWS reason code and what it means here.
    empty_code: str = health.NOT_REGISTERED
    empty_detail: str = "the target group has no registered targets"


def eligible_targets(group: TargetGroup) -> Eligible:
    """Healthy targets; with too few healthy, fail open to the unhealthy ones as well.

    Targets in `initial` get nothing until they pass their checks, as on AWS: a group whose
    targets are all still initial answers 503."""
    healthy = [t for t in group.targets.values() if t.health.state == health.HEALTHY]
    unhealthy = [t for t in group.targets.values() if t.health.state == health.UNHEALTHY]
    if healthy and (not unhealthy or len(healthy) >= _minimum_healthy(group, len(healthy) + len(unhealthy))):
        return Eligible(healthy)
    if unhealthy:
        return Eligible(healthy + unhealthy, fail_open=True)
    if not group.targets:
        return Eligible()
    states = [t.health for t in group.targets.values()]
    why = next((h for h in states if h.state == health.INITIAL), states[0])
    return Eligible([], empty_code=why.reason or health.NOT_REGISTERED,
                    empty_detail=f"no target can take requests: {(why.description or why.state).lower()}")


def _minimum_healthy(group: TargetGroup, in_service: int) -> int:
    prefix = "target_group_health.unhealthy_state_routing.minimum_healthy_targets."
    count = int(group.attributes[prefix + "count"])
    percentage = group.attributes[prefix + "percentage"]
    if percentage == "off":
        return count
    return max(count, -(-in_service * int(percentage) // 100))


class DataPlane:
    """State the routers of every listener share: target groups, choices, reachability, outputs."""

    def __init__(self, ctx: Context, network: Network, ec2: Ec2Service, groups: dict[str, TargetGroup],
                 certificates: Callable[[], CertificateStore], rng: random.Random, codec: CookieCodec) -> None:
        self.ctx = ctx
        self.network = network
        self.ec2 = ec2
        self.groups = groups
        self.certificates = certificates
        self.rng = rng
        self.codec = codec
        self.metrics = Metrics()
        self.eligible: dict[str, Eligible] = {}
        self.pickers: dict[str, TargetPicker] = {}
        self.log_writer = LogFileWriter()
        self._reach: dict[tuple[tuple[str, ...], str, str, int], Decision] = {}
        self._reach_events = -1
        self._announced: dict[str, float] = {}

    @property
    def instances(self) -> dict[str, Instance]:
        return self.ec2.instances  # EC2 replaces its dict when state is restored

    def instance_of(self, target_id: str) -> Instance | None:
        return target_instance(self.ec2.instances, target_id)

    def refresh(self, group: TargetGroup) -> None:
        self.eligible[group.arn] = eligible_targets(group)
        self.pickers.setdefault(group.arn, TargetPicker(self.rng))

    def forget(self, group_arn: str) -> None:
        self.eligible.pop(group_arn, None)
        self.pickers.pop(group_arn, None)

    def reach(self, lb: LoadBalancer, instance: Instance, port: int) -> Decision:
        """May the balancer's node open a connection to the instance's port? Cached until anything changes."""
        published = self.ctx.events.published
        if published != self._reach_events:
            # Any event may be a security-group or instance change: start over (cheap, and never stale).
            self._reach.clear()
            self._reach_events = published
        key = (tuple(lb.security_groups), instance.instance_id, instance.availability_zone, port)
        decision = self._reach.get(key)
        if decision is None:
            decision = self.network.check(lb_peer(lb, instance.availability_zone), instance_peer(instance), port)
            self._reach[key] = decision
        return decision

    def announce_metrics(self, lb: LoadBalancer) -> None:
        now = time.monotonic()
        if now - self._announced.get(lb.arn, 0.0) >= METRICS_EVENT_INTERVAL:
            self._announced[lb.arn] = now
            self.ctx.changed("elbv2.metrics", lb.arn, persist=False)

    def write_access_log(self, lb: LoadBalancer, listener: Listener, exchange: Exchange) -> None:
        """Append to the balancer's log file ("S3"), as the node that served the target's zone."""
        target = exchange.decision.target if exchange.decision is not None else None
        instance = self.instance_of(target.id) if target is not None else None
        node = lb.node_ip(instance.availability_zone if instance is not None else "")
        path = log_file_path(self.ctx.data_dir, lb.attributes, lb.dimension, self.ctx.region, node,
                             exchange.at)
        self.log_writer.write(path, format_line(exchange, lb.dimension, self.chosen_certificate(listener, exchange)))

    def chosen_certificate(self, listener: Listener, exchange: Exchange) -> str:
        """The certificate an HTTPS listener presented for the exchange's SNI name (its default without one)."""
        if listener.protocol != "HTTPS" or not listener.certificates:
            return "-"
        store = self.certificates()
        known = [c for c in store.list() if c.arn in listener.certificates]
        sni = exchange.record.head.sni
        chosen = select_certificate(sni, known) if sni else None
        return chosen.arn if chosen is not None else listener.certificates[0]


def lb_peer(lb: LoadBalancer, zone: str) -> Peer:
    """The balancer's node serving `zone`, as the sender of health checks and forwarded requests."""
    return Peer(lb.node_ip(zone), tuple(lb.security_groups), f"load balancer {lb.name}")
