"""Named states of a seeded cloud, built through the service API: the starting points that the tests,
`bench/` and `screenshots/` share, so each of them shows the same IDs, addresses and clock.

- `demo_config` and `populate`: the seed lab after its first part (two web servers behind a web security
  group, the load balancer's group, one stopped instance), seeded and paused, with no internet edge.
- `populate_elb`: on top of that, demo-tg (server-1, server-2) behind DemoALB, active and healthy.
- `seed_lab` / `healthy_lab`: the lab from the course notes built from an empty account (web servers,
  demo-tg, DemoALB on HTTP:80), still provisioning or active with healthy targets.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from mock_cloud.cloud import Cloud, CloudConfig
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.listener_rules import Action
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.target_group import TargetGroup, TargetSpec

DEMO_SEED = 42
BOOT = 30.0  # cloud seconds for an instance to boot and run its user data
PROVISION = 60.0  # cloud seconds for a load balancer to become active
INTERVAL = 30.0  # a target group's default health check interval
BOOT_PATIENCE = 120.0  # real seconds: how long a busy machine may take to start the instances' guest processes

# The seed lab's user data (Korean comments included, as learners paste it).
SEED_USER_DATA = """#!/bin/bash
# Use this for your user data (script from top to bottom)
# install httpd (Linux 2 version)
#패키지 업데이트
yum update -y
#아파치 웹서버 설치
yum install -y httpd
#아파치 웹서버 실행
systemctl start httpd
#부팅시 아파치 웹서버 자동 실행
systemctl enable httpd
#간단한 html을 아파치 루트 디렉토리에 생성
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""
# What that user data's page says; the group is the instance's private DNS name.
HELLO = re.compile(r"<h1>Hello World from (ip-172-31-\d+-\d+\.ap-northeast-2\.compute\.internal)</h1>")


def demo_config(**overrides: object) -> CloudConfig:
    """Seeded, paused, nothing saved, no internet edge (so no ephemeral port is ever shown)."""
    config = CloudConfig(seed=DEMO_SEED, time_scale=0, edge_port=None, state_path=None)
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


async def populate(cloud: Cloud) -> None:
    """The seed lab after its first part: web-sg, demo-sg-load-balancer, server-1 and server-2 serving,
    spare stopped."""
    ec2 = cloud.ec2
    web = await ec2.create_security_group("web-sg", "HTTP and SSH from anywhere")
    await ec2.authorize(web.group_id, [
        RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0", description="HTTP"),
        RuleSpec("tcp", 22, 22, cidr_ipv4="0.0.0.0/0"),
    ])
    alb = await ec2.create_security_group("demo-sg-load-balancer", "SG for ALB")
    await ec2.authorize(alb.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    for name, zone in (("server-1", "a"), ("server-2", "c")):
        subnet = next(s for s in ec2.subnets.values() if s.availability_zone.endswith(zone))
        await ec2.run_instances(name=name, user_data=SEED_USER_DATA, security_group_ids=[web.group_id],
                                subnet_id=subnet.subnet_id)
    [spare] = await ec2.run_instances(name="spare", instance_type="t3.micro")
    # Stopped as it launches, still pending: it never boots, so no guest process starts for it only to stop
    # (a third of what this scenario cost the ~150 console tests that start from it).
    await ec2.stop_instances([spare.instance_id])
    await booted(cloud, ec2.describe_instances())
    await cloud.clock.advance(20)


async def populate_elb(cloud: Cloud, active: bool = True) -> LoadBalancer:
    """Over `populate`'s cloud: demo-tg (server-1, server-2) behind DemoALB (all four zones, HTTP:80);
    with `active`, provisioned and its targets healthy."""
    ec2, elbv2 = cloud.ec2, cloud.elbv2
    servers = [i for i in ec2.describe_instances() if i.name in ("server-1", "server-2")]
    group = await elbv2.create_target_group("demo-tg", "HTTP", 80)
    await elbv2.register_targets(group.arn, [TargetSpec(i.instance_id) for i in servers])
    lb = await elbv2.create_load_balancer("DemoALB", _default_subnets(cloud),
                                          [ec2.security_group_by_name("demo-sg-load-balancer").group_id])
    await elbv2.create_listener(lb.arn, "HTTP", 80, [Action("forward", target_group_arn=group.arn)])
    if active:
        await cloud.clock.advance(PROVISION + INTERVAL)
    return lb


@dataclass
class Lab:
    """The seed lab's resources, as `seed_lab` built them."""

    instances: list[Instance]
    web_sg: str
    lb_sg: str
    group: TargetGroup
    lb: LoadBalancer
    listener: Listener

    @property
    def url(self) -> str:
        return f"http://{self.lb.dns_name}/"


async def open_group(cloud: Cloud, name: str, description: str, port: int = 80) -> str:
    """A security group open to the world on one TCP port; its ID."""
    group = await cloud.ec2.create_security_group(name, description)
    await cloud.ec2.authorize(group.group_id, [RuleSpec("tcp", port, port, cidr_ipv4="0.0.0.0/0")])
    return group.group_id


async def web_servers(cloud: Cloud, count: int = 2, group_ids: list[str] | None = None,
                      user_data: str = SEED_USER_DATA) -> list[Instance]:
    """server-1 … server-N running the user data, booted."""
    instances = []
    for index in range(count):
        instances += await cloud.ec2.run_instances(name=f"server-{index + 1}", user_data=user_data,
                                                   security_group_ids=group_ids)
    await booted(cloud, instances)
    return instances


async def booted(cloud: Cloud, instances: list[Instance]) -> None:
    """Boot time on the paused clock, then until every instance runs: advance() waits only so long (real time) for
    a guest process to start, and on a busy machine one can take longer (at load 20 a seed lab's register_targets
    met instances still pending)."""
    await cloud.clock.advance(BOOT)
    deadline = time.monotonic() + BOOT_PATIENCE
    while any(i.state == "pending" for i in instances) and time.monotonic() < deadline:
        await cloud.clock.advance(1)


async def seed_lab(cloud: Cloud, count: int = 2, instance_groups: list[str] | None = None,
                   user_data: str = SEED_USER_DATA) -> Lab:
    """The lab from the course notes: two web servers, demo-tg, DemoALB on HTTP:80 (still provisioning)."""
    web_sg = await open_group(cloud, "web", "web servers")
    instances = await web_servers(cloud, count, instance_groups or [web_sg], user_data)
    lb_sg = await open_group(cloud, "demo-sg-load-balancer", "SG for ALB")
    group = await cloud.elbv2.create_target_group("demo-tg", "HTTP", 80, protocol_version="HTTP1")
    await cloud.elbv2.register_targets(group.arn, [TargetSpec(i.instance_id) for i in instances])
    lb = await cloud.elbv2.create_load_balancer("DemoALB", _default_subnets(cloud), [lb_sg],
                                                scheme="internet-facing", ip_address_type="ipv4")
    listener = await cloud.elbv2.create_listener(lb.arn, "HTTP", 80, [Action("forward", target_group_arn=group.arn)])
    return Lab(instances, web_sg, lb_sg, group, lb, listener)


async def healthy_lab(cloud: Cloud, count: int = 2, **kwargs: object) -> Lab:
    """`seed_lab`, active, with every target past its healthy threshold."""
    lab = await seed_lab(cloud, count, **kwargs)  # type: ignore[arg-type]
    await cloud.clock.advance(PROVISION + 5 * INTERVAL)
    return lab


def _default_subnets(cloud: Cloud) -> list[str]:
    return [s.subnet_id for s in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id)]
