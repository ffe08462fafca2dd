"""Processes the benchmarks start: an emulated instance's web server, and the engine itself.

    python bench/bench_servers.py backend                   # prints its port; serves until stdin closes
    python bench/bench_servers.py lb [--workers N] PORT...  # the engine, round-robin over those ports

Each role runs in its own process so that a measurement of the engine is not a measurement
of the backends sharing its event loop. The engine uses uvloop when installed; the backends
run on the standard loop, because mock_cloud/guestos/web/listener.py asserts asyncio.Transport, which
uvloop's transports are not. With --workers N the engine runs as N processes sharing one port
through SO_REUSEPORT (the kernel spreads connections over them): a multi-process data plane.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_cloud.elbv2.proxy import ExchangeRecord, Forward, ListenerServer, RequestHead

INDEX_HTML = b"<!DOCTYPE html>\n<html><body><h1>Hello from lblab</h1><p>instance i-0bench</p></body></html>\n"


def install_uvloop() -> bool:
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


async def start_backend() -> int:
    """One emulated instance: lblab's Apache on a fresh VFS with a small index.html."""
    from mock_cloud.guestos.vfs import VirtualFS
    from mock_cloud.guestos.web.listener import WebServer

    fs = VirtualFS()
    fs.mkdir("/var/www/html", parents=True)
    fs.write_bytes("/var/www/html/index.html", INDEX_HTML)
    return await WebServer().start(fs, "apache", "/var/www/html")


def round_robin(ports: list[int], port: int = 0, reuse_port: bool = False) -> ListenerServer:
    """The engine with the simplest possible route(): what the benchmark measures is the engine."""
    targets = itertools.cycle([Forward("127.0.0.1", p, f"172.31.0.{i + 10}:80") for i, p in enumerate(ports)])
    completed = 0

    def route(head: RequestHead) -> Forward:
        return next(targets)

    def on_complete(record: ExchangeRecord) -> None:
        nonlocal completed
        completed += 1

    return ListenerServer(route, on_complete, listener_port=80, port=port, reuse_port=reuse_port)


async def _serve_until_stdin_closes(port: int) -> None:
    print(port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def _backend() -> None:
    await _serve_until_stdin_closes(await start_backend())


async def _lb(ports: list[int], port: int) -> None:
    server = round_robin(ports, port, reuse_port=port != 0)
    await _serve_until_stdin_closes(await server.start())
    await server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _lb_workers(workers: int, ports: list[int]) -> None:
    """N engine processes on one SO_REUSEPORT port; prints the port once all listen."""
    port = _free_port()
    args = [sys.executable, __file__, "lb", "--port", str(port), *map(str, ports)]
    children = [
        subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(workers)
    ]
    for child in children:
        assert child.stdout is not None
        child.stdout.readline()
    print(port, flush=True)
    sys.stdin.read()
    for child in children:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("backend", "lb"))
    parser.add_argument("ports", type=int, nargs="*")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_intermixed_args()
    if args.role == "backend":
        asyncio.run(_backend())
    elif args.workers > 1:
        _lb_workers(args.workers, args.ports)
    else:
        install_uvloop()
        asyncio.run(_lb(args.ports, args.port))


if __name__ == "__main__":
    main()
