"""Listeners: protocol and port, the default action, certificates, and the listener's rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mock_cloud.elbv2.listener_rules import Action, Rule, sort_rules
from mock_cloud.elbv2.validation import check_enum, check_range
from mock_cloud.errors import CloudError, validation
from mock_cloud.state_validation import PORT, Check, arn, one_of

PROTOCOLS = ("HTTP", "HTTPS")
# ProtocolEnum of the ELBv2 API: every balancer type's listener protocols. Values outside it are refused by
# the API's enum check; values inside it that an ALB does not speak get the ALB's own message.
PROTOCOL_ENUM = ("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC")
# Default service quotas, adjustable on AWS. Older guides (and this lab's notes) say 10 listeners per
# balancer; the quota has been 50 for years.
MAX_LISTENERS_PER_ALB = 50
MAX_RULES_PER_ALB = 100  # not counting the default rules
MAX_CERTIFICATES_PER_ALB = 25  # not counting default certificates
# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
LISTENER_QUOTA_NOTE = "note.listener_quota"
LOCAL_PORT_NOTE = "note.local_port"


@dataclass
class Listener:
    # What a loaded state must hold beyond the annotated types (see mock_cloud/state_validation.py).
    VALID: ClassVar[dict[str, Check]] = {
        "arn": arn("elasticloadbalancing", "listener/app"),
        "load_balancer_arn": arn("elasticloadbalancing", "loadbalancer/app"),
        "protocol": one_of(PROTOCOLS), "port": PORT,
    }

    arn: str
    load_balancer_arn: str
    protocol: str
    port: int
    rules: list[Rule]  # the default rule included, in evaluation order
    certificates: list[str] = field(default_factory=list)  # the first one is the default certificate
    ssl_policy: str | None = None
    # Runtime: the loopback port of the real server while the balancer is active.
    local_port: int | None = None

    @property
    def default_rule(self) -> Rule:
        return next(r for r in self.rules if r.is_default)

    @property
    def default_actions(self) -> list[Action]:
        return self.default_rule.actions

    @property
    def scheme(self) -> str:
        return self.protocol.lower()

    def sort(self) -> None:
        self.rules = sort_rules(self.rules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn, "load_balancer_arn": self.load_balancer_arn, "protocol": self.protocol,
            "port": self.port, "rules": [r.to_dict() for r in self.rules],
            "certificates": list(self.certificates), "ssl_policy": self.ssl_policy,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Listener:
        fields = dict(data)
        fields["rules"] = [Rule.from_dict(r) for r in fields["rules"]]
        listener = cls(**fields)
        listener.sort()
        return listener


def validate_protocol_port(protocol: str, port: int) -> None:
    if not protocol:
        raise validation("A listener protocol must be specified")
    check_enum(protocol, "protocol", PROTOCOL_ENUM)
    if protocol not in PROTOCOLS:
        raise validation(f"Listener protocol '{protocol}' must be one of '{', '.join(PROTOCOLS)}'")
    check_range(port, "port", 1, 65535)


def validate_certificates(protocol: str, certificates: Sequence[str]) -> None:
    if protocol == "HTTPS" and not certificates:
        raise validation("A certificate must be specified for HTTPS listeners")
    if protocol == "HTTP" and certificates:
        raise CloudError("InvalidConfigurationRequest", "Certificates can only be specified for HTTPS listeners")
    if len(certificates) > MAX_CERTIFICATES_PER_ALB + 1:
        raise CloudError("TooManyCertificates",
                         "You've reached the limit on the number of certificates per load balancer.")
