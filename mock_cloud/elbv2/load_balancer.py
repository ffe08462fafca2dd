"""Application Load Balancers: the resource, its attributes and AWS's validation of both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mock_cloud.elbv2.access_log import valid_bucket_name
from mock_cloud.elbv2.validation import (
    AttributeCheck,
    apply_attribute_changes,
    attr_bool,
    attr_int,
    attr_one_of,
    check_enum,
    check_resource_name,
    not_emulated,
)
from mock_cloud.errors import validation
from mock_cloud.state_validation import Check, arn, aws_id, each, one_of

# ALB's hosted zone in ap-northeast-2 (Route 53 alias records point at it).
CANONICAL_HOSTED_ZONE_ID = "ZWKZPGTI48KDX"
SCHEMES = ("internet-facing", "internal")
TYPES = ("application", "network", "gateway")
IP_ADDRESS_TYPES = ("ipv4", "dualstack", "dualstack-without-public-ipv4")
PROVISIONING, ACTIVE = "provisioning", "active"
# Cloud seconds a new balancer stays `provisioning`. AWS does not document the time (a few minutes
# in practice); lblab picks one minute.
PROVISIONING_SECONDS = 60.0
# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
PROVISIONING_NOTE = "note.provisioning"
ACCESS_LOG_NOTE = "note.attr.access_logs.s3.enabled"
NODE_NOTE = "note.nodes"

ATTRIBUTE_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "health_check_logs.s3.enabled": "false",
    "health_check_logs.s3.bucket": "",
    "health_check_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "ipv6.deny_all_igw_traffic": "false",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}
# Attributes lblab accepts but simplifies, with the key of their note.
ATTRIBUTE_NOTES = {
    "access_logs.s3.enabled": ACCESS_LOG_NOTE,
    "connection_logs.s3.enabled": "note.attr.connection_logs.s3.enabled",
    "health_check_logs.s3.enabled": "note.attr.health_check_logs.s3.enabled",
    "routing.http2.enabled": "note.attr.routing.http2.enabled",
    "waf.fail_open.enabled": "note.attr.waf.fail_open.enabled",
    "zonal_shift.config.enabled": "note.attr.zonal_shift.config.enabled",
    "routing.http.desync_mitigation_mode": "note.attr.routing.http.desync_mitigation_mode",
}


@dataclass
class LoadBalancer:
    # What a loaded state must hold beyond the annotated types (see mock_cloud/state_validation.py).
    VALID: ClassVar[dict[str, Check]] = {
        "arn": arn("elasticloadbalancing", "loadbalancer/app"), "scheme": one_of(SCHEMES), "type": one_of(TYPES),
        "vpc_id": aws_id("vpc"), "security_groups": each(aws_id("sg")), "ip_address_type": one_of(IP_ADDRESS_TYPES),
        "state": one_of((PROVISIONING, ACTIVE, "active_impaired", "failed")),
    }

    arn: str
    name: str
    dns_name: str
    scheme: str
    vpc_id: str
    availability_zones: list[tuple[str, str]]  # (zone name, subnet id), as AvailabilityZones lists them
    security_groups: list[str]
    created_time: float
    node_ips: dict[str, str]  # subnet id -> the private IP of the balancer's node there
    state: str = PROVISIONING
    state_reason: str = ""
    type: str = "application"
    ip_address_type: str = "ipv4"
    canonical_hosted_zone_id: str = CANONICAL_HOSTED_ZONE_ID
    attributes: dict[str, str] = field(default_factory=lambda: dict(ATTRIBUTE_DEFAULTS))
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def dimension(self) -> str:
        """CloudWatch's LoadBalancer dimension and the access log's `elb` field: `app/<name>/<id>`."""
        return self.arn.split(":", 5)[5].removeprefix("loadbalancer/")

    @property
    def zone_names(self) -> set[str]:
        return {zone for zone, _ in self.availability_zones}

    @property
    def subnet_ids(self) -> list[str]:
        return [subnet for _, subnet in self.availability_zones]

    @property
    def idle_timeout(self) -> int:
        return int(self.attributes["idle_timeout.timeout_seconds"])

    @property
    def deletion_protected(self) -> bool:
        return self.attributes["deletion_protection.enabled"] == "true"

    @property
    def access_logs_enabled(self) -> bool:
        return self.attributes["access_logs.s3.enabled"] == "true"

    def node_ip(self, zone: str) -> str:
        """The node that serves `zone`, or any node when the zone is not enabled."""
        for name, subnet in self.availability_zones:
            if name == zone:
                return self.node_ips[subnet]
        return next(iter(self.node_ips.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn, "name": self.name, "dns_name": self.dns_name, "scheme": self.scheme,
            "vpc_id": self.vpc_id, "availability_zones": [list(az) for az in self.availability_zones],
            "security_groups": list(self.security_groups), "created_time": self.created_time,
            "node_ips": dict(self.node_ips), "state": self.state, "state_reason": self.state_reason,
            "type": self.type, "ip_address_type": self.ip_address_type,
            "canonical_hosted_zone_id": self.canonical_hosted_zone_id, "attributes": dict(self.attributes),
            "tags": dict(self.tags),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadBalancer:
        fields = dict(data)
        fields["availability_zones"] = [tuple(az) for az in fields["availability_zones"]]
        fields["attributes"] = {**ATTRIBUTE_DEFAULTS, **fields["attributes"]}
        return cls(**fields)


def validate_identity(name: str, scheme: str, lb_type: str, ip_address_type: str) -> None:
    check_resource_name(name, "The load balancer name")
    if name.lower().startswith("internal-"):
        raise validation(f"The load balancer name '{name}' cannot begin with 'internal-'")
    check_enum(lb_type, "type", TYPES)
    if lb_type != "application":
        raise not_emulated(f"Load balancer type '{lb_type}'", "create an Application Load Balancer ('application')")
    check_enum(scheme, "scheme", SCHEMES)
    check_enum(ip_address_type, "ipAddressType", IP_ADDRESS_TYPES)
    if ip_address_type != "ipv4":
        raise not_emulated(f"IP address type '{ip_address_type}'", "use 'ipv4'")


def dns_name(name: str, digits: str, scheme: str, region: str) -> str:
    prefix = "internal-" if scheme == "internal" else ""
    return f"{prefix}{name}-{digits}.{region}.elb.amazonaws.com"


# -- attributes -------------------------------------------------------------------------------------


def _cross_zone(key: str, value: str) -> str:
    if value != "true":
        raise validation("Cross-zone load balancing cannot be disabled for Application Load Balancers")
    return value


def attr_bucket(key: str, value: str) -> str:
    """An S3 bucket name (3-63 lower-case letters, digits, dots and hyphens): it becomes a directory
    name under the cloud's data directory, so nothing else may get through ("..", "/", NUL ...)."""
    if value and not valid_bucket_name(value):
        raise validation(f"'{key}' value '{value[:100]}' is not a valid S3 bucket name: 3-63 characters of "
                         "lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit")
    return value


def attr_prefix(key: str, value: str) -> str:
    """An S3 key prefix; it becomes directories under the bucket's, so "." and ".." parts are refused."""
    parts = value.split("/")
    if value.startswith("/") or any(p in (".", "..") for p in parts) or "\x00" in value or len(value) > 1024:
        raise validation(f"'{key}' value '{value[:100]}' is not a valid prefix: no leading '/', no '.' or '..' "
                         "parts, at most 1024 characters")
    if "AWSLogs" in value:
        raise validation(f"'{key}' value '{value[:100]}' must not contain 'AWSLogs'")
    return value


_ATTRIBUTE_CHECKS: dict[str, AttributeCheck] = {
    "access_logs.s3.enabled": attr_bool,
    "access_logs.s3.bucket": attr_bucket,
    "access_logs.s3.prefix": attr_prefix,
    "connection_logs.s3.enabled": attr_bool,
    "connection_logs.s3.bucket": attr_bucket,
    "connection_logs.s3.prefix": attr_prefix,
    "health_check_logs.s3.enabled": attr_bool,
    "health_check_logs.s3.bucket": attr_bucket,
    "health_check_logs.s3.prefix": attr_prefix,
    "client_keep_alive.seconds": attr_int(60, 604800),
    "deletion_protection.enabled": attr_bool,
    "idle_timeout.timeout_seconds": attr_int(1, 4000),
    "ipv6.deny_all_igw_traffic": attr_bool,
    "load_balancing.cross_zone.enabled": _cross_zone,
    "routing.http.desync_mitigation_mode": attr_one_of("monitor", "defensive", "strictest"),
    "routing.http.drop_invalid_header_fields.enabled": attr_bool,
    "routing.http.preserve_host_header.enabled": attr_bool,
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": attr_bool,
    "routing.http.xff_client_port.enabled": attr_bool,
    "routing.http.xff_header_processing.mode": attr_one_of("append", "preserve", "remove"),
    "routing.http2.enabled": attr_bool,
    "waf.fail_open.enabled": attr_bool,
    "zonal_shift.config.enabled": attr_bool,
}


def apply_attributes(current: Mapping[str, str], changes: Mapping[str, Any]) -> dict[str, str]:
    """ModifyLoadBalancerAttributes: the validated new attribute map."""
    return apply_attribute_changes(current, changes, _ATTRIBUTE_CHECKS, "Application Load Balancers")
