"""The "internet" of the lblab cloud: an HTTP forward proxy on 127.0.0.1.

A learner reaches public IPs and load balancer DNS names through it, e.g.
`curl -x http://127.0.0.1:4580 http://3.34.0.1/`. The cloud decides what each name means
through a resolver callback; the edge only moves bytes and turns the verdict into what a real
proxy would show: a forwarded response, a timeout (dropped by a firewall), "connection
refused" (nothing listening) or "no such host".

Hand-written on asyncio streams: aiohttp's server cannot take CONNECT tunnels, and a proxy
must stream bodies both ways without buffering and control framing and hop-by-hop headers
precisely, which is simpler to get right by hand than through a framework's request objects.
Heads and chunked bodies are read with the cloud's one strict HTTP/1 parser (`mock_cloud.http1`),
the one the balancer and the instances' web servers use: what the edge forwards as one message,
no server behind it can read as two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from mock_cloud.http1 import (
    BadChunk,
    BadResponse,
    HttpError,
    Limits,
    ParsedRequest,
    ParsedResponse,
    RequestParser,
    check_incomplete_response,
    chunk,
    connection_tokens,
    half_close,
    iter_chunked,
    parse_response,
    read_head,
    reason_phrase,
)
from mock_cloud.routes import LOOPBACK_HOSTS, Drop, Forward, Refused, Route, Unknown

log = logging.getLogger(__name__)

# Above every limit behind it (ALB's 16K/16K/64K, Apache's 8190), so that what a learner sends
# gets the verdict of the server addressed, as on the internet; 431 for the edge's own.
EDGE_LIMITS = Limits(request_line=64 * 1024, header_line=64 * 1024, headers=128 * 1024, too_large=431)
STREAM_LIMIT = EDGE_LIMITS.headers  # longest line a StreamReader hands over whole
COPY_CHUNK = 256 * 1024
IDLE_TIMEOUT = 60.0  # a client connection may sit this long between requests
CONNECT_TIMEOUT = 5.0
UPSTREAM_TIMEOUT = 60.0  # like nginx's proxy_read_timeout: how long we wait for a response head
# After the last answer, how long unread client bytes are still drained before closing: closing
# with unread input sends a RST, which can destroy the answer (say a 400) before it is read.
LINGER_TIMEOUT = 2.0

_WILDCARD_HOSTS = frozenset(("", "0.0.0.0", "::"))


def check_bind_host(host: str, allow_non_loopback: bool, what: str) -> None:
    """Servers of the cloud listen on loopback; any other address only when explicitly asked for
    (`lblab serve --bind`, which warns that whoever reaches it can drive the cloud)."""
    if host in LOOPBACK_HOSTS:
        return
    if not allow_non_loopback:
        raise ValueError(f"{what} listens on loopback only, not {host!r} (lblab serve --bind ADDRESS exposes it "
                         "on purpose)")


def local_host(bind_host: str) -> str:
    """The address a client on this machine uses to reach a server bound to `bind_host`."""
    return "127.0.0.1" if bind_host in _WILDCARD_HOSTS else bind_host
_HOP_BY_HOP = frozenset(
    (
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "trailers",
        "upgrade",
        "transfer-encoding",  # the edge re-frames bodies itself
    )
)
_PARSER = RequestParser(EDGE_LIMITS, absolute_form=True)
_UNKNOWN_HINT = (
    "Public names in this cloud are the public IPv4 addresses and DNS names of instances and the\n"
    "DNS names of load balancers; the lblab console lists them.\n"
)

# -- what the edge asks the cloud about a destination (the answer: mock_cloud/routes.py) ----------
Resolver = Callable[[str, int, str], Route]


# -- parsing ------------------------------------------------------------------------------------
class _BadRequest(Exception):
    """The client's request cannot be proxied; the message is shown to the learner."""


class _StaleUpstream(Exception):
    """A reused keep-alive connection was closed by the upstream before it answered."""


class _ResponseCut(Exception):
    """A response broke off after its head was sent; the client connection has been aborted."""


@dataclass
class _Request:
    parsed: ParsedRequest
    headers: list[tuple[str, str]]  # as received: order and spelling are forwarded unchanged
    host: str
    port: int
    authority: str  # Host header value to send upstream
    path: str  # origin-form target to send upstream

    @property
    def method(self) -> str:
        return self.parsed.method

    @property
    def version(self) -> str:
        return self.parsed.version

    @property
    def keep_alive(self) -> bool:
        return self.parsed.keep_alive and "close" not in _tokens(self.headers, "proxy-connection")

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


def _tokens(headers: list[tuple[str, str]], name: str) -> set[str]:
    return {t for key, value in headers if key.lower() == name for t in connection_tokens(value) if t}


def _parse_authority(authority: str, default_port: int | None) -> tuple[str, int]:
    """(lower-case host, port) from `host[:port]` or `[v6]:port`."""
    text = authority.strip().lower()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _BadRequest(f"bad host {authority!r}")
        port_text = rest[1:]
    else:
        host, _, port_text = text.partition(":")
    host = host.rstrip(".")
    if not host or any(c in host for c in "/@ \t?#"):
        raise _BadRequest(f"bad host {authority!r}")
    if not port_text:
        if default_port is None:
            raise _BadRequest(f"missing port in {authority!r}")
        return host, default_port
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise _BadRequest(f"bad port in {authority!r}")
    return host, int(port_text)


def _split_absolute(target: str) -> tuple[str, str]:
    """(authority, origin-form path) of an `http://` absolute-form target."""
    rest = target[len("http://") :].split("#", 1)[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    authority = authority.rpartition("@")[2]  # userinfo is never forwarded
    if not path.startswith("/"):
        path = "/" + path
    return authority, path


def _parse_request(parsed: ParsedRequest) -> _Request:
    method, target = parsed.method, parsed.target
    headers = parsed.headers()
    if method == "CONNECT":
        host, port = _parse_authority(target, None)
        return _Request(parsed, headers, host, port, target, "")
    if target.lower().startswith("http://"):
        authority, path = _split_absolute(target)
    elif target.lower().startswith("https://"):
        raise _BadRequest(
            "https:// URLs go through a CONNECT tunnel (curl and aiohttp do that by themselves)"
        )
    elif target.startswith("/"):
        authority, path = next((v for k, v in headers if k.lower() == "host"), ""), target
        if not authority:
            raise _BadRequest("a request without an absolute URL needs a Host header")
    else:
        raise _BadRequest(f"malformed request target {target[:200]!r}")
    host, port = _parse_authority(authority, 80)
    return _Request(parsed, headers, host, port, authority, path)


def _end_to_end(headers: list[tuple[str, str]], drop: set[str]) -> list[tuple[str, str]]:
    """Headers minus hop-by-hop ones, including those the Connection header lists."""
    skip = _HOP_BY_HOP | _tokens(headers, "connection") | _tokens(headers, "proxy-connection") | drop
    return [(k, v) for k, v in headers if k.lower() not in skip]


def _encode_head(start_line: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [start_line, *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1", errors="replace")


# -- body streaming -----------------------------------------------------------------------------
async def _iter_exact(reader: asyncio.StreamReader, size: int) -> AsyncIterator[bytes]:
    while size:
        piece = await reader.read(min(size, COPY_CHUNK))
        if not piece:
            raise asyncio.IncompleteReadError(b"", size)
        size -= len(piece)
        yield piece


async def _iter_until_eof(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while piece := await reader.read(COPY_CHUNK):
        yield piece


async def _send_body(
    pieces: AsyncIterator[bytes], writer: asyncio.StreamWriter, chunked: bool, head: bytes = b""
) -> None:
    """Stream `pieces`, re-framed as chunks if `chunked`. `head` rides along with the first
    piece so that a small response costs one send() instead of two."""
    pending = head
    async for piece in pieces:
        writer.write(pending + (chunk(piece) if chunked else piece))
        pending = b""
        await writer.drain()
    if chunked:
        pending += b"0\r\n\r\n"
    if pending:
        writer.write(pending)
        await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One direction of a CONNECT tunnel; passes the half-close on."""
    with contextlib.suppress(ConnectionError):
        async for piece in _iter_until_eof(reader):
            writer.write(piece)
            await writer.drain()
        half_close(writer.transport)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


# -- one client connection ----------------------------------------------------------------------
@dataclass
class _Upstream:
    host: str
    port: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable_for(self, route: Forward) -> bool:
        return (self.host, self.port) == (route.host, route.port) and not self.reader.at_eof()


class _ClientConnection:
    """Serves the requests of one client connection in order (HTTP/1.1 keep-alive)."""

    def __init__(
        self, edge: InternetEdge, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._edge = edge
        self._reader = reader
        self._writer = writer
        self._upstream: _Upstream | None = None
        self._head_only = False  # the current request is HEAD: the edge's own answers carry no body

    async def run(self) -> None:
        try:
            while await self._serve_one():
                pass
        finally:
            await self._drop_upstream()

    async def _serve_one(self) -> bool:
        """Handle one request; True if the client connection stays open for another."""
        self._head_only = False
        try:
            async with asyncio.timeout(IDLE_TIMEOUT):
                raw = await read_head(self._reader, _PARSER.check_incomplete)
            if raw is None:
                return False
            parsed = _PARSER.parse(raw)
            assert parsed is not None  # a whole head
            request = _parse_request(parsed)
        except (asyncio.IncompleteReadError, TimeoutError):
            return False
        except HttpError as exc:
            await self._reply(exc.status, f"{exc.detail}\n", False)
            return False
        except _BadRequest as exc:
            await self._reply(400, f"{exc}\n\n{self._edge.usage()}", False)
            return False
        self._head_only = request.method == "HEAD"
        chunked, length = parsed.chunked, max(parsed.content_length, 0)
        if self._edge.is_self(request.host, request.port):
            await self._reply(400, self._edge.usage(), False)
            return False
        route = self._edge.route(request)
        if route is None:
            await self._reply(502, f"Resolving {request.target} failed inside lblab.\n", False)
            return False
        if request.method == "CONNECT":
            await self._tunnel(request, route)
            return False
        has_body = chunked or length > 0
        if not isinstance(route, Forward):
            # An unread request body would be parsed as the next request: hang up instead.
            await self._reply_route(request, route, request.keep_alive and not has_body)
            return request.keep_alive and not has_body
        return await self._forward(request, route, chunked, length)

    # -- answers made by the edge itself -------------------------------------------------------
    async def _reply(self, status: int, text: str, keep_alive: bool) -> None:
        reason = reason_phrase(status)
        body = f"{status} {reason}\n\nlblab edge: {text}".encode()
        headers = [
            ("Server", "lblab-edge"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "keep-alive" if keep_alive else "close"),
        ]
        self._writer.write(_encode_head(f"HTTP/1.1 {status} {reason}", headers))
        if not self._head_only:
            self._writer.write(body)
        await self._writer.drain()

    async def _reply_route(
        self, request: _Request, route: Drop | Refused | Unknown, keep_alive: bool
    ) -> None:
        if isinstance(route, Drop):
            # A real proxy only learns the packets vanished when its connect timer fires.
            timeout = self._edge.drop_timeout
            await asyncio.sleep(timeout)
            text = (
                f"connecting to {request.target} timed out after {timeout:g} s: no answer came back.\n"
                "A timeout (rather than 'connection refused') usually means a firewall such as a\n"
                "security group or network ACL silently dropped the packets.\n"
            )
            await self._reply(504, text, keep_alive)
        elif isinstance(route, Refused):
            detail = route.reason or "Nothing listens on that port."
            await self._reply(
                502,
                f"connecting to {request.target} failed: connection refused.\n{detail.rstrip()}\n",
                keep_alive,
            )
        else:
            detail = route.reason or f"{request.host!r} does not exist in this lblab cloud.\n{_UNKNOWN_HINT}"
            await self._reply(502, f"unknown host {request.host!r}.\n{detail.rstrip()}\n", keep_alive)

    # -- CONNECT --------------------------------------------------------------------------------
    async def _tunnel(self, request: _Request, route: Route) -> None:
        if not isinstance(route, Forward):
            await self._reply_route(request, route, False)
            return
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                up_reader, up_writer = await asyncio.open_connection(route.host, route.port)
        except (OSError, TimeoutError):
            await self._reply_route(request, Refused(), False)
            return
        try:
            self._writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await self._writer.drain()
            await asyncio.gather(_pipe(self._reader, up_writer), _pipe(up_reader, self._writer))
        finally:
            await _close(up_writer)

    # -- plain HTTP forwarding -----------------------------------------------------------------
    async def _forward(self, request: _Request, route: Forward, chunked: bool, length: int) -> bool:
        head = self._upstream_head(request, route, chunked, length)
        has_body = chunked or length > 0
        for _attempt in range(2):
            try:
                upstream, reused = await self._connect(route)
            except (OSError, TimeoutError):
                await self._reply_route(request, Refused(), request.keep_alive and not has_body)
                return request.keep_alive and not has_body
            try:
                return await self._exchange(request, upstream, head, chunked, length)
            except _StaleUpstream:
                await self._drop_upstream()
                # Only a request whose body was not consumed can be sent again.
                if not reused or has_body:
                    break
            except HttpError as exc:
                await self._drop_upstream()
                await self._reply(exc.status, f"{exc.detail}\n", False)
                return False
            except BadResponse as exc:
                await self._drop_upstream()
                await self._reply(502, f"{request.target} sent an invalid HTTP response: {exc}\n", False)
                return False
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                await self._drop_upstream()
                break
            except TimeoutError:
                await self._drop_upstream()
                await self._reply(504, f"{request.target} did not answer in time.\n", False)
                return False
        await self._reply(502, f"{request.target} closed the connection without answering.\n", False)
        return False

    def _upstream_head(self, request: _Request, route: Forward, chunked: bool, length: int) -> bytes:
        replaced = {name.lower() for name in route.add_headers}
        # The edge routes by the URL, but like the real internet it delivers the Host header the
        # client chose: `curl -H 'Host: api.example.com' -x edge http://<alb-dns>/` must reach the
        # balancer's host-header rules exactly as it would on AWS.
        headers = [("Host", request.get("host") or request.authority)]
        headers += _end_to_end(request.headers, {"host", "content-length"} | replaced)
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif request.parsed.content_length >= 0:
            headers.append(("Content-Length", str(length)))
        headers += route.add_headers.items()
        return _encode_head(f"{request.method} {request.path} HTTP/1.1", headers)

    async def _connect(self, route: Forward) -> tuple[_Upstream, bool]:
        """An upstream connection for `route`, reusing this client's previous one if possible."""
        if self._upstream is not None and self._upstream.usable_for(route):
            return self._upstream, True
        await self._drop_upstream()
        async with asyncio.timeout(CONNECT_TIMEOUT):
            reader, writer = await asyncio.open_connection(route.host, route.port, limit=STREAM_LIMIT)
        self._upstream = _Upstream(route.host, route.port, reader, writer)
        return self._upstream, False

    async def _drop_upstream(self) -> None:
        upstream, self._upstream = self._upstream, None
        if upstream is not None:
            await _close(upstream.writer)

    async def _exchange(
        self, request: _Request, upstream: _Upstream, head: bytes, chunked: bool, length: int
    ) -> bool:
        upstream.writer.write(head)
        pump: asyncio.Task[None] | None = None
        if chunked or length:
            # Sent concurrently with reading the response: 100-continue and early answers work.
            body = iter_chunked(self._reader, COPY_CHUNK) if chunked else _iter_exact(self._reader, length)
            pump = asyncio.create_task(_send_body(body, upstream.writer, chunked))
            pump.add_done_callback(lambda task: _abort_on_failure(task, upstream.writer))
        try:
            try:
                response = await self._relay_response_head(request, upstream)
            except (_StaleUpstream, ConnectionError, asyncio.IncompleteReadError):
                _raise_bad_body(pump)
                raise
            # An answer that comes before the whole request body means the rest must be cut off.
            keep_alive = request.keep_alive and (pump is None or pump.done())
            client_keep_alive, reusable = await self._relay_response_body(request, upstream, response, keep_alive)
        finally:
            body_sent = pump is None or (pump.done() and not pump.cancelled() and pump.exception() is None)
            if pump is not None and not pump.done():
                # The upstream answered without taking the whole body. The pump must be gone
                # before anything else reads the client stream (StreamReader allows one reader).
                pump.cancel()
                await asyncio.wait([pump])
        if not (reusable and body_sent):
            await self._drop_upstream()
        return client_keep_alive and body_sent

    async def _relay_response_head(self, request: _Request, upstream: _Upstream) -> ParsedResponse:
        """Read the final response head, passing interim 1xx responses (100 Continue) on."""
        async with asyncio.timeout(UPSTREAM_TIMEOUT):
            while True:
                raw = await read_head(upstream.reader, check_incomplete_response, request=False)
                if raw is None:
                    raise _StaleUpstream
                response = parse_response(raw)
                assert response is not None  # a whole head
                if response.status >= 200:
                    return response
                if request.version == "1.1":
                    self._writer.write(response.head + b"\r\n")

    async def _relay_response_body(
        self, request: _Request, upstream: _Upstream, response: ParsedResponse, keep_alive: bool
    ) -> tuple[bool, bool]:
        """Stream the response to the client; whether the client connection stays open, and whether the upstream
        connection may carry another request."""
        head = response.head  # hop-by-hop lines already out, a stale length too (RFC 9112 6.3)
        reusable = response.keep_alive
        pieces: AsyncIterator[bytes] | None = None
        rechunk = False
        if request.method == "HEAD" or response.status in (204, 304):
            pass
        elif response.chunked:
            pieces = iter_chunked(upstream.reader, COPY_CHUNK)
            # HTTP/1.0 clients cannot read chunked: they get the raw bytes, ended by closing.
            rechunk = request.version == "1.1"
            keep_alive = keep_alive and rechunk
            if rechunk:
                head += b"Transfer-Encoding: chunked\r\n"
        elif response.content_length >= 0:
            pieces = _iter_exact(upstream.reader, response.content_length)
        else:
            pieces = _iter_until_eof(upstream.reader)
            keep_alive = reusable = False  # the body ends when the upstream closes: that connection is spent
        head += b"Connection: keep-alive\r\n\r\n" if keep_alive else b"Connection: close\r\n\r\n"
        if pieces is None:
            self._writer.write(head)
            await self._writer.drain()
            return keep_alive, reusable
        try:
            await _send_body(pieces, self._writer, rechunk, head)
        except Exception as exc:
            # The head is already out: the only honest signal left is cutting the connection.
            self._writer.transport.abort()
            raise _ResponseCut from exc
        return keep_alive, reusable


def _raise_bad_body(pump: asyncio.Task[None] | None) -> None:
    """The upstream went away because the client's chunked body broke the framing rules (the
    pump cut it): that is the client's error (400), not the upstream's."""
    if pump is not None and pump.done() and not pump.cancelled():
        failure = pump.exception()
        if isinstance(failure, BadChunk):
            raise HttpError(400, str(failure))


def _abort_on_failure(task: asyncio.Task[None], upstream: asyncio.StreamWriter) -> None:
    # The client vanished mid-body: the upstream would wait for the rest forever, so cut it and
    # let the response read fail.
    if not task.cancelled() and task.exception() is not None:
        upstream.transport.abort()


# -- the edge -----------------------------------------------------------------------------------
class InternetEdge:
    """The internet as seen from the learner's machine: an HTTP proxy on a loopback port."""

    def __init__(
        self, resolve: Resolver, host: str = "127.0.0.1", port: int = 4580, drop_timeout: float = 10.0,
        *, allow_non_loopback: bool = False,
    ) -> None:
        check_bind_host(host, allow_non_loopback, "the internet edge")
        self._resolve = resolve
        self._host = host
        self._port = port
        self.drop_timeout = drop_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def url(self) -> str:
        """The proxy URL a client on this machine uses."""
        return f"http://{local_host(self._host)}:{self._port}"

    async def start(self) -> int:
        """Start listening; returns the actual port (useful with port=0)."""
        if self._server is not None:
            raise RuntimeError("edge already running")
        self._server = await asyncio.start_server(self._handle, self._host, self._port, limit=STREAM_LIMIT)
        self._port = self._server.sockets[0].getsockname()[1]
        return self._port

    async def stop(self) -> None:
        """Stop listening and cut every client connection and tunnel."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    def usage(self) -> str:
        return (
            f"This is the lblab internet edge, an HTTP proxy. Use it as a proxy, e.g.\n"
            f"  curl -x {self.url} http://<public-ip-or-dns-name>/\n"
        )

    def is_self(self, host: str, port: int) -> bool:
        return (host in LOOPBACK_HOSTS or host == self._host) and port == self._port

    def route(self, request: _Request) -> Route | None:
        """The cloud's verdict on a destination; None if the resolver itself failed."""
        scheme = "https" if request.method == "CONNECT" else "http"
        try:
            route = self._resolve(request.host, request.port, scheme)
        except Exception:
            log.exception("resolver failed for %s", request.target)
            return None
        if isinstance(route, Forward) and self.is_self(route.host, route.port):
            return Refused("the edge will not forward to itself")
        return route

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            # Only stop() cancels us. Ending normally matters on 3.11, whose start_server callback
            # calls task.exception() on a cancelled task and logs the CancelledError as a failure.
            writer.transport.abort()
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _ClientConnection(self, reader, writer).run()
        except (ConnectionError, _ResponseCut):
            pass  # a peer hung up or a response broke off mid-stream; nothing left to tell anyone
        except Exception:
            log.exception("edge connection failed")
        await self._hang_up(reader, writer)

    async def _hang_up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if writer.transport.is_closing():
            return
        half_close(writer.transport)
        with contextlib.suppress(ConnectionError, TimeoutError):
            async with asyncio.timeout(LINGER_TIMEOUT):
                while await reader.read(COPY_CHUNK):
                    pass
        await _close(writer)
