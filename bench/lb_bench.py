"""Throughput of lblab's load balancer engine against nginx, over the same two emulated instances.

    python bench/lb_bench.py [--duration 10] [--rounds 5] [--connections 64] [--workers 1]

Starts two emulated instance backends (lblab's Apache `WebServer` serving a small index.html,
one process each), the engine (`ListenerServer` with a round-robin route(), its own process,
uvloop when installed) and nginx (`upstream { server A; server B; keepalive 64; }`,
worker_processes auto, pid and logs in a temporary directory) over both backends. Then, after
a warm-up, it measures for DURATION seconds each:

1. direct: one backend alone, no balancer;
2. lb and nginx, in ROUNDS alternating slices of DURATION/ROUNDS seconds, so that load from
   anything else on the machine falls on both alike (throughput is the mean of the slices,
   latency percentiles their median).

`--workers N` runs the engine as N processes sharing the port with SO_REUSEPORT (a
multi-process data plane); the default is the single process lblab runs.

The load generator is wrk (installed with apt-get when missing and possible), with
--latency; without wrk a bounded Python generator is used instead. Everything listens on
127.0.0.1 only. The last line printed is always:

    lb_rps=… nginx_rps=… ratio_vs_nginx=… p99_ms=…

where p99_ms is the engine's 99th-percentile latency. The load average (1, 5, 15 min) is printed
before and after: on a shared machine it says how much the figures can be trusted. BENCHMARKS.md
records results.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVERS = HERE / "bench_servers.py"
WARMUP_SECONDS = 2
_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self) -> str:
        return (
            f"{self.name:>7}: {self.rps:8.0f} req/s   p50 {self.p50_ms:6.2f} ms   p99 {self.p99_ms:6.2f} ms"
            f"   errors {self.errors}"
        )


def combine(name: str, slices: list[Result]) -> Result:
    return Result(
        name,
        statistics.fmean(r.rps for r in slices),
        statistics.median(r.p50_ms for r in slices),
        statistics.median(r.p99_ms for r in slices),
        sum(r.errors for r in slices),
    )


# -- processes ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def server_process(*args: str) -> Iterator[int]:
    """A bench_servers.py role in its own process; yields the port it prints."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVERS), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


NGINX_CONF = """
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream backends {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://backends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_process(nginx: str, a: int, b: int) -> Iterator[int]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="lblab-nginx-") as tmp:
        os.chmod(tmp, 0o755)  # workers run as an unprivileged user when the master is root
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, a=a, b=b, port=port))
        proc = subprocess.Popen([nginx, "-p", tmp, "-c", str(conf)], stderr=subprocess.PIPE)
        try:
            wait_listening(port)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def find_tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def ensure_tool(name: str) -> str | None:
    """Path of a Debian-packaged tool, installing it with apt-get when that is possible."""
    found = find_tool(name)
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print(f"installing {name} with apt-get …", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", name], check=False, capture_output=True)
    return find_tool(name)


# -- load generators ------------------------------------------------------------------------------------------
def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else math.nan


def run_wrk(wrk: str, name: str, port: int, seconds: float, connections: int, threads: int) -> Result:
    url = f"http://127.0.0.1:{port}/index.html"
    out = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        name,
        float(rps.group(1)) if rps else 0.0,
        _ms(p50.group(1)) if p50 else math.nan,
        _ms(p99.group(1)) if p99 else math.nan,
        errors + (int(non2xx.group(1)) if non2xx else 0),
    )


async def _python_client(port: int, stop_at: float, latencies: list[float], errors: list[int]) -> None:
    request = b"GET /index.html HTTP/1.1\r\nHost: bench\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            await asyncio.wait_for(reader.readexactly(int(length.group(1)) if length else 0), 10)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
    finally:
        writer.close()


def run_python_load(name: str, port: int, seconds: float, connections: int) -> Result:
    """A bounded asyncio load generator for machines without wrk (far slower than wrk)."""

    async def load() -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = [0]
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(_python_client(port, stop_at, latencies, errors) for _ in range(connections)))
        return latencies, errors[0]

    started = time.monotonic()
    latencies, errors = asyncio.run(load())
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3 if latencies else math.nan

    return Result(name, len(latencies) / elapsed, pct(0.50), pct(0.99), errors)


def machine_facts() -> str:
    try:
        import uvloop  # noqa: F401

        has_uvloop = "yes"
    except ImportError:
        has_uvloop = "no"
    return f"nproc={os.cpu_count()} python={platform.python_version()} uvloop={has_uvloop} {load_average()}"


def load_average() -> str:
    return "load=" + "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per server (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating lb/nginx slices (default 5)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent keep-alive connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="engine processes sharing the port")
    args = parser.parse_args()
    if not (1 <= args.duration <= 120 and 1 <= args.rounds <= 20 and 1 <= args.connections <= 1024):
        parser.error("duration must be 1-120 s, rounds 1-20 and connections 1-1024")
    if not 1 <= args.workers <= 8:
        parser.error("workers must be 1-8")
    print(machine_facts())
    wrk = ensure_tool("wrk")
    nginx = ensure_tool("nginx")
    print(f"load generator: {'wrk' if wrk else 'python (wrk not found)'}, {args.connections} connections;"
          f" engine workers: {args.workers}")  # fmt: skip

    def measure(name: str, port: int, seconds: float) -> Result:
        if wrk:
            return run_wrk(wrk, name, port, seconds, args.connections, args.threads)
        return run_python_load(name, port, seconds, args.connections)

    slice_seconds = args.duration / args.rounds
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(server_process("backend"))
        b = stack.enter_context(server_process("backend"))
        lb_port = stack.enter_context(server_process("lb", "--workers", str(args.workers), str(a), str(b)))
        contenders: list[tuple[str, int]] = [("lb", lb_port)]
        if nginx:
            contenders.append(("nginx", stack.enter_context(nginx_process(nginx, a, b))))
        else:
            print("  nginx: not found, skipped")
        measure("warm-up", a, WARMUP_SECONDS)
        print(measure("direct", a, args.duration).line(), flush=True)
        slices: dict[str, list[Result]] = {name: [] for name, _ in contenders}
        for _, port in contenders:
            measure("warm-up", port, WARMUP_SECONDS)
        for _ in range(args.rounds):
            for name, port in contenders:
                slices[name].append(measure(name, port, slice_seconds))
        results: dict[str, Result] = {name: combine(name, got) for name, got in slices.items()}
    for result in results.values():
        print(result.line())
    print(f"after: {load_average()}")
    report(results)


def report(results: dict[str, Result]) -> None:
    lb = results["lb"]
    nginx_rps = results["nginx"].rps if "nginx" in results else math.nan
    ratio = lb.rps / nginx_rps if nginx_rps > 0 else math.nan
    print(f"lb_rps={lb.rps:.0f} nginx_rps={nginx_rps:.0f} ratio_vs_nginx={ratio:.2f} p99_ms={lb.p99_ms:.2f}")


if __name__ == "__main__":
    main()
