"""Soak: steady load through the ALB for minutes while instances stop and start; nothing may leak.

    python bench/soak.py                    # 300 s of load (about 6 minutes in all)
    python bench/soak.py --seconds 60       # a shorter run

One lblab cloud in this process, at real time (time scale 1): the seed lab with three web servers
behind DemoALB (HTTP:80), health checks every 5 s. A load generator in a separate process (so
that its sockets and tasks are not counted here) sends GETs through the internet edge to the
balancer's DNS name, as a learner's browser would, on CONNECTIONS keep-alive connections at about
RATE requests per second. Every 30 s one instance is stopped or started again, in turn, so that one
of the three is always on its way out or back.

Before the soak (after a 10 s warm-up and a pause) and after it (after the same pause), this
process's open file descriptors, asyncio tasks, the cloud's own connection and task tables,
resident memory and Python's allocated blocks are measured: they must be back at the baseline.
Every request must get a 200, except where AWS would fail too (none expected: a stopping instance
leaves the target group's rotation before its web server goes away, and a request caught by the
shutdown is retried on another target). Everything stays on 127.0.0.1; every loop is bounded.

The last line printed is `requests=… lost=… fds=…→… tasks=…→… rss_mb=…→… blocks=…→…`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_cloud.cloud import Cloud, CloudConfig
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.listener_rules import Action
from mock_cloud.elbv2.target_group import TargetSpec

USER_DATA = """#!/bin/bash
yum install -y httpd
systemctl start httpd
systemctl enable httpd
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""
SETTLE = 12.0  # seconds of quiet before measuring: keep-alive timeouts (Apache's 5 s) run out


# == the load generator (a separate process) =========================================================
async def generate(edge_port: int, host: str, seconds: float, connections: int, rate: float) -> dict[str, Any]:
    """GET http://host/ through the edge on `connections` keep-alive connections at ~`rate` req/s."""
    statuses: collections.Counter[str] = collections.Counter()
    per_second: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    latencies: list[float] = []
    started = time.monotonic()
    deadline = started + seconds
    interval = connections / rate
    request = f"GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    async def one_connection(index: int) -> None:
        await asyncio.sleep(interval * index / connections)  # spread the connections out
        reader = writer = None
        next_at = time.monotonic()
        for _ in range(int(seconds * rate) + 10):  # bounded
            now = time.monotonic()
            if now >= deadline:
                break
            if next_at > now:
                await asyncio.sleep(next_at - now)
            next_at += interval
            sent = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", edge_port)
                assert reader is not None
                writer.write(request)
                async with asyncio.timeout(15):
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = head.split(b" ", 2)[1].decode()
                    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))
                    body = await reader.readexactly(length)
                outcome = status if status != "200" or b"Hello World" in body else "200-wrong-body"
                if b"connection: close" in head.lower():
                    writer.close()
                    reader = writer = None
            except (OSError, TimeoutError, asyncio.IncompleteReadError, StopIteration, ValueError) as exc:
                outcome = type(exc).__name__
                if writer is not None:
                    writer.transport.abort()
                reader = writer = None
            latencies.append(time.monotonic() - sent)
            statuses[outcome] += 1
            per_second[int(sent - started)][outcome] += 1
        if writer is not None:
            writer.close()

    await asyncio.gather(*(one_connection(i) for i in range(connections)))
    latencies.sort()
    failures = {second: dict(c) for second, c in per_second.items() if set(c) - {"200"}}
    return {
        "requests": sum(statuses.values()),
        "statuses": dict(statuses),
        "failures_by_second": failures,
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2) if latencies else None,
        "max_ms": round(1000 * latencies[-1], 2) if latencies else None,
        "rate": round(sum(statuses.values()) / seconds, 1),
    }


def run_generator(edge_port: int, host: str, seconds: float, connections: int, rate: float) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--generate", "--edge-port", str(edge_port), "--host", host,
               "--seconds", str(seconds), "--connections", str(connections), "--rate", str(rate)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def generator_result(proc: subprocess.Popen[str], seconds: float) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=seconds + 60)
    if proc.returncode != 0:
        raise SystemExit(f"the load generator failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


# == the cloud side ====================================================================================
def snapshot(cloud: Cloud) -> dict[str, Any]:
    gc.collect()
    with open("/proc/self/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    servers = cloud.elbv2._servers.values()
    return {
        "fds": len(os.listdir("/proc/self/fd")),
        "tasks": len(asyncio.all_tasks()),
        "clock_activities": sum(1 for t in cloud.clock._activities if not t.done()),
        "edge_connections": len(cloud.edge._tasks) if cloud.edge else 0,
        "listener_connections": sum(s.active_connections for s in servers),  # type: ignore[attr-defined]
        "pooled_target_connections": sum(len(idle) for s in servers for idle in s._pool._idle.values()),  # type: ignore
        # The web servers live in the guests' processes now: count the guests instead.
        "live_guests": sum(1 for i in cloud.ec2.instances.values() if i.guest is not None and i.guest.alive),
        "event_subscriptions": len(cloud.events._subscriptions),
        "rss_mb": round(rss_kb / 1024, 1),
        "python_blocks": sys.getallocatedblocks(),
    }


async def build(cloud: Cloud) -> tuple[Any, Any, list[Any]]:
    ec2, elbv2 = cloud.ec2, cloud.elbv2
    web = await ec2.create_security_group("web", "web servers")
    lb_sg = await ec2.create_security_group("demo-sg-load-balancer", "SG for ALB")
    await ec2.authorize(lb_sg.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    await ec2.authorize(web.group_id, [RuleSpec("tcp", 80, 80, source_group_id=lb_sg.group_id)])
    instances = []
    for n in range(3):
        instances += await ec2.run_instances(name=f"server-{n + 1}", user_data=USER_DATA,
                                             security_group_ids=[web.group_id])
    group = await elbv2.create_target_group("demo-tg", "HTTP", 80, health_check={
        "interval_seconds": 5, "timeout_seconds": 2, "healthy_threshold_count": 2, "unhealthy_threshold_count": 2})
    subnets = [s.subnet_id for s in ec2.subnets_of(ec2.default_vpc.vpc_id)]
    lb = await elbv2.create_load_balancer("DemoALB", subnets, [lb_sg.group_id])
    for _ in range(600):  # bounded: boot + user data take 25 s, provisioning 60 s
        if all(i.state == "running" and i.local_port(80) for i in instances):
            break
        await asyncio.sleep(0.1)
    await elbv2.register_targets(group.arn, [TargetSpec(i.instance_id) for i in instances])
    await elbv2.create_listener(lb.arn, "HTTP", 80, [Action("forward", target_group_arn=group.arn)])
    for _ in range(1200):
        rows = elbv2.describe_target_health(group.arn)
        if lb.state == "active" and rows and all(r.state == "healthy" for r in rows):
            break
        await asyncio.sleep(0.1)
    else:
        raise SystemExit("the lab did not become healthy")
    return lb, group, instances


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lblab-soak-") as scratch:
        # The lab is built fast (time scale 30: boot, provisioning and first checks in seconds), then
        # the clock runs at --time-scale for the soak itself.
        config = CloudConfig(time_scale=30, state_path=Path(scratch) / "state.json", edge_port=0)
        async with Cloud(config) as cloud:
            started = time.monotonic()
            lb, group, instances = await build(cloud)
            cloud.clock.set_scale(args.time_scale)
            print(f"{time.monotonic() - started:5.1f} s  lab healthy: 3 instances behind {lb.dns_name}", flush=True)
            assert cloud.edge is not None
            warm = run_generator(cloud.edge.port, lb.dns_name, 10, args.connections, args.rate)
            await asyncio.to_thread(generator_result, warm, 10)
            await asyncio.sleep(SETTLE)
            baseline = snapshot(cloud)
            print(f"baseline {baseline}", flush=True)

            load = run_generator(cloud.edge.port, lb.dns_name, args.seconds, args.connections, args.rate)
            t0 = time.monotonic()
            events = []
            samples = []
            for turn, tick in enumerate(range(1, int(args.seconds // 30) + 1)):  # bounded: one action per 30 s
                while time.monotonic() < t0 + 30 * tick - 1:
                    await asyncio.sleep(min(1.0, t0 + 30 * tick - 1 - time.monotonic()))
                    samples.append(snapshot(cloud))
                instance = instances[(turn // 2) % len(instances)]
                if turn % 2 == 0:
                    await cloud.ec2.stop_instances([instance.instance_id])
                    action = "stop"
                else:
                    await cloud.ec2.start_instances([instance.instance_id])
                    action = "start"
                at = round(time.monotonic() - t0, 1)
                events.append((at, action, instance.name))
                print(f"{at:6.1f} s  {action} {instance.name}", flush=True)
            result = await asyncio.to_thread(generator_result, load, args.seconds)
            # Bring every instance back, then let the keep-alive timeouts run out.
            stopped = [i.instance_id for i in instances if i.state in ("stopping", "stopped")]
            for _ in range(300):
                if all(i.state in ("stopped", "running") for i in instances):
                    break
                await asyncio.sleep(0.1)
            stopped = [i.instance_id for i in instances if i.state == "stopped"]
            if stopped:
                await cloud.ec2.start_instances(stopped)
            for _ in range(600):
                rows = cloud.elbv2.describe_target_health(group.arn)
                if all(r.state == "healthy" for r in rows):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(SETTLE)
            after = snapshot(cloud)
            print(f"after    {after}", flush=True)
            peak_rss = max(s["rss_mb"] for s in samples) if samples else after["rss_mb"]
            peak_fds = max(s["fds"] for s in samples) if samples else after["fds"]
            return {"load": result, "events": events, "baseline": baseline, "after": after,
                    "peak_rss_mb": peak_rss, "peak_fds": peak_fds,
                    "rss_mb_spread": round(statistics.pstdev(s["rss_mb"] for s in samples), 1) if samples else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the soak (default 300)")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive client connections (default 8)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second in all (default 200)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="cloud seconds per real second (default 1)")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--edge-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(asyncio.run(generate(args.edge_port, args.host, args.seconds, args.connections,
                                              args.rate))))
        return 0
    report = asyncio.run(soak(args))
    load, base, after = report["load"], report["baseline"], report["after"]
    print(json.dumps(report, indent=1))
    lost = load["requests"] - load["statuses"].get("200", 0)
    print(f"requests={load['requests']} lost={lost} statuses={load['statuses']} rate={load['rate']}/s "
          f"p50_ms={load['p50_ms']} p99_ms={load['p99_ms']} max_ms={load['max_ms']} "
          f"fds={base['fds']}→{after['fds']} tasks={base['tasks']}→{after['tasks']} "
          f"rss_mb={base['rss_mb']}→{after['rss_mb']} (peak {report['peak_rss_mb']}) "
          f"blocks={base['python_blocks']}→{after['python_blocks']}")
    leaked = (after["fds"] > base["fds"] or after["tasks"] > base["tasks"]
              or any(after[k] > base[k] for k in ("listener_connections", "edge_connections", "clock_activities",
                                                   "event_subscriptions")))
    return 1 if lost or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
