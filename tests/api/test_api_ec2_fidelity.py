"""EC2 behaviours checked against AWS's API reference through boto3 on the real endpoint (issue 14, "Missing
today"): instance types, root volumes, instance attributes, security group rules as resources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_api_errors import error_of
from tests.api.test_api_paging import IMAGE
from tests.support.api import LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 is a test dependency")


@pytest.fixture(scope="module")
def live() -> Iterator[LiveCloud]:
    """A cloud whose time stands still until a test advances it."""
    with LiveCloud(make_config(time_scale=0)) as running:
        yield running


# -- instance types ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, vcpus, gib, architecture", [
    ("t2.micro", 1, 1, "x86_64"), ("t2.medium", 2, 4, "x86_64"), ("t3.nano", 2, 0.5, "x86_64"),
    ("t3a.xlarge", 4, 16, "x86_64"), ("t4g.small", 2, 2, "arm64"), ("m5.4xlarge", 16, 64, "x86_64"),
    ("m6i.32xlarge", 128, 512, "x86_64"), ("m7i.48xlarge", 192, 768, "x86_64"), ("c5.9xlarge", 36, 72, "x86_64"),
    ("c6i.large", 2, 4, "x86_64"), ("c7i.metal-24xl", 96, 192, "x86_64"), ("r5.large", 2, 16, "x86_64"),
    ("r6i.metal", 128, 1024, "x86_64"),
])
def test_instance_types_have_aws_figures(live: LiveCloud, name: str, vcpus: int, gib: float,
                                         architecture: str) -> None:
    [info] = live.client("ec2").describe_instance_types(InstanceTypes=[name])["InstanceTypes"]
    assert (info["InstanceType"], info["VCpuInfo"]["DefaultVCpus"], info["MemoryInfo"]["SizeInMiB"]) == (
        name, vcpus, int(gib * 1024))
    assert info["ProcessorInfo"]["SupportedArchitectures"] == [architecture]
    assert info["CurrentGeneration"] is True and info["BareMetal"] is ("metal" in name)


def test_every_family_asked_for_is_offered_and_pages_walk_them(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    pages = ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 20})
    names = [t["InstanceType"] for page in pages for t in page["InstanceTypes"]]
    assert len(names) == len(set(names)) > 100
    families = {n.split(".")[0] for n in names}
    assert {"t2", "t3", "t3a", "t4g", "m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i"} <= families
    free = ec2.describe_instance_types(Filters=[{"Name": "free-tier-eligible", "Values": ["true"]}])
    assert sorted(t["InstanceType"] for t in free["InstanceTypes"]) == ["t2.micro", "t3.micro"]
    arm = ec2.describe_instance_types(Filters=[{"Name": "processor-info.supported-architecture",
                                                "Values": ["arm64"]}])
    assert {t["InstanceType"].split(".")[0] for t in arm["InstanceTypes"]} == {"t4g"}
    assert error_of(ec2.describe_instance_types, InstanceTypes=["t9.huge"]) == (
        "InvalidInstanceType", 400, "The following supplied instance types do not exist: [t9.huge]")


def test_run_instances_takes_the_new_types_and_checks_the_architecture(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    [launched] = ec2.run_instances(ImageId=IMAGE, InstanceType="c6i.large", MinCount=1, MaxCount=1)["Instances"]
    assert launched["InstanceType"] == "c6i.large"
    assert error_of(ec2.run_instances, ImageId=IMAGE, InstanceType="t4g.micro", MinCount=1, MaxCount=1) == (
        "InvalidParameterValue", 400,
        "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the "
        "specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You "
        "can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type "
        "or AMI.")
    assert error_of(ec2.run_instances, ImageId=IMAGE, InstanceType="m5.24xlarge", MinCount=1, MaxCount=1)[0] == \
        "VcpuLimitExceeded"
    ec2.terminate_instances(InstanceIds=[launched["InstanceId"]])


# -- EBS root volumes ----------------------------------------------------------------------------------


def _root_volume(live: LiveCloud, instance_id: str) -> dict[str, Any]:
    [reservation] = live.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    [mapping] = reservation["Instances"][0]["BlockDeviceMappings"]
    assert mapping["DeviceName"] == "/dev/xvda" and mapping["Ebs"]["Status"] == "attached"
    return mapping["Ebs"]


def test_each_instance_has_its_root_volume(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    [instance] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"]
    ebs = _root_volume(live, instance["InstanceId"])
    assert ebs["VolumeId"].startswith("vol-") and len(ebs["VolumeId"]) == 21 and ebs["DeleteOnTermination"] is True
    [volume] = ec2.describe_volumes(VolumeIds=[ebs["VolumeId"]])["Volumes"]
    assert (volume["Size"], volume["VolumeType"], volume["State"], volume["Iops"], volume["Throughput"]) == (
        8, "gp3", "in-use", 3000, 125)
    assert volume["AvailabilityZone"] == instance["Placement"]["AvailabilityZone"]
    assert volume["Attachments"][0]["InstanceId"] == instance["InstanceId"]
    [image] = ec2.describe_images(ImageIds=[IMAGE])["Images"]
    assert image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == volume["SnapshotId"]
    found = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])
    assert [v["VolumeId"] for v in found["Volumes"]] == [ebs["VolumeId"]]
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    live.run(live.cloud.clock.advance(60))
    [gone] = ec2.describe_volumes(VolumeIds=[ebs["VolumeId"]])["Volumes"]
    assert (gone["State"], gone["Attachments"]) == ("deleted", [])
    [terminated] = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"]
    assert terminated["State"]["Name"] == "terminated" and terminated["BlockDeviceMappings"] == []
    live.run(live.cloud.clock.advance(2 * 3600))  # the terminated instance is no longer listed
    assert error_of(ec2.describe_volumes, VolumeIds=[ebs["VolumeId"]]) == (
        "InvalidVolume.NotFound", 400, f"The volume '{ebs['VolumeId']}' does not exist.")


def test_a_kept_root_volume_is_available_after_termination(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    [instance] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "DeleteOnTermination": False}}])["Instances"]
    ebs = _root_volume(live, instance["InstanceId"])
    assert ebs["DeleteOnTermination"] is False
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    live.run(live.cloud.clock.advance(60))
    [kept] = ec2.describe_volumes(VolumeIds=[ebs["VolumeId"]])["Volumes"]
    assert (kept["State"], kept["Size"], kept["Attachments"]) == ("available", 20, [])
    assert error_of(ec2.run_instances, ImageId=IMAGE, MinCount=1, MaxCount=1, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 4}}]) == (
        "InvalidBlockDeviceMapping", 400,
        f"Volume of size 4GB is smaller than  snapshot 'snap-{IMAGE[4:]}', expect size >= 8GB")


def test_volumes_survive_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with LiveCloud(config) as first:
        [instance] = first.client("ec2").run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"]
        volume_id = _root_volume(first, instance["InstanceId"])["VolumeId"]
    with LiveCloud(config) as second:
        [volume] = second.client("ec2").describe_volumes()["Volumes"]
        assert (volume["VolumeId"], volume["State"]) == (volume_id, "in-use")


# -- instance attributes -------------------------------------------------------------------------------


def _attribute(live: LiveCloud, instance_id: str, name: str) -> Any:
    answer = live.client("ec2").describe_instance_attribute(InstanceId=instance_id, Attribute=name)
    assert answer["InstanceId"] == instance_id
    return answer[name[0].upper() + name[1:] if name != "groupSet" else "Groups"]


def test_groups_change_on_a_running_instance(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    [instance] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"]
    web = ec2.create_security_group(GroupName="attr-web", Description="web")["GroupId"]
    live.run(live.cloud.clock.advance(60))
    ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], Groups=[web])
    assert _attribute(live, instance["InstanceId"], "groupSet") == [{"GroupId": web, "GroupName": "attr-web"}]
    [now] = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"]
    assert [g["GroupId"] for g in now["SecurityGroups"]] == [web] and now["State"]["Name"] == "running"
    assert error_of(ec2.modify_instance_attribute, InstanceId=instance["InstanceId"],
                    Groups=["sg-0123456789abcdef0"]) == (
        "InvalidGroup.NotFound", 400, "The security group 'sg-0123456789abcdef0' does not exist")


def test_type_and_user_data_change_only_when_stopped(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    [instance] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, UserData="#!/bin/bash\necho hi\n")[
        "Instances"]
    instance_id = instance["InstanceId"]
    live.run(live.cloud.clock.advance(60))
    for change in ({"InstanceType": {"Value": "t3.small"}}, {"UserData": {"Value": b"#!/bin/bash\n"}}):
        assert error_of(ec2.modify_instance_attribute, InstanceId=instance_id, **change) == (
            "IncorrectInstanceState", 400, f"The instance '{instance_id}' is not in the 'stopped' state.")
    import base64
    assert base64.b64decode(_attribute(live, instance_id, "userData")["Value"]) == b"#!/bin/bash\necho hi\n"
    ec2.stop_instances(InstanceIds=[instance_id])
    live.run(live.cloud.clock.advance(120))
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.small"})
    ec2.modify_instance_attribute(InstanceId=instance_id, UserData={"Value": b"#!/bin/bash\necho bye\n"})
    assert _attribute(live, instance_id, "instanceType") == {"Value": "t3.small"}
    assert base64.b64decode(_attribute(live, instance_id, "userData")["Value"]) == b"#!/bin/bash\necho bye\n"
    assert error_of(ec2.modify_instance_attribute, InstanceId=instance_id, InstanceType={"Value": "t4g.small"})[0] \
        == "InvalidParameterValue"


def test_termination_protection_and_source_dest_check(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    [protected] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, DisableApiTermination=True)["Instances"]
    assert _attribute(live, protected["InstanceId"], "disableApiTermination") == {"Value": True}
    [instance] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"]
    instance_id = instance["InstanceId"]
    assert _attribute(live, instance_id, "disableApiTermination") == {"Value": False}
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": True})
    assert error_of(ec2.terminate_instances, InstanceIds=[instance_id]) == (
        "OperationNotPermitted", 400, f"The instance '{instance_id}' may not be terminated. Modify its "
                                      "'disableApiTermination' instance attribute and try again.")
    ec2.modify_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination", Value="false")
    ec2.modify_instance_attribute(InstanceId=instance_id, SourceDestCheck={"Value": False})
    assert _attribute(live, instance_id, "sourceDestCheck") == {"Value": False}
    [described] = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"]
    assert described["SourceDestCheck"] is False
    assert ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]["CurrentState"][
        "Name"] == "shutting-down"
    assert error_of(ec2.describe_instance_attribute, InstanceId=instance_id, Attribute="colour") == (
        "InvalidParameterValue", 400, "Value (colour) for parameter attribute is invalid. Unknown attribute.")


# -- security group rules as resources -------------------------------------------------------------------


def test_rules_are_resources_with_ids(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    group = ec2.create_security_group(GroupName="rules-web", Description="web")["GroupId"]
    added = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    http, ssh = added["SecurityGroupRules"]
    assert http["SecurityGroupRuleId"].startswith("sgr-") and len(http["SecurityGroupRuleId"]) == 21
    assert (http["GroupId"], http["IsEgress"], http["FromPort"], http["CidrIpv4"]) == (group, False, 80, "0.0.0.0/0")
    listed = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    assert {r["SecurityGroupRuleId"] for r in listed["SecurityGroupRules"]} >= {
        http["SecurityGroupRuleId"], ssh["SecurityGroupRuleId"]}
    assert len(listed["SecurityGroupRules"]) == 3  # and the default outbound rule
    [one] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])[
        "SecurityGroupRules"]
    assert one["CidrIpv4"] == "10.0.0.0/8"
    pages = ec2.get_paginator("describe_security_group_rules").paginate(PaginationConfig={"PageSize": 5})
    every = [r["SecurityGroupRuleId"] for page in pages for r in page["SecurityGroupRules"]]
    assert len(every) == len(set(every)) and ssh["SecurityGroupRuleId"] in every
    assert error_of(ec2.describe_security_group_rules, SecurityGroupRuleIds=["sgr-0123456789abcdef0"]) == (
        "InvalidSecurityGroupRuleId.NotFound", 400,
        "The security group rule ID 'sgr-0123456789abcdef0' does not exist")


def test_rules_are_edited_in_place(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    group = ec2.create_security_group(GroupName="rules-edit", Description="edit")["GroupId"]
    [rule] = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])[
        "SecurityGroupRules"]
    rule_id = rule["SecurityGroupRuleId"]
    ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[{"SecurityGroupRuleId": rule_id,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "CidrIpv4": "10.0.0.0/16",
                              "Description": "app port"}}])
    [edited] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
    assert (edited["FromPort"], edited["CidrIpv4"], edited["Description"]) == (8080, "10.0.0.0/16", "app port")
    ec2.update_security_group_rule_descriptions_ingress(GroupId=group, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": rule_id, "Description": "from the VPC"}])
    [described] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert described["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "10.0.0.0/16", "Description": "from the VPC"}]
    ec2.update_security_group_rule_descriptions_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
         "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "by permission"}]}])
    [egress] = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"][:1]
    assert egress["IsEgress"] is True
    ec2.update_security_group_rule_descriptions_egress(GroupId=group, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": egress["SecurityGroupRuleId"], "Description": "anywhere"}])
    rules = {r["SecurityGroupRuleId"]: r.get("Description") for r in ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]}
    assert rules == {rule_id: "by permission", egress["SecurityGroupRuleId"]: "anywhere"}
    assert error_of(ec2.modify_security_group_rules, GroupId=group, SecurityGroupRules=[
        {"SecurityGroupRuleId": "sgr-0123456789abcdef0", "SecurityGroupRule": {"IpProtocol": "-1",
                                                                               "CidrIpv4": "0.0.0.0/0"}}])[0] == \
        "InvalidSecurityGroupRuleId.NotFound"


def test_rule_ids_are_stable_across_restarts_and_given_to_old_states(tmp_path: Path) -> None:
    import json
    config = make_config(tmp_path)
    with LiveCloud(config) as first:
        before = {r["SecurityGroupRuleId"] for r in first.client("ec2").describe_security_group_rules()[
            "SecurityGroupRules"]}
    with LiveCloud(config) as second:
        assert {r["SecurityGroupRuleId"] for r in second.client("ec2").describe_security_group_rules()[
            "SecurityGroupRules"]} == before
    state = json.loads(config.state_path.read_text())
    for group in state["state"]["ec2"]["security_groups"]:
        for rule in group["rules"]:
            del rule["rule_id"]  # a state saved before rules had IDs
    config.state_path.write_text(json.dumps(state))
    seen = []
    for _ in range(2):
        with LiveCloud(config) as again:
            seen.append(sorted(r["SecurityGroupRuleId"] for r in again.client("ec2").describe_security_group_rules()[
                "SecurityGroupRules"]))
    assert seen[0] == seen[1] and all(i.startswith("sgr-") for i in seen[0])
