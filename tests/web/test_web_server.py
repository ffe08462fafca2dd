"""`lblab web`'s server without a browser: loopback only, a free port when the asked one is taken, and no page or
console for another site (DNS rebinding, a foreign page's script opening a console)."""

from __future__ import annotations

import asyncio
import signal

import aiohttp
import pytest

from tests.support.processes import alive, children_of
from tests.support.web import PATIENCE, lblab_web, poll
from tui.web.server import LOOPBACK, ConsoleServer, listening_socket, tab_command


def test_a_taken_port_gives_a_free_one_with_a_notice() -> None:
    taken, _ = listening_socket(0)
    port = taken.getsockname()[1]
    with taken:
        sock, notice = listening_socket(port)
        with sock:
            host, other = sock.getsockname()
    assert host == LOOPBACK and other != port
    assert notice == f"port {port} is taken; serving on port {other} instead"


def test_each_tab_runs_the_console_with_the_given_arguments() -> None:
    command = tab_command(["--state", "/tmp/my cloud/state.json", "--lang", "ko", "lab", "alb-basics"])
    assert command.startswith("exec env TEXTUAL_DRIVER=tui.web.driver:TabDriver ")
    assert command.endswith("-m tui.web.tab --state '/tmp/my cloud/state.json' --lang ko lab alb-basics")


async def test_only_pages_of_127_0_0_1_on_its_port_are_served(tmp_path) -> None:
    server = ConsoleServer(["--state", str(tmp_path / "state.json")], "en")
    await server.start(0)
    local = f"{LOOPBACK}:{server.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async def status(path: str = "/", **headers: str) -> int:
                async with http.get(f"http://{local}{path}", headers=headers) as response:
                    return response.status

            assert await status() == 200
            assert await status(Host=f"localhost:{server.port}") == 200
            page = await (await http.get(server.url)).text()
            assert f'data-session-websocket-url="ws://{local}/ws"' in page
            assert "googleapis" not in page  # nothing is fetched from outside this machine
            assert await status(Host=f"rebound.example:{server.port}") == 403
            assert await status(Host=f"{LOOPBACK}:1") == 403
            assert await status("/ws", Origin="http://evil.example") == 403
            assert await status("/static/js/textual.js", Origin=f"http://{local}") == 200
    finally:
        await server.stop()


@pytest.mark.long
@pytest.mark.timeout(300)  # a console start and end: slow on a loaded machine
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
async def test_no_console_outlives_lblab_web(tmp_path, stop: signal.Signals) -> None:
    """Ctrl-C ends every tab's console (each saves as it quits); a killed lblab web closes their stdin, and they end
    too."""
    async with lblab_web("--state", str(tmp_path / "state.json"), "--lang", "en") as web, \
            aiohttp.ClientSession() as http, \
            http.ws_connect(web.url.replace("http://", "ws://") + "ws?width=120&height=40") as tab:
        assert await asyncio.wait_for(tab.receive_bytes(), PATIENCE)  # the tab's console draws
        consoles = children_of(web.process.pid)
        assert len(consoles) == 1
        # The tab reads on, as a browser's does: the server's closing handshake waits for its answer (aiohttp
        # gives a silent peer 10 s).
        reading = asyncio.ensure_future(_read_until_closed(tab))
        web.process.send_signal(stop)
        await poll(lambda: not any(alive(pid) for pid in consoles), "the console to end")
        await web.process.wait()
        await reading
    assert web.process.returncode == (0 if stop == signal.SIGINT else -stop)


async def _read_until_closed(tab: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in tab:
        pass
