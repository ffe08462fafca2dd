"""Emulated Apache/nginx: the pure `render` and the real loopback `WebServer`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.utils import formatdate

import pytest

from mock_cloud.guestos.vfs import VirtualFS
from mock_cloud.guestos.web.listener import WebServer
from mock_cloud.guestos.web.render import render
from mock_cloud.http1 import imf_date

DOCROOT = "/var/www/html"
INDEX = "<h1>Hello from i-0abc</h1>\n"
APACHE_404 = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
    "</head><body>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on this server.</p>\n</body></html>\n"
)
NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
)


def make_fs(with_index: bool = True) -> VirtualFS:
    fs = VirtualFS()
    fs.mkdir(DOCROOT, parents=True)
    if with_index:
        fs.write_text(f"{DOCROOT}/index.html", INDEX)
        fs.mkdir(f"{DOCROOT}/img")
        fs.write_bytes(f"{DOCROOT}/img/logo.png", b"\x89PNG0123456789")
        fs.write_text(f"{DOCROOT}/.htaccess", "Require all denied\n")
    fs.mkdir("/etc")
    fs.write_text("/etc/passwd", "root:x:0:0\n")
    return fs


# -- render --------------------------------------------------------------------------------------
@pytest.mark.parametrize("now", [0.0, 951_782_400.0, 1_796_540_000.7, 4_102_444_799.0])  # 1970, 29 Feb 2000, now, 2099
def test_the_date_header_is_an_imf_fixdate(now: float) -> None:
    assert imf_date(now) == formatdate(now, usegmt=True)  # "Sun, 06 Dec 2026 07:33:20 GMT"


def test_index_served_with_apache_headers() -> None:
    resp = render(make_fs(), "apache", DOCROOT, "GET", "/?utm=1", {"Host": "3.34.0.1"})
    assert resp.status == 200
    assert resp.body == INDEX.encode()
    assert resp.headers["Server"] == "Apache/2.4.62 ()"
    assert resp.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["Content-Length"] == str(len(INDEX))
    assert resp.headers["Date"].endswith(" GMT")


def test_missing_file_gives_apache_404_page() -> None:
    resp = render(make_fs(), "apache", DOCROOT, "GET", "/nope.html", {})
    assert resp.status == 404
    assert resp.body.decode() == APACHE_404
    assert resp.headers["Content-Type"] == "text/html; charset=iso-8859-1"


def test_empty_docroot_gives_403_test_page() -> None:
    resp = render(make_fs(with_index=False), "apache", DOCROOT, "GET", "/", {})
    assert resp.status == 403
    assert b"It works!" in resp.body and b"Test Page" in resp.body


def test_directory_without_slash_redirects() -> None:
    resp = render(make_fs(), "apache", DOCROOT, "GET", "/img?x=1", {"host": "my-alb.example"})
    assert resp.status == 301
    assert resp.headers["Location"] == "http://my-alb.example/img/?x=1"


def test_subdirectory_without_index_is_listed_by_apache_but_forbidden_by_nginx() -> None:
    fs = make_fs()
    listing = render(fs, "apache", DOCROOT, "GET", "/img/", {})
    assert listing.status == 200 and b"Index of /img" in listing.body and b"logo.png" in listing.body
    assert render(fs, "nginx", DOCROOT, "GET", "/img/", {}).status == 403


def test_head_keeps_length_but_sends_no_body() -> None:
    resp = render(make_fs(), "apache", DOCROOT, "HEAD", "/", {})
    assert resp.status == 200 and resp.body == b""
    assert resp.headers["Content-Length"] == str(len(INDEX))


def test_a_path_inside_the_docroot_may_go_up_and_down() -> None:
    assert render(make_fs(), "apache", DOCROOT, "GET", "/img/../index.html", {}).body == INDEX.encode()


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/etc/passwd", "/img/../../etc/passwd"])
def test_traversal_stays_inside_docroot(path: str) -> None:
    resp = render(make_fs(), "apache", DOCROOT, "GET", path, {})
    assert resp.status == 400 and b"root:x" not in resp.body


def test_methods() -> None:
    fs = make_fs()
    assert render(fs, "apache", DOCROOT, "POST", "/", {}).status == 200
    deleted = render(fs, "apache", DOCROOT, "DELETE", "/", {})
    assert deleted.status == 405 and deleted.headers["Allow"] == "POST,OPTIONS,HEAD,GET,TRACE"
    assert render(fs, "apache", DOCROOT, "OPTIONS", "/", {}).status == 200
    assert render(fs, "apache", DOCROOT, "BREW", "/", {}).status == 501
    assert render(fs, "nginx", DOCROOT, "POST", "/index.html", {}).status == 405


def test_apache_hides_htaccess() -> None:
    assert render(make_fs(), "apache", DOCROOT, "GET", "/.htaccess", {}).status == 403


def test_nginx_pages_and_types() -> None:
    fs = make_fs()
    missing = render(fs, "nginx", DOCROOT, "GET", "/nope", {})
    assert missing.status == 404 and missing.body.decode() == NGINX_404
    assert missing.headers["Server"] == "nginx/1.24.0"
    assert render(fs, "nginx", DOCROOT, "GET", "/", {}).headers["Content-Type"] == "text/html"
    assert render(fs, "nginx", DOCROOT, "GET", "/img/logo.png", {}).headers["Content-Type"] == "image/png"


def test_byte_ranges() -> None:
    fs = make_fs()
    part = render(fs, "apache", DOCROOT, "GET", "/img/logo.png", {"Range": "bytes=4-7"})
    assert part.status == 206 and part.body == b"0123"
    assert part.headers["Content-Range"] == "bytes 4-7/14"
    assert render(fs, "apache", DOCROOT, "GET", "/img/logo.png", {"Range": "bytes=-2"}).body == b"89"
    assert render(fs, "apache", DOCROOT, "GET", "/img/logo.png", {"Range": "bytes=99-"}).status == 416
    assert render(fs, "apache", DOCROOT, "GET", "/img/logo.png", {"Range": "bytes=x-1"}).status == 200


def test_unknown_flavor_is_rejected() -> None:
    with pytest.raises(ValueError):
        render(make_fs(), "iis", DOCROOT, "GET", "/", {})


# -- WebServer over real loopback sockets ---------------------------------------------------------
Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def server() -> AsyncIterator[tuple[WebServer, list[str]]]:
    logs: list[str] = []
    web = WebServer()
    await web.start(make_fs(), "apache", DOCROOT, on_request=logs.append)
    yield web, logs
    await web.stop()


async def connect(web: WebServer) -> Conn:
    assert web.port is not None
    return await asyncio.open_connection("127.0.0.1", web.port)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)
    body = await reader.readexactly(int(headers.get("Content-Length", "0")))
    return int(lines[0].split(" ")[1]), headers, body


async def assert_closed(reader: asyncio.StreamReader) -> None:
    assert await asyncio.wait_for(reader.read(), 2) == b""


async def test_serves_index_and_logs(server: tuple[WebServer, list[str]]) -> None:
    web, logs = server
    assert web.running
    reader, writer = await connect(web)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n")
    status, headers, body = await read_response(reader)
    assert (status, body) == (200, INDEX.encode())
    assert headers["Keep-Alive"] == "timeout=5, max=100"
    assert logs and logs[0].startswith("127.0.0.1 - - [")
    assert logs[0].endswith(f'] "GET / HTTP/1.1" 200 {len(INDEX)} "-" "curl/8.5.0"')
    writer.close()


async def test_keep_alive_sequential_and_pipelined(server: tuple[WebServer, list[str]]) -> None:
    reader, writer = await connect(server[0])
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader))[0] == 200
    writer.write(b"HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\nGET /img HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")  # HEAD: headers only, no body to skip
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")
    status, headers, _ = await read_response(reader)
    assert status == 301 and headers["Location"] == "http://x/img/"
    writer.close()


async def test_request_bodies_are_skipped(server: tuple[WebServer, list[str]]) -> None:
    reader, writer = await connect(server[0])
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert (await read_response(reader))[0] == 200
    writer.write(
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n0\r\n\r\n"
    )
    assert (await read_response(reader))[0] == 404
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"abc")
    assert (await read_response(reader))[0] == 200
    writer.close()


async def test_connection_close_and_http10(server: tuple[WebServer, list[str]]) -> None:
    for request in (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"GET / HTTP/1.0\r\n\r\n"):
        reader, writer = await connect(server[0])
        writer.write(request)
        status, headers, _ = await read_response(reader)
        assert status == 200 and headers["Connection"] == "close"
        await assert_closed(reader)
        writer.close()


async def test_max_keepalive_requests(server: tuple[WebServer, list[str]]) -> None:
    reader, writer = await connect(server[0])
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 100)
    for _ in range(99):
        assert (await read_response(reader))[1]["Connection"] == "Keep-Alive"
    assert (await read_response(reader))[1]["Connection"] == "close"
    await assert_closed(reader)
    writer.close()


async def test_malformed_request_gets_400(server: tuple[WebServer, list[str]]) -> None:
    reader, writer = await connect(server[0])
    writer.write(b"HELLO THERE\r\n\r\n")
    status, _, body = await read_response(reader)
    assert status == 400 and b"Bad Request" in body
    await assert_closed(reader)
    writer.close()


async def test_oversized_head_gets_400_and_a_clean_close(server: tuple[WebServer, list[str]]) -> None:
    reader, writer = await connect(server[0])
    writer.write(b"GET / HTTP/1.1\r\nX-Junk: " + b"a" * 70000)
    status, headers, _ = await read_response(reader)
    assert (status, headers["Connection"]) == (400, "close")
    await assert_closed(reader)
    writer.close()


async def test_stop_refuses_connections() -> None:
    web = WebServer()
    port = await web.start(make_fs(), "nginx", DOCROOT)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await web.stop()
    assert not web.running and web.port is None
    await assert_closed(reader)  # open connections are cut too
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


def test_nginx_serves_ubuntus_debian_welcome_page_as_index() -> None:
    fs = VirtualFS()
    fs.mkdir("/var/www/html", parents=True)
    fs.write_text("/var/www/html/index.nginx-debian.html", "<h1>Welcome to nginx!</h1>")
    resp = render(fs, "nginx", "/var/www/html", "GET", "/", {"Host": "x"})
    assert resp.status == 200 and b"Welcome to nginx!" in resp.body
    assert render(fs, "apache", "/var/www/html", "GET", "/", {"Host": "x"}).status == 403
