"""HTTP/1.x framing shared by every server of the cloud: the balancer, the internet edge and the
instances' web servers. One parser means one verdict: a message that one of them reads as two
cannot be read as one by another (request smuggling, response desync).

The parser is hand-written rather than httptools: a proxy needs the exact byte offset where a
message ends (pipelined requests, raw pass-through of chunked bodies, zero-copy forwarding of
response bodies), which a callback parser does not expose, and it needs per-header callbacks
no more than it needs per-header Python code. One regular expression finds the end of a head
and validates all of it in a single C call; the few headers that decide framing are then picked
out of the lower-cased head with one more, and a response's hop-by-hop lines are cut with a
third. Python code never loops over every header, and a request's header list is only split
out when asked for. A server that sees the same heads again and again (the balancer) remembers
their parse by their bytes (`Remembered`), and answers a repeated head without parsing it.

Strict as RFC 9112 allows, because leniency is where two parsers disagree: every line ends in
CRLF (a bare LF or CR is 400, not a line end), header names are tokens, no obs-fold, no
whitespace before the colon, no control bytes (NUL, CR, LF) in values, Content-Length digits
only and at most once, Transfer-Encoding exactly "chunked" (anything else 501, as ALB and
nginx answer) and never with Content-Length or in HTTP/1.0 (400), chunk sizes hex digits only,
chunk data followed by exactly CRLF, chunk extensions and trailers bounded. Each server states
its own size limits and the status they are answered with (`Limits`).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Generic, TypeVar

# A response head from a target larger than this is a bad response (ALB: 32K → 502).
MAX_RESPONSE_HEAD = 32 * 1024
# A chunk-size line with its extensions, and all trailer lines of one body.
MAX_CHUNK_LINE = 4 * 1024
MAX_TRAILERS = 16 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """A server's request head limits: request line over `request_line` → 414; one header line
    over `header_line` or all of them over `headers` → `too_large` (400 or 431)."""

    request_line: int
    header_line: int
    headers: int
    too_large: int = 400


class HttpError(Exception):
    """A request the server answers itself with an error status, then closes the connection."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail


class BadResponse(Exception):
    """An upstream's bytes are not an acceptable HTTP/1.x response (a proxy answers 502)."""


class BadChunk(ValueError):
    """Chunked framing that is not exactly RFC 9112's."""


_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_VALUE = rb"[\t -~\x80-\xff]"  # field-vchar, SP, HTAB: no CR, LF, NUL or other controls
# Possessive quantifiers (`*+`, `++`): nothing a repetition took could ever be given back to
# make a match, so the engine need not keep the state to try (a quarter faster on a head).
_HEADER_LINES = rb"(?:" + _TOKEN + rb"+:" + _VALUE + rb"*+\r\n)*+"
# A complete, valid head, matched from the start of the buffer. Header values cannot hold CR
# or LF, so the first blank line ends the match: no backtracking.
_REQUEST_HEAD = re.compile(rb"(" + _TOKEN + rb"+) ([!-~\x80-\xff]++) HTTP/1\.([01])\r\n(" + _HEADER_LINES + rb")\r\n")
_RESPONSE_HEAD = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: " + _VALUE + rb"*+)?\r\n" + _HEADER_LINES + rb"\r\n")
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([!-~\x80-\xff]+) HTTP/1\.([01])\r\n")
_ANY_REQUEST_LINE = re.compile(rb"[!-~]+ [!-~]+ HTTP/[0-9.]+\r\n")
_TRAILER_LINE = re.compile(_TOKEN + rb":" + _VALUE + rb"*+")
_TOKEN_ONLY = re.compile(_TOKEN.decode())
# What can never be part of a head still arriving: a bare LF or CR (not a line end in HTTP/1.1
# here, RFC 9112 2.2) or a NUL. Found at once instead of waiting for a CRLF CRLF never sent.
_BAD_HEAD_BYTE = re.compile(rb"(?<!\r)\n|\r(?=[^\n])|\x00")
# Run on validated header lines only, so "token:value CRLF" is all they can be. Trailing
# whitespace stays in the value: a lazy quantifier to drop it costs more than a rare fix-up.
_HEADER_PAIR = re.compile(r"([^:]+):[ \t]*([^\r]*)\r\n")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})(?:[ \t]*;" + _VALUE + rb"*)?")
_DIGITS = re.compile(r"[0-9]{1,18}")
HEAD_END = b"\r\n\r\n"
# What a parser that remembers (`Remembered`) keeps at most: bytes received in one piece up to this size.
# Most heads, and a small page with its head, are a few hundred bytes; a browser's with cookies about one
# kilobyte. With 2 × 256 of them per direction a listener holds at most ~4 MB of heads and their parse.
REMEMBERED_MAX = 2048

# Hop-by-hop request headers (RFC 9110 7.6.1): never forwarded as received.
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding")
_RESPONSE_DROPPED = tuple(name.encode() for name in HOP_BY_HOP)
# The response headers that decide framing and reuse. Run on the lower-cased head: far faster
# than an IGNORECASE alternation. Heads are validated first, so LF + name + ":" can only be the
# start of that header's line.
_RESPONSE_FRAMING = re.compile(rb"\n(content-length|transfer-encoding|connection):[ \t]*([^\r]*)")


def _any_case(name: bytes) -> bytes:
    """A pattern for `name` in any letter case, e.g. [Tt][Ee] (IGNORECASE is far slower)."""
    return b"".join(b"[%c%c]" % (c, c - 32) if 97 <= c <= 122 else re.escape(bytes([c])) for c in name)


def _lines_named(names: Iterable[bytes]) -> re.Pattern[bytes]:
    """Header lines with one of `names`, each with the CRLF in front of it: `sub(b"", head)`
    takes them out of a head whose status line is still there."""
    return re.compile(rb"\r\n(?:" + b"|".join(map(_any_case, names)) + rb"):[^\r]*")


_HOP_BY_HOP_LINES = _lines_named(_RESPONSE_DROPPED)
_CONTENT_LENGTH_LINES = _lines_named((b"content-length",))


# -- heads ----------------------------------------------------------------------------------------------
def skip_empty_lines(data: bytes | bytearray) -> bytes | bytearray:
    """RFC 9112 2.2: empty lines before a request line are ignored."""
    return data.lstrip(b"\r\n") if data[:1] in (b"\r", b"\n") else data


def _check_bytes(buf: bytes | bytearray, start: int, error: Callable[[str], Exception]) -> None:
    bad = _BAD_HEAD_BYTE.search(buf, max(0, start - 1))
    if bad is not None:
        raise error("NUL in head" if bad.group() == b"\x00" else "bare CR or LF in head")


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


def connection_tokens(value: str) -> list[str]:
    return [t.strip() for t in value.lower().split(",")]


_T = TypeVar("_T")


class Remembered(Generic[_T]):
    """`parse`, remembering its answer for recent byte strings received whole: a parse depends on their bytes
    alone. A client sends the same request again and again (a browser's reloads, a `curl` loop, wrk), and a
    server the same answer but for its Date, so most messages cost a dict look-up instead of the regular
    expressions: the same verdict for the same bytes, and the same object, which its users therefore never
    change. Refusals (exceptions) and incomplete heads (None) are not remembered.

    Two generations of `size` each: an answer is kept while fewer than `size` others were made after it, and
    at most twice that. Forgetting a whole generation at once costs nothing per message, where taking the
    oldest entry out of one dict cost more than a look-up (its first entries are holes until it is resized)."""

    __slots__ = ("_old", "_parse", "_size", "_young")

    def __init__(self, parse: Callable[[bytes | bytearray], _T | None], size: int) -> None:
        self._parse = parse
        self._size = size
        self._young: dict[bytes, _T] = {}
        self._old: dict[bytes, _T] = {}

    def parse(self, data: bytes | bytearray) -> _T | None:
        if type(data) is not bytes or len(data) > REMEMBERED_MAX:  # a bytearray can change, so it cannot be a key
            return self._parse(data)
        parsed = self._young.get(data)
        if parsed is None:
            parsed = self._old.get(data)
            if parsed is None:
                parsed = self._parse(data)
                if parsed is not None:
                    if len(self._young) >= self._size:
                        self._old, self._young = self._young, {}
                    self._young[data] = parsed
        return parsed


# -- requests ------------------------------------------------------------------------------------------
@dataclass(slots=True)
class ParsedRequest:
    """A request head as parsed. Read it, never change it: a parser that remembers (`Remembered`) hands the
    same object to every request with the same bytes."""

    method: str
    target: str
    version: str  # "1.1" / "1.0"
    block: str  # the header lines as received, each ending in CRLF
    forward_block: str  # header lines minus hop-by-hop and the parser's `dropped`, each ending in CRLF
    head_bytes: int  # how many bytes of the input the head took
    content_length: int = -1  # -1: none
    chunked: bool = False
    keep_alive: bool = True
    values: dict[str, str] | None = None  # the parser's `dropped` headers found: name -> values joined
    hidden: str | None = None  # the lower-case name of a header `headers()` leaves out

    def headers(self) -> list[tuple[str, str]]:
        """(name, value) pairs as received, in order, minus the hidden header. Split out of the
        block only when asked for: most requests never need them."""
        pairs = _HEADER_PAIR.findall(self.block)
        if " \r" in self.block or "\t\r" in self.block:
            pairs = [(name, value.rstrip(" \t")) for name, value in pairs]
        if self.hidden is not None:
            pairs = [pair for pair in pairs if pair[0].lower() != self.hidden]
        return pairs

    @property
    def has_body(self) -> bool:
        return self.chunked or self.content_length > 0


class RequestParser:
    """Parses request heads for one server. `dropped`: lower-case names of further headers the
    server states itself, taken out of `forward_block` with the hop-by-hop ones and their values
    kept in `values`; `hidden`: one of them `headers()` leaves out too. `absolute_form`: a
    forward proxy's requests name their host in the URL, so HTTP/1.1 needs no Host header there
    (RFC 9112 3.2.2: the proxy replaces it anyway).

    `remember`: how many heads to remember the parse of (see `Remembered`); none by default. A server
    whose every request differs (the instances behind a balancer, which stamps each with a new trace
    id) would only pay for the look-up."""

    def __init__(
        self,
        limits: Limits,
        dropped: Iterable[str] = (),
        hidden: str | None = None,
        *,
        absolute_form: bool = False,
        remember: int = 0,
    ) -> None:
        self.limits = limits
        self.dropped = tuple(dropped)
        self.hidden = hidden
        self.absolute_form = absolute_form
        names = "|".join(re.escape(n) for n in ("host", "content-length", *HOP_BY_HOP, *self.dropped))
        self._special = re.compile(rf"\n({names}):[ \t]*([^\r]*)")  # see _RESPONSE_FRAMING
        self._remembered = Remembered(self._parse_afresh, remember) if remember else None

    def parse(self, data: bytes | bytearray, scan_from: int = 0) -> ParsedRequest | None:
        """The request head at the start of `data`; None while incomplete. Raises HttpError.
        `scan_from`: how much of `data` an earlier call already found incomplete but valid."""
        if scan_from and data.find(HEAD_END, max(0, scan_from - 3)) < 0:
            self.check_incomplete(data, scan_from)  # a head arriving in pieces: no regex per piece
            return None
        if self._remembered is not None:
            return self._remembered.parse(data)
        return self._parse_afresh(data)

    def _parse_afresh(self, data: bytes | bytearray) -> ParsedRequest | None:
        match = _REQUEST_HEAD.match(data)
        if match is not None:
            return self._build(match)
        end = data.find(HEAD_END)
        if end < 0:
            self.check_incomplete(data)
            return None
        raise self._malformed(bytes(data[: end + 4]))

    def check_incomplete(self, buf: bytes | bytearray, scan_from: int = 0) -> None:
        """Reject a request head that is still arriving but already invalid or over a limit."""
        _check_bytes(buf, scan_from, lambda detail: HttpError(400, detail))
        limits = self.limits
        first_nl = buf.find(b"\n")
        if first_nl > limits.request_line or (first_nl < 0 and len(buf) > limits.request_line):
            raise HttpError(414, "request line too long")
        if first_nl >= 0 and len(buf) - first_nl > limits.headers:
            raise HttpError(limits.too_large, "request headers too large")
        if first_nl >= 0 and len(buf) - buf.rfind(b"\n") > limits.header_line:
            raise HttpError(limits.too_large, "request header too large")

    def _malformed(self, head: bytes) -> HttpError:
        first = head[: head.find(b"\n") + 1]
        if len(first) > self.limits.request_line + 2:
            return HttpError(414, "request line too long")
        if _REQUEST_LINE.fullmatch(first):
            return HttpError(400, "malformed header line")
        if _ANY_REQUEST_LINE.fullmatch(first):
            return HttpError(505, "unsupported HTTP version")
        return HttpError(400, "malformed request line")

    def _build(self, match: re.Match[bytes]) -> ParsedRequest:
        method, target, minor, raw_block = match.groups()
        limits = self.limits
        if match.end(2) > limits.request_line:
            raise HttpError(414, "request line too long")
        if len(raw_block) > limits.header_line:
            if len(raw_block) > limits.headers:
                raise HttpError(limits.too_large, "request headers too large")
            if max(map(len, raw_block.split(b"\r\n"))) > limits.header_line:
                raise HttpError(limits.too_large, "request header too large")
        block = raw_block.decode("latin-1")
        version = "1.1" if minor == b"1" else "1.0"
        request = ParsedRequest(method.decode("ascii"), target.decode("latin-1"), version, block, block, match.end())
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
        if hosts > 1 or (hosts == 0 and request.version == "1.1" and not self.absolute_form):
            raise HttpError(400, "exactly one Host header is required")
        if dropped:
            self._drop(request, lowered, dropped)

    def _drop(self, request: ParsedRequest, lowered: str, dropped: list[tuple[str, str]]) -> None:
        """Apply the hop-by-hop headers found, keep the values of the parser's own `dropped`
        ones, and take all of them out of the forward block."""
        te: list[str] = []
        connection: list[str] = []
        for name, raw in dropped:
            if name == "transfer-encoding":
                te.append(raw.rstrip(" \t"))
            elif name == "connection":
                connection.extend(connection_tokens(raw))
        names = {name for name, _ in dropped}
        if te:
            _apply_transfer_encoding(request, te)
        if connection:
            names |= _apply_connection(request, connection)
        own = names.intersection(self.dropped)
        if own:
            request.values = self._values(request.block, lowered, own)
            if self.hidden in own:
                request.hidden = self.hidden
        # `lowered` has a line feed in front, so a line's offset there is its offset in the block;
        # a set, because a line may be named twice (e.g. "Connection: te" and a TE line).
        starts = sorted({at for name in names for at in _find_all(lowered, f"\n{name}:")})
        request.forward_block = _without_lines(request.forward_block, starts)
        if request.chunked:
            request.forward_block += "Transfer-Encoding: chunked\r\n"

    @staticmethod
    def _values(block: str, lowered: str, names: set[str]) -> dict[str, str]:
        """Values as received (letter case kept: trace ids are case-sensitive), repeats joined."""
        values: dict[str, str] = {}
        for name in names:
            found = [
                block[at + len(name) + 1 : block.index("\r", at)].strip(" \t")
                for at in _find_all(lowered, f"\n{name}:")
            ]
            values[name] = ", ".join(found)
        return values


def _apply_transfer_encoding(request: ParsedRequest, te: list[str]) -> None:
    # nginx's rules, which ALB documents too (501 for a coding it does not know). "identity" is
    # gone from HTTP (RFC 9112 6.1): a server that read it as "no body" would take the body
    # for the next request while another reads it as a body.
    if request.version == "1.0":
        raise HttpError(400, "Transfer-Encoding in an HTTP/1.0 request")
    if len(te) > 1:
        raise HttpError(400, "duplicate Transfer-Encoding header")
    if te[0] != "chunked":
        raise HttpError(501, "unsupported Transfer-Encoding")
    # Both framings is the classic request-smuggling shape.
    if request.content_length >= 0:
        raise HttpError(400, "both Content-Length and Transfer-Encoding")
    request.chunked = True


def _apply_connection(request: ParsedRequest, tokens: list[str]) -> set[str]:
    """Apply the Connection header; returns the other headers it names (hop-by-hop too)."""
    if "close" in tokens:
        request.keep_alive = False
    elif "keep-alive" in tokens:
        request.keep_alive = True
    return {t for t in tokens if t not in ("close", "keep-alive", "")}


def half_close(transport: asyncio.WriteTransport) -> None:
    """Send FIN after the last answer (RFC 9112 9.6: close the sending side first, so unread
    input does not turn into a RST that destroys the answer). A peer that has already reset the
    connection makes shutdown() fail (ENOTCONN): then there is nothing left to say to it."""
    if transport.is_closing():
        return
    if not transport.can_write_eof():
        transport.close()
        return
    try:
        transport.write_eof()
    except OSError:
        transport.abort()


async def read_head(
    reader: asyncio.StreamReader, check: Callable[[bytearray, int], None], *, request: bool = True
) -> bytes | None:
    """One head from a stream, line by line so that nothing after it is consumed (a body or the
    next message stays in the reader). `check(head so far, where the new line starts)` raises on
    what is already wrong, so a head that can never end (a bare LF) is refused at once. Empty
    lines before a request are skipped (RFC 9112 2.2); None at end of input before any of it."""
    buf = bytearray()
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if not buf and not exc.partial.strip(b"\r\n"):
                return None
            raise
        except asyncio.LimitOverrunError as exc:
            line = await reader.readexactly(exc.consumed)  # over any limit: `check` refuses it
        start = len(buf)
        buf += line
        if request and buf.startswith((b"\r", b"\n")):
            buf = bytearray(skip_empty_lines(buf))
            start = 0
        check(buf, start)
        if buf.endswith(HEAD_END):
            return bytes(buf)


# -- responses -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class ParsedResponse:
    """A response head as parsed. Read it, never change it: a parser that remembers (`response_parser`) hands
    the same object to every response with the same bytes."""

    status: int
    head: bytes  # status line and end-to-end header lines, each ending in CRLF; spoken as 1.1
    head_bytes: int  # how many bytes of the input the head took
    content_length: int = -1  # -1: none
    chunked: bool = False
    keep_alive: bool = True  # may the upstream connection carry another request


def check_incomplete_response(buf: bytes | bytearray, scan_from: int = 0) -> None:
    _check_bytes(buf, scan_from, BadResponse)
    if len(buf) > MAX_RESPONSE_HEAD:
        raise BadResponse("response head too large")


def parse_response(data: bytes | bytearray) -> ParsedResponse | None:
    """The response head at the start of `data`; None while incomplete. Raises BadResponse."""
    match = _RESPONSE_HEAD.match(data)
    if match is None:
        if data.find(HEAD_END) >= 0:
            raise BadResponse("malformed response head")
        check_incomplete_response(data)
        return None
    consumed = match.end()
    if consumed > MAX_RESPONSE_HEAD:
        raise BadResponse("response head too large")
    head = data[: consumed - 2] if type(data) is bytes else bytes(data[: consumed - 2])
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
        else:  # the only name left: connection
            head = _apply_response_connection(response, value, http10, head)
    head = _HOP_BY_HOP_LINES.sub(b"", head)
    if response.chunked and response.content_length >= 0:
        # RFC 9112 6.3: chunked wins, and the Content-Length must not be passed on.
        response.content_length = -1
        head = _CONTENT_LENGTH_LINES.sub(b"", head)
    response.head = b"HTTP/1.1" + head[8:] if http10 else head
    return response


def response_parser(remember: int) -> Callable[[bytes | bytearray], ParsedResponse | None]:
    """`parse_response`, remembering its answers for the last `remember` to `2 × remember` heads (`Remembered`)."""
    return Remembered(parse_response, remember).parse


def _apply_response_connection(response: ParsedResponse, value: bytes, http10: bool, head: bytes) -> bytes:
    """Reuse as the Connection header says; the head minus the other headers it names."""
    if value == b"keep-alive":  # what most servers say: the common case costs one comparison
        response.keep_alive = True
        return head
    tokens = connection_tokens(value.decode("latin-1"))
    if "close" in tokens:
        response.keep_alive = False
    elif http10 and "keep-alive" in tokens:
        response.keep_alive = True
    named = [t.encode() for t in tokens if t not in ("close", "keep-alive") and _TOKEN_ONLY.fullmatch(t)]
    return _lines_named(named).sub(b"", head) if named else head


# -- chunked bodies -------------------------------------------------------------------------------------
_SIZE, _DATA, _DATA_CR, _DATA_LF, _TRAILER, _DONE = range(6)


class ChunkedReader:
    """Follows chunked framing through a byte stream without copying the data.

    `feed` reports how many bytes of the input belong to the body (the rest is the next
    message) and, when asked, the spans of chunk data so a caller can de-chunk. Raises
    BadChunk on anything but exact framing: lines end in CRLF, chunk data in exactly CRLF."""

    __slots__ = ("_left", "_line", "_state", "_trailers")

    def __init__(self) -> None:
        self._state = _SIZE
        self._left = 0
        self._line = bytearray()
        self._trailers = 0

    @property
    def done(self) -> bool:
        return self._state == _DONE

    @property
    def data_left(self) -> int:
        """Chunk data bytes still to come in the current chunk (0 between chunks)."""
        return self._left if self._state == _DATA else 0

    def feed(self, data: bytes | bytearray, spans: list[tuple[int, int]] | None = None) -> int:
        pos, n = 0, len(data)
        while pos < n and self._state != _DONE:
            state = self._state
            if state == _DATA:
                take = min(self._left, n - pos)
                if spans is not None:
                    spans.append((pos, pos + take))
                pos += take
                self._left -= take
                if not self._left:
                    self._state = _DATA_CR
                continue
            if state in (_DATA_CR, _DATA_LF):
                if data[pos] != (13 if state == _DATA_CR else 10):
                    raise BadChunk("chunk data not followed by CRLF")
                pos += 1
                self._state = _DATA_LF if state == _DATA_CR else _SIZE
                continue
            pos = self._line_from(data, pos)
        return pos

    def _line_from(self, data: bytes | bytearray, pos: int) -> int:
        """Take a size or trailer line (whole or in part) starting at `pos`; returns the new pos."""
        newline = data.find(b"\n", pos)
        limit = MAX_CHUNK_LINE if self._state == _SIZE else MAX_TRAILERS
        if newline < 0:
            self._line += data[pos:]
            if len(self._line) > limit:
                raise BadChunk("chunk line too long")
            return len(data)
        if self._line:
            self._line += data[pos:newline]
            line = bytes(self._line)
            self._line.clear()
        else:
            line = bytes(data[pos:newline])
        if not line.endswith(b"\r") or len(line) > limit:
            raise BadChunk("chunk line not ended by CRLF" if len(line) <= limit else "chunk line too long")
        self._on_line(line[:-1])
        return newline + 1

    def _on_line(self, line: bytes) -> None:
        if self._state == _SIZE:
            match = _CHUNK_SIZE.fullmatch(line)
            if match is None:
                raise BadChunk("bad chunk size")
            self._left = int(match.group(1), 16)
            self._state = _DATA if self._left else _TRAILER
        elif not line:
            self._state = _DONE
        else:
            self._trailers += len(line) + 2
            if self._trailers > MAX_TRAILERS or not _TRAILER_LINE.fullmatch(line):
                raise BadChunk("bad trailer")


async def iter_chunked(reader: asyncio.StreamReader, copy_chunk: int) -> AsyncIterator[bytes]:
    """The data of a chunked body from a stream, de-chunked, checked by ChunkedReader; reads no
    byte past the body. Raises BadChunk, or IncompleteReadError if the stream ends first."""
    chunked = ChunkedReader()
    while not chunked.done:
        left = chunked.data_left
        if left:
            piece = await reader.read(min(left, copy_chunk))
            if not piece:
                raise asyncio.IncompleteReadError(b"", left)
        else:
            try:
                piece = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                raise BadChunk("chunk line too long") from None
        spans: list[tuple[int, int]] = []
        chunked.feed(piece, spans)
        for start, end in spans:
            yield piece[start:end]


def chunk(data: bytes | bytearray) -> bytes:
    """One chunk of a body re-framed for an HTTP/1.1 peer."""
    return b"".join((b"%x\r\n" % len(data), data, b"\r\n"))


LAST_CHUNK = b"0\r\n\r\n"


# -- reason phrases -------------------------------------------------------------------------------------
# Apache httpd's status lines (modules/http/http_protocol.c status_lines), the wording the edge
# uses too.
_REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted",
    204: "No Content", 206: "Partial Content", 301: "Moved Permanently", 302: "Found",
    303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required",
    413: "Request Entity Too Large", 414: "Request-URI Too Long", 416: "Requested Range Not Satisfiable",
    431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
}  # fmt: skip
# nginx words some differently (src/http/ngx_http_header_filter_module.c), and so do ALB's own
# pages (docs/aws-facts.md §5.3); a status it has no line for gets none.
_NGINX_REASONS = {
    **_REASONS, 405: "Not Allowed", 408: "Request Time-out",
    414: "Request-URI Too Large", 416: "Requested Range Not Satisfiable",
    503: "Service Temporarily Unavailable", 504: "Gateway Time-out",
}  # fmt: skip


def reason_phrase(status: int, *, nginx: bool = False) -> str:
    """The reason phrase of a status line: Apache's wording, or nginx's (and ALB's); RFC 9110's
    for a status neither table has, none for a status no one defines (ALB's 463)."""
    phrase = (_NGINX_REASONS if nginx else _REASONS).get(status)
    if phrase is not None:
        return phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class SecondCache:
    """A time stamp formatted once per second by a given clock. Every response needs a Date
    header and every access-log line a time stamp; formatting them per request showed up in the
    balancer benchmark's profile. The clock is the cloud's wherever a learner reads the result
    beside the console's clock, which may be paused or sped up."""

    __slots__ = ("_fmt", "_second", "_text", "now")

    def __init__(self, fmt: Callable[[float], str], now: Callable[[], float] = time.time) -> None:
        self._fmt = fmt
        self._second = -1
        self._text = ""
        self.now = now

    def get(self) -> str:
        now = self.now()
        second = int(now)
        if second != self._second:
            self._second = second
            self._text = self._fmt(now)
        return self._text


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def imf_date(now: float) -> str:
    """The IMF-fixdate of a Date header (RFC 9110 §5.6.7), in English whatever the locale. As
    `email.utils.formatdate(now, usegmt=True)`, whose import alone was ~5 ms of a guest's ~70 ms start."""
    t = time.gmtime(now)
    return (f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")
