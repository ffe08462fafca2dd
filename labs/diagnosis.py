"""Diagnosing from real state: why an instance does not serve, why a target is not healthy.

Each function looks at what the cloud really holds (instance state, user data, the OS's packages
and services, security-group rules, target health reasons) and names the first cause a learner
should fix, as a `Diagnosis`. Nothing is guessed from the step the learner is on.
"""

from __future__ import annotations

import posixpath

from labs import timing
from labs.codes import HEALTH_STATES, INSTANCE_STATES, Diagnosis, health_description
from labs.resources import instance_name, security_group_name
from labs.text import Text
from mock_cloud import (
    DRAINING,
    NOT_IN_USE,
    NOT_REGISTERED,
    REGISTRATION_IN_PROGRESS,
    RESPONSE_CODE_MISMATCH,
    TARGET_TIMEOUT,
    UNHEALTHY,
    UNUSED,
    ZONE_NOT_ENABLED,
    Cloud,
    Instance,
    Peer,
    TargetGroup,
    TargetHealthDescription,
    instance_peer,
)

WEB_SERVICE = "httpd"


def diagnose_running(instance: Instance, scale: float) -> Diagnosis | None:
    name = instance.name or instance.instance_id
    if instance.state == "pending":
        return Diagnosis("INSTANCE_PENDING", {"name": name, "boot": timing.boot(scale)})
    if instance.state != "running":
        return Diagnosis("INSTANCE_NOT_RUNNING", {"name": name, "state": INSTANCE_STATES[instance.state]})
    if instance.impaired_since is not None:  # running, but its guest died or hangs: nothing inside answers
        return Diagnosis("INSTANCE_IMPAIRED", {"name": name})
    return None


def diagnose_web_server(instance: Instance, scale: float, port: int = 80) -> Diagnosis | None:
    """Why nothing answers HTTP on the instance's `port`; None when something does."""
    problem = diagnose_running(instance, scale)
    if problem is not None:
        return problem
    if instance.local_port(port) is not None:
        return None
    name = instance.name or instance.instance_id
    params = {"name": name, "port": port, "boot": timing.boot(scale)}
    os = instance.os
    if WEB_SERVICE not in os.packages:
        return Diagnosis(_why_not_installed(instance), params)
    if not os.user_data_ran and _is_script(instance.user_data):
        return Diagnosis("USER_DATA_RUNNING", params)
    service = os.services.get(WEB_SERVICE)
    if service is None or not service.active:
        return Diagnosis("HTTPD_STOPPED" if service is not None and service.enabled else "HTTPD_NOT_ENABLED", params)
    return Diagnosis("HTTPD_FAILED", params)


def _why_not_installed(instance: Instance) -> str:
    script = instance.user_data
    if not script.strip():
        return "NO_USER_DATA"
    if not _is_script(script):
        return "NO_SHEBANG"
    if not instance.os.user_data_ran:
        return "USER_DATA_RUNNING"
    return "HTTPD_NOT_INSTALLED" if WEB_SERVICE in script else "USER_DATA_NO_HTTPD"


def _is_script(user_data: str) -> bool:
    """cloud-init runs a shell script only when it starts with #! (or cloud-config, which can install too)."""
    head = user_data.lstrip()
    return head.startswith("#!") or head.lower().startswith("#cloud-config")


# -- target health -------------------------------------------------------------------------------------


def lb_blocked(cloud: Cloud, group: TargetGroup, instance: Instance, port: int) -> bool:
    """True when the instance's security groups drop the balancer's traffic to `port`."""
    lb = cloud.elbv2.load_balancers.get(group.load_balancer_arns[0]) if group.load_balancer_arns else None
    if lb is None:
        return False
    node = Peer(lb.node_ip(instance.availability_zone), tuple(lb.security_groups), lb.name)
    return not cloud.network.check(node, instance_peer(instance), port).allowed


def diagnose_targets(cloud: Cloud, group: TargetGroup, rows: list[TargetHealthDescription],
                     scale: float) -> Diagnosis | None:
    """The first problem among `rows` (targets not in the state wanted), naming every target it concerns."""
    found: dict[str, Diagnosis] = {}
    names: dict[str, list[str]] = {}
    for row in rows:
        diagnosis = diagnose_target(cloud, group, row, scale)
        found.setdefault(diagnosis.code, diagnosis)
        names.setdefault(diagnosis.code, []).append(instance_name(cloud, row.target_id))
    if not found:
        return None
    code, first = next(iter(found.items()))
    # Web-server codes speak of one `name`; the merged diagnosis names every target it concerns.
    return Diagnosis(code, {**first.params, "names": names[code], "name": names[code]})


def diagnose_target(cloud: Cloud, group: TargetGroup, row: TargetHealthDescription, scale: float) -> Diagnosis:
    instance = cloud.ec2.instances.get(row.target_id)
    name = instance_name(cloud, row.target_id)
    port = int(row.health_check_port)
    base = {"names": [name], "target_group": group.name, "port": port, "path": group.health_check.path,
            "state": HEALTH_STATES.get(row.state, Text.same(row.state)), "reason": row.reason or "",
            "description": health_description(row.reason, row.description),
            "healthy_after": timing.healthy_after(group.health_check, scale),
            "interval": timing.check_interval(group.health_check, scale)}
    if instance is not None:
        base["groups"] = [security_group_name(cloud, g) for g in instance.security_group_ids]
        lb = cloud.elbv2.load_balancers.get(group.load_balancer_arns[0]) if group.load_balancer_arns else None
        base["lb_groups"] = [security_group_name(cloud, g) for g in lb.security_groups] if lb else []
    if row.state in (UNUSED, DRAINING):
        return _not_in_service(cloud, instance, row, base, scale)
    if instance is None:
        return Diagnosis("TARGET_STATE", {**base, "expected": HEALTH_STATES["healthy"]})
    # A blocked path is worth saying before the checks even fail: they will time out.
    blocked = lb_blocked(cloud, group, instance, port)
    if row.reason == TARGET_TIMEOUT and blocked:
        return Diagnosis("TARGETS_UNHEALTHY_SG_BLOCKS_LB", base)
    if blocked:
        return Diagnosis("INSTANCE_SG_BLOCKS_LB", base)
    if row.reason == REGISTRATION_IN_PROGRESS:
        return Diagnosis("TARGETS_REGISTERING", base)
    server = diagnose_web_server(instance, scale, port)
    if server is not None:
        return server
    if not serves_path(instance, group.health_check.path):
        return Diagnosis("HEALTH_PATH_404", base)
    if row.reason == RESPONSE_CODE_MISMATCH and "[404]" not in (row.description or ""):
        return Diagnosis("HEALTH_CODE_MISMATCH", {**base, "matcher": group.health_check.matcher})
    # Nothing is wrong any more: an unhealthy target only waits for its healthy threshold.
    return Diagnosis("TARGETS_RECOVERING" if row.state == UNHEALTHY else "TARGETS_INITIAL", base)


def serves_path(instance: Instance, path: str) -> bool:
    """Would the instance's web server find a page at `path` (a file, or a directory's index.html)?"""
    server = next(iter(instance.os.web_servers()), None)
    if server is None:
        return False
    local = posixpath.normpath(f"{server.docroot}/{path.split('?', 1)[0]}")
    return instance.os.fs.is_file(local) or instance.os.fs.is_file(f"{local}/index.html")


def _not_in_service(cloud: Cloud, instance: Instance | None, row: TargetHealthDescription,
                    base: dict[str, object], scale: float) -> Diagnosis:
    if row.state == DRAINING:
        return Diagnosis("TARGET_DRAINING", base)
    if row.reason == NOT_REGISTERED:
        return Diagnosis("TARGET_NOT_REGISTERED", base)
    if row.reason == NOT_IN_USE and row.description == ZONE_NOT_ENABLED:
        return Diagnosis("TARGET_ZONE_NOT_ENABLED", {**base, "zones": row.availability_zone})
    if row.reason == NOT_IN_USE:
        return Diagnosis("TG_NOT_IN_USE", base)
    if instance is not None and instance.state in ("stopping", "stopped"):
        return Diagnosis("TARGET_STOPPED", base)
    if instance is not None:
        running = diagnose_running(instance, scale)
        if running is not None:
            return running
    return Diagnosis("TARGET_STATE", {**base, "expected": HEALTH_STATES["healthy"]})
