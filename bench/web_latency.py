"""`lblab web` against the terminal: page load -> first frame, key -> frame, and what each open tab costs.

- first frame: from `page.goto` of a new tab to the EC2 Dashboard in the terminal's buffer (the tab's console is a
  new process: this is a cold start of the console plus the page and its websocket); in the terminal, from
  `tmux new-session` running `lblab` to the dashboard in tmux's pane.
- key -> frame: `2` (Instances) and `1` (Dashboard) in turn, from the key sent to the page's new text. The browser is
  polled on every animation frame inside the page (Playwright's raf polling; one CDP round trip, printed, is part of
  each figure); tmux is polled with capture-pane (a process per poll: a few ms of resolution, printed too).
- per tab: N learners, each with their own `lblab web` and state file and one open tab (the way a classroom server
  would keep learners apart): each tab's console process's RSS and PSS, its CPU while nobody types, the web server's
  RSS, and the key -> frame latency in the first tab while all N are open. Twice: learners who have built nothing
  yet ("idle"), and learners mid-lab ("built": the seed lab's two web servers behind an ALB, made through each
  console's AWS API, health checks running at the labs' x30, i.e. two checks a second).

    python bench/web_latency.py [--runs 10] [--tabs 1,2,4] [--built-tabs 1,2,4]

Needs Debian's chromium and tmux. The figures move with the machine's load: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import Browser, Page

from mock_cloud.scenarios import SEED_USER_DATA
from tests.support.web import (
    ROOT,
    WebServer,
    alive,
    aws,
    children_of,
    chromium,
    console_api_url,
    lblab_web,
    open_console,
    poll,
    wait_for_text,
)
from tui.i18n import Translator

EN = Translator("en")
DASHBOARD, INSTANCES = EN("dashboard.resources", region="ap-northeast-2"), EN("instances.filter")
LAB = "alb-basics"
HAS_TEXT = """text => {
  const term = window.lblabTerminal;
  if (!term) return false;
  const buffer = term.buffer.active;
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    if (line && line.translateToString(true).includes(text)) return true;
  }
  return false;
}"""
SETTLE = 3.0  # seconds for a console to finish starting (the AWS API comes up after the first frame)
IDLE = 5.0  # seconds over which an idle console's CPU is measured


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(values) * 1000:6.1f} ms · p90 {p90 * 1000:6.1f} ms · n={len(values)}"


def web_args(state_dir: Path) -> list[str]:
    return ["--state", str(state_dir / "state.json"), "--seed", "1", "--lang", "en", "--lab", LAB]


async def appears(page: Page, text: str) -> None:
    await page.wait_for_function(HAS_TEXT, arg=text, polling="raf", timeout=90_000)


async def key_to_frame(page: Page, key: str, text: str) -> float:
    started = time.perf_counter()
    await page.keyboard.press(key)
    await appears(page, text)
    return time.perf_counter() - started


async def browser_keys(page: Page, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        times.append(await key_to_frame(page, "2", INSTANCES))
        times.append(await key_to_frame(page, "1", DASHBOARD))
    return times


async def first_frames(browser: Browser, web: WebServer, runs: int) -> tuple[list[float], Page]:
    """`runs` new tabs one after another (each closed, its console gone, before the next); the last stays open."""
    times = []
    for run in range(runs):
        started = time.perf_counter()
        page = await open_console(browser, web.url)
        await appears(page, DASHBOARD)
        times.append(time.perf_counter() - started)
        if run < runs - 1:
            consoles = children_of(web.process.pid)
            await page.close()
            await poll(lambda consoles=consoles: not any(alive(pid) for pid in consoles), "the tab's console to end")
    return times, page


# -- the terminal --------------------------------------------------------------------------------------------------
class Tmux:
    """A tmux server of our own (its own socket: a new one per start of lblab, so that no start races the previous
    server's exit)."""

    def __init__(self, run: int) -> None:
        self.socket = f"lblab-bench-{os.getpid()}-{run}"

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        if check and done.returncode:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done

    def session_open(self) -> bool:
        return self("has-session", "-t", "bench", check=False).returncode == 0

    async def shows(self, text: str) -> None:
        await poll(lambda: text in self("capture-pane", "-p", "-t", "bench").stdout, f"{text!r} in tmux")


async def terminal(state_dir: Path, size: tuple[int, int], runs: int) -> tuple[list[float], list[float], float, float]:
    """First frames of `lblab` in tmux (a new session each), then key -> frame in the last; one poll's cost; the
    console's CPU per key (untouched time included: an upper bound)."""
    command = shlex.join(["exec", "env", f"PYTHONPATH={ROOT}", sys.executable, "-m", "tui.cli",
                          *web_args(state_dir)[:-2], "lab", LAB])
    firsts, keys = [], []
    for run in range(runs):
        tmux = Tmux(run)
        try:
            started = time.perf_counter()
            tmux("new-session", "-d", "-s", "bench", "-x", str(size[0]), "-y", str(size[1]), command)
            await tmux.shows(DASHBOARD)
            firsts.append(time.perf_counter() - started)
            if run == runs - 1:
                console = int(tmux("display-message", "-p", "-t", "bench", "#{pane_pid}").stdout)
                before, started = cpu_seconds(console), time.perf_counter()
                for _ in range(runs):
                    for key, text in (("2", INSTANCES), ("1", DASHBOARD)):
                        started = time.perf_counter()
                        tmux("send-keys", "-t", "bench", key)
                        await tmux.shows(text)
                        keys.append(time.perf_counter() - started)
                per_key = (cpu_seconds(console) - before) / len(keys)
                started = time.perf_counter()
                tmux("capture-pane", "-p", "-t", "bench")
                one_poll = time.perf_counter() - started
            tmux("send-keys", "-t", "bench", "C-q")
            await poll(lambda tmux=tmux: not tmux.session_open(), "lblab to quit in tmux")
        finally:
            tmux("kill-server", check=False)
    return firsts, keys, one_poll, per_key


# -- what a tab costs -------------------------------------------------------------------------------------------------
def memory_kib(pid: int) -> tuple[int, int]:
    """RSS and PSS (a shared page counted once across the processes that share it)."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:]}
    return fields["Rss"], fields["Pss"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def learners(count: int, scratch: Path, built: bool) -> AsyncIterator[list[WebServer]]:
    async with contextlib.AsyncExitStack() as stack:
        webs = []
        for n in range(count):
            state_dir = scratch / f"learner-{count}-{n}-{'built' if built else 'idle'}"
            state_dir.mkdir()
            webs.append(await stack.enter_async_context(lblab_web(*web_args(state_dir))))
        yield webs


def build_seed_lab(api_url: str) -> None:
    """The seed lab's setup: two web servers in the default security group, demo-tg, DemoALB forwarding to it."""
    ec2, elb = aws("ec2", api_url), aws("elbv2", api_url)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=image, InstanceType="t2.micro", MinCount=2, MaxCount=2,
                                                      UserData=SEED_USER_DATA)["Instances"]]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 0.5, "MaxAttempts": 200})
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = elb.create_target_group(Name="demo-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i} for i in ids])
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
    balancer = elb.create_load_balancer(Name="DemoALB", Subnets=subnets)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])


async def per_tab(browser: Browser, count: int, scratch: Path, runs: int, built: bool) -> None:
    async with learners(count, scratch, built) as webs:
        pages = []
        for web in webs:
            pages.append(await open_console(browser, web.url))
        for page in pages:
            await appears(page, DASHBOARD)
            if built:
                await asyncio.to_thread(build_seed_lab, await console_api_url(page))
        await asyncio.sleep(SETTLE)
        consoles = [pid for web in webs for pid in children_of(web.process.pid)]
        cpu = [cpu_seconds(pid) for pid in consoles]
        await asyncio.sleep(IDLE)
        idle = [(cpu_seconds(pid) - before) / IDLE * 100 for pid, before in zip(consoles, cpu, strict=True)]
        memory = [memory_kib(pid) for pid in consoles]
        server_rss = [memory_kib(web.process.pid)[0] for web in webs]
        before = cpu_seconds(consoles[0]) + cpu_seconds(webs[0].process.pid)
        started = time.perf_counter()
        keys = await browser_keys(pages[0], runs)
        # What the keys cost the server (console and lblab web), less what the console spends untouched meanwhile.
        spent = cpu_seconds(consoles[0]) + cpu_seconds(webs[0].process.pid) - before
        per_key = (spent - idle[0] / 100 * (time.perf_counter() - started)) / len(keys)
        for page in pages:
            await page.close()
    mib, kind = 1024, "built" if built else "idle "
    print(f"  {count} tab(s), {kind}: console RSS {statistics.mean(m[0] for m in memory) / mib:5.1f} MiB, "
          f"PSS {statistics.mean(m[1] for m in memory) / mib:5.1f} MiB each · CPU untouched "
          f"{statistics.mean(idle):4.1f}% each · lblab web RSS {statistics.mean(server_rss) / mib:4.1f} MiB · "
          f"key -> frame {ms(keys)}, {per_key * 1000:.0f} ms of server CPU per key")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tabs", default="1,2,4", help="numbers of open tabs to measure, comma-separated")
    parser.add_argument("--built-tabs", default="1,2,4", help="the same, each learner's cloud holding the seed lab")
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="lblab-web-bench-") as tmp:
        scratch = Path(tmp)
        (scratch / "browser").mkdir()
        async with chromium() as browser, lblab_web(*web_args(scratch / "browser")) as web:
            firsts, page = await first_frames(browser, web, options.runs)
            await wait_for_text(page, DASHBOARD)
            size = await page.evaluate("[window.lblabTerminal.cols, window.lblabTerminal.rows]")
            round_trip = time.perf_counter()
            await page.evaluate("1")
            round_trip = time.perf_counter() - round_trip
            keys = await browser_keys(page, options.runs)
            await page.close()
            (scratch / "terminal").mkdir()
            term_firsts, term_keys, one_poll, term_cpu = await terminal(scratch / "terminal", tuple(size), options.runs)
            print(f"terminal {size[0]}x{size[1]} (the browser tab's size)")
            print(f"page load -> first frame   browser  {ms(firsts)}")
            print(f"lblab start -> first frame tmux     {ms(term_firsts)}")
            print(f"key -> frame               browser  {ms(keys)}  (one CDP round trip: {round_trip * 1000:.1f} ms)")
            print(f"key -> frame               tmux     {ms(term_keys)}  (one capture-pane: {one_poll * 1000:.1f} ms), "
                  f"{term_cpu * 1000:.0f} ms of console CPU per key")
            print("per open tab (each learner: own lblab web, own state, one tab):")
            for counts, built in ((options.tabs, False), (options.built_tabs, True)):
                for count in (int(n) for n in counts.split(",") if n):
                    await per_tab(browser, count, scratch, options.runs, built)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
