"""What `lblab export` exports: the learner's resources read from a cloud's state, and naming helpers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_cloud.ec2.catalogue import IMAGES
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.security_group import SecurityGroup, SgRule
from mock_cloud.ec2.volume import Volume
from mock_cloud.ec2.vpc import Subnet
from mock_cloud.elbv2 import load_balancer, target_group
from mock_cloud.elbv2.ip_targets import target_instance
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup

# Log attributes name an S3 bucket of the learner's own, which the export cannot create.
LOG_ATTRIBUTES = ("access_logs.", "connection_logs.", "health_check_logs.")
LOG_NOTE = ("access, connection and health check logs are not exported: they need an S3 bucket of yours; "
            "set the *_logs.s3.* attributes once it exists")

@dataclass
class Setup:
    """The exportable part of a cloud: everything the learner created, in creation order."""

    region: str
    subnets: dict[str, Subnet]
    groups: list[SecurityGroup]  # the default group included: learners add rules to it too
    instances: list[Instance]  # not terminated
    target_groups: list[TargetGroup]
    load_balancers: list[LoadBalancer]
    listeners: list[Listener]
    volumes: list[Volume]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Setup:
        """From `Cloud.to_dict()` or a saved state file's `state`."""
        ec2, elbv2 = state["ec2"], state.get("elbv2") or {}
        instances = [Instance.from_dict(i) for i in ec2["instances"]]
        return cls(
            region=state["region"],
            subnets={s["subnet_id"]: Subnet(**s) for s in ec2["subnets"]},
            groups=[SecurityGroup.from_dict(g) for g in ec2["security_groups"]],
            instances=[i for i in instances if i.state not in ("shutting-down", "terminated")],
            target_groups=[TargetGroup.from_dict(g) for g in elbv2.get("target_groups", [])],
            load_balancers=[LoadBalancer.from_dict(lb) for lb in elbv2.get("load_balancers", [])],
            listeners=[Listener.from_dict(x) for x in elbv2.get("listeners", [])],
            volumes=[Volume.from_dict(v) for v in ec2.get("volumes", [])],
        )

    @property
    def created_groups(self) -> list[SecurityGroup]:
        return [g for g in self.groups if g.group_name != "default"]

    @property
    def is_empty(self) -> bool:
        extra_default_rules = any(extra_rules(g) for g in self.groups if g.group_name == "default")
        return not (self.created_groups or self.instances or self.target_groups or self.load_balancers
                    or extra_default_rules)

    def is_default_group(self, group_id: str) -> bool:
        return any(g.group_id == group_id and g.group_name == "default" for g in self.groups)

    def zone_suffix(self, subnet_id: str) -> str:
        """The zone letter of a subnet ("a" for ap-northeast-2a): zone names differ between regions."""
        return self.subnets[subnet_id].availability_zone.removeprefix(self.region)

    def uses_group(self, group_id: str) -> bool:
        """Whether anything exported names the group (instances, balancers, rules of other groups)."""
        named = {g for i in self.instances for g in i.security_group_ids}
        named |= {g for lb in self.load_balancers for g in lb.security_groups}
        named |= {r.referenced_group_id for g in self.groups for r in extra_rules(g) if r.referenced_group_id}
        return group_id in named or any(rules_changed(g) for g in self.groups if g.group_id == group_id)

    def zones_used(self) -> list[str]:
        subnet_ids = [i.subnet_id for i in self.instances] + [s for lb in self.load_balancers for s in lb.subnet_ids]
        return sorted({self.zone_suffix(s) for s in subnet_ids})

    def listeners_of(self, lb: LoadBalancer) -> list[Listener]:
        return [x for x in self.listeners if x.load_balancer_arn == lb.arn]

    def targets_of(self, group: TargetGroup) -> list[RegisteredTarget]:
        """Registered targets that are exported too (not draining; an instance, or an instance's address,
        that is exported)."""
        return [t for t in group.targets.values() if self.instance_behind(t) is not None and t.draining_until is None]

    def instance_behind(self, target: RegisteredTarget) -> Instance | None:
        """The exported instance a target names: by ID, or (an ip target) by its private address."""
        return target_instance({i.instance_id: i for i in self.instances}, target.id)

    def changed_root_volume(self, instance: Instance) -> Volume | None:
        """The instance's root volume when it differs from its AMI's default (size, type, deletion)."""
        image = IMAGES.get(instance.image_id)
        volume = next((v for v in self.volumes if v.instance_id == instance.instance_id), None)
        if image is None or volume is None:
            return None
        default = (image.root_volume_size, image.root_volume_type, True)
        return None if (volume.size, volume.volume_type, volume.delete_on_termination) == default else volume


def is_default_egress(rule: SgRule) -> bool:
    """The allow-all outbound rule every new group starts with."""
    return rule.egress and rule.protocol == "-1" and rule.cidr_ipv4 == "0.0.0.0/0"


def extra_rules(group: SecurityGroup) -> list[SgRule]:
    """A group's rules beyond what AWS creates with it (for the default group: all from itself, all out)."""
    def standard(rule: SgRule) -> bool:
        self_ingress = (not rule.egress and rule.protocol == "-1" and rule.referenced_group_id == group.group_id)
        return is_default_egress(rule) or (group.group_name == "default" and self_ingress)

    return [r for r in group.rules if not standard(r)]


def rules_changed(group: SecurityGroup) -> bool:
    """Whether a group's rules differ from those AWS creates it with."""
    return bool(extra_rules(group)) or not any(is_default_egress(r) for r in group.rules)


def lb_attributes(lb: LoadBalancer) -> dict[str, str]:
    """The attributes the learner changed, but for logs (see LOG_ATTRIBUTES)."""
    return {k: v for k, v in lb.attributes.items()
            if load_balancer.ATTRIBUTE_DEFAULTS.get(k) != v and not k.startswith(LOG_ATTRIBUTES)}


def tg_attributes(group: TargetGroup) -> dict[str, str]:
    return {k: v for k, v in group.attributes.items() if target_group.ATTRIBUTE_DEFAULTS.get(k) != v}


def with_refs(value: Any, refs: dict[str, Any]) -> Any:
    """`value` (AWS-named dicts and lists) with every string that `refs` knows replaced by its reference."""
    if isinstance(value, dict):
        return {k: with_refs(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [with_refs(v, refs) for v in value]
    return refs.get(value, value) if isinstance(value, str) else value


class Names:
    """Unique identifiers in one style (shell variables, CloudFormation logical IDs)."""

    def __init__(self, style: Callable[[list[str]], str]) -> None:
        self._style = style
        self._taken: set[str] = set()

    def __call__(self, *parts: str) -> str:
        words = [w for part in parts for w in re.split(r"[^A-Za-z0-9]+", part) if w]
        base = self._style(words)
        name, counter = base, 2
        while name in self._taken:
            name, counter = f"{base}{counter}", counter + 1
        self._taken.add(name)
        return name


def shell_names() -> Names:
    return Names(lambda words: "_".join(w.upper() for w in words))


def logical_names() -> Names:
    return Names(lambda words: "".join(w[:1].upper() + w[1:] for w in words))
