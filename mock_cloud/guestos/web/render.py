"""`render` decides the response to one request from the instance's virtual filesystem.

It is synchronous and side-effect free so the instance's shell can answer `curl localhost` with
it too; `listener.WebServer` puts it behind a real HTTP/1.1 listener.
"""

from __future__ import annotations

import html
import posixpath
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from mock_cloud.guestos.web.clock import http_date
from mock_cloud.guestos.web.flavors import (
    APACHE_ALLOW,
    APACHE_ERROR_TEXT,
    APACHE_HTML,
    APACHE_KNOWN_METHODS,
    APACHE_TEST_PAGE,
    MIME_TYPES,
    SERVED_METHODS,
    Flavor,
    HttpResponse,
    flavor_of,
)
from mock_cloud.http1 import (
    reason_phrase,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mock_cloud.guestos.vfs import VirtualFS


def _page(status: int, body: str, content_type: str, extra: dict[str, str] | None = None) -> HttpResponse:
    data = body.encode("utf-8")
    headers = dict(extra or {})
    headers["Content-Length"] = str(len(data))
    headers["Content-Type"] = content_type
    return HttpResponse(status, headers, data)


def error_page(fl: Flavor, status: int, extra: dict[str, str] | None = None, text: str = "") -> HttpResponse:
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
        f"{text or APACHE_ERROR_TEXT[status]}\n</body></html>\n"
    )
    return _page(status, body, "text/html; charset=iso-8859-1", extra)


def _redirect(fl: Flavor, location: str) -> HttpResponse:
    text = f'<p>The document has moved <a href="{html.escape(location)}">here</a>.</p>'
    return error_page(fl, 301, {"Location": location}, text)


def _method_refused(fl: Flavor, method: str) -> HttpResponse:
    if fl.name == "nginx":
        return error_page(fl, 405)
    if method == "OPTIONS":
        return HttpResponse(200, {"Allow": APACHE_ALLOW, "Content-Length": "0"}, b"")
    if method in APACHE_KNOWN_METHODS:
        text = f"<p>The requested method {html.escape(method)} is not allowed for this URL.</p>"
        return error_page(fl, 405, {"Allow": APACHE_ALLOW}, text)
    return error_page(fl, 501, text=f"<p>{html.escape(method)} not supported for current URL.<br />\n</p>")


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
    return _page(200, body, APACHE_HTML)


# -- static files ------------------------------------------------------------------------------
def _content_type(fl: Flavor, path: str) -> str | None:
    ext = path.rsplit(".", 1)[-1].lower() if "." in posixpath.basename(path) else ""
    mime = MIME_TYPES.get(ext)
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


def _file(fl: Flavor, data: bytes, fs_path: str, headers: Mapping[str, str]) -> HttpResponse:
    out: dict[str, str] = {"Accept-Ranges": "bytes"}
    mime = _content_type(fl, fs_path)
    spec = headers.get("range")
    try:
        span = _byte_range(spec, len(data)) if spec else None
    except _Unsatisfiable:
        return error_page(fl, 416, {"Content-Range": f"bytes */{len(data)}"})
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


def _segments(url_path: str, fl: Flavor) -> list[str] | None:
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


def _host(headers: Mapping[str, str], fl: Flavor) -> str:
    host = headers.get("host", "").strip() or "localhost"
    # nginx rebuilds redirects from the server name (port dropped); Apache keeps Host verbatim.
    if fl.name == "nginx" and not host.startswith("["):
        host = host.split(":", 1)[0]
    return host


def _directory(
    fs: VirtualFS,
    fl: Flavor,
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
        return error_page(fl, 403)
    if fs_path == docroot:
        return _page(403, APACHE_TEST_PAGE.format(docroot=html.escape(docroot)), APACHE_HTML)
    return _autoindex(fs, fs_path, url_path)


def _route(
    fs: VirtualFS, fl: Flavor, docroot: str, method: str, target: str, headers: Mapping[str, str]
) -> HttpResponse:
    url_path = _url_path(target)
    if url_path is None:
        if target == "*" and method == "OPTIONS" and fl.name == "apache":
            return _method_refused(fl, method)
        return error_page(fl, 400)
    segments = _segments(url_path, fl)
    if segments is None:
        return error_page(fl, 400)
    if fl.name == "apache" and segments and segments[-1].startswith(".ht"):
        return error_page(fl, 403)  # <Files ".ht*"> Require all denied
    if method not in SERVED_METHODS:
        return _method_refused(fl, method)
    fs_path = posixpath.join(docroot, *segments) if segments else docroot
    if fs.is_dir(fs_path):
        return _directory(fs, fl, docroot, fs_path, url_path, target, headers)
    if not fs.is_file(fs_path) or url_path.endswith("/"):
        return error_page(fl, 404)
    if fl.name == "nginx" and method == "POST":
        return error_page(fl, 405)  # nginx's static module refuses POST to existing files
    return _file(fl, fs.read_bytes(fs_path), fs_path, headers)


def render(
    fs: VirtualFS, flavor: str, docroot: str, method: str, path: str, headers: Mapping[str, str]
) -> HttpResponse:
    """The response of the `flavor` web server serving `docroot` from `fs` to one request.

    `path` is the request target as sent (query string and absolute form allowed); header
    names are matched case-insensitively. HEAD responses keep Content-Length but no body."""
    fl = flavor_of(flavor)
    lowered = {k.lower(): v for k, v in headers.items()}
    resp = stamped(fl, _route(fs, fl, docroot.rstrip("/") or "/", method, path, lowered))
    if method == "HEAD":
        resp.body = b""
    return resp


def stamped(fl: Flavor, resp: HttpResponse) -> HttpResponse:
    """`resp` with the Date and Server headers first, in the order each server sends them."""
    if fl.name == "nginx":
        resp.headers = {"Server": fl.server, "Date": http_date.get(), **resp.headers}
    else:
        resp.headers = {"Date": http_date.get(), "Server": fl.server, **resp.headers}
    return resp
