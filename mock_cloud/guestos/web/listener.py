"""`WebServer`: an instance's web server as a real HTTP/1.1 listener on 127.0.0.1.

The listener is an asyncio.Protocol on the cloud's one HTTP/1 parser (`mock_cloud.http1`, the
balancer's and the edge's too, so no message reads as one request here and as two there)
rather than aiohttp's server: a static file server needs only heads and body skipping, and
skipping aiohttp's request objects, middlewares and per-request tasks makes it several times
faster, which matters because it is the backend of the load-balancer benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from mock_cloud.guestos.vfs import VirtualFS
from mock_cloud.guestos.web.clock import log_date
from mock_cloud.guestos.web.flavors import FLAVORS, HttpResponse, flavor_of
from mock_cloud.guestos.web.render import error_page, render, stamped
from mock_cloud.http1 import (
    BadChunk,
    ChunkedReader,
    HttpError,
    Limits,
    ParsedRequest,
    RequestParser,
    half_close,
    reason_phrase,
    skip_empty_lines,
)

log = logging.getLogger(__name__)

AccessLogger = Callable[[str], None]

# Apache's Timeout directive: how long a half-received request may sit before we give up.
REQUEST_TIMEOUT = 60.0
# After answering and hanging up, how long unread client bytes are still drained (Apache's
# lingering close): closing with unread input sends a RST that can destroy the answer in flight.
LINGER_TIMEOUT = 2.0
SWEEP_INTERVAL = 1.0


# Head limits: request line 16K → 414, one header 16K or all 64K → 400. ALB's, not the stock
# servers' (Apache's LimitRequestLine/LimitRequestFieldSize are 8190, nginx's buffers 8K), so
# that every request the balancer passes on reaches the page, as it always has in lblab.
LIMITS = Limits(request_line=16 * 1024, header_line=16 * 1024, headers=64 * 1024, too_large=400)
_PARSER = RequestParser(LIMITS)


@dataclass(slots=True)
class _Request:
    parsed: ParsedRequest
    headers: dict[str, str]  # lower-case name -> values joined by ", "

    @property
    def request_line(self) -> str:
        parsed = self.parsed
        return f"{parsed.method} {parsed.target} HTTP/{parsed.version}"


def _header_map(parsed: ParsedRequest) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in parsed.headers():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class _HttpProtocol(asyncio.Protocol):
    """One client connection: parses pipelined HTTP/1.x requests and answers them in order."""

    def __init__(self, server: WebServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._peer = "-"
        self._buf = bytearray()
        self._request: _Request | None = None
        self._scan_from = 0  # how much of an incomplete head in `_buf` is known to be valid
        self._body_left = 0  # Content-Length bytes still to skip
        self._chunks: ChunkedReader | None = None  # the framing of a chunked body being skipped
        self._served = 0
        self._paused = False
        self._closing = False
        self._lingering = False
        self.last_active = time.monotonic()

    # -- asyncio callbacks ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, but not necessarily asyncio's own class (uvloop has its own).
        self._transport = cast("asyncio.Transport", transport)
        peer = transport.get_extra_info("peername")
        self._peer = peer[0] if peer else "-"
        self._server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._server._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        self.last_active = time.monotonic()
        self._buf += data
        if not self._paused:
            self._process()

    def pause_writing(self) -> None:
        # The client is not reading its responses: stop reading its requests too.
        self._paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self._transport is not None and not self._closing:
            self._transport.resume_reading()
            self._process()

    # -- state ---------------------------------------------------------------------------------
    def expired(self, now: float) -> bool:
        if self._lingering:
            limit = LINGER_TIMEOUT
        elif self._request is None and not self._buf:
            limit = self._server._flavor.keepalive_timeout
        else:
            limit = REQUEST_TIMEOUT
        return now - self.last_active > limit

    def hang_up(self) -> None:
        """Close after the last response: send FIN, keep discarding input until the client closes."""
        self._closing = self._lingering = True
        self._buf.clear()
        self.last_active = time.monotonic()
        if self._transport is not None:
            half_close(self._transport)

    def close(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    # -- request processing --------------------------------------------------------------------
    def _process(self) -> None:
        try:
            while not self._closing and not self._paused:
                if self._request is None and not self._read_head():
                    return
                if not self._skip_body():
                    return
                self._respond()
        except HttpError as error:
            self._reply_error(error.status)

    def _read_head(self) -> bool:
        buf = self._buf
        if buf.startswith((b"\r", b"\n")):
            del buf[: len(buf) - len(skip_empty_lines(buf))]
        if not buf:
            return False  # the usual end of a burst: nothing to parse
        parsed = _PARSER.parse(buf, self._scan_from)
        if parsed is None:
            self._scan_from = len(buf)
            return False
        del buf[: parsed.head_bytes]
        self._scan_from = 0
        request = _Request(parsed, _header_map(parsed))
        self._start_body(request)
        self._request = request
        return True

    def _start_body(self, request: _Request) -> None:
        parsed = request.parsed
        if parsed.chunked:
            self._chunks = ChunkedReader()
        elif parsed.content_length > 0:
            self._body_left = parsed.content_length
        expect = request.headers.get("expect")
        if parsed.has_body and parsed.version == "1.1" and expect and "100-continue" in expect.lower():
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _skip_body(self) -> bool:
        """Discard the request body as it arrives; True once all of it has been seen."""
        if self._body_left:
            n = min(len(self._buf), self._body_left)
            del self._buf[:n]
            self._body_left -= n
            return self._body_left == 0
        chunks = self._chunks
        if chunks is None:
            return True
        try:
            del self._buf[: chunks.feed(self._buf)]
        except BadChunk as exc:
            raise HttpError(400, str(exc)) from None
        if not chunks.done:
            return False
        self._chunks = None
        return True

    def _respond(self) -> None:
        request = self._request
        assert request is not None and self._transport is not None
        self._request = None
        srv = self._server
        parsed = request.parsed
        try:
            resp = render(srv._fs, srv._flavor.name, srv._docroot, parsed.method, parsed.target, request.headers)
        except Exception:
            log.exception("web server failed to render %r", request.request_line)
            resp = stamped(srv._flavor, error_page(srv._flavor, 500))
        self._served += 1
        keep_alive = parsed.keep_alive and self._served < srv._flavor.max_keepalive_requests
        self._write(resp, keep_alive)
        srv._log_access(self._peer, request, resp)
        if not keep_alive:
            self.hang_up()

    def _write(self, resp: HttpResponse, keep_alive: bool) -> None:
        assert self._transport is not None
        fl = self._server._flavor
        lines = [f"HTTP/1.1 {resp.status} {reason_phrase(resp.status, nginx=fl.name == 'nginx')}"]
        lines.extend(f"{k}: {v}" for k, v in resp.headers.items())
        if not keep_alive:
            lines.append("Connection: close")
        elif fl.name == "apache":
            left = fl.max_keepalive_requests - self._served + 1
            lines.append(f"Keep-Alive: timeout={fl.keepalive_timeout:g}, max={left}")
            lines.append("Connection: Keep-Alive")
        else:
            lines.append("Connection: keep-alive")
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("latin-1", errors="replace")
        body = resp.body
        # One write for small responses (one syscall); large bodies are not copied into the head.
        if len(body) <= 16384:
            self._transport.write(head + body)
        else:
            self._transport.write(head)
            self._transport.write(body)

    def _reply_error(self, status: int) -> None:
        """Answer a request that cannot be read as one, and hang up: what follows it on the
        connection is never read as another request."""
        self._request = None
        self._write(stamped(self._server._flavor, error_page(self._server._flavor, status)), keep_alive=False)
        self.hang_up()


class WebServer:
    """An instance's httpd/nginx process: a real HTTP/1.1 server on a loopback ephemeral port."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._connections: set[_HttpProtocol] = set()
        self._fs = VirtualFS()
        self._flavor = FLAVORS["apache"]
        self._docroot = "/var/www/html"
        self._on_request: AccessLogger | None = None
        self._port: int | None = None

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def flavor(self) -> str:
        return self._flavor.name

    @property
    def docroot(self) -> str:
        return self._docroot

    async def start(
        self, fs: VirtualFS, flavor: str, docroot: str, *, on_request: AccessLogger | None = None
    ) -> int:
        """Listen on 127.0.0.1 (ephemeral port) and return the port. `on_request` gets one
        combined-format access log line per request, synchronously: keep it cheap."""
        if self._server is not None:
            raise RuntimeError("web server already running")
        self._fs = fs
        self._flavor = flavor_of(flavor)
        self._docroot = docroot
        self._on_request = on_request
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _HttpProtocol(self), "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep_idle())
        return self._port

    async def stop(self) -> None:
        """Close the listening socket and every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for conn in list(self._connections):
            conn.abort()
        self._connections.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await server.wait_closed()
        self._port = None

    async def _sweep_idle(self) -> None:
        # One periodic sweep instead of a timer per request keeps timeouts off the hot path.
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = time.monotonic()
            for conn in list(self._connections):
                if conn.expired(now):
                    conn.close()

    def _log_access(self, peer: str, request: _Request, resp: HttpResponse) -> None:
        if self._on_request is None:
            return
        headers = request.headers
        sent = len(resp.body)
        size = str(sent) if sent or self._flavor.name == "nginx" else "-"
        line = (
            f'{peer} - - [{log_date.get()}] "{request.request_line}" {resp.status} {size} '
            f'"{headers.get("referer", "-")}" "{headers.get("user-agent", "-")}"'
        )
        try:
            self._on_request(line)
        except Exception:
            log.exception("access log callback failed")
