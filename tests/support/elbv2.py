"""Helpers for the ELBv2 tests: actions, target states, hostnames through a balancer, and raw loopback
servers that stand in for misbehaving targets. The seed lab itself is built by `mock_cloud.scenarios`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.instance import Instance
from mock_cloud.elbv2.listener_rules import Action, FixedResponseConfig, ForwardConfig, TargetGroupTuple
from mock_cloud.elbv2.target_group import TargetGroup
from mock_cloud.scenarios import HELLO


def forward(*arns: str, weights: list[int] | None = None) -> Action:
    if len(arns) == 1 and weights is None:
        return Action("forward", target_group_arn=arns[0])
    tuples = [TargetGroupTuple(a, w) for a, w in zip(arns, weights or [1] * len(arns), strict=True)]
    return Action("forward", forward_config=ForwardConfig(tuples))


def fixed(status: str, body: str = "", content_type: str = "text/plain") -> Action:
    return Action("fixed-response", fixed_response_config=FixedResponseConfig(status, content_type, body))


def states(cloud: Cloud, group: TargetGroup) -> dict[str, tuple[str, str | None]]:
    return {d.target_id: (d.state, d.reason) for d in cloud.elbv2.describe_target_health(group.arn)}


async def hostnames(cloud: Cloud, url: str, count: int, **kwargs: object) -> list[str]:
    names = []
    for _ in range(count):
        page = await cloud.fetch(url, **kwargs)  # type: ignore[arg-type]
        assert page.status == 200, (page.status, page.text)
        match = HELLO.search(page.text)
        assert match, page.text
        names.append(match.group(1))
    return names


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A loopback server to stand in for an instance's web server (see `plug`)."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self.port: int | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            for writer in self._clients:
                writer.transport.abort()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await self._handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()


async def echo_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request with its own head as the body (to see what the balancer sent)."""
    while True:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        body = head.encode("latin-1")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        await writer.drain()


async def garbage_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"this is not HTTP\r\n\r\n")
    await writer.drain()


async def silent_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(30)


async def plug(instance: Instance, handler: Handler, port: int = 80) -> RawServer:
    """Route `port` of the instance to a raw server instead of its guest's web server (until the
    guest next reports its listeners)."""
    assert instance.guest is not None
    server = await RawServer(handler).start()
    instance.guest.ports[port] = server.port  # type: ignore[assignment]
    return server


async def run_in(cloud: Cloud, instance: Instance, line: str) -> str:
    """One Connect-shell line, as root, in the instance's guest; its output."""
    shell = await cloud.ec2.open_shell(instance.instance_id, user="root")
    result = await shell.run(line)
    await shell.close()
    assert result.exit_code == 0, result.output
    return result.output
