"""Shared fixtures: a real cloud on loopback, deterministic and paused unless a test says otherwise."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import textual._wait as textual_wait
import textual.constants as textual_constants
from _pytest.unraisableexception import gc_collect_iterations_key

from mock_cloud import tune_collector
from mock_cloud.cloud import Cloud
from tests.support import frames, pilot, styles
from tests.support.cloud import CLOSE_SECONDS, make_config

# Compile the sources once. With PYTHONDONTWRITEBYTECODE set (some shells and CI images set it), each xdist worker
# and every process a test starts (guests, `lblab serve`, `lblab web`, consoles) compiled the project again: a few
# CPU seconds per worker and a tenth of one per guest, hundreds of times a run. Set here, before xdist starts its
# workers, so they and their children inherit it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Animations (a tab's underline sliding, a scroll) are frames on a timer: a picture taken between two of them
# depends on the machine's speed. Tests look at where things end up, as a learner does once they stop. Each
# app reads the level when it is created; the consoles tests start as processes, from the environment.
os.environ["TEXTUAL_ANIMATIONS"] = "none"
textual_constants.TEXTUAL_ANIMATIONS = "none"

# Pilot waits for the console to go idle after every key and every pause: it samples the process's CPU over
# 20 ms windows, twice per key, so a key cost at least 40 ms of sleep however fast the console handled it
# (19 s of the 44 s the keys-only alb-basics walkthrough took alone). A 10 ms window tells the same thing (no
# CPU spent across it) at half the cost. Shorter ones (5 ms) were taken for idle by a process the machine had
# merely not scheduled, beside CPU burners. What a test waits for beyond that, it waits for by condition.
textual_wait.SLEEP_GRANULARITY = 0.01
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20

# ... and between keys it waits for every widget to have handled its messages by sending each one a message:
# the wait now reads that instead (tests/support/pilot.py), ~190 messages fewer per key on a wizard.
pilot.install()

# Nor does it paint frames that its headless driver would throw away (tests/support/frames.py).
frames.install()

# Each console parses the same stylesheets: parsed once per test process instead (tests/support/styles.py).
styles.install()

# The tests run consoles and clouds in this process: it collects garbage as `lblab` and its guests do
# (mock_cloud/loops.py), which took the keys-only alb-basics walkthrough from 21 to 17 s of CPU.
tune_collector()


def pytest_configure(config: pytest.Config) -> None:
    """At its end each worker collects garbage five times over (pytest's unraisableexception plugin, for
    `__del__` errors that take several passes to surface) on a heap of ~0.9 M objects: ~1.8 s of CPU each, the
    run's last ~4 s. One pass still reports what the last tests left behind; no test of ours needs five."""
    config.stash[gc_collect_iterations_key] = 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first: xdist hands tests out in this order, two at a time (pyproject's --maxschedchunk 1),
    so the long ones start at once on different workers instead of one of them ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Cloud]:
    """A seeded cloud on a paused clock, saving to a temp state file, with its internet edge up."""
    c = Cloud(make_config(tmp_path))
    await c.start()
    yield c
    # Bounded, with every task's stack printed if it ever hangs: a close once hung here when a stopping
    # instance's lifecycle lost its cancel to Python 3.11's wait_for (see guest/client.py
    # _raise_if_cancel_was_swallowed); a hang must show where, not stall the suite.
    closing = asyncio.ensure_future(c.close())
    done, _ = await asyncio.wait([closing], timeout=CLOSE_SECONDS)
    if not done:
        for task in asyncio.all_tasks():
            task.print_stack(limit=8, file=sys.stderr)
        raise AssertionError(f"the cloud did not close in {CLOSE_SECONDS} s")
    closing.result()
