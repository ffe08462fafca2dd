"""The balancer's Python work per request, without sockets: DemoALB's own listener in a real seed-lab cloud.

    python bench/hotpath_bench.py [--requests 50000] [--rounds 5]

Builds the seed lab in this process (`mock_cloud.scenarios.healthy_lab`: two instances serving the seed
user data from their guests, demo-tg, DemoALB with HTTP:80 forwarding to it, both targets healthy), then
drives DemoALB's real `ListenerServer` through transports that only keep what is written to them: a wrk
request in, Apache's answer (as a guest sends it) back from the pooled target connection, again and again.
Everything a request costs in Python is measured (parsing, the router, the records, metrics, history) and
nothing the kernel does, so the figure moves far less with the machine's load than wrk's. Each round
reports CPU µs per request (process time) for:

  product  the listener as `lblab serve` runs it (rules, target group, picker, security groups, metrics; since
           session 10 DemoALB's routing takes its fast lane, mock_cloud/elbv2/lane.py)
  engine   the same ListenerServer with a round-robin route() and an on_complete() that does nothing
  new      the product again, but no request or response head is one the listener has seen before (each
           request carries its own header, each answer its own Date): since session 11 a listener remembers
           the parse of the heads it receives again (mock_cloud/http1.py, `Remembered`), and this is the
           figure for traffic that never repeats

The last line: `product_us=… engine_us=… router_us=… new_heads_us=…` (medians over the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lb_bench import load_average
from mock_cloud.cloud import Cloud
from mock_cloud.elbv2 import proxy
from mock_cloud.scenarios import Lab, demo_config, healthy_lab

REQUEST = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 22:08:07 GMT\r\nServer: Apache/2.4.62 ()\r\n"
            b"Accept-Ranges: bytes\r\nContent-Length: 74\r\nContent-Type: text/html; charset=UTF-8\r\n"
            b"Keep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n\r\n"
            b"<h1>Hello World from ip-172-31-15-64.ap-northeast-2.compute.internal</h1>\n")
WARM_UP = 2000
# Distinct heads for `new`: more than a listener remembers, so that every one is parsed afresh.
NEW_HEADS = 4096


class Sink:
    """A transport that keeps the last bytes written to it."""

    def __init__(self) -> None:
        self.last = b""

    def write(self, data: bytes) -> None:
        self.last = data

    def writelines(self, data: list[bytes]) -> None:
        self.last = b"".join(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


def driver(server: proxy.ListenerServer, ports: list[int], *, new_heads: bool = False) -> Callable[[], bytes]:
    """One keep-alive client of `server`, and one pooled connection to each target port; `new_heads`: no head
    is sent twice in a row of NEW_HEADS requests."""
    client = proxy._Client(server)
    sink = Sink()
    client.connection_made(sink)  # type: ignore[arg-type]
    for port in ports:
        target = proxy._Target(server._pool, ("127.0.0.1", port))
        target.connection_made(Sink())  # type: ignore[arg-type]
        server._pool.put(target, time.monotonic())

    count = NEW_HEADS if new_heads else 1
    requests = itertools.cycle([REQUEST.replace(b"\r\n\r\n", b"\r\nX-Request: %d\r\n\r\n" % n) for n in range(count)])
    responses = itertools.cycle([RESPONSE.replace(b"22:08:07", b"%02d:%02d:%02d" % (n // 3600, n // 60 % 60, n % 60))
                                 for n in range(count)])

    def one() -> bytes:
        client.data_received(next(requests))
        exchange = client.ex
        assert exchange is not None and exchange.target is not None, "the request was not forwarded"
        exchange.target.data_received(next(responses))
        return sink.last

    return one


def cpu_per_request(one: Callable[[], bytes], requests: int) -> float:
    for _ in range(WARM_UP):
        one()
    started = time.process_time()
    for _ in range(requests):
        one()
    return (time.process_time() - started) / requests * 1e6


def engine_alone(ports: list[int]) -> proxy.ListenerServer:
    targets = itertools.cycle([proxy.Forward("127.0.0.1", p, f"172.31.0.{i + 10}:80") for i, p in enumerate(ports)])
    return proxy.ListenerServer(lambda head: next(targets), lambda record: None, listener_port=80)


async def measure(lab: Lab, cloud: Cloud, args: argparse.Namespace) -> None:
    server = cloud.elbv2._servers[lab.listener.arn]
    ports = [port for port in (i.local_port(80) for i in lab.instances) if port is not None]
    contenders = {
        "product": driver(server, ports),
        "engine": driver(engine_alone(ports), ports),
        "new": driver(server, ports, new_heads=True),
    }
    for one in contenders.values():
        answer = one()
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Hello World" in answer, answer
    figures: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, one in contenders.items():
            figures[name].append(cpu_per_request(one, args.requests))
        print("  " + "  ".join(f"{name} {got[-1]:.2f} µs" for name, got in figures.items()), flush=True)
    product_us, engine_us, new_us = (statistics.median(figures[name]) for name in contenders)
    print(f"product_us={product_us:.2f} engine_us={engine_us:.2f} router_us={product_us - engine_us:.2f} "
          f"new_heads_us={new_us:.2f}")


async def main(args: argparse.Namespace) -> None:
    cloud = Cloud(demo_config())
    await cloud.start()
    try:
        lab = await healthy_lab(cloud)
        await measure(lab, cloud, args)
    finally:
        await cloud.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50000, help="requests per round and contender")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    print(load_average(), flush=True)
    asyncio.run(main(parser.parse_args()))
    print(f"after: {load_average()}")
