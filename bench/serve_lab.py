"""`lblab serve` as a learner runs it, with the seed lab built through the AWS API (boto3).

Used by the product-path benches (`serve_bench.py`, `guest_failover_bench.py`): a real `lblab serve`
subprocess with its own state file in a temporary directory and free ports on 127.0.0.1; then, as a
learner's boto3 script would: two instances with the seed lab's user data in a `web` security group
that admits the balancer's group, `demo-tg`, and `DemoALB` with an HTTP:80 listener forwarding to it.
`GET /_lblab/health` tells where DemoALB's listener and each instance's web server listen, and each
guest's PID.

Set LBLAB_BENCH_PROFILE=path to run the serve process under cProfile (the profile is written to
that path when the bench stops it).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lb_bench import free_port  # noqa: E402
from mock_cloud.scenarios import SEED_USER_DATA  # noqa: E402  the seed lab's user data, as learners paste it

REGION = "ap-northeast-2"
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, whatever *_proxy says
START_TIMEOUT = 60.0


@dataclass
class ServedLab:
    """A running `lblab serve` with the seed lab built and both targets healthy."""

    proc: subprocess.Popen[bytes]
    api: str
    ec2: Any = None
    elbv2: Any = None
    instance_ids: list[str] = field(default_factory=list)
    group_arn: str = ""

    def health(self) -> dict[str, Any]:
        with DIRECT.open(f"{self.api}/_lblab/health", timeout=30) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def listener_port(self) -> int:
        [lb] = self.health()["load_balancers"].values()
        [listener] = lb["listeners"].values()
        return int(listener["local"].rsplit(":", 1)[1])

    def guest_pid(self, instance_id: str) -> int | None:
        instance = self.health()["instances"].get(instance_id)
        return instance["guest_pid"] if instance else None

    def httpd_port(self, instance_id: str) -> int:
        return int(self.health()["instances"][instance_id]["httpd"]["80"].rsplit(":", 1)[1])

    def target_health(self) -> dict[str, tuple[str, str | None]]:
        rows = self.elbv2.describe_target_health(TargetGroupArn=self.group_arn)["TargetHealthDescriptions"]
        return {r["Target"]["Id"]: (r["TargetHealth"]["State"], r["TargetHealth"].get("Reason")) for r in rows}

    def instance_status(self, instance_id: str) -> str:
        rows = self.ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
        return rows[0]["InstanceStatus"]["Status"] if rows else "-"

    def pids(self) -> list[int]:
        """The cloud process and every running guest."""
        guests = [i["guest_pid"] for i in self.health()["instances"].values() if i["guest_pid"]]
        return [self.proc.pid, *guests]


def client(service: str, endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="bench",
                        aws_secret_access_key="bench", config=Config(retries={"total_max_attempts": 1}))


def build_seed_lab(lab: ServedLab) -> None:
    """The seed lab through the API, then wait until both targets are healthy."""
    ec2, elbv2 = lab.ec2, lab.elbv2
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    web = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc_id)["GroupId"]
    lb_sg = ec2.create_security_group(GroupName="demo-sg-load-balancer", Description="SG for ALB",
                                      VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=lb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": lb_sg}]}])
    launched = ec2.run_instances(ImageId="ami-0c9c942bd7bf113a2", InstanceType="t2.micro", MinCount=2, MaxCount=2,
                                 UserData=SEED_USER_DATA, SecurityGroupIds=[web])
    lab.instance_ids = [i["InstanceId"] for i in launched["Instances"]]
    lab.group_arn = elbv2.create_target_group(Name="demo-tg", Protocol="HTTP", Port=80, VpcId=vpc_id,
                                              TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="DemoALB", Subnets=[s["SubnetId"] for s in subnets], SecurityGroups=[lb_sg],
                                    Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": lab.group_arn}])
    wait = {"Delay": 0.5, "MaxAttempts": 240}
    ec2.get_waiter("instance_running").wait(InstanceIds=lab.instance_ids, WaiterConfig=wait)
    elbv2.register_targets(TargetGroupArn=lab.group_arn, Targets=[{"Id": i} for i in lab.instance_ids])
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig=wait)
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=lab.group_arn, WaiterConfig=wait)


def _wait_for_api(lab: ServedLab) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if lab.proc.poll() is not None:
            raise RuntimeError(f"lblab serve exited with {lab.proc.returncode}")
        with contextlib.suppress(OSError):
            lab.health()
            return
        time.sleep(0.1)
    raise RuntimeError("lblab serve did not answer in time")


def _command(state: Path, api_port: int, time_scale: float) -> list[str]:
    profile = os.environ.get("LBLAB_BENCH_PROFILE")
    python = [sys.executable, "-m", "cProfile", "-o", profile] if profile else [sys.executable]
    return [*python, "-m", "tui.cli", "serve", "--state", str(state), "--port", str(api_port),
            "--edge-port", str(free_port()), "--time-scale", f"{time_scale:g}", "--seed", "1"]


@contextlib.contextmanager
def served_lab(time_scale: float = 30.0) -> Iterator[ServedLab]:
    """`lblab serve` (state in a temporary directory) with the seed lab built; stopped with SIGTERM after."""
    with tempfile.TemporaryDirectory(prefix="lblab-serve-bench-") as tmp:
        api_port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(_command(Path(tmp) / "state.json", api_port, time_scale), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL)
        lab = ServedLab(proc, f"http://127.0.0.1:{api_port}")
        try:
            _wait_for_api(lab)
            lab.ec2, lab.elbv2 = client("ec2", lab.api), client("elbv2", lab.api)
            build_seed_lab(lab)
            yield lab
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def proc_kb(pid: int, file: str = "status", key: str = "VmRSS:") -> int:
    """A kB figure of a process from /proc (Linux): RSS by default, or e.g. ("smaps_rollup", "Pss:"); 0 if gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    return 0
