"""Failover in the product: kill -9 one instance's guest process under load, then Reboot it.

    python bench/guest_failover_bench.py [--connections 32] [--time-scale 30]

Starts `lblab serve` with the seed lab built through the AWS API (`serve_lab.py`), drives DemoALB's
listener with a bounded Python client (CONNECTIONS keep-alive connections, GETs back to back), and
3 s in sends SIGKILL to the second instance's guest process (its PID from `GET /_lblab/health`,
checked to be a child of the serve process). Then it watches, through the API: the instance status
check turning `impaired` (DescribeInstanceStatus), the target turning `unhealthy` with its reason code
(DescribeTargetHealth), sends RebootInstances, and waits for the target to be healthy again. Load
runs 3 s past that. Times are real seconds after the kill (the cloud runs at TIME_SCALE). The last
line printed is:

    requests=… lost=… errors_by_status=…

where lost counts every request without a 200 (error statuses and broken connections).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.failover_bench import Tally, client
from bench.serve_lab import ServedLab, served_lab

KILL_AT = 3.0  # seconds of load before the kill
AFTER = 3.0  # seconds of load after the target is healthy again
WATCH_LIMIT = 120.0  # real seconds to wait for any one transition


def parent_of(pid: int) -> int:
    # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after its ")".
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def until(what: str, check: Callable[[], object], since: float) -> object:
    """Polls a blocking API call until it returns something true; prints when, after `since`."""
    deadline = time.monotonic() + WATCH_LIMIT
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(check)
        if found:
            print(f"{time.monotonic() - since:6.2f} s  {what}: {found}", flush=True)
            return found
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{what}: not within {WATCH_LIMIT:g} s")


async def drill(lab: ServedLab, stop: asyncio.Event) -> None:
    victim, survivor = lab.instance_ids[1], lab.instance_ids[0]
    await asyncio.sleep(KILL_AT)
    pid = lab.guest_pid(victim)
    assert pid is not None and parent_of(pid) == lab.proc.pid, "the guest must be the serve process's child"
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    print(f"  0.00 s  kill -9 {pid} (guest of {victim})", flush=True)

    def unhealthy() -> str | None:
        state, reason = lab.target_health()[victim]
        return f"{state} ({reason})" if state == "unhealthy" else None

    await until("instance status check", lambda: lab.instance_status(victim) == "impaired" and "impaired", killed)
    await until("target", unhealthy, killed)
    survivor_state = lab.target_health()[survivor][0]
    print(f"         the other target ({survivor}): {survivor_state}")
    await asyncio.to_thread(lab.ec2.reboot_instances, InstanceIds=[victim])
    print(f"{time.monotonic() - killed:6.2f} s  RebootInstances", flush=True)
    await until("target", lambda: lab.target_health()[victim][0] == "healthy" and "healthy", killed)
    await until("instance status check", lambda: lab.instance_status(victim) == "ok" and "ok", killed)
    print(f"         new guest PID {lab.guest_pid(victim)}")
    await asyncio.sleep(AFTER)
    stop.set()


async def run(lab: ServedLab, connections: int) -> None:
    port = lab.listener_port()
    tally = Tally()
    stop = asyncio.Event()
    started = time.monotonic()
    clients = [asyncio.create_task(client(port, lambda: not stop.is_set(), tally)) for _ in range(connections)]
    try:
        await drill(lab, stop)
    finally:
        stop.set()
        await asyncio.gather(*clients)  # each finishes the request it has in flight
    assert tally.errors is not None
    seconds = time.monotonic() - started
    lost = tally.requests - tally.ok
    print(f"{tally.requests / seconds:.0f} req/s over {seconds:.1f} s")
    print(f"requests={tally.requests} lost={lost} errors_by_status={dict(tally.errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    parser.add_argument("--time-scale", type=float, default=30.0, help="the cloud's time scale (default 30)")
    args = parser.parse_args()
    if not (1 <= args.connections <= 256 and 1 <= args.time_scale <= 1000):
        parser.error("connections must be 1-256 and the time scale 1-1000")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with served_lab(args.time_scale) as lab:
        print(f"lblab serve (PID {lab.proc.pid}) with the seed lab at x{args.time_scale:g}; "
              f"{args.connections} keep-alive connections to DemoALB", flush=True)
        asyncio.run(run(lab, args.connections))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
