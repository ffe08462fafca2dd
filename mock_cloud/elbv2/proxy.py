"""The data plane of an Application Load Balancer listener: a real HTTP/1.1 reverse proxy.

The engine knows nothing of rules or target groups. For each request it builds a
`RequestHead` and asks a `route` callback, which answers `Forward` (proxy to a target) or
`Respond` (fixed response, redirect, 503 ...). Every exchange ends in one `ExchangeRecord`
handed to `on_complete`: the raw material of access logs, metrics and request traces.

Behaviour follows ALB (docs/aws-facts.md §5): X-Forwarded-For/Proto/Port and X-Amzn-Trace-Id
on the way in, ALB's own error pages with `Server: awselb/2.0`, 502 when a target refuses,
resets or answers garbage, 504 when it stays silent past the idle timeout, 460 in the records
when the client leaves first, and ALB's header size limits.

Speed is a goal, so the hot path is plain asyncio.Protocol callbacks with no task per request:
a request on a pooled target connection is parsed, routed, forwarded and answered entirely
inside `data_received`. Response bodies go from the target's socket to the client's without
being copied or re-framed when the framing allows; backpressure pauses the reading side
whenever the writing side's buffer is full, so body sizes never show up in memory. Timeouts
use one lazily re-armed timer per client connection instead of a timer per request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import ssl
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from mock_cloud.elbv2.proxy_http import (
    IDEMPOTENT_METHODS,
    BalancerFields,
    TraceStamp,
    balancer_fields,
    balancer_response,
    error_page,
    next_trace_id,
    request_parser,
    target_response_parser,
)
from mock_cloud.http1 import (
    HEAD_END,
    LAST_CHUNK,
    BadChunk,
    BadResponse,
    ChunkedReader,
    HttpError,
    ParsedRequest,
    ParsedResponse,
    SecondCache,
    check_incomplete_response,
    chunk,
    imf_date,
    skip_empty_lines,
)

log = logging.getLogger(__name__)

# ALB gives up connecting to a target after 10 s (504).
CONNECT_TIMEOUT = 10.0
# How long a client may take to send a whole request head before it gets a 408.
HEADER_TIMEOUT = 60.0
# Idle pooled target connections are dropped before a typical server's keep-alive timeout
# (Apache's is 5 s) so a request is rarely sent on a connection the target is closing.
POOL_IDLE_TTL = 4.0
MAX_IDLE_PER_TARGET = 64
# Bytes a client may send ahead (pipelined requests, request body before the target is
# connected) before the engine stops reading from it.
CLIENT_BUFFER_LIMIT = 64 * 1024
# Below this a response head and its body go out in one write (one syscall).
COALESCE_LIMIT = 16 * 1024


# -- the public API ---------------------------------------------------------------------------------
@dataclass(slots=True)
class RequestHead:
    method: str
    target: str  # raw request-target (path + query)
    path: str  # split, undecoded
    query: str
    version: str  # "1.1" / "1.0"
    _headers: list[tuple[str, str]] | None  # see `headers`; None until first read when there is a _source
    client_ip: str
    client_port: int
    scheme: str  # "http" | "https"
    listener_port: int  # the port the learner addressed (e.g. 80/443)
    sni: str | None
    received_at: float  # time.time()
    trace_id: str = ""  # X-Amzn-Trace-Id as sent to the target (and logged by ALB)
    _source: ParsedRequest | None = None  # where the engine splits `headers` from, when asked

    @property
    def headers(self) -> list[tuple[str, str]]:
        """As received, in order. The engine splits them out of the head only when first read:
        most routes never look at them."""
        if self._headers is None:
            self._headers = self._source.headers() if self._source is not None else []
        return self._headers

    def header(self, name: str) -> str | None:
        """First value of a header, by case-insensitive name."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass(slots=True)
class Forward:
    host: str  # always 127.0.0.1
    port: int  # port of an emulated instance's server
    target_label: str  # e.g. "172.31.5.10:80", for logs and traces
    add_request_headers: list[tuple[str, str]] = field(default_factory=list)
    add_response_headers: list[tuple[str, str]] = field(default_factory=list)  # e.g. Set-Cookie: AWSALB=...
    # Headers that depend on the target's answer (given its head), e.g. AWSALBAPP after the app's cookie.
    response_headers: Callable[[bytes], list[tuple[str, str]]] | None = None
    # Asked once for another target when this one refuses or resets before answering an
    # idempotent request whose bytes are all still replayable.
    retry: Callable[[], Forward | None] | None = None
    context: Any = None  # opaque, handed back in ExchangeRecord


@dataclass(slots=True)
class Respond:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str = ""  # e.g. "fixed-response", "redirect", "NoRegisteredTargets"
    context: Any = None


@dataclass(slots=True)
class ExchangeRecord:
    """One per request: for metrics, access logs and request traces. Times in seconds, -1 when
    not applicable (AWS access-log semantics)."""

    head: RequestHead
    context: Any
    target_label: str | None
    elb_status: int
    target_status: int | None
    request_processing_time: float
    target_processing_time: float
    response_processing_time: float
    received_bytes: int
    sent_bytes: int
    error_reason: str | None  # e.g. "TargetConnectionError", "TargetResponseError", "TargetTimeout"
    retried_from: str | None
    started_at: float
    finished_at: float
    ssl_cipher: str | None
    ssl_protocol: str | None


def elb_error(status: int, reason: str = "") -> Respond:
    """A Respond carrying ALB's own error page, e.g. elb_error(503, "NoRegisteredTargets")."""
    return Respond(status, [("Content-Type", "text/html")], error_page(status), reason)


Route = Callable[[RequestHead], "Forward | Respond"]
OnComplete = Callable[[ExchangeRecord], None]


class ListenerServer:
    """One listener's proxy on a real loopback port."""

    def __init__(
        self,
        route: Route,
        on_complete: OnComplete,
        *,
        listener_port: int,
        scheme: str = "http",
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: Callable[[], float] = lambda: 60.0,
        host: str = "127.0.0.1",
        port: int = 0,
        client_ip_header: str = "x-lblab-client-ip",
        loopback_client_ip: str = "203.0.113.10",
        header_timeout: float = HEADER_TIMEOUT,
        reuse_port: bool = False,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.route = route
        self.on_complete = on_complete
        self.listener_port = listener_port
        self.scheme = scheme
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self.host = host
        self.port = port
        self.client_ip_header = client_ip_header.lower()
        self.loopback_client_ip = loopback_client_ip
        self.header_timeout = header_timeout
        self.reuse_port = reuse_port
        self.dates = SecondCache(imf_date, now)  # the Date of its own responses: the cloud's clock
        self.active_connections = 0
        self.new_connections = 0
        self._server: asyncio.Server | None = None
        self._clients: set[_Client] = set()
        self._pool = _Pool()
        self._stopping = False
        self._parser = request_parser(client_ip_header)
        self._parse_response = target_response_parser()
        self._forwarded = f"X-Forwarded-Proto: {scheme}\r\nX-Forwarded-Port: {listener_port}\r\n"

    async def start(self) -> int:
        """Bind and listen; returns the actual port."""
        if self._server is not None:
            raise RuntimeError("listener already started")
        if self.ssl_context is not None:
            _remember_sni(self.ssl_context)
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._server = await loop.create_server(
            lambda: _Client(self), self.host, self.port, ssl=self.ssl_context, backlog=1024, reuse_port=self.reuse_port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Close the port, every client connection and every pooled or busy target connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping = True
        server.close()
        for client in list(self._clients):
            client.abort()
        self._clients.clear()
        self._pool.close_all()
        await server.wait_closed()


# -- SNI ------------------------------------------------------------------------------------------------
# A server-side SSLObject does not expose the name the client asked for; only the context's
# sni_callback sees it. The callback already installed (certificate selection) is kept.
_sni_names: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _remember_sni(context: ssl.SSLContext) -> None:
    inner = context.sni_callback
    if getattr(inner, "lblab_records_sni", False):
        return

    def record_sni(obj: Any, name: str, ctx: ssl.SSLContext) -> int | None:
        if name:  # None when the client sent no SNI, whatever the type stubs say
            _sni_names[obj] = name
        return inner(obj, name, ctx) if inner is not None else None

    record_sni.lblab_records_sni = True  # type: ignore[attr-defined]
    context.sni_callback = record_sni


# -- target connections ---------------------------------------------------------------------------------
class _Target(asyncio.Protocol):
    """A connection to a target. Events go to the client exchange that owns it, if any."""

    __slots__ = ("closed", "idle_since", "key", "owner", "pool", "transport")

    def __init__(self, pool: _Pool, key: tuple[str, int]) -> None:
        self.pool = pool
        self.key = key
        self.owner: _Client | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, hence a cast, not a check.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        owner = self.owner
        if owner is None:
            # Bytes from an idle target belong to no request: the connection is unusable.
            self.close()
        else:
            owner.target_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        owner, self.owner = self.owner, None
        if owner is None:
            self.pool.discard(self)
        else:
            owner.target_lost(self)

    def pause_writing(self) -> None:
        if self.owner is not None:
            self.owner.pause_reading(_PAUSE_TARGET_FULL)

    def resume_writing(self) -> None:
        if self.owner is not None:
            self.owner.resume_reading(_PAUSE_TARGET_FULL)

    def close(self) -> None:
        self.closed = True
        self.owner = None
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closed = True
        self.owner = None
        if self.transport is not None:
            self.transport.abort()


class _Pool:
    """Idle keep-alive connections per target (host, port), most recently used first."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Target]] = {}

    def get(self, key: tuple[str, int]) -> _Target | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        oldest_usable = time.monotonic() - POOL_IDLE_TTL
        while idle:
            target = idle.pop()
            if not target.closed and target.idle_since > oldest_usable:
                return target
            target.close()
        return None

    def put(self, target: _Target, now: float) -> None:
        """Keep `target` for reuse; `now` is the caller's time.monotonic()."""
        idle = self._idle.get(target.key)
        if idle is None:  # not setdefault: that would build a list on every call
            idle = self._idle[target.key] = []
        elif len(idle) >= MAX_IDLE_PER_TARGET:
            target.close()
            return
        target.idle_since = now
        idle.append(target)

    def discard(self, target: _Target) -> None:
        idle = self._idle.get(target.key)
        if idle and target in idle:
            idle.remove(target)

    def close_all(self) -> None:
        for idle in self._idle.values():
            for target in idle:
                target.close()
        self._idle.clear()


# -- client connections ------------------------------------------------------------------------------------
# Response body framing from the target, and how it is passed to the client.
_R_NONE, _R_LENGTH, _R_CHUNKED, _R_CLOSE = range(4)
_C_PASS, _C_RECHUNK, _C_DECHUNK = range(3)
# Why reading from the client is paused (a bit set: several can hold at once).
_PAUSE_TARGET_FULL, _PAUSE_BUFFER = 1, 2
_HTML = [("Content-Type", "text/html")]
_random_bits = random.getrandbits
_trace_stamp = TraceStamp()


def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


class _Exchange:
    """One request's state. The class attributes are the defaults, so starting an exchange
    costs one small allocation plus the fields this request actually sets."""

    head: RequestHead
    request: ParsedRequest
    started_at: float
    forward: Forward | None = None
    context: Any = None
    xff: str | None = None  # the client's own X-Forwarded-For
    label: str | None = None
    target: _Target | None = None
    reused = False
    connecting: asyncio.Task[None] | None = None
    out_head = b""
    pending: list[bytes] | None = None  # body bytes waiting for the target connection
    pending_size = 0
    body_left = 0
    body_reader: ChunkedReader | None = None
    body_done = True
    body_sent = False
    retry_used = False
    fresh_retry_used = False
    retried_from: str | None = None
    resp_buf: bytearray | None = None  # a response head arriving in pieces
    resp: ParsedResponse | None = None
    resp_mode = _R_NONE
    client_mode = _C_PASS
    resp_left = 0
    resp_reader: ChunkedReader | None = None
    target_reusable = False
    keep_alive = False
    t_sent = -1.0
    t_resp = -1.0
    received_bytes = 0
    sent_bytes = 0
    target_status: int | None = None
    error_reason: str | None = None
    recorded = False


class _Client(asyncio.Protocol):
    """One client connection, and the exchange it is in (`ex`) if any."""

    def __init__(self, server: ListenerServer) -> None:
        self.server = server
        self.parser = server._parser
        self.parse_response = server._parse_response
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.ex: _Exchange | None = None
        self.closed = False
        self.buf = bytearray()  # received bytes that no exchange has taken yet
        self.peer_ip = "-"
        self.peer_port = 0
        self.default_client_ip = "-"
        self.sni: str | None = None
        self.cipher: str | None = None
        self.protocol: str | None = None
        self.read_paused = 0
        self.write_paused = False
        self.last_io = time.monotonic()
        self.partial_since = 0.0  # when the head now in `buf` began (monotonic, and wall clock)
        self.partial_since_wall = 0.0
        self.scan_from = 0  # how much of `buf` is known to hold no end of head
        self.idle = server.idle_timeout()
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio callbacks ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)
        server = self.server
        server._clients.add(self)
        server.active_connections += 1
        server.new_connections += 1
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer_ip, self.peer_port = peer[0], peer[1]
        self.default_client_ip = server.loopback_client_ip if _is_loopback(self.peer_ip) else self.peer_ip
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.sni = _sni_names.get(ssl_object)
            cipher = ssl_object.cipher()
            self.cipher = cipher[0] if cipher else None
            self.protocol = ssl_object.version()
        self._arm_timer(min(self.idle, server.header_timeout))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self._forget()
        ex = self.ex
        if ex is not None:
            # ALB logs 460 when the client leaves before its response is complete.
            self._drop_target(ex)
            self._record(ex, 460)

    def data_received(self, data: bytes) -> None:
        self.last_io = time.monotonic()
        ex = self.ex
        if ex is None:
            if self.buf:
                self._head_data(data)
            else:
                self._read_requests(data)
            return
        rest = self._request_body(ex, data) if not ex.body_done else data
        if rest:
            self._keep(rest)

    def eof_received(self) -> bool | None:
        # A client that half-closes has gone as far as ALB is concerned (460 if mid-exchange).
        return None

    def pause_writing(self) -> None:
        self.write_paused = True
        target = self.ex.target if self.ex is not None else None
        if target is not None and target.transport is not None:
            target.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self.last_io = time.monotonic()
        ex = self.ex
        if ex is None:
            if self.buf:
                data, self.buf = self.buf, bytearray()
                self._read_requests(data)
        elif ex.target is not None and ex.target.transport is not None and not ex.target.closed:
            ex.target.transport.resume_reading()

    # -- flow control --------------------------------------------------------------------------
    def pause_reading(self, reason: int) -> None:
        if not self.read_paused and self.transport is not None and not self.closed:
            self.transport.pause_reading()
        self.read_paused |= reason

    def resume_reading(self, reason: int) -> None:
        if not self.read_paused & reason:
            return
        self.read_paused &= ~reason
        if not self.read_paused and self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def _keep(self, data: bytes | bytearray) -> None:
        """Hold bytes that arrived ahead of their turn (pipelined requests)."""
        self.buf += data
        self.scan_from = 0
        if len(self.buf) > CLIENT_BUFFER_LIMIT:
            self.pause_reading(_PAUSE_BUFFER)

    # -- timeouts ------------------------------------------------------------------------------
    def _arm_timer(self, delay: float) -> None:
        when = self.loop.time() + delay
        timer = self.timer
        if timer is not None:
            if timer.when() <= when:
                return
            timer.cancel()
        self.timer = self.loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        # One timer per connection, re-armed lazily: the deadline is worked out only here.
        self.timer = None
        if self.closed:
            return
        ex = self.ex
        partial_head = ex is None and self.partial_since > 0
        deadline = self.partial_since + self.server.header_timeout if partial_head else self.last_io + self.idle
        remaining = deadline - time.monotonic()
        if remaining > 0:
            self.timer = self.loop.call_at(self.loop.time() + remaining, self._on_timer)
        elif partial_head:
            self._reply_error(HttpError(408, "request head not received in time"))
        elif ex is None:
            self._close()
        elif ex.resp is not None:
            # Silence mid-response (a stalled target, or a client that stopped reading).
            ex.error_reason = "TargetTimeout"
            self._drop_target(ex)
            self._record(ex, ex.target_status or 504)
            self._close(abort=True)
        elif not ex.body_done:
            # The client stopped sending its request body.
            self._drop_target(ex)
            self._reply(ex, Respond(408, _HTML, error_page(408)), None)
        else:
            self._target_failed(ex, 504, "TargetTimeout")

    # -- request heads -------------------------------------------------------------------------
    def _head_data(self, data: bytes) -> None:
        """More of a head that came in pieces: parse it only once its end is here."""
        buf = self.buf
        buf += data
        if buf.find(HEAD_END, max(0, self.scan_from - 3)) < 0:
            try:
                self.parser.check_incomplete(buf, self.scan_from)
            except HttpError as error:
                self._reply_error(error)
            self.scan_from = len(buf)
            return
        self.buf = bytearray()
        self._read_requests(buf)

    def _read_requests(self, data: bytes | bytearray) -> None:
        """Start an exchange for each complete request head at the front of `data` (several
        when the client pipelines); whatever cannot be handled yet is kept in `buf`."""
        while not self.closed:
            if self.ex is not None or self.write_paused:
                self._keep(data)
                return
            data = skip_empty_lines(data)
            if not data:
                return
            try:
                request = self.parser.parse(data)
                if request is None:
                    self._keep_partial_head(data)
                    return
                fields = balancer_fields(request, self.server.client_ip_header)
            except HttpError as error:
                self.buf = bytearray(data)
                self._reply_error(error)
                return
            rest = data[request.head_bytes :]
            ex = self._start_exchange(request, fields)
            if rest and not ex.body_done and self.ex is ex:
                rest = self._request_body(ex, rest)
            if not rest:
                return
            data = rest

    def _keep_partial_head(self, data: bytes | bytearray) -> None:
        self.buf = data if isinstance(data, bytearray) else bytearray(data)
        self.scan_from = len(data)
        if not self.partial_since:
            self.partial_since = time.monotonic()
            self.partial_since_wall = time.time()
            self._arm_timer(self.server.header_timeout)
        self.resume_reading(_PAUSE_BUFFER)

    def _start_exchange(self, request: ParsedRequest, fields: BalancerFields) -> _Exchange:
        server = self.server
        now = time.time()
        self.ex = ex = _Exchange()
        ex.request = request
        ex.xff = fields.xff
        ex.received_bytes = request.head_bytes
        ex.keep_alive = request.keep_alive
        if self.partial_since:
            ex.started_at = self.partial_since_wall
            self.partial_since = self.partial_since_wall = 0.0
        else:
            ex.started_at = now
        idle = server.idle_timeout()
        if idle < self.idle:
            self._arm_timer(idle)
        self.idle = idle
        if request.chunked:
            ex.body_reader = ChunkedReader()
            ex.body_done = False
        elif request.content_length > 0:
            ex.body_left = request.content_length
            ex.body_done = False
        stamp = _trace_stamp.get(now) + _random_bits(96).to_bytes(12).hex()  # 96 random bits, 24 hex digits
        trace_id = "Root=" + stamp if fields.trace is None else next_trace_id(fields.trace, stamp)
        path, _, query = request.target.partition("?")
        ex.head = head = RequestHead(
            request.method,
            request.target,
            path,
            query,
            request.version,
            None,
            fields.client_ip if fields.client_ip is not None else self.default_client_ip,
            self.peer_port,
            server.scheme,
            server.listener_port,
            self.sni,
            now,
            trace_id,
            request,
        )
        if request.method == "TRACE":
            self._reply(ex, Respond(405, _HTML, error_page(405)), None)
            return ex
        try:
            decision = server.route(head)
        except Exception:
            log.exception("route() failed for %s %s", request.method, request.target)
            ex.keep_alive = False
            self._reply(ex, Respond(500, _HTML, error_page(500)), "InternalError")
            return ex
        if isinstance(decision, Forward):
            self._forward(ex, decision)
        else:
            ex.context = decision.context
            self._reply(ex, decision, None)
        return ex

    # -- answering locally ---------------------------------------------------------------------
    def _reply(self, ex: _Exchange, respond: Respond, error_reason: str | None) -> None:
        """Send a balancer-made response for the exchange, and end it."""
        assert self.transport is not None
        keep = ex.keep_alive and ex.body_done
        data = balancer_response(
            respond.status, respond.headers, respond.body,
            date=self.server.dates.get(), keep_alive=keep, head_only=ex.head.method == "HEAD",
        )  # fmt: skip
        self.transport.write(data)
        ex.sent_bytes += len(data)
        ex.error_reason = error_reason
        ex.keep_alive = keep
        self._record(ex, respond.status)
        self._end_exchange(ex)

    def _reply_error(self, error: HttpError) -> None:
        """Answer bytes that are not an acceptable request (or came too slowly), and hang up."""
        if self.transport is None or self.closed:
            return
        server = self.server
        now = time.time()
        self.ex = ex = _Exchange()
        ex.head = RequestHead(
            "-", "-", "-", "", "-", [], self.default_client_ip, self.peer_port,
            server.scheme, server.listener_port, self.sni, now,
        )  # fmt: skip
        ex.started_at = self.partial_since_wall or now
        ex.received_bytes = len(self.buf)
        self.buf = bytearray()
        data = balancer_response(
            error.status, _HTML, error_page(error.status), date=server.dates.get(), keep_alive=False
        )
        self.transport.write(data)
        ex.sent_bytes = len(data)
        self._record(ex, error.status)
        self._close()

    # -- forwarding ----------------------------------------------------------------------------
    def _forward(self, ex: _Exchange, forward: Forward) -> None:
        ex.forward = forward
        ex.context = forward.context
        ex.label = forward.target_label
        ex.out_head = self._target_head(ex, forward)
        target = self.server._pool.get((forward.host, forward.port))
        if target is not None:
            self._attach(ex, target, reused=True)
        else:
            self._open(ex, forward)

    def _target_head(self, ex: _Exchange, forward: Forward) -> bytes:
        request, head = ex.request, ex.head
        xff = head.client_ip if ex.xff is None else f"{ex.xff}, {head.client_ip}"
        text = (
            f"{request.method} {request.target} HTTP/1.1\r\n{request.forward_block}"
            f"X-Forwarded-For: {xff}\r\n{self.server._forwarded}X-Amzn-Trace-Id: {head.trace_id}\r\n"
        )
        if forward.add_request_headers:
            text += "".join(f"{name}: {value}\r\n" for name, value in forward.add_request_headers)
        return (text + "\r\n").encode("latin-1", errors="replace")

    def _open(self, ex: _Exchange, forward: Forward) -> None:
        if not _is_loopback(forward.host):
            # The engine must never become a way to reach real hosts.
            log.error("refusing to forward to non-loopback target %s", forward.host)
            self._target_failed(ex, 502, "TargetConnectionError")
            return
        ex.connecting = self.loop.create_task(self._connect(ex, forward))

    async def _connect(self, ex: _Exchange, forward: Forward) -> None:
        key = (forward.host, forward.port)
        pool = self.server._pool
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                _, target = await self.loop.create_connection(lambda: _Target(pool, key), forward.host, forward.port)
        except TimeoutError:
            ex.connecting = None
            self._target_failed(ex, 504, "TargetConnectionError")
            return
        except OSError:
            ex.connecting = None
            if not self._try_other_target(ex):
                self._target_failed(ex, 502, "TargetConnectionError")
            return
        ex.connecting = None
        if self.ex is not ex or ex.forward is not forward or self.closed:
            target.close()
            return
        self._attach(ex, target, reused=False)

    def _attach(self, ex: _Exchange, target: _Target, reused: bool) -> None:
        transport = target.transport
        assert transport is not None
        ex.target = target
        ex.reused = reused
        target.owner = self
        ex.t_sent = time.time()
        if ex.pending:
            transport.writelines([ex.out_head, *ex.pending])
            ex.pending = None
            ex.pending_size = 0
            ex.body_sent = True
            self.resume_reading(_PAUSE_BUFFER)
        else:
            transport.write(ex.out_head)
        if self.write_paused:
            transport.pause_reading()

    def _try_other_target(self, ex: _Exchange) -> bool:
        """Ask route's retry() once for another target (idempotent, fully replayable requests)."""
        forward = ex.forward
        assert forward is not None
        if ex.retry_used or forward.retry is None or ex.body_sent or ex.request.method not in IDEMPOTENT_METHODS:
            return False
        ex.retry_used = True
        try:
            other = forward.retry()
        except Exception:
            log.exception("Forward.retry() failed")
            return False
        if other is None:
            return False
        ex.retried_from = ex.label
        ex.t_sent = -1.0
        ex.fresh_retry_used = False
        self._forward(ex, other)
        return True

    # -- request bodies ------------------------------------------------------------------------
    def _request_body(self, ex: _Exchange, data: bytes | bytearray) -> bytes | bytearray:
        """Pass the part of `data` that belongs to the request body on; return the rest."""
        reader = ex.body_reader
        if reader is not None:
            try:
                used = reader.feed(data)
            except BadChunk:
                self._body_error(ex)
                return b""
            done = reader.done
        else:
            used = min(len(data), ex.body_left)
            ex.body_left -= used
            done = not ex.body_left
        ex.received_bytes += used
        if used:
            self._send_body(ex, data if used == len(data) else data[:used])
        if done:
            ex.body_done = True
        return data[used:] if used < len(data) else b""

    def _send_body(self, ex: _Exchange, part: bytes | bytearray) -> None:
        target = ex.target
        if target is not None and target.transport is not None and not target.closed:
            target.transport.write(part)
            ex.body_sent = True
        elif ex.forward is not None and ex.resp is None and self.ex is ex:
            # Not connected yet: hold the bytes (and stop reading once there are too many).
            if ex.pending is None:
                ex.pending = []
            ex.pending.append(bytes(part))
            ex.pending_size += len(part)
            if ex.pending_size > CLIENT_BUFFER_LIMIT:
                self.pause_reading(_PAUSE_BUFFER)

    def _body_error(self, ex: _Exchange) -> None:
        self._drop_target(ex)
        if ex.resp is None:
            ex.keep_alive = False
            ex.body_done = True
            self._reply(ex, Respond(400, _HTML, error_page(400)), None)
        else:
            self._record(ex, ex.target_status or 400)
            self._close(abort=True)

    # -- responses -----------------------------------------------------------------------------
    def target_data(self, data: bytes) -> None:
        self.last_io = time.monotonic()
        ex = self.ex
        assert ex is not None
        if ex.resp is None:
            self._response_head(ex, data)
        else:
            self._response_body(ex, data)

    def _response_head(self, ex: _Exchange, data: bytes) -> None:
        # A target may send any number of 1xx heads before the final one: a loop, not recursion.
        while True:
            if ex.resp_buf is not None:
                data = self._gather_response_head(ex, data)
                if not data:
                    return
            try:
                response = self.parse_response(data)
            except BadResponse:
                self._target_failed(ex, 502, "TargetResponseError")
                return
            if response is None:
                ex.resp_buf = bytearray(data)
                return
            rest = data[response.head_bytes :]
            if response.status >= 200:
                self._start_response(ex, response, rest)
                return
            if not self._interim_response(ex, response) or not rest:
                return
            data = rest

    def _gather_response_head(self, ex: _Exchange, data: bytes) -> bytes:
        """A head arriving in pieces: all of it once its end is here, else b"" (kept, or
        answered with 502 when too large)."""
        resp_buf = ex.resp_buf
        assert resp_buf is not None
        scan_from = len(resp_buf)
        resp_buf += data
        if resp_buf.find(HEAD_END, max(0, scan_from - 3)) < 0:
            try:
                check_incomplete_response(resp_buf, scan_from)
            except BadResponse:
                self._target_failed(ex, 502, "TargetResponseError")
            return b""
        ex.resp_buf = None
        return bytes(resp_buf)

    def _interim_response(self, ex: _Exchange, response: ParsedResponse) -> bool:
        """Relays a 1xx head; False when the exchange failed instead."""
        if response.status == 101:
            # Upgrade is never forwarded, so a protocol switch is a target error.
            self._target_failed(ex, 502, "TargetResponseError")
            return False
        assert self.transport is not None
        if ex.request.version == "1.1":
            self.transport.write(response.head + b"\r\n")
            ex.sent_bytes += len(response.head) + 2
        return True

    def _start_response(self, ex: _Exchange, response: ParsedResponse, rest: bytes) -> None:
        request, forward, transport = ex.request, ex.forward, self.transport
        assert forward is not None and transport is not None
        ex.t_resp = time.time()
        ex.resp = response
        ex.target_status = response.status
        ex.target_reusable = response.keep_alive
        head = response.head
        if request.method == "HEAD" or response.status in (204, 304):
            mode = _R_NONE
        elif response.chunked:
            mode = _R_CHUNKED
            ex.resp_reader = ChunkedReader()
        elif response.content_length >= 0:
            mode = _R_LENGTH
            ex.resp_left = response.content_length
        else:
            mode = _R_CLOSE
            ex.target_reusable = False
        ex.resp_mode = mode
        if mode in (_R_CHUNKED, _R_CLOSE):
            if request.version == "1.1":
                head += b"Transfer-Encoding: chunked\r\n"
                ex.client_mode = _C_PASS if mode == _R_CHUNKED else _C_RECHUNK
            else:
                # An HTTP/1.0 client knows no chunks: the body ends when the connection does.
                ex.client_mode = _C_DECHUNK if mode == _R_CHUNKED else _C_PASS
                ex.keep_alive = False
        if not ex.body_done:
            ex.keep_alive = False
        added = forward.add_response_headers
        if forward.response_headers is not None:
            added = added + forward.response_headers(response.head)
        if added:
            head += "".join(f"{n}: {v}\r\n" for n, v in added).encode("latin-1", "replace")
        head += b"Connection: keep-alive\r\n\r\n" if ex.keep_alive else b"Connection: close\r\n\r\n"
        if mode == _R_LENGTH and len(rest) == ex.resp_left and len(rest) < COALESCE_LIMIT:
            # The common case: all of a small body came with the head. One write, one syscall.
            out = head + rest
            transport.write(out)
            ex.sent_bytes += len(out)
            self._response_done(ex)
            return
        transport.write(head)
        ex.sent_bytes += len(head)
        if mode == _R_NONE:
            if rest:
                ex.target_reusable = False
            self._response_done(ex)
        elif rest:
            self._response_body(ex, rest)
        elif mode == _R_LENGTH and not ex.resp_left:
            self._response_done(ex)

    def _response_body(self, ex: _Exchange, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        mode = ex.resp_mode
        if mode == _R_LENGTH:
            take = min(len(data), ex.resp_left)
            if take < len(data):
                ex.target_reusable = False  # bytes beyond the response: the target is confused
                data = data[:take]
            transport.write(data)
            ex.sent_bytes += take
            ex.resp_left -= take
            if not ex.resp_left:
                self._response_done(ex)
        elif mode == _R_CHUNKED:
            self._chunked_body(ex, data)
        elif mode == _R_CLOSE:
            out = chunk(data) if ex.client_mode == _C_RECHUNK else data
            transport.write(out)
            ex.sent_bytes += len(out)
        else:
            ex.target_reusable = False

    def _chunked_body(self, ex: _Exchange, data: bytes) -> None:
        reader, transport = ex.resp_reader, self.transport
        assert reader is not None and transport is not None
        spans: list[tuple[int, int]] | None = [] if ex.client_mode == _C_DECHUNK else None
        try:
            used = reader.feed(data, spans)
        except BadChunk:
            self._target_failed(ex, 502, "TargetResponseError")
            return
        if spans is None:
            transport.write(data if used == len(data) else data[:used])
            ex.sent_bytes += used
        else:
            for start, end in spans:
                transport.write(data[start:end])
                ex.sent_bytes += end - start
        if used < len(data):
            ex.target_reusable = False
        if reader.done:
            self._response_done(ex)

    def _response_done(self, ex: _Exchange) -> None:
        """The whole response has been handed to the client transport."""
        if not ex.body_done:
            # The target answered before the request body was all through (e.g. an early
            # error): that connection is spoiled, and so is the client's.
            ex.target_reusable = False
            ex.keep_alive = False
        target, ex.target = ex.target, None
        if target is not None:
            if ex.target_reusable and not target.closed:
                target.owner = None
                if self.write_paused and target.transport is not None:
                    target.transport.resume_reading()
                # Responses end in target_data, which has just read the clock into last_io.
                self.server._pool.put(target, self.last_io)
            else:
                target.close()
        self._record(ex, ex.target_status or 502)
        self._end_exchange(ex)

    # -- failures ------------------------------------------------------------------------------
    def target_lost(self, target: _Target) -> None:
        """The target connection closed (EOF or reset) while this exchange owned it."""
        ex = self.ex
        if ex is None or target is not ex.target:
            return
        ex.target = None
        self.resume_reading(_PAUSE_TARGET_FULL)
        if ex.resp is None:
            if ex.resp_buf is None and not ex.body_sent:
                assert ex.forward is not None
                if ex.reused and not ex.fresh_retry_used:
                    # A pooled connection the target had already given up on: not a retry.
                    ex.fresh_retry_used = True
                    ex.t_sent = -1.0
                    self._open(ex, ex.forward)
                    return
                if self._try_other_target(ex):
                    return
            self._target_failed(ex, 502, "TargetResponseError")
        elif ex.resp_mode == _R_CLOSE:
            if ex.client_mode == _C_RECHUNK and self.transport is not None:
                self.transport.write(LAST_CHUNK)
                ex.sent_bytes += len(LAST_CHUNK)
            self._response_done(ex)
        else:
            # Cut off mid-body: the client must see a broken connection, not a short body.
            ex.error_reason = "TargetResponseError"
            self._record(ex, ex.target_status or 502)
            self._close(abort=True)

    def _target_failed(self, ex: _Exchange, status: int, reason: str) -> None:
        """No usable response from the target: ALB's error page, or a cut if one had begun."""
        self._drop_target(ex)
        if ex.resp is not None:
            ex.error_reason = reason
            self._record(ex, ex.target_status or status)
            self._close(abort=True)
        else:
            self._reply(ex, Respond(status, _HTML, error_page(status)), reason)

    def _drop_target(self, ex: _Exchange) -> None:
        """Abandon the exchange's target: it may be mid-message, so its connection is reset."""
        self.resume_reading(_PAUSE_TARGET_FULL)
        if ex.connecting is not None:
            ex.connecting.cancel()
            ex.connecting = None
        target, ex.target = ex.target, None
        if target is not None:
            target.abort()

    # -- ends ----------------------------------------------------------------------------------
    def _record(self, ex: _Exchange, elb_status: int) -> None:
        if ex.recorded:
            return
        ex.recorded = True
        server = self.server
        if server._stopping:
            return
        now = time.time()
        head = ex.head
        t_sent, t_resp = ex.t_sent, ex.t_resp
        record = ExchangeRecord(
            head,
            ex.context,
            ex.label,
            elb_status,
            ex.target_status,
            t_sent - head.received_at if t_sent >= 0 else -1.0,
            t_resp - t_sent if t_sent >= 0 and t_resp >= 0 else -1.0,
            now - t_resp if t_resp >= 0 else -1.0,
            ex.received_bytes,
            ex.sent_bytes,
            ex.error_reason,
            ex.retried_from,
            ex.started_at,
            now,
            self.cipher,
            self.protocol,
        )
        try:
            server.on_complete(record)
        except Exception:
            log.exception("on_complete callback failed")

    def _end_exchange(self, ex: _Exchange) -> None:
        if self.ex is not ex:
            return
        self.ex = None
        if not ex.keep_alive:
            self._close()
            return
        if self.read_paused:
            self.resume_reading(_PAUSE_BUFFER | _PAUSE_TARGET_FULL)
        if self.buf:
            data, self.buf = self.buf, bytearray()
            self._read_requests(data)

    def abort(self) -> None:
        """Drop the connection now (listener stopping)."""
        self._close(abort=True)

    def _close(self, abort: bool = False) -> None:
        if self.closed:
            return
        self._forget()
        if self.ex is not None:
            self._drop_target(self.ex)
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    def _forget(self) -> None:
        """Bookkeeping once the connection is gone (or going)."""
        self.closed = True
        server = self.server
        server._clients.discard(self)
        server.active_connections -= 1
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
