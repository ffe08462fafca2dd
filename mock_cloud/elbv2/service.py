"""Elastic Load Balancing v2 (Application Load Balancers): the one API the TUI, labs and AWS API call.

Mutations are `async` and return as AWS does; what takes time (provisioning, health checks,
draining) happens on the cloud clock. Every mutation ends in `ctx.changed(...)`, which saves the
state and publishes an event. See docs/elbv2-service-contract.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from mock_cloud.context import Context
from mock_cloud.ec2.security_group import Peer
from mock_cloud.ec2.service import Ec2Service
from mock_cloud.elbv2 import health
from mock_cloud.elbv2.access_log import format_line
from mock_cloud.elbv2.certificates import CertificateStore, sni_context
from mock_cloud.elbv2.exchange import HOP_EDGE, HOP_LB_SG, HOP_LISTENER, Exchange, History
from mock_cloud.elbv2.health import TargetHealth
from mock_cloud.elbv2.ip_targets import ip_target_zone, target_instance
from mock_cloud.elbv2.listener import (
    MAX_LISTENERS_PER_ALB,
    MAX_RULES_PER_ALB,
    Listener,
    validate_certificates,
    validate_protocol_port,
)
from mock_cloud.elbv2.listener_rules import (
    FORWARD,
    REDIRECT,
    Action,
    Rule,
    RuleCondition,
    check_priority_available,
    set_priorities,
    validate_priority,
    validate_rule,
)
from mock_cloud.elbv2.load_balancer import ACTIVE, PROVISIONING, PROVISIONING_SECONDS, LoadBalancer, dns_name
from mock_cloud.elbv2.load_balancer import apply_attributes as apply_lb_attributes
from mock_cloud.elbv2.load_balancer import validate_identity as validate_lb
from mock_cloud.elbv2.plane import DataPlane, lb_peer
from mock_cloud.elbv2.proxy import ListenerServer
from mock_cloud.elbv2.router import ListenerRouter
from mock_cloud.elbv2.ssl_policies import DEFAULT_POLICY, get_policy
from mock_cloud.elbv2.stickiness import CookieCodec
from mock_cloud.elbv2.target_group import (
    HealthCheckSettings,
    RegisteredTarget,
    TargetGroup,
    TargetSpec,
    apply_health_check,
)
from mock_cloud.elbv2.target_group import apply_attributes as apply_tg_attributes
from mock_cloud.elbv2.target_group import validate_identity as validate_tg
from mock_cloud.elbv2.targets import TargetHealthDescription, TargetKeeper
from mock_cloud.elbv2.trace import Hop, RequestTrace, dropped_trace, exchange_trace
from mock_cloud.elbv2.validation import as_int, check_range, check_tags
from mock_cloud.errors import CloudError, validation
from mock_cloud.events import Subscription
from mock_cloud.ids import ACCOUNT_ID, arn
from mock_cloud.network import INTERNET_CLIENT, Network
from mock_cloud.routes import Drop, Route, Unknown
from mock_cloud.routes import Forward as EdgeForward

MAX_TARGETS_PER_GROUP = 1000
CLIENT_IP_HEADER = "X-Lblab-Client-Ip"
MIN_REAL_IDLE_TIMEOUT = 1.0  # seconds of real time (see _idle_timeout)


def _not_found(code: str, what: str) -> CloudError:
    return CloudError(code, f"The specified {what} does not exist.")


def _target_groups_not_found() -> CloudError:
    return CloudError("TargetGroupNotFound", "One or more target groups not found")


def _invalid_target() -> CloudError:
    return CloudError("InvalidTarget", "The specified target does not exist, is not in the same VPC as the target "
                                       "group, or has an unsupported instance type.")


class Elbv2Service:
    state_key = "elbv2"

    def __init__(self, ctx: Context, ec2: Ec2Service, network: Network) -> None:
        self.ctx = ctx
        self.ec2 = ec2
        self.network = network
        # Mutated in place, never replaced: the data plane holds these very dicts.
        self.load_balancers: dict[str, LoadBalancer] = {}
        self.target_groups: dict[str, TargetGroup] = {}
        self.listeners: dict[str, Listener] = {}
        seed = ctx.ids.seed
        rng = random.Random(None if seed is None else seed + 7)
        self.plane = DataPlane(ctx, network, ec2, self.target_groups, lambda: self.certificates, rng,
                               CookieCodec(rng.randbytes(32)))
        self._certificates: CertificateStore | None = None
        self._saved_certificates: dict[str, Any] | None = None
        self._servers: dict[str, ListenerServer] = {}
        self._history: dict[str, History] = {}
        self._provisioning: dict[str, asyncio.Task[None]] = {}
        self._follower: asyncio.Task[None] | None = None
        self.targets = TargetKeeper(ctx, ec2, self.plane, self._balancer_of)
        ec2.group_in_use_checks.append(self._group_in_use)

    # == persistence and life ==========================================================================
    def to_dict(self) -> dict[str, Any]:
        store = self._certificates
        return {
            "load_balancers": [lb.to_dict() for lb in self.load_balancers.values()],
            "target_groups": [g.to_dict() for g in self.target_groups.values()],
            "listeners": [listener.to_dict() for listener in self.listeners.values()],
            "certificates": store.to_dict() if store is not None else self._saved_certificates,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.load_balancers.clear()
        self.load_balancers.update({d["arn"]: LoadBalancer.from_dict(d) for d in data["load_balancers"]})
        self.target_groups.clear()
        self.target_groups.update({d["arn"]: TargetGroup.from_dict(d) for d in data["target_groups"]})
        self.listeners.clear()
        self.listeners.update({d["arn"]: Listener.from_dict(d) for d in data["listeners"]})
        self._saved_certificates = data.get("certificates")
        self._certificates = None
        self._refresh_usage(sync=False)

    async def resume(self) -> None:
        """After start or restore: listeners up, provisioning and draining resumed, health checks afresh."""
        subscription = self.ctx.events.subscribe("instance.state", "instance.removed")
        # Not a clock activity: it waits on events, and the clock's settling would wait for it.
        self._follower = asyncio.get_running_loop().create_task(self._follow_instances(subscription),
                                                                 name="elbv2-instances")
        for lb in self.load_balancers.values():
            if lb.state == PROVISIONING:
                self._provision_later(lb)
            else:
                for listener in self._listeners_of(lb.arn):
                    await self._start_listener(lb, listener)
        now = self.ctx.clock.now()
        for group in self.target_groups.values():
            for target in group.targets.values():
                target.health = TargetHealth.registering(now)
                if target.draining_until is not None:
                    self.targets.drain(group, target)
            self.targets.sync(group)

    async def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
            self._follower = None
        tasks = list(self._provisioning.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._provisioning.clear()
        await self.targets.close()
        for listener_arn in list(self._servers):
            await self._stop_listener(listener_arn)
        self.plane.log_writer.close()

    async def after_rollback(self, saved: dict[str, Any], touched: set[str]) -> None:
        """A change that could not be saved was undone (mock_cloud/transaction.py): runtime follows."""
        if self.to_dict()["certificates"] != saved.get("certificates"):
            self._saved_certificates, self._certificates = saved.get("certificates"), None
        for lb_arn in [a for a in self._provisioning if a not in self.load_balancers]:
            self._provisioning.pop(lb_arn).cancel()
        for listener_arn in [a for a in self._servers if a not in self.listeners or a in touched]:
            await self._stop_listener(listener_arn)
        self._refresh_usage(sync=False)
        for lb in self.load_balancers.values():
            if lb.state == PROVISIONING and lb.arn not in self._provisioning:
                self._provision_later(lb)
            elif lb.state == ACTIVE:
                for listener in self._listeners_of(lb.arn):
                    if listener.arn not in self._servers:
                        await self._start_listener(lb, listener)
        for group in self.target_groups.values():
            self.targets.sync(group)

    # == certificates =====================================================================================
    @property
    def certificates(self) -> CertificateStore:
        """The local ACM (see certificates.py); its PEM files live in the cloud's data directory."""
        if self._certificates is None:
            directory = self.ctx.data_dir / "certificates"
            seed = self.ctx.ids.seed
            rng = random.Random(seed) if seed is not None else None
            saved = self._saved_certificates
            args = (directory, ACCOUNT_ID, self.ctx.region, rng, self.ctx.clock.now)
            self._certificates = CertificateStore.from_dict(saved, *args) if saved else CertificateStore(*args)
        return self._certificates

    async def request_certificate(self, domain_name: str, subject_alternative_names: Sequence[str] = ()) -> str:
        """RequestCertificate through the service, so the new certificate is saved and announced."""
        certificate = self.certificates.request_certificate(domain_name, subject_alternative_names)
        self.ctx.changed("certificate.issued", certificate.arn)
        return certificate.arn

    async def delete_certificate(self, certificate_arn: str) -> None:
        self.certificates.delete(certificate_arn, self.certificate_in_use)
        self.ctx.changed("certificate.deleted", certificate_arn)

    def certificate_in_use(self, certificate_arn: str) -> bool:
        return any(certificate_arn in listener.certificates for listener in self.listeners.values())

    # == load balancers ===================================================================================
    async def create_load_balancer(
        self, name: str, subnets: list[str], security_groups: list[str] | None = None,
        scheme: str = "internet-facing", lb_type: str = "application", ip_address_type: str = "ipv4",
        tags: dict[str, str] | None = None,
    ) -> LoadBalancer:
        validate_lb(name, scheme, lb_type, ip_address_type)
        tags = check_tags(tags)
        if any(lb.name == name for lb in self.load_balancers.values()):
            raise CloudError("DuplicateLoadBalancerName", "A load balancer with the specified name already exists.")
        zones = self._zones(subnets)
        vpc_id = self.ec2.subnets[zones[0][1]].vpc_id
        groups = self._security_groups(security_groups, vpc_id)
        ids, region = self.ctx.ids, self.ctx.region
        lb_id = ids.hex(16)
        lb = LoadBalancer(
            arn=arn("elasticloadbalancing", region, f"loadbalancer/app/{name}/{lb_id}"),
            name=name,
            dns_name=dns_name(name, ids.digits(10), scheme, region),
            scheme=scheme,
            vpc_id=vpc_id,
            availability_zones=zones,
            security_groups=groups,
            created_time=self.ctx.clock.now(),
            node_ips={},
            tags=tags,
        )
        self._add_nodes(lb)
        self.load_balancers[lb.arn] = lb
        self._provision_later(lb)
        self.ctx.changed("lb.created", lb.arn, state=lb.state)
        return lb

    def describe_load_balancers(self, arns: list[str] | None = None,
                                names: list[str] | None = None) -> list[LoadBalancer]:
        if arns and names:
            raise validation("Load balancer names and load balancer ARNs cannot be specified at the same time")
        if arns:
            return [self._lb(a) for a in arns]
        if names:
            by_name = {lb.name: lb for lb in self.load_balancers.values()}
            missing = [n for n in names if n not in by_name]
            if missing:
                raise CloudError("LoadBalancerNotFound", f"Load balancers '[{', '.join(missing)}]' not found")
            return [by_name[n] for n in names]
        return list(self.load_balancers.values())

    async def delete_load_balancer(self, load_balancer_arn: str) -> None:
        """As on AWS, deleting a balancer that does not exist (any more) succeeds."""
        lb = self.load_balancers.get(load_balancer_arn)
        if lb is None:
            return
        if lb.deletion_protected:
            raise CloudError("OperationNotPermitted", f"Load balancer '{lb.arn}' cannot be deleted because "
                                                      "deletion protection is enabled")
        task = self._provisioning.pop(lb.arn, None)
        if task is not None:
            task.cancel()
        for listener in self._listeners_of(lb.arn):
            await self._stop_listener(listener.arn)
            del self.listeners[listener.arn]
        del self.load_balancers[lb.arn]
        self._history.pop(lb.arn, None)
        self.plane.metrics.forget({"LoadBalancer": lb.dimension})
        self._refresh_usage()
        self.ctx.changed("lb.deleted", lb.arn)

    async def set_security_groups(self, load_balancer_arn: str, groups: list[str]) -> list[str]:
        lb = self._lb(load_balancer_arn)
        if not groups:
            raise validation("At least one security group must be specified for an Application Load Balancer")
        lb.security_groups = self._security_groups(groups, lb.vpc_id)
        self.ctx.changed("lb.modified", lb.arn, security_groups=list(lb.security_groups))
        return list(lb.security_groups)

    async def set_subnets(self, load_balancer_arn: str, subnets: list[str]) -> list[tuple[str, str]]:
        lb = self._lb(load_balancer_arn)
        zones = self._zones(subnets)
        if any(self.ec2.subnets[s].vpc_id != lb.vpc_id for _, s in zones):
            raise CloudError("InvalidSubnet", f"The subnets must belong to the load balancer's VPC '{lb.vpc_id}'")
        lb.availability_zones = zones
        lb.node_ips = {s: ip for s, ip in lb.node_ips.items() if s in lb.subnet_ids}
        self._add_nodes(lb)
        for group in self._groups_of(lb.arn):
            self.targets.sync(group)
        self.ctx.changed("lb.modified", lb.arn, availability_zones=[z for z, _ in zones])
        return list(lb.availability_zones)

    def describe_load_balancer_attributes(self, load_balancer_arn: str) -> dict[str, str]:
        return dict(self._lb(load_balancer_arn).attributes)

    async def modify_load_balancer_attributes(self, load_balancer_arn: str,
                                              attributes: Mapping[str, Any]) -> dict[str, str]:
        lb = self._lb(load_balancer_arn)
        lb.attributes = apply_lb_attributes(lb.attributes, attributes)
        self.ctx.changed("lb.modified", lb.arn, attributes=sorted(attributes))
        return dict(lb.attributes)

    def _zones(self, subnets: Iterable[str]) -> list[tuple[str, str]]:
        zones: dict[str, str] = {}
        vpcs = set()
        for subnet_id in dict.fromkeys(subnets):
            subnet = self.ec2.subnets.get(subnet_id)
            if subnet is None:
                raise CloudError("SubnetNotFound", f"The specified subnet does not exist: '{subnet_id}'")
            if subnet.availability_zone in zones:
                raise CloudError("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple "
                                                               "subnets in the same Availability Zone")
            zones[subnet.availability_zone] = subnet_id
            vpcs.add(subnet.vpc_id)
        if len(zones) < 2:
            raise validation("At least two subnets in two different Availability Zones must be specified")
        if len(vpcs) > 1:
            raise CloudError("InvalidSubnet", "The subnets of a load balancer must all belong to one VPC")
        return sorted(zones.items())

    def _security_groups(self, group_ids: list[str] | None, vpc_id: str) -> list[str]:
        if not group_ids:
            default = next(g for g in self.ec2.security_groups.values()
                           if g.group_name == "default" and g.vpc_id == vpc_id)
            return [default.group_id]
        for group_id in dict.fromkeys(group_ids):
            group = self.ec2.security_groups.get(group_id)
            if group is None:
                raise CloudError("InvalidSecurityGroup", f"Security group '{group_id}' does not exist")
            if group.vpc_id != vpc_id:
                raise CloudError("InvalidSecurityGroup",
                                 f"Security group '{group_id}' does not belong to VPC '{vpc_id}'")
        return list(dict.fromkeys(group_ids))

    def _add_nodes(self, lb: LoadBalancer) -> None:
        """One node (a private IP address in the subnet) per enabled zone."""
        used = {i.private_ip for i in self.ec2.instances.values()}
        used |= {ip for other in self.load_balancers.values() for ip in other.node_ips.values()}
        used |= set(lb.node_ips.values())
        for subnet_id in lb.subnet_ids:
            if subnet_id not in lb.node_ips:
                ip = self.ctx.ids.private_ip(self.ec2.subnets[subnet_id].cidr_block, used)
                lb.node_ips[subnet_id] = ip
                used.add(ip)

    def _provision_later(self, lb: LoadBalancer) -> None:
        self._provisioning[lb.arn] = self.ctx.clock.spawn(self._provision(lb), name=f"provision-{lb.name}")

    async def _provision(self, lb: LoadBalancer) -> None:
        clock = self.ctx.clock
        await clock.sleep(max(0.0, lb.created_time + PROVISIONING_SECONDS - clock.now()))
        lb.state = ACTIVE
        for listener in self._listeners_of(lb.arn):
            await self._start_listener(lb, listener)
        for group in self._groups_of(lb.arn):
            self.targets.sync(group)
        self._provisioning.pop(lb.arn, None)
        self.ctx.changed("lb.state", lb.arn, state=lb.state)

    # == the edge ============================================================================================
    def resolve(self, host: str, port: int, scheme: str) -> Route | None:
        """How the internet edge reaches a balancer's DNS name (None: not a balancer's name)."""
        lb = next((lb for lb in self.load_balancers.values() if lb.dns_name.lower() == host), None)
        if lb is None:
            return None
        if lb.state != ACTIVE:
            return Unknown(f"'{lb.dns_name}' does not resolve yet: load balancer {lb.name} is still "
                           "provisioning. Its DNS name works once its state is 'active'.")
        request = f"{scheme}://{lb.dns_name}:{port}"
        if lb.scheme == "internal":
            self._record_drop(lb, request, HOP_EDGE, f"{lb.name} is internal: its DNS name resolves to private "
                                                     "addresses, which the internet cannot reach")
            return Drop()
        decision = self.network.check(INTERNET_CLIENT, lb_peer(lb, ""), port)
        if not decision.allowed:
            self._record_drop(lb, request, HOP_LB_SG, f"{decision.reason}: the packets are dropped and the "
                                                      "client times out")
            return Drop()
        local_port = next((x.local_port for x in self._listeners_of(lb.arn) if x.port == port and x.local_port), None)
        if local_port is None:
            self._record_drop(lb, request, HOP_LISTENER, f"{lb.name} has no listener on port {port}: nothing "
                                                         "answers and the client times out")
            return Drop()
        return EdgeForward("127.0.0.1", local_port, {CLIENT_IP_HEADER: INTERNET_CLIENT.ip})

    def _record_drop(self, lb: LoadBalancer, request: str, stop: str, detail: str) -> None:
        """A trace for a request the edge drops: the hops up to the one that stopped it."""
        passed = {HOP_EDGE: f"{INTERNET_CLIENT.ip} → {lb.dns_name}", HOP_LB_SG: "allowed"}
        hops = []
        for name in (HOP_EDGE, HOP_LB_SG, HOP_LISTENER):
            if name == stop:
                hops.append(Hop(name, False, detail))
                break
            hops.append(Hop(name, True, passed[name]))
        self._history_of(lb.arn).drops.append(
            dropped_trace(self.ctx.clock.now(), lb.arn, request, INTERNET_CLIENT.ip, hops))

    # == target groups ======================================================================================
    async def create_target_group(
        self, name: str, protocol: str = "HTTP", port: int = 80, vpc_id: str | None = None,
        target_type: str = "instance", protocol_version: str = "HTTP1",
        health_check: HealthCheckSettings | Mapping[str, Any] | None = None, tags: dict[str, str] | None = None,
    ) -> TargetGroup:
        port = as_int(port, "port")
        validate_tg(name, protocol, port, target_type, protocol_version)
        tags = check_tags(tags)
        vpc_id = vpc_id or self.ec2.default_vpc.vpc_id
        if vpc_id not in self.ec2.vpcs:
            raise validation(f"The VPC ID '{vpc_id}' is not found")
        if isinstance(health_check, HealthCheckSettings):
            settings = apply_health_check(health_check, {})
        else:
            settings = apply_health_check(HealthCheckSettings(), health_check or {})
        group = TargetGroup(
            arn="", name=name, protocol=protocol, port=port, vpc_id=vpc_id, target_type=target_type,
            protocol_version=protocol_version, health_check=settings, created_time=self.ctx.clock.now(), tags=tags,
        )
        existing = next((g for g in self.target_groups.values() if g.name == name), None)
        if existing is not None:
            # CreateTargetGroup is idempotent: the same settings return the existing group.
            if existing.same_settings(group):
                return existing
            raise CloudError("DuplicateTargetGroupName", "A target group with the specified name already exists.")
        group.arn = arn("elasticloadbalancing", self.ctx.region, f"targetgroup/{name}/{self.ctx.ids.hex(16)}")
        self.target_groups[group.arn] = group
        self.plane.refresh(group)
        self.ctx.changed("target_group.created", group.arn)
        return group

    async def modify_target_group(self, target_group_arn: str, **health_check_fields: Any) -> TargetGroup:
        group = self._tg(target_group_arn)
        group.health_check = apply_health_check(group.health_check, health_check_fields)
        self.targets.restart_checks(group)
        self.ctx.changed("target_group.modified", group.arn)
        return group

    async def delete_target_group(self, target_group_arn: str) -> None:
        group = self._tg(target_group_arn)
        if group.load_balancer_arns:
            raise CloudError("ResourceInUse",
                             f"Target group '{group.arn}' is currently in use by a listener or a rule")
        self.targets.forget_group(group)
        del self.target_groups[group.arn]
        self.plane.forget(group.arn)
        self.plane.metrics.forget({"TargetGroup": group.dimension})
        self.ctx.changed("target_group.deleted", group.arn)

    def describe_target_groups(self, arns: list[str] | None = None, names: list[str] | None = None,
                               load_balancer_arn: str | None = None) -> list[TargetGroup]:
        if sum(bool(x) for x in (arns, names, load_balancer_arn)) > 1:
            raise validation("Target group names, target group ARNs, and a load balancer ARN cannot be specified "
                             "at the same time")
        if arns:
            found = [self._tg(a) for a in arns]
        elif names:
            found = [g for g in self.target_groups.values() if g.name in names]
            if len(found) != len(set(names)):
                raise _target_groups_not_found()
        elif load_balancer_arn:
            found = self._groups_of(self._lb(load_balancer_arn).arn)
            if not found:
                raise _target_groups_not_found()  # AWS: a balancer with no target groups is not an empty list
        else:
            found = list(self.target_groups.values())
        return sorted(found, key=lambda g: g.name)  # AWS lists target groups by name

    def describe_target_group_attributes(self, target_group_arn: str) -> dict[str, str]:
        return dict(self._tg(target_group_arn).attributes)

    async def modify_target_group_attributes(self, target_group_arn: str,
                                             attributes: Mapping[str, Any]) -> dict[str, str]:
        group = self._tg(target_group_arn)
        group.attributes = apply_tg_attributes(group.attributes, attributes, group.protocol)
        self.plane.refresh(group)
        self.ctx.changed("target_group.modified", group.arn, attributes=sorted(attributes))
        return dict(group.attributes)

    # == targets ===========================================================================================
    async def register_targets(self, target_group_arn: str, targets: Sequence[TargetSpec]) -> None:
        group = self._tg(target_group_arn)
        if not targets:
            raise validation("At least one target must be specified")
        now = self.ctx.clock.now()
        new: list[RegisteredTarget] = []
        for spec in targets:
            zone = (ip_target_zone(self.ec2, group.vpc_id, spec.id) if group.target_type == "ip"
                    else self._instance_target_zone(group, spec.id))
            port = group.port if spec.port is None else check_range(as_int(spec.port, "port"), "port", 1, 65535)
            new.append(RegisteredTarget(spec.id, port, zone, now))
        if len({*group.targets, *(t.key for t in new)}) > MAX_TARGETS_PER_GROUP:
            raise CloudError("TooManyTargets", "You've reached the limit on the number of targets.")
        for target in new:
            existing = group.targets.get(target.key)
            if existing is not None and existing.draining_until is None:
                continue  # registering twice changes nothing
            if existing is not None:  # back before its deregistration completed
                self.targets.cancel_drain(group, existing)
            target.health = TargetHealth.registering(now)
            group.targets[target.key] = target
        self.targets.sync(group)
        self.ctx.changed("target_group.targets", group.arn)

    def _instance_target_zone(self, group: TargetGroup, instance_id: str) -> str:
        instance = self.ec2.instances.get(instance_id)
        if instance is None or instance.state == "terminated" or instance.vpc_id != group.vpc_id:
            raise _invalid_target()
        if instance.state != "running":
            raise CloudError("InvalidTarget", "The following targets are not in a running state and cannot be "
                                              f"registered: '{instance_id}'")
        return instance.availability_zone

    async def deregister_targets(self, target_group_arn: str, targets: Sequence[TargetSpec]) -> None:
        group = self._tg(target_group_arn)
        if not targets:
            raise validation("At least one target must be specified")
        keys = []
        for spec in targets:
            if spec.id not in self.ec2.instances and not any(t.id == spec.id for t in group.targets.values()):
                raise _invalid_target()
            keys.append((spec.id, group.port if spec.port is None else as_int(spec.port, "port")))
        for key in keys:
            target = group.targets.get(key)
            if target is not None and target.draining_until is None:
                self.targets.deregister(group, target)
        self.targets.sync(group)
        self.ctx.changed("target_group.targets", group.arn)

    def describe_target_health(self, target_group_arn: str,
                               targets: Sequence[TargetSpec] | None = None) -> list[TargetHealthDescription]:
        group = self._tg(target_group_arn)
        self.targets.sync(group)  # an instance may have changed state a moment ago
        if not targets:
            return [self.targets.describe(group, t) for t in group.targets.values()]
        rows = []
        for spec in targets:
            key = (spec.id, group.port if spec.port is None else as_int(spec.port, "port"))
            target = group.targets.get(key)
            if target is not None:
                rows.append(self.targets.describe(group, target))
                continue
            # Named but not registered (or no such instance): AWS answers unused, not an error.
            instance = target_instance(self.ec2.instances, spec.id)
            absent = RegisteredTarget(spec.id, key[1], instance.availability_zone if instance is not None else "", 0.0)
            rows.append(self.targets.describe(group, absent, TargetHealth.of(health.UNUSED, health.NOT_REGISTERED,
                                                                             0.0)))
        return rows

    async def _follow_instances(self, subscription: Subscription) -> None:
        try:
            async for event in subscription:
                groups = list(self.target_groups.values())
                if event.kind == "instance.removed":
                    self.targets.forget_instance(groups, event.resource_id)
                else:
                    self.targets.sync_instance(groups, event.resource_id)
        finally:
            subscription.close()

    # == listeners ===========================================================================================
    async def create_listener(
        self, load_balancer_arn: str, protocol: str, port: int | str, default_actions: list[Action],
        certificates: list[str] | None = None, ssl_policy: str | None = None,
    ) -> Listener:
        lb = self._lb(load_balancer_arn)
        port = as_int(port, "port")
        validate_protocol_port(protocol, port)
        certificates = list(certificates or [])
        policy = self._listener_tls(protocol, certificates, ssl_policy)
        existing = next((x for x in self._listeners_of(lb.arn) if x.port == port), None)
        if existing is not None:
            if (existing.protocol, existing.default_actions, existing.certificates) == (
                    protocol, default_actions, certificates):
                return existing  # CreateListener is idempotent
            raise CloudError("DuplicateListener", "A listener with the specified port already exists.")
        if len(self._listeners_of(lb.arn)) >= MAX_LISTENERS_PER_ALB:
            raise CloudError("TooManyListeners",
                             "You've reached the limit on the number of listeners per load balancer.")
        self._check_actions(lb, protocol, default_actions, default=True)
        listener_arn = arn("elasticloadbalancing", self.ctx.region,
                           f"listener/app/{lb.name}/{_id_of(lb.arn)}/{self.ctx.ids.hex(16)}")
        default_rule = Rule(self._rule_arn(listener_arn), "default", [], list(default_actions), is_default=True)
        listener = Listener(listener_arn, lb.arn, protocol, port, [default_rule], certificates, policy)
        self.listeners[listener.arn] = listener
        self._refresh_usage()
        if lb.state == ACTIVE:
            await self._start_listener(lb, listener)
        self.ctx.changed("listener.created", listener.arn, load_balancer_arn=lb.arn)
        return listener

    def describe_listeners(self, load_balancer_arn: str | None = None,
                           listener_arns: list[str] | None = None) -> list[Listener]:
        if bool(load_balancer_arn) == bool(listener_arns):
            raise validation("You must specify either listener ARNs or a load balancer ARN")
        if listener_arns:
            return [self._listener(a) for a in listener_arns]
        return self._listeners_of(self._lb(load_balancer_arn or "").arn)

    async def modify_listener(
        self, listener_arn: str, port: int | str | None = None, protocol: str | None = None,
        default_actions: list[Action] | None = None, certificates: list[str] | None = None,
        ssl_policy: str | None = None,
    ) -> Listener:
        listener = self._listener(listener_arn)
        lb = self._lb(listener.load_balancer_arn)
        new_port = listener.port if port is None else as_int(port, "port")
        new_protocol = protocol or listener.protocol
        validate_protocol_port(new_protocol, new_port)
        new_certificates = list(listener.certificates if certificates is None else certificates)
        if new_protocol == "HTTP" and certificates is None:
            new_certificates = []
        policy = self._listener_tls(new_protocol, new_certificates, ssl_policy or listener.ssl_policy)
        if any(x.port == new_port and x.arn != listener.arn for x in self._listeners_of(lb.arn)):
            raise CloudError("DuplicateListener", "A listener with the specified port already exists.")
        if default_actions is not None:
            self._check_actions(lb, new_protocol, default_actions, default=True)
            default = dataclasses.replace(listener.default_rule, actions=list(default_actions))
            listener.rules = [default if r.is_default else r for r in listener.rules]
        listener.port, listener.protocol = new_port, new_protocol
        listener.certificates, listener.ssl_policy = new_certificates, policy
        self._refresh_usage()
        if listener.arn in self._servers:
            await self._stop_listener(listener.arn)
            await self._start_listener(lb, listener)
        self.ctx.changed("listener.modified", listener.arn, load_balancer_arn=lb.arn)
        return listener

    async def delete_listener(self, listener_arn: str) -> None:
        listener = self._listener(listener_arn)
        await self._stop_listener(listener.arn)
        del self.listeners[listener.arn]
        self._refresh_usage()
        self.ctx.changed("listener.deleted", listener.arn, load_balancer_arn=listener.load_balancer_arn)

    def _listener_tls(self, protocol: str, certificates: list[str], ssl_policy: str | None) -> str | None:
        validate_certificates(protocol, certificates)
        if protocol == "HTTP":
            return None
        for certificate_arn in certificates:
            self.certificates.listener_certificate(certificate_arn)
        return get_policy(ssl_policy or DEFAULT_POLICY).name

    async def _start_listener(self, lb: LoadBalancer, listener: Listener) -> None:
        router = ListenerRouter(self.plane, lb, listener, self._history_of(lb.arn))
        server = ListenerServer(
            router.route, router.on_complete, listener_port=listener.port, scheme=listener.scheme,
            ssl_context=self._ssl_context(listener), idle_timeout=self._idle_timeout(lb),
            now=self.ctx.clock.now,
        )
        listener.local_port = await server.start()
        router.server = server
        self._servers[listener.arn] = server

    async def _stop_listener(self, listener_arn: str) -> None:
        server = self._servers.pop(listener_arn, None)
        listener = self.listeners.get(listener_arn)
        if listener is not None:
            listener.local_port = None
        if server is not None:
            await server.stop()

    def _ssl_context(self, listener: Listener) -> Any:
        if listener.protocol != "HTTPS":
            return None
        chain = [self.certificates.listener_certificate(a) for a in listener.certificates]
        return sni_context(listener.ssl_policy or DEFAULT_POLICY, chain, chain[0])

    def _idle_timeout(self, lb: LoadBalancer) -> Callable[[], float]:
        """The idle timeout in real seconds, as a listener's engine asks for it at every request: cloud seconds
        scaled (as set when the clock is paused), never under MIN_REAL_IDLE_TIMEOUT: bytes travel in real time, and
        at ×300 the default 60 s was 0.2 s, in which a guest on a busy machine did not always answer (a 504 that no
        real balancer would give). Worked out again only when it may have changed, after an event (an attribute)
        or with the clock's scale: working it out every time cost ~1 µs per request (`bench/hotpath_bench.py`)."""
        events, clock = self.ctx.events, self.ctx.clock
        seen: tuple[int, float, float] | None = None  # (events published, clock scale, the timeout)

        def idle_timeout() -> float:
            nonlocal seen
            published, scale = events.published, clock.scale
            if seen is None or seen[0] != published or seen[1] != scale:
                real = max(MIN_REAL_IDLE_TIMEOUT, lb.idle_timeout / scale) if scale else float(lb.idle_timeout)
                seen = (published, scale, real)
            return seen[2]

        return idle_timeout

    # == rules ==============================================================================================
    async def create_rule(self, listener_arn: str, priority: int, conditions: list[RuleCondition],
                          actions: list[Action]) -> Rule:
        listener = self._listener(listener_arn)
        lb = self._lb(listener.load_balancer_arn)
        priority = as_int(priority, "priority")
        validate_priority(priority)
        rule = Rule(self._rule_arn(listener.arn), priority, list(conditions), list(actions))
        validate_rule(rule, self.target_groups)
        check_priority_available(listener.rules, priority)
        rules = sum(not r.is_default for x in self._listeners_of(lb.arn) for r in x.rules)
        if rules >= MAX_RULES_PER_ALB:
            raise CloudError("TooManyRules", "You've reached the limit on the number of rules per load balancer.")
        self._check_actions(lb, listener.protocol, actions, default=False)
        listener.rules.append(rule)
        listener.sort()
        self._refresh_usage()
        self.ctx.changed("rule.created", rule.arn, listener_arn=listener.arn)
        return rule

    def describe_rules(self, listener_arn: str | None = None, rule_arns: list[str] | None = None) -> list[Rule]:
        if listener_arn and rule_arns:
            raise validation("Listener rule ARNs and a listener ARN cannot be specified at the same time")
        if not listener_arn and not rule_arns:
            raise validation("You must specify either listener rule ARNs or a listener ARN")
        if listener_arn:
            return list(self._listener(listener_arn).rules)
        return [self._rule(a)[1] for a in rule_arns or []]

    async def modify_rule(self, rule_arn: str, conditions: list[RuleCondition] | None = None,
                          actions: list[Action] | None = None) -> Rule:
        if conditions is None and actions is None:
            raise validation("Either conditions or actions must be specified")
        listener, rule = self._rule(rule_arn)
        lb = self._lb(listener.load_balancer_arn)
        # A new object: traces of earlier requests keep the rule they matched.
        new = dataclasses.replace(rule, conditions=list(rule.conditions if conditions is None else conditions),
                                  actions=list(rule.actions if actions is None else actions))
        validate_rule(new, self.target_groups)
        self._check_actions(lb, listener.protocol, new.actions, default=new.is_default)
        listener.rules = [new if r.arn == rule.arn else r for r in listener.rules]
        self._refresh_usage()
        self.ctx.changed("rule.modified", rule.arn, listener_arn=listener.arn)
        return new

    async def delete_rule(self, rule_arn: str) -> None:
        listener, rule = self._rule(rule_arn)
        if rule.is_default:
            raise CloudError("OperationNotPermitted", "The default rule cannot be deleted")
        listener.rules = [r for r in listener.rules if r.arn != rule.arn]
        self._refresh_usage()
        self.ctx.changed("rule.deleted", rule.arn, listener_arn=listener.arn)

    async def set_rule_priorities(self, priorities: Sequence[tuple[str, int | str]]) -> list[Rule]:
        if not priorities:
            raise validation("At least one rule priority must be specified")
        changes = [(rule_arn, as_int(p, "priority")) for rule_arn, p in priorities]
        listeners = {self._rule(rule_arn)[0].arn for rule_arn, _ in changes}
        if len(listeners) > 1:
            raise validation("The rules must all belong to the same listener")
        listener = self.listeners[listeners.pop()]
        listener.rules = set_priorities(listener.rules, changes)
        listener.sort()
        named = {rule_arn for rule_arn, _ in changes}
        self.ctx.changed("rule.priorities", listener.arn, rules=sorted(named))
        return [r for r in listener.rules if r.arn in named]

    def _check_actions(self, lb: LoadBalancer, protocol: str, actions: Sequence[Action], default: bool) -> None:
        """What a listener adds to listener_rules' checks: VPCs, one balancer per group, redirect protocols."""
        if default:
            validate_rule(Rule("", "default", [], list(actions), is_default=True), self.target_groups)
        for action in actions:
            sticky = action.forward_config.stickiness if action.forward_config is not None else None
            if sticky is not None and sticky.enabled and sticky.duration_seconds is None:
                raise validation("You must specify DurationSeconds to enable target group stickiness")
            redirect = action.redirect_config if action.type == REDIRECT else None
            if redirect is not None and protocol == "HTTPS" and redirect.protocol == "HTTP":
                raise CloudError("InvalidLoadBalancerAction",
                                     "Redirects from HTTPS listeners to HTTP are not allowed")
            for group_arn in _forward_arns(action):
                group = self.target_groups[group_arn]
                if group.vpc_id != lb.vpc_id:
                    raise CloudError("InvalidConfigurationRequest", f"The target group '{group.arn}' is not in the "
                                                                    f"load balancer's VPC '{lb.vpc_id}'")
                if any(other != lb.arn for other in group.load_balancer_arns):
                    raise CloudError("TargetGroupAssociationLimit", "You've reached the limit on the number of load "
                                                                    "balancers per target group.")

    def _rule_arn(self, listener_arn: str) -> str:
        return listener_arn.replace(":listener/", ":listener-rule/", 1) + "/" + self.ctx.ids.hex(16)

    # == observability ==========================================================================================
    def metrics(self, namespace_dims: Mapping[str, str], metric_name: str,
                minutes: int = 15) -> list[tuple[int, float]]:
        """CloudWatch-style datapoints (AWS/ApplicationELB), e.g. ({"LoadBalancer": lb.dimension}, "RequestCount")."""
        return self.plane.metrics.series(namespace_dims, metric_name, minutes, self.ctx.clock.now())

    def access_log(self, load_balancer_arn: str, limit: int = 100) -> list[str]:
        """The balancer's latest access log entries, oldest first."""
        lb = self._lb(load_balancer_arn)
        exchanges = list(self._history_of(lb.arn).exchanges)[-limit:]
        return [format_line(e, lb.dimension, self._certificate_of(lb, e)) for e in exchanges]

    def traces(self, limit: int = 50, load_balancer_arn: str | None = None) -> list[RequestTrace]:
        """The latest requests (of one balancer, or all), oldest first, each hop by hop."""
        traces: list[RequestTrace] = []
        arns = [self._lb(load_balancer_arn).arn] if load_balancer_arn else list(self._history)
        for lb_arn in arns:
            lb = self.load_balancers.get(lb_arn)
            if lb is None:
                continue
            history = self._history_of(lb_arn)
            traces += history.drops
            for exchange in list(history.exchanges)[-limit:]:
                traces.append(exchange_trace(exchange, lb.arn, lb.dns_name, self._admitted(lb, exchange)))
        return sorted(traces, key=lambda t: t.time)[-limit:]

    def _admitted(self, lb: LoadBalancer, exchange: Exchange) -> str:
        """Why the balancer's security groups let this client in (for the trace)."""
        head = exchange.record.head
        try:
            return self.network.check(Peer(head.client_ip), lb_peer(lb, ""), head.listener_port).reason
        except ValueError:  # a client talking to the local port directly may claim any address
            return f"the client address {head.client_ip!r} is not an IP address"

    def _certificate_of(self, lb: LoadBalancer, exchange: Exchange) -> str:
        port = exchange.record.head.listener_port
        listener = next((x for x in self._listeners_of(lb.arn) if x.port == port), None)
        return self.plane.chosen_certificate(listener, exchange) if listener is not None else "-"

    def _history_of(self, lb_arn: str) -> History:
        history = self._history.get(lb_arn)
        if history is None:
            history = self._history[lb_arn] = History()
        return history

    # == lookups and bookkeeping ==================================================================================
    def _lb(self, load_balancer_arn: str) -> LoadBalancer:
        lb = self.load_balancers.get(load_balancer_arn)
        if lb is None:
            raise _not_found("LoadBalancerNotFound", "load balancer")
        return lb

    def _tg(self, target_group_arn: str) -> TargetGroup:
        group = self.target_groups.get(target_group_arn)
        if group is None:
            raise _not_found("TargetGroupNotFound", "target group")
        return group

    def _listener(self, listener_arn: str) -> Listener:
        listener = self.listeners.get(listener_arn)
        if listener is None:
            raise _not_found("ListenerNotFound", "listener")
        return listener

    def _rule(self, rule_arn: str) -> tuple[Listener, Rule]:
        for listener in self.listeners.values():
            for rule in listener.rules:
                if rule.arn == rule_arn:
                    return listener, rule
        raise _not_found("RuleNotFound", "rule")

    def _listeners_of(self, lb_arn: str) -> list[Listener]:
        return [x for x in self.listeners.values() if x.load_balancer_arn == lb_arn]

    def _groups_of(self, lb_arn: str) -> list[TargetGroup]:
        return [g for g in self.target_groups.values() if lb_arn in g.load_balancer_arns]

    def _refresh_usage(self, sync: bool = True) -> None:
        """Recompute which balancer uses each target group; a change of use changes its targets' health."""
        users: dict[str, list[str]] = {arn: [] for arn in self.target_groups}
        for listener in self.listeners.values():
            for rule in listener.rules:
                for action in rule.actions:
                    for group_arn in _forward_arns(action):
                        if listener.load_balancer_arn not in users.get(group_arn, [listener.load_balancer_arn]):
                            users[group_arn].append(listener.load_balancer_arn)
        for group in self.target_groups.values():
            if group.load_balancer_arns != users[group.arn]:
                group.load_balancer_arns = users[group.arn]
                if sync:
                    self.targets.sync(group)

    def _balancer_of(self, group: TargetGroup) -> LoadBalancer | None:
        return self.load_balancers.get(group.load_balancer_arns[0]) if group.load_balancer_arns else None

    def _group_in_use(self, group_id: str) -> bool:
        return any(group_id in lb.security_groups for lb in self.load_balancers.values())

def _forward_arns(action: Action) -> list[str]:
    if action.type != FORWARD:
        return []
    if action.forward_config is not None:
        return [tg.arn for tg in action.forward_config.target_groups]
    return [action.target_group_arn] if action.target_group_arn else []


def _id_of(resource_arn: str) -> str:
    return resource_arn.rsplit("/", 1)[1]

