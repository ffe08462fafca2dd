"""Helpers for the ELBv2 tests (no tests here): the seed lab built through the service API,
and raw loopback servers that stand in for misbehaving targets."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.listener_rules import Action, FixedResponseConfig, ForwardConfig, TargetGroupTuple
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.target_group import TargetGroup, TargetSpec
from tests.conftest import SEED_USER_DATA, boot

HELLO = re.compile(r"<h1>Hello World from (ip-172-31-\d+-\d+\.ap-northeast-2\.compute\.internal)</h1>")
PROVISION = 60.0
INTERVAL = 30.0


@dataclass
class Lab:
    instances: list[Instance]
    web_sg: str
    lb_sg: str
    group: TargetGroup
    lb: LoadBalancer
    listener: Listener

    @property
    def url(self) -> str:
        return f"http://{self.lb.dns_name}/"


def forward(*arns: str, weights: list[int] | None = None) -> Action:
    if len(arns) == 1 and weights is None:
        return Action("forward", target_group_arn=arns[0])
    tuples = [TargetGroupTuple(a, w) for a, w in zip(arns, weights or [1] * len(arns), strict=True)]
    return Action("forward", forward_config=ForwardConfig(tuples))


def fixed(status: str, body: str = "", content_type: str = "text/plain") -> Action:
    return Action("fixed-response", fixed_response_config=FixedResponseConfig(status, content_type, body))


async def open_group(cloud: Cloud, name: str, description: str, port: int = 80) -> str:
    group = await cloud.ec2.create_security_group(name, description)
    await cloud.ec2.authorize(group.group_id, [RuleSpec("tcp", port, port, cidr_ipv4="0.0.0.0/0")])
    return group.group_id


async def web_servers(cloud: Cloud, count: int = 2, group_ids: list[str] | None = None,
                      user_data: str = SEED_USER_DATA) -> list[Instance]:
    instances = []
    for index in range(count):
        instances += await cloud.ec2.run_instances(name=f"server-{index + 1}", user_data=user_data,
                                                   security_group_ids=group_ids)
    await boot(cloud)
    return instances


async def seed_lab(cloud: Cloud, count: int = 2, instance_groups: list[str] | None = None,
                   user_data: str = SEED_USER_DATA) -> Lab:
    """The lab from the course notes: two web servers, demo-tg, DemoALB on HTTP:80 (still provisioning)."""
    web_sg = await open_group(cloud, "web", "web servers")
    instances = await web_servers(cloud, count, instance_groups or [web_sg], user_data)
    lb_sg = await open_group(cloud, "demo-sg-load-balancer", "SG for ALB")
    group = await cloud.elbv2.create_target_group("demo-tg", "HTTP", 80, protocol_version="HTTP1")
    await cloud.elbv2.register_targets(group.arn, [TargetSpec(i.instance_id) for i in instances])
    subnets = [s.subnet_id for s in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id)]
    lb = await cloud.elbv2.create_load_balancer("DemoALB", subnets, [lb_sg], scheme="internet-facing",
                                                ip_address_type="ipv4")
    listener = await cloud.elbv2.create_listener(lb.arn, "HTTP", 80, [forward(group.arn)])
    return Lab(instances, web_sg, lb_sg, group, lb, listener)


async def healthy_lab(cloud: Cloud, count: int = 2, **kwargs: object) -> Lab:
    lab = await seed_lab(cloud, count, **kwargs)  # type: ignore[arg-type]
    await cloud.clock.advance(PROVISION + 5 * INTERVAL)
    return lab


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
