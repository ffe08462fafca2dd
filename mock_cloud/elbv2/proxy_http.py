"""HTTP/1.x wire format for the load balancer engine: head parsing, chunked framing, ALB error pages.

The parser is hand-written rather than httptools: a proxy needs the exact byte offset where a
message ends (pipelined requests, raw pass-through of chunked bodies, zero-copy forwarding of
response bodies), which a callback parser does not expose, and it needs per-header callbacks
no more than it needs per-header Python code. One regular expression finds the end of a head
and validates all of it in a single C call; the few headers the balancer interprets are then
picked out of the lower-cased head with one more. Python code never loops over every header.

Strictness follows what keeps a proxy safe from request smuggling: header names must be tokens,
no obs-fold, no whitespace before the colon, digits-only Content-Length, Transfer-Encoding
"chunked" only and never together with Content-Length. Limits and status codes are ALB's
(docs/aws-facts.md §5.2-5.4): request line 16K → 414, one header 16K or all headers 64K → 400
(ALB documents no 431), response head 32K → 502.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_LINE = 16 * 1024
MAX_REQUEST_HEADERS = 64 * 1024
MAX_RESPONSE_HEAD = 32 * 1024
MAX_XFF_ADDRESSES = 30
# ALB rewrites an X-Amzn-Trace-Id header longer than this with a fresh Root.
MAX_TRACE_HEADER = 7 * 1024
MAX_CHUNK_LINE = 4 * 1024

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS"))

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_HEADER_LINES = rb"((?:" + _TOKEN + rb":[\t -~\x80-\xff]*\r\n)*)\r\n"
# A complete, valid head with CRLF line ends, matched from the start of the buffer. Header
# values cannot hold CR or LF, so the first blank line ends the match: no backtracking.
_REQUEST_HEAD = re.compile(rb"(" + _TOKEN + rb") ([!-~\x80-\xff]+) HTTP/1\.([01])\r\n" + _HEADER_LINES)
_RESPONSE_HEAD = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: [\t -~\x80-\xff]*)?\r\n" + _HEADER_LINES)
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([!-~\x80-\xff]+) HTTP/1\.([01])\r\n")
_ANY_REQUEST_LINE = re.compile(rb"[!-~]+ [!-~]+ HTTP/[0-9.]+\r\n")
# Run on validated header lines only, so "token:value CRLF" is all they can be. Trailing
# whitespace stays in the value: a lazy quantifier to drop it costs more than a rare fix-up.
_HEADER_PAIR = re.compile(r"([^:]+):[ \t]*([^\r]*)\r\n")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})(?:[ \t]*;[\t -~\x80-\xff]*)?")
_DIGITS = re.compile(r"[0-9]{1,18}")

# Request headers that are hop-by-hop, or that the balancer states itself (a client's own
# X-Forwarded-Proto must not reach the target): never forwarded as received.
_REQUEST_DROPPED = (
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "transfer-encoding",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-amzn-trace-id",
)
_RESPONSE_DROPPED = (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade",
                     b"transfer-encoding")  # fmt: skip
# Run on the lower-cased head: far faster than an IGNORECASE alternation. Heads are validated
# first, so LF + name + ":" can only be the start of that header's line.
_RESPONSE_SPECIAL = re.compile(rb"\n(" + b"|".join((b"content-length", *_RESPONSE_DROPPED)) + rb"):[ \t]*([^\r]*)")
_RESPONSE_NEEDLES = {name: b"\n" + name + b":" for name in (b"content-length", *_RESPONSE_DROPPED)}


class HttpError(Exception):
    """A request the balancer answers itself with an ALB error page."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail


class BadResponse(Exception):
    """The target's bytes are not an acceptable HTTP/1.x response (ALB answers 502)."""


# -- heads ----------------------------------------------------------------------------------------------
def find_head_end(buf: bytes | bytearray, start: int = 0) -> tuple[int, int]:
    """(length of the head up to and including its last line end, length of the blank line
    after it), or (-1, 0) while incomplete. `start` skips bytes already searched.

    Bare-LF line ends are accepted as nginx and Apache do (hand-typed `nc` requests); such
    heads are rewritten with CRLF before they are parsed or forwarded."""
    crlf = buf.find(b"\n\r\n", start)
    lf = buf.find(b"\n\n", start, crlf + 1 if crlf >= 0 else len(buf))
    if lf >= 0:
        return lf + 1, 1
    return (crlf + 1, 2) if crlf >= 0 else (-1, 0)


def _crlf(head: bytes) -> bytes:
    return head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _without_lines(block: Any, lowered: Any, needles: list[Any], shift: int) -> Any:
    """`block` minus one header line per needle (LF + lower-case name + ":"); str or bytes.

    `lowered` is the lower-cased block, in which a header line starts `shift` characters
    after the line feed in front of it."""
    newline = needles[0][:1]
    if len(needles) == 1:  # the usual case, done without the general bookkeeping
        at = lowered.find(needles[0]) + shift
        return block[:at] + block[block.index(newline, at) + 1 :]
    starts: list[int] = []
    for needle in needles:
        at = lowered.find(needle) + shift
        while at in starts:
            at = lowered.find(needle, at - shift + 1) + shift
        starts.append(at)
    starts.sort()
    pieces = []
    kept_from = 0
    for at in starts:
        pieces.append(block[kept_from:at])
        kept_from = block.index(newline, at) + 1
    pieces.append(block[kept_from:])
    return block[:0].join(pieces)


# -- requests ------------------------------------------------------------------------------------------
@dataclass(slots=True)
class ParsedRequest:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]  # as received, minus the client-address header
    forward_block: str  # header lines to pass to the target verbatim, each ending in CRLF
    head_bytes: int  # how many bytes of the input the head took
    content_length: int = -1  # -1: none
    chunked: bool = False
    keep_alive: bool = True
    xff: str | None = None
    trace: str | None = None
    client_ip: str | None = None


class RequestParser:
    """Parses request heads for one listener, whose client-address header is special too."""

    def __init__(self, client_ip_header: str) -> None:
        self.client_ip_header = client_ip_header.lower()
        names = "|".join(re.escape(n) for n in ("host", "content-length", *_REQUEST_DROPPED, self.client_ip_header))
        self._special = re.compile(rf"\n({names}):[ \t]*([^\r]*)")  # see _RESPONSE_SPECIAL

    def parse(self, data: bytes | bytearray) -> ParsedRequest | None:
        """The request head at the start of `data`; None while incomplete. Raises HttpError."""
        match = _REQUEST_HEAD.match(data)
        if match is not None:
            return self._build(match, match.end())
        head_len, blank = find_head_end(data)
        if head_len < 0:
            check_incomplete_request(data)
            return None
        head = _crlf(bytes(data[:head_len])) + b"\r\n"
        match = _REQUEST_HEAD.match(head)
        if match is None:
            raise _malformed(head)
        return self._build(match, head_len + blank)

    def _build(self, match: re.Match[bytes], consumed: int) -> ParsedRequest:
        if match.end(2) > MAX_REQUEST_LINE:
            raise HttpError(414, "request line too long")
        raw_block = match.group(4)
        if len(raw_block) > MAX_HEADER_LINE:
            _check_header_sizes(raw_block)
        block = raw_block.decode("latin-1")
        version = "1.1" if match.group(3) == b"1" else "1.0"
        request = ParsedRequest(
            match.group(1).decode("ascii"),
            match.group(2).decode("latin-1"),
            version,
            _header_pairs(block),
            block,
            consumed,
            keep_alive=version == "1.1",
        )
        lowered = "\n" + block.lower()
        self._read_special(request, lowered, self._special.findall(lowered))
        return request

    def _read_special(self, request: ParsedRequest, lowered: str, found: list[tuple[str, str]]) -> None:
        hosts = 0
        dropped: list[str] = []
        te: list[str] = []
        xff: list[str] = []
        connection: list[str] = []
        for name, raw in found:
            value = raw.rstrip(" \t")  # lower-cased: used only where case does not matter
            if name == "host":
                hosts += 1
                if not value:
                    raise HttpError(400, "empty Host header")
                continue
            if name == "content-length":
                if request.content_length >= 0 or not _DIGITS.fullmatch(value):
                    raise HttpError(400, "bad Content-Length")
                request.content_length = int(value)
                continue
            dropped.append(name)
            if name == "x-forwarded-for":
                xff.append(value)
            elif name == "transfer-encoding":
                te.append(value)
            elif name == "connection":
                connection.extend(t.strip() for t in value.split(","))
            elif name == self.client_ip_header:
                request.client_ip = value
        if hosts > 1 or (hosts == 0 and request.version == "1.1"):
            raise HttpError(400, "exactly one Host header is required")
        if dropped:
            self._drop(request, lowered, dropped, te, xff, connection)

    def _drop(self, request: ParsedRequest, lowered: str, dropped: list[str], te: list[str], xff: list[str],
              connection: list[str]) -> None:  # fmt: skip
        if "x-amzn-trace-id" in dropped:
            # Trace ids are case-sensitive: the value comes from the original block.
            at = lowered.index("\nx-amzn-trace-id:")
            request.trace = request.forward_block[at + 16 : request.forward_block.index("\r", at)].strip(" \t")
        if self.client_ip_header in dropped:
            request.headers = [h for h in request.headers if h[0].lower() != self.client_ip_header]
        if te:
            _apply_transfer_encoding(request, ", ".join(te))
        if xff:
            request.xff = ", ".join(xff)
            if request.xff.count(",") >= MAX_XFF_ADDRESSES:
                raise HttpError(463, "too many X-Forwarded-For addresses")
        if connection:
            for extra in _apply_connection(request, connection):
                dropped.extend([extra] * lowered.count(f"\n{extra}:"))
        # `lowered` has a line feed in front, so a line's offset there is its offset in the block.
        needles = [f"\n{name}:" for name in dropped]
        request.forward_block = _without_lines(request.forward_block, lowered, needles, 0)
        if request.chunked:
            request.forward_block += "Transfer-Encoding: chunked\r\n"


def _header_pairs(block: str) -> list[tuple[str, str]]:
    pairs = _HEADER_PAIR.findall(block)
    if " \r" in block or "\t\r" in block:
        pairs = [(name, value.rstrip(" \t")) for name, value in pairs]
    return pairs


def check_incomplete_request(buf: bytes | bytearray) -> None:
    """Reject a request head that is still arriving but already over one of ALB's limits."""
    first_nl = buf.find(b"\n")
    if first_nl > MAX_REQUEST_LINE or (first_nl < 0 and len(buf) > MAX_REQUEST_LINE):
        raise HttpError(414, "request line too long")
    if first_nl >= 0 and len(buf) - first_nl > MAX_REQUEST_HEADERS:
        raise HttpError(400, "request headers too large")
    if first_nl >= 0 and len(buf) - buf.rfind(b"\n") > MAX_HEADER_LINE:
        raise HttpError(400, "request header too large")


def _check_header_sizes(block: bytes) -> None:
    if len(block) > MAX_REQUEST_HEADERS:
        raise HttpError(400, "request headers too large")
    if max(map(len, block.split(b"\r\n"))) > MAX_HEADER_LINE:
        raise HttpError(400, "request header too large")


def _malformed(head: bytes) -> HttpError:
    first = head[: head.find(b"\n") + 1]
    if len(first) > MAX_REQUEST_LINE + 2:
        return HttpError(414, "request line too long")
    if _REQUEST_LINE.fullmatch(first):
        return HttpError(400, "malformed header line")
    if _ANY_REQUEST_LINE.fullmatch(first):
        return HttpError(505, "unsupported HTTP version")
    return HttpError(400, "malformed request line")


def _apply_transfer_encoding(request: ParsedRequest, te: str) -> None:
    codings = [c.strip() for c in te.split(",")]
    if any(c not in ("chunked", "identity") for c in codings):
        raise HttpError(501, "unsupported Transfer-Encoding")
    if "chunked" not in codings:
        return
    # Both framings (or chunked in HTTP/1.0) is the classic request-smuggling shape.
    if request.content_length >= 0 or request.version == "1.0" or codings[-1] != "chunked":
        raise HttpError(400, "ambiguous message framing")
    request.chunked = True


def _apply_connection(request: ParsedRequest, tokens: list[str]) -> set[str]:
    """Apply the Connection header; returns the other headers it names (hop-by-hop too)."""
    if "close" in tokens:
        request.keep_alive = False
    elif "keep-alive" in tokens:
        request.keep_alive = True
    return {t for t in tokens if t not in ("close", "keep-alive", "")}


def next_trace_id(existing: str | None, now: float, random_hex: str) -> str:
    """X-Amzn-Trace-Id as ALB sends it to targets (docs/aws-facts.md §5.1)."""
    stamp = f"1-{int(now):08x}-{random_hex}"
    if not existing or len(existing) > MAX_TRACE_HEADER:
        return f"Root={stamp}"
    fields = [f for f in (p.strip() for p in existing.split(";")) if f and not f.startswith("Self=")]
    if any(f.startswith("Root=") for f in fields):
        return ";".join([f"Self={stamp}", *fields])
    return ";".join([f"Root={stamp}", *fields])


# -- responses -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class ParsedResponse:
    status: int
    head: bytes  # status line and end-to-end header lines, each ending in CRLF; spoken as 1.1
    head_bytes: int  # how many bytes of the input the head took
    content_length: int = -1  # -1: none
    chunked: bool = False
    keep_alive: bool = True  # may the target connection carry another request


def parse_response(data: bytes | bytearray) -> ParsedResponse | None:
    """The response head at the start of `data`; None while incomplete. Raises BadResponse."""
    match = _RESPONSE_HEAD.match(data)
    if match is not None:
        consumed = match.end()
        head = data[: consumed - 2] if type(data) is bytes else bytes(data[: consumed - 2])
    else:
        head_len, blank = find_head_end(data)
        if head_len < 0:
            if len(data) > MAX_RESPONSE_HEAD:
                raise BadResponse("response head too large")
            return None
        head = _crlf(bytes(data[:head_len]))
        match = _RESPONSE_HEAD.match(head + b"\r\n")
        if match is None:
            raise BadResponse("malformed response head")
        consumed = head_len + blank
    if consumed > MAX_RESPONSE_HEAD:
        raise BadResponse("response head too large")
    http10 = match.group(1) == b"0"
    response = ParsedResponse(int(match.group(2)), head, consumed, -1, False, not http10)
    lowered = head.lower()
    dropped: list[bytes] = []
    for name, value in _RESPONSE_SPECIAL.findall(lowered):
        if name == b"content-length":
            if not value.isdigit():
                value = value.rstrip(b" \t")
                if not value.isdigit():
                    raise BadResponse("bad Content-Length")
            if len(value) > 18:
                raise BadResponse("bad Content-Length")
            if response.content_length >= 0 and int(value) != response.content_length:
                raise BadResponse("conflicting Content-Length")
            response.content_length = int(value)
            continue
        dropped.append(_RESPONSE_NEEDLES[name])
        if name == b"transfer-encoding":
            if value.rstrip(b" \t") != b"chunked":
                raise BadResponse("unsupported Transfer-Encoding")
            response.chunked = True
        elif name == b"connection":
            if b"close" in value:
                response.keep_alive = False
            elif http10 and b"keep-alive" in value:
                response.keep_alive = True
    if response.chunked and response.content_length >= 0:
        # RFC 9112 6.3: chunked wins, and the Content-Length must not be passed on.
        response.content_length = -1
        dropped.extend([b"\ncontent-length:"] * lowered.count(b"\ncontent-length:"))
    if dropped:
        # The status line ends in LF, so every header line starts right after one.
        head = _without_lines(head, lowered, dropped, 1)
    response.head = b"HTTP/1.1" + head[8:] if http10 else head
    return response


# -- chunked bodies -------------------------------------------------------------------------------------
_SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


class ChunkedReader:
    """Follows chunked framing through a byte stream without copying the data.

    `feed` reports how many bytes of the input belong to the body (the rest is the next
    message) and, when asked, the spans of chunk data so a caller can de-chunk."""

    __slots__ = ("_left", "_line", "_state")

    def __init__(self) -> None:
        self._state = _SIZE
        self._left = 0
        self._line = bytearray()

    @property
    def done(self) -> bool:
        return self._state == _DONE

    def feed(self, data: bytes | bytearray, spans: list[tuple[int, int]] | None = None) -> int:
        pos, n = 0, len(data)
        while pos < n and self._state != _DONE:
            if self._state == _DATA:
                take = min(self._left, n - pos)
                if spans is not None:
                    spans.append((pos, pos + take))
                pos += take
                self._left -= take
                if not self._left:
                    self._state = _DATA_END
                continue
            newline = data.find(b"\n", pos)
            if newline < 0:
                self._line += data[pos:]
                if len(self._line) > MAX_CHUNK_LINE:
                    raise ValueError("chunk line too long")
                return n
            if self._line:
                self._line += data[pos:newline]
                line = bytes(self._line)
                self._line.clear()
            else:
                line = bytes(data[pos:newline])
            pos = newline + 1
            self._on_line(line[:-1] if line.endswith(b"\r") else line)
        return pos

    def _on_line(self, line: bytes) -> None:
        if self._state == _SIZE:
            match = _CHUNK_SIZE.fullmatch(line)
            if match is None:
                raise ValueError("bad chunk size")
            self._left = int(match.group(1), 16)
            self._state = _DATA if self._left else _TRAILER
        elif self._state == _DATA_END:
            if line:
                raise ValueError("chunk data longer than its size")
            self._state = _SIZE
        elif not line:
            self._state = _DONE
        elif len(line) > MAX_HEADER_LINE:
            raise ValueError("trailer too long")


def chunk(data: bytes) -> bytes:
    """One chunk of a body the balancer re-frames for an HTTP/1.1 client."""
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


# -- what the balancer says itself ---------------------------------------------------------------------
# ALB's reason phrases where they differ from Python's (docs/aws-facts.md §5.3: nginx wording).
_ALB_REASONS = {
    405: "Not Allowed",
    408: "Request Time-out",
    413: "Request Entity Too Large",
    414: "Request-URI Too Large",
    463: "",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def reason_phrase(status: int) -> str:
    phrase = _ALB_REASONS.get(status)
    if phrase is not None:
        return phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def error_page(status: int) -> bytes:
    """ALB's HTML body for a status it generates: nginx-style, CRLF line ends."""
    title = f"{status} {reason_phrase(status)}".rstrip()
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode("latin-1")


class HttpDate:
    """The Date header value, formatted once per second: the hot path needs it often."""

    __slots__ = ("_second", "_text")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def get(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._text = formatdate(now, usegmt=True)
        return self._text


http_date = HttpDate()


def balancer_response(
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    keep_alive: bool,
    head_only: bool = False,
) -> bytes:
    """A complete response generated by the balancer (error page, fixed response, redirect)."""
    lines = [
        f"HTTP/1.1 {status} {reason_phrase(status)}",
        "Server: awselb/2.0",
        f"Date: {http_date.get()}",
    ]
    lines.extend(
        f"{k}: {v}" for k, v in headers if k.lower() not in ("content-length", "connection", "transfer-encoding")
    )
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    lines.append("\r\n")
    head = "\r\n".join(lines).encode("latin-1")
    return head if head_only else head + body
