"""A deterministic demo cloud: the state the seed lab reaches after its first part (two web
servers behind a web security group, the load balancer's group, one stopped instance).

Used by the SVG snapshot tests, the screenshots in `screenshots/` and the first-frame bench,
so that all of them show the same IDs, addresses and clock.
"""

from __future__ import annotations

from mock_cloud import Cloud, CloudConfig, RuleSpec
from tui.app import LblabApp

DEMO_SEED = 42

# The seed lab's user data (Korean comments included, as learners paste it).
LAB_USER_DATA = """#!/bin/bash
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


def demo_config(**overrides: object) -> CloudConfig:
    """Seeded, paused, nothing saved, no internet edge (so no ephemeral port is ever shown)."""
    config = CloudConfig(seed=DEMO_SEED, time_scale=0, edge_port=None, state_path=None)
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


async def populate(cloud: Cloud) -> None:
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
        await ec2.run_instances(name=name, user_data=LAB_USER_DATA, security_group_ids=[web.group_id],
                                subnet_id=subnet.subnet_id)
    [spare] = await ec2.run_instances(name="spare", instance_type="t3.micro")
    await cloud.clock.advance(30)
    await ec2.stop_instances([spare.instance_id])
    await cloud.clock.advance(20)


def demo_app(lang: str = "en", first_page: str = "dashboard", **config: object) -> LblabApp:
    """The console over a demo cloud (empty until `populate`); `config` overrides demo_config."""
    return LblabApp(demo_config(**config), lang=lang, first_page=first_page)
