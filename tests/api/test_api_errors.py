"""AWS's error documents, codes and statuses for bad input, and a fuzz loop that never gets a 500."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from mock_cloud.api import ec2_handlers, elbv2_handlers
from mock_cloud.api.query import Req
from mock_cloud.api.server import ApiServer
from mock_cloud.api.xml import EC2_NAMESPACE, ELBV2_NAMESPACE
from mock_cloud.cloud import Cloud
from mock_cloud.scenarios import seed_lab
from tests.support.api import LiveCloud
from tests.support.cloud import make_config

ClientError = pytest.importorskip("botocore.exceptions", reason="boto3 is a test dependency").ClientError
EC2_AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20260101/ap-northeast-2/ec2/aws4_request, SignedHeaders=host, Signature=0"
ELBV2_AUTH = EC2_AUTH.replace("/ec2/", "/elasticloadbalancing/")


@pytest.fixture(scope="module")
def live() -> Iterator[LiveCloud]:
    with LiveCloud(make_config(time_scale=0)) as running:
        yield running


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_ec2_errors_have_aws_codes(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    assert error_of(ec2.describe_instances, InstanceIds=["i-123"])[:2] == ("InvalidInstanceID.Malformed", 400)
    code, status, message = error_of(ec2.stop_instances, InstanceIds=["i-0123456789abcdef0"])
    assert (code, status) == ("InvalidInstanceID.NotFound", 400) and "i-0123456789abcdef0" in message
    assert error_of(ec2.run_instances, ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1)[0] == \
        "InvalidAMIID.NotFound"
    assert error_of(ec2.run_instances, ImageId="ami-0c9c942bd7bf113a2", MinCount=1, MaxCount=1,
                    UserData="x", InstanceType="z9.mega")[0] == "InvalidParameterValue"
    ec2.create_security_group(GroupName="dup", Description="first")
    code, _, message = error_of(ec2.create_security_group, GroupName="dup", Description="second")
    assert code == "InvalidGroup.Duplicate" and "'dup' already exists" in message
    code, _, message = error_of(ec2.authorize_security_group_ingress, GroupName="dup", IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.1"}]}])
    assert (code, message) == ("InvalidParameterValue", "CIDR block 10.0.0.1 is malformed")
    rule = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_ingress(GroupName="dup", IpPermissions=rule)
    assert error_of(ec2.authorize_security_group_ingress, GroupName="dup", IpPermissions=rule)[0] == \
        "InvalidPermission.Duplicate"
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    assert error_of(ec2.delete_security_group, GroupId=default)[0] == "CannotDelete"
    assert error_of(ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"])[0] == "InvalidGroup.NotFound"
    assert error_of(ec2.describe_subnets, Filters=[{"Name": "no-such-filter", "Values": ["x"]}])[0] == \
        "InvalidParameterValue"
    assert error_of(ec2.describe_vpcs, DryRun=True)[:2] == ("DryRunOperation", 412)
    assert error_of(ec2.run_instances, ImageId="resolve:ssm:/no/such/parameter", MinCount=1, MaxCount=1)[0] == \
        "InvalidParameterValue"


def test_elbv2_errors_have_aws_codes(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]
    code, status, message = error_of(elbv2.create_load_balancer, Name="one-zone", Subnets=subnets[:1])
    assert (code, status) == ("ValidationError", 400)
    assert message == "At least two subnets in two different Availability Zones must be specified"
    assert error_of(elbv2.create_load_balancer, Name="x", Subnets=["subnet-0123456789abcdef0", subnets[0]])[0] == \
        "SubnetNotFound"
    lb = elbv2.create_load_balancer(Name="errors", Subnets=subnets[:2])["LoadBalancers"][0]
    assert error_of(elbv2.create_load_balancer, Name="errors", Subnets=subnets[2:])[0] == "DuplicateLoadBalancerName"
    vpc_id = lb["VpcId"]
    group = elbv2.create_target_group(Name="errors-tg", Protocol="HTTP", Port=80, VpcId=vpc_id)["TargetGroups"][0]
    assert error_of(elbv2.create_target_group, Name="errors-tg", Protocol="HTTP", Port=8080, VpcId=vpc_id)[0] == \
        "DuplicateTargetGroupName"
    assert error_of(elbv2.create_target_group, Name="no-vpc", Protocol="HTTP", Port=80)[0] == "ValidationError"
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=forward)["Listeners"][0]
    path = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a"]}}]
    elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=5, Conditions=path, Actions=forward)
    code, status, _ = error_of(elbv2.create_rule, ListenerArn=listener["ListenerArn"], Priority=5, Conditions=path,
                               Actions=forward)
    assert (code, status) == ("PriorityInUse", 400)
    assert error_of(elbv2.create_rule, ListenerArn=listener["ListenerArn"], Priority=6, Conditions=path,
                    Actions=[{"Type": "jump"}])[0] == "ValidationError"
    assert error_of(elbv2.delete_target_group, TargetGroupArn=group["TargetGroupArn"])[0] == "ResourceInUse"
    assert error_of(elbv2.describe_load_balancers, LoadBalancerArns=[lb["LoadBalancerArn"] + "0"])[0] == \
        "LoadBalancerNotFound"
    assert error_of(elbv2.describe_listeners, ListenerArns=[listener["ListenerArn"] + "0"])[0] == "ListenerNotFound"
    assert error_of(elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"],
                    Targets=[{"Id": "i-0123456789abcdef0"}])[0] == "InvalidTarget"
    assert error_of(elbv2.describe_ssl_policies, Names=["NoSuchPolicy"])[0] == "SSLPolicyNotFound"
    assert error_of(elbv2.add_tags, ResourceArns=[lb["LoadBalancerArn"]],
                    Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])[0] == "DuplicateTagKeys"


# -- raw requests: what botocore would never send -------------------------------------------------------


@pytest.fixture
async def api(cloud: Cloud) -> AsyncIterator[tuple[Cloud, str]]:
    server = ApiServer(cloud, port=0)
    await server.start()
    yield cloud, server.url
    await server.stop()


async def post(url: str, params: dict[str, str] | list[tuple[str, str]], auth: str = "") -> tuple[int, ET.Element]:
    headers = {"Authorization": auth} if auth else {}
    async with aiohttp.ClientSession() as session, session.post(url + "/", data=params, headers=headers) as response:
        body = await response.read()
        return response.status, ET.fromstring(body)


def ec2_error(root: ET.Element) -> str:
    assert root.tag == "Response" and root.find("RequestID") is not None
    return root.findtext("Errors/Error/Code") or ""


def elbv2_error(root: ET.Element) -> str:
    ns = {"e": ELBV2_NAMESPACE}
    assert root.tag == f"{{{ELBV2_NAMESPACE}}}ErrorResponse" and root.find("e:RequestId", ns) is not None
    assert root.findtext("e:Error/e:Type", namespaces=ns) == "Sender"
    return root.findtext("e:Error/e:Code", namespaces=ns) or ""


async def test_error_documents_are_each_services_shape(api: tuple[Cloud, str]) -> None:
    _, url = api
    status, root = await post(url, {"Action": "LaunchRockets", "Version": "2016-11-15"})
    assert (status, ec2_error(root)) == (400, "InvalidAction")
    status, root = await post(url, {"Action": "LaunchRockets"}, ELBV2_AUTH)
    assert (status, elbv2_error(root)) == (400, "InvalidAction")
    status, root = await post(url, {"Version": "2016-11-15"})
    assert (status, ec2_error(root)) == (400, "MissingAction")
    status, root = await post(url, {"Action": "RunInstances", "MinCount": "1", "MaxCount": "1"}, EC2_AUTH)
    assert (status, ec2_error(root)) == (400, "MissingParameter")
    assert "ImageId" in (root.findtext("Errors/Error/Message") or "")
    status, root = await post(url, {"Action": "RunInstances", "ImageId": "ami-0c9c942bd7bf113a2", "MinCount": "one",
                                    "MaxCount": "1"}, EC2_AUTH)
    assert (status, ec2_error(root)) == (400, "InvalidParameterValue")
    status, root = await post(url, {"Action": "CreateLoadBalancer", "Version": "2015-12-01"})
    assert (status, elbv2_error(root)) == (400, "ValidationError")
    assert "Value null at 'name'" in (root.findtext(f"{{{ELBV2_NAMESPACE}}}Error/{{{ELBV2_NAMESPACE}}}Message") or "")
    status, root = await post(url, {"Action": "CreateTargetGroup", "Name": "t", "Port": "eighty"}, ELBV2_AUTH)
    assert (status, elbv2_error(root)) == (400, "ValidationError")
    status, root = await post(url, {"Action": "DescribeInstances", "InstanceId": "i-0123456789abcdef0"}, EC2_AUTH)
    assert (status, ec2_error(root)) == (400, "InvalidParameterValue")  # a list needs InstanceId.1
    status, root = await post(url, {"Action": "DescribeVpcs", "Version": "2016-11-15"})
    assert status == 200 and root.tag == f"{{{EC2_NAMESPACE}}}DescribeVpcsResponse"


# -- fuzz ---------------------------------------------------------------------------------------------------

FUZZ_SETS = 200
POOL = [
    "", " ", "0", "1", "-1", "80", "65536", "2147483648", "-2147483649", "9" * 30, "1e3", "0x10", "true", "FALSE",
    "null", "None", "a" * 300, "\x00", "\x01\x7f", "💥", "한국어 보안 그룹", "<b>&amp;</b>", "' OR 1=1 --", "../../x",
    "%00", "0.0.0.0/0", "10.0.0.0/33", "300.1.1.1/8", "10.0.0.1", "::/0", "tcp", "icmp", "all", "HTTP", "HTTPS",
    "TCP", "forward", "fixed-response", "redirect", "authenticate-oidc", "path-pattern", "host-header",
    "http-header", "query-string", "source-ip", "*", "/", "/a*", "HTTP_301", "200", "999", "text/plain",
    "instance", "ip", "default", "internet-facing", "internal", "application", "network", "ipv4", "dualstack",
    "traffic-port", "200-299", "abc-", "stickiness.enabled", "idle_timeout.timeout_seconds", "instance-state-name",
    "tag:Name", "group-name", "ZWNobyBoaQ==", "!!!not base64", "i-0123456789abcdef0", "sg-0123456789abcdef0",
    "subnet-0123456789abcdef0", "vpc-0123456789abcdef0", "ami-0c9c942bd7bf113a2", "resolve:ssm:/x",
    "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/x/0123456789abcdef",
    "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/x/0123456789abcdef",
]
TABLES = [("ec2", ec2_handlers.ACTIONS), ("elasticloadbalancing", elbv2_handlers.ACTIONS)]


def fuzz_pairs(rng: random.Random, schema: dict[str, Any], prefix: str, member: bool, pool: list[str],
               depth: int = 0) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, spec in schema.items():
        if rng.random() < 0.35:
            continue
        pairs += fuzz_value(rng, spec.schema if isinstance(spec, Req) else spec, prefix + name, member, pool, depth)
    if rng.random() < 0.2:
        pairs.append((prefix + rng.choice(["Junk", "Filter.x", "", ".", "a..b", "member.1"]), rng.choice(pool)))
    return pairs


def fuzz_value(rng: random.Random, spec: Any, key: str, member: bool, pool: list[str],
               depth: int) -> list[tuple[str, str]]:
    if rng.random() < 0.1 or depth > 4:
        return [(key, rng.choice(pool))]  # a scalar wherever it goes, lists and structures included
    if isinstance(spec, dict):
        return fuzz_pairs(rng, spec, key + ".", member, pool, depth + 1)
    if isinstance(spec, list):
        pairs = []
        for index in rng.sample([1, 2, 3, 0, 10**12], rng.choice([0, 1, 1, 2])):
            item_key = f"{key}{'.member' if member != (rng.random() < 0.1) else ''}.{index}"
            pairs += fuzz_value(rng, spec[0], item_key, member, pool, depth + 1)
        return pairs
    return [(key, rng.choice(pool))]


def valid_requests(cloud: Cloud, lab: Any) -> list[tuple[str, dict[str, str]]]:
    """Well-formed requests over the seed lab: mutated one value at a time they reach deep into the services."""
    subnets = list(cloud.ec2.subnets)
    instance = lab.instances[0].instance_id
    return [
        ("ec2", {"Action": "DescribeInstances", "InstanceId.1": instance, "Filter.1.Name": "instance-state-name",
                 "Filter.1.Value.1": "running"}),
        ("ec2", {"Action": "RunInstances", "ImageId": "ami-0c9c942bd7bf113a2", "MinCount": "1", "MaxCount": "1",
                 "SecurityGroupId.1": lab.web_sg, "SubnetId": subnets[1], "UserData": "ZWNobyBoaQ==",
                 "TagSpecification.1.ResourceType": "instance", "TagSpecification.1.Tag.1.Key": "Name",
                 "TagSpecification.1.Tag.1.Value": "fuzz"}),
        ("ec2", {"Action": "AuthorizeSecurityGroupIngress", "GroupId": lab.web_sg,
                 "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "8080",
                 "IpPermissions.1.ToPort": "8080", "IpPermissions.1.IpRanges.1.CidrIp": "10.1.0.0/16",
                 "IpPermissions.1.Groups.1.GroupId": lab.lb_sg}),
        ("ec2", {"Action": "RevokeSecurityGroupIngress", "GroupId": lab.web_sg, "IpProtocol": "tcp",
                 "FromPort": "80", "ToPort": "80", "CidrIp": "0.0.0.0/0"}),
        ("ec2", {"Action": "CreateSecurityGroup", "GroupName": "fuzz", "GroupDescription": "fuzz group"}),
        ("ec2", {"Action": "StopInstances", "InstanceId.1": instance}),
        ("ec2", {"Action": "DescribeSubnets", "Filter.1.Name": "default-for-az", "Filter.1.Value.1": "true"}),
        ("elasticloadbalancing", {"Action": "CreateRule", "ListenerArn": lab.listener.arn, "Priority": "7",
                                  "Conditions.member.1.Field": "path-pattern",
                                  "Conditions.member.1.PathPatternConfig.Values.member.1": "/x/*",
                                  "Actions.member.1.Type": "forward",
                                  "Actions.member.1.TargetGroupArn": lab.group.arn}),
        ("elasticloadbalancing", {"Action": "CreateTargetGroup", "Name": "fuzz-tg", "Protocol": "HTTP",
                                  "Port": "8080", "VpcId": cloud.ec2.default_vpc.vpc_id,
                                  "HealthCheckPath": "/h", "Matcher.HttpCode": "200"}),
        ("elasticloadbalancing", {"Action": "RegisterTargets", "TargetGroupArn": lab.group.arn,
                                  "Targets.member.1.Id": instance, "Targets.member.1.Port": "80"}),
        ("elasticloadbalancing", {"Action": "ModifyTargetGroupAttributes", "TargetGroupArn": lab.group.arn,
                                  "Attributes.member.1.Key": "stickiness.enabled",
                                  "Attributes.member.1.Value": "true"}),
        ("elasticloadbalancing", {"Action": "CreateListener", "LoadBalancerArn": lab.lb.arn, "Protocol": "HTTP",
                                  "Port": "8081", "DefaultActions.member.1.Type": "fixed-response",
                                  "DefaultActions.member.1.FixedResponseConfig.StatusCode": "503"}),
        ("elasticloadbalancing", {"Action": "CreateLoadBalancer", "Name": "fuzz-lb", "Subnets.member.1": subnets[0],
                                  "Subnets.member.2": subnets[1], "SecurityGroups.member.1": lab.lb_sg}),
        ("elasticloadbalancing", {"Action": "DescribeTargetHealth", "TargetGroupArn": lab.group.arn}),
        ("elasticloadbalancing", {"Action": "SetRulePriorities",
                                  "RulePriorities.member.1.RuleArn": lab.listener.rules[0].arn,
                                  "RulePriorities.member.1.Priority": "3"}),
    ]


def mutated(rng: random.Random, params: dict[str, str], pool: list[str]) -> list[tuple[str, str]]:
    params = dict(params)
    for _ in range(rng.choice([0, 1, 1, 2])):
        keys = [k for k in params if k != "Action"]
        if not keys:
            break
        key = rng.choice(keys)
        if rng.random() < 0.7:
            params[key] = rng.choice(pool)
        else:
            del params[key]
    return list(params.items())


async def test_fuzz_never_gets_a_500(api: tuple[Cloud, str]) -> None:
    cloud, url = api
    lab = await seed_lab(cloud)
    real = [lab.web_sg, lab.lb_sg, lab.group.arn, lab.lb.arn, lab.listener.arn, lab.listener.rules[0].arn,
            cloud.ec2.default_vpc.vpc_id, *cloud.ec2.subnets, *(i.instance_id for i in lab.instances)]
    pool = POOL + real * 3
    valid = valid_requests(cloud, lab)
    rng = random.Random(20260101)
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession() as session:
        for number in range(FUZZ_SETS):
            if number % 2:
                signing, base = rng.choice(valid)
                params = mutated(rng, base, pool)
            else:
                signing, table = rng.choice(TABLES)
                action = rng.choice([*table, "NoSuchAction", ""])
                schema = table[action].schema if action in table else {}
                params = [("Action", action), *fuzz_pairs(rng, schema, "", signing != "ec2", pool)]
            auth = rng.choice([EC2_AUTH if signing == "ec2" else ELBV2_AUTH] * 3 + ["", "garbage"])
            async with session.post(url + "/", data=params, headers={"Authorization": auth}) as response:
                body = await response.read()
            assert response.status != 500, (params, body[:500])
            root = ET.fromstring(body)  # always a well-formed XML document
            assert root.tag.endswith(("Response", "ErrorResponse")), root.tag
            statuses[response.status] = statuses.get(response.status, 0) + 1
    assert statuses.get(200, 0) > 20 and statuses.get(400, 0) > 50, statuses


async def test_a_bug_answers_internal_failure_and_is_logged(
        api: tuple[Cloud, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    _, url = api

    async def broken(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("a bug")

    action = elbv2_handlers.ACTIONS["DescribeLoadBalancers"]
    monkeypatch.setitem(elbv2_handlers.ACTIONS, "DescribeLoadBalancers", type(action)(action.schema, broken))
    status, root = await post(url, {"Action": "DescribeLoadBalancers"}, ELBV2_AUTH)
    ns = {"e": ELBV2_NAMESPACE}
    assert status == 500 and root.findtext("e:Error/e:Code", namespaces=ns) == "InternalFailure"
    assert root.findtext("e:Error/e:Type", namespaces=ns) == "Receiver"
    assert any("DescribeLoadBalancers" in r.getMessage() and r.exc_info for r in caplog.records)
