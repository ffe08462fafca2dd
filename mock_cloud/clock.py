"""The cloud's clock: scaled real time for labs, or a manual clock for tests.

Cloud time runs `scale` times faster than real time (×30 turns a 30 s health-check
interval into one real second). A scale of 0 pauses it; `advance()` then moves it by
hand, waking every sleeper in deadline order and letting the cloud's activities settle
before the next one, so tests can count health checks exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# 2026-01-01T00:00:00Z: where a deterministic (seeded) cloud's time starts.
DETERMINISTIC_EPOCH = 1767225600.0
# How long advance() waits, in real seconds, for woken activities (doing real I/O) to settle.
SETTLE_LIMIT = 10.0


class Clock:
    def __init__(self, scale: float = 1.0, start: float | None = None) -> None:
        if scale < 0:
            raise ValueError("time scale must be >= 0")
        self._scale = scale
        self._base_cloud = time.time() if start is None else start
        self._base_real = time.monotonic()
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._wakeup: asyncio.Event | None = None
        self._driver: asyncio.Task[None] | None = None
        self._activities: set[asyncio.Task[Any]] = set()
        self._sleeping: set[asyncio.Task[Any]] = set()
        self._listeners: list[Callable[[], None]] = []

    # -- reading -------------------------------------------------------------
    @property
    def scale(self) -> float:
        return self._scale

    @property
    def manual(self) -> bool:
        return self._scale == 0

    def now(self) -> float:
        """Cloud time as a Unix timestamp."""
        return self._base_cloud + (time.monotonic() - self._base_real) * self._scale

    def on_change(self, callback: Callable[[], None]) -> None:
        """Called when the scale changes or time is advanced by hand (the header shows both)."""
        self._listeners.append(callback)

    # -- controlling -----------------------------------------------------------
    def set_scale(self, scale: float) -> None:
        if scale < 0:
            raise ValueError("time scale must be >= 0")
        self._rebase()
        self._scale = scale
        self._poke()
        self._notify()

    def resume_at(self, cloud_time: float) -> None:
        """Continue from a saved moment (on restore), so saved deadlines keep their meaning."""
        if self._timers:
            raise RuntimeError("resume_at() is for a fresh clock with no sleepers")
        self._base_cloud = cloud_time
        self._base_real = time.monotonic()
        self._notify()

    async def advance(self, seconds: float) -> None:
        """Move a paused clock forward, firing timers in order (for tests and 'step')."""
        if not self.manual:
            raise RuntimeError("advance() needs a paused clock (scale 0)")
        target = self._base_cloud + seconds
        await self._settle()
        while self._timers and self._timers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._timers)
            self._base_cloud = max(self._base_cloud, deadline)
            if not future.done():
                future.set_result(None)
            await self._settle()
        self._base_cloud = target
        self._notify()

    # -- waiting ---------------------------------------------------------------
    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of cloud time."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._timers, (self.now() + max(0.0, seconds), next(self._seq), future))
        self._ensure_driver()
        self._poke()
        task = asyncio.current_task()
        if task is not None:
            self._sleeping.add(task)
        try:
            await future
        finally:
            if task is not None:
                self._sleeping.discard(task)
            if not future.done():
                future.cancel()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
        """Start a cloud activity; advance() waits for activities to settle between timers."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._activities.add(task)
        task.add_done_callback(self._activities.discard)
        return task

    async def close(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            await asyncio.gather(self._driver, return_exceptions=True)
            self._driver = None

    # -- internals -------------------------------------------------------------
    def _rebase(self) -> None:
        self._base_cloud = self.now()
        self._base_real = time.monotonic()

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback()

    def _poke(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _ensure_driver(self) -> None:
        if self._driver is None or self._driver.done():
            self._wakeup = asyncio.Event()
            self._driver = asyncio.get_running_loop().create_task(self._drive(), name="clock-driver")

    async def _drive(self) -> None:
        """Fires due timers in real time while the clock runs; idles while it is paused."""
        assert self._wakeup is not None
        while True:
            self._wakeup.clear()
            while self._timers and self._timers[0][2].done():
                heapq.heappop(self._timers)  # cancelled sleepers
            delay: float | None = None
            if self._timers and not self.manual:
                due = self._timers[0][0] - self.now()
                if due <= 0:
                    _, _, future = heapq.heappop(self._timers)
                    future.set_result(None)
                    continue
                delay = due / self._scale
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    async def _settle(self) -> None:
        """Let woken activities run until each is done or asleep on this clock again."""
        deadline = time.monotonic() + SETTLE_LIMIT
        for _ in range(3):
            await asyncio.sleep(0)
        while time.monotonic() < deadline:
            busy = [t for t in self._activities if not t.done() and t not in self._sleeping]
            if not busy:
                return
            await asyncio.sleep(0.002)


async def wait_for_condition(check: Callable[[], bool], clock: Clock, cloud_seconds: float, step: float = 1.0) -> bool:
    """Poll `check` on the cloud clock (test helper for scaled clocks)."""
    waited = 0.0
    while not check():
        if waited >= cloud_seconds:
            return False
        if clock.manual:
            await clock.advance(step)
        else:
            await clock.sleep(step)
        waited += step
    return True
