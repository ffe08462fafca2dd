"""EC2 through boto3 on the real endpoint (issue 14): Describe filters with AWS's names and wildcards, the
security group rules quota, and smaller shapes of RunInstances and TerminateInstances."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.test_api_errors import error_of
from tests.api.test_api_paging import IMAGE
from tests.support.api import LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 is a test dependency")


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """web-1 and web-2 in group web, db-1 in group db (which admits web on 5432); cloud time stands still."""
    with LiveCloud(make_config(time_scale=0)) as live:
        ec2 = live.client("ec2")
        web = ec2.create_security_group(GroupName="web", Description="web tier")["GroupId"]
        db = ec2.create_security_group(GroupName="db", Description="db tier", TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "tier", "Value": "data"}]}])["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
        ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.2/32"}]}])
        ids = {}
        for name, group in (("web-1", web), ("web-2", web), ("db-1", db)):
            launched = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, SecurityGroupIds=[group],
                                         InstanceType="t3.micro" if name == "db-1" else "t2.micro",
                                         TagSpecifications=[{"ResourceType": "instance",
                                                             "Tags": [{"Key": "Name", "Value": name}]}])
            ids[name] = launched["Instances"][0]
        yield {"ec2": ec2, "web": web, "db": db, "instances": ids}


def names(world: dict[str, Any], *filters: tuple[str, list[str]]) -> list[str]:
    answer = world["ec2"].describe_instances(Filters=[{"Name": n, "Values": v} for n, v in filters])
    return sorted(t["Value"] for r in answer["Reservations"] for i in r["Instances"] for t in i["Tags"])


@pytest.mark.parametrize("name, values, expected", [
    ("tag:Name", ["web*"], ["web-1", "web-2"]),
    ("tag:Name", ["web-?"], ["web-1", "web-2"]),
    ("tag:Name", ["*-1"], ["db-1", "web-1"]),
    ("tag-key", ["Na*"], ["db-1", "web-1", "web-2"]),
    ("tag-value", ["db-*"], ["db-1"]),
    ("instance-type", ["t3.*"], ["db-1"]),
    ("instance.group-name", ["db"], ["db-1"]),
    ("architecture", ["x86_64"], ["db-1", "web-1", "web-2"]),
    ("owner-id", ["123456789012", "*"], ["db-1", "web-1", "web-2"]),
    ("image-id", ["ami-0c9c942bd7bf113a2"], ["db-1", "web-1", "web-2"]),
    ("state-reason-code", ["Client.*"], []),
])
def test_instance_filters_and_wildcards(world: dict[str, Any], name: str, values: list[str],
                                        expected: list[str]) -> None:
    assert names(world, (name, values)) == expected


def test_instance_filters_by_each_field_of_the_instance(world: dict[str, Any]) -> None:
    db = world["instances"]["db-1"]
    for name, value in (("private-dns-name", db["PrivateDnsName"]),
                        ("network-interface.private-dns-name", db["PrivateDnsName"]),
                        ("subnet-id", db["SubnetId"]), ("instance.group-id", world["db"])):
        assert "db-1" in names(world, (name, [value])), name
    assert names(world, ("vpc-id", [db["VpcId"]]), ("tag:Name", ["db-1"])) == ["db-1"]
    world["ec2"].terminate_instances(InstanceIds=[world["instances"]["web-2"]["InstanceId"]])
    assert names(world, ("state-reason-code", ["Client.UserInitiatedShutdown"])) == ["web-2"]
    assert error_of(world["ec2"].describe_instances, Filters=[{"Name": "no-such", "Values": ["x"]}])[0] == \
        "InvalidParameterValue"


@pytest.mark.parametrize("name, values, expected", [
    ("tag-value", ["da*"], ["db"]),
    ("ip-permission.group-id", ["{web}"], ["db"]),
    ("ip-permission.group-name", ["web"], ["db"]),
    ("ip-permission.from-port", ["5432"], ["db"]),
    ("ip-permission.protocol", ["tcp"], ["db"]),
    ("ip-permission.user-id", ["123456789012"], ["db", "default"]),  # default admits itself
    ("egress.ip-permission.protocol", ["udp"], ["web"]),
    ("egress.ip-permission.cidr", ["10.0.0.*"], ["web"]),
    ("egress.ip-permission.to-port", ["53"], ["web"]),
    ("group-name", ["d?"], ["db"]),
])
def test_security_group_filters(world: dict[str, Any], name: str, values: list[str], expected: list[str]) -> None:
    values = [v.format(web=world["web"]) for v in values]
    groups = world["ec2"].describe_security_groups(Filters=[{"Name": name, "Values": values}])["SecurityGroups"]
    assert sorted(g["GroupName"] for g in groups) == expected


def test_only_star_question_mark_and_backslash_are_special(world: dict[str, Any]) -> None:
    ec2, db = world["ec2"], world["instances"]["db-1"]["InstanceId"]
    ec2.create_tags(Resources=[db], Tags=[{"Key": "note", "Value": "*[db]?"}])
    assert names(world, ("tag:note", ["\\*[db]\\?"])) == ["*[db]?", "db-1"]  # db-1: its note and Name tags
    assert names(world, ("tag:note", ["[db]*"])) == []
    assert names(world, ("tag:note", ["*" + "*?" * 200 + "x"])) == []  # a hostile pattern answers at once


def test_rules_quota_is_60_each_way_and_group_pairs_name_id_and_account(world: dict[str, Any]) -> None:
    ec2 = world["ec2"]
    group = ec2.create_security_group(GroupName="quota", Description="quota")["GroupId"]
    ranges = [{"CidrIp": f"10.1.{n}.0/24"} for n in range(60)]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": ranges}])
    over = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.2.0.0/24"}]}]
    assert error_of(ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=over) == (
        "RulesPerSecurityGroupLimitExceeded", 400, "The maximum number of rules per security group has been reached.")
    # Outbound has its own 60: the default all-traffic rule and 59 more fit, the 61st does not.
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": ranges[:59]}])
    assert error_of(ec2.authorize_security_group_egress, GroupId=group, IpPermissions=over)[0] == \
        "RulesPerSecurityGroupLimitExceeded"
    [db] = ec2.describe_security_groups(GroupIds=[world["db"]])["SecurityGroups"]
    assert db["IpPermissions"][0]["UserIdGroupPairs"] == [{"GroupId": world["web"], "UserId": "123456789012"}]


def test_unknown_instance_ids_are_all_named(world: dict[str, Any]) -> None:
    ec2, first, second = world["ec2"], "i-0123456789abcdef0", "i-0123456789abcdef1"
    assert error_of(ec2.terminate_instances, InstanceIds=[first, second]) == (
        "InvalidInstanceID.NotFound", 400, f"The instance IDs '{first}, {second}' do not exist")
    assert error_of(ec2.stop_instances, InstanceIds=[first])[2] == f"The instance ID '{first}' does not exist"


def test_run_instances_honours_or_refuses_a_private_ip(world: dict[str, Any]) -> None:
    ec2, taken = world["ec2"], world["instances"]["db-1"]
    subnet = ec2.describe_subnets(SubnetIds=[taken["SubnetId"]])["Subnets"][0]
    network = subnet["CidrBlock"].split("/")[0].rsplit(".", 1)[0]  # x.y.z of the /20 x.y.z.0
    launch = {"ImageId": IMAGE, "MinCount": 1, "MaxCount": 1, "SubnetId": subnet["SubnetId"]}
    chosen = f"{network}.200"
    [instance] = ec2.run_instances(**launch, PrivateIpAddress=chosen)["Instances"]
    assert instance["PrivateIpAddress"] == chosen
    assert error_of(ec2.run_instances, **launch, PrivateIpAddress=taken["PrivateIpAddress"]) == (
        "InvalidIPAddress.InUse", 400, f"Address {taken['PrivateIpAddress']} is in use.")
    assert error_of(ec2.run_instances, **launch, PrivateIpAddress="192.168.0.10")[2] == \
        "Address does not fall within the subnet's address range"
    assert error_of(ec2.run_instances, **launch, PrivateIpAddress=f"{network}.1")[2] == \
        "Address is in subnet's reserved address range"


def test_subnet_or_groups_with_network_interfaces_is_a_bad_combination(world: dict[str, Any]) -> None:
    ec2, db = world["ec2"], world["instances"]["db-1"]
    interface = [{"DeviceIndex": 0, "SubnetId": db["SubnetId"], "AssociatePublicIpAddress": True}]
    assert error_of(ec2.run_instances, ImageId=IMAGE, MinCount=1, MaxCount=1, SubnetId=db["SubnetId"],
                    NetworkInterfaces=interface) == (
        "InvalidParameterCombination", 400,
        "Network interfaces and an instance-level subnet ID may not be specified on the same request")
    assert error_of(ec2.run_instances, ImageId=IMAGE, MinCount=1, MaxCount=1, SecurityGroupIds=[world["db"]],
                    NetworkInterfaces=interface)[0] == "InvalidParameterCombination"
