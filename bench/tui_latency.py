"""The console's latency as a learner sees it: the real `lblab` in tmux (160x45), key -> screen.

Starts the `lblab` console script (this checkout first on PYTHONPATH) in a tmux server of its own,
on prepared state files (an empty cloud; the seed lab built: two web servers, their security
group, the balancer's group, demo-tg with both registered and healthy, DemoALB on HTTP:80),
sends keys with `tmux send-keys` and polls `tmux capture-pane` every few milliseconds until the
screen shows what the key should bring. Prints:

  page switch      keys 2/3/4/5 -> the page's title with its count drawn (seed lab, alb-basics open,
                   x30), quiet and while a load generator drives DemoALB through the internet edge
                   (wrk if installed; otherwise a bounded asyncio client, CONNECTIONS at a time)
  cold start       process start -> the EC2 Dashboard drawn, empty cloud and seed lab
  --version, labs  wall time of `lblab --version` and `lblab labs`
  launch wizard    `l` on Instances -> the wizard drawn
  idle CPU         % of one core used by the lblab process over IDLE_SECONDS (alb-basics open, x30), on the
                   EC2 Dashboard and on Target Groups (health checks every second at x30)

Python's bytecode cache is on, in the scratch directory, as the second start of an installed lblab finds it
(see bench/tui_first_frame.py, which splits a start into imports and app start, in-process).

    python bench/tui_latency.py [--rounds 5] [--starts 5] [--checkout DIR] [--starts-only]

`--in-process` instead runs the console headless in this process (Pilot, the demo cloud with the seed lab's
balancer, alb-basics open) and prints, for keys 2/3/4/5 and for the launch wizard, the time to the first frame
Textual renders and the CPU time per switch or opening, the CPU per character typed into the launch wizard's
Name, and the CPU an idle console uses (cloud included): the console's own work, which a loaded machine only
stretches.

`--checkout DIR` runs the lblab of another checkout (e.g. `git worktree add /tmp/before main`), so that
a before and an after can be taken one right after the other, under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tui_first_frame import bytecode_env  # noqa: E402
from mock_cloud.cloud import Cloud, CloudConfig  # noqa: E402
from mock_cloud.scenarios import healthy_lab  # noqa: E402

LBLAB = str(Path(sys.executable).with_name("lblab"))
SIZE = (160, 45)
POLL = 0.005  # seconds between two captures of the pane
TIMEOUT = 20.0  # a screen that has not appeared by then is reported as a failure
SETTLE = 0.3  # pause between two measured keys, so that each starts from a quiet screen
IDLE_SECONDS = 10.0
TYPED = "webserver3" * 4  # typed into the launch wizard's Name by --in-process
CONNECTIONS = 8
LOAD_LIMIT = 300.0  # the load generator stops by itself after this many seconds, whatever happens
SEED = 7

PAGES = {"2": r"Instances \(\d+\)", "3": r"Security Groups \(\d+\)", "4": r"Load Balancers \(\d+\)",
         "5": r"Target Groups \(\d+\)"}
# The navigation's first item and, beside it, the dashboard's title (a lab picker may cover the rest).
DASHBOARD = r"EC2 Dashboard\s+\S\s+EC2 Da"
LAUNCH = r"Launch an instance"
EDGE = re.compile(r"edge (?:http://)?(127\.0\.0\.1:\d+)")  # the header shows host:port (older: a URL)

# A bounded load generator for when wrk is not installed: CONNECTIONS clients, each sending
# requests for the balancer's DNS name through the edge proxy, one connection per request.
LOAD = r"""
import asyncio, sys, time
host, port, name, limit, connections = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
done = 0
async def client(until):
    global done
    request = f"GET http://{name}/ HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
            writer.write(request)
            await asyncio.wait_for(reader.read(), 10)
            writer.close()
            done += 1
        except (OSError, asyncio.TimeoutError):
            await asyncio.sleep(0.05)
async def main():
    until = time.monotonic() + limit
    tasks = [asyncio.create_task(client(until)) for _ in range(connections)]
    try:
        await asyncio.gather(*tasks)
    finally:
        print(done, flush=True)
try:
    asyncio.run(main())
except KeyboardInterrupt:
    print(done, flush=True)
"""


# -- prepared clouds ----------------------------------------------------------------------
async def prepare(path: Path, seed_lab: bool) -> str | None:
    """Write a state file; returns DemoALB's DNS name when the seed lab is built."""
    async with Cloud(CloudConfig(seed=SEED, time_scale=0, state_path=path, edge_port=None)) as cloud:
        if not seed_lab:
            return None
        lab = await healthy_lab(cloud)
        return lab.lb.dns_name


# -- the terminal -----------------------------------------------------------------------------
class Pane:
    """One lblab in a tmux server of its own (never the learner's, never another helper's)."""

    started = 0

    def __init__(self, env: dict[str, str]) -> None:
        Pane.started += 1
        self.socket = f"lblab-bench-{os.getpid()}-{Pane.started}"
        self.env = env

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True,
                              env=self.env).stdout

    def start(self, *argv: str) -> float:
        """Start lblab; returns when (perf_counter) the process was asked for."""
        command = "exec " + shlex.join([LBLAB, *argv])
        started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "bench", "-x", str(SIZE[0]), "-y", str(SIZE[1]), command)
        return started

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "bench")

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> float:
        """Poll the pane until `pattern` shows; returns that moment (perf_counter)."""
        found = re.compile(pattern)
        until = time.perf_counter() + timeout
        while time.perf_counter() < until:
            if found.search(self.capture()):
                return time.perf_counter()
            time.sleep(POLL)
        raise TimeoutError(f"{pattern!r} not on screen after {timeout:g} s:\n{self.capture()}")

    def press(self, key: str, pattern: str) -> float:
        """Send one key; seconds until `pattern` shows (it must not show before)."""
        if re.search(pattern, self.capture()):
            raise RuntimeError(f"{pattern!r} is on screen before {key} was pressed:\n{self.capture()}")
        sent = time.perf_counter()
        self.tmux("send-keys", "-t", "bench", key)
        return self.wait_for(pattern) - sent

    @property
    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "bench", "#{pane_pid}").strip())

    def stop(self) -> None:
        """Close the terminal and wait for lblab to be gone (its ports free for the next one)."""
        try:
            pid = self.pid
        except subprocess.CalledProcessError:
            pid = None
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self.env)
        until = time.perf_counter() + TIMEOUT
        while pid is not None and running(pid) and time.perf_counter() < until:
            time.sleep(0.05)


def running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie waiting to be reaped is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def lblab(env: dict[str, str], *argv: str) -> Iterator[tuple[Pane, float]]:
    """A running lblab and the seconds from its start to the EC2 Dashboard drawn."""
    pane = Pane(env)
    try:
        started = pane.start(*argv)
        yield pane, pane.wait_for(DASHBOARD) - started
    finally:
        pane.stop()


# -- what is measured ---------------------------------------------------------------------
def page_switches(pane: Pane, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for key, pattern in PAGES.items():
            times.append(pane.press(key, pattern))
            time.sleep(SETTLE)
    return times


def launch_wizard(pane: Pane, rounds: int) -> list[float]:
    pane.press("2", PAGES["2"])
    times = []
    for _ in range(rounds):
        time.sleep(SETTLE)
        times.append(pane.press("l", LAUNCH))
        time.sleep(SETTLE)
        pane.press("Escape", PAGES["2"])
    return times


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def idle_cpu(pane: Pane) -> float:
    pid = pane.pid
    time.sleep(3)  # past the start-up work (the API server, the lab's first checks)
    before, started = cpu_seconds(pid), time.perf_counter()
    time.sleep(IDLE_SECONDS)
    return (cpu_seconds(pid) - before) / (time.perf_counter() - started) * 100


@contextmanager
def balancer_load(pane: Pane, dns_name: str) -> Iterator[list[str]]:
    """Drive DemoALB through the edge while the block runs; yields a list that gets the request count."""
    match = EDGE.search(pane.capture())
    if match is None:
        raise RuntimeError("the header shows no internet edge")
    host, port = match.group(1).split(":")
    if shutil.which("wrk"):
        # The edge takes origin-form requests too, routed by their Host header.
        argv = ["wrk", "-c", str(CONNECTIONS), "-t", "2", "-d", f"{LOAD_LIMIT:g}s", "-H", f"Host: {dns_name}",
                f"http://{match.group(1)}/"]
    else:
        argv = [sys.executable, "-c", LOAD, host, port, dns_name, str(LOAD_LIMIT), str(CONNECTIONS)]
    load = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    result: list[str] = []
    try:
        time.sleep(1)  # the balancer busy before the first key
        yield result
    finally:
        load.send_signal(2)
        out, _ = load.communicate(timeout=30)
        # wrk: "1234 requests in 10.00s, ..."; the fallback client prints its count last
        counts = [line.split()[0] for line in out.splitlines() if " requests in " in line] or out.split()[-1:]
        result.append(f"{counts[0] if counts else '?'} requests by {Path(argv[0]).name}")


def command_time(env: dict[str, str], *argv: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs + 1):  # the first warms the caches
        started = time.perf_counter()
        subprocess.run([LBLAB, *argv], check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return times[1:]


def spread(values: list[float], seconds: bool = False) -> str:
    ordered = sorted(values)

    def shown(value: float) -> str:
        return f"{value:5.2f} s" if seconds else f"{value * 1000:4.0f} ms"

    return (f"p50 {shown(statistics.median(ordered))}  max {shown(ordered[-1])}  min {shown(ordered[0])}  "
            f"({len(values)})")


async def in_process(rounds: int) -> None:
    from textual import events

    from mock_cloud.scenarios import demo_config, populate, populate_elb
    from tui.app import LblabApp
    from tui.widgets.lab_panel import open_lab

    app = LblabApp(demo_config(), lang="en")
    frames: list[tuple[float, str]] = []  # (when, the screen drawn)
    async with app.run_test(size=SIZE) as pilot:
        display = app._display

        def timed(screen: object, renderable: object) -> None:
            if renderable is not None:
                frames.append((time.perf_counter(), type(screen).__name__))
            display(screen, renderable)  # type: ignore[arg-type]

        async def first_frame(key: str, screen: str = "ConsoleScreen") -> float:
            """Seconds from `key` to the first frame of `screen`."""
            frames.clear()
            sent = time.perf_counter()
            app.post_message(events.Key(key, key))
            while not any(drawn == screen for _, drawn in frames) and time.perf_counter() < sent + TIMEOUT:
                await asyncio.sleep(POLL)
            await asyncio.sleep(SETTLE * 2)
            return next(when for when, drawn in frames if drawn == screen) - sent

        app._display = timed  # type: ignore[method-assign]
        await populate(app.cloud)
        await populate_elb(app.cloud)
        await open_lab(app, "alb-basics")
        await pilot.press(*PAGES)  # every page mounted once
        await pilot.pause(0.5)
        cpu = time.process_time()
        switches = [await first_frame(key) for _ in range(rounds) for key in PAGES]
        cpu = (time.process_time() - cpu) / len(switches)
        await pilot.press("2")
        wizard, wizard_cpu = [], 0.0
        for _ in range(rounds):
            started = time.process_time()
            wizard.append(await first_frame("l", "LaunchWizardScreen"))
            wizard_cpu += time.process_time() - started
            await pilot.press("escape")
            await pilot.pause(SETTLE)
        typing = await type_a_name(app, pilot)
        app.cloud.clock.set_scale(30.0)
        await pilot.press("5")
        await asyncio.sleep(SETTLE * 2)
        idle, started = time.process_time(), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS)
        idle = (time.process_time() - idle) / (time.perf_counter() - started)
    print(f"in-process, headless {SIZE[0]}x{SIZE[1]}, {Path('/proc/loadavg').read_text().split()[0]} load")
    print(f"  page switch, first frame {spread(switches)}")
    print(f"  CPU per switch (and {SETTLE * 2:g} s of idle console) {cpu * 1000:.0f} ms")
    print(f"  launch wizard, first frame {spread(wizard)}; CPU per opening (and {SETTLE * 2:g} s idle) "
          f"{wizard_cpu / rounds * 1000:.0f} ms")
    print(f"  typing into the launch wizard's Name, CPU per character: {typing * 1000:.1f} ms")
    print(f"  idle CPU on Target Groups, x30, cloud included: {idle * 100:.1f} % over {IDLE_SECONDS:g} s")


async def type_a_name(app: Any, pilot: Any) -> float:
    """CPU seconds per character typed into the launch wizard's Name (the keys sent at once, as tmux does)."""
    from textual import events
    from textual.widgets import Input

    await pilot.press("l")
    await pilot.pause(SETTLE)
    name = app.screen.query_one("#name", Input)
    started = time.process_time()
    for char in TYPED:
        app.post_message(events.Key(char, char))
    while name.value != TYPED:
        await asyncio.sleep(POLL)
    await pilot.pause()
    cpu = (time.process_time() - started) / len(TYPED)
    await pilot.press("escape")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of keys 2/3/4/5 (default 5)")
    parser.add_argument("--starts", type=int, default=5, help="cold starts of each kind (default 5)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose lblab runs (default: this)")
    parser.add_argument("--in-process", action="store_true", help="only the in-process figures (see above)")
    parser.add_argument("--starts-only", action="store_true", help="only the commands and the cold starts (~1 min)")
    args = parser.parse_args()
    if args.in_process:
        asyncio.run(in_process(args.rounds))
        return
    with tempfile.TemporaryDirectory() as scratch:
        empty, seeded = Path(scratch) / "empty" / "state.json", Path(scratch) / "seed" / "state.json"
        asyncio.run(prepare(empty, seed_lab=False))
        dns_name = asyncio.run(prepare(seeded, seed_lab=True))
        assert dns_name is not None
        env = {**bytecode_env(Path(scratch)), "PYTHONPATH": str(args.checkout.resolve()), "LANG": "en_US.UTF-8",
               "TERM": "xterm-256color"}
        lab = ("lab", "alb-basics", "--state", str(seeded), "--time-scale", "30", "--lang", "en")
        print(f"lblab of {args.checkout.resolve()}: {' '.join(lab[:2])} at {SIZE[0]}x{SIZE[1]}, "
              f"tmux polled every {POLL * 1000:g} ms; {Path('/proc/loadavg').read_text().split()[0]} load before")
        print(f"  --version        {spread(command_time(env, '--version', runs=args.starts * 2))}")
        print(f"  labs             {spread(command_time(env, 'labs', runs=args.starts * 2))}")
        starts: dict[str, list[float]] = {"empty": [], "seed lab": []}
        for _ in range(args.starts + 1):  # the first warms the caches
            with lblab(env, "--state", str(empty), "--lang", "en") as (_, took):
                starts["empty"].append(took)
            with lblab(env, *lab) as (_, took):
                starts["seed lab"].append(took)
        for kind, times in starts.items():
            print(f"  cold start {kind:9} {spread(times[1:], seconds=True)}")
        if not args.starts_only:
            keys_and_idle(env, lab, dns_name, args.rounds)
    print(f"  load average after: {Path('/proc/loadavg').read_text().split()[0]}")


def keys_and_idle(env: dict[str, str], lab: tuple[str, ...], dns_name: str, rounds: int) -> None:
    with lblab(env, *lab) as (pane, _):
        for key, page in (("1", "dashboard"), ("5", "target groups")):
            pane.tmux("send-keys", "-t", "bench", key)
            print(f"  idle CPU {page:14} {idle_cpu(pane):4.1f} % of a core over {IDLE_SECONDS:g} s (x30)")
        print(f"  page switch      {spread(page_switches(pane, rounds))}")
        print(f"  launch wizard    {spread(launch_wizard(pane, rounds))}")
        pane.press("1", DASHBOARD)
        with balancer_load(pane, dns_name) as served:
            loaded = page_switches(pane, rounds)
        print(f"  page switch load {spread(loaded)}  ({served[0]} meanwhile)")


if __name__ == "__main__":
    main()
