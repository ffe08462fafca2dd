"""`lblab export`: the aws-cli script rebuilds the same setup (run with bash against a fresh lblab), and
the CloudFormation template passes cfn-lint."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.ec2.volume import RootDevice
from mock_cloud.elbv2.listener_rules import RuleCondition
from mock_cloud.elbv2.target_group import TargetSpec
from mock_cloud.export import export_command
from mock_cloud.export_awscli import Var, json_word
from mock_cloud.export_model import Setup
from mock_cloud.scenarios import SEED_USER_DATA, Lab, seed_lab
from tests.support.api import DUMMY_CREDENTIALS, FAST, REGION, LiveCloud
from tests.support.aws_cli import aws_cli
from tests.support.cloud import boot, make_config
from tests.support.elbv2 import fixed, forward
from tui.cli import main

WORKER_USER_DATA = "#!/bin/bash\necho 'no newline at the end' > /tmp/x\nLBLAB_USER_DATA\nprintf done"


async def build(cloud: Cloud) -> Lab:
    """The seed lab, plus what the export must carry over: rules between groups, a stopped instance whose
    user data has no final newline, changed settings and attributes, a second target group and rules."""
    lab = await seed_lab(cloud)
    ec2, elbv2 = cloud.ec2, cloud.elbv2
    await ec2.authorize(lab.web_sg, [RuleSpec("tcp", 22, 22, cidr_ipv4="10.0.0.0/8", description="ssh from corp"),
                                     RuleSpec("-1", source_group_id=lab.lb_sg)])
    worker_sg = await ec2.create_security_group("worker", "no way out", tags={"team": "blue"})
    await ec2.revoke(worker_sg.group_id, [RuleSpec("-1", cidr_ipv4="0.0.0.0/0")], egress=True)
    await ec2.authorize(worker_sg.group_id, [RuleSpec("udp", 53, 53, cidr_ipv4="10.0.0.2/32")], egress=True)
    default = ec2.security_group_by_name("default")
    await ec2.authorize(default.group_id, [RuleSpec("tcp", 443, 443, source_group_id=worker_sg.group_id)])
    subnet_c = ec2.subnets_of(ec2.default_vpc.vpc_id)[2].subnet_id
    worker = (await ec2.run_instances(instance_type="t3.micro", name="worker", subnet_id=subnet_c,
                                      security_group_ids=[worker_sg.group_id, default.group_id],
                                      user_data=WORKER_USER_DATA, tags={"team": "blue"},
                                      root=RootDevice(20, "gp3", delete_on_termination=False),
                                      disable_api_termination=True))[0]
    await boot(cloud)
    await ec2.stop_instances([worker.instance_id])
    await elbv2.modify_target_group(lab.group.arn, path="/index.html", matcher="200-299", interval_seconds=10)
    await elbv2.modify_target_group_attributes(lab.group.arn, {"stickiness.enabled": "true",
                                                               "deregistration_delay.timeout_seconds": "30"})
    api = await elbv2.create_target_group("api-tg", "HTTP", 8080, tags={"tier": "api"})
    by_address = await elbv2.create_target_group("ip-tg", "HTTP", 80, target_type="ip")
    await elbv2.register_targets(by_address.arn, [TargetSpec(lab.instances[0].private_ip, 80)])
    await elbv2.create_rule(lab.listener.arn, 10, [RuleCondition("path-pattern", path_pattern_config=["/api/*"])],
                            [forward(api.arn, lab.group.arn, weights=[3, 1])])
    await elbv2.create_rule(lab.listener.arn, 20, [RuleCondition("host-header", host_header_config=["*.example.com"])],
                            [fixed("404", "it's 'not' here")])
    await elbv2.modify_load_balancer_attributes(lab.lb.arn, {"idle_timeout.timeout_seconds": "120"})
    return lab


def summary(setup: Setup) -> dict[str, Any]:
    """A setup with its IDs and ARNs replaced by names, so two clouds can be compared."""
    group_names = {g.group_id: g.group_name for g in setup.groups}
    tg_names = {g.arn: g.name for g in setup.target_groups}

    def rules(group: Any) -> list[tuple[Any, ...]]:
        return sorted((r.egress, r.protocol, r.from_port, r.to_port, r.cidr_ipv4 or group_names[r.referenced_group_id],
                       r.description) for r in group.rules)

    def named(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: named(v) for k, v in value.items() if k not in ("RuleArn",)}
        if isinstance(value, list):
            return [named(v) for v in value]
        return tg_names.get(value, value)

    return {
        "groups": {g.group_name: (g.description, g.tags, rules(g)) for g in setup.groups},
        "instances": {i.name: (i.instance_type, i.image_id, i.user_data, i.availability_zone, i.tags,
                               sorted(group_names[g] for g in i.security_group_ids),
                               "stopped" if i.state in ("stopping", "stopped") else i.state,
                               i.disable_api_termination, root_volume(setup, i.instance_id))
                      for i in setup.instances},
        "target_groups": {g.name: (g.protocol, g.port, g.protocol_version, dataclasses.asdict(g.health_check),
                                   g.attributes, g.tags,
                                   sorted((_behind(setup, t), t.id.startswith("i-"), t.port)
                                          for t in setup.targets_of(g)))
                          for g in setup.target_groups},
        "load_balancers": {lb.name: (lb.scheme, lb.type, [z for z, _ in lb.availability_zones],
                                     sorted(group_names[g] for g in lb.security_groups), lb.attributes,
                                     [(x.protocol, x.port, [named(r.to_dict()) for r in x.rules])
                                      for x in setup.listeners_of(lb)])
                           for lb in setup.load_balancers},
    }


def root_volume(setup: Setup, instance_id: str) -> tuple[str, int, str, bool]:
    [volume] = [v for v in setup.volumes if v.instance_id == instance_id]
    return volume.device, volume.size, volume.volume_type, volume.delete_on_termination


def _behind(setup: Setup, target: Any) -> str:
    instance = setup.instance_behind(target)
    assert instance is not None
    return instance.name


def aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "AWS": f"{sys.executable} -m awscli --endpoint-url {endpoint} --region {REGION}",
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": ""}


@pytest.mark.timeout(900)  # a hang guard: ~30 aws CLI commands, several seconds each at load 20
@pytest.mark.long
async def test_aws_cli_export_rebuilds_the_same_setup_on_a_fresh_cloud(
        cloud: Cloud, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("awscli", reason="the aws CLI (pip install awscli) runs the exported script")
    await build(cloud)
    original = summary(Setup.from_state(cloud.to_dict()))
    # The command reads the saved state file, as `lblab export` does, with no server running for it.
    assert cloud.store is not None
    assert main(["export", "--format", "aws-cli", "--state", str(cloud.store.path)]) == 0
    script = tmp_path / "rebuild.sh"
    script.write_text(capsys.readouterr().out)

    with LiveCloud(make_config(time_scale=FAST, seed=7)) as fresh, aws_cli(aws_env(fresh.endpoint), FAST) as aws:
        env = {**aws_env(fresh.endpoint), "AWS": f"{aws} --endpoint-url {fresh.endpoint} --region {REGION}"}
        ran = await asyncio.to_thread(subprocess.run, ["bash", str(script)], env=env, capture_output=True, text=True,
                                      timeout=600)
        assert ran.returncode == 0, ran.stderr[-3000:]
        assert "DemoALB: DemoALB-" in ran.stdout
        rebuilt = summary(Setup.from_state(fresh.run(_state(fresh.cloud))))
    assert rebuilt == original


async def _state(cloud: Cloud) -> dict[str, Any]:
    return cloud.to_dict()


async def test_cloudformation_export_passes_cfn_lint(cloud: Cloud) -> None:
    lint = pytest.importorskip("cfnlint.api", reason="cfn-lint (pip install cfn-lint) checks the template")
    await build(cloud)
    certificate = await cloud.elbv2.request_certificate("www.example.com")
    lab_lb = cloud.elbv2.describe_load_balancers(names=["DemoALB"])[0]
    group = cloud.elbv2.describe_target_groups(names=["demo-tg"])[0]
    await cloud.elbv2.create_listener(lab_lb.arn, "HTTPS", 443, [forward(group.arn)], certificates=[certificate])
    from mock_cloud.export import render

    text = render(Setup.from_state(cloud.to_dict()), "cloudformation")
    matches = await asyncio.to_thread(lint.lint, text, regions=[REGION])
    assert [str(m) for m in matches] == []
    template = yaml.safe_load(text)
    resources = template["Resources"]
    kinds = sorted({r["Type"] for r in resources.values()})
    assert kinds == ["AWS::EC2::Instance", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
                     "AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule",
                     "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup"]
    assert resources["InstanceServer1"]["Properties"]["UserData"] == {"Fn::Base64": SEED_USER_DATA}
    assert template["Parameters"]["ImageIdAl2023"]["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert set(template["Parameters"]) == {"VpcId", "Subnets", "ImageIdAl2023", "DefaultSecurityGroupId",
                                           "CertificateArn"}
    assert template["Outputs"]["LoadBalancerDemoALBDNSName"]["Value"] == {
        "Fn::GetAtt": ["LoadBalancerDemoALB", "DNSName"]}
    worker_egress = resources["SecurityGroupWorker"]["Properties"]["SecurityGroupEgress"]
    assert worker_egress == [{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "CidrIp": "10.0.0.2/32"}]
    assert "stopped" in template["Description"]


def test_export_command_explains_what_it_cannot_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export_command("aws-cli", tmp_path / "missing.json") == 1
    assert "no saved cloud" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text("{not json")
    assert export_command("cloudformation", tmp_path / "broken.json") == 1
    assert "cannot read" in capsys.readouterr().err
    assert (tmp_path / "broken.json").exists()  # reported, never moved aside


async def test_empty_cloud_has_nothing_to_export(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    assert cloud.store is not None
    assert export_command("aws-cli", cloud.store.path) == 1
    assert "nothing to export" in capsys.readouterr().err


def test_json_arguments_splice_shell_variables() -> None:
    word = json_word([{"GroupId": Var("SG_WEB"), "Description": "it's"}])
    assert word == """'[{"GroupId":"'"$SG_WEB"'","Description":"it'"'"'s"}]'"""
    shown = subprocess.run(["bash", "-c", f"SG_WEB=sg-1; printf %s {word}"], capture_output=True, text=True)
    assert shown.stdout == '[{"GroupId":"sg-1","Description":"it\'s"}]'
