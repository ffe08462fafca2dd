"""How long lblab takes over the hostile inputs of its reliability and security tests.

The tests hold what each hostile input leads to (an AWS error, a broken lab named with its line, a
stopped script, a 200 for the well-behaved client), not how long it takes: timed assertions fail on a
busy machine. The time is measured here, over the tests' own inputs, imported from them:

    query API      tests/reliability/test_reliability_fuzz.py's pathological request bodies, each POSTed to a real
                   API server on loopback RUNS times
    10 000 rules   the same file's 10 000 CreateRule calls on one listener (the quota stops them at
                   100), then its refused 10 000-change SetRulePriorities, RUNS times
    service calls  the same file's hypothesis state machine with the test's settings, every call timed
    lab listing    tests/reliability/test_reliability_labs.py's HOSTILE lab files, each listed alone RUNS times,
                   then all of them beside the shipped labs
    user data      tests/security/test_security_shell.py's hostile scripts, each run RUNS times in a fresh guest
                   (the wall-time budget of a run is 5 s)
    listener       tests/reliability/test_reliability_balancer.py's canary (GET / every 20 ms on a fresh connection)
                   on that file's stage: while nothing happens, during each abuse test of the file
                   (a fresh cloud each), and while the shell tests' "slow-text" script burns its budget

    python bench/abuse_timings.py [--runs 3]

Needs the test extras (hypothesis, aiohttp). Everything runs in this process, on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis.stateful import run_state_machine_as_test

from labs.loader import list_labs
from mock_cloud.cloud import Cloud
from mock_cloud.errors import CloudError
from mock_cloud.guestos.cloud_init import run_user_data
from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.scenarios import healthy_lab
from tests.reliability.test_reliability_balancer import (
    Canary,
    Stage,
    abuse_stage,
    test_alb_size_limits,
    test_clients_that_vanish_are_logged_as_460,
    test_malformed_requests_get_alb_errors_while_others_are_served,
    test_slowloris_does_not_starve_other_clients,
    test_targets_that_misbehave_get_502_and_504,
    test_the_edge_answers_hostile_requests_and_keeps_proxying,
)
from tests.reliability.test_reliability_fuzz import (
    HOSTILE_RUN,
    HostileClient,
    pathological_query_bodies,
    posting_query_bodies,
    ten_thousand_priority_changes,
    try_ten_thousand_rules,
)
from tests.reliability.test_reliability_labs import HOSTILE, lab_dir
from tests.security.test_security_shell import HostTrap, scripts
from tests.support.cloud import make_config


async def nothing(stage: Stage) -> None:
    """The canary alone, for a baseline."""
    await asyncio.sleep(0.1)


# The balancer's abuse tests, run as they are, on a fresh stage each. Left out: the 64 MB streaming
# test (it runs under tracemalloc, which slows everything), the interim-response flood (it wants
# pytest's caplog) and the check that nothing is left open afterwards.
ABUSES: list[Callable[[Stage], Awaitable[None]]] = [
    nothing,
    test_malformed_requests_get_alb_errors_while_others_are_served,
    test_alb_size_limits,
    test_slowloris_does_not_starve_other_clients,
    test_clients_that_vanish_are_logged_as_460,
    test_targets_that_misbehave_get_502_and_504,
    test_the_edge_answers_hostile_requests_and_keeps_proxying,
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def spread(samples: list[float]) -> str:
    """Median, 90th percentile and slowest of some latencies."""
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"n={len(ordered):4}  p50 {ms(statistics.median(ordered))}  p90 {ms(p90)}  max {ms(ordered[-1])}"


async def query_api(runs: int) -> None:
    print(f"query API: each pathological request, {runs} times (median, slowest)")
    async with posting_query_bodies() as post:
        for name, body in pathological_query_bodies().items():
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                async with post(body) as response:
                    await response.read()
                took.append(time.perf_counter() - started)
            print(f"  {name:28} HTTP {response.status}  {ms(statistics.median(took))}  {ms(max(took))}")


async def ten_thousand_rules(runs: int) -> None:
    print(f"10 000 rules, {runs} times (each on a fresh cloud)")
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with Cloud(make_config(Path(tmp))) as cloud:
                started = time.perf_counter()
                listener, _ = await try_ten_thousand_rules(cloud)
                created = time.perf_counter() - started
                changes = ten_thousand_priority_changes(listener)
                started = time.perf_counter()
                with contextlib.suppress(CloudError):  # RuleNotFound: the last change names no rule
                    await cloud.elbv2.set_rule_priorities(changes)
                refused = time.perf_counter() - started
        print(f"  10 000 CreateRule calls {created:6.2f} s   SetRulePriorities of 10 000, refused {ms(refused)}")


def service_calls() -> None:
    took: dict[str, list[float]] = {}

    class TimedClient(HostileClient):
        def attempt(self, what: str, fn: Callable[[], Any]) -> Any:
            started = time.perf_counter()
            try:
                return super().attempt(what, fn)
            finally:
                took.setdefault(what, []).append(time.perf_counter() - started)

    run_state_machine_as_test(TimedClient, settings=HOSTILE_RUN)
    every = [t for times in took.values() for t in times]
    print("service calls: the hostile state machine, every call")
    print(f"  {f'all ({len(took)} kinds)':24} {spread(every)}")
    for what, times in sorted(took.items(), key=lambda kv: -max(kv[1]))[:5]:
        print(f"  {what:24} {spread(times)}")


def lab_listing(runs: int) -> None:
    print(f"lab listing: each hostile lab file alone, {runs} times (median, slowest)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in HOSTILE.items():
            alone = root / name
            alone.mkdir()
            (alone / f"{name}.yaml").write_text(text, "utf-8")
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                list_labs(alone)
                took.append(time.perf_counter() - started)
            print(f"  {name:16} {ms(statistics.median(took))}  {ms(max(took))}")
        everything = lab_dir(root)
        for name, text in HOSTILE.items():
            (everything / f"{name}.yaml").write_text(text, "utf-8")
        started = time.perf_counter()
        listed = list_labs(everything)
        print(f"  all {len(listed)} files (the shipped labs too) {time.perf_counter() - started:.2f} s")


def user_data(runs: int) -> None:
    print(f"user data: each hostile script in a fresh guest, {runs} times (median, slowest)")
    with tempfile.TemporaryDirectory() as tmp:
        trap = HostTrap(Path(tmp))
        try:
            for name, script in scripts(trap).items():
                took = []
                for _ in range(runs):
                    guest = InstanceOS.base_image("al2023", hostname="ip-172-31-1-10.ap-northeast-2.compute.internal")
                    started = time.perf_counter()
                    run_user_data(guest, script)
                    took.append(time.perf_counter() - started)
                print(f"  {name:18} {statistics.median(took):6.2f} s  {max(took):6.2f} s")
        finally:
            trap.close()


def ignore_cancelled_handlers(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The abusive target's "silent" handler sleeps on after its test; cancelled when the loop ends, it
    would be reported as an error by asyncio's stream callback."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


async def listener_under_abuse() -> None:
    asyncio.get_running_loop().set_exception_handler(ignore_cancelled_handlers)
    print("listener: the canary's latency during each abuse, repeated for 2 s at least")
    for abuse in ABUSES:
        with tempfile.TemporaryDirectory() as tmp:
            async with Cloud(make_config(Path(tmp))) as cloud, abuse_stage(cloud) as stage:
                stage.canary.latencies.clear()  # from here on
                until = time.perf_counter() + 2
                while time.perf_counter() < until:
                    await abuse(stage)
                latencies = list(stage.canary.latencies)
        print(f"  {abuse.__name__.removeprefix('test_')[:48]:48} {spread(latencies)}")
    with tempfile.TemporaryDirectory() as tmp:
        trap = HostTrap(Path(tmp))
        try:
            async with Cloud(make_config(Path(tmp))) as cloud:
                lab = await healthy_lab(cloud)
                await cloud.ec2.run_instances(user_data=scripts(trap)["slow-text"], name="hostile")
                assert lab.listener.local_port
                canary = Canary(lab.listener.local_port)
                task = asyncio.create_task(canary.run())
                started = time.perf_counter()
                await cloud.clock.advance(30)  # boot, then user data: the script runs its whole budget
                took = time.perf_counter() - started
                canary.stop()
                await task
        finally:
            trap.close()
    label = f"while the slow-text script runs ({took:.1f} s in all)"
    print(f"  {label:48} {spread(canary.latencies)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each input (default 3)")
    runs = parser.parse_args().runs
    asyncio.run(query_api(runs))
    asyncio.run(ten_thousand_rules(runs))
    service_calls()
    lab_listing(runs)
    user_data(runs)
    asyncio.run(listener_under_abuse())


if __name__ == "__main__":
    main()
