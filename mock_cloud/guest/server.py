"""The guest process: one instance's OS, interpreter and web servers behind the JSON-lines protocol.

The interpreter runs on one worker thread, so the guest's loop keeps serving HTTP and answering
`status` while a script burns its budget; operations run one at a time, in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.guestos.vfs import VfsError
from mock_cloud.guestos.web import clock as web_clock
from mock_cloud.guestos.web.listener import WebServer
from mock_cloud.loops import new_event_loop, tune_collector  # uvloop on Linux and macOS: faster web servers

ACCESS_LOG_LIMIT = 256 * 1024
WATCHDOG_SECONDS = 0.2  # how often the watchdog thread checks that the cloud is still there
WORKER_STACK = 64 * 1024 * 1024  # deep (but bounded) recursion in the interpreter needs room
MEMORY_LIMIT = 2 * 1024**3  # address space of one guest (Linux): a YAML bomb ends as MemoryError
STATE_OPS = frozenset({"boot", "user_data", "shell", "write_file", "shutdown"})
ACCESS_LOG_FLUSH_SECONDS = 1.0  # buffered access-log lines reach the guest's files this often
# ...and the cloud's state file this often when no operation carries them sooner: Linux's own
# dirty-page writeback interval (vm.dirty_writeback_centisecs = 500), so a crash loses what it would
# lose on a real instance, and a busy web server costs the cloud one state save per 5 s, not one per request.
STATE_PUSH_SECONDS = 5.0


class Clock:
    """Cloud time as the last request told it (scale 0: the cloud's clock is paused)."""

    def __init__(self) -> None:
        self.base, self.real, self.scale = time.time(), time.monotonic(), 1.0

    def set(self, now: float, scale: float) -> None:
        self.base, self.real, self.scale = now, time.monotonic(), scale

    def now(self) -> float:
        return self.base + (time.monotonic() - self.real) * self.scale


class Guest:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.clock = Clock()
        web_clock.follow(self.clock.now)
        self.os: InstanceOS | None = None
        self.servers: dict[int, WebServer] = {}
        self.sessions: dict[str, Any] = {}
        self.access_logs: dict[int, AccessLog] = {}  # by port, as `servers`
        self.busy = False  # an operation is running (the interpreter thread may be changing the OS)
        self.push_pending: asyncio.TimerHandle | None = None
        self.worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="interpreter")
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    # -- plumbing --------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
        self.out.flush()

    async def serve(self) -> None:
        """Operations run one at a time, in order; `status` and `hang` jump the queue."""
        while True:
            request = await self.queue.get()
            self.busy = True
            try:
                await self.answer(request)
            finally:
                self.busy = False
            if request["op"] == "shutdown":
                return

    def received(self, request: dict[str, Any]) -> None:
        self.clock.set(float(request.get("now", time.time())), float(request.get("scale", 1.0)))
        if request["op"] == "clock":  # the cloud's clock was stepped or rescaled: nothing to answer
            return
        if request["op"] == "status":
            asyncio.get_running_loop().create_task(self.answer(request))
        elif request["op"] == "hang":
            threading.Event().wait()  # lblab's failure drill: the whole guest stops answering, as a hung kernel
        else:
            self.queue.put_nowait(request)

    async def answer(self, request: dict[str, Any]) -> None:
        op = request["op"]
        reply: dict[str, Any] = {"id": request["id"]}
        try:
            result = await getattr(self, "op_" + op)(request)
            reply.update(ok=True, result=result)
        except (ValueError, KeyError, VfsError, RecursionError, MemoryError) as error:
            reply.update(ok=False, error=f"{type(error).__name__}: {error}")
        except Exception as error:  # a bug in the emulation: the guest's own log gets it, never a silent task
            self.log_failure(op, error)
            reply.update(ok=False, error=f"{type(error).__name__}: {error}")
        if op in STATE_OPS and self.os is not None:  # only these change the OS or the listeners
            reply["ports"] = {str(port): server.port for port, server in self.servers.items() if server.port}
            reply["os"] = self.state(self.os)
        self.send(reply)

    def state(self, system: InstanceOS) -> dict[str, Any]:
        """The whole OS state for the cloud, with every access-log line so far."""
        for access_log in self.access_logs.values():
            access_log.flush()
        if self.push_pending is not None:  # this state carries what the push was for
            self.push_pending.cancel()
            self.push_pending = None
        return system.to_dict()

    def state_changed(self) -> None:
        """The web servers logged: the cloud gets the OS state within STATE_PUSH_SECONDS, unasked."""
        if self.push_pending is None:
            self.push_pending = asyncio.get_running_loop().call_later(STATE_PUSH_SECONDS, self.push_state)

    def push_state(self) -> None:
        """An unsolicited `{"id": null, "os": ...}`: the cloud saves it as it saves any reply's state.
        Never while an operation runs (its thread may be changing the OS): the push waits another round,
        unless that operation's reply carries the state first."""
        self.push_pending = None
        if self.os is None:
            return
        if self.busy:
            self.state_changed()
            return
        self.send({"id": None, "os": self.state(self.os)})

    def log_failure(self, op: str, error: BaseException) -> None:
        if self.os is None:
            return
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        self.os.log_system("lblab-guest", f"operation {op} failed: {last}")

    async def in_worker(self, work: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.worker, work)

    @property
    def system(self) -> InstanceOS:
        if self.os is None:
            raise ValueError("the guest has not booted")
        return self.os

    # -- operations ----------------------------------------------------------------------------------
    async def op_boot(self, request: dict[str, Any]) -> dict[str, Any]:
        self.os = InstanceOS.from_dict(request["os"])
        self.os.clock = self.clock.now
        self.os.boot()
        await self.follow_services()
        return {}

    async def op_user_data(self, request: dict[str, Any]) -> dict[str, Any]:
        system = self.system
        text = request["user_data"]

        def run() -> str:
            from mock_cloud.guestos.cloud_init import run_user_data  # local: only a first boot needs the interpreter

            try:
                return run_user_data(system, text)
            except (RecursionError, MemoryError) as error:  # cloud-init itself would die here: say so
                line = f"lblab: cloud-init stopped: {type(error).__name__} while reading the user data\n"
                system.fs.write_text("/var/log/cloud-init-output.log", line, append=True)
                return line

        log = await self.in_worker(run)
        await self.follow_services()
        return {"log": log}

    async def op_shell_open(self, request: dict[str, Any]) -> dict[str, Any]:
        from mock_cloud.guestos.shell.session import Shell  # local: see op_user_data

        shell = Shell(self.system, user=request.get("user"))
        self.sessions[request["session"]] = shell
        return {"prompt": shell.prompt, "user": shell.user}

    async def op_shell(self, request: dict[str, Any]) -> dict[str, Any]:
        shell = self.sessions[request["session"]]
        result = await self.in_worker(lambda: shell.run(request["line"]))
        if result.closed:  # `exit` at the login shell: the session is over in the guest too
            del self.sessions[request["session"]]
        await self.follow_services()
        return {"output": result.output, "exit_code": result.exit_code, "closed": result.closed,
                "prompt": shell.prompt, "user": shell.user}

    async def op_shell_close(self, request: dict[str, Any]) -> dict[str, Any]:
        self.sessions.pop(request["session"], None)
        return {}

    async def op_read_file(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"text": self.system.fs.read_text(request["path"])}

    async def op_write_file(self, request: dict[str, Any]) -> dict[str, Any]:
        fs = self.system.fs
        fs.write_text(request["path"], request["text"])
        if request.get("mode") is not None:
            fs.chmod(request["path"], int(request["mode"]))
        await self.follow_services()
        return {}

    async def op_status(self, request: dict[str, Any]) -> dict[str, Any]:
        services = self.os.services.items() if self.os is not None else ()
        return {"services": {name: "active" if s.active else "failed" if s.failed else "inactive"
                             for name, s in services}, "sessions": len(self.sessions)}

    async def op_shutdown(self, request: dict[str, Any]) -> dict[str, Any]:
        for server in self.servers.values():
            await server.stop()
        self.servers.clear()
        if self.os is not None:
            self.os.reset_boot_state()
        return {}

    # -- web servers ---------------------------------------------------------------------------------
    async def follow_services(self) -> None:
        """Make the real servers match the active web services (one per port: the guest itself
        refuses a second server on a taken port, as a real host would)."""
        system = self.system
        wanted = {service.port: service for service in system.web_servers()}
        for port, server in list(self.servers.items()):
            service = wanted.get(port)
            if service is None or server.flavor != service.flavor or server.docroot != service.docroot:
                await server.stop()
                del self.servers[port]
                self.access_logs.pop(port).flush()
        for port, service in wanted.items():
            if port not in self.servers:
                access_log = AccessLog(system, service.log_path, self.state_changed)
                server = WebServer()
                await server.start(system.fs, service.flavor, service.docroot, on_request=access_log.write)
                self.servers[port] = server
                self.access_logs[port] = access_log


class AccessLog:
    """Buffers a web server's access-log lines and appends them to its file about once a second:
    appending on every request would copy the whole log each time (hot path). Every reply that
    carries the OS state flushes first, and `on_flush` tells the guest to push the state itself
    when no operation comes (see STATE_PUSH_SECONDS)."""

    def __init__(self, system: InstanceOS, path: str, on_flush: Callable[[], None]) -> None:
        self.fs = system.fs
        self.path = path
        self.on_flush = on_flush
        self.pending: list[str] = []

    def write(self, line: str) -> None:
        if not self.pending:
            asyncio.get_running_loop().call_later(ACCESS_LOG_FLUSH_SECONDS, self.flush)
        self.pending.append(line + "\n")

    def flush(self) -> None:
        if not self.pending:
            return
        text = "".join(self.pending)
        self.pending.clear()
        try:
            old = self.fs.read_bytes(self.path) if self.fs.is_file(self.path) else b""
            self.fs.write_bytes(self.path, (old + text.encode("utf-8"))[-ACCESS_LOG_LIMIT:])
        except VfsError:
            return  # a full or broken disk stops logging, never serving
        self.on_flush()


# == process plumbing ==================================================================================


def _read_requests(stdin: IO[bytes], loop: asyncio.AbstractEventLoop, guest: Guest) -> None:
    """A thread, not the loop, reads stdin: portable (Windows pipes) and alive while the loop hangs."""
    for raw in stdin:
        try:
            request = json.loads(raw)
        except ValueError:
            continue
        loop.call_soon_threadsafe(guest.received, request)
    os._exit(0)  # EOF: the cloud closed the pipe or died; a guest never outlives its cloud


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def _limit_self() -> None:
    """Linux: die with the cloud (even on kill -9), and bound the guest's memory."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def main() -> None:
    parent = os.getppid()
    _limit_self()
    # The protocol owns the real stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    threading.stack_size(WORKER_STACK)
    tune_collector()
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    guest = Guest(out)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watchdog").start()
    threading.Thread(target=_read_requests, args=(sys.stdin.buffer, loop, guest), daemon=True,
                     name="requests").start()
    try:
        loop.run_until_complete(guest.serve())
    finally:
        out.flush()
        os._exit(0)  # don't wait for the reader thread blocked on stdin
