"""Target groups: the resource, its health-check settings, attributes and registered targets.

Validation follows the CreateTargetGroup / ModifyTargetGroup / ModifyTargetGroupAttributes API
reference (ranges, defaults) and the wording in docs/aws-facts.md.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mock_cloud.elbv2.health import TargetHealth
from mock_cloud.elbv2.validation import (
    AttributeCheck,
    apply_attribute_changes,
    as_bool,
    as_int,
    attr_bool,
    attr_int,
    attr_one_of,
    attr_text,
    check_enum,
    check_range,
    check_resource_name,
    not_emulated,
)
from mock_cloud.errors import CloudError, validation
from mock_cloud.state_validation import PORT, Check, arn, aws_id, in_range, one_of

PROTOCOLS = ("HTTP", "HTTPS")
PROTOCOL_VERSIONS = ("HTTP1", "HTTP2", "GRPC")
TARGET_TYPES = ("instance", "ip", "lambda", "alb")
ALGORITHMS = ("round_robin", "least_outstanding_requests", "weighted_random")
TRAFFIC_PORT = "traffic-port"

# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
TARGET_TYPE_NOTE = "note.target_type"
PROTOCOL_VERSION_NOTE = "note.protocol_version"
HTTPS_TARGETS_NOTE = "note.https_targets"
# Attributes lblab accepts but simplifies, with the key of their note.
ATTRIBUTE_NOTES = {
    "load_balancing.algorithm.anomaly_mitigation": "note.attr.load_balancing.algorithm.anomaly_mitigation",
    "load_balancing.cross_zone.enabled": "note.attr.load_balancing.cross_zone.enabled",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "note.attr.dns_failover",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "note.attr.dns_failover",
    "slow_start.duration_seconds": "note.attr.slow_start.duration_seconds",
}

ATTRIBUTE_DEFAULTS = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "slow_start.duration_seconds": "0",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}

_MATCHER_RE = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*")


@dataclass
class HealthCheckSettings:
    """AWS's HealthCheck* parameters of a target group (snake_case names)."""

    # What a loaded state must hold beyond the annotated types (see mock_cloud/state_validation.py).
    VALID: ClassVar[dict[str, Check]] = {
        "protocol": one_of(PROTOCOLS), "port": lambda port: _health_check_port_problem(port),
        "interval_seconds": in_range(5, 300), "timeout_seconds": in_range(2, 120),
        "healthy_threshold_count": in_range(2, 10), "unhealthy_threshold_count": in_range(2, 10),
    }

    protocol: str = "HTTP"
    port: str = TRAFFIC_PORT
    path: str = "/"
    interval_seconds: int = 30
    timeout_seconds: int = 5
    healthy_threshold_count: int = 5
    unhealthy_threshold_count: int = 2
    matcher: str = "200"
    enabled: bool = True

    def check_port(self, traffic_port: int) -> int:
        return traffic_port if self.port == TRAFFIC_PORT else int(self.port)

    def accepts(self, status: int) -> bool:
        return matcher_accepts(self.matcher, status)


@dataclass
class TargetSpec:
    """A target as RegisterTargets / DeregisterTargets name it."""

    id: str
    port: int | None = None


_REGISTERING = TargetHealth.registering()


@dataclass
class RegisteredTarget:
    VALID: ClassVar[dict[str, Check]] = {"id": aws_id("i"), "port": PORT}

    id: str
    port: int
    availability_zone: str
    registered_at: float
    draining_until: float | None = None  # cloud time when a deregistration completes
    # Runtime only: health is never saved; after a restart every target is checked afresh. One shared
    # (immutable) default: a big state loads many thousands of targets.
    health: TargetHealth = field(default=_REGISTERING, compare=False)

    @property
    def key(self) -> tuple[str, int]:
        return self.id, self.port

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "port": self.port, "availability_zone": self.availability_zone,
                "registered_at": self.registered_at, "draining_until": self.draining_until}


@dataclass
class TargetGroup:
    VALID: ClassVar[dict[str, Check]] = {
        "arn": arn("elasticloadbalancing", "targetgroup"), "protocol": one_of(PROTOCOLS), "port": PORT,
        "vpc_id": aws_id("vpc"), "target_type": one_of(TARGET_TYPES), "protocol_version": one_of(PROTOCOL_VERSIONS),
    }

    arn: str
    name: str
    protocol: str
    port: int
    vpc_id: str
    target_type: str
    protocol_version: str
    health_check: HealthCheckSettings
    created_time: float
    attributes: dict[str, str] = field(default_factory=lambda: dict(ATTRIBUTE_DEFAULTS))
    tags: dict[str, str] = field(default_factory=dict)
    ip_address_type: str = "ipv4"
    targets: dict[tuple[str, int], RegisteredTarget] = field(default_factory=dict)
    # Derived from listeners and rules by the service; a target group serves at most one balancer.
    load_balancer_arns: list[str] = field(default_factory=list)

    @property
    def dimension(self) -> str:
        """CloudWatch's TargetGroup dimension: `targetgroup/<name>/<id>`."""
        return self.arn.split(":", 5)[5]

    @property
    def algorithm(self) -> str:
        return self.attributes["load_balancing.algorithm.type"]

    @property
    def deregistration_delay(self) -> int:
        return int(self.attributes["deregistration_delay.timeout_seconds"])

    @property
    def slow_start(self) -> int:
        return int(self.attributes["slow_start.duration_seconds"])

    @property
    def sticky_seconds(self) -> int | None:
        """The lb_cookie duration when duration-based stickiness is on, else None."""
        if self.attributes["stickiness.enabled"] != "true" or self.attributes["stickiness.type"] != "lb_cookie":
            return None
        return int(self.attributes["stickiness.lb_cookie.duration_seconds"])

    @property
    def app_cookie(self) -> tuple[str, int] | None:
        """The application's cookie name and the stickiness duration when application-based stickiness is on."""
        if self.attributes["stickiness.enabled"] != "true" or self.attributes["stickiness.type"] != "app_cookie":
            return None
        return (self.attributes["stickiness.app_cookie.cookie_name"],
                int(self.attributes["stickiness.app_cookie.duration_seconds"]))

    def same_settings(self, other: TargetGroup) -> bool:
        """CreateTargetGroup is idempotent: the same name with the same settings returns the group."""
        keys = ("protocol", "port", "vpc_id", "target_type", "protocol_version", "health_check")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn, "name": self.name, "protocol": self.protocol, "port": self.port,
            "vpc_id": self.vpc_id, "target_type": self.target_type, "protocol_version": self.protocol_version,
            "health_check": dataclasses.asdict(self.health_check), "created_time": self.created_time,
            "attributes": dict(self.attributes), "tags": dict(self.tags), "ip_address_type": self.ip_address_type,
            "targets": [t.to_dict() for t in self.targets.values()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetGroup:
        fields = dict(data)
        fields["health_check"] = HealthCheckSettings(**fields["health_check"])
        # Attributes added in a later lblab get their defaults.
        fields["attributes"] = {**ATTRIBUTE_DEFAULTS, **fields["attributes"]}
        targets = [RegisteredTarget(**t) for t in fields.pop("targets")]
        group = cls(**fields)
        group.targets = {t.key: t for t in targets}
        return group


# -- validation -------------------------------------------------------------------------------------


def validate_identity(name: str, protocol: str, port: int, target_type: str, protocol_version: str) -> None:
    check_resource_name(name, "Target group name")
    if "--" in name:
        raise validation(f"Target group name '{name}' cannot contain '--'")
    check_enum(target_type, "targetType", TARGET_TYPES)
    if target_type not in ("instance", "ip"):
        raise not_emulated(f"Target type '{target_type}'",
                           "use target type 'instance' (EC2 instances) or 'ip' (instances' private IPv4 addresses)")
    check_enum(protocol, "protocol", PROTOCOLS)
    check_range(port, "port", 1, 65535)
    check_enum(protocol_version, "protocolVersion", PROTOCOL_VERSIONS)


def apply_health_check(settings: HealthCheckSettings, changes: Mapping[str, Any]) -> HealthCheckSettings:
    """A validated copy of `settings` with `changes` (HealthCheckSettings field names) applied."""
    unknown = set(changes) - {f.name for f in dataclasses.fields(HealthCheckSettings)}
    if unknown:
        raise validation(f"Unknown health check setting(s): {', '.join(sorted(unknown))}")
    new = dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
    new.protocol = check_enum(str(new.protocol), "healthCheckProtocol", PROTOCOLS)
    new.port = _health_check_port(new.port)
    new.path = str(new.path)
    if not new.path.startswith("/") or len(new.path) > 1024:
        raise validation(f"Health check path '{new.path}' must begin with a '/' and be at most 1024 characters long")
    new.interval_seconds = check_range(as_int(new.interval_seconds, "healthCheckIntervalSeconds"),
                                       "healthCheckIntervalSeconds", 5, 300)
    new.timeout_seconds = check_range(as_int(new.timeout_seconds, "healthCheckTimeoutSeconds"),
                                      "healthCheckTimeoutSeconds", 2, 120)
    new.healthy_threshold_count = check_range(as_int(new.healthy_threshold_count, "healthyThresholdCount"),
                                              "healthyThresholdCount", 2, 10)
    new.unhealthy_threshold_count = check_range(as_int(new.unhealthy_threshold_count, "unhealthyThresholdCount"),
                                                "unhealthyThresholdCount", 2, 10)
    if new.timeout_seconds >= new.interval_seconds:
        raise validation(f"Health check timeout '{new.timeout_seconds}' must be smaller than the interval "
                         f"'{new.interval_seconds}'")
    new.matcher = str(new.matcher).replace(" ", "")
    parse_matcher(new.matcher)
    if not as_bool(new.enabled, "healthCheckEnabled"):
        raise validation("Health checks cannot be disabled for target groups with target type 'instance'")
    new.enabled = True
    return new


def _health_check_port_problem(port: str) -> str | None:
    if port == TRAFFIC_PORT or (port.isascii() and port.isdigit() and PORT(int(port)) is None):
        return None
    return f"{port!r} is neither '{TRAFFIC_PORT}' nor a port from 1 to 65535"


def _health_check_port(port: Any) -> str:
    if str(port) == TRAFFIC_PORT:
        return TRAFFIC_PORT
    return str(check_range(as_int(port, "healthCheckPort"), "healthCheckPort", 1, 65535))


def parse_matcher(matcher: str) -> list[tuple[int, int]]:
    """`200`, `200,202`, `200-299` -> inclusive ranges; ALB allows codes 200-499."""
    bad = validation(f"Invalid value '{matcher}' for the success codes (Matcher HttpCode): use a code (200), a list "
                     "(200,202) or a range (200-299) of HTTP codes from 200 to 499")
    if not _MATCHER_RE.fullmatch(matcher):
        raise bad
    ranges = []
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        pair = (int(low), int(high or low))
        if not 200 <= pair[0] <= pair[1] <= 499:
            raise bad
        ranges.append(pair)
    return ranges


def matcher_accepts(matcher: str, status: int) -> bool:
    return any(low <= status <= high for low, high in parse_matcher(matcher))


# -- attributes -------------------------------------------------------------------------------------


def _slow_start(key: str, value: str) -> str:
    seconds = as_int(value, key)
    if seconds != 0 and not 30 <= seconds <= 900:
        raise validation(f"'{key}' value '{value}' must be 0 (off) or between '30-900' inclusive")
    return str(seconds)


def _count_or_off(key: str, value: str) -> str:
    return value if value == "off" else attr_int(1, 1000)(key, value)


def _percentage_or_off(key: str, value: str) -> str:
    return value if value == "off" else attr_int(1, 100)(key, value)


def _app_cookie_name(key: str, value: str) -> str:
    if value.upper().startswith(("AWSALB", "AWSALBAPP", "AWSALBTG")):
        raise validation(f"'{key}' cannot start with 'AWSALB', 'AWSALBAPP' or 'AWSALBTG'")
    return value


_ATTRIBUTE_CHECKS: dict[str, AttributeCheck] = {
    "deregistration_delay.timeout_seconds": attr_int(0, 3600),
    "stickiness.enabled": attr_bool,
    "stickiness.type": attr_text,  # checked in apply_attributes, which knows the group's protocol
    "stickiness.lb_cookie.duration_seconds": attr_int(1, 604800),
    "stickiness.app_cookie.cookie_name": _app_cookie_name,
    "stickiness.app_cookie.duration_seconds": attr_int(1, 604800),
    "load_balancing.algorithm.type": attr_one_of(*ALGORITHMS),
    "load_balancing.algorithm.anomaly_mitigation": attr_one_of("on", "off"),
    "slow_start.duration_seconds": _slow_start,
    "load_balancing.cross_zone.enabled": attr_one_of("true", "false", "use_load_balancer_configuration"),
    "target_group_health.dns_failover.minimum_healthy_targets.count": _count_or_off,
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": _percentage_or_off,
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": attr_int(1, 1000),
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": _percentage_or_off,
}


def apply_attributes(current: Mapping[str, str], changes: Mapping[str, Any], protocol: str) -> dict[str, str]:
    """ModifyTargetGroupAttributes on a group of `protocol`: the validated new attribute map."""
    new = apply_attribute_changes(current, changes, _ATTRIBUTE_CHECKS, "target groups")
    if new["stickiness.type"] == "app_cookie" and not new["stickiness.app_cookie.cookie_name"]:
        raise validation("An application cookie name ('stickiness.app_cookie.cookie_name') must be specified for "
                         "stickiness type 'app_cookie'")
    if new["stickiness.type"] not in ("lb_cookie", "app_cookie"):
        raise CloudError("InvalidConfigurationRequest", f"Stickiness type '{new['stickiness.type']}' is not "
                                                        f"supported for target groups with the {protocol} protocol")
    algorithm = new["load_balancing.algorithm.type"]
    if new["slow_start.duration_seconds"] != "0" and algorithm == "least_outstanding_requests":
        raise CloudError("InvalidConfigurationRequest",
                         "Slow start mode cannot be enabled with the least outstanding requests algorithm")
    if new["load_balancing.algorithm.anomaly_mitigation"] == "on" and algorithm != "weighted_random":
        raise CloudError("InvalidConfigurationRequest",
                         "Anomaly mitigation is only available with the weighted random algorithm")
    return new
