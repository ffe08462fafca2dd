"""Requests from the learner's machine, through the cloud's internet edge, as a browser or curl sends them.

Plain requests go through `cloud.fetch`. A request with its own Host header, or over HTTPS, goes
through a CONNECT tunnel (what `curl -p -x edge -H 'Host: …'` does): the edge rewrites the Host of
proxied requests, but a tunnel carries the client's bytes as they are, and lets us check the
TLS handshake ourselves.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mock_cloud import Cloud

TIMEOUT = 15.0  # real seconds; long enough for the edge to report a dropped connection itself
USER_AGENT = "lblab-lab-check/1.0"
EDGE_SERVER = "lblab-edge"
_HOST_NAME = re.compile(r"ip-\d+-\d+-\d+-\d+\.[a-z0-9-]+\.compute\.internal")


@dataclass
class Answer:
    url: str
    status: int  # 0: no HTTP answer came back (see error)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: str = ""
    error: str = ""
    tls_version: str | None = None
    peer_names: tuple[str, ...] = ()  # the certificate's DNS names, when the handshake was verified

    @property
    def host(self) -> str:
        """Which server answered: the private DNS name the lab's pages print, else the page itself."""
        match = _HOST_NAME.search(self.body)
        return match.group(0) if match else self.body.strip()[:80]


async def fetch(cloud: Cloud, url: str, headers: dict[str, str] | None = None,
                trust: ssl.SSLContext | None = None) -> Answer:
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if urlsplit(url).scheme == "https" or any(name.lower() == "host" for name in headers):
        return await _tunnel(cloud, url, headers, trust)
    result = await cloud.fetch(url, headers=headers, timeout=TIMEOUT)
    answer = Answer(url, result.status, {k.lower(): v for k, v in result.headers.items()}, result.text,
                    result.error)
    return _edge_verdict(answer)


def _edge_verdict(answer: Answer) -> Answer:
    """The edge's own pages (timeout, refused, unknown host) are not answers from the cloud."""
    if answer.headers.get("server") == EDGE_SERVER:
        lines = [line for line in answer.body.splitlines() if line.strip()]
        return Answer(answer.url, 0, error=lines[1] if len(lines) > 1 else answer.body.strip())
    if answer.status == 0 and not answer.error:
        answer.error = "no answer"
    return answer


async def _tunnel(cloud: Cloud, url: str, headers: dict[str, str], trust: ssl.SSLContext | None) -> Answer:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if cloud.edge is None:
        return Answer(url, 0, error="the internet edge is not running")
    try:
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection("127.0.0.1", cloud.edge.port)
            try:
                writer.write(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                if head.split(b" ", 2)[1] != b"200":
                    return _edge_verdict(_parse(url, head + await reader.read()))
                tls: tuple[str | None, tuple[str, ...]] = (None, ())
                if https:
                    await writer.start_tls(trust or _unverified(), server_hostname=host)
                    tls = _tls_facts(writer)
                writer.write(_request(host, path, headers))
                answer = _parse(url, await reader.read())
                answer.tls_version, answer.peer_names = tls
                return answer
            finally:
                writer.close()
    except ssl.SSLError as exc:
        return Answer(url, 0, error=f"TLS: {exc.reason or exc}")
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        return Answer(url, 0, error=f"{type(exc).__name__}: {exc}")


def _request(host: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1"]
    if not any(name.lower() == "host" for name in headers):
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _tls_facts(writer: asyncio.StreamWriter) -> tuple[str | None, tuple[str, ...]]:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None, ()
    cert = ssl_object.getpeercert() or {}
    names = tuple(value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS")
    return ssl_object.version(), names


def _parse(url: str, raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return Answer(url, status, headers, body.decode("utf-8", errors="replace"))


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return bytes(out)
