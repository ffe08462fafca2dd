"""Security group rules as the console presents them: a *type* (HTTP, SSH, …) stands for a
protocol and port range, a *source* is anywhere or custom: a CIDR block, or another group by ID or name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mock_cloud import RuleSpec, SecurityGroup, SgRule

ANYWHERE_IPV4 = "0.0.0.0/0"


@dataclass(frozen=True)
class RuleType:
    key: str  # id and i18n key suffix (`rule_type.<key>`)
    protocol: str
    ports: tuple[int, int] | None  # None: the learner types the port range

    @property
    def fixed(self) -> bool:
        return self.ports is not None


RULE_TYPES: tuple[RuleType, ...] = (
    RuleType("custom_tcp", "tcp", None),
    RuleType("custom_udp", "udp", None),
    RuleType("all_tcp", "tcp", (0, 65535)),
    RuleType("all_udp", "udp", (0, 65535)),
    RuleType("all_icmp", "icmp", (-1, -1)),
    RuleType("all_traffic", "-1", (-1, -1)),
    RuleType("ssh", "tcp", (22, 22)),
    RuleType("http", "tcp", (80, 80)),
    RuleType("https", "tcp", (443, 443)),
)
RULE_TYPE_BY_KEY = {rule_type.key: rule_type for rule_type in RULE_TYPES}


def rule_type_of(rule: SgRule) -> RuleType:
    """The most specific type that describes `rule` (the console shows 'HTTP', not 'Custom TCP 80')."""
    for rule_type in reversed(RULE_TYPES):
        same_ports = rule_type.ports == (rule.from_port, rule.to_port)
        if rule_type.fixed and rule_type.protocol == rule.protocol and same_ports:
            return rule_type
    return RULE_TYPE_BY_KEY["custom_udp" if rule.protocol == "udp" else "custom_tcp"]


def protocol_text(protocol: str, all_text: str = "All") -> str:
    """`all_text`: the console's word for every protocol or port in the learner's language (전체)."""
    return all_text if protocol == "-1" else protocol.upper()


def port_text(rule: SgRule) -> str:
    if rule.from_port == -1:
        return "All"
    if rule.from_port == rule.to_port:
        return str(rule.from_port)
    return f"{rule.from_port} - {rule.to_port}"


def peer_text(rule: SgRule, groups: dict[str, SecurityGroup]) -> str:
    if rule.cidr_ipv4:
        return rule.cidr_ipv4
    group = groups.get(rule.referenced_group_id or "")
    return f"{rule.referenced_group_id} / {group.group_name}" if group else rule.referenced_group_id or ""


def parse_port_range(text: str) -> tuple[int | None, int | None]:
    """'80' or '8000-8080' (spaces allowed); what does not parse is passed on as None for the
    cloud to reject in AWS's words."""
    parts = [part.strip() for part in text.replace("–", "-").split("-")]
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        return None, None
    if len(numbers) == 1:
        return numbers[0], numbers[0]
    if len(numbers) == 2:
        return numbers[0], numbers[1]
    return None, None


@dataclass
class RuleDraft:
    """One row of a rule editor, as the learner has filled it in."""

    type_key: str = "custom_tcp"
    port_range: str = ""
    source_kind: str = "custom"  # "anywhere" | "custom", the console's Source choices
    source: str = ""  # custom: a CIDR block, a group ID (sg-…) or a group's name
    description: str = ""
    rule_id: str | None = None  # the sgr- ID of the rule this row edits; None for a new row

    @classmethod
    def from_rule(cls, rule: SgRule) -> RuleDraft:
        rule_type = rule_type_of(rule)
        kind = "anywhere" if rule.cidr_ipv4 == ANYWHERE_IPV4 else "custom"
        source = rule.referenced_group_id or rule.cidr_ipv4 or ""
        ports = "" if rule_type.fixed else port_text(rule)
        return cls(rule_type.key, ports, kind, source, rule.description, rule.rule_id)

    @classmethod
    def preset(cls, type_key: str, anywhere: bool = True) -> RuleDraft:
        return cls(type_key, "", "anywhere" if anywhere else "custom", ANYWHERE_IPV4 if anywhere else "")

    @property
    def rule_type(self) -> RuleType:
        return RULE_TYPE_BY_KEY[self.type_key]

    def port_display(self, all_text: str = "All") -> str:
        ports = self.rule_type.ports
        if ports is None:
            return self.port_range
        if ports[0] == -1:
            return all_text
        return str(ports[0]) if ports[0] == ports[1] else f"{ports[0]} - {ports[1]}"

    def to_spec(self, group_ids: Mapping[str, str] | None = None) -> RuleSpec:
        """The rule to send; `group_ids` maps the names of the VPC's groups to their IDs, so a custom
        source may name a group as the console's source field lets one pick it."""
        rule_type = self.rule_type
        from_port, to_port = rule_type.ports if rule_type.ports else parse_port_range(self.port_range)
        source = ANYWHERE_IPV4 if self.source_kind == "anywhere" else self.source.strip()
        source = (group_ids or {}).get(source, source)
        is_group = source.startswith("sg-")
        return RuleSpec(
            protocol=rule_type.protocol,
            from_port=from_port,
            to_port=to_port,
            cidr_ipv4=None if is_group else source or None,
            source_group_id=(source or None) if is_group else None,
            description=self.description.strip(),
        )


def spec_of(rule: SgRule) -> RuleSpec:
    return RuleSpec(rule.protocol, rule.from_port, rule.to_port, rule.cidr_ipv4, rule.referenced_group_id,
                    rule.description)


@dataclass
class RuleChanges:
    """What saving an edited rule list does, as the console's "Save rules" does it."""

    new: list[RuleSpec]  # rows added: AuthorizeSecurityGroupIngress/Egress
    modified: dict[str, RuleSpec]  # rule ID -> its new permission: ModifySecurityGroupRules (the ID stays)
    revoked: list[str]  # IDs of the rules whose rows were deleted: Revoke… by rule ID

    def __bool__(self) -> bool:
        return bool(self.new or self.modified or self.revoked)


def rule_changes(current: list[SgRule], drafts: list[RuleDraft],
                 group_ids: Mapping[str, str] | None = None) -> RuleChanges:
    """A row of an existing rule that the learner changed modifies that rule in place; an unchanged row
    leaves it; a new row authorizes a rule; an existing rule no row stands for is revoked.
    `group_ids`: see `RuleDraft.to_spec`."""
    by_id = {rule.rule_id: rule for rule in current}
    changes = RuleChanges([], {}, [])
    kept: set[str] = set()
    for draft in drafts:
        spec = draft.to_spec(group_ids)
        rule = by_id.get(draft.rule_id or "")
        if rule is None:
            changes.new.append(spec)
            continue
        kept.add(rule.rule_id)
        if spec_of(rule) != spec:
            changes.modified[rule.rule_id] = spec
    changes.revoked = [rule.rule_id for rule in current if rule.rule_id not in kept]
    return changes
