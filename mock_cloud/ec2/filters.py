"""EC2's Describe filters: every filter must match; a filter matches when any of its values does.

Values may hold `*` (any run of characters) and `?` (one character), as on AWS; `tag:<key>`, `tag-key`
and `tag-value` work on every taggable resource. Each resource kind names its filters in a table of
matchers: a matcher gives the item's values for that filter (several for a multi-valued field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from mock_cloud.ec2.catalogue import IMAGES
from mock_cloud.ec2.instance import STATE_CODES, Instance
from mock_cloud.ec2.security_group import SecurityGroup, SgRule
from mock_cloud.errors import CloudError
from mock_cloud.ids import ACCOUNT_ID

T = TypeVar("T")
Matcher = Callable[[Any], Iterable[str | None]]


def filtered(items: Iterable[T], filters: Mapping[str, list[str]], table: Mapping[str, Matcher],
             tags: Callable[[T], dict[str, str]] = lambda _: {}) -> list[T]:
    found = list(items)
    for name, patterns in filters.items():
        matcher = _matcher(name, table, tags)
        found = [item for item in found if _any_match(matcher(item), patterns)]
    return found


def _matcher(name: str, table: Mapping[str, Matcher], tags: Callable[[Any], dict[str, str]]) -> Matcher:
    if name.startswith("tag:"):
        return lambda item: [tags(item).get(name[4:])]
    if name == "tag-key":
        return lambda item: list(tags(item))
    if name == "tag-value":
        return lambda item: list(tags(item).values())
    if name not in table:
        raise CloudError("InvalidParameterValue", f"The filter '{name[:100]}' is invalid")
    return table[name]


def _any_match(values: Iterable[str | None], patterns: list[str]) -> bool:
    return any(v is not None and _wildcard_match(_tokens(p), v) for v in values for p in patterns)


_STAR, _ONE = object(), object()


@lru_cache(maxsize=256)
def _tokens(pattern: str) -> tuple[object, ...]:
    """AWS's filter wildcards: `*` any run, `?` one character, a backslash makes the next character literal
    (`\\*amazon\\?` is the text `*amazon?`); nothing else is special (unlike fnmatch's `[...]`)."""
    out: list[object] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(next(chars, "\\"))
        elif char == "*":
            out.append(_STAR)
        else:
            out.append(_ONE if char == "?" else char)
    return tuple(out)


def _wildcard_match(tokens: tuple[object, ...], text: str) -> bool:
    """Greedy matching that backtracks only to the last `*`: O(len(text) * len(tokens)), whatever the input
    (a regex of many `.*` can take exponential time on a hostile value)."""
    t = s = 0
    star, resume = -1, 0
    while s < len(text):
        if t < len(tokens) and (tokens[t] is _ONE or tokens[t] == text[s]):
            t, s = t + 1, s + 1
        elif t < len(tokens) and tokens[t] is _STAR:
            star, resume, t = t, s, t + 1
        elif star >= 0:
            resume += 1
            t, s = star + 1, resume
        else:
            return False
    return all(token is _STAR for token in tokens[t:])


def bool_text(value: bool) -> str:
    return "true" if value else "false"


# -- instances ---------------------------------------------------------------------------------------


def instance_filters(groups: Mapping[str, SecurityGroup]) -> dict[str, Matcher]:
    """DescribeInstances' filters (those whose fields lblab models), as the API reference names them."""

    def group_names(i: Instance) -> list[str | None]:
        return [groups[g].group_name if g in groups else None for g in i.security_group_ids]

    def architecture(i: Instance) -> list[str]:
        image = IMAGES.get(i.image_id)
        return [image.architecture if image else "x86_64"]

    table: dict[str, Matcher] = {
        "instance-id": lambda i: [i.instance_id],
        "instance-state-name": lambda i: [i.state],
        "instance-state-code": lambda i: [str(STATE_CODES[i.state])],
        "instance-type": lambda i: [i.instance_type],
        "image-id": lambda i: [i.image_id],
        "architecture": architecture,
        "availability-zone": lambda i: [i.availability_zone],
        "owner-id": lambda i: [ACCOUNT_ID],
        "reservation-id": lambda i: [i.reservation_id],
        "key-name": lambda i: [i.key_name],
        "launch-index": lambda i: [str(i.ami_launch_index)],
        "private-ip-address": lambda i: [i.private_ip],
        "ip-address": lambda i: [i.public_ip],
        "private-dns-name": lambda i: [i.private_dns_name],
        "dns-name": lambda i: [i.public_dns_name or None],
        "subnet-id": lambda i: [i.subnet_id],
        "vpc-id": lambda i: [i.vpc_id],
        "state-reason-code": lambda i: [i.state_reason["Code"] if i.state_reason else None],
        "state-reason-message": lambda i: [i.state_reason["Message"] if i.state_reason else None],
        "root-device-type": lambda i: ["ebs"],
        "tenancy": lambda i: ["default"],
        "instance.group-id": lambda i: list(i.security_group_ids),
        "instance.group-name": group_names,
        "group-id": lambda i: list(i.security_group_ids),
        "group-name": group_names,
    }
    # The primary network interface carries the instance's own addresses, subnet and groups.
    for field in ("private-dns-name", "subnet-id", "vpc-id", "availability-zone", "group-id", "group-name"):
        table[f"network-interface.{field}"] = table[field]
    table["network-interface.addresses.private-ip-address"] = table["private-ip-address"]
    table["network-interface.association.public-ip"] = table["ip-address"]
    return table


# -- security groups ----------------------------------------------------------------------------------


def group_filters(groups: Mapping[str, SecurityGroup]) -> dict[str, Matcher]:
    """DescribeSecurityGroups' filters: the group's own fields, and its inbound (`ip-permission.*`) and
    outbound (`egress.ip-permission.*`) rules, any rule matching."""

    def peer_name(rule: SgRule) -> str | None:
        peer = groups.get(rule.referenced_group_id or "")
        return peer.group_name if peer else None

    fields: dict[str, Callable[[SgRule], str | None]] = {
        "cidr": lambda r: r.cidr_ipv4,
        "from-port": lambda r: str(r.from_port),
        "to-port": lambda r: str(r.to_port),
        "protocol": lambda r: r.protocol,
        "group-id": lambda r: r.referenced_group_id,
        "group-name": peer_name,
        "user-id": lambda r: ACCOUNT_ID if r.referenced_group_id else None,
        "ipv6-cidr": lambda r: None,  # lblab's groups hold IPv4 rules only
        "prefix-list-id": lambda r: None,
    }
    table: dict[str, Matcher] = {
        "group-id": lambda g: [g.group_id],
        "group-name": lambda g: [g.group_name],
        "vpc-id": lambda g: [g.vpc_id],
        "description": lambda g: [g.description],
        "owner-id": lambda g: [ACCOUNT_ID],
    }
    for prefix, egress in (("ip-permission", False), ("egress.ip-permission", True)):
        for name, read in fields.items():
            table[f"{prefix}.{name}"] = _rule_matcher(read, egress)
    return table


def _rule_matcher(read: Callable[[SgRule], str | None], egress: bool) -> Matcher:
    return lambda g: [read(r) for r in (g.egress if egress else g.ingress)]
