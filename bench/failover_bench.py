"""Does a backend going away lose requests? The engine's retry-on-refused under load.

    python bench/failover_bench.py [--seconds 20] [--connections 32]

Two emulated instances (lblab's Apache `WebServer`) behind the engine, all in one process as
in lblab itself, with a bounded Python client holding CONNECTIONS keep-alive connections for
SECONDS seconds. Backend B is stopped at 5 s and started again (on a new port, as a rebooted
instance's server would be) at 12 s.

route() plays the control plane's part with a simulated health check: it learns that B is
down only 1 s after it stopped, and that it is back only 1 s after it started. Until then
requests keep being routed to a dead B, and it is the engine's retry of idempotent requests
(`Forward.retry`, asked once when a target refuses or resets before answering) that should
keep them from being lost. Everything stays on 127.0.0.1. The last line printed is:

    requests=… lost=… errors_by_status=…

where lost counts every request that did not get a 200 (error statuses and broken connections).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_cloud.elbv2.proxy import ExchangeRecord, Forward, ListenerServer, RequestHead
from mock_cloud.guestos.vfs import VirtualFS
from mock_cloud.guestos.web.listener import WebServer

STOP_AT, START_AT, HEALTH_CHECK_DELAY = 5.0, 12.0, 1.0
REQUEST = b"GET /index.html HTTP/1.1\r\nHost: failover.bench\r\n\r\n"


@dataclass
class Instance:
    name: str
    server: WebServer
    fs: VirtualFS
    port: int = 0
    healthy: bool = True  # what the (simulated) health checks currently believe

    async def start(self) -> None:
        self.port = await self.server.start(self.fs, "apache", "/var/www/html")

    def forward(self, retry: Forward | None = None) -> Forward:
        return Forward("127.0.0.1", self.port, f"{self.name}:80", retry=(lambda: retry) if retry else None)


def make_instance(name: str) -> Instance:
    fs = VirtualFS()
    fs.mkdir("/var/www/html", parents=True)
    fs.write_text("/var/www/html/index.html", f"<h1>{name}</h1>\n")
    return Instance(name, WebServer(), fs)


class Router:
    """Round-robin over the instances the health checks believe healthy."""

    def __init__(self, instances: list[Instance]) -> None:
        self.instances = instances
        self.turn = 0
        self.retried = 0

    def route(self, head: RequestHead) -> Forward:
        healthy = [i for i in self.instances if i.healthy] or self.instances
        self.turn += 1
        chosen = healthy[self.turn % len(healthy)]
        others = [i for i in healthy if i is not chosen]
        return chosen.forward(retry=others[0].forward() if others else None)

    def on_complete(self, record: ExchangeRecord) -> None:
        if record.retried_from is not None:
            self.retried += 1


@dataclass
class Tally:
    requests: int = 0
    ok: int = 0
    errors: collections.Counter[str] | None = None

    def __post_init__(self) -> None:
        self.errors = collections.Counter()


async def client(port: int, running: Callable[[], bool], tally: Tally) -> None:
    """One keep-alive connection sending GETs back to back while `running()`; reconnects after a failure."""
    assert tally.errors is not None
    while running():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            tally.errors["connect"] += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while running():
                writer.write(REQUEST)
                tally.requests += 1
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                status = int(head[9:12])
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await asyncio.wait_for(reader.readexactly(length), 10)
                if status == 200:
                    tally.ok += 1
                else:
                    tally.errors[str(status)] += 1
                if b"connection: close" in head.lower():
                    break
        except (OSError, asyncio.IncompleteReadError, TimeoutError, IndexError, ValueError):
            tally.errors["broken-connection"] += 1
        finally:
            writer.close()


async def outage(b: Instance, started: float) -> None:
    """Stop B at STOP_AT and start it at START_AT; health checks notice a second later."""
    await asyncio.sleep(started + STOP_AT - time.monotonic())
    await b.server.stop()
    print(f"{STOP_AT:4.1f} s  B stopped")
    await asyncio.sleep(HEALTH_CHECK_DELAY)
    b.healthy = False
    print(f"{STOP_AT + HEALTH_CHECK_DELAY:4.1f} s  health checks mark B unhealthy")
    await asyncio.sleep(started + START_AT - time.monotonic())
    await b.start()
    print(f"{START_AT:4.1f} s  B started on port {b.port}")
    await asyncio.sleep(HEALTH_CHECK_DELAY)
    b.healthy = True
    print(f"{START_AT + HEALTH_CHECK_DELAY:4.1f} s  health checks mark B healthy")


async def run(seconds: float, connections: int) -> None:
    a, b = make_instance("A"), make_instance("B")
    await a.start()
    await b.start()
    router = Router([a, b])
    lb = ListenerServer(router.route, router.on_complete, listener_port=80)
    port = await lb.start()
    tally = Tally()
    started = time.monotonic()

    def running() -> bool:
        return time.monotonic() < started + seconds

    print(f"{connections} keep-alive connections for {seconds:g} s; B down from {STOP_AT:g} s to {START_AT:g} s")
    try:
        await asyncio.gather(outage(b, started), *(client(port, running, tally) for _ in range(connections)))
    finally:
        await lb.stop()
        await a.server.stop()
        await b.server.stop()
    assert tally.errors is not None
    lost = tally.requests - tally.ok
    print(f"retried on the other instance: {router.retried}; {tally.requests / seconds:.0f} req/s")
    print(f"requests={tally.requests} lost={lost} errors_by_status={dict(tally.errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the load (default 20)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    args = parser.parse_args()
    if not (START_AT + 2 <= args.seconds <= 120 and 1 <= args.connections <= 256):
        parser.error(f"seconds must be {START_AT + 2:g}-120 and connections 1-256")
    asyncio.run(run(args.seconds, args.connections))


if __name__ == "__main__":
    main()
