"""How Apache httpd and nginx differ in what they answer: Server header, error pages, MIME types.

Data the renderer and the listener share, so adding a difference touches one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Flavor:
    name: str
    server: str
    keepalive_timeout: float
    max_keepalive_requests: int
    index_files: tuple[str, ...]


# Values are the stock configurations (httpd.conf defaults, nginx.conf); nginx's index list is
# Ubuntu's default site, whose welcome page is index.nginx-debian.html.
FLAVORS = {
    "apache": Flavor("apache", "Apache/2.4.62 ()", 5.0, 100, ("index.html",)),
    "nginx": Flavor("nginx", "nginx/1.24.0", 65.0, 1000, ("index.html", "index.htm", "index.nginx-debian.html")),
}


# Methods Apache knows; anything else is "not implemented" (501) rather than "not allowed".
APACHE_KNOWN_METHODS = frozenset(
    ("PUT", "DELETE", "CONNECT", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "TRACE")
)
APACHE_ALLOW = "POST,OPTIONS,HEAD,GET,TRACE"
SERVED_METHODS = frozenset(("GET", "HEAD", "POST"))

APACHE_HTML = "text/html; charset=UTF-8"
# mime.types subset; Apache's AddDefaultCharset UTF-8 only decorates text/html and text/plain.
MIME_TYPES = {
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

APACHE_ERROR_TEXT = {
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
APACHE_TEST_PAGE = """<!DOCTYPE html>
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


def flavor_of(flavor: str) -> Flavor:
    try:
        return FLAVORS[flavor]
    except KeyError:
        raise ValueError(f"unknown web server flavor {flavor!r} (expected 'apache' or 'nginx')") from None
