"""The criteria a step's check is made of: a registry of small async functions over the cloud's public API.

Each criterion type declares its parameters (checked when the lab is loaded) and a default label;
its function returns None when the criterion holds, or the `Diagnosis` of what is wrong.
"""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from labs import elb_specs, probe, timing
from labs.codes import HEALTH_STATES, INSTANCE_STATES, Diagnosis
from labs.diagnosis import (
    WEB_SERVICE,
    diagnose_running,
    diagnose_targets,
    diagnose_web_server,
    lb_blocked,
)
from labs.observe import VIEWABLE, Observations
from labs.resources import (
    instance_name,
    instance_named,
    listener_on,
    load_balancer_named,
    security_group_name,
    security_group_named,
    target_group_named,
)
from labs.schema import Bool, Field, Int, ListOf, Str, StrMap
from labs.sg_specs import RULES, describe_rule, rule_admits
from labs.text import Text
from mock_cloud import (
    ACTIVE,
    DRAINING,
    FORWARD,
    HEALTHY,
    INITIAL,
    INTERNET_CLIENT,
    UNHEALTHY,
    UNUSED,
    Cloud,
    Instance,
    Listener,
    LoadBalancer,
    Peer,
    TargetGroup,
    TargetHealthDescription,
    instance_peer,
    split_access_log_line,
)

TARGET_STATES = (INITIAL, HEALTHY, UNHEALTHY, UNUSED, DRAINING)
DOCROOT = "/var/www/html"


@dataclass
class CheckContext:
    """What one run of a step's check shares: the cloud, its time scale (for AWS-true durations) and
    what the learner has observed since the step began."""

    cloud: Cloud
    scale: float
    observations: Observations | None = None  # what the learner looked at in this step (labs/observe.py)
    _trust: ssl.SSLContext | None = field(default=None, init=False)

    @property
    def trust(self) -> ssl.SSLContext:
        """Trusts the local certificate authority, as a learner's curl --cacert does."""
        if self._trust is None:
            path = self.cloud.elbv2.certificates.ca_pem_path
            self._trust = ssl.create_default_context(cafile=str(path))
        return self._trust


Run = Callable[[CheckContext, dict[str, Any]], Awaitable[Diagnosis | None]]


@dataclass(frozen=True)
class CriterionType:
    fields: dict[str, Field]
    label: Text  # formatted with the criterion's parameters
    run: Run


CRITERIA: dict[str, CriterionType] = {}


def criterion(name: str, label: Text, /, **fields: Field) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        CRITERIA[name] = CriterionType(fields, label, run)
        return run

    return register


_NAMES = ListOf(Str(), min_items=1, single=True)
_PORT = Int(1, 65535)
_SETTING = {name: Text.of(f"setting.{name}") for name in (
    "protocol", "port", "target_type", "protocol_version", "path", "interval_seconds", "timeout_seconds",
    "healthy_threshold_count", "unhealthy_threshold_count", "matcher", "scheme", "ip_address_type", "default_action",
    "conditions", "action", "certificate")}


def _setting(code: str, setting: str, actual: Any, expected: Any, **params: Any) -> Diagnosis:
    return Diagnosis(code, {"setting": _SETTING[setting], "actual": actual, "expected": expected, **params})


# == instances ============================================================================================


@criterion("instances", Text.of("criterion.instances"),
           names=Field(_NAMES, required=True),
           state=Field(ListOf(Str(choices=tuple(INSTANCE_STATES)), min_items=1, single=True), default=["running"]),
           web_server=Field(Bool(), default=False), enabled_at_boot=Field(Bool(), default=False))
async def _instances(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    for name in p["names"]:
        instance = instance_named(ctx.cloud, name)
        if instance is None:
            return Diagnosis("INSTANCE_MISSING", {"name": name})
        if instance.state not in p["state"]:
            if "running" in p["state"]:
                return diagnose_running(instance, ctx.scale)
            return Diagnosis("INSTANCE_NOT_STOPPED", {"name": name, "state": INSTANCE_STATES[instance.state]})
        if p["web_server"]:
            problem = diagnose_web_server(instance, ctx.scale)
            if problem is not None:
                return problem
        service = instance.os.services.get(WEB_SERVICE)
        if p["enabled_at_boot"] and (service is None or not service.enabled):
            return Diagnosis("HTTPD_NOT_ENABLED", {"name": name})
    return None


@criterion("instance_groups", Text.of("criterion.instance_groups"),
           instance=Field(Str(), required=True), groups=Field(_NAMES, required=True), without=Field(_NAMES))
async def _instance_groups(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    """The instance has each of `groups` and none of `without` (Change security groups, no relaunch)."""
    instance = instance_named(ctx.cloud, p["instance"])
    if instance is None:
        return Diagnosis("INSTANCE_MISSING", {"name": p["instance"]})
    names = [security_group_name(ctx.cloud, g) for g in instance.security_group_ids]
    if any(g not in names for g in p["groups"]) or any(g in names for g in p["without"] or []):
        return Diagnosis("INSTANCE_GROUPS", {"name": p["instance"], "groups": names})
    return None


@criterion("instance_recovered", Text.of("criterion.instance_recovered"),
           instances=Field(_NAMES, required=True))
async def _instance_recovered(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    """A failure drill: the instance's status check failed since the step began, and passes again."""
    for name in p["instances"]:
        instance = instance_named(ctx.cloud, name)
        if instance is None:
            return Diagnosis("INSTANCE_MISSING", {"name": name})
        if ctx.observations is None or not ctx.observations.failed(instance.instance_id):
            return Diagnosis("NO_FAILURE_SEEN", {"name": name})
        problem = diagnose_running(instance, ctx.scale)  # impaired still, or not running
        if problem is not None:
            return problem
    return None


@criterion("instance_http", Text.of("criterion.instance_http"),
           instances=Field(_NAMES, required=True), path=Field(Str(), default="/"), status=Field(Int(), default=200),
           contains=Field(Str()), distinct_hosts=Field(Bool(), default=False))
async def _instance_http(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    hosts: dict[str, str] = {}
    for name in p["instances"]:
        instance = instance_named(ctx.cloud, name)
        if instance is None:
            return Diagnosis("INSTANCE_MISSING", {"name": name})
        problem = _public_reach(ctx, instance) or diagnose_web_server(instance, ctx.scale)
        if problem is not None:
            return problem
        answer = await probe.fetch(ctx.cloud, f"http://{instance.public_ip}{p['path']}")
        problem = _judge(answer, p["status"], p["contains"], name)
        if problem is not None:
            return problem
        hosts[name] = answer.host
    if p["distinct_hosts"] and len(set(hosts.values())) < len(hosts):
        return Diagnosis("HOSTS_NOT_DISTINCT", {"names": list(hosts)})
    return None


def _public_reach(ctx: CheckContext, instance: Instance, port: int = 80) -> Diagnosis | None:
    name = instance.name or instance.instance_id
    problem = diagnose_running(instance, ctx.scale)
    if problem is not None:
        return problem
    if not instance.public_ip:
        return Diagnosis("NO_PUBLIC_IP", {"name": name})
    if not ctx.cloud.network.check(INTERNET_CLIENT, instance_peer(instance), port).allowed:
        groups = [security_group_name(ctx.cloud, g) for g in instance.security_group_ids]
        return Diagnosis("SG_BLOCKS_HTTP", {"name": name, "port": port, "groups": groups})
    return None


def _judge(answer: probe.Answer, status: int, contains: str | None, name: str = "") -> Diagnosis | None:
    """What is wrong with one answer, if anything."""
    if answer.status == 0:
        code = "TLS_FAILED" if answer.error.startswith("TLS") else "REQUEST_FAILED"
        return Diagnosis(code, {"url": answer.url, "error": answer.error})
    path = urlsplit(answer.url).path or "/"
    if answer.status != status and name and answer.status == 404:
        return Diagnosis("PATH_NOT_FOUND", {"url": answer.url, "name": name, "file": DOCROOT + path})
    if answer.status != status and name and answer.status == 403 and path == "/":
        return Diagnosis("INDEX_MISSING", {"name": name})
    if answer.status != status:
        return Diagnosis("STATUS_MISMATCH", {"url": answer.url, "status": answer.status, "expected": status})
    if contains and contains not in answer.body:
        return Diagnosis("CONTENT_MISMATCH", {"url": answer.url, "expected": contains})
    return None


# == security groups =========================================================================================

@criterion("security_group", Text.of("criterion.security_group"),
           name=Field(Str(), required=True), description=Field(Str()), ingress=Field(RULES, default=[]))
async def _security_group(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    group = security_group_named(ctx.cloud, p["name"])
    if group is None:
        return Diagnosis("SG_MISSING", {"name": p["name"]})
    if p["description"] is not None and group.description != p["description"]:
        return Diagnosis("SG_DESCRIPTION", {"name": p["name"], "actual": group.description,
                                            "expected": p["description"]})
    for spec in p["ingress"]:
        if not any(rule_admits(ctx.cloud, rule, spec) for rule in group.rules):
            return Diagnosis("SG_RULE_MISSING", {"name": p["name"], "rule": describe_rule(spec)})
    return None


# == target groups =============================================================================================

@criterion("target_group", Text.of("criterion.target_group"),
           name=Field(Str(), required=True), protocol=Field(Str(choices=("HTTP", "HTTPS"))), port=Field(_PORT),
           target_type=Field(Str(choices=("instance",))), protocol_version=Field(Str(choices=("HTTP1", "HTTP2"))),
           health_check=Field(elb_specs.HEALTH_CHECK), targets=Field(_NAMES))
async def _target_group(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    group = target_group_named(ctx.cloud, p["name"])
    if group is None:
        return Diagnosis("TG_MISSING", {"name": p["name"]})
    for key in ("protocol", "port", "target_type", "protocol_version"):
        if p[key] is not None and getattr(group, key) != p[key]:
            return _setting("TG_SETTING", key, getattr(group, key), p[key], name=group.name)
    for key, wanted in (p["health_check"] or {}).items():
        actual = getattr(group.health_check, key)
        if wanted is not None and str(actual) != str(wanted):
            return _setting("TG_SETTING", key, actual, wanted, name=group.name)
    missing = [n for n in p["targets"] or [] if not _registered(ctx.cloud, group, n)]
    if missing:
        return Diagnosis("TARGET_NOT_REGISTERED", {"names": missing, "target_group": group.name})
    return None


def _registered(cloud: Cloud, group: TargetGroup, name: str) -> bool:
    instance = instance_named(cloud, name)
    return instance is not None and any(t.id == instance.instance_id and t.draining_until is None
                                        for t in group.targets.values())


@criterion("target_health", Text.of("criterion.target_health"),
           target_group=Field(Str(), required=True), targets=Field(_NAMES),
           state=Field(Str(choices=TARGET_STATES), default=HEALTHY), reason=Field(Str()))
async def _target_health(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    group = target_group_named(ctx.cloud, p["target_group"])
    if group is None:
        return Diagnosis("TG_MISSING", {"name": p["target_group"]})
    rows = ctx.cloud.elbv2.describe_target_health(group.arn)
    if p["targets"]:
        missing = [n for n in p["targets"] if not _registered(ctx.cloud, group, n)]
        if missing:
            return Diagnosis("TARGET_NOT_REGISTERED", {"names": missing, "target_group": group.name})
        wanted = {instance_named(ctx.cloud, n).instance_id for n in p["targets"]}  # type: ignore[union-attr]
        rows = [r for r in rows if r.target_id in wanted]
    if not rows:
        return Diagnosis("TARGET_NOT_REGISTERED", {"names": "-", "target_group": group.name})
    wrong = [r for r in rows if r.state != p["state"] or (p["reason"] and r.reason != p["reason"])]
    if not wrong:
        return None
    if p["state"] == HEALTHY:
        return diagnose_targets(ctx.cloud, group, wrong, ctx.scale)
    return _not_yet(ctx, group, wrong, p)


def _not_yet(ctx: CheckContext, group: TargetGroup, rows: list[TargetHealthDescription],
             p: dict[str, Any]) -> Diagnosis:
    """Targets not (yet) in the state a step provokes (unhealthy, unused)."""
    names = [instance_name(ctx.cloud, r.target_id) for r in rows]
    instances = [ctx.cloud.ec2.instances.get(r.target_id) for r in rows]
    if p["state"] == UNUSED and any(i is not None and i.state in ("pending", "running") for i in instances):
        running = next(i for i in instances if i is not None and i.state in ("pending", "running"))
        return Diagnosis("INSTANCE_NOT_STOPPED", {"name": running.name or running.instance_id,
                                                  "state": INSTANCE_STATES[running.state]})
    if p["state"] == UNHEALTHY and any(r.state in (HEALTHY, INITIAL) for r in rows):
        return Diagnosis("TARGET_STILL_HEALTHY", {"names": names,
                                                 "unhealthy_after": timing.unhealthy_after(group.health_check,
                                                                                           ctx.scale)})
    row = rows[0]
    expected = HEALTH_STATES[p["state"]]
    if p["reason"]:
        expected = Text.join([expected, Text.same(f"({p['reason']})")])
    return Diagnosis("TARGET_STATE", {"names": names, "state": HEALTH_STATES.get(row.state, Text.same(row.state)),
                                      "reason": row.reason or "-", "expected": expected})


@criterion("lb_reaches_targets", Text.of("criterion.lb_reaches_targets"),
           target_group=Field(Str(), required=True), targets=Field(_NAMES))
async def _lb_reaches_targets(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    """`targets`: only these instances' targets (a step that fixes one of them)."""
    group = target_group_named(ctx.cloud, p["target_group"])
    if group is None:
        return Diagnosis("TG_MISSING", {"name": p["target_group"]})
    if not group.load_balancer_arns:
        return Diagnosis("TG_NOT_IN_USE", {"target_group": group.name})
    blocked = []
    for row in ctx.cloud.elbv2.describe_target_health(group.arn):
        instance = ctx.cloud.ec2.instances.get(row.target_id)
        if instance is None or (p["targets"] and instance.name not in p["targets"]):
            continue
        if lb_blocked(ctx.cloud, group, instance, int(row.health_check_port)):
            blocked.append(row)
    return diagnose_targets(ctx.cloud, group, blocked, ctx.scale)


# == load balancers =============================================================================================


@criterion("load_balancer", Text.of("criterion.load_balancer"),
           name=Field(Str(), required=True),
           scheme=Field(Str(choices=("internet-facing", "internal"))),
           ip_address_type=Field(Str(choices=("ipv4",))),
           zones=Field(Str(choices=("all",))),
           security_groups=Field(_NAMES),
           state=Field(Str(choices=(ACTIVE,))))
async def _load_balancer(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    lb = load_balancer_named(ctx.cloud, p["name"])
    if lb is None:
        return Diagnosis("LB_MISSING", {"name": p["name"]})
    for key in ("scheme", "ip_address_type"):
        if p[key] is not None and getattr(lb, key) != p[key]:
            return _setting("LB_SETTING", key, getattr(lb, key), p[key], name=lb.name)
    if p["zones"]:
        every = ctx.cloud.ec2.availability_zones()
        missing = [z for z in every if z not in lb.zone_names]
        if missing:
            return Diagnosis("LB_ZONES_MISSING", {"name": lb.name, "count": len(lb.zone_names),
                                                  "total": len(every), "missing": missing})
    problem = _lb_groups(ctx.cloud, lb, p["security_groups"] or [])
    if problem is not None:
        return problem
    if p["state"] and lb.state != p["state"]:
        return Diagnosis("LB_PROVISIONING", {"name": lb.name, "provisioning": timing.provisioning(ctx.scale)})
    return None


def _lb_groups(cloud: Cloud, lb: LoadBalancer, names: list[str]) -> Diagnosis | None:
    used = {security_group_name(cloud, g) for g in lb.security_groups}
    if names and "default" in used and "default" not in names:
        return Diagnosis("LB_DEFAULT_SG", {"name": lb.name, "group": names[0]})
    missing = [n for n in names if n not in used]
    if missing:
        return Diagnosis("LB_SG_MISSING", {"name": lb.name, "group": missing[0]})
    return None


def _listener(cloud: Cloud, lb_name: str, protocol: str, port: int) -> tuple[LoadBalancer | None, Listener | None,
                                                                          Diagnosis | None]:
    lb = load_balancer_named(cloud, lb_name)
    if lb is None:
        return None, None, Diagnosis("LB_MISSING", {"name": lb_name})
    listener = listener_on(cloud, lb, port)
    if listener is None:
        return lb, None, Diagnosis("LISTENER_MISSING", {"lb": lb.name, "protocol": protocol, "port": port})
    return lb, listener, None


@criterion("listener", Text.of("criterion.listener"),
           load_balancer=Field(Str(), required=True), protocol=Field(Str(choices=("HTTP", "HTTPS")), required=True),
           port=Field(_PORT, required=True), action=Field(elb_specs.ACTION),
           certificate_covers_dns_name=Field(Bool(), default=False))
async def _listener_criterion(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    lb, listener, problem = _listener(ctx.cloud, p["load_balancer"], p["protocol"], p["port"])
    if problem is not None or lb is None or listener is None:
        return problem
    where = {"lb": lb.name, "port": listener.port}
    if listener.protocol != p["protocol"]:
        return _setting("LISTENER_SETTING", "protocol", listener.protocol, p["protocol"], **where)
    action = listener.default_actions[0]
    if p["action"] and not elb_specs.action_matches(ctx.cloud, action, p["action"]):
        return _setting("LISTENER_SETTING", "default_action",
                        elb_specs.describe_shape(elb_specs.action_shape(ctx.cloud, action)),
                        elb_specs.describe_action(p["action"]), **where)
    if p["certificate_covers_dns_name"] and not _covers(ctx.cloud, listener.certificates, lb.dns_name):
        return _setting("LISTENER_SETTING", "certificate", listener.certificates or "-", lb.dns_name.lower(), **where)
    return None


def _covers(cloud: Cloud, certificate_arns: list[str], domain: str) -> bool:
    store = cloud.elbv2.certificates
    return any(c.arn in certificate_arns and c.match(domain) for c in store.list())


@criterion("rule", Text.of("criterion.rule"),
           load_balancer=Field(Str(), required=True), port=Field(_PORT, default=80),
           priority=Field(Int(1, 50000), required=True), conditions=Field(elb_specs.CONDITIONS, required=True),
           action=Field(elb_specs.ACTION, required=True))
async def _rule(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    lb, listener, problem = _listener(ctx.cloud, p["load_balancer"], "HTTP", p["port"])
    if problem is not None or lb is None or listener is None:
        return problem
    where = {"lb": lb.name, "port": listener.port, "priority": p["priority"]}
    rule = next((r for r in listener.rules if r.priority == p["priority"]), None)
    if rule is None:
        return Diagnosis("RULE_MISSING", where)
    actual = elb_specs.conditions_shape(rule.conditions)
    if actual != elb_specs.spec_shape(p["conditions"]):
        return _setting("RULE_SETTING", "conditions", elb_specs.describe_shape(actual),
                        elb_specs.describe_conditions(p["conditions"]), **where)
    if not rule.actions or not elb_specs.action_matches(ctx.cloud, rule.actions[-1], p["action"]):
        shown = elb_specs.describe_shape(elb_specs.action_shape(ctx.cloud, rule.actions[-1])) if rule.actions else "-"
        return _setting("RULE_SETTING", "action", shown, elb_specs.describe_action(p["action"]), **where)
    return None


# == traffic =====================================================================================================


@criterion("traffic", Text.of("criterion.traffic"),
           load_balancer=Field(Str(), required=True), protocol=Field(Str(choices=("HTTP", "HTTPS")), default="HTTP"),
           path=Field(Str(pattern=r"/.*", pattern_text="a path starting with /"), default="/"),
           headers=Field(StrMap(), default={}), requests=Field(Int(1, 100), default=1),
           status=Field(Int(100, 599), default=200), contains=Field(Str()), location=Field(Str()),
           hosts=Field(Str(choices=("distinct", "same"))), min_hosts=Field(Int(2, 10), default=2),
           target_group=Field(Str()))
async def _traffic(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    port = 443 if p["protocol"] == "HTTPS" else 80
    lb, listener, problem = _listener(ctx.cloud, p["load_balancer"], p["protocol"], port)
    if lb is not None and lb.state != ACTIVE:
        return Diagnosis("LB_PROVISIONING", {"name": lb.name, "provisioning": timing.provisioning(ctx.scale)})
    if lb is not None and not _internet_admitted(ctx.cloud, lb, port):
        groups = [security_group_name(ctx.cloud, g) for g in lb.security_groups]
        return Diagnosis("LB_SG_BLOCKS", {"groups": groups, "port": port})
    if problem is not None or lb is None or listener is None:
        return problem
    url = f"{p['protocol'].lower()}://{lb.dns_name}{p['path']}"
    trust = ctx.trust if p["protocol"] == "HTTPS" else None
    answers = []
    for _ in range(p["requests"]):
        answer = await probe.fetch(ctx.cloud, url, p["headers"], trust)
        problem = _judge(answer, p["status"], p["contains"]) or _redirect(answer, p, lb.dns_name)
        if problem is not None:
            return _behind(ctx, listener, p, problem)
        answers.append(answer)
    return _spread(ctx, listener, p, [a.host for a in answers])


def _internet_admitted(cloud: Cloud, lb: LoadBalancer, port: int) -> bool:
    node = Peer(next(iter(lb.node_ips.values()), "0.0.0.0"), tuple(lb.security_groups), lb.name)
    return cloud.network.check(INTERNET_CLIENT, node, port).allowed


def _redirect(answer: probe.Answer, p: dict[str, Any], dns_name: str) -> Diagnosis | None:
    """`location` may say {dns} for the balancer's DNS name, which the lab cannot know in advance."""
    location = answer.headers.get("location", "")
    expected = (p["location"] or "").replace("{dns}", dns_name)
    if expected and location.lower() != expected.lower():
        return Diagnosis("REDIRECT_MISMATCH", {"url": answer.url, "status": answer.status, "location": location or "-",
                                               "expected_status": p["status"], "expected": expected})
    return None


def _behind(ctx: CheckContext, listener: Listener, p: dict[str, Any], problem: Diagnosis) -> Diagnosis:
    """An answer that is not the one expected: the targets behind it usually tell why."""
    if problem.code != "STATUS_MISMATCH" or problem.params["status"] not in (502, 503, 504):
        return problem
    group = _group_behind(ctx.cloud, listener, p)
    if group is None:
        return problem
    not_healthy = [r for r in ctx.cloud.elbv2.describe_target_health(group.arn) if r.state != HEALTHY]
    found = diagnose_targets(ctx.cloud, group, not_healthy, ctx.scale)
    if found is not None:
        return found
    if problem.params["status"] == 503:
        return Diagnosis("NO_TARGETS_AVAILABLE", {"url": problem.params["url"], "target_group": group.name})
    return problem


def _group_behind(cloud: Cloud, listener: Listener, p: dict[str, Any]) -> TargetGroup | None:
    if p["target_group"]:
        return target_group_named(cloud, p["target_group"])
    action = listener.default_actions[0]
    return cloud.elbv2.target_groups.get(action.target_group_arn or "") if action.type == FORWARD else None


def _spread(ctx: CheckContext, listener: Listener, p: dict[str, Any], hosts: list[str]) -> Diagnosis | None:
    seen = list(dict.fromkeys(hosts))
    shown = [_host_label(ctx.cloud, h) for h in seen]
    if p["hosts"] == "same" and len(seen) > 1:
        return Diagnosis("HOSTS_DIFFER", {"hosts": shown})
    if p["hosts"] == "distinct" and len(seen) < p["min_hosts"]:
        group = _group_behind(ctx.cloud, listener, p)
        if group is not None:
            not_healthy = [r for r in ctx.cloud.elbv2.describe_target_health(group.arn) if r.state != HEALTHY]
            found = diagnose_targets(ctx.cloud, group, not_healthy, ctx.scale)
            if found is not None:
                return found
        return Diagnosis("ONE_HOST_ONLY", {"count": len(hosts), "host": shown, "min": p["min_hosts"]})
    return None


def _host_label(cloud: Cloud, host: str) -> str:
    instance = next((i for i in cloud.ec2.instances.values() if i.private_dns_name == host), None)
    return f"{instance.name} ({host})" if instance is not None and instance.name else host


# == TLS =============================================================================================================


@criterion("certificate", Text.of("criterion.certificate"),
           load_balancer=Field(Str(), required=True))
async def _certificate(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    lb = load_balancer_named(ctx.cloud, p["load_balancer"])
    if lb is None:
        return Diagnosis("LB_MISSING", {"name": p["load_balancer"]})
    if not any(c.match(lb.dns_name) for c in ctx.cloud.elbv2.certificates.list()):
        return Diagnosis("CERT_MISSING", {"domain": lb.dns_name.lower()})
    return None


@criterion("ssl_offload", Text.of("criterion.ssl_offload"),
           load_balancer=Field(Str(), required=True))
async def _ssl_offload(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    lb, listener, problem = _listener(ctx.cloud, p["load_balancer"], "HTTPS", 443)
    if problem is not None or lb is None or listener is None:
        return problem
    # Our own random marker, not the cloud's seeded IDs: a check must not change what the cloud creates next.
    marker = f"{probe.USER_AGENT} offload-{secrets.token_hex(4)}"
    answer = await probe.fetch(ctx.cloud, f"https://{lb.dns_name}/", {"User-Agent": marker}, ctx.trust)
    problem = _judge(answer, 200, None)
    if problem is not None:
        return _behind(ctx, listener, {"target_group": None}, problem)
    for line in reversed(ctx.cloud.elbv2.access_log(lb.arn, limit=50)):
        fields = split_access_log_line(line)
        if fields[13] == marker and fields[0] == "https" and _plain_http_target(ctx.cloud, fields):
            return None
    return Diagnosis("OFFLOAD_NOT_SEEN", {"lb": lb.name})


def _plain_http_target(cloud: Cloud, fields: list[str]) -> bool:
    """The access log's target group (field 17) speaks HTTP, and the target answered (fields 5, 10)."""
    group = cloud.elbv2.target_groups.get(fields[16])
    return group is not None and group.protocol == "HTTP" and fields[4] != "-" and fields[9] != "-"


# == observing =====================================================================================================


@criterion("observed", Text.of("criterion.observed"),
           requests_to=Field(Str(), required=True),
           protocol=Field(Str(choices=("HTTP", "HTTPS"))),
           requests=Field(Int(1, 100), default=1))
async def _observed(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    seen = ctx.observations
    if seen is not None and seen.pressed:
        return None
    lb = load_balancer_named(ctx.cloud, p["requests_to"])
    if lb is None:
        return Diagnosis("LB_MISSING", {"name": p["requests_to"]})
    count = seen.requests(ctx.cloud, lb.arn, p["protocol"]) if seen is not None else 0
    if count >= p["requests"]:
        return None
    return Diagnosis("NOT_OBSERVED", {"lb": lb.name, "count": count, "requests": p["requests"],
                                      "protocol": p["protocol"] or "HTTP"})


@criterion("viewed", Text.of("criterion.viewed"),
           page=Field(Str(choices=VIEWABLE), required=True),
           target_group=Field(Str(), required=True))
async def _viewed(ctx: CheckContext, p: dict[str, Any]) -> Diagnosis | None:
    seen = ctx.observations
    if seen is not None and (seen.pressed or seen.viewed(p["page"], p["target_group"])):
        return None
    return Diagnosis("NOT_VIEWED", {"target_group": p["target_group"]})
