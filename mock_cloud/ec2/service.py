"""EC2: the default VPC, security groups and instances — the one API every face calls.

Mutations are `async` (they may bind real ports) and return as AWS does: at once, with
the resource in its transitional state; the rest happens on the cloud clock.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from mock_cloud.context import Context
from mock_cloud.ec2 import lifecycle
from mock_cloud.ec2.catalogue import (
    DEFAULT_IMAGE_ID,
    DEFAULT_INSTANCE_TYPE,
    IMAGES,
    INSTANCE_TYPES,
    VCPU_LIMIT,
    Image,
    InstanceType,
)
from mock_cloud.ec2.filters import filtered, instance_filters
from mock_cloud.ec2.instance import Instance, reservation_id_for
from mock_cloud.ec2.security_group import (
    SecurityGroup,
    SgRule,
    normalize_cidr,
    normalize_ports,
    normalize_protocol,
    validate_group_text,
)
from mock_cloud.ec2.volume import RootDevice, Volume, root_device, root_volume, settle
from mock_cloud.ec2.vpc import Subnet, Vpc, default_network
from mock_cloud.errors import CloudError
from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.ids import private_dns_name, public_dns_name

USER_DATA_LIMIT = 16 * 1024
MAX_TAGS = 50
RULES_PER_DIRECTION = 60  # the VPC quota "Inbound or outbound rules per security group" (default 60 each)
ID_PATTERNS = {
    "i": re.compile(r"^i-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "sg": re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "subnet": re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "vpc": re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "ami": re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "vol": re.compile(r"^vol-([0-9a-f]{8}|[0-9a-f]{17})$"),
    "sgr": re.compile(r"^sgr-([0-9a-f]{8}|[0-9a-f]{17})$"),
}


@dataclass(frozen=True)
class AttributeChange:
    """One ModifyInstanceAttribute change: exactly one field is set."""

    group_ids: list[str] | None = None
    instance_type: str | None = None
    user_data: bytes | None = None
    disable_api_termination: bool | None = None
    source_dest_check: bool | None = None

    @property
    def needs_stopped(self) -> bool:
        # The type and the user data change only while the instance is stopped.
        return self.instance_type is not None or self.user_data is not None


@dataclass
class RuleSpec:
    """One permission as a form or an API call states it."""

    protocol: str = "tcp"
    from_port: int | None = None
    to_port: int | None = None
    cidr_ipv4: str | None = None
    source_group_id: str | None = None
    description: str = ""


class Ec2Service:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.vpcs: dict[str, Vpc] = {}
        self.subnets: dict[str, Subnet] = {}
        self.security_groups: dict[str, SecurityGroup] = {}
        self.instances: dict[str, Instance] = {}
        self.volumes: dict[str, Volume] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Other services (ELBv2) register a check so that a group their resources use can't be deleted.
        self.group_in_use_checks: list[Callable[[str], bool]] = []
        # Guests date their web servers' answers by the cloud's clock, and keep it between requests.
        ctx.clock.on_change(self._tell_guests_the_time)

    def _tell_guests_the_time(self) -> None:
        for instance in self.instances.values():
            if instance.guest is not None:
                instance.guest.tell_time()

    # == setup and persistence ==================================================
    def create_defaults(self) -> None:
        vpc, subnets = default_network(self.ctx.region, self.ctx.ids)
        self.vpcs[vpc.vpc_id] = vpc
        self.subnets.update({s.subnet_id: s for s in subnets})
        group = SecurityGroup(self.ctx.ids.resource_id("sg"), "default", "default VPC security group", vpc.vpc_id)
        # The default group admits everything from its own members and allows all outbound.
        group.rules.append(SgRule(self._rule_id(), False, "-1", -1, -1, referenced_group_id=group.group_id))
        group.rules.append(SgRule(self._rule_id(), True, "-1", -1, -1, cidr_ipv4="0.0.0.0/0"))
        self.security_groups[group.group_id] = group

    def to_dict(self) -> dict[str, Any]:
        return {
            "vpcs": [v.to_dict() for v in self.vpcs.values()],
            "subnets": [s.to_dict() for s in self.subnets.values()],
            "security_groups": [g.to_dict() for g in self.security_groups.values()],
            "instances": [i.to_dict() for i in self.instances.values()],
            "volumes": [v.to_dict() for v in self.volumes.values()],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.vpcs = {v["vpc_id"]: Vpc(**v) for v in data["vpcs"]}
        self.subnets = {s["subnet_id"]: Subnet(**s) for s in data["subnets"]}
        self.security_groups = {g["group_id"]: SecurityGroup.from_dict(g) for g in data["security_groups"]}
        self.instances = {i["instance_id"]: Instance.from_dict(i) for i in data["instances"]}
        for instance in self.instances.values():
            instance.os.clock = self.ctx.clock.now
        self._load_volumes(data.get("volumes"))

    async def resume(self) -> None:
        """After a restart: bring every instance back to where it was heading."""
        for instance in self.instances.values():
            if instance.state in ("pending", "running"):
                # first=True: user data that a crash kept from running (it runs some seconds after
                # `running`) still runs, exactly once: _boot skips it when it has already run.
                self._spawn(instance, self._boot(instance, first=True))
            elif instance.state == "stopping":
                self._spawn(instance, self._stop(instance))
            elif instance.state == "shutting-down":
                self._spawn(instance, self._terminate(instance))
            elif instance.state == "terminated":
                self._spawn(instance, self._forget_later(instance))

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        await asyncio.gather(*(lifecycle.stop_guest(i) for i in self.instances.values()))

    async def after_rollback(self, saved: dict[str, Any], touched: set[str]) -> None:
        """A change that could not be saved was undone (mock_cloud/transaction.py): an instance put
        back from its saved form reads the cloud's clock again."""
        for instance_id in touched & set(self.instances):
            self.instances[instance_id].os.clock = self.ctx.clock.now

    # == lookups ===================================================================
    @property
    def default_vpc(self) -> Vpc:
        return next(v for v in self.vpcs.values() if v.is_default)

    def subnets_of(self, vpc_id: str) -> list[Subnet]:
        return sorted((s for s in self.subnets.values() if s.vpc_id == vpc_id), key=lambda s: s.availability_zone)

    def availability_zones(self) -> list[str]:
        return sorted({s.availability_zone for s in self.subnets.values()})

    def vpc(self, vpc_id: str) -> Vpc:
        _check_id("vpc", vpc_id, "InvalidVpcID.Malformed")
        if vpc_id not in self.vpcs:
            raise CloudError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
        return self.vpcs[vpc_id]

    def subnet(self, subnet_id: str) -> Subnet:
        _check_id("subnet", subnet_id, "InvalidSubnetID.Malformed")
        if subnet_id not in self.subnets:
            raise CloudError("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist")
        return self.subnets[subnet_id]

    def security_group(self, group_id: str) -> SecurityGroup:
        _check_id("sg", group_id, "InvalidGroupId.Malformed")
        if group_id not in self.security_groups:
            raise CloudError("InvalidGroup.NotFound", f"The security group '{group_id}' does not exist")
        return self.security_groups[group_id]

    def security_group_by_name(self, name: str, vpc_id: str | None = None) -> SecurityGroup:
        vpc_id = vpc_id or self.default_vpc.vpc_id
        for group in self.security_groups.values():
            if group.group_name == name and group.vpc_id == vpc_id:
                return group
        raise CloudError(
            "InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC '{vpc_id}'"
        )

    def instance(self, instance_id: str) -> Instance:
        _check_id("i", instance_id, "InvalidInstanceID.Malformed")
        if instance_id not in self.instances:
            raise CloudError("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
        return self.instances[instance_id]

    def describe_instances(
        self, instance_ids: list[str] | None = None, filters: dict[str, list[str]] | None = None
    ) -> list[Instance]:
        found = self._instances(instance_ids) if instance_ids else list(self.instances.values())
        return filtered(found, filters or {}, instance_filters(self.security_groups), lambda i: i.tags)

    def _instances(self, instance_ids: list[str]) -> list[Instance]:
        """The instances named, in order; AWS names every unknown one in a single error."""
        for instance_id in instance_ids:
            _check_id("i", instance_id, "InvalidInstanceID.Malformed")
        unknown = list(dict.fromkeys(i for i in instance_ids if i not in self.instances))
        if len(unknown) > 1:
            raise CloudError("InvalidInstanceID.NotFound", f"The instance IDs '{', '.join(unknown)}' do not exist")
        return [self.instance(i) for i in instance_ids]

    def describe_security_groups(self, group_ids: list[str] | None = None) -> list[SecurityGroup]:
        if group_ids:
            return [self.security_group(g) for g in group_ids]
        return list(self.security_groups.values())

    def instance_by_public_address(self, host: str) -> Instance | None:
        host = host.lower().rstrip(".")
        for instance in self.instances.values():
            if instance.public_ip and host in (instance.public_ip, instance.public_dns_name.lower()):
                return instance
        return None

    # == security groups ============================================================
    async def create_security_group(
        self, name: str, description: str, vpc_id: str | None = None, tags: dict[str, str] | None = None
    ) -> SecurityGroup:
        validate_group_text(name, description)
        vpc = self.vpc(vpc_id) if vpc_id else self.default_vpc
        if any(g.group_name == name and g.vpc_id == vpc.vpc_id for g in self.security_groups.values()):
            raise CloudError(
                "InvalidGroup.Duplicate", f"The security group '{name}' already exists for VPC '{vpc.vpc_id}'"
            )
        group = SecurityGroup(self.ctx.ids.resource_id("sg"), name, description, vpc.vpc_id, tags=dict(tags or {}))
        # A new group admits nothing and allows all outbound traffic.
        group.rules.append(SgRule(self._rule_id(), True, "-1", -1, -1, cidr_ipv4="0.0.0.0/0"))
        self.security_groups[group.group_id] = group
        self.ctx.changed("security_group.created", group.group_id)
        return group

    async def delete_security_group(self, group_id: str) -> None:
        group = self.security_group(group_id)
        if group.group_name == "default":
            raise CloudError(
                "CannotDelete", f'the specified group: "{group_id}" name: "default" cannot be deleted by a user'
            )
        users = [
            i.instance_id
            for i in self.instances.values()
            if group_id in i.security_group_ids and i.state != "terminated"
        ]
        referrers = [
            g.group_id
            for g in self.security_groups.values()
            if g.group_id != group_id and any(r.referenced_group_id == group_id for r in g.rules)
        ]
        if users or referrers or self._group_in_use_elsewhere(group_id):
            raise CloudError("DependencyViolation", f"resource {group_id} has a dependent object")
        del self.security_groups[group_id]
        self.ctx.changed("security_group.deleted", group_id)

    def _group_in_use_elsewhere(self, group_id: str) -> bool:
        return any(check(group_id) for check in self.group_in_use_checks)

    async def authorize(self, group_id: str, specs: list[RuleSpec], egress: bool = False) -> list[SgRule]:
        group = self.security_group(group_id)
        if not specs:
            raise CloudError("MissingParameter", "No permissions given (IpPermissions is empty).")
        new_rules = [self._rule_from_spec(group, spec, egress) for spec in specs]
        for index, rule in enumerate(new_rules):
            existing = group.rules + new_rules[:index]
            if any(rule.same_permission(other) for other in existing):
                raise _duplicate_rule(rule)
        if sum(r.egress == egress for r in group.rules) + len(new_rules) > RULES_PER_DIRECTION:
            raise CloudError("RulesPerSecurityGroupLimitExceeded",
                             "The maximum number of rules per security group has been reached.")
        group.rules.extend(new_rules)
        self.ctx.changed("security_group.rules", group_id)
        return new_rules

    async def revoke(
        self,
        group_id: str,
        specs: list[RuleSpec] | None = None,
        rule_ids: list[str] | None = None,
        egress: bool = False,
    ) -> None:
        group = self.security_group(group_id)
        doomed: list[SgRule] = []
        for rule_id in rule_ids or []:
            match = next((r for r in group.rules if r.rule_id == rule_id and r.egress == egress), None)
            if match is None:
                raise _rule_not_found(rule_id)
            doomed.append(match)
        for spec in specs or []:
            probe = self._rule_from_spec(group, spec, egress)
            match = next((r for r in group.rules if r.same_permission(probe)), None)
            if match is None:
                raise CloudError(
                    "InvalidPermission.NotFound", "The specified rule does not exist in this security group."
                )
            doomed.append(match)
        group.rules = [r for r in group.rules if r not in doomed]
        self.ctx.changed("security_group.rules", group_id)

    def _rule_from_spec(self, group: SecurityGroup, spec: RuleSpec, egress: bool) -> SgRule:
        protocol = normalize_protocol(spec.protocol)
        from_port, to_port = normalize_ports(protocol, spec.from_port, spec.to_port)
        if bool(spec.cidr_ipv4) == bool(spec.source_group_id):
            raise CloudError(
                "InvalidParameterValue",
                "Each rule needs exactly one source or destination: a CIDR block or a security group.",
            )
        if spec.source_group_id:
            peer = self.security_group(spec.source_group_id)
            if peer.vpc_id != group.vpc_id:
                raise CloudError(
                    "InvalidGroup.NotFound", "You have specified two resources that belong to different networks."
                )
        _check_rule_description(spec.description)
        return SgRule(
            self._rule_id(),
            egress,
            protocol,
            from_port,
            to_port,
            cidr_ipv4=normalize_cidr(spec.cidr_ipv4) if spec.cidr_ipv4 else None,
            referenced_group_id=spec.source_group_id,
            description=spec.description,
        )

    def _rule_id(self) -> str:
        return self.ctx.ids.resource_id("sgr")

    # -- rules as resources (the console's model: each rule has its sgr- ID) ----------------------
    def security_group_rules(self, rule_ids: list[str] | None = None) -> list[tuple[SecurityGroup, SgRule]]:
        every = [(g, r) for g in self.security_groups.values() for r in g.rules]
        if not rule_ids:
            return every
        by_id = {r.rule_id: (g, r) for g, r in every}
        for rule_id in rule_ids:
            _check_id("sgr", rule_id, "InvalidSecurityGroupRuleId.Malformed")
            if rule_id not in by_id:
                raise _rule_not_found(rule_id)
        return [by_id[r] for r in dict.fromkeys(rule_ids)]

    async def modify_security_group_rules(self, group_id: str, changes: dict[str, RuleSpec]) -> None:
        """Rewrite rules in place: each keeps its ID and direction and takes the new permission."""
        group = self.security_group(group_id)
        rules = {r.rule_id: r for r in group.rules}
        replaced: dict[str, SgRule] = {}
        for rule_id, spec in changes.items():
            if rule_id not in rules:
                raise _rule_not_found(rule_id)
            new = self._rule_from_spec(group, spec, rules[rule_id].egress)
            new.rule_id = rule_id
            replaced[rule_id] = new
        result = [replaced.get(r.rule_id, r) for r in group.rules]
        for index, rule in enumerate(result):
            if any(rule.same_permission(other) for other in result[:index]):
                raise _duplicate_rule(rule)
        group.rules = result
        self.ctx.changed("security_group.rules", group_id)

    async def update_rule_descriptions(self, group_id: str, egress: bool, by_id: dict[str, str],
                                       specs: list[RuleSpec]) -> None:
        """UpdateSecurityGroupRuleDescriptions*: by rule ID, or by the permission (whose description is new)."""
        group = self.security_group(group_id)
        updates: list[tuple[SgRule, str]] = []
        for rule_id, description in by_id.items():
            match = next((r for r in group.rules if r.rule_id == rule_id and r.egress == egress), None)
            if match is None:
                raise _rule_not_found(rule_id)
            _check_rule_description(description)
            updates.append((match, description))
        for spec in specs:
            probe = self._rule_from_spec(group, spec, egress)
            match = next((r for r in group.rules if r.same_permission(probe)), None)
            if match is None:
                raise CloudError("InvalidPermission.NotFound",
                                 "The specified rule does not exist in this security group.")
            updates.append((match, spec.description))
        for rule, description in updates:
            rule.description = description
        self.ctx.changed("security_group.rules", group_id)

    # == instances ==================================================================
    async def run_instances(
        self,
        image_id: str = DEFAULT_IMAGE_ID,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        count: int = 1,
        *,
        name: str | None = None,
        subnet_id: str | None = None,
        security_group_ids: list[str] | None = None,
        user_data: str | bytes = "",
        key_name: str | None = None,
        associate_public_ip: bool | None = None,
        tags: dict[str, str] | None = None,
        max_count: int | None = None,
        private_ip: str | None = None,
        root: RootDevice | None = None,
        disable_api_termination: bool = False,
    ) -> list[Instance]:
        image = self._image(image_id)
        root = root or root_device(image)
        itype = self._instance_type(instance_type)
        _check_architecture(image, itype)
        count = self._count(count, max_count)
        subnet = self.subnet(subnet_id) if subnet_id else self._default_subnet()
        groups = self._launch_groups(security_group_ids, subnet)
        if private_ip is not None:
            self._check_private_ip(private_ip, subnet, count)
        script = _user_data_text(user_data)
        all_tags = _check_tags({**(tags or {}), **({"Name": name} if name else {})})
        self._check_vcpus(itype.vcpus * count)
        public = subnet.map_public_ip_on_launch if associate_public_ip is None else associate_public_ip
        launched = []
        for index in range(count):
            instance = self._new_instance(image.image_id, itype.name, image.distro, subnet, groups, script, public,
                                          private_ip)
            instance.key_name, instance.tags, instance.ami_launch_index = key_name, dict(all_tags), index
            instance.disable_api_termination = disable_api_termination
            self.instances[instance.instance_id] = instance
            self._attach_root_volume(instance, root)
            launched.append(instance)
        for instance in launched:
            instance.reservation_id = reservation_id_for(launched[0].instance_id)
        self.ctx.changed("instance.launched", ",".join(i.instance_id for i in launched))
        for instance in launched:
            self._spawn(instance, self._boot(instance, first=True))
        return launched

    async def stop_instances(self, instance_ids: list[str]) -> list[tuple[Instance, str]]:
        """Returns (instance, previous state) pairs, as StopInstances reports them."""
        instances = self._instances(instance_ids)
        for instance in instances:
            if instance.state in ("shutting-down", "terminated"):
                raise CloudError(
                    "IncorrectInstanceState",
                    f"This instance '{instance.instance_id}' is not in a state from which it can be stopped.",
                )
        return self._shut_down(instances, "stopping", ("stopping", "stopped"), self._stop)

    async def start_instances(self, instance_ids: list[str]) -> list[tuple[Instance, str]]:
        instances = self._instances(instance_ids)
        for instance in instances:
            if instance.state not in ("stopped", "pending", "running"):
                raise CloudError(
                    "IncorrectInstanceState",
                    f"The instance '{instance.instance_id}' is not in a state from which it can be started.",
                )
        self._check_vcpus(sum(INSTANCE_TYPES[i.instance_type].vcpus for i in instances if i.state == "stopped"))
        changes = []
        for instance in instances:
            changes.append((instance, instance.state))
            if instance.state != "stopped":
                continue
            instance.state, instance.state_transition_reason, instance.state_reason = "pending", "", None
            self._assign_public_ip(instance)
        self._announce(instances)
        for instance, before in changes:
            if before == "stopped":
                # As cloud-init: user data that never finished (stopped during the first boot) runs now.
                self._spawn(instance, self._boot(instance, first=True))
        return changes

    async def reboot_instances(self, instance_ids: list[str]) -> None:
        instances = self._instances(instance_ids)
        for instance in instances:
            if instance.state == "terminated":
                raise CloudError(
                    "IncorrectInstanceState",
                    f"The instance '{instance.instance_id}' is not in a state from which it can be rebooted.",
                )
        for instance in instances:
            if instance.state == "running":
                self._spawn(instance, self._reboot(instance))

    async def terminate_instances(self, instance_ids: list[str]) -> list[tuple[Instance, str]]:
        instances = self._instances(instance_ids)
        _check_termination_allowed(instances)
        return self._shut_down(instances, "shutting-down", ("shutting-down", "terminated"), self._terminate)

    def _shut_down(
        self,
        instances: list[Instance],
        state: str,
        already: tuple[str, ...],
        then: Callable[[Instance], Coroutine[Any, Any, None]],
    ) -> list[tuple[Instance, str]]:
        """A user-initiated stop or terminate: (instance, previous state) pairs, as the API reports them."""
        changes = []
        for instance in instances:
            changes.append((instance, instance.state))
            if instance.state in already:
                continue  # asking again is not an error on AWS
            instance.state = state
            instance.state_transition_reason = f"User initiated ({lifecycle.gmt(self.ctx.clock.now())})"
            instance.state_reason = {
                "Code": "Client.UserInitiatedShutdown",
                "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
            }
        self._announce(instances)  # saved first: a change that cannot be saved starts nothing
        for instance, before in changes:
            if before not in already:
                self._spawn(instance, then(instance))
        return changes

    def get_console_output(self, instance_id: str) -> str:
        return self.instance(instance_id).console_output

    async def create_tags(self, resource_ids: list[str], tags: dict[str, str]) -> None:
        _check_tags(tags)
        targets: list[Instance | SecurityGroup] = []
        for resource_id in resource_ids:
            if resource_id.startswith("i-"):
                targets.append(self.instance(resource_id))
            elif resource_id.startswith("sg-"):
                targets.append(self.security_group(resource_id))
            else:
                raise CloudError("InvalidID", f"The ID '{resource_id}' is not valid")
        for target in targets:
            target.tags.update(tags)
        self.ctx.changed("tags.changed", ",".join(resource_ids))

    async def open_shell(self, instance_id: str, user: str | None = None) -> lifecycle.GuestShell:
        """A Connect session in the instance's guest (its default user, or `user`)."""
        instance = self.instance(instance_id)
        if instance.state != "running" or instance.guest is None or not instance.guest.alive:
            raise CloudError("IncorrectInstanceState",
                             f"The instance '{instance_id}' is not in a state from which it can be connected to.")
        return await lifecycle.GuestShell.open(instance, user)

    async def simulate_instance_failure(self, instance_id: str, mode: str = "kill") -> None:
        """lblab-only extension (no such EC2 API): the instance's guest is killed (`kill`) or stops
        answering (`hang`), so its status check fails, as a real instance's would."""
        if mode not in lifecycle.FAILURE_MODES:
            raise CloudError("InvalidParameterValue", f"Invalid value '{mode[:40]}' for Mode (kill | hang).")
        instance = self.instance(instance_id)
        if instance.state != "running" or instance.guest is None or not instance.guest.alive:
            raise CloudError("IncorrectInstanceState",
                             f"The instance '{instance_id}' is not in a state from which it can fail.")
        lifecycle.simulate_failure(self.ctx, instance, mode)

    # == instance attributes ===========================================================
    async def modify_instance_attribute(self, instance_id: str, change: AttributeChange) -> Instance:
        """ModifyInstanceAttribute: one attribute per call, as on AWS."""
        instance = self.instance(instance_id)
        if change.needs_stopped and instance.state != "stopped":
            raise CloudError("IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state.")
        if change.group_ids is not None:
            instance.security_group_ids = self._instance_groups(instance, change.group_ids)
        if change.instance_type is not None:
            itype = self._instance_type(change.instance_type)
            _check_architecture(IMAGES[instance.image_id], itype)
            instance.instance_type = itype.name
        if change.user_data is not None:
            instance.user_data = _user_data_text(change.user_data)
        if change.disable_api_termination is not None:
            instance.disable_api_termination = change.disable_api_termination
        if change.source_dest_check is not None:
            instance.source_dest_check = change.source_dest_check
        self._refresh_metadata(instance)
        self.ctx.changed("instance.attribute", instance_id)
        return instance

    def _instance_groups(self, instance: Instance, group_ids: list[str]) -> list[str]:
        if not group_ids:
            raise CloudError("MissingParameter", "The request must contain the parameter groupId")
        for group_id in group_ids:
            if self.security_group(group_id).vpc_id != instance.vpc_id:
                raise CloudError("InvalidGroup.NotFound",
                                 f"The security group '{group_id}' does not exist in VPC '{instance.vpc_id}'")
        return list(dict.fromkeys(group_ids))

    # == volumes =====================================================================
    def describe_volumes(self, volume_ids: list[str] | None = None) -> list[Volume]:
        settle(self.volumes, self.instances)
        for volume_id in volume_ids or []:
            _check_id("vol", volume_id, "InvalidVolumeID.Malformed")
            if volume_id not in self.volumes:
                raise CloudError("InvalidVolume.NotFound", f"The volume '{volume_id}' does not exist.")
        if volume_ids:
            return [self.volumes[v] for v in dict.fromkeys(volume_ids)]
        return list(self.volumes.values())

    def volumes_of(self, instance_id: str) -> list[Volume]:
        """The volumes attached to an instance (its block device mappings)."""
        settle(self.volumes, self.instances)
        return [v for v in self.volumes.values() if v.instance_id == instance_id and v.state != "deleted"]

    def _attach_root_volume(self, instance: Instance, root: RootDevice) -> None:
        volume = root_volume(instance, IMAGES[instance.image_id], root)
        self.volumes[volume.volume_id] = volume

    def _load_volumes(self, saved: list[dict[str, Any]] | None) -> None:
        """Saved volumes; a state saved before volumes existed gets each instance's default root volume."""
        self.volumes = {v["volume_id"]: Volume.from_dict(v) for v in saved or []}
        attached = {v.instance_id for v in self.volumes.values()}
        for instance in self.instances.values():
            if instance.instance_id not in attached and instance.image_id in IMAGES:
                self._attach_root_volume(instance, root_device(IMAGES[instance.image_id]))
        settle(self.volumes, self.instances)

    # -- validation helpers ------------------------------------------------------------
    def _image(self, image_id: str) -> Any:
        _check_id("ami", image_id, "InvalidAMIID.Malformed")
        if image_id not in IMAGES:
            raise CloudError("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")
        return IMAGES[image_id]

    def _instance_type(self, name: str) -> Any:
        if name not in INSTANCE_TYPES:
            raise CloudError("InvalidParameterValue", f"Invalid value '{name}' for InstanceType.")
        return INSTANCE_TYPES[name]

    def _count(self, count: int, max_count: int | None) -> int:
        if count < 1:
            raise CloudError(
                "InvalidParameterValue", f"Invalid value '{count}' for minCount. Must be greater than or equal to 1."
            )
        if max_count is not None and max_count < count:
            raise CloudError("InvalidParameterValue", "maxCount must be greater than or equal to minCount.")
        return max_count or count

    def _default_subnet(self) -> Subnet:
        return self.subnets_of(self.default_vpc.vpc_id)[0]

    def _launch_groups(self, group_ids: list[str] | None, subnet: Subnet) -> list[str]:
        if not group_ids:
            return [
                next(
                    g.group_id
                    for g in self.security_groups.values()
                    if g.group_name == "default" and g.vpc_id == subnet.vpc_id
                )
            ]
        for group_id in group_ids:
            if self.security_group(group_id).vpc_id != subnet.vpc_id:
                raise CloudError(
                    "InvalidParameter",
                    f"Security group {group_id} and subnet {subnet.subnet_id} belong to different networks.",
                )
        return list(dict.fromkeys(group_ids))

    def _private_ips_in_use(self) -> set[str]:
        return {i.private_ip for i in self.instances.values() if i.state != "terminated"}

    def _check_private_ip(self, address: str, subnet: Subnet, count: int) -> None:
        """RunInstances' PrivateIpAddress: one instance, an address of the subnet that AWS does not reserve
        (the first four and the last) and that no other instance holds."""
        if count != 1:
            raise CloudError("InvalidParameterCombination",
                             "PrivateIpAddress can only be specified when launching a single instance.")
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            raise CloudError("InvalidParameterValue", f"Invalid value '{address[:100]}' for PrivateIpAddress.") \
                from None
        network = ipaddress.IPv4Network(subnet.cidr_block)
        if ip not in network:
            raise CloudError("InvalidParameterValue", "Address does not fall within the subnet's address range")
        if not int(network.network_address) + 4 <= int(ip) < int(network.broadcast_address):
            raise CloudError("InvalidParameterValue", "Address is in subnet's reserved address range")
        if address in self._private_ips_in_use():
            raise CloudError("InvalidIPAddress.InUse", f"Address {address} is in use.")

    def _check_vcpus(self, extra: int) -> None:
        in_use = sum(
            INSTANCE_TYPES[i.instance_type].vcpus for i in self.instances.values() if i.state in ("pending", "running")
        )
        if in_use + extra > VCPU_LIMIT:
            raise CloudError(
                "VcpuLimitExceeded",
                f"You have requested more vCPU capacity than your current vCPU limit of {VCPU_LIMIT} allows for the "
                "instance bucket that the specified instance type belongs to. "
                "(lblab keeps the default quota of a new account.)",
            )

    def _new_instance(
        self, image_id: str, itype: str, distro: str, subnet: Subnet, groups: list[str], script: str, public: bool,
        private_ip: str | None = None,
    ) -> Instance:
        private_ip = private_ip or self.ctx.ids.private_ip(subnet.cidr_block, self._private_ips_in_use())
        instance_id = self.ctx.ids.resource_id("i")
        dns = private_dns_name(private_ip, self.ctx.region)
        os_state = InstanceOS.base_image(distro, hostname=dns)
        os_state.clock = self.ctx.clock.now  # log lines inside the guest carry cloud time
        instance = Instance(
            instance_id=instance_id,
            image_id=image_id,
            instance_type=itype,
            subnet_id=subnet.subnet_id,
            vpc_id=subnet.vpc_id,
            availability_zone=subnet.availability_zone,
            private_ip=private_ip,
            private_dns_name=dns,
            security_group_ids=groups,
            os=os_state,
            launch_time=self.ctx.clock.now(),
            associate_public_ip=public,
            user_data=script,
        )
        self._assign_public_ip(instance)
        return instance

    def _assign_public_ip(self, instance: Instance) -> None:
        if instance.associate_public_ip:
            used = {i.public_ip for i in self.instances.values() if i.public_ip}
            instance.public_ip = self.ctx.ids.public_ip(used)
            instance.public_dns_name = public_dns_name(instance.public_ip, self.ctx.region)
        self._refresh_metadata(instance)  # a private-only instance's IMDS answers too

    def _refresh_metadata(self, instance: Instance) -> None:
        md = instance.os.metadata
        md.update(
            {
                "instance-id": instance.instance_id,
                "instance-type": instance.instance_type,
                "ami-id": instance.image_id,
                "local-ipv4": instance.private_ip,
                "local-hostname": instance.private_dns_name,
                "hostname": instance.private_dns_name,
                "placement/availability-zone": instance.availability_zone,
                "placement/region": self.ctx.region,
                "security-groups": " ".join(
                    self.security_groups[g].group_name for g in instance.security_group_ids if g in self.security_groups
                ),
            }
        )
        # IMDS serves the user data attribute as it is now (edited while stopped), not what cloud-init ran.
        instance.os.user_data = instance.user_data or None
        if instance.public_ip:
            md["public-ipv4"] = instance.public_ip
            md["public-hostname"] = instance.public_dns_name
        else:
            md.pop("public-ipv4", None)
            md.pop("public-hostname", None)

    # -- lifecycle -------------------------------------------------------------------
    def _spawn(self, instance: Instance, coro: Any) -> None:
        previous = self._tasks.get(instance.instance_id)
        if previous is not None and not previous.done():
            previous.cancel()
        self._tasks[instance.instance_id] = self.ctx.clock.spawn(coro, name=f"lifecycle-{instance.instance_id}")

    def _announce(self, instances: list[Instance]) -> None:
        for instance in instances:
            self.ctx.changed("instance.state", instance.instance_id, state=instance.state)

    def _set_state(self, instance: Instance, state: str) -> None:
        instance.state = state
        self.ctx.changed("instance.state", instance.instance_id, state=state)

    async def _boot(self, instance: Instance, first: bool) -> None:
        clock = self.ctx.clock
        if instance.state == "pending":
            await clock.sleep(lifecycle.BOOT_SECONDS)
            instance.console_output += lifecycle.console_boot_lines(instance, clock.now())
            await lifecycle.start_guest(self.ctx, instance)
            self._set_state(instance, "running")
        else:
            await lifecycle.start_guest(self.ctx, instance)
        if first and not instance.os.user_data_ran:
            await clock.sleep(lifecycle.USER_DATA_SECONDS)
            await lifecycle.run_first_boot(instance)

    async def _stop(self, instance: Instance) -> None:
        await lifecycle.stop_guest(instance)
        instance.os.reset_boot_state()
        self.ctx.changed("instance.os", instance.instance_id, persist=False)
        await self.ctx.clock.sleep(lifecycle.STOP_SECONDS)
        # A stopped instance gives its public IPv4 back to Amazon's pool.
        instance.public_ip, instance.public_dns_name = None, ""
        self._refresh_metadata(instance)
        self._set_state(instance, "stopped")

    async def _reboot(self, instance: Instance) -> None:
        """A new guest from the saved OS state: a dead or hung guest recovers here."""
        await lifecycle.stop_guest(instance)
        instance.os.reset_boot_state()
        self.ctx.changed("instance.os", instance.instance_id)
        await self.ctx.clock.sleep(lifecycle.REBOOT_SECONDS)
        await lifecycle.start_guest(self.ctx, instance)
        self.ctx.changed("instance.status", instance.instance_id, persist=False, status="ok")

    async def _terminate(self, instance: Instance) -> None:
        await lifecycle.stop_guest(instance)
        instance.os.reset_boot_state()
        await self.ctx.clock.sleep(lifecycle.TERMINATE_SECONDS)
        instance.public_ip, instance.public_dns_name = None, ""
        instance.ended_at = self.ctx.clock.now()
        self._set_state(instance, "terminated")
        await self._forget_later(instance)

    async def _forget_later(self, instance: Instance) -> None:
        ended = instance.ended_at or self.ctx.clock.now()
        await self.ctx.clock.sleep(max(0.0, ended + lifecycle.TERMINATED_VISIBLE_SECONDS - self.ctx.clock.now()))
        self.instances.pop(instance.instance_id, None)
        self._tasks.pop(instance.instance_id, None)
        self.ctx.changed("instance.removed", instance.instance_id)


# == module helpers =====================================================================


def _check_id(kind: str, value: str, code: str) -> None:
    if not ID_PATTERNS[kind].match(value or ""):
        raise CloudError(code, f'Invalid id: "{value}" (expecting "{kind}-...")')


def _duplicate_rule(rule: SgRule) -> CloudError:
    return CloudError("InvalidPermission.Duplicate", f'the specified rule "{rule.describe()}" already exists')


def _rule_not_found(rule_id: str) -> CloudError:
    return CloudError("InvalidSecurityGroupRuleId.NotFound", f"The security group rule ID '{rule_id}' does not exist")


def _check_rule_description(description: str) -> None:
    if len(description) > 255 or not re.fullmatch(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*", description):
        raise CloudError(
            "InvalidParameterValue",
            "Invalid rule description. Valid descriptions are strings less than 256 characters from the "
            "following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*",
        )


def _check_termination_allowed(instances: list[Instance]) -> None:
    for instance in instances:
        if instance.disable_api_termination:
            raise CloudError("OperationNotPermitted", f"The instance '{instance.instance_id}' may not be terminated. "
                                                      "Modify its 'disableApiTermination' instance attribute and try "
                                                      "again.")


def _check_architecture(image: Image, itype: InstanceType) -> None:
    if image.architecture != itype.architecture:
        raise CloudError(
            "InvalidParameterValue",
            f"The architecture '{itype.architecture}' of the specified instance type does not match the architecture "
            f"'{image.architecture}' of the specified AMI. Specify an instance type and an AMI that have matching "
            "architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover "
            "the architecture of the instance type or AMI.",
        )


def _user_data_text(user_data: str | bytes) -> str:
    raw = user_data.encode("utf-8") if isinstance(user_data, str) else user_data
    if len(raw) > USER_DATA_LIMIT:
        raise CloudError("InvalidParameterValue", f"User data is limited to {USER_DATA_LIMIT} bytes")
    return raw.decode("utf-8", errors="replace")


def decode_user_data_base64(value: str) -> bytes:
    """The API sends user data base64-encoded; the console sends it as typed."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise CloudError("InvalidParameterValue", "Invalid BASE64 encoding of user data.") from None


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise CloudError("TagLimitExceeded", f"The maximum number of tags per resource is {MAX_TAGS}.")
    for key, value in tags.items():
        if not key or len(key) > 128:
            raise CloudError("InvalidParameterValue", f"Tag key '{key[:140]}' must be 1-128 characters long.")
        if key.lower().startswith("aws:"):
            raise CloudError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
        if len(value) > 256:
            raise CloudError("InvalidParameterValue", f"Tag value for key '{key}' must be at most 256 characters long.")
    return tags
