"""Security-group rules as lab files write them (`{port: 80, cidr: 0.0.0.0/0}`), for checks and solutions."""

from __future__ import annotations

from typing import Any

from labs.resources import security_group_named
from labs.schema import Field, Int, ListOf, Record, Str
from mock_cloud import Cloud, SgRule

_RULE = Record({
    "protocol": Field(Str(choices=("tcp", "udp", "-1")), default="tcp"),
    "port": Field(Int(1, 65535), required=True),
    "cidr": Field(Str()),
    "source_group": Field(Str()),
    "description": Field(Str(), default=""),
}, one_of=("cidr", "source_group"), name="inbound rule")
RULES = ListOf(_RULE, min_items=1)


def describe_rule(spec: dict[str, Any]) -> str:
    source = spec["cidr"] or spec["source_group"]
    return f"{spec['protocol'].upper()} {spec['port']} ← {source}"


def rule_admits(cloud: Cloud, rule: SgRule, spec: dict[str, Any]) -> bool:
    """Does `rule` let in what `spec` asks for? A broader rule (All traffic, a port range) does too."""
    if rule.egress or not rule.covers(spec["protocol"], spec["port"]):
        return False
    if spec["cidr"]:
        return bool(rule.cidr_ipv4 == spec["cidr"])
    group = security_group_named(cloud, spec["source_group"])
    return group is not None and rule.referenced_group_id == group.group_id
