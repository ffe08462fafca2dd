"""The cloud clock: scaled time, a paused clock moved by hand, timers fired in order."""

from __future__ import annotations

import asyncio
import time

import pytest

from mock_cloud.clock import Clock


async def test_paused_clock_does_not_move() -> None:
    clock = Clock(scale=0, start=1000.0)
    await asyncio.sleep(0.05)
    assert clock.now() == 1000.0


async def test_advance_fires_timers_in_deadline_order_and_lands_on_target() -> None:
    clock = Clock(scale=0, start=0.0)
    fired: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        fired.append((name, clock.now()))

    for name, seconds in (("c", 30), ("a", 5), ("b", 10)):
        clock.spawn(sleeper(name, seconds))
    await clock.advance(12)
    assert fired == [("a", 5.0), ("b", 10.0)]
    assert clock.now() == 12.0
    await clock.advance(20)
    assert fired[-1] == ("c", 30.0)
    await clock.close()


async def test_advance_counts_periodic_work_exactly() -> None:
    """A 30 s interval over 150 s runs exactly five times: health thresholds rely on it."""
    clock = Clock(scale=0, start=0.0)
    ticks: list[float] = []

    async def periodic() -> None:
        while True:
            await clock.sleep(30)
            ticks.append(clock.now())

    task = clock.spawn(periodic())
    await clock.advance(150)
    assert ticks == [30.0, 60.0, 90.0, 120.0, 150.0]
    task.cancel()
    await clock.close()


async def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = Clock(scale=100, start=0.0)
    started = time.monotonic()
    await clock.sleep(10)  # 10 cloud seconds = 0.1 real seconds
    # Below the 10 s an unscaled clock would take, with room for a busy machine's scheduling.
    assert 0.08 <= time.monotonic() - started < 8.0
    assert clock.now() >= 10
    await clock.close()


async def test_changing_scale_reschedules_sleepers() -> None:
    clock = Clock(scale=1, start=0.0)
    sleeper = asyncio.ensure_future(clock.sleep(50))
    await asyncio.sleep(0.01)
    clock.set_scale(1000)  # the remaining ~50 s now take ~0.05 s
    await asyncio.wait_for(sleeper, timeout=25)  # unscaled, it would take ~50 s
    await clock.close()


def test_negative_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        Clock(scale=-1)
