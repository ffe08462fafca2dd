"""The web server of `lblab web`: Textualize's textual-serve, on 127.0.0.1 only.

textual-serve starts one process per browser tab (a websocket) and relays its screen and keys; that process is
`tui.web.tab` with the console's arguments, so each tab runs the same console `lblab` runs in a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import shlex
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

from mock_cloud import default_state_path
from tui.i18n import Translator

LOOPBACK = "127.0.0.1"
# The tab's driver (tui/web/driver.py), named rather than imported: the server itself never loads Textual.
DRIVER_PATH = "tui.web.driver:TabDriver"
TEMPLATES = Path(__file__).with_name("templates")
# A tab's console gets this long to save and exit once lblab web stops; then the server goes anyway (the console
# still ends when its stdin closes: see TabDriver).
TAB_EXIT_SECONDS = 10.0
# The names a browser on this machine reaches 127.0.0.1 by; any other Host is a page of another site that rebound
# its DNS name to loopback, and any other Origin is another site's script opening a console.
LOCAL_NAMES = frozenset({LOOPBACK, "localhost"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def tab_command(console_argv: list[str]) -> str:
    """The shell command textual-serve runs for each tab. `exec` makes the console the process textual-serve
    waits on, and TEXTUAL_DRIVER (textual-serve sets Textual's web driver) names ours."""
    words = ["exec", "env", f"TEXTUAL_DRIVER={DRIVER_PATH}", sys.executable, "-m", "tui.web.tab", *console_argv]
    return shlex.join(words)


def listening_socket(port: int) -> tuple[socket.socket, str | None]:
    """A socket on 127.0.0.1:port, or on a free port (with a notice saying so) when that one is taken."""
    try:
        return _bound(port), None
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
    sock = _bound(0)
    return sock, f"port {port} is taken; serving on port {sock.getsockname()[1]} instead"


def _bound(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


class ConsoleServer(Server):
    """textual-serve's server, bound to 127.0.0.1, with lblab's page, and every tab's console ended on stop."""

    def __init__(self, console_argv: list[str], lang: str) -> None:
        super().__init__(tab_command(console_argv), host=LOOPBACK, port=0, title="lblab",
                         templates_path=TEMPLATES)
        self.t = Translator(lang)
        self._tabs: set[asyncio.Task[object]] = set()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return self.public_url + "/"

    async def start(self, port: int) -> str | None:
        """Listen on 127.0.0.1:port (another free port when it is taken: the notice says so)."""
        sock, notice = listening_socket(port)
        self.port = sock.getsockname()[1]
        # The page's websocket and static URLs are built from this (textual-serve computed it from port 0).
        self.public_url = f"http://{LOOPBACK}:{self.port}"
        self._runner = web.AppRunner(await self._make_app(), handle_signals=False,
                                     shutdown_timeout=TAB_EXIT_SECONDS)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return notice

    async def stop(self) -> None:
        """End every tab's console (each saves its cloud as it exits), then the server."""
        for task in self._tabs:
            task.cancel()
        if self._tabs:
            await asyncio.wait(set(self._tabs), timeout=TAB_EXIT_SECONDS)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._local_only)
        aiohttp_jinja2.get_env(app).globals.update(t=self.t, lang=self.t.lang)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a banner here; `lblab web` prints its own."""

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        task = asyncio.current_task()
        assert task is not None
        self._tabs.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._tabs.discard(task)

    @web.middleware
    async def _local_only(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if not self._is_ours(request.host) or (origin is not None and not self._is_ours(urlsplit(origin).netloc)):
            raise web.HTTPForbidden(text="lblab web answers pages of http://127.0.0.1 on this port only\n")
        return await handler(request)

    def _is_ours(self, authority: str) -> bool:
        parts = urlsplit(f"//{authority}")
        try:
            port = parts.port or 80
        except ValueError:
            return False
        return parts.hostname in LOCAL_NAMES and port == self.port


async def serve_until_stopped(server: ConsoleServer, port: int) -> int:
    """`lblab web`: serve until Ctrl-C (or SIGTERM)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        notice = await server.start(port)
    except OSError as exc:
        print(f"lblab: cannot serve on {LOOPBACK}:{port} ({exc.strerror or exc}); pick another --port",
              file=sys.stderr)
        return 1
    if notice:
        print(f"lblab: {notice}", file=sys.stderr)
    print(f"lblab web: open {server.url} (each tab runs its own console; Ctrl-C stops)", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
    print("lblab web: stopped.", flush=True)
    return 0


def console_argv(args: argparse.Namespace, lang: str) -> list[str]:
    """`lblab`'s arguments for the console in each tab: the same state file, clock, language and lab for all."""
    argv = ["--state", str(args.state or default_state_path()), "--time-scale", repr(args.time_scale), "--lang", lang]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.lab is not None:
        argv += ["lab", args.lab]
    return argv


def web_command(args: argparse.Namespace) -> int:
    from tui.cli import default_lang, lab_exists

    if args.lab is not None and not lab_exists(args.lab):
        return 2
    lang = args.lang or default_lang()
    argv = console_argv(args, lang)
    print(f"lblab web: state file {argv[1]}", flush=True)
    return asyncio.run(serve_until_stopped(ConsoleServer(argv, lang), args.port))
