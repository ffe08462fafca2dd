"""The product path: `lblab serve` with the seed lab, measured from outside as a learner's traffic sees it.

    python bench/serve_bench.py [--duration 10] [--rounds 5] [--connections 64] [--only PART]

Starts `lblab serve` (its own state file in a temporary directory, free ports on 127.0.0.1) with the
seed lab built through the AWS API (`serve_lab.py`: two instances, demo-tg, DemoALB), then:

  rss         resident memory of the cloud process and of each guest (the seed lab's cost), and the
              total PSS (shared pages counted once)
  throughput  wrk (-t2 -cCONNECTIONS, keep-alive) at DemoALB's listener and at nginx (its own process,
              config in a temporary directory) proxying to the same two guests' web servers, in ROUNDS
              alternating slices of DURATION/ROUNDS seconds after a warm-up each; also the serve
              process's CPU per request (from /proc) during DemoALB's slices
  isolation   latency of one GET every 5 ms on a keep-alive connection, to one instance's web server
              directly and to DemoALB, before and while a third instance runs a CPU-heavy user-data
              script (a backtracking `grep -E` over a 100 KB line, again and again, until the interpreter's
              5 s limit stops it); "during" is every 100 ms in which that guest used a quarter core or more;
              --renice N lowers that guest's priority (an experiment: lblab does not do it)

The load average is printed first and last. The last lines are:

    lb_rps=… nginx_rps=… ratio_vs_nginx=… p99_ms=…
    p99_before_ms=… p99_during_ms=… (instance, DemoALB)
    seed_lab_rss_mb=… seed_lab_pss_mb=…
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lb_bench import (
    WARMUP_SECONDS,
    Result,
    combine,
    find_tool,
    load_average,
    nginx_process,
    report,
    run_wrk,
)
from bench.serve_lab import ServedLab, proc_kb, served_lab

CPU_HEAVY = ('#!/bin/bash\nbig=$(printf "%0100000d" 0)\n'
             'for i in $(seq 1000); do echo "$big" | grep -E "( |  )*b"; done\n')
PROBE_PERIOD = 0.005
BUSY = 0.25  # share of a core that counts a guest as busy
TICKS = os.sysconf("SC_CLK_TCK")


# -- cost ---------------------------------------------------------------------------------------------------
def pss_kb(pid: int) -> int:
    return proc_kb(pid, "smaps_rollup", "Pss:")


def cost(lab: ServedLab) -> None:
    cloud, *guests = lab.pids()
    print(f"rss: cloud {proc_kb(cloud) / 1024:.1f} MB, guests "
          + ", ".join(f"{proc_kb(pid) / 1024:.1f}" for pid in guests) + " MB")
    total_rss = sum(proc_kb(pid) for pid in (cloud, *guests)) / 1024
    total_pss = sum(pss_kb(pid) for pid in (cloud, *guests)) / 1024
    print(f"seed_lab_rss_mb={total_rss:.1f} seed_lab_pss_mb={total_pss:.1f} processes={1 + len(guests)}")


# -- throughput -------------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def throughput(lab: ServedLab, wrk: str, nginx: str | None, args: argparse.Namespace) -> None:
    lb_port = lab.listener_port()
    a, b = (lab.httpd_port(i) for i in lab.instance_ids)
    slice_seconds = args.duration / args.rounds

    def measure(name: str, port: int, seconds: float) -> Result:
        return run_wrk(wrk, name, port, seconds, args.connections, 2)

    with contextlib.ExitStack() as stack:
        contenders = [("lb", lb_port)]
        if nginx:
            contenders.append(("nginx", stack.enter_context(nginx_process(nginx, a, b))))
        for _, port in contenders:
            measure("warm-up", port, WARMUP_SECONDS)
        slices: dict[str, list[Result]] = {name: [] for name, _ in contenders}
        cpu = requests = 0.0
        for _ in range(args.rounds):
            for name, port in contenders:
                before = cpu_seconds(lab.proc.pid)
                result = measure(name, port, slice_seconds)
                if name == "lb":
                    cpu += cpu_seconds(lab.proc.pid) - before
                    requests += result.rps * slice_seconds
                slices[name].append(result)
                print(f"  {result.line()}", flush=True)
    results = {name: combine(name, got) for name, got in slices.items()}
    for result in results.values():
        print(result.line())
    print(f"serve process CPU per DemoALB request: {cpu / max(requests, 1) * 1e6:.0f} µs")
    report(results)


# -- isolation ------------------------------------------------------------------------------------------------
@dataclass
class Probe:
    """One GET every PROBE_PERIOD on a keep-alive connection; (time, latency) of each."""

    port: int
    samples: list[tuple[float, float]] = field(default_factory=list)
    failures: int = 0

    def run(self, stop: threading.Event) -> None:
        request = b"GET / HTTP/1.1\r\nHost: probe\r\n\r\n"
        while not stop.is_set():
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
                self._keep_alive(conn, request, stop)

    def _keep_alive(self, conn: socket.socket, request: bytes, stop: threading.Event) -> None:
        """Until the server closes (Apache's MaxKeepAliveRequests) or the probe stops."""
        while not stop.is_set():
            started = time.perf_counter()
            conn.sendall(request)
            head = self._read_response(conn)
            if head is None:
                return
            self.samples.append((time.monotonic(), time.perf_counter() - started))
            if not head.startswith(b"HTTP/1.1 200"):
                self.failures += 1
            if b"connection: close" in head.lower():
                return
            time.sleep(PROBE_PERIOD)

    @staticmethod
    def _read_response(conn: socket.socket) -> bytes | None:
        """The response head (None: the connection was closed before it)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        return head


def p99_ms(latencies: list[float]) -> float:
    if len(latencies) < 20:
        return math.nan
    return statistics.quantiles(latencies, n=100)[98] * 1e3


def busy_windows(pid: int, stop: threading.Event, windows: list[tuple[float, float]]) -> None:
    """Every 100 ms in which the guest used a quarter core or more (the machine may be loaded)."""
    with contextlib.suppress(OSError, IndexError):
        last, last_cpu = time.monotonic(), cpu_seconds(pid)
        while not stop.is_set():
            time.sleep(0.1)
            now, now_cpu = time.monotonic(), cpu_seconds(pid)
            if (now_cpu - last_cpu) / (now - last) >= BUSY:
                windows.append((last, now))
            last, last_cpu = now, now_cpu


def renice(pid: int, niceness: int) -> None:
    """Every thread of the process (Linux priorities are per thread; threads made later inherit)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.setpriority(os.PRIO_PROCESS, int(task.name), niceness)


def isolation(lab: ServedLab, baseline_seconds: float, niceness: int) -> None:
    probes = {"instance": Probe(lab.httpd_port(lab.instance_ids[0])), "DemoALB": Probe(lab.listener_port())}
    stop = threading.Event()
    threads = [threading.Thread(target=p.run, args=(stop,)) for p in probes.values()]
    for thread in threads:
        thread.start()
    time.sleep(baseline_seconds)
    launched = time.monotonic()
    [busy] = lab.ec2.run_instances(ImageId="ami-0c9c942bd7bf113a2", InstanceType="t2.micro", MinCount=1,
                                   MaxCount=1, UserData=CPU_HEAVY)["Instances"]
    pid = None
    while pid is None and time.monotonic() - launched < 60:
        pid = lab.guest_pid(busy["InstanceId"])
        time.sleep(0.05)
    windows: list[tuple[float, float]] = []
    if pid is not None:
        if niceness:
            renice(pid, niceness)
        watcher = threading.Thread(target=busy_windows, args=(pid, stop, windows))
        watcher.start()
        time.sleep(12)
        threads.append(watcher)
    stop.set()
    for thread in threads:
        thread.join()
    lab.ec2.terminate_instances(InstanceIds=[busy["InstanceId"]])
    print(f"the CPU-heavy guest was busy for {sum(b - a for a, b in windows):.1f} s")
    figures = []
    for name, probe in probes.items():
        before = [lat for t, lat in probe.samples if t < launched]
        during = [lat for t, lat in probe.samples if any(a <= t < b for a, b in windows)]
        figures.append((name, p99_ms(before), p99_ms(during)))
        print(f"  {name}: p99 {figures[-1][1]:.2f} ms before ({len(before)} GETs), {figures[-1][2]:.2f} ms during "
              f"({len(during)} GETs), failures {probe.failures}")
    print(" ".join(f"{name}_p99_before_ms={b:.2f} {name}_p99_during_ms={d:.2f}" for name, b, d in figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk per contender (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating DemoALB/nginx slices (default 5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk's keep-alive connections (default 64)")
    parser.add_argument("--renice", type=int, default=0, choices=range(20), metavar="0-19",
                        help="experiment: the CPU-heavy guest's threads at this niceness (default 0: as lblab runs it)")
    parser.add_argument("--only", choices=("rss", "throughput", "isolation"), help="one part only")
    args = parser.parse_args()
    if not (1 <= args.duration <= 120 and 1 <= args.rounds <= 20 and 1 <= args.connections <= 1024):
        parser.error("duration must be 1-120 s, rounds 1-20 and connections 1-1024")
    wrk, nginx = find_tool("wrk"), find_tool("nginx")
    print(f"nproc={os.cpu_count()} {load_average()}", flush=True)
    with served_lab() as lab:
        print(f"lblab serve (PID {lab.proc.pid}) with the seed lab", flush=True)
        if args.only in (None, "rss"):
            cost(lab)
        if args.only in (None, "throughput"):
            if wrk is None:
                print("throughput: wrk not found (apt-get install wrk), skipped")
            else:
                throughput(lab, wrk, nginx, args)
        if args.only in (None, "isolation"):
            isolation(lab, baseline_seconds=5, niceness=args.renice)
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
