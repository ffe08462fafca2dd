"""Crash safety of `lblab serve`: SIGKILL at random moments, restart on the same state file.

A scripted lab (security groups, two web servers, a target group, an ALB and its listener, then
bursts of API calls: groups, rules, tags, listener rules) is driven through the AWS API with
boto3 while the server is killed with SIGKILL:

- at random moments of the lab's setup and of the bursts,
- while it starts up (resuming instances, listeners and health checks),
- inside `StateStore.save`: half-way through writing the temp file, and after the temp file is
  written and fsynced but before the rename. A wrapper (`SERVE`, below) pauses the save there
  and tells the test, which kills the server in that window.

After every kill the state file must load (never corrupt, never quarantined), no temp file may
pile up, every change the API acknowledged before the kill must be there (and every acknowledged
deletion must stay deleted), and once restarted the instances serve again through the internet
edge and the load balancer routes again.

SIGTERM and SIGINT must shut the server down cleanly: exit code 0, state saved, ports closed.

The default run kills the server 20 times; `LBLAB_SLOW=1 pytest -m slow tests/reliability/test_reliability_crash.py`
runs 100 kills (`LBLAB_CRASH_SEED=n` replays one sequence).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mock_cloud.cloud import CloudConfig
from mock_cloud.scenarios import SEED_USER_DATA
from mock_cloud.store import STATE_VERSION, StateStore
from tests.support.paths import ROOT

boto3 = pytest.importorskip("boto3", reason="boto3 drives the AWS API (pip install boto3)")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

REGION = "ap-northeast-2"
SCALE = 200  # cloud seconds per real second: boot 0.1 s, a balancer active in 0.3 s, a health check every 25 ms
CREDENTIALS = {"aws_access_key_id": "AKIALBLABCRASHTEST00", "aws_secret_access_key": "lblab-crash-test"}
# Generous: a killed server refuses or resets at once; only a busy machine makes a live one slow to answer.
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
SEED = int(os.environ.get("LBLAB_CRASH_SEED", "20260101"))
SAVE_PAUSE = 5.0  # real seconds a paused save waits for the kill (it never waits that long)

# `python -c SERVE serve ...`: lblab's own main, with StateStore.save able to pause half-way through
# writing its temp file, or between writing it and renaming it over the state file, when the test
# asks (it writes "write" or "rename" to $LBLAB_TEST_PAUSE). The paused save appends a line to
# $LBLAB_TEST_PAUSED and sleeps; the test kills the process meanwhile. Production code is untouched.
SERVE = f"""
import os, sys, time
from mock_cloud import store

class _PausingOs:
    def __getattr__(self, name):
        return getattr(os, name)

    def _pause(self, where):
        try:
            with open(os.environ["LBLAB_TEST_PAUSE"]) as f:
                wanted = f.read().strip()
        except OSError:
            return
        if wanted == where:
            with open(os.environ["LBLAB_TEST_PAUSED"], "a") as f:
                f.write(where + "\\n")
            time.sleep({SAVE_PAUSE})

    def write(self, fd, data):
        if len(data) > 1:
            half = os.write(fd, data[: len(data) // 2])
            self._pause("write")
            return half
        return os.write(fd, data)

    def replace(self, src, dst):
        self._pause("rename")
        return os.replace(src, dst)

store.os = _PausingOs()
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


class Killed(Exception):
    """The server went away under an API call (we killed it)."""


# -- the server process -----------------------------------------------------------------------------
class Server:
    """One `lblab serve` process on ephemeral ports, reporting them on stdout."""

    def __init__(self, state: Path, tmp: Path) -> None:
        self.state = state
        self.pause_file = tmp / "pause"
        self.paused_file = tmp / "paused"
        self.pause_file.unlink(missing_ok=True)
        self.paused_file.unlink(missing_ok=True)
        env = {**os.environ, "LBLAB_TEST_PAUSE": str(self.pause_file), "LBLAB_TEST_PAUSED": str(self.paused_file),
               "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.stderr_path = tmp / "stderr.txt"
        self._stderr = self.stderr_path.open("ab")
        command = [sys.executable, "-c", SERVE, "serve", "--port", "0", "--edge-port", "0", "--state", str(state),
                   "--time-scale", str(SCALE)]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.api = self.edge = ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_ready(self, timeout: float = 90.0) -> None:  # a start on a busy machine; ends when ready
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"lblab serve exited ({self.proc.wait()}): {self.stderr()}")
            if match := re.search(r"AWS API \(EC2 \+ ELBv2\): (http://127\.0\.0\.1:\d+)", line):
                self.api = match.group(1)
            if match := re.search(r"internet edge \(HTTP proxy\): http://127\.0\.0\.1:(\d+)", line):
                self.edge = match.group(1)
            if line.startswith("Ctrl-C stops."):
                assert self.api and self.edge, self.output
                return
        raise AssertionError(f"lblab serve did not get ready in {timeout} s: {self.output} {self.stderr()}")

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._stderr.close()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout)
        finally:
            self._stderr.close()
        return code

    def pause_next_save(self, where: str) -> None:
        self.pause_file.write_text(where)

    def wait_paused(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.paused_file.exists() and self.paused_file.read_text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.002)
        return False


@contextlib.contextmanager
def serving(state: Path, tmp: Path) -> Iterator[Server]:
    server = Server(state, tmp)
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.kill()


def clients(server: Server, session: Any) -> tuple[Any, Any]:
    make = lambda service: session.client(service, endpoint_url=server.api, config=CLIENT_CONFIG)  # noqa: E731
    return make("ec2"), make("elbv2")


def through_edge(edge_port: str, host: str, timeout: float = 3.0) -> tuple[int, str]:
    """GET http://host/ through the internet edge (loopback only): (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", int(edge_port), timeout=timeout)
    try:
        conn.request("GET", f"http://{host}/", headers={"Host": host, "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError as exc:
        return 0, repr(exc)
    finally:
        conn.close()


HELLO = re.compile(r"<h1>Hello World from (ip-[\d-]+\.ap-northeast-2\.compute\.internal)</h1>")


def eventually_serves(edge_port: str, host: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    status, body = 0, ""
    while time.monotonic() < deadline:
        status, body = through_edge(edge_port, host)
        if status == 200 and (match := HELLO.search(body)):
            return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"http://{host}/ through the edge: {status} {body[:300]}")


# -- what the API acknowledged -----------------------------------------------------------------------
@dataclass
class Facts:
    """Every change the API acknowledged (or that a restart showed was saved)."""

    alb_sg: str = ""
    web_sg: str = ""
    instances: dict[str, str] = field(default_factory=dict)  # id -> Name
    tg: str = ""
    targets: set[str] = field(default_factory=set)
    lb: str = ""
    lb_dns: str = ""
    listener: str = ""
    groups: dict[str, str] = field(default_factory=dict)  # burst groups alive: id -> name
    groups_gone: set[str] = field(default_factory=set)
    groups_doubtful: dict[str, str] = field(default_factory=dict)  # deleted by a call the kill cut short
    group_rules: set[tuple[str, int]] = field(default_factory=set)
    tags: dict[str, set[str | None]] = field(default_factory=dict)  # tag on web-1 -> values it may have
    rules: dict[str, int] = field(default_factory=dict)  # listener rule ARN -> priority
    rules_gone: set[str] = field(default_factory=set)
    rules_doubtful: dict[str, int] = field(default_factory=dict)
    lb_tags: dict[str, set[str | None]] = field(default_factory=dict)
    counter: int = 0  # names and priorities are never reused
    acknowledged: int = 0  # mutating calls that returned

    @property
    def lab_built(self) -> bool:
        return bool(self.listener and len(self.targets) == 2)


def call(facts: Facts, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """One mutating API call; Killed if the server died under it."""
    try:
        result = fn(**kwargs)
    except (BotoCoreError, ConnectionError) as exc:  # connection refused/reset, read timeout ...
        raise Killed(str(exc)) from exc
    facts.acknowledged += 1
    return result


def read(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except (BotoCoreError, ConnectionError) as exc:
        raise Killed(str(exc)) from exc


# -- the scripted lab, resumable after any kill --------------------------------------------------------
class Driver:
    def __init__(self, ec2: Any, elbv2: Any, facts: Facts) -> None:
        self.ec2, self.elbv2, self.facts = ec2, elbv2, facts

    def run(self, burst_steps: int) -> None:
        self.setup()
        self.sweep()
        for _ in range(burst_steps):
            self.burst_step()

    # -- setup: every step looks first, so a change that was made but never acknowledged is reused
    def setup(self) -> None:
        f, ec2 = self.facts, self.ec2
        f.alb_sg = f.alb_sg or self._group("crash-alb-sg", [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                                             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        f.web_sg = f.web_sg or self._group("crash-web-sg", [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": f.alb_sg}]},
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ])
        for name in ("crash-web-1", "crash-web-2"):
            if name in f.instances.values():
                continue
            found = self._instances(name)
            if found:
                f.instances[found[0]["InstanceId"]] = name
                continue
            launched = call(f, ec2.run_instances, ImageId="ami-0c9c942bd7bf113a2", InstanceType="t2.micro",
                            MinCount=1, MaxCount=1, UserData=SEED_USER_DATA, SecurityGroupIds=[f.web_sg],
                            TagSpecifications=[{"ResourceType": "instance",
                                                "Tags": [{"Key": "Name", "Value": name}]}])
            f.instances[launched["Instances"][0]["InstanceId"]] = name
        if not f.tg:
            group = call(f, self.elbv2.create_target_group, Name="crash-tg", Protocol="HTTP", Port=80,
                         VpcId=self._vpc(), TargetType="instance", HealthCheckIntervalSeconds=5,
                         HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)
            f.tg = group["TargetGroups"][0]["TargetGroupArn"]
        missing = [i for i in f.instances if i not in f.targets]
        if missing:
            self._wait_running(missing)
            call(f, self.elbv2.register_targets, TargetGroupArn=f.tg, Targets=[{"Id": i} for i in missing])
            f.targets.update(missing)
        if not f.lb:
            found = [lb for lb in read(self.elbv2.describe_load_balancers)["LoadBalancers"]
                     if lb["LoadBalancerName"] == "crash-alb"]
            if not found:
                subnets = [s["SubnetId"] for s in read(ec2.describe_subnets)["Subnets"]]
                found = call(f, self.elbv2.create_load_balancer, Name="crash-alb", Subnets=subnets,
                             SecurityGroups=[f.alb_sg])["LoadBalancers"]
            f.lb, f.lb_dns = found[0]["LoadBalancerArn"], found[0]["DNSName"]
        if not f.listener:
            found = read(self.elbv2.describe_listeners, LoadBalancerArn=f.lb)["Listeners"]
            if not found:
                found = call(f, self.elbv2.create_listener, LoadBalancerArn=f.lb, Protocol="HTTP", Port=80,
                             DefaultActions=[{"Type": "forward", "TargetGroupArn": f.tg}])["Listeners"]
            f.listener = found[0]["ListenerArn"]

    def _vpc(self) -> str:
        return read(self.ec2.describe_vpcs)["Vpcs"][0]["VpcId"]

    def _group(self, name: str, permissions: list[dict[str, Any]]) -> str:
        f = self.facts
        found = read(self.ec2.describe_security_groups, Filters=[{"Name": "group-name", "Values": [name]}])
        if found["SecurityGroups"]:
            group = found["SecurityGroups"][0]
            group_id = group["GroupId"]
            have = {(p.get("FromPort"), tuple(sorted(r["CidrIp"] for r in p.get("IpRanges", []))),
                     tuple(sorted(g["GroupId"] for g in p.get("UserIdGroupPairs", []))))
                    for p in group["IpPermissions"]}
        else:
            group_id = call(f, self.ec2.create_security_group, GroupName=name, Description=name)["GroupId"]
            have = set()
        for permission in permissions:
            cidrs = tuple(sorted(r["CidrIp"] for r in permission.get("IpRanges", [])))
            peers = tuple(sorted(g["GroupId"] for g in permission.get("UserIdGroupPairs", [])))
            present = any(port == permission["FromPort"] and set(cidrs) <= set(c) and set(peers) <= set(g)
                          for port, c, g in have)
            if not present:
                call(f, self.ec2.authorize_security_group_ingress, GroupId=group_id, IpPermissions=[permission])
        return group_id

    def _instances(self, name: str) -> list[dict[str, Any]]:
        found = read(self.ec2.describe_instances, Filters=[{"Name": "tag:Name", "Values": [name]}])
        return [i for r in found["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"]

    def _wait_running(self, instance_ids: list[str], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = read(self.ec2.describe_instances, InstanceIds=instance_ids)
            if all(i["State"]["Name"] == "running" for r in found["Reservations"] for i in r["Instances"]):
                return
            time.sleep(0.02)
        raise AssertionError(f"{instance_ids} did not reach running")

    def sweep(self) -> None:
        """Remove what calls cut short by a kill created without acknowledging (groups, listener rules)."""
        f = self.facts
        for group in read(self.ec2.describe_security_groups)["SecurityGroups"]:
            if group["GroupName"].startswith("burst-") and group["GroupId"] not in f.groups:
                call(f, self.ec2.delete_security_group, GroupId=group["GroupId"])
                f.groups_gone.add(group["GroupId"])
        if f.listener:
            for rule in read(self.elbv2.describe_rules, ListenerArn=f.listener)["Rules"]:
                if not rule["IsDefault"] and rule["RuleArn"] not in f.rules:
                    call(f, self.elbv2.delete_rule, RuleArn=rule["RuleArn"])
                    f.rules_gone.add(rule["RuleArn"])

    # -- bursts: many small acknowledged changes ------------------------------------------------------
    def burst_step(self) -> None:
        f, ec2, elbv2 = self.facts, self.ec2, self.elbv2
        f.counter += 1
        n = f.counter
        op = n % 6
        web1 = next(i for i, name in f.instances.items() if name == "crash-web-1")
        if op == 0 or (op in (1, 3) and not f.groups):
            name = f"burst-{n}"
            group_id = call(f, ec2.create_security_group, GroupName=name, Description="burst")["GroupId"]
            f.groups[group_id] = name
        elif op == 1:
            group_id = list(f.groups)[-1]
            port = 1024 + n
            call(f, ec2.authorize_security_group_ingress, GroupId=group_id, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
            f.group_rules.add((group_id, port))
        elif op == 2:
            key, value = f"k{n % 20}", f"v{n}"
            f.tags[key] = f.tags.get(key, {None}) | {value}  # until acknowledged: the old value (or none) or this
            call(f, ec2.create_tags, Resources=[web1], Tags=[{"Key": key, "Value": value}])
            f.tags[key] = {value}
        elif op == 3:
            if len(f.groups) < 3:
                read(ec2.describe_security_groups, GroupIds=list(f.groups))
                return
            group_id = next(iter(f.groups))
            f.groups_doubtful[group_id] = f.groups.pop(group_id)  # until acknowledged: there or gone
            call(f, ec2.delete_security_group, GroupId=group_id)
            del f.groups_doubtful[group_id]
            f.groups_gone.add(group_id)
        elif op == 4 and f.listener:
            rule = call(f, elbv2.create_rule, ListenerArn=f.listener, Priority=n, Conditions=[
                {"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/burst/{n}"]}}], Actions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": str(n)}}])
            f.rules[rule["Rules"][0]["RuleArn"]] = n
        elif op == 5 and f.listener:
            if len(f.rules) > 2:
                rule_arn = next(iter(f.rules))
                f.rules_doubtful[rule_arn] = f.rules.pop(rule_arn)
                call(f, elbv2.delete_rule, RuleArn=rule_arn)
                del f.rules_doubtful[rule_arn]
                f.rules_gone.add(rule_arn)
            else:
                key, value = f"t{n % 10}", f"v{n}"
                f.lb_tags[key] = f.lb_tags.get(key, {None}) | {value}
                call(f, elbv2.add_tags, ResourceArns=[f.lb], Tags=[{"Key": key, "Value": value}])
                f.lb_tags[key] = {value}


# -- checks after a kill and a restart ------------------------------------------------------------------
def check_state_file(state: Path) -> None:
    """Loads as an lblab state (no StateError, nothing quarantined). Checked on a copy: loading
    the state itself would tidy up temp files, which the restarted server must do on its own."""
    document = json.loads(state.read_text("utf-8"))
    assert document["version"] == STATE_VERSION and isinstance(document["state"], dict)
    copy = state.parent / "check" / state.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(state.read_bytes())
    assert StateStore(copy).load() is not None
    assert not list(state.parent.glob(f"{state.name}.broken-*"))


def check_acknowledged(ec2: Any, elbv2: Any, f: Facts) -> int:
    """Every acknowledged change is there; returns how many facts were checked."""
    checked = 0
    groups = {g["GroupId"]: g for g in read(ec2.describe_security_groups)["SecurityGroups"]}
    for group_id in (f.alb_sg, f.web_sg):
        if group_id:
            assert group_id in groups, f"security group {group_id} was lost"
            checked += 1
    for group_id, name in f.groups.items():
        assert group_id in groups and groups[group_id]["GroupName"] == name, f"{name} ({group_id}) was lost"
        checked += 1
    for group_id in f.groups_gone:
        assert group_id not in groups, f"deleted group {group_id} came back"
        checked += 1
    for group_id, name in f.groups_doubtful.items():  # what the restart shows is what was saved
        if group_id in groups:
            f.groups[group_id] = name
        else:
            f.groups_gone.add(group_id)
    f.groups_doubtful.clear()
    for group_id, port in f.group_rules:
        if group_id in f.groups_gone:
            continue
        ports = {p.get("FromPort") for p in groups[group_id]["IpPermissions"]}
        assert port in ports, f"rule tcp/{port} of {group_id} was lost"
        checked += 1
    reservations = read(ec2.describe_instances)
    instances = {i["InstanceId"]: i for r in reservations["Reservations"] for i in r["Instances"]}
    for instance_id, name in f.instances.items():
        assert instance_id in instances and instances[instance_id]["State"]["Name"] != "terminated", name
        checked += 1
    if f.tags:
        web1 = next(i for i, name in f.instances.items() if name == "crash-web-1")
        tags = {t["Key"]: t["Value"] for t in instances[web1].get("Tags", [])}
        for key, allowed in f.tags.items():
            assert tags.get(key) in allowed, f"tag {key}={tags.get(key)!r}, acknowledged {allowed}"
            f.tags[key] = {tags.get(key)}  # what was saved is what the next kill must keep
            checked += 1
    if f.tg:
        health = read(elbv2.describe_target_health, TargetGroupArn=f.tg)["TargetHealthDescriptions"]
        registered = {d["Target"]["Id"] for d in health}
        assert f.targets <= registered, f"targets {f.targets - registered} were lost"
        checked += 1 + len(f.targets)
    if f.lb:
        lbs = read(elbv2.describe_load_balancers, LoadBalancerArns=[f.lb])["LoadBalancers"]
        assert lbs and lbs[0]["DNSName"] == f.lb_dns
        checked += 1
        tags = read(elbv2.describe_tags, ResourceArns=[f.lb])["TagDescriptions"][0]["Tags"]
        tag_map = {t["Key"]: t["Value"] for t in tags}
        for key, allowed in f.lb_tags.items():
            assert tag_map.get(key) in allowed, f"LB tag {key}={tag_map.get(key)!r}, acknowledged {allowed}"
            f.lb_tags[key] = {tag_map.get(key)}
            checked += 1
    if f.listener:
        assert read(elbv2.describe_listeners, ListenerArns=[f.listener])["Listeners"]
        rules = {r["RuleArn"]: r for r in read(elbv2.describe_rules, ListenerArn=f.listener)["Rules"]}
        for rule_arn, priority in f.rules.items():
            assert rule_arn in rules and rules[rule_arn]["Priority"] == str(priority), f"rule {priority} was lost"
            checked += 1
        for rule_arn in f.rules_gone:
            assert rule_arn not in rules, f"deleted rule {rule_arn} came back"
            checked += 1
        for rule_arn, priority in f.rules_doubtful.items():
            if rule_arn in rules:
                f.rules[rule_arn] = priority
            else:
                f.rules_gone.add(rule_arn)
        f.rules_doubtful.clear()
        checked += 1
    return checked


def check_serving(ec2: Any, server: Server, f: Facts) -> None:
    """The instances serve again through the edge, and the balancer routes to them again."""
    names: dict[str, str] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = read(ec2.describe_instances, InstanceIds=list(f.instances))
        rows = [i for r in found["Reservations"] for i in r["Instances"]]
        if all(i["State"]["Name"] == "running" and i.get("PublicIpAddress") for i in rows):
            names = {i["PublicIpAddress"]: i["PrivateDnsName"] for i in rows}
            break
        time.sleep(0.02)
    assert len(names) == len(f.instances), "instances did not come back to running"
    for public_ip, dns in names.items():
        assert eventually_serves(server.edge, public_ip) == dns
    if f.lab_built:
        seen = {eventually_serves(server.edge, f.lb_dns) for _ in range(6)}
        assert seen <= set(names.values()) and seen, seen


# -- the test -------------------------------------------------------------------------------------------
def kill_plan(kills: int, rng: random.Random) -> list[str]:
    """Where each kill lands: random moments of the lab, start-up, or inside a save (two places)."""
    special = max(2, kills // 7)
    plan = ["save-write"] * special + ["save-rename"] * special + ["startup"] * max(1, kills // 10)
    plan += ["moment"] * (kills - len(plan))
    rng.shuffle(plan)
    # The first kill lands during the lab's setup (its first instants are the busiest).
    plan.remove("moment")
    return ["moment", *plan]


@dataclass
class Report:
    kills: dict[str, int] = field(default_factory=dict)
    facts_checked: int = 0
    mid_save_temp_files: int = 0


def crash_campaign(tmp_path: Path, kills: int) -> Report:
    rng = random.Random(SEED + kills)
    state = tmp_path / "state.json"
    session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    facts = Facts()
    report = Report()
    for number, kind in enumerate(kill_plan(kills, rng), 1):
        where = f"kill {number}/{kills} ({kind}, seed {SEED})"
        with serving(state, tmp_path) as server:
            if kind == "startup":
                time.sleep(rng.uniform(0.2, 1.0))
                server.kill()
            else:
                server.wait_ready()
                ec2, elbv2 = clients(server, session)
                report.facts_checked += check_acknowledged(ec2, elbv2, facts)
                if facts.instances:
                    check_serving(ec2, server, facts)
                assert not list(tmp_path.glob(".state.json.*.tmp")), f"{where}: a temp file was left behind"
                drive(server, ec2, elbv2, facts, kind, rng, report, where)
        report.kills[kind] = report.kills.get(kind, 0) + 1
        assert server.proc.returncode == -signal.SIGKILL, (where, server.proc.returncode, server.stderr())
        check_state_file(state)
    # After the last kill: up once more, everything there and serving, then a clean stop.
    with serving(state, tmp_path) as server:
        server.wait_ready()
        ec2, elbv2 = clients(server, session)
        report.facts_checked += check_acknowledged(ec2, elbv2, facts)
        check_serving(ec2, server, facts)
        assert facts.lab_built
        assert server.stop(signal.SIGTERM) == 0, server.stderr()
    check_state_file(state)
    assert "Traceback" not in server.stderr(), server.stderr()
    return report


def drive(server: Server, ec2: Any, elbv2: Any, facts: Facts, kind: str, rng: random.Random, report: Report,
          where: str) -> None:
    """Run the lab in a thread and kill the server under it."""
    failure: list[BaseException] = []

    def work() -> None:
        try:
            Driver(ec2, elbv2, facts).run(burst_steps=300)
        except Killed:
            pass
        except BaseException as exc:  # an API error or a failed check: report it from the test thread
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    time.sleep(rng.uniform(0.0, 0.8 if kind == "moment" else 0.4))
    if kind.startswith("save-"):
        server.pause_next_save(kind.removeprefix("save-"))
        assert server.wait_paused(), f"{where}: no save paused ({server.stderr()})"
        temp_files = list(state_dir(server).glob(".state.json.*.tmp"))
        server.kill()
        assert temp_files, f"{where}: the kill was meant to land mid-save"
        report.mid_save_temp_files += 1
        if kind == "save-write":  # half a document: unusable, and never renamed over the state
            with pytest.raises(json.JSONDecodeError):
                json.loads(temp_files[0].read_text("utf-8"))
    else:
        server.kill()
    worker.join(60)
    assert not worker.is_alive(), f"{where}: the driver hung"
    if failure:
        if isinstance(failure[0], ClientError):
            raise AssertionError(f"{where}: {failure[0]}") from failure[0]
        raise failure[0]


def state_dir(server: Server) -> Path:
    return server.state.parent


@pytest.mark.long
def test_sigkill_at_20_random_moments_loses_no_acknowledged_change(tmp_path: Path) -> None:
    report = crash_campaign(tmp_path, kills=20)
    assert sum(report.kills.values()) == 20
    assert report.kills["save-write"] >= 2 and report.kills["save-rename"] >= 2 and report.kills["startup"] >= 1
    assert report.mid_save_temp_files == report.kills["save-write"] + report.kills["save-rename"]
    print(f"crash campaign: {report}")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not os.environ.get("LBLAB_SLOW"), reason="the long crash campaign runs with LBLAB_SLOW=1")
def test_sigkill_100_times(tmp_path: Path) -> None:
    report = crash_campaign(tmp_path, kills=100)
    assert sum(report.kills.values()) == 100
    print(f"crash campaign: {report}")


# -- clean shutdown -------------------------------------------------------------------------------------
def refuses(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_shut_down_cleanly(tmp_path: Path, signum: int) -> None:
    state = tmp_path / "state.json"
    session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    facts = Facts()
    with serving(state, tmp_path) as server:
        server.wait_ready()
        ec2, elbv2 = clients(server, session)
        Driver(ec2, elbv2, facts).setup()
        check_serving(ec2, server, facts)
        conn = http.client.HTTPConnection("127.0.0.1", int(server.api.rsplit(":", 1)[1]), timeout=5)
        conn.request("GET", "/_lblab/health")
        health = json.loads(conn.getresponse().read())
        conn.close()
        ports = [int(server.api.rsplit(":", 1)[1]), int(server.edge)]
        ports += [int(x["local"].rsplit(":", 1)[1]) for lb in health["load_balancers"].values()
                  for x in lb["listeners"].values()]
        ports += [int(a.rsplit(":", 1)[1]) for i in health["instances"].values() for a in i["httpd"].values()]
        assert len(ports) == 5  # API, edge, one listener, two web servers
        # A client idling on a keep-alive connection, and one whose request hangs (dropped by a
        # security group: the edge holds it for its 10 s drop timeout), must not hold the shutdown up.
        idle = socket.create_connection(("127.0.0.1", int(server.edge)))
        call(facts, ec2.revoke_security_group_ingress, GroupId=facts.web_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        public_ip = read(ec2.describe_instances, InstanceIds=list(facts.instances)[:1])[
            "Reservations"][0]["Instances"][0]["PublicIpAddress"]
        hanging = socket.create_connection(("127.0.0.1", int(server.edge)))
        hanging.sendall(f"GET http://{public_ip}/ HTTP/1.1\r\nHost: {public_ip}\r\n\r\n".encode())
        time.sleep(0.2)
        started = time.monotonic()
        code = server.stop(signum)
        took = time.monotonic() - started
        idle.close()
        hanging.close()
    assert code == 0, server.stderr()
    # Well under a second on an idle machine; waiting for the dropped request would take the drop timeout.
    assert took < CloudConfig().drop_timeout, f"shutting down took {took:.1f} s"
    assert "lblab: stopped; state saved." in "".join(server.output)
    assert "Traceback" not in server.stderr(), server.stderr()
    assert all(refuses(port) for port in ports), [p for p in ports if not refuses(p)]
    saved = StateStore(state).load()
    assert saved is not None
    assert {i["instance_id"] for i in saved["ec2"]["instances"]} == set(facts.instances)
    assert [lb["arn"] for lb in saved["elbv2"]["load_balancers"]] == [facts.lb]
    assert [x["arn"] for x in saved["elbv2"]["listeners"]] == [facts.listener]
    web = next(g for g in saved["ec2"]["security_groups"] if g["group_id"] == facts.web_sg)
    assert not any(r["cidr_ipv4"] == "0.0.0.0/0" and not r["egress"] for r in web["rules"])  # the last change
    assert state.stat().st_mode & 0o777 == 0o600
