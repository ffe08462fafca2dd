"""What the engine can do through the cloud API: lab setup, and each step's solution ("show me").

Every action is idempotent by name: it creates what is missing and adjusts what differs, so
"show me" finishes a half-done step, and setting up a lab twice changes nothing. Waiting (an
instance must be running before it is registered) happens on the cloud clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from labs import elb_specs
from labs.model import Action
from labs.resources import (
    default_subnets,
    instance_named,
    listener_on,
    load_balancer_named,
    security_group_named,
    target_group_named,
)
from labs.schema import Bool, Field, Int, ListOf, Record, Str
from labs.sg_specs import RULES, rule_admits
from labs.text import Text
from mock_cloud import Action as ElbAction
from mock_cloud import (
    AttributeChange,
    Cloud,
    CloudError,
    Instance,
    LoadBalancer,
    RuleSpec,
    TargetGroup,
    TargetSpec,
    wait_for_condition,
)

# Cloud seconds an action waits for an instance to be ready before giving up.
READY_TIMEOUT = 180.0


@dataclass
class ActionContext:
    cloud: Cloud
    # Performs another lab's solutions (setup that builds on an earlier lab).
    solve_lab: Callable[[str, str], Awaitable[list[Text]]]


# A run returns the actions it performed itself, if it performs others (solve_lab).
Run = Callable[[ActionContext, dict[str, Any]], Awaitable[list[Text] | None]]


@dataclass(frozen=True)
class ActionType:
    fields: dict[str, Field]
    label: Text  # what the engine did, formatted with the action's parameters
    run: Run


ACTIONS: dict[str, ActionType] = {}


def action(name: str, label: Text, /, **fields: Field) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        ACTIONS[name] = ActionType(fields, label, run)
        return run

    return register


async def perform(ctx: ActionContext, actions: Sequence[Action]) -> list[Text]:
    """Run `actions` in order; returns what was done. A CloudError stops the sequence."""
    done: list[Text] = []
    for item in actions:
        kind = ACTIONS[item.type]
        nested = await kind.run(ctx, dict(item.params))
        done.append(kind.label.format(**item.params))
        done += nested or []
    return done


_NAMES = ListOf(Str(), min_items=1, single=True)
_PORT = Int(1, 65535)


async def _wait(cloud: Cloud, ready: Callable[[], bool], what: str) -> None:
    if not await wait_for_condition(ready, cloud.clock, READY_TIMEOUT):
        raise CloudError("LabTimeout", f"{what} was not ready after {READY_TIMEOUT:g} s of cloud time")


def _of(instance: Instance, test: Callable[[Instance], bool]) -> Callable[[], bool]:
    """`test` of this instance, bound now: the loops that wait go on to the next instance."""
    return lambda: test(instance)


def _instance(cloud: Cloud, name: str) -> Instance:
    instance = instance_named(cloud, name)
    if instance is None:
        raise CloudError("InvalidInstanceID.NotFound", f"There is no instance named {name}")
    return instance


# == EC2 ===================================================================================================


@action("create_security_group", Text.of("lab_action.create_security_group"),
        name=Field(Str(), required=True), description=Field(Str(), required=True), ingress=Field(RULES, default=[]))
async def _create_security_group(ctx: ActionContext, p: dict[str, Any]) -> None:
    group = security_group_named(ctx.cloud, p["name"])
    if group is None:
        group = await ctx.cloud.ec2.create_security_group(p["name"], p["description"])
    await _ensure_rules(ctx.cloud, group.group_id, p["ingress"])


@action("authorize_ingress", Text.of("lab_action.authorize_ingress"),
        group=Field(Str(), required=True), ingress=Field(RULES, required=True))
async def _authorize_ingress(ctx: ActionContext, p: dict[str, Any]) -> None:
    group = security_group_named(ctx.cloud, p["group"])
    if group is None:
        raise CloudError("InvalidGroup.NotFound", f"The security group '{p['group']}' does not exist")
    await _ensure_rules(ctx.cloud, group.group_id, p["ingress"])


@action("authorize_instance_ingress", Text.of("lab_action.authorize_instance_ingress"),
        instance=Field(Str(), required=True), ingress=Field(RULES, required=True))
async def _authorize_instance_ingress(ctx: ActionContext, p: dict[str, Any]) -> None:
    instance = _instance(ctx.cloud, p["instance"])
    await _ensure_rules(ctx.cloud, instance.security_group_ids[0], p["ingress"])


async def _ensure_rules(cloud: Cloud, group_id: str, specs: list[dict[str, Any]]) -> None:
    group = cloud.ec2.security_group(group_id)
    missing = [s for s in specs if not any(rule_admits(cloud, r, s) for r in group.rules)]
    rules = []
    for spec in missing:
        source = security_group_named(cloud, spec["source_group"]) if spec["source_group"] else None
        rules.append(RuleSpec(spec["protocol"], spec["port"], spec["port"], cidr_ipv4=spec["cidr"],
                              source_group_id=source.group_id if source else None, description=spec["description"]))
    if rules:
        await cloud.ec2.authorize(group_id, rules)


@action("launch_instances", Text.of("lab_action.launch_instances"),
        names=Field(_NAMES, required=True), user_data=Field(Str(), default=""),
        security_groups=Field(_NAMES), instance_type=Field(Str(), default="t2.micro"))
async def _launch_instances(ctx: ActionContext, p: dict[str, Any]) -> None:
    cloud = ctx.cloud
    groups = []
    for name in p["security_groups"] or []:
        group = security_group_named(cloud, name)
        if group is None:
            raise CloudError("InvalidGroup.NotFound", f"The security group '{name}' does not exist")
        groups.append(group.group_id)
    subnets = default_subnets(cloud)
    for index, name in enumerate(p["names"]):
        if instance_named(cloud, name) is None:
            # Spread over the zones, as "No preference" does, so the balancer has something to balance across.
            await cloud.ec2.run_instances(instance_type=p["instance_type"], name=name, user_data=p["user_data"],
                                          security_group_ids=groups or None, subnet_id=subnets[index % len(subnets)])


@action("stop_instances", Text.of("lab_action.stop_instances"), names=Field(_NAMES, required=True))
async def _stop_instances(ctx: ActionContext, p: dict[str, Any]) -> None:
    ids = [_instance(ctx.cloud, n).instance_id for n in p["names"]]
    await ctx.cloud.ec2.stop_instances(ids)


@action("start_instances", Text.of("lab_action.start_instances"),
        names=Field(_NAMES, required=True))
async def _start_instances(ctx: ActionContext, p: dict[str, Any]) -> None:
    instances = [_instance(ctx.cloud, n) for n in p["names"]]
    for instance in instances:
        # A stopping instance cannot start yet: wait until it is stopped, as the console makes you.
        await _wait(ctx.cloud, _of(instance, lambda i: i.state != "stopping"), f"stopping {instance.name}")
    await ctx.cloud.ec2.start_instances([i.instance_id for i in instances])


@action("change_security_groups", Text.of("lab_action.change_security_groups"),
        instance=Field(Str(), required=True), groups=Field(_NAMES, required=True))
async def _change_security_groups(ctx: ActionContext, p: dict[str, Any]) -> None:
    """Actions › Security › Change security groups: in place, on the running instance."""
    instance = _instance(ctx.cloud, p["instance"])
    ids = []
    for name in p["groups"]:
        group = security_group_named(ctx.cloud, name)
        if group is None:
            raise CloudError("InvalidGroup.NotFound", f"The security group '{name}' does not exist")
        ids.append(group.group_id)
    await ctx.cloud.ec2.modify_instance_attribute(instance.instance_id, AttributeChange(group_ids=ids))


@action("simulate_failure", Text.of("lab_action.simulate_failure"),
        names=Field(_NAMES, required=True))
async def _simulate_failure(ctx: ActionContext, p: dict[str, Any]) -> None:
    """The guest process is killed; waits until the instance's status check has failed."""
    for name in p["names"]:
        instance = _instance(ctx.cloud, name)
        if instance.impaired_since is None:
            await ctx.cloud.ec2.simulate_instance_failure(instance.instance_id, "kill")
        await _wait(ctx.cloud, partial(_impaired, instance), f"the failure of {name}")


@action("reboot_instances", Text.of("lab_action.reboot_instances"),
        names=Field(_NAMES, required=True))
async def _reboot_instances(ctx: ActionContext, p: dict[str, Any]) -> None:
    """Reboot, and wait until the status checks pass again (a new guest)."""
    instances = [_instance(ctx.cloud, n) for n in p["names"]]
    await ctx.cloud.ec2.reboot_instances([i.instance_id for i in instances])
    for instance in instances:
        await _wait(ctx.cloud, partial(_answering, instance), f"the reboot of {instance.name}")


def _impaired(instance: Instance) -> bool:
    return instance.impaired_since is not None


def _answering(instance: Instance) -> bool:
    """A new guest answers: the dead one is not alive, and a reboot clears the failed check."""
    return instance.guest is not None and instance.guest.alive and not _impaired(instance)


@action("run_commands", Text.of("lab_action.run_commands"),
        instances=Field(_NAMES, required=True), commands=Field(ListOf(Str(), min_items=1, single=True), required=True))
async def _run_commands(ctx: ActionContext, p: dict[str, Any]) -> None:
    for name in p["instances"]:
        instance = _instance(ctx.cloud, name)
        ready = _of(instance, lambda i: i.state == "running" and (i.os.user_data_ran or not i.user_data))
        await _wait(ctx.cloud, ready, f"instance {name}")
        shell = await ctx.cloud.ec2.open_shell(instance.instance_id)  # runs in the instance's guest
        for command in p["commands"]:
            result = await shell.run(command)
            if result.exit_code != 0:
                raise CloudError("CommandFailed", f"{name}: `{command}` exited {result.exit_code}: {result.output}")
        await shell.close()


# == target groups ==========================================================================================


@action("create_target_group", Text.of("lab_action.create_target_group"),
        name=Field(Str(), required=True), protocol=Field(Str(choices=("HTTP", "HTTPS")), default="HTTP"),
        port=Field(_PORT, default=80), protocol_version=Field(Str(choices=("HTTP1", "HTTP2")), default="HTTP1"),
        health_check=Field(elb_specs.HEALTH_CHECK), targets=Field(_NAMES, default=[]))
async def _create_target_group(ctx: ActionContext, p: dict[str, Any]) -> None:
    settings = {k: v for k, v in (p["health_check"] or {}).items() if v is not None}
    group = target_group_named(ctx.cloud, p["name"])
    if group is None:
        group = await ctx.cloud.elbv2.create_target_group(p["name"], p["protocol"], p["port"],
                                                          protocol_version=p["protocol_version"],
                                                          health_check=settings)
    else:
        await _ensure_health_check(ctx.cloud, group, settings)
    await _register(ctx.cloud, group, p["targets"])


@action("modify_target_group", Text.of("lab_action.modify_target_group"),
        name=Field(Str(), required=True), health_check=Field(elb_specs.HEALTH_CHECK, required=True))
async def _modify_target_group(ctx: ActionContext, p: dict[str, Any]) -> None:
    group = _target_group(ctx.cloud, p["name"])
    await _ensure_health_check(ctx.cloud, group, {k: v for k, v in p["health_check"].items() if v is not None})


@action("register_targets", Text.of("lab_action.register_targets"),
        target_group=Field(Str(), required=True), instances=Field(_NAMES, required=True))
async def _register_targets(ctx: ActionContext, p: dict[str, Any]) -> None:
    await _register(ctx.cloud, _target_group(ctx.cloud, p["target_group"]), p["instances"])


def _target_group(cloud: Cloud, name: str) -> TargetGroup:
    group = target_group_named(cloud, name)
    if group is None:
        raise CloudError("TargetGroupNotFound", f"There is no target group named {name}")
    return group


async def _ensure_health_check(cloud: Cloud, group: TargetGroup, settings: dict[str, Any]) -> None:
    changed = {k: v for k, v in settings.items() if str(getattr(group.health_check, k)) != str(v)}
    if changed:
        await cloud.elbv2.modify_target_group(group.arn, **changed)


async def _register(cloud: Cloud, group: TargetGroup, names: list[str]) -> None:
    for name in names:
        instance = _instance(cloud, name)
        if any(t.id == instance.instance_id and t.draining_until is None for t in group.targets.values()):
            continue
        # Only a running instance can be registered (the console lists only those, too).
        await _wait(cloud, _of(instance, lambda i: i.state == "running"), f"instance {name}")
        await cloud.elbv2.register_targets(group.arn, [TargetSpec(instance.instance_id)])


# == load balancers =======================================================================================

_LISTENER = Record({
    "protocol": Field(Str(choices=("HTTP", "HTTPS")), required=True),
    "port": Field(_PORT, required=True),
    "action": Field(elb_specs.ACTION, required=True),
    "certificate": Field(Bool(), default=False),
}, name="listener")


@action("create_load_balancer", Text.of("lab_action.create_load_balancer"),
        name=Field(Str(), required=True), scheme=Field(Str(choices=("internet-facing", "internal")),
                                                       default="internet-facing"),
        security_groups=Field(_NAMES, required=True), listeners=Field(ListOf(_LISTENER), default=[]))
async def _create_load_balancer(ctx: ActionContext, p: dict[str, Any]) -> None:
    cloud = ctx.cloud
    groups = []
    for name in p["security_groups"]:
        group = security_group_named(cloud, name)
        if group is None:
            raise CloudError("InvalidGroup.NotFound", f"The security group '{name}' does not exist")
        groups.append(group.group_id)
    lb = load_balancer_named(cloud, p["name"])
    if lb is None:
        lb = await cloud.elbv2.create_load_balancer(p["name"], default_subnets(cloud), groups, scheme=p["scheme"],
                                                    ip_address_type="ipv4")
    elif sorted(lb.security_groups) != sorted(groups):
        await cloud.elbv2.set_security_groups(lb.arn, groups)
    for listener in p["listeners"]:
        await _ensure_listener(cloud, lb, listener)


@action("create_listener", Text.of("lab_action.create_listener"),
        load_balancer=Field(Str(), required=True), **_LISTENER.fields)
async def _create_listener(ctx: ActionContext, p: dict[str, Any]) -> None:
    await _ensure_listener(ctx.cloud, _load_balancer(ctx.cloud, p["load_balancer"]), p)


@action("request_certificate", Text.of("lab_action.request_certificate"),
        load_balancer=Field(Str(), required=True))
async def _request_certificate(ctx: ActionContext, p: dict[str, Any]) -> None:
    await _certificate_for(ctx.cloud, _load_balancer(ctx.cloud, p["load_balancer"]))


@action("create_rule", Text.of("lab_action.create_rule"),
        load_balancer=Field(Str(), required=True), port=Field(_PORT, default=80),
        priority=Field(Int(1, 50000), required=True), conditions=Field(elb_specs.CONDITIONS, required=True),
        action=Field(elb_specs.ACTION, required=True))
async def _create_rule(ctx: ActionContext, p: dict[str, Any]) -> None:
    cloud = ctx.cloud
    lb = _load_balancer(cloud, p["load_balancer"])
    listener = listener_on(cloud, lb, p["port"])
    if listener is None:
        raise CloudError("ListenerNotFound", f"{lb.name} has no listener on port {p['port']}")
    conditions, actions = elb_specs.to_conditions(p["conditions"]), [elb_specs.to_action(cloud, p["action"])]
    rule = next((r for r in listener.rules if r.priority == p["priority"]), None)
    if rule is None:
        await cloud.elbv2.create_rule(listener.arn, p["priority"], conditions, actions)
    else:
        await cloud.elbv2.modify_rule(rule.arn, conditions, actions)


def _load_balancer(cloud: Cloud, name: str) -> LoadBalancer:
    lb = load_balancer_named(cloud, name)
    if lb is None:
        raise CloudError("LoadBalancerNotFound", f"There is no load balancer named {name}")
    return lb


async def _ensure_listener(cloud: Cloud, lb: LoadBalancer, spec: dict[str, Any]) -> None:
    actions: list[ElbAction] = [elb_specs.to_action(cloud, spec["action"])]
    certificates = [await _certificate_for(cloud, lb)] if spec["certificate"] else None
    listener = listener_on(cloud, lb, spec["port"])
    if listener is None:
        await cloud.elbv2.create_listener(lb.arn, spec["protocol"], spec["port"], actions, certificates=certificates)
    else:
        await cloud.elbv2.modify_listener(listener.arn, protocol=spec["protocol"], default_actions=actions,
                                          certificates=certificates)


async def _certificate_for(cloud: Cloud, lb: LoadBalancer) -> str:
    """A certificate covering the balancer's DNS name: the one in the store, or a new one."""
    found = next((c for c in cloud.elbv2.certificates.list() if c.match(lb.dns_name)), None)
    if found is not None:
        return found.arn
    return await cloud.elbv2.request_certificate(lb.dns_name.lower())


@action("solve_lab", Text.of("lab_action.solve_lab"),
        lab=Field(Str(), required=True), through=Field(Str(), required=True))
async def _solve_lab(ctx: ActionContext, p: dict[str, Any]) -> list[Text]:
    return await ctx.solve_lab(p["lab"], p["through"])
