"""Heads a parser remembers (mock_cloud/http1.py: `Remembered`, `RequestParser(remember=)`, `response_parser`): the
verdict on bytes seen before is the verdict a fresh parse gives them, and what the balancer does per request stays per
request."""

from __future__ import annotations

import asyncio

from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.proxy_http import ALB_LIMITS, request_parser
from mock_cloud.http1 import (
    REMEMBERED_MAX,
    BadResponse,
    HttpError,
    ParsedRequest,
    ParsedResponse,
    RequestParser,
    parse_response,
    response_parser,
)
from mock_cloud.scenarios import healthy_lab
from tests.reliability.test_http1_hostile import BAD, GOOD, Entry, head, read_reply

BALANCER = Entry("balancer", 0, b"", ALB_LIMITS)
DROPPED = ("x-forwarded-for", "x-amzn-trace-id")
GOOD_REQUESTS = [
    GOOD,
    head(BALANCER, b"Host: a", b"Connection: close", method=b"GET") + b"\r\n",
    head(BALANCER, b"Host: a", b"Connection: keep-alive", method=b"GET", version=b"1.0") + b"\r\n",
    head(BALANCER, b"Host: a", b"X-Forwarded-For: 198.51.100.7", b"X-Amzn-Trace-Id: Root=1-x") + b"\r\n",
    head(BALANCER, b"Host: a", b"Connection: te, x-gone", b"TE: trailers", b"X-Gone: 1") + b"\r\n",
    head(BALANCER, b"Host: a", b"Transfer-Encoding: chunked") + b"\r\n5\r\nhello\r\n0\r\n\r\n",
    head(BALANCER, b"Host: a", b"Content-Length: 5") + b"\r\nhello" + GOOD,  # a body, then a pipelined request
]
RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close, x-private\r\nX-Private: 1\r\n\r\nbody until the end",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n",
    b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    b"HTTP/1.1 200 OK\r\nContent-Le",  # not all here yet
]


def fresh_parse(data: bytes) -> ParsedRequest | None:
    """A balancer listener's parse of `data`, by a parser that has never seen it."""
    return request_parser("x-lblab-client-ip").parse(data)


def verdict(parse: object, data: bytes | bytearray) -> object:
    """What a parse of `data` gives: the parsed head, None while incomplete, or the refusal."""
    try:
        return parse(data)  # type: ignore[operator]
    except HttpError as error:
        return ("HttpError", error.status, error.detail)
    except BadResponse as error:
        return ("BadResponse", str(error))


def test_a_remembered_request_head_gets_a_fresh_parse_s_verdict() -> None:
    fresh = RequestParser(ALB_LIMITS, DROPPED, "x-forwarded-for")
    remembering = RequestParser(ALB_LIMITS, DROPPED, "x-forwarded-for", remember=16)
    corpus = [build(BALANCER) + GOOD for _, build, _ in BAD] + GOOD_REQUESTS
    shared = []
    for data in corpus:
        expected = verdict(fresh.parse, data)
        first, again = verdict(remembering.parse, data), verdict(remembering.parse, data)
        assert first == again == verdict(remembering.parse, bytearray(data)) == expected, data
        if isinstance(expected, ParsedRequest) and len(data) <= REMEMBERED_MAX:
            assert again is first  # remembered: the same parse, shared
            shared.append(data)
    assert set(GOOD_REQUESTS) <= set(shared) and len(shared) > len(GOOD_REQUESTS)  # and bad bodies behind good heads


def test_only_bytes_within_the_bound_are_remembered_and_only_as_many_as_asked() -> None:
    parser = RequestParser(ALB_LIMITS, remember=2)
    big = head(BALANCER, b"Host: a", b"X-Big: " + b"b" * REMEMBERED_MAX, method=b"GET") + b"\r\n"
    first = parser.parse(big)
    assert first is not None and first.head_bytes == len(big)
    assert parser.parse(big) is not first and parser.parse(big) == first  # parsed again, each time alike
    heads = [head(BALANCER, b"Host: %d" % n, method=b"GET") + b"\r\n" for n in range(5)]
    parsed = [parser.parse(h) for h in heads]
    # Two generations of two: the last three or four parses are kept, the older ones forgotten (asked newest
    # first, since a parse made afresh is kept too).
    kept = [parser.parse(h) is p for h, p in reversed(list(zip(heads, parsed, strict=True)))]
    assert kept == [True, True, True, False, False]


def test_a_remembered_response_head_gets_a_fresh_parse_s_verdict() -> None:
    remembering = response_parser(16)
    for data in RESPONSES:
        expected = verdict(parse_response, data)
        first, again = verdict(remembering, data), verdict(remembering, data)
        assert first == again == verdict(remembering, bytearray(data)) == expected, data
        if isinstance(expected, ParsedResponse):
            assert again is first


async def test_a_repeated_request_is_still_a_request_of_its_own(cloud: Cloud) -> None:
    """The same bytes three times on one connection: three exchanges, each with its own trace id and its
    own target in turn, though the head was parsed once."""
    lab = await healthy_lab(cloud, count=2)
    assert lab.listener.local_port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", lab.listener.local_port)
    server = cloud.elbv2._servers[lab.listener.arn]
    try:
        for _ in range(3):
            writer.write(GOOD_REQUESTS[0])
            reply = await read_reply(reader)
            assert reply.status == 404  # /after is not on the instances' web servers
            parsed = server._parser.parse(GOOD_REQUESTS[0])
            assert parsed is not None and parsed == fresh_parse(GOOD_REQUESTS[0])  # shared, and nothing changed it
    finally:
        writer.close()
    traces = cloud.elbv2.traces(limit=3)
    assert len({t.trace_id for t in traces}) == 3 and all(t.trace_id.startswith("Root=1-") for t in traces)
    targets = [[hop.detail for hop in t.hops[3:-1]] for t in traces]  # the routing hops: rule, group, target …
    assert targets[0] != targets[1] and targets[0] == targets[2], targets
