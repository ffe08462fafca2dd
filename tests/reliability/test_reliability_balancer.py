"""The load balancer under abuse, through a real listener of a real cloud on loopback.

The seed lab's ALB (two web servers) gets a second target group, behind the rule `/abuse/*`, whose
one target is a loopback server that misbehaves on demand: it never answers, resets, answers garbage,
streams without end, or sinks and sources huge bodies. Clients misbehave too: malformed request lines
and headers, ALB's size limits crossed, slowloris trickles, clients that vanish mid-request and
mid-response. Throughout, a canary client keeps asking the listener for `/` and must get 200 every
time; afterwards the listener holds no connection, and the access log tells what happened.

How long the canary waits under each abuse is measured by bench/abuse_timings.py (with the stage and
the abuse of these tests), not asserted here: a busy machine would fail the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import struct
import time
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.listener_rules import RuleCondition
from mock_cloud.elbv2.target_group import TargetSpec
from mock_cloud.scenarios import SEED_USER_DATA, Lab, healthy_lab
from tests.support.cloud import boot
from tests.support.elbv2 import forward, plug

LOOP = "127.0.0.1"
IDLE = 1  # the balancer's idle timeout for these tests, seconds (the clock is paused: real seconds)
BIG = 64 * 1024 * 1024
BLOCK = b"z" * 65536
RESPONSE_HEAD_TIMEOUT = 5.0


# -- the misbehaving target ---------------------------------------------------------------------------
async def abusive_target(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Health checks (`GET /`) pass; `/abuse/<how>` misbehaves as named."""
    while True:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        path = head.split(" ", 2)[1]
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
                   for line in head.split("\r\n")[1:] if ":" in line}
        how = path.rsplit("/", 1)[-1]
        if how == "silent":
            await asyncio.sleep(30)  # never answers (bounded: the test is long over by then)
            return
        if how == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # RST
            return
        if how == "garbage":
            writer.write(b"SMTP ready\r\n\r\n")
            await writer.drain()
            return
        if how == "endless":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
            for _ in range(2000):  # bounded
                writer.write(BLOCK)
                await writer.drain()
                await asyncio.sleep(0.005)
            return
        if how == "sink":
            left = int(headers["content-length"])
            while left:
                piece = await reader.read(min(left, 262144))
                if not piece:
                    return
                left -= len(piece)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nsunk")
        elif how == "stream":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BIG)
            for _ in range(BIG // len(BLOCK)):
                writer.write(BLOCK)
                await writer.drain()
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()


# -- clients ------------------------------------------------------------------------------------------------
@dataclass
class Canary:
    """A well-behaved client asking for `/` every 20 ms on fresh connections."""

    port: int
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        deadline = time.monotonic() + 120  # bounded
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            status, _ = await request(self.port, b"GET / HTTP/1.1\r\nHost: canary\r\nConnection: close\r\n\r\n")
            self.statuses.append(status)
            self.latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()


async def request(port: int, raw: bytes, timeout: float = RESPONSE_HEAD_TIMEOUT) -> tuple[int, bytes]:
    """Send raw bytes; (status, response head and body), or (0, what came) if no response came."""
    reader, writer = await asyncio.open_connection(LOOP, port)
    data = b""
    try:
        writer.write(raw)
        async with asyncio.timeout(timeout):
            data = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in data.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            data += await reader.readexactly(length)
    except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.transport.abort()
    if not data.startswith(b"HTTP/1.") or b"\r\n\r\n" not in data:
        return 0, data
    return int(data.split(b" ", 2)[1]), data


@dataclass
class Stage:
    cloud: Cloud
    lab: Lab
    port: int
    canary: Canary

    def access_log_statuses(self) -> list[tuple[str, str, str]]:
        """(elb_status_code, target_status_code, request) of every access log entry."""
        rows = []
        for line in self.cloud.elbv2.access_log(self.lab.lb.arn, limit=100_000):
            fields = line.split(" ")
            request = line.split('"')[1]
            rows.append((fields[8], fields[9], request))
        return rows

    def server(self) -> object:
        return self.cloud.elbv2._servers[self.lab.listener.arn]


@contextlib.asynccontextmanager
async def abuse_stage(cloud: Cloud) -> AsyncIterator[Stage]:
    """The seed lab with the abusive target behind `/abuse/*`, and the canary running."""
    lab = await healthy_lab(cloud)
    await cloud.elbv2.modify_load_balancer_attributes(lab.lb.arn, {"idle_timeout.timeout_seconds": str(IDLE)})
    [bad] = await cloud.ec2.run_instances(name="abuser", user_data=SEED_USER_DATA, security_group_ids=[lab.web_sg])
    await boot(cloud)
    raw = await plug(bad, abusive_target)
    group = await cloud.elbv2.create_target_group("abuse-tg", "HTTP", 80)
    await cloud.elbv2.register_targets(group.arn, [TargetSpec(bad.instance_id)])
    abuse = RuleCondition("path-pattern", path_pattern_config=["/abuse/*"])
    await cloud.elbv2.create_rule(lab.listener.arn, 1, [abuse], [forward(group.arn)])
    await cloud.clock.advance(35)  # one passing health check: in service
    port = lab.listener.local_port
    assert port
    canary = Canary(port)
    task = asyncio.create_task(canary.run())
    yield Stage(cloud, lab, port, canary)
    canary.stop()
    await asyncio.wait_for(task, 10)
    await raw.stop()


@pytest.fixture
async def stage(cloud: Cloud) -> AsyncIterator[Stage]:
    async with abuse_stage(cloud) as staged:
        yield staged


def assert_canary_fine(canary: Canary) -> None:
    """Every canary request got a 200 (one the listener left unanswered for 5 s would be a 0)."""
    assert canary.statuses and set(canary.statuses) == {200}, sorted(set(canary.statuses))


# -- clients that break the rules -------------------------------------------------------------------------
MALFORMED = [
    (b"GARBAGE\r\n\r\n", (400,)),
    (b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", (400,)),
    (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", (400,)),
    (b"GET / HTTP/9.9\r\nHost: a\r\n\r\n", (505,)),
    (b"G\xc3\xa9T / HTTP/1.1\r\nHost: a\r\n\r\n", (400,)),
    (b"\x00\x01\x02\x03\r\n\r\n", (400,)),
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", (400,)),
    (b"GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", (400,)),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", (400,)),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX-Nul: a\x00b\r\n\r\n", (400,)),
    (b"GET / HTTP/1.1\r\n\r\n", (400,)),  # no Host
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", (400,)),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", (400,)),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", (400,)),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \xc2\xb2\r\n\r\n", (400,)),  # a superscript two
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", (400,)),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", (501,)),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n\r\n", (400,)),
    (b"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", (405,)),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: " + b", ".join([b"10.0.0.1"] * 31) + b"\r\n\r\n", (463,)),
]


async def test_malformed_requests_get_alb_errors_while_others_are_served(stage: Stage) -> None:
    for raw, expected in MALFORMED:
        status, response = await request(stage.port, raw)
        assert status in expected, (raw[:60], status, response[:200])
        assert b"Server: awselb/2.0" in response
    assert_canary_fine(stage.canary)
    logged = [s for s, _, _ in stage.access_log_statuses()]
    for status in (400, 405, 463, 501, 505):
        assert str(status) in logged


async def test_alb_size_limits(stage: Stage) -> None:
    """16 KB request line, 16 KB single header, 64 KB of headers (docs/aws-facts.md §5.2)."""
    def get(target: bytes, *headers: bytes) -> bytes:
        return b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"

    line_room = 16 * 1024 - len(b"GET  HTTP/1.1")
    cases = [
        (get(b"/" + b"a" * (line_room - 200)), (404,)),  # within: the target answers (no such file)
        (get(b"/" + b"a" * (16 * 1024 + 1)), (414, 400)),  # ALB: "URL too large" (414) / "request line" (400)
        (get(b"/", b"X-Big: " + b"b" * (16 * 1024 - 200)), (200,)),
        (get(b"/", b"X-Big: " + b"b" * (16 * 1024 + 1)), (400,)),
        (get(b"/", *[b"X-H%d: " % i + b"c" * 8000 for i in range(7)]), (200,)),  # 56 KB
        (get(b"/", *[b"X-H%d: " % i + b"c" * 8000 for i in range(9)]), (400,)),  # 72 KB
    ]
    for raw, expected in cases:
        status, response = await request(stage.port, raw)
        assert status in expected, (len(raw), status, response[:200])
    # Trickled in 4 KB pieces, the limit holds as the head grows: the listener refuses the header
    # once it is over 16 KB, and does not buffer the rest.
    reader, writer = await asyncio.open_connection(LOOP, stage.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: a\r\nX-Endless: ")
    sent = 0
    answer = b""
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(10):
            while sent < 200 * 1024 and not answer:
                writer.write(b"d" * 4096)
                await writer.drain()
                sent += 4096
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.01):
                        answer = await reader.read(200)
    writer.transport.abort()
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert sent <= 24 * 1024, f"the listener read {sent} bytes of one header before refusing it"
    assert_canary_fine(stage.canary)


async def test_slowloris_does_not_starve_other_clients(stage: Stage) -> None:
    writers = []
    for _ in range(64):
        _, writer = await asyncio.open_connection(LOOP, stage.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: slow\r\n")
        writers.append(writer)
    answered = len(stage.canary.statuses)
    for round_ in range(40):  # 2 s of trickling, a byte per connection every 50 ms
        for writer in writers:
            writer.write(b"X-Slow-%d: y\r\n" % round_ if round_ % 5 == 0 else b"")
            writer.write(b"y")
        await asyncio.sleep(0.05)
    assert_canary_fine(stage.canary)
    # Answered while the trickle went on, not just before it: a starved canary would wait out its 5 s
    # in vain. (About 90 answers on an idle machine; a few show it was served.)
    assert len(stage.canary.statuses) >= answered + 3
    for writer in writers:
        writer.transport.abort()


async def test_clients_that_vanish_are_logged_as_460(stage: Stage) -> None:
    # Mid-request: half a body, then gone.
    reader, writer = await asyncio.open_connection(LOOP, stage.port)
    writer.write(b"POST /abuse/sink HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + b"p" * 1000)
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.transport.abort()
    # Mid-response: read a little of an endless body, then gone.
    reader, writer = await asyncio.open_connection(LOOP, stage.port)
    writer.write(b"GET /abuse/endless HTTP/1.1\r\nHost: a\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(100_000)
    writer.transport.abort()
    await wait_until(lambda: sum(1 for s, _, r in stage.access_log_statuses() if s == "460") >= 2)
    rows = {r.split(" ")[1].rsplit("/", 1)[-1]: (s, t) for s, t, r in stage.access_log_statuses() if "/abuse/" in r}
    assert rows["sink"][0] == "460" and rows["endless"] == ("460", "200")
    assert_canary_fine(stage.canary)


async def test_targets_that_misbehave_get_502_and_504(stage: Stage) -> None:
    started = time.monotonic()
    silent = asyncio.create_task(request(stage.port, b"GET /abuse/silent HTTP/1.1\r\nHost: a\r\n\r\n"))
    for how in ("reset", "garbage"):
        status, response = await request(stage.port, b"GET /abuse/%s HTTP/1.1\r\nHost: a\r\n\r\n" % how.encode())
        assert status == 502 and b"502 Bad Gateway" in response, (how, response[:200])
    status, response = await silent
    assert status == 504 and b"504 Gateway Time-out" in response
    assert IDLE - 0.1 < time.monotonic() - started < IDLE + 3, "504 after the idle timeout"
    rows = {r.split(" ")[1].rsplit("/", 1)[-1]: s for s, _, r in stage.access_log_statuses() if "/abuse/" in r}
    assert rows == {"reset": "502", "garbage": "502", "silent": "504"}
    assert_canary_fine(stage.canary)


async def test_huge_bodies_stream_through_with_flat_memory(stage: Stage) -> None:
    gc.collect()
    tracemalloc.start()
    try:
        reader, writer = await asyncio.open_connection(LOOP, stage.port)
        writer.write(b"PUT /abuse/sink HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % BIG)
        for _ in range(BIG // len(BLOCK)):
            writer.write(BLOCK)
            await writer.drain()
        async with asyncio.timeout(30):
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200") and await reader.readexactly(4) == b"sunk"
            writer.write(b"GET /abuse/stream HTTP/1.1\r\nHost: a\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            received = 0
            while received < BIG:
                piece = await reader.read(262144)
                assert piece
                received += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        writer.transport.abort()
    assert peak < 16 * 1024 * 1024, f"{2 * BIG // 2**20} MB went through; peak traced memory {peak / 2**20:.1f} MB"
    assert_canary_fine(stage.canary)


async def test_after_the_abuse_nothing_is_left_open(stage: Stage) -> None:
    for raw, _ in MALFORMED[:5]:
        await request(stage.port, raw)
    for how in ("reset", "garbage"):
        await request(stage.port, b"GET /abuse/%s HTTP/1.1\r\nHost: a\r\n\r\n" % how.encode())
    stage.canary.stop()
    await asyncio.sleep(0.1)
    server = stage.server()
    await wait_until(lambda: server.active_connections == 0)  # type: ignore[attr-defined]


async def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


# -- the internet edge in front of it -----------------------------------------------------------------------
async def test_the_edge_answers_hostile_requests_and_keeps_proxying(stage: Stage) -> None:
    edge = stage.cloud.edge
    assert edge is not None
    dns = stage.lab.lb.dns_name.encode()
    hostile = [
        (b"GET http://" + dns + b":\xc2\xb2/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # a port in superscript digits
        (b"POST http://" + dns + b"/ HTTP/1.1\r\nHost: x\r\nContent-Length: \xc2\xb2\r\n\r\n", 400),
        (b"POST http://" + dns + b"/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
         400),
        (b"GET http://" + dns + b":99999/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET ftp://" + dns + b"/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET http://" + dns + b"/ HTTP/1.1\r\nBad Header\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),  # a TLS hello sent to a plain proxy
        (b"GET http://" + dns + b"/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n", 431),
        (b"GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: x\r\n\r\n" % edge.port, 400),  # the edge itself
    ]
    for raw, expected in hostile:
        status, response = await request(edge.port, raw)
        assert status == expected, (raw[:80], status, response[:200])
    status, response = await request(edge.port, b"GET http://" + dns + b"/ HTTP/1.1\r\nHost: " + dns + b"\r\n\r\n")
    assert status == 200 and b"Hello World" in response
    assert_canary_fine(stage.canary)


async def test_a_target_flooding_interim_responses_does_not_break_the_listener(
        stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    async def interim_flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"GET / "):  # health checks
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            else:
                final = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 5000 + final)
            await writer.drain()

    bad = next(i for i in stage.cloud.ec2.instances.values() if i.name == "abuser")
    await plug(bad, interim_flood)
    reader, writer = await asyncio.open_connection(LOOP, stage.port)
    writer.write(b"GET /abuse/interim HTTP/1.1\r\nHost: a\r\n\r\n")
    data = b""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while not data.endswith(b"final") and b"</html>" not in data:
                piece = await reader.read(65536)
                if not piece:
                    break
                data += piece
    writer.transport.abort()
    assert "data_received() call failed" not in caplog.text
    assert data.endswith(b"\r\n\r\nfinal"), data[-200:]
