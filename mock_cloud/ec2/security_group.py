"""Security groups: rules, AWS's validation, and the question "does this rule admit that traffic?".

Rules are stored one per (protocol, ports, peer), each with its `sgr-` ID, the way the
console lists them; the AWS API groups them back into IpPermissions.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mock_cloud.errors import CloudError
from mock_cloud.state_validation import Check, aws_id, in_range, ipv4_network, one_of, optional

NAME_MAX = 255
# Characters AWS allows in a VPC security group's name and description.
ALLOWED_TEXT = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$")
PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "-1": "-1"}
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "-1", "all": "-1"}


@dataclass
class SgRule:
    # What a loaded state must hold beyond the annotated types (see mock_cloud/state_validation.py).
    VALID: ClassVar[dict[str, Check]] = {
        "rule_id": aws_id("sgr"), "protocol": one_of(PROTOCOLS), "from_port": in_range(-1, 65535),
        "to_port": in_range(-1, 65535), "cidr_ipv4": optional(ipv4_network),
        "referenced_group_id": optional(aws_id("sg")),
    }

    rule_id: str
    egress: bool
    protocol: str  # "tcp" | "udp" | "icmp" | "-1" (all traffic)
    from_port: int  # -1 when the protocol has no ports
    to_port: int
    cidr_ipv4: str | None = None
    referenced_group_id: str | None = None
    description: str = ""

    @property
    def peer(self) -> str:
        return self.cidr_ipv4 or self.referenced_group_id or ""

    def same_permission(self, other: SgRule) -> bool:
        return (self.egress, self.protocol, self.from_port, self.to_port, self.peer) == (
            other.egress,
            other.protocol,
            other.from_port,
            other.to_port,
            other.peer,
        )

    def covers(self, protocol: str, port: int) -> bool:
        if self.protocol == "-1":
            return True
        if self.protocol != protocol:
            return False
        return self.from_port == -1 or self.from_port <= port <= self.to_port

    def describe(self) -> str:
        """AWS's wording of a rule in InvalidPermission.Duplicate messages."""
        proto = "ALL" if self.protocol == "-1" else self.protocol.upper()
        if self.protocol in ("tcp", "udp"):
            return f"peer: {self.peer}, {proto}, from port: {self.from_port}, to port: {self.to_port}, ALLOW"
        return f"peer: {self.peer}, {proto}, ALLOW"

    def to_dict(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies field by field, and a big cloud saves many rules.
        return {
            "rule_id": self.rule_id, "egress": self.egress, "protocol": self.protocol, "from_port": self.from_port,
            "to_port": self.to_port, "cidr_ipv4": self.cidr_ipv4, "referenced_group_id": self.referenced_group_id,
            "description": self.description,
        }


@dataclass
class SecurityGroup:
    VALID: ClassVar[dict[str, Check]] = {"group_id": aws_id("sg"), "vpc_id": aws_id("vpc")}

    group_id: str
    group_name: str
    description: str
    vpc_id: str
    rules: list[SgRule] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def ingress(self) -> list[SgRule]:
        return [r for r in self.rules if not r.egress]

    @property
    def egress(self) -> list[SgRule]:
        return [r for r in self.rules if r.egress]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id, "group_name": self.group_name, "description": self.description,
            "vpc_id": self.vpc_id, "rules": [r.to_dict() for r in self.rules], "tags": dict(self.tags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SecurityGroup:
        rules = [SgRule(**{"rule_id": legacy_rule_id(data["group_id"], r), **r}) for r in data.get("rules", [])]
        return cls(**{**data, "rules": rules})


def legacy_rule_id(group_id: str, rule: dict[str, Any]) -> str:
    """An ID for a rule saved before rules had IDs: derived from the group and the permission, so it is the
    same at every load (and draws nothing from the cloud's seeded ID stream)."""
    key = "|".join(str(rule.get(k)) for k in ("egress", "protocol", "from_port", "to_port", "cidr_ipv4",
                                               "referenced_group_id"))
    return "sgr-" + hashlib.sha256(f"{group_id}|{key}".encode()).hexdigest()[:17]


# -- validation ---------------------------------------------------------------


def validate_group_text(name: str, description: str) -> None:
    if not name:
        raise CloudError("MissingParameter", "The request must contain the parameter groupName")
    if not description:
        raise CloudError("MissingParameter", "The request must contain the parameter groupDescription")
    if len(name) > NAME_MAX:
        raise CloudError(
            "InvalidParameterValue", f"Value for parameter groupName is too long ({len(name)}; max {NAME_MAX})"
        )
    if len(description) > NAME_MAX:
        raise CloudError(
            "InvalidParameterValue",
            f"Value for parameter GroupDescription is too long ({len(description)}; max {NAME_MAX})",
        )
    if name.lower().startswith("sg-"):
        raise CloudError(
            "InvalidParameterValue",
            f"Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.",
        )
    for label, value in (("GroupName", name), ("GroupDescription", description)):
        if not ALLOWED_TEXT.match(value):
            raise CloudError(
                "InvalidParameterValue",
                f"Value ({value}) for parameter {label} is invalid. Character sets beyond ASCII are not "
                "supported. Allowed characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*",
            )


def normalize_protocol(protocol: str | int) -> str:
    key = str(protocol).strip().lower()
    if key in PROTOCOLS:
        return key
    if key in PROTOCOL_NAMES:
        return PROTOCOL_NAMES[key]
    raise CloudError("InvalidParameterValue", f"Invalid value '{protocol}' for IP protocol. Unknown protocol.")


def normalize_ports(protocol: str, from_port: int | None, to_port: int | None) -> tuple[int, int]:
    if protocol == "-1":
        return -1, -1
    if protocol == "icmp":
        # For ICMP the "ports" are the type and the code: -1 (all) or 0-255.
        icmp_type = -1 if from_port is None else _whole(from_port, "icmpType")
        icmp_code = -1 if to_port is None else _whole(to_port, "icmpCode")
        for label, value in (("type", icmp_type), ("code", icmp_code)):
            if not -1 <= value <= 255:
                raise CloudError(
                    "InvalidParameterValue", f"Invalid value '{value}' for ICMP {label}. Must be in range -1 to 255."
                )
        return icmp_type, icmp_code
    if from_port is None or to_port is None:
        raise CloudError(
            "InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
        )
    from_port, to_port = _whole(from_port, "fromPort"), _whole(to_port, "toPort")
    for port in (from_port, to_port):
        if not 0 <= port <= 65535:
            raise CloudError(
                "InvalidParameterValue", f"Invalid value '{port}' for portRange. Must be in range 0-65535."
            )
    if from_port > to_port:
        raise CloudError(
            "InvalidParameterValue",
            f"Invalid port range: from port {from_port} is greater than to port {to_port}.",
        )
    return from_port, to_port


def _whole(value: object, name: str) -> int:
    """A port (or ICMP type/code) as the API's integer; the TUI's Python values are checked the same way."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isascii() and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise CloudError("InvalidParameterValue", f"Invalid value '{str(value)[:100]}' for {name}. It must be an integer.")


def normalize_cidr(cidr: str) -> str:
    try:
        network = ipaddress.IPv4Network(cidr.strip(), strict=False)
    except (ValueError, ipaddress.AddressValueError):
        raise CloudError("InvalidParameterValue", f"CIDR block {cidr} is malformed") from None
    if "/" not in cidr:
        raise CloudError("InvalidParameterValue", f"CIDR block {cidr} is malformed")
    return str(network)


# -- evaluation -----------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """The sending side of a connection: an address, and its security groups if it has any."""

    ip: str
    group_ids: tuple[str, ...] = ()
    label: str = ""


def matching_rule(rules: list[SgRule], peer: Peer, protocol: str, port: int) -> SgRule | None:
    try:
        address = ipaddress.ip_address(peer.ip)
    except ValueError:
        address = None  # not an address (e.g. a forged client header): only group rules can match
    for rule in rules:
        if not rule.covers(protocol, port):
            continue
        if rule.cidr_ipv4 and address is not None and address in ipaddress.ip_network(rule.cidr_ipv4):
            return rule
        if rule.referenced_group_id and rule.referenced_group_id in peer.group_ids:
            return rule
    return None
