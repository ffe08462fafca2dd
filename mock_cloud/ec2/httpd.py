"""Emulated web servers of an instance: Apache httpd (Amazon Linux 2023) and nginx.

`render` decides the response to one request from the instance's virtual filesystem. It is
synchronous and side-effect free so the instance's shell can answer `curl localhost` with
it too. `WebServer` puts `render` behind a real HTTP/1.1 listener on 127.0.0.1.

The listener is an asyncio.Protocol on the cloud's one HTTP/1 parser (`mock_cloud.http1`, the
balancer's and the edge's too, so no message reads as one request here and as two there)
rather than aiohttp's server: a static file server needs only heads and body skipping, and
skipping aiohttp's request objects, middlewares and per-request tasks makes it several times
faster, which matters because it is the backend of the load-balancer benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import posixpath
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import cast
from urllib.parse import quote, unquote, urlsplit

from mock_cloud.ec2.vfs import VirtualFS
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


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _Flavor:
    name: str
    server: str
    keepalive_timeout: float
    max_keepalive_requests: int
    index_files: tuple[str, ...]


# Values are the stock configurations (httpd.conf defaults, nginx.conf); nginx's index list is
# Ubuntu's default site, whose welcome page is index.nginx-debian.html.
_FLAVORS = {
    "apache": _Flavor("apache", "Apache/2.4.62 ()", 5.0, 100, ("index.html",)),
    "nginx": _Flavor("nginx", "nginx/1.24.0", 65.0, 1000, ("index.html", "index.htm", "index.nginx-debian.html")),
}
# Head limits: request line 16K → 414, one header 16K or all 64K → 400. ALB's, not the stock
# servers' (Apache's LimitRequestLine/LimitRequestFieldSize are 8190, nginx's buffers 8K), so
# that every request the balancer passes on reaches the page, as it always has in lblab.
LIMITS = Limits(request_line=16 * 1024, header_line=16 * 1024, headers=64 * 1024, too_large=400)
_PARSER = RequestParser(LIMITS)

# Methods Apache knows; anything else is "not implemented" (501) rather than "not allowed".
_APACHE_KNOWN_METHODS = frozenset(
    ("PUT", "DELETE", "CONNECT", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "TRACE")
)
_APACHE_ALLOW = "POST,OPTIONS,HEAD,GET,TRACE"
_SERVED_METHODS = frozenset(("GET", "HEAD", "POST"))

_APACHE_HTML = "text/html; charset=UTF-8"
# mime.types subset; Apache's AddDefaultCharset UTF-8 only decorates text/html and text/plain.
_MIME_TYPES = {
    "html": "text/html",
    "htm": "text/html",
    "txt": "text/plain",
    "css": "text/css",
    "js": "application/javascript",
    "mjs": "application/javascript",
    "json": "application/json",
    "xml": "text/xml",
    "csv": "text/csv",
    "md": "text/markdown",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "ico": "image/x-icon",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tar": "application/x-tar",
    "wasm": "application/wasm",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "mp4": "video/mp4",
    "mp3": "audio/mpeg",
}

_APACHE_ERROR_TEXT = {
    400: "<p>Your browser sent a request that this server could not understand.<br />\n</p>",
    403: "<p>You don't have permission to access this resource.</p>",
    404: "<p>The requested URL was not found on this server.</p>",
    414: "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>",
    416: (
        "<p>None of the range-specifier values in the Range\nrequest-header field overlap the "
        "current extent\nof the selected resource.</p>"
    ),
    500: (
        "<p>The server encountered an internal error or\nmisconfiguration and was unable to "
        "complete\nyour request.</p>"
    ),
    501: "<p>The request's Transfer-Encoding is not supported.<br />\n</p>",
    505: "<p>The server does not support the HTTP version of the request.</p>",
}

# /usr/share/httpd/noindex/index.html, shown (with status 403) by welcome.conf for "/" when the
# document root has no index.html.
_APACHE_TEST_PAGE = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>Test Page for the HTTP Server on Amazon Linux</title>
</head><body>
<h1>It works!</h1>
<p>This page is used to test the proper operation of the Apache HTTP server after it has been
installed. If you can read this page, the server is working properly.</p>
<p>If you are the website administrator: add content to {docroot}. Until you do so, visitors
will see this page, and not your content.</p>
</body></html>
"""


# -- small shared helpers ----------------------------------------------------------------------
class _SecondCache:
    """Formats the current time once per second: the hot path needs it on every request."""

    def __init__(self, fmt: Callable[[float], str]) -> None:
        self._fmt = fmt
        self._second = -1
        self._text = ""

    def get(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._text = self._fmt(now)
        return self._text


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _log_time(now: float) -> str:
    # Built by hand: %b in strftime follows the process locale, access logs must not.
    t = time.gmtime(now)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


_http_date = _SecondCache(lambda now: formatdate(now, usegmt=True))
_log_date = _SecondCache(_log_time)


def _flavor(flavor: str) -> _Flavor:
    try:
        return _FLAVORS[flavor]
    except KeyError:
        raise ValueError(f"unknown web server flavor {flavor!r} (expected 'apache' or 'nginx')") from None


# -- pages -------------------------------------------------------------------------------------
def _page(status: int, body: str, content_type: str, extra: dict[str, str] | None = None) -> HttpResponse:
    data = body.encode("utf-8")
    headers = dict(extra or {})
    headers["Content-Length"] = str(len(data))
    headers["Content-Type"] = content_type
    return HttpResponse(status, headers, data)


def _error(fl: _Flavor, status: int, extra: dict[str, str] | None = None, text: str = "") -> HttpResponse:
    if fl.name == "nginx":
        title = f"{status} {reason_phrase(status, nginx=True)}"
        body = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            f"<hr><center>{fl.server}</center>\r\n</body>\r\n</html>\r\n"
        )
        return _page(status, body, "text/html", extra)
    reason = reason_phrase(status)
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {reason}</title>\n</head><body>\n<h1>{reason}</h1>\n"
        f"{text or _APACHE_ERROR_TEXT[status]}\n</body></html>\n"
    )
    return _page(status, body, "text/html; charset=iso-8859-1", extra)


def _redirect(fl: _Flavor, location: str) -> HttpResponse:
    text = f'<p>The document has moved <a href="{html.escape(location)}">here</a>.</p>'
    return _error(fl, 301, {"Location": location}, text)


def _method_refused(fl: _Flavor, method: str) -> HttpResponse:
    if fl.name == "nginx":
        return _error(fl, 405)
    if method == "OPTIONS":
        return HttpResponse(200, {"Allow": _APACHE_ALLOW, "Content-Length": "0"}, b"")
    if method in _APACHE_KNOWN_METHODS:
        text = f"<p>The requested method {html.escape(method)} is not allowed for this URL.</p>"
        return _error(fl, 405, {"Allow": _APACHE_ALLOW}, text)
    return _error(fl, 501, text=f"<p>{html.escape(method)} not supported for current URL.<br />\n</p>")


def _autoindex(fs: VirtualFS, dir_path: str, url_path: str) -> HttpResponse:
    # mod_autoindex: AL2023's httpd.conf has "Options Indexes" on /var/www/html, so only "/"
    # gets the welcome.conf test page; other index-less directories are listed.
    parent = posixpath.dirname(url_path.rstrip("/")) or "/"
    items = [f'<li><a href="{quote(parent if parent == "/" else parent + "/")}"> Parent Directory</a></li>']
    for name in fs.listdir(dir_path):
        shown = name + "/" if fs.is_dir(posixpath.join(dir_path, name)) else name
        items.append(f'<li><a href="{quote(shown)}"> {html.escape(shown)}</a></li>')
    title = f"Index of {html.escape(url_path.rstrip('/') or '/')}"
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>{title}</title>\n </head>\n <body>\n<h1>{title}</h1>\n<ul>"
        + "\n".join(items)
        + "\n</ul>\n</body></html>\n"
    )
    return _page(200, body, _APACHE_HTML)


# -- static files ------------------------------------------------------------------------------
def _content_type(fl: _Flavor, path: str) -> str | None:
    ext = path.rsplit(".", 1)[-1].lower() if "." in posixpath.basename(path) else ""
    mime = _MIME_TYPES.get(ext)
    if fl.name == "nginx":
        return mime or "application/octet-stream"
    if mime in ("text/html", "text/plain"):
        return f"{mime}; charset=UTF-8"
    # Apache 2.4 sends no Content-Type at all for unknown extensions.
    return mime


class _Unsatisfiable(Exception):
    """The Range header asks only for bytes past the end of the file (416)."""


def _byte_range(spec: str, size: int) -> tuple[int, int] | None:
    """(first, last) for one byte range; None to ignore the header and send the whole file,
    which is always allowed and is what we do for multi-range and malformed headers."""
    unit, _, ranges = spec.partition("=")
    first_s, dash, last_s = ranges.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or not (first_s or last_s):
        return None
    if not all(s.isascii() and s.isdigit() for s in (first_s, last_s) if s):
        return None
    if not first_s:
        suffix = int(last_s)
        if not suffix or not size:
            raise _Unsatisfiable
        return max(size - suffix, 0), size - 1
    first = int(first_s)
    if last_s and int(last_s) < first:
        return None
    if first >= size:
        raise _Unsatisfiable
    return first, min(int(last_s), size - 1) if last_s else size - 1


def _file(fl: _Flavor, data: bytes, fs_path: str, headers: Mapping[str, str]) -> HttpResponse:
    out: dict[str, str] = {"Accept-Ranges": "bytes"}
    mime = _content_type(fl, fs_path)
    spec = headers.get("range")
    try:
        span = _byte_range(spec, len(data)) if spec else None
    except _Unsatisfiable:
        return _error(fl, 416, {"Content-Range": f"bytes */{len(data)}"})
    status = 200
    if span:
        first, last = span
        out["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        data = data[first : last + 1]
        status = 206
    out["Content-Length"] = str(len(data))
    if mime:
        out["Content-Type"] = mime
    return HttpResponse(status, out, data)


# -- request routing ---------------------------------------------------------------------------
def _url_path(target: str) -> str | None:
    """The path part of a request target, or None if the target is malformed."""
    if target.startswith("/"):
        return target.split("?", 1)[0].split("#", 1)[0]
    if target.lower().startswith(("http://", "https://")):
        return urlsplit(target).path or "/"
    return None


def _segments(url_path: str, fl: _Flavor) -> list[str] | None:
    """Decoded path segments, `.`/`..` applied; None if `..` climbs above the document root
    (both servers answer 400 to that rather than clamping)."""
    if fl.name == "apache" and "%2f" in url_path.lower():
        return None  # AllowEncodedSlashes Off
    decoded = unquote(url_path, errors="replace")
    if "\x00" in decoded:
        return None
    out: list[str] = []
    for part in decoded.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                return None
            out.pop()
        else:
            out.append(part)
    return out


def _host(headers: Mapping[str, str], fl: _Flavor) -> str:
    host = headers.get("host", "").strip() or "localhost"
    # nginx rebuilds redirects from the server name (port dropped); Apache keeps Host verbatim.
    if fl.name == "nginx" and not host.startswith("["):
        host = host.split(":", 1)[0]
    return host


def _directory(
    fs: VirtualFS,
    fl: _Flavor,
    docroot: str,
    fs_path: str,
    url_path: str,
    target: str,
    headers: Mapping[str, str],
) -> HttpResponse:
    if not url_path.endswith("/"):
        query = target.partition("?")[2]
        location = f"http://{_host(headers, fl)}{url_path}/" + (f"?{query}" if query else "")
        return _redirect(fl, location)
    for name in fl.index_files:
        index = posixpath.join(fs_path, name)
        if fs.is_file(index):
            return _file(fl, fs.read_bytes(index), index, headers)
    if fl.name == "nginx":
        return _error(fl, 403)
    if fs_path == docroot:
        return _page(403, _APACHE_TEST_PAGE.format(docroot=html.escape(docroot)), _APACHE_HTML)
    return _autoindex(fs, fs_path, url_path)


def _route(
    fs: VirtualFS, fl: _Flavor, docroot: str, method: str, target: str, headers: Mapping[str, str]
) -> HttpResponse:
    url_path = _url_path(target)
    if url_path is None:
        if target == "*" and method == "OPTIONS" and fl.name == "apache":
            return _method_refused(fl, method)
        return _error(fl, 400)
    segments = _segments(url_path, fl)
    if segments is None:
        return _error(fl, 400)
    if fl.name == "apache" and segments and segments[-1].startswith(".ht"):
        return _error(fl, 403)  # <Files ".ht*"> Require all denied
    if method not in _SERVED_METHODS:
        return _method_refused(fl, method)
    fs_path = posixpath.join(docroot, *segments) if segments else docroot
    if fs.is_dir(fs_path):
        return _directory(fs, fl, docroot, fs_path, url_path, target, headers)
    if not fs.is_file(fs_path) or url_path.endswith("/"):
        return _error(fl, 404)
    if fl.name == "nginx" and method == "POST":
        return _error(fl, 405)  # nginx's static module refuses POST to existing files
    return _file(fl, fs.read_bytes(fs_path), fs_path, headers)


def render(
    fs: VirtualFS, flavor: str, docroot: str, method: str, path: str, headers: Mapping[str, str]
) -> HttpResponse:
    """The response of the `flavor` web server serving `docroot` from `fs` to one request.

    `path` is the request target as sent (query string and absolute form allowed); header
    names are matched case-insensitively. HEAD responses keep Content-Length but no body."""
    fl = _flavor(flavor)
    lowered = {k.lower(): v for k, v in headers.items()}
    resp = _stamped(fl, _route(fs, fl, docroot.rstrip("/") or "/", method, path, lowered))
    if method == "HEAD":
        resp.body = b""
    return resp


def _stamped(fl: _Flavor, resp: HttpResponse) -> HttpResponse:
    """`resp` with the Date and Server headers first, in the order each server sends them."""
    if fl.name == "nginx":
        resp.headers = {"Server": fl.server, "Date": _http_date.get(), **resp.headers}
    else:
        resp.headers = {"Date": _http_date.get(), "Server": fl.server, **resp.headers}
    return resp


# -- the real listener -------------------------------------------------------------------------
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
        self._transport = cast(asyncio.Transport, transport)
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
        if buf[:1] in (b"\r", b"\n"):
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
            resp = _stamped(srv._flavor, _error(srv._flavor, 500))
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
        self._write(_stamped(self._server._flavor, _error(self._server._flavor, status)), keep_alive=False)
        self.hang_up()


class WebServer:
    """An instance's httpd/nginx process: a real HTTP/1.1 server on a loopback ephemeral port."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._connections: set[_HttpProtocol] = set()
        self._fs = VirtualFS()
        self._flavor = _FLAVORS["apache"]
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
        self._flavor = _flavor(flavor)
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
            f'{peer} - - [{_log_date.get()}] "{request.request_line}" {resp.status} {size} '
            f'"{headers.get("referer", "-")}" "{headers.get("user-agent", "-")}"'
        )
        try:
            self._on_request(line)
        except Exception:
            log.exception("access log callback failed")
