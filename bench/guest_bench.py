"""What guests (one OS process per instance) cost, and what they spare the cloud.

    stall     the longest stall of the cloud's event loop (a 5 ms ticker measures how late it wakes)
              while one instance runs a hostile corpus: in its user data a `#cloud-config` YAML alias
              bomb, deeply nested YAML, then through its Connect shell a `while true`, huge outputs,
              deep `$( )` nesting and the 100 KB grep line; printed as max_stall_ms=
    rss       resident memory of each guest process (Linux /proc), and of the cloud process
    start     real time from RunInstances to the instance's web server answering 200, at a time scale
              where cloud durations vanish (x1000: the cost of the guest itself) and at the labs' x30

    python bench/guest_bench.py [--instances 3]

Everything runs on 127.0.0.1; the machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_cloud.cloud import Cloud, CloudConfig
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.service import RuleSpec
from tests.cloud.test_guest_process import DEEP_YAML, alias_bomb  # the tests' own hostile inputs

SEED = """#!/bin/bash
yum install -y httpd
systemctl start httpd
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""


SHELL_CORPUS = (
    "while true; do :; done",
    "yes | head -c 50000000 | wc -c",
    "echo " + "$(echo " * 200 + "x" + ")" * 200,
    'big=$(printf "%0100000d" 0); for i in $(seq 20); do echo "$big"; done | grep -E "( |  )*b"',
)


async def ticker(stalls: list[float], stop: asyncio.Event) -> None:
    period = 0.005
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(period)
        stalls.append(time.perf_counter() - started - period)


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def serving(cloud: Cloud, instance: Instance, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.local_port(80):
            page = await cloud.fetch(f"http://{instance.public_ip}/", timeout=10)
            if page.status == 200:
                return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"{instance.instance_id} never served")


async def web_group(cloud: Cloud) -> str:
    group = await cloud.ec2.create_security_group("web", "web servers")
    await cloud.ec2.authorize(group.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    return group.group_id


async def start_times(scale: float, count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with Cloud(CloudConfig(seed=1, time_scale=scale, edge_port=0, state_path=Path(tmp) / "s.json")) as cloud:
            group = await web_group(cloud)
            times = []
            for _ in range(count):
                started = time.monotonic()
                [instance] = await cloud.ec2.run_instances(user_data=SEED, security_group_ids=[group])
                await serving(cloud, instance)
                times.append(time.monotonic() - started)
            guests = [i.guest.pid for i in cloud.ec2.instances.values() if i.guest and i.guest.pid]
            sizes = [rss_kb(pid) for pid in guests]
            print(f"rss_per_guest_mb={[round(s / 1024, 1) for s in sizes if s]} "
                  f"cloud_rss_mb={round((rss_kb(os.getpid()) or 0) / 1024, 1)}")
            return times


async def stall_probe() -> float:
    """The cloud loop's longest stall during each phase; idle first, to show what the machine's load alone costs."""
    with tempfile.TemporaryDirectory() as tmp:
        async with Cloud(CloudConfig(seed=1, time_scale=1000, edge_port=0, state_path=Path(tmp) / "s.json")) as cloud:
            group = await web_group(cloud)
            [calm] = await cloud.ec2.run_instances(user_data=SEED, security_group_ids=[group])
            await serving(cloud, calm)
            stalls: list[float] = []
            stop = asyncio.Event()
            tick = asyncio.create_task(ticker(stalls, stop))
            worst: dict[str, float] = {}

            async def phase(name: str, work: Awaitable[object]) -> None:
                stalls.clear()
                started = time.monotonic()
                await work
                worst[name] = max(stalls, default=0.0) * 1000
                print(f"  {name!r}: {time.monotonic() - started:.1f} s in its guest, "
                      f"cloud loop max stall {worst[name]:.1f} ms")

            await phase("idle (machine load only)", asyncio.sleep(5))
            hostile = calm
            for name, script in (("yaml alias bomb", alias_bomb()), ("deep yaml", DEEP_YAML)):
                [hostile] = await cloud.ec2.run_instances(user_data=script, security_group_ids=[group])
                await phase(name, until_booted(hostile))
            shell = await cloud.ec2.open_shell(hostile.instance_id)
            for line in SHELL_CORPUS:
                await phase(line[:30], shell.run(line))
            stop.set()
            await tick
            page = await cloud.fetch(f"http://{calm.public_ip}/")
            print(f"  the calm instance still answers: {page.status}")
            return max(value for name, value in worst.items() if not name.startswith("idle"))


async def until_booted(instance: Instance) -> None:
    while not instance.os.user_data_ran and instance.impaired_since is None:
        await asyncio.sleep(0.05)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--instances", type=int, default=3)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for scale in (1000.0, 30.0):
        times = await start_times(scale, args.instances)
        print(f"run_to_serving_s x{scale:g}: " + " ".join(f"{t:.2f}" for t in times))
    print(f"max_stall_ms={await stall_probe():.1f}")


if __name__ == "__main__":
    asyncio.run(main())
