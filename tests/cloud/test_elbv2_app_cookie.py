"""Application-based stickiness over real sockets: AWSALBAPP-0..3 follow the application's own cookie."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp

from mock_cloud.cloud import Cloud
from mock_cloud.elbv2.stickiness import APP_COOKIE_LIFETIME
from mock_cloud.scenarios import healthy_lab
from tests.support.elbv2 import Handler, plug

APP = "session"


def named_handler(name: str) -> Handler:
    """Answers with its own name; /login also sets the application's session cookie."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            cookie = f"Set-Cookie: {APP}=for-{name}; Path=/\r\n" if " /login " in head.split("\r\n")[0] else ""
            body = name.encode()
            writer.write(f"HTTP/1.1 200 OK\r\n{cookie}Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
                         .encode() + body)
            await writer.drain()

    return handle


async def get(port: int, path: str, cookies: dict[str, str] | None = None) -> tuple[str, list[str]]:
    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": header} if header else {}) as response:
        assert response.status == 200
        return await response.text(), response.headers.getall("Set-Cookie", [])


def app_parts(set_cookies: list[str]) -> dict[str, str]:
    return {c.split("=", 1)[0]: c.split("=", 1)[1].split(";", 1)[0] for c in set_cookies
            if c.startswith("AWSALBAPP-")}


async def test_app_cookie_stickiness_follows_the_applications_cookie(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    for instance in lab.instances:
        await plug(instance, named_handler(instance.instance_id))
    await cloud.elbv2.modify_target_group_attributes(lab.group.arn, {
        "stickiness.enabled": "true", "stickiness.type": "app_cookie",
        "stickiness.app_cookie.cookie_name": APP, "stickiness.app_cookie.duration_seconds": "600"})
    port = lab.listener.local_port
    assert port is not None

    # Not sticky yet, and the application sets no cookie: every AWSALBAPP part is removed.
    _, plain = await get(port, "/")
    assert app_parts(plain) == {f"AWSALBAPP-{i}": "_remove_" for i in range(4)}
    # The application sets its cookie: the balancer issues AWSALBAPP-0 for that target, for 7 days.
    owner, issued = await get(port, "/login")
    parts = app_parts(issued)
    assert parts["AWSALBAPP-0"] != "_remove_" and [parts[f"AWSALBAPP-{i}"] for i in (1, 2, 3)] == ["_remove_"] * 3
    assert any(c.startswith(f"{APP}=for-{owner}") for c in issued)
    assert all("Path=/" in c and "Expires=" in c for c in issued if c.startswith("AWSALBAPP-"))
    assert APP_COOKIE_LIFETIME == 7 * 24 * 3600

    stuck = {APP: f"for-{owner}", "AWSALBAPP-0": parts["AWSALBAPP-0"]}
    seen = Counter([(await get(port, "/", stuck))[0] for _ in range(6)])
    assert seen == Counter({owner: 6})
    # Without the application's own cookie the session is not sticky: round robin over both.
    alone = {"AWSALBAPP-0": parts["AWSALBAPP-0"]}
    assert len({(await get(port, "/", alone))[0] for _ in range(6)}) == 2
    # A forged balancer cookie is ignored.
    assert len({(await get(port, "/", {APP: "x", "AWSALBAPP-0": "bm9wZQ=="}))[0] for _ in range(6)}) == 2
    # After the stickiness duration the balancer's cookie no longer binds the session.
    await cloud.clock.advance(601)
    assert len({(await get(port, "/", stuck))[0] for _ in range(6)}) == 2
