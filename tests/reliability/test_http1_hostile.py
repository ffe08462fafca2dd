"""One hostile HTTP/1 corpus against every server of the cloud that reads HTTP (issue 11).

The balancer (a real ALB listener), the internet edge (as a forward proxy, absolute-form requests to
an instance's public IP) and an instance's web server (directly) share one parser, so each message
of the corpus must get the same verdict from all three: the status, and a closed connection after
every error, with nothing pipelined behind a bad message ever answered. Only the size limits
differ, each entry point's own (`Limits`), and so does the status for a head over them (the
balancer and Apache 400 as ALB documents, the edge 431).

Then the desync check: clients sharing the balancer's pooled target connections while others send
the smuggling payload of the issue, and nobody ever receives an answer that is not their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.edge import EDGE_LIMITS, InternetEdge
from mock_cloud.elbv2.proxy_http import ALB_LIMITS
from mock_cloud.guestos.web.listener import LIMITS as HTTPD_LIMITS
from mock_cloud.http1 import Limits, half_close
from mock_cloud.routes import Unknown
from mock_cloud.scenarios import Lab, healthy_lab
from tests.support.elbv2 import run_in

LOOP = "127.0.0.1"
READ_TIMEOUT = 15.0  # generous: a verdict is immediate, a busy machine is not
ECHO_DIR = "/var/www/html/echo"  # a directory: `GET /echo?m=X` is a 301 whose Location carries X


@dataclass(frozen=True)
class Entry:
    """One way into the cloud: where to connect and how a request names its target."""

    name: str
    port: int
    authority: bytes  # the absolute-form prefix of every request target ("" for origin-form)
    limits: Limits

    def target(self, path: bytes) -> bytes:
        return self.authority + path


@dataclass
class Reply:
    status: int
    headers: dict[bytes, bytes]
    body: bytes
    closed: bool  # the server closed the connection after this reply (and sent nothing more)


# -- the corpus -------------------------------------------------------------------------------------------
Build = Callable[[Entry], bytes]


def head(entry: Entry, *lines: bytes, method: bytes = b"POST", path: bytes = b"/", version: bytes = b"1.1") -> bytes:
    return b"%s %s HTTP/%s\r\n" % (method, entry.target(path), version) + b"".join(line + b"\r\n" for line in lines)


def chunked(body: bytes) -> Build:
    return lambda e: head(e, b"Host: a", b"Transfer-Encoding: chunked") + b"\r\n" + body


def headers(*lines: bytes, body: bytes = b"") -> Build:
    return lambda e: head(e, b"Host: a", *lines) + b"\r\n" + body


def raw(build: Callable[[bytes], bytes]) -> Build:
    """A request whose head is written out whole; gets the request target."""
    return lambda e: build(e.target(b"/"))


# The shape: the chunk data ends in a bare LF; a lenient reader skips size+2 bytes and finds
# a second request in the body, whose Content-Length swallows the next request on that connection.
_SMUGGLED = b"\r\nGET /echo?m=SMUGGLED HTTP/1.1\r\nHost: a\r\nContent-Length: 120\r\n\r\n"
SMUGGLE_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
SMUGGLE_BODY = b"1\r\nA\n60\r\n" + _SMUGGLED.ljust(0x60, b"x") + b"\r\n0\r\n\r\n"


def too_long_line(e: Entry) -> bytes:
    return head(e, b"Host: a", method=b"GET", path=b"/" + b"a" * e.limits.request_line) + b"\r\n"


def too_many_headers(e: Entry) -> bytes:
    return headers(*[b"X-H%d: " % i + b"c" * 4000 for i in range(e.limits.headers // 4000 + 1)])(e)


# (name, request, expected status or None for each entry's "too large" status)
BAD: list[tuple[str, Build, int | None]] = [
    ("CL+TE", headers(b"Content-Length: 5", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n"), 400),
    ("TE+CL", headers(b"Transfer-Encoding: chunked", b"Content-Length: 5", body=b"0\r\n\r\n"), 400),
    ("two Content-Lengths", headers(b"Content-Length: 5", b"Content-Length: 6", body=b"hello!"), 400),
    ("duplicate Content-Length", headers(b"Content-Length: 5", b"Content-Length: 5", body=b"hello"), 400),
    ("Content-Length list", headers(b"Content-Length: 5, 5", body=b"hello"), 400),
    ("Content-Length sign", headers(b"Content-Length: +5", body=b"hello"), 400),
    ("Content-Length hex", headers(b"Content-Length: 0x5", body=b"hello"), 400),
    ("obs-fold", headers(b"X-Folded: one", b" two"), 400),
    ("space before colon", headers(b"Content-Length : 5", body=b"hello"), 400),
    ("header name not a token", headers(b"X(A): 1"), 400),
    ("bare LF head", raw(lambda t: b"GET %s HTTP/1.1\nHost: a\n\n" % t), 400),
    ("bare LF in a value", raw(lambda t: b"GET %s HTTP/1.1\r\nHost: a\r\nX-A: a\nContent-Length: 40\r\n\r\n" % t), 400),
    ("bare LF ending one line", raw(lambda t: b"GET %s HTTP/1.1\r\nHost: a\nX-B: 1\r\n\r\n" % t), 400),
    ("bare CR ending a line", raw(lambda t: b"GET %s HTTP/1.1\rHost: a\r\n\r\n" % t), 400),
    ("bare CR in a value", headers(b"X-A: a\rb"), 400),
    ("NUL in a value", headers(b"X-A: a\x00b"), 400),
    ("NUL in the request line", raw(lambda t: b"GET %s\x00 HTTP/1.1\r\nHost: a\r\n\r\n" % t), 400),
    ("TE identity", headers(b"Transfer-Encoding: identity", body=b"hello"), 501),
    ("TE gzip, chunked", headers(b"Transfer-Encoding: gzip, chunked", body=b"0\r\n\r\n"), 501),
    ("TE chunked twice", headers(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n"), 400),
    ("TE in HTTP/1.0", lambda e: head(e, b"Transfer-Encoding: chunked", version=b"1.0") + b"\r\n0\r\n\r\n", 400),
    ("chunk size 1_0", chunked(b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n"), 400),
    ("chunk size +a", chunked(b"+a\r\n" + b"a" * 10 + b"\r\n0\r\n\r\n"), 400),
    ("chunk size 0x1f", chunked(b"0x1f\r\n" + b"a" * 31 + b"\r\n0\r\n\r\n"), 400),
    ("chunk size -1", chunked(b"-1\r\n" + b"a\r\n0\r\n\r\n"), 400),
    ("chunk size empty", chunked(b"\r\na\r\n0\r\n\r\n"), 400),
    ("chunk size too long", chunked(b"0" * 20 + b"1\r\na\r\n0\r\n\r\n"), 400),
    ("chunk extension too long", chunked(b"1;x=" + b"y" * 5000 + b"\r\na\r\n0\r\n\r\n"), 400),
    ("chunk data then bare LF (smuggling)", chunked(SMUGGLE_BODY), 400),
    ("chunk data then other bytes", chunked(b"1\r\nAXY\r\n0\r\n\r\n"), 400),
    ("chunk size line bare LF", chunked(b"1\nA\r\n0\r\n\r\n"), 400),
    ("last chunk bare LF", chunked(b"1\r\nA\r\n0\n\n"), 400),
    ("malformed trailer", chunked(b"1\r\nA\r\n0\r\nnot a field\r\n\r\n"), 400),
    ("HTTP/2.0 request line", lambda e: head(e, b"Host: a", method=b"GET", version=b"2.0") + b"\r\n", 505),
    ("request line over the limit", too_long_line, 414),
    ("header over the limit", lambda e: headers(b"X-Big: " + b"b" * e.limits.header_line)(e), None),
    ("headers over the limit", too_many_headers, None),
]  # fmt: skip
GOOD = b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n"


# -- talking to a server -------------------------------------------------------------------------------
async def read_reply(reader: asyncio.StreamReader) -> Reply:
    async with asyncio.timeout(READ_TIMEOUT):
        raw_head = await reader.readuntil(b"\r\n\r\n")
        lines = raw_head[:-4].split(b"\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        body = await reader.readexactly(int(fields.get(b"content-length", b"0")))
    return Reply(int(lines[0].split(b" ")[1]), fields, body, closed=False)


async def closed_after(reader: asyncio.StreamReader) -> bool:
    """True if the server closes the connection without sending another byte."""
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            return await reader.read(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def send(port: int, data: bytes, replies: int = 1) -> list[Reply]:
    """Send `data` on a fresh connection; read `replies` replies, then whether it was closed."""
    reader, writer = await asyncio.open_connection(LOOP, port)
    try:
        writer.write(data)
        got = [await read_reply(reader) for _ in range(replies)]
        got[-1].closed = await closed_after(reader)
        return got
    finally:
        writer.transport.abort()


# -- the stage ------------------------------------------------------------------------------------------
@dataclass
class Stage:
    cloud: Cloud
    lab: Lab
    entries: dict[str, Entry]


@pytest.fixture
async def stage(cloud: Cloud) -> AsyncIterator[Stage]:
    lab = await healthy_lab(cloud)
    for instance in lab.instances:
        await run_in(cloud, instance, f"mkdir -p {ECHO_DIR}")
    instance = lab.instances[0]
    httpd_port = instance.local_port(80)
    alb_port = lab.listener.local_port
    edge_port = urlsplit(cloud.edge_url).port
    assert httpd_port and alb_port and edge_port and instance.public_ip
    yield Stage(cloud, lab, {
        "balancer": Entry("balancer", alb_port, b"", ALB_LIMITS),
        "edge": Entry("edge", edge_port, b"http://" + instance.public_ip.encode(), EDGE_LIMITS),
        "httpd": Entry("httpd", httpd_port, b"", HTTPD_LIMITS),
    })  # fmt: skip


# -- one corpus, three entry points ----------------------------------------------------------------------
@pytest.mark.parametrize("where", ["balancer", "edge", "httpd"])
async def test_hostile_corpus_gets_one_verdict_everywhere(stage: Stage, where: str) -> None:
    entry = stage.entries[where]
    wrong = []
    for name, build, expected in BAD:
        status = expected if expected is not None else entry.limits.too_large
        # The good request pipelined behind the bad one must never be answered.
        try:
            [reply] = await send(entry.port, build(entry) + GOOD)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            wrong.append((name, f"no answer ({type(exc).__name__})"))
            continue
        if (reply.status, reply.headers.get(b"connection"), reply.closed) != (status, b"close", True):
            wrong.append((name, reply.status, reply.headers.get(b"connection"), reply.closed))
    assert not wrong, f"{where}: (case, status, Connection, closed) not ({len(BAD)} cases) -> {wrong}"


@pytest.mark.parametrize("where", ["balancer", "edge", "httpd"])
async def test_what_the_corpus_allows_is_served_everywhere(stage: Stage, where: str) -> None:
    entry = stage.entries[where]
    extension = chunked(b"5;name=value;flag\r\nhello\r\n0\r\nX-Trailer: ok\r\n\r\n")(entry)
    last = head(entry, b"Host: a", b"Connection: close", method=b"GET") + b"\r\n"
    replies = await send(entry.port, extension + last, 2)
    assert [r.status for r in replies] == [200, 200] and replies[-1].closed
    # HTTP/1.0 keep-alive: asked for, it is kept; not asked for, the connection closes.
    keep = head(entry, b"Host: a", b"Connection: keep-alive", method=b"GET", version=b"1.0") + b"\r\n"
    close = head(entry, b"Host: a", method=b"GET", version=b"1.0") + b"\r\n"
    replies = await send(entry.port, keep + keep + close, 3)
    assert [r.status for r in replies] == [200, 200, 200] and replies[-1].closed
    assert [r.headers.get(b"connection", b"").lower() for r in replies] == [b"keep-alive", b"keep-alive", b"close"]
    # Empty lines before a request line are skipped (RFC 9112 2.2), the request is served.
    [reply] = await send(entry.port, b"\r\n\r\n" + close)
    assert reply.status == 200 and reply.closed


@pytest.mark.parametrize("where", ["balancer", "edge", "httpd"])
async def test_a_head_whose_first_bytes_come_alone_is_answered(stage: Stage, where: str) -> None:
    """A client's first packet of one or two bytes ("G", then the rest): the web servers once searched for the
    head's end from a negative offset then, found nothing, and never answered."""
    entry = stage.entries[where]
    request = head(entry, b"Host: a", method=b"GET", path=b"/after") + b"\r\n"
    statuses = []
    for split in (len(request), 1, 2, 3):
        reader, writer = await asyncio.open_connection(LOOP, entry.port)
        try:
            writer.write(request[:split])
            await writer.drain()
            await asyncio.sleep(0.05)  # most often read on its own, as the client's first packet
            writer.write(request[split:])
            statuses.append((await read_reply(reader)).status)
        finally:
            writer.transport.abort()
    assert statuses == [404] * 4, statuses  # as when the request comes whole: /after is no page


# -- no desync across clients -------------------------------------------------------------------------------
async def honest_client(port: int, client: int, count: int, seen: list[tuple[bytes, bytes]]) -> None:
    """`count` requests on one keep-alive connection, each with its own marker, which the instance's
    301 for the /echo directory carries back in Location."""
    reader, writer = await asyncio.open_connection(LOOP, port)
    try:
        for n in range(count):
            marker = b"c%d-%d" % (client, n)
            writer.write(b"GET /echo?m=%s HTTP/1.1\r\nHost: a\r\n\r\n" % marker)
            try:
                reply = await read_reply(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                seen.append((marker, b"<connection lost>"))
                return
            seen.append((marker, reply.headers.get(b"location", b"status %d" % reply.status)))
            await asyncio.sleep(0.005)
    finally:
        writer.transport.abort()


async def smuggler(port: int, count: int, verdicts: list[int]) -> None:
    for _ in range(count):
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            [reply] = await send(port, SMUGGLE_HEAD + SMUGGLE_BODY)
            verdicts.append(reply.status)
        await asyncio.sleep(0.01)


async def test_no_client_ever_gets_an_answer_that_is_not_its_own(stage: Stage) -> None:
    port = stage.entries["balancer"].port
    seen: list[tuple[bytes, bytes]] = []
    verdicts: list[int] = []
    honest = [honest_client(port, client, 30, seen) for client in range(6)]
    await asyncio.gather(*honest, *(smuggler(port, 15, verdicts) for _ in range(2)))
    foreign = [(marker, got) for marker, got in seen if not got.endswith(b"/echo/?m=" + marker)]
    assert not foreign, f"{len(foreign)} of {len(seen)} answers were not the asker's own: {foreign[:5]}"
    assert len(seen) == 6 * 30
    assert verdicts == [400] * 30  # each smuggling attempt refused by the balancer itself


# -- a peer that has reset the connection ------------------------------------------------------------------
async def test_hanging_up_on_a_peer_that_reset_is_quiet() -> None:
    """Issue 11 §2: the edge logged "Unhandled exception in client_connected_cb" when a client reset
    just before its hang-up: shutdown() on a reset socket fails with ENOTCONN. The edge and the web
    servers hang up through `half_close`, which must take that for the end it is."""
    accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def keep(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.pause_reading()  # the reset goes unnoticed, as between two callbacks
        await accepted.put((reader, writer))

    server = await asyncio.start_server(keep, LOOP, 0)
    try:
        port = server.sockets[0].getsockname()[1]
        streams = []
        for _ in range(3):
            _, client = await asyncio.open_connection(LOOP, port)
            client.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            streams.append(await asyncio.wait_for(accepted.get(), READ_TIMEOUT))
            client.transport.abort()  # closing with SO_LINGER 0 sends a RST
        await asyncio.sleep(0.2)  # let the RSTs land
        with pytest.raises(OSError):  # what the edge did before: the defect is real
            streams[0][1].write_eof()
        half_close(streams[1][1].transport)  # must not raise
        assert streams[1][1].transport.is_closing()
        edge = InternetEdge(lambda host, port, scheme: Unknown())
        await edge._hang_up(*streams[2])  # the edge's own hang-up, where the exception came from
        assert streams[2][1].transport.is_closing()
        streams[0][1].transport.abort()
    finally:
        server.close()
        await server.wait_closed()
