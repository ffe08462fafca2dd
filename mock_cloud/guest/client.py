"""The cloud's side of a guest: the process, its requests and replies (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import mock_cloud

GRACE_SECONDS = 5.0  # a guest asked to shut down gets this long before it is killed
STDERR_TAIL = 4096  # what is kept of a guest's stderr, for the console output when it dies
LINE_LIMIT = 1 << 30  # one reply carries the whole OS state (files, logs)
ROOT = str(Path(mock_cloud.__file__).resolve().parent.parent)


class CloudClock(Protocol):
    @property
    def scale(self) -> float: ...

    def now(self) -> float: ...


class GuestGone(Exception):
    """The guest died, was stopped, or did not answer in time."""


class GuestError(Exception):
    """The guest answered that the operation failed."""


class Guest:
    """One running guest process. `on_state` gets every OS state the guest sends (it must save it:
    the reply is acknowledged once it returns); `on_exit` is called once if the process ends
    without being asked to."""

    def __init__(self, name: str, clock: CloudClock, on_state: Callable[[dict[str, Any]], None],
                 on_exit: Callable[[Guest], None]) -> None:
        self.name = name
        self.clock = clock
        self.on_state = on_state
        self.on_exit = on_exit
        self.ports: dict[int, int] = {}
        self.stderr_tail = b""
        self.returncode: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.unreachable = False  # stopped answering (hung): the cloud no longer waits for it

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self.returncode is None

    def give_up(self, why: str) -> None:
        """The guest stopped answering: fail what waits on it, and every later request."""
        self.unreachable = True
        self._fail_pending(why)

    async def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mock_cloud.guest", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, limit=LINE_LIMIT)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read(), name=f"guest-{self.name}"),
                       loop.create_task(self._drain_stderr(), name=f"guest-{self.name}-stderr")]

    # -- requests ----------------------------------------------------------------------------------
    def send(self, op: str, **args: Any) -> int:
        if not self.alive or self.unreachable or self._proc is None or self._proc.stdin is None:
            raise GuestGone(f"guest {self.name} is not running or not answering")
        request_id = next(self._ids)
        message = {"id": request_id, "op": op, "now": self.clock.now(), "scale": self.clock.scale, **args}
        self._proc.stdin.write(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
        return request_id

    def tell_time(self) -> None:
        """After the cloud's clock was stepped or rescaled: every request carries the time, this one only it."""
        if self.alive and not self.unreachable:
            with contextlib.suppress(GuestGone, ConnectionError):
                self.send("clock")

    async def call(self, op: str, timeout: float | None = None, **args: Any) -> dict[str, Any]:
        """Send one operation and wait for its result (its OS state is saved before this returns)."""
        request_id = self.send(op, **args)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise GuestGone(f"guest {self.name} did not answer {op} in {timeout} s") from None
        finally:
            self._pending.pop(request_id, None)
        # A reply that lands just as the caller is cancelled would drop the cancel (see below): the
        # reachability probe then went on probing a guest whose stop was waiting for it, for ever.
        _raise_if_cancel_was_swallowed()
        if not reply.get("ok"):
            raise GuestError(str(reply.get("error", "failed")))
        return dict(reply.get("result") or {})

    # -- ending ----------------------------------------------------------------------------------------
    async def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Graceful (its last OS state is saved), then killed after `grace` real seconds."""
        self._stopping = True
        proc = self._proc
        if proc is None:
            return
        try:
            if self.alive and not self.unreachable:
                with contextlib.suppress(GuestGone, GuestError, ConnectionError):
                    await self.call("shutdown", timeout=grace)
            if proc.stdin is not None:
                proc.stdin.close()
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            pass
        finally:  # also when the stop itself is cancelled: a guest never outlives its stop
            self.kill()
            self.ports.clear()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        _raise_if_cancel_was_swallowed()

    def kill(self) -> None:
        """SIGKILL (TerminateProcess on Windows): the guest gets no say."""
        if self._proc is not None and self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()

    # -- internals -------------------------------------------------------------------------------------
    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            async for line in self._proc.stdout:
                with contextlib.suppress(ValueError):  # a torn line from a dying guest
                    self._received(json.loads(line))
        except asyncio.CancelledError:
            self.kill()  # the cloud's loop is going away without a shutdown: the guest goes too
            self._release()
            raise
        try:
            self.returncode = await asyncio.wait_for(self._proc.wait(), GRACE_SECONDS)
        except TimeoutError:  # stdout closed but the process lingers: it is gone for the cloud
            self.kill()
            self.returncode = await self._proc.wait()
        self._release()
        self.ports.clear()
        self._fail_pending(f"guest {self.name} ended (exit code {self.returncode})")
        if not self._stopping:
            self.on_exit(self)

    def _release(self) -> None:
        """Close the process's pipes. asyncio never closes a subprocess's transport itself: left to the garbage
        collector, it is closed after the loop, which prints "Event loop is closed" to stderr. Process has no
        public close."""
        assert self._proc is not None
        self._proc._transport.close()  # type: ignore[attr-defined]

    def _fail_pending(self, why: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(GuestGone(why))

    def _received(self, reply: dict[str, Any]) -> None:
        if "ports" in reply:
            self.ports = {int(port): local for port, local in reply["ports"].items()}
        if "os" in reply:
            self.on_state(reply["os"])
        future = self._pending.get(reply.get("id", 0))
        if future is not None and not future.done():
            future.set_result(reply)

    async def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while chunk := await self._proc.stderr.read(65536):
            self.stderr_tail = (self.stderr_tail + chunk)[-STDERR_TAIL:]


def _raise_if_cancel_was_swallowed() -> None:
    """Python 3.11's wait_for returns the result of a future that completes just as its task is cancelled,
    dropping the cancel (gh-86296, fixed in 3.12): a stop cancelled while its guest exits would then go on
    into the lifecycle's next clock sleep and, on a paused clock, never end. The request is still counted
    on the task, so it is honoured here."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
