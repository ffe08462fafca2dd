"""HTTP/1.x wire format for the load balancer engine: head parsing, chunked framing, ALB error pages.

The parser is hand-written rather than httptools: a proxy needs the exact byte offset where a
message ends (pipelined requests, raw pass-through of chunked bodies, zero-copy forwarding of
response bodies), which a callback parser does not expose, and it needs per-header callbacks
no more than it needs per-header Python code. One regular expression finds the end of a head
and validates all of it in a single C call; the few headers the balancer interprets are then
picked out of the lower-cased head with one more, and a response's hop-by-hop lines are cut
with a third. Python code never loops over every header, and a request's header list is only
split out when route() asks for it.

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
# Possessive quantifiers (`*+`, `++`): nothing a repetition took could ever be given back to
# make a match, so the engine need not keep the state to try (a quarter faster on a head).
_HEADER_LINES = rb"(?:" + _TOKEN + rb"+:[\t -~\x80-\xff]*+\r\n)*+"
# A complete, valid head with CRLF line ends, matched from the start of the buffer. Header
# values cannot hold CR or LF, so the first blank line ends the match: no backtracking.
_REQUEST_HEAD = re.compile(rb"(" + _TOKEN + rb"+) ([!-~\x80-\xff]++) HTTP/1\.([01])\r\n(" + _HEADER_LINES + rb")\r\n")
_RESPONSE_HEAD = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: [\t -~\x80-\xff]*+)?\r\n" + _HEADER_LINES + rb"\r\n")
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
# The response headers that decide framing and reuse. Run on the lower-cased head: far faster
# than an IGNORECASE alternation. Heads are validated first, so LF + name + ":" can only be the
# start of that header's line.
_RESPONSE_FRAMING = re.compile(rb"\n(content-length|transfer-encoding|connection):[ \t]*([^\r]*)")


def _any_case(name: bytes) -> bytes:
    """A pattern for `name` in any letter case, e.g. [Tt][Ee] (IGNORECASE is far slower)."""
    return b"".join(b"[%c%c]" % (c, c - 32) if 97 <= c <= 122 else re.escape(bytes([c])) for c in name)


def _lines_named(names: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """Header lines with one of `names`, each with the CRLF in front of it: `sub(b"", head)`
    takes them out of a head whose status line is still there."""
    return re.compile(rb"\r\n(?:" + b"|".join(map(_any_case, names)) + rb"):[^\r]*")


_HOP_BY_HOP_LINES = _lines_named(_RESPONSE_DROPPED)
_CONTENT_LENGTH_LINES = _lines_named((b"content-length",))


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


def _without_lines(block: str, starts: list[int]) -> str:
    """`block` minus the header lines that begin at `starts` (ascending, distinct)."""
    pieces = []
    kept_from = 0
    for at in starts:
        pieces.append(block[kept_from:at])
        kept_from = block.index("\n", at) + 1
    pieces.append(block[kept_from:])
    return "".join(pieces)


def _find_all(text: str, needle: str) -> list[int]:
    """Offsets of every occurrence of `needle` in `text`."""
    found = []
    at = text.find(needle)
    while at >= 0:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


# -- requests ------------------------------------------------------------------------------------------
@dataclass(slots=True)
class ParsedRequest:
    method: str
    target: str
    version: str
    block: str  # the header lines as received, each ending in CRLF
    forward_block: str  # header lines to pass to the target verbatim, each ending in CRLF
    head_bytes: int  # how many bytes of the input the head took
    content_length: int = -1  # -1: none
    chunked: bool = False
    keep_alive: bool = True
    xff: str | None = None
    trace: str | None = None
    client_ip: str | None = None
    hidden: str | None = None  # the lower-case name of a header `headers()` leaves out

    def headers(self) -> list[tuple[str, str]]:
        """(name, value) pairs as received, in order, minus the client-address header. Split
        out of the block only when asked for: most routes never look at them."""
        pairs = _HEADER_PAIR.findall(self.block)
        if " \r" in self.block or "\t\r" in self.block:
            pairs = [(name, value.rstrip(" \t")) for name, value in pairs]
        if self.hidden is not None:
            pairs = [pair for pair in pairs if pair[0].lower() != self.hidden]
        return pairs


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
        method, target, minor, raw_block = match.groups()
        if match.end(2) > MAX_REQUEST_LINE:
            raise HttpError(414, "request line too long")
        if len(raw_block) > MAX_HEADER_LINE:
            _check_header_sizes(raw_block)
        block = raw_block.decode("latin-1")
        version = "1.1" if minor == b"1" else "1.0"
        request = ParsedRequest(method.decode("ascii"), target.decode("latin-1"), version, block, block, consumed)
        request.keep_alive = version == "1.1"
        # With a line feed in front, a header line's offset in `lowered` is its offset in `block`.
        self._read_special(request, "\n" + block.lower())
        return request

    def _read_special(self, request: ParsedRequest, lowered: str) -> None:
        hosts = 0
        dropped: list[tuple[str, str]] = []
        for found in self._special.findall(lowered):
            name, raw = found
            if name == "host":
                hosts += 1
                if not raw.rstrip(" \t"):
                    raise HttpError(400, "empty Host header")
            elif name == "content-length":
                value = raw.rstrip(" \t")
                if request.content_length >= 0 or not _DIGITS.fullmatch(value):
                    raise HttpError(400, "bad Content-Length")
                request.content_length = int(value)
            else:
                dropped.append(found)
        if hosts > 1 or (hosts == 0 and request.version == "1.1"):
            raise HttpError(400, "exactly one Host header is required")
        if dropped:
            self._drop(request, lowered, dropped)

    def _drop(self, request: ParsedRequest, lowered: str, dropped: list[tuple[str, str]]) -> None:
        """Apply the hop-by-hop and balancer-stated headers found, and take them out of the block."""
        te: list[str] = []
        xff: list[str] = []
        connection: list[str] = []
        for name, raw in dropped:
            value = raw.rstrip(" \t")  # lower-cased: used only where case does not matter
            if name == "x-forwarded-for":
                xff.append(value)
            elif name == "transfer-encoding":
                te.append(value)
            elif name == "connection":
                connection.extend(t.strip() for t in value.split(","))
            elif name == self.client_ip_header:
                request.client_ip = value
        names = {name for name, _ in dropped}
        if "x-amzn-trace-id" in names:
            # Trace ids are case-sensitive: the value comes from the original block.
            at = lowered.index("\nx-amzn-trace-id:")
            request.trace = request.forward_block[at + 16 : request.forward_block.index("\r", at)].strip(" \t")
        if self.client_ip_header in names:
            request.hidden = self.client_ip_header
        if te:
            _apply_transfer_encoding(request, ", ".join(te))
        if xff:
            request.xff = ", ".join(xff)
            if request.xff.count(",") >= MAX_XFF_ADDRESSES:
                raise HttpError(463, "too many X-Forwarded-For addresses")
        if connection:
            names |= _apply_connection(request, connection)
        # `lowered` has a line feed in front, so a line's offset there is its offset in the block;
        # a set, because a line may be named twice (e.g. "Connection: te" and a TE line).
        starts = sorted({at for name in names for at in _find_all(lowered, f"\n{name}:")})
        request.forward_block = _without_lines(request.forward_block, starts)
        if request.chunked:
            request.forward_block += "Transfer-Encoding: chunked\r\n"


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


class TraceStamp:
    """"1-<epoch seconds, 8 hex digits>-", the start of every trace id made in the same second:
    formatted once a second, not once a request."""

    __slots__ = ("_from", "_text", "_until")

    def __init__(self) -> None:
        self._from = self._until = 0.0
        self._text = ""

    def get(self, now: float) -> str:
        if not self._from <= now < self._until:
            second = int(now)
            self._from, self._until = second, second + 1
            self._text = f"1-{second:08x}-"
        return self._text


def next_trace_id(existing: str | None, stamp: str) -> str:
    """X-Amzn-Trace-Id as ALB sends it to targets (docs/aws-facts.md §5.1), given the new
    "1-<epoch seconds>-<96 random bits>" stamp (hex)."""
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
    minor, status = match.groups()
    http10 = minor == b"0"
    response = ParsedResponse(int(status), head, consumed, -1, False, not http10)
    for name, value in _RESPONSE_FRAMING.findall(head.lower()):
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
        elif name == b"transfer-encoding":
            if value.rstrip(b" \t") != b"chunked":
                raise BadResponse("unsupported Transfer-Encoding")
            response.chunked = True
        elif b"close" in value:  # the only name left: connection
            response.keep_alive = False
        elif http10 and b"keep-alive" in value:
            response.keep_alive = True
    head = _HOP_BY_HOP_LINES.sub(b"", head)
    if response.chunked and response.content_length >= 0:
        # RFC 9112 6.3: chunked wins, and the Content-Length must not be passed on.
        response.content_length = -1
        head = _CONTENT_LENGTH_LINES.sub(b"", head)
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
