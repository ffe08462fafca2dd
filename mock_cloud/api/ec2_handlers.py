"""EC2 Query actions (API version 2016-11-15): parameters in, `cloud.ec2` calls, result dicts out.

Element names follow botocore's EC2 model (lowerCamel, `item` lists). Filters the service does
not take itself (VPCs, subnets, zones, images, groups) are matched here, table-driven.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mock_cloud.api.actions import ActionTable
from mock_cloud.api.ec2_ebs import (
    BLOCK_DEVICE_MAPPINGS,
    VOLUME_FILTERS,
    block_device_mappings,
    image_block_device_mappings,
    root_device_of,
    volume_shape,
)
from mock_cloud.api.paging import ec2_page
from mock_cloud.api.query import Req
from mock_cloud.api.xml import timestamp
from mock_cloud.ec2.catalogue import DEFAULT_INSTANCE_TYPE, IMAGES, Image
from mock_cloud.ec2.filters import Matcher, bool_text, filtered, group_filters
from mock_cloud.ec2.images import resolve_image_id
from mock_cloud.ec2.instance import STATE_CODES, Instance
from mock_cloud.ec2.security_group import SecurityGroup, SgRule
from mock_cloud.ec2.service import RuleSpec, decode_user_data_base64
from mock_cloud.ec2.vpc import Subnet, Vpc
from mock_cloud.errors import CloudError
from mock_cloud.ids import ACCOUNT_ID

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

ACTIONS = ActionTable()

# -- schemas shared by several actions -----------------------------------------------------------
FILTERS = [{"Name": Req(str), "Value": [str]}]
TAGS = [{"Key": Req(str), "Value": str}]
TAG_SPECIFICATIONS = [{"ResourceType": str, "Tag": TAGS}]
IP_PERMISSIONS = [{
    "IpProtocol": Req(str),
    "FromPort": int,
    "ToPort": int,
    "IpRanges": [{"CidrIp": Req(str), "Description": str}],
    "Groups": [{"GroupId": str, "GroupName": str, "UserId": str, "Description": str}],
}]
GROUP_RULES = {
    "GroupId": str, "GroupName": str, "IpPermissions": IP_PERMISSIONS,
    # The legacy single-permission form.
    "IpProtocol": str, "FromPort": int, "ToPort": int, "CidrIp": str, "SourceSecurityGroupName": str,
    "SourceSecurityGroupOwnerId": str, "SecurityGroupRuleId": [str],
}
INSTANCE_IDS = {"InstanceId": Req([str])}


# == rendering ======================================================================================


def _state(name: str) -> dict[str, Any]:
    return {"code": STATE_CODES[name], "name": name}


def _tag_set(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _group_refs(cloud: Cloud, group_ids: Iterable[str]) -> list[dict[str, str | None]]:
    groups = cloud.ec2.security_groups
    return [{"groupId": g, "groupName": groups[g].group_name if g in groups else None} for g in group_ids]


def _instance(cloud: Cloud, i: Instance) -> dict[str, Any]:
    image = IMAGES.get(i.image_id)
    return {
        "instanceId": i.instance_id,
        "imageId": i.image_id,
        "instanceState": _state(i.state),
        "privateDnsName": i.private_dns_name,
        "dnsName": i.public_dns_name,
        "reason": i.state_transition_reason,
        "keyName": i.key_name,
        "amiLaunchIndex": i.ami_launch_index,
        "productCodes": [],
        "instanceType": i.instance_type,
        "launchTime": timestamp(i.launch_time),
        "placement": {"availabilityZone": i.availability_zone, "groupName": "", "tenancy": "default"},
        "monitoring": {"state": "disabled"},
        "subnetId": i.subnet_id,
        "vpcId": i.vpc_id,
        "privateIpAddress": i.private_ip,
        "ipAddress": i.public_ip,
        "sourceDestCheck": i.source_dest_check,
        "groupSet": _group_refs(cloud, i.security_group_ids),
        "stateReason": {"code": i.state_reason["Code"], "message": i.state_reason["Message"]}
        if i.state_reason else None,
        "architecture": image.architecture if image else "x86_64",
        "rootDeviceType": "ebs",
        "rootDeviceName": image.root_device_name if image else "/dev/xvda",
        "blockDeviceMapping": block_device_mappings(cloud.ec2.volumes_of(i.instance_id)),
        "virtualizationType": "hvm",
        "tagSet": _tag_set(i.tags),
        "hypervisor": "xen",
        "ebsOptimized": False,
        "enaSupport": True,
        "platformDetails": image.platform_details if image else "Linux/UNIX",
        "usageOperation": "RunInstances",
    }


def _reservation(cloud: Cloud, instances: list[Instance]) -> dict[str, Any]:
    return {
        "reservationId": instances[0].reservation_id,
        "ownerId": ACCOUNT_ID,
        "groupSet": [],
        "instancesSet": [_instance(cloud, i) for i in instances],
    }


def _state_changes(changes: list[tuple[Instance, str]]) -> dict[str, Any]:
    return {"instancesSet": [
        {"instanceId": i.instance_id, "currentState": _state(i.state), "previousState": _state(previous)}
        for i, previous in changes
    ]}


def _permissions(cloud: Cloud, rules: list[SgRule]) -> list[dict[str, Any]]:
    """Rules back into IpPermissions: one per protocol and port range, with its peers."""
    grouped: dict[tuple[str, int, int], dict[str, Any]] = {}
    for rule in rules:
        key = (rule.protocol, rule.from_port, rule.to_port)
        if key not in grouped:
            has_ports = rule.protocol != "-1"
            grouped[key] = {"ipProtocol": rule.protocol, "fromPort": rule.from_port if has_ports else None,
                            "toPort": rule.to_port if has_ports else None, "groups": [], "ipRanges": [],
                            "ipv6Ranges": [], "prefixListIds": []}
        permission = grouped[key]
        description = rule.description or None
        if rule.cidr_ipv4:
            permission["ipRanges"].append({"cidrIp": rule.cidr_ipv4, "description": description})
        elif rule.referenced_group_id:
            # A VPC group pair names the group by ID and account only, as AWS answers it (no GroupName).
            permission["groups"].append({"groupId": rule.referenced_group_id, "userId": ACCOUNT_ID,
                                         "description": description})
    return list(grouped.values())


def _group_arn(cloud: Cloud, group_id: str) -> str:
    return f"arn:aws:ec2:{cloud.region}:{ACCOUNT_ID}:security-group/{group_id}"


def _group(cloud: Cloud, g: SecurityGroup) -> dict[str, Any]:
    return {
        "ownerId": ACCOUNT_ID,
        "groupId": g.group_id,
        "groupName": g.group_name,
        "groupDescription": g.description,
        "vpcId": g.vpc_id,
        "securityGroupArn": _group_arn(cloud, g.group_id),
        "ipPermissions": _permissions(cloud, g.ingress),
        "ipPermissionsEgress": _permissions(cloud, g.egress),
        "tagSet": _tag_set(g.tags),
    }


def _rule(cloud: Cloud, group_id: str, r: SgRule) -> dict[str, Any]:
    return {
        "securityGroupRuleId": r.rule_id,
        "groupId": group_id,
        "groupOwnerId": ACCOUNT_ID,
        "isEgress": r.egress,
        "ipProtocol": r.protocol,
        "fromPort": r.from_port,
        "toPort": r.to_port,
        "cidrIpv4": r.cidr_ipv4,
        "referencedGroupInfo": {"groupId": r.referenced_group_id, "userId": ACCOUNT_ID}
        if r.referenced_group_id else None,
        "description": r.description or None,
        "securityGroupRuleArn": f"arn:aws:ec2:{cloud.region}:{ACCOUNT_ID}:security-group-rule/{r.rule_id}",
    }


def _vpc(v: Vpc) -> dict[str, Any]:
    return {
        "vpcId": v.vpc_id,
        "ownerId": ACCOUNT_ID,
        "state": v.state,
        "cidrBlock": v.cidr_block,
        "cidrBlockAssociationSet": [{"cidrBlock": v.cidr_block, "cidrBlockState": {"state": "associated"}}],
        "instanceTenancy": "default",
        "isDefault": v.is_default,
        "tagSet": [],
    }


def _subnet(cloud: Cloud, s: Subnet) -> dict[str, Any]:
    return {
        "subnetId": s.subnet_id,
        "subnetArn": f"arn:aws:ec2:{cloud.region}:{ACCOUNT_ID}:subnet/{s.subnet_id}",
        "ownerId": ACCOUNT_ID,
        "state": s.state,
        "vpcId": s.vpc_id,
        "cidrBlock": s.cidr_block,
        "availableIpAddressCount": s.available_ip_address_count,
        "availabilityZone": s.availability_zone,
        "availabilityZoneId": s.availability_zone_id,
        "defaultForAz": s.default_for_az,
        "mapPublicIpOnLaunch": s.map_public_ip_on_launch,
        "assignIpv6AddressOnCreation": False,
        "tagSet": [],
    }


def _zone(cloud: Cloud, name: str, zone_id: str) -> dict[str, Any]:
    return {
        "zoneName": name,
        "zoneId": zone_id,
        "zoneState": "available",
        "regionName": cloud.region,
        "zoneType": "availability-zone",
        "optInStatus": "opt-in-not-required",
        "groupName": cloud.region,
        "networkBorderGroup": cloud.region,
        "messageSet": [],
    }


def _image(image: Image) -> dict[str, Any]:
    return {
        "imageId": image.image_id,
        "imageLocation": f"{image.owner_alias or image.owner_id}/{image.name}",
        "imageState": "available",
        "imageOwnerId": image.owner_id,
        "imageOwnerAlias": image.owner_alias or None,
        "creationDate": image.creation_date,
        "isPublic": True,
        "architecture": image.architecture,
        "imageType": "machine",
        "name": image.name,
        "description": image.description,
        "rootDeviceType": "ebs",
        "rootDeviceName": image.root_device_name,
        "blockDeviceMapping": image_block_device_mappings(image),
        "virtualizationType": "hvm",
        "hypervisor": "xen",
        "enaSupport": True,
        "platformDetails": image.platform_details,
        "usageOperation": "RunInstances",
    }


# == parameter helpers ================================================================================


def _filters(args: dict[str, Any]) -> dict[str, list[str]]:
    return {f["Name"]: f.get("Value", []) for f in args.get("Filter", [])}


def _tags(items: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items}


def _tag_specification(args: dict[str, Any], resource_type: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for spec in args.get("TagSpecification", []):
        if spec.get("ResourceType", resource_type) != resource_type:
            raise CloudError("InvalidParameterValue", f"'{spec['ResourceType'][:100]}' is not a valid taggable "
                                                      f"resource type for this operation (use '{resource_type}').")
        tags.update(_tags(spec.get("Tag", [])))
    return tags


VPC_FILTERS: dict[str, Matcher] = {
    "vpc-id": lambda v: [v.vpc_id],
    "is-default": lambda v: [bool_text(v.is_default)],
    "isDefault": lambda v: [bool_text(v.is_default)],
    "state": lambda v: [v.state],
    "cidr": lambda v: [v.cidr_block],
    "cidr-block-association.cidr-block": lambda v: [v.cidr_block],
    "owner-id": lambda v: [ACCOUNT_ID],
}
SUBNET_FILTERS: dict[str, Matcher] = {
    "subnet-id": lambda s: [s.subnet_id],
    "vpc-id": lambda s: [s.vpc_id],
    "availability-zone": lambda s: [s.availability_zone],
    "availabilityZone": lambda s: [s.availability_zone],
    "availability-zone-id": lambda s: [s.availability_zone_id],
    "default-for-az": lambda s: [bool_text(s.default_for_az)],
    "defaultForAz": lambda s: [bool_text(s.default_for_az)],
    "map-public-ip-on-launch": lambda s: [bool_text(s.map_public_ip_on_launch)],
    "cidr-block": lambda s: [s.cidr_block],
    "cidrBlock": lambda s: [s.cidr_block],
    "state": lambda s: [s.state],
    "owner-id": lambda s: [ACCOUNT_ID],
}
ZONE_FILTERS: dict[str, Matcher] = {
    "zone-name": lambda z: [z["zoneName"]],
    "zone-id": lambda z: [z["zoneId"]],
    "state": lambda z: [z["zoneState"]],
    "region-name": lambda z: [z["regionName"]],
    "zone-type": lambda z: [z["zoneType"]],
}
IMAGE_FILTERS: dict[str, Matcher] = {
    "image-id": lambda i: [i.image_id],
    "name": lambda i: [i.name],
    "description": lambda i: [i.description],
    "owner-id": lambda i: [i.owner_id],
    "owner-alias": lambda i: [i.owner_alias],
    "architecture": lambda i: [i.architecture],
    "state": lambda i: ["available"],
    "image-type": lambda i: ["machine"],
    "is-public": lambda i: ["true"],
    "platform-details": lambda i: [i.platform_details],
    "root-device-type": lambda i: ["ebs"],
    "virtualization-type": lambda i: ["hvm"],
}
STATUS_FILTERS: dict[str, Matcher] = {
    "instance-state-name": lambda s: [s["instanceState"]["name"]],
    "instance-state-code": lambda s: [str(s["instanceState"]["code"])],
    "availability-zone": lambda s: [s["availabilityZone"]],
    "instance-status.status": lambda s: [s["instanceStatus"]["status"]],
    "system-status.status": lambda s: [s["systemStatus"]["status"]],
    "instance-status.reachability": lambda s: [d["status"] for d in s["instanceStatus"]["details"]],
    "system-status.reachability": lambda s: [d["status"] for d in s["systemStatus"]["details"]],
}


# == instances =======================================================================================

RUN_INSTANCES = {
    "ImageId": Req(str), "InstanceType": str, "MinCount": Req(int), "MaxCount": Req(int), "SubnetId": str,
    "SecurityGroupId": [str], "SecurityGroup": [str], "UserData": str, "KeyName": str, "ClientToken": str,
    "PrivateIpAddress": str,
    "TagSpecification": TAG_SPECIFICATIONS, "Placement": {"AvailabilityZone": str},
    "NetworkInterface": [{"DeviceIndex": int, "SubnetId": str, "AssociatePublicIpAddress": bool,
                          "SecurityGroupId": [str], "PrivateIpAddress": str}],
    "BlockDeviceMapping": BLOCK_DEVICE_MAPPINGS, "DisableApiTermination": bool,
}


@ACTIONS.action("RunInstances", RUN_INSTANCES)
async def run_instances(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    ec2 = cloud.ec2
    interface: dict[str, Any] = next(iter(args.get("NetworkInterface", [])), {})
    for param, what in (("SubnetId", "subnet ID"), ("SecurityGroupId", "security groups")):
        if interface and args.get(param):
            raise CloudError("InvalidParameterCombination",
                             f"Network interfaces and an instance-level {what} may not be specified on the same "
                             "request")
    subnet_id = args.get("SubnetId") or interface.get("SubnetId") or _subnet_in_zone(cloud, args)
    group_ids = [*args.get("SecurityGroupId", []), *interface.get("SecurityGroupId", []),
                 *(ec2.security_group_by_name(name).group_id for name in args.get("SecurityGroup", []))]
    image_id = resolve_image_id(args["ImageId"])
    mappings = args.get("BlockDeviceMapping")
    instances = await ec2.run_instances(
        image_id,
        args.get("InstanceType", DEFAULT_INSTANCE_TYPE),
        args["MinCount"],
        subnet_id=subnet_id,
        security_group_ids=group_ids or None,
        user_data=decode_user_data_base64(args["UserData"]) if "UserData" in args else b"",
        key_name=args.get("KeyName"),
        associate_public_ip=interface.get("AssociatePublicIpAddress"),
        tags=_tag_specification(args, "instance"),
        max_count=args["MaxCount"],
        private_ip=args.get("PrivateIpAddress") or interface.get("PrivateIpAddress"),
        # An unknown AMI is refused by run_instances, in AWS's words.
        root=root_device_of(IMAGES[image_id], mappings) if mappings and image_id in IMAGES else None,
        disable_api_termination=args.get("DisableApiTermination", False),
    )
    return _reservation(cloud, instances)


def _subnet_in_zone(cloud: Cloud, args: dict[str, Any]) -> str | None:
    zone = args.get("Placement", {}).get("AvailabilityZone")
    if not zone:
        return None
    for subnet in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id):
        if subnet.availability_zone == zone:
            return subnet.subnet_id
    raise CloudError("InvalidParameterValue", f"Invalid availability zone: [{zone[:100]}]")


@ACTIONS.action("DescribeInstances", {"InstanceId": [str], "Filter": FILTERS, "MaxResults": int, "NextToken": str})
async def describe_instances(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    instances = cloud.ec2.describe_instances(args.get("InstanceId") or None, _filters(args))
    page, token = ec2_page(instances, args, ids=("InstanceId", "instancesSet"))
    reservations: dict[str, list[Instance]] = {}
    for instance in page:  # one RunInstances, one reservation: its instances together, in launch order
        reservations.setdefault(instance.reservation_id, []).append(instance)
    return {"reservationSet": [_reservation(cloud, members) for members in reservations.values()],
            "nextToken": token}


@ACTIONS.action("StopInstances", {**INSTANCE_IDS, "Force": bool, "Hibernate": bool})
async def stop_instances(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return _state_changes(await cloud.ec2.stop_instances(args["InstanceId"]))


@ACTIONS.action("StartInstances", INSTANCE_IDS)
async def start_instances(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return _state_changes(await cloud.ec2.start_instances(args["InstanceId"]))


@ACTIONS.action("TerminateInstances", INSTANCE_IDS)
async def terminate_instances(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return _state_changes(await cloud.ec2.terminate_instances(args["InstanceId"]))


@ACTIONS.action("RebootInstances", INSTANCE_IDS)
async def reboot_instances(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.ec2.reboot_instances(args["InstanceId"])
    return {"return": True}


@ACTIONS.action("LblabSimulateInstanceFailure", {"InstanceId": Req(str), "Mode": str})
async def simulate_instance_failure(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    """lblab-only extension, not an EC2 action: the instance's guest dies (Mode=kill) or hangs (Mode=hang)."""
    await cloud.ec2.simulate_instance_failure(args["InstanceId"], args.get("Mode") or "kill")
    return {"return": True}


@ACTIONS.action("GetConsoleOutput", {"InstanceId": Req(str), "Latest": bool})
async def get_console_output(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    output = cloud.ec2.get_console_output(args["InstanceId"])
    return {"instanceId": args["InstanceId"], "timestamp": timestamp(cloud.clock.now()),
            "output": base64.b64encode(output.encode("utf-8")).decode("ascii")}


@ACTIONS.action("DescribeInstanceStatus", {"InstanceId": [str], "Filter": FILTERS, "IncludeAllInstances": bool,
                                           "MaxResults": int, "NextToken": str})
async def describe_instance_status(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    instances = cloud.ec2.describe_instances(args.get("InstanceId") or None)
    if not args.get("IncludeAllInstances"):
        instances = [i for i in instances if i.state == "running"]
    statuses = filtered([_status(cloud, i) for i in instances], _filters(args), STATUS_FILTERS)
    page, token = ec2_page(statuses, args, ids=("InstanceId", "instancesSet"))
    return {"instanceStatusSet": page, "nextToken": token}


def _status(cloud: Cloud, i: Instance) -> dict[str, Any]:
    subnet = cloud.ec2.subnets.get(i.subnet_id)
    check = "ok" if i.state == "running" else "not-applicable"
    details = [{"name": "reachability", "status": "passed"}] if i.state == "running" else []
    own, own_details = check, details
    if i.state == "running" and i.impaired_since is not None:  # the guest died or stopped answering
        own = "impaired"
        own_details = [{"name": "reachability", "status": "failed", "impairedSince": timestamp(i.impaired_since)}]
    return {
        "instanceId": i.instance_id,
        "availabilityZone": i.availability_zone,
        "availabilityZoneId": subnet.availability_zone_id if subnet else None,
        "instanceState": _state(i.state),
        "systemStatus": {"status": check, "details": details},
        "instanceStatus": {"status": own, "details": own_details},
        "eventsSet": [],
    }


@ACTIONS.action("CreateTags", {"ResourceId": Req([str]), "Tag": Req(TAGS)})
async def create_tags(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.ec2.create_tags(args["ResourceId"], _tags(args["Tag"]))
    return {"return": True}


# == security groups ==================================================================================


@ACTIONS.action("CreateSecurityGroup", {"GroupName": Req(str), "GroupDescription": Req(str), "VpcId": str,
                                        "TagSpecification": TAG_SPECIFICATIONS})
async def create_security_group(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    group = await cloud.ec2.create_security_group(args["GroupName"], args["GroupDescription"], args.get("VpcId"),
                                                  tags=_tag_specification(args, "security-group"))
    return {"groupId": group.group_id, "securityGroupArn": _group_arn(cloud, group.group_id),
            "tagSet": _tag_set(group.tags)}


@ACTIONS.action("DeleteSecurityGroup", {"GroupId": str, "GroupName": str})
async def delete_security_group(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    group_id = _group_id(cloud, args)
    await cloud.ec2.delete_security_group(group_id)
    return {"return": True, "groupId": group_id}


@ACTIONS.action("DescribeSecurityGroups", {"GroupId": [str], "GroupName": [str], "Filter": FILTERS,
                                           "MaxResults": int, "NextToken": str})
async def describe_security_groups(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    ec2 = cloud.ec2
    groups = ec2.describe_security_groups(args.get("GroupId") or None)
    if args.get("GroupName"):
        named = {ec2.security_group_by_name(name).group_id for name in args["GroupName"]}
        groups = [g for g in groups if g.group_id in named]
    groups = filtered(groups, _filters(args), group_filters(ec2.security_groups), lambda g: g.tags)
    page, token = ec2_page(groups, args)
    return {"securityGroupInfo": [_group(cloud, g) for g in page], "nextToken": token}


def _group_id(cloud: Cloud, args: dict[str, Any]) -> str:
    if args.get("GroupId"):
        return str(args["GroupId"])
    if args.get("GroupName"):
        return cloud.ec2.security_group_by_name(args["GroupName"]).group_id
    raise CloudError("MissingParameter", "The request must contain the parameter groupName or groupId")


def _rule_specs(cloud: Cloud, args: dict[str, Any]) -> list[RuleSpec]:
    """IpPermissions (one spec per peer), or the legacy CidrIp/IpProtocol/FromPort/ToPort form."""
    specs = []
    for permission in args.get("IpPermissions", []):
        ports = (permission["IpProtocol"], permission.get("FromPort"), permission.get("ToPort"))
        for ip_range in permission.get("IpRanges", []):
            specs.append(RuleSpec(*ports, cidr_ipv4=ip_range["CidrIp"], description=ip_range.get("Description", "")))
        for pair in permission.get("Groups", []):
            specs.append(RuleSpec(*ports, source_group_id=_peer_group(cloud, pair),
                                  description=pair.get("Description", "")))
        if not permission.get("IpRanges") and not permission.get("Groups"):
            specs.append(RuleSpec(*ports))  # no peer: the service says what is missing
    legacy = [args.get(k) for k in ("IpProtocol", "CidrIp", "SourceSecurityGroupName")]
    if any(value is not None for value in legacy):
        protocol, cidr, source = legacy
        if protocol is None:
            raise CloudError("MissingParameter", "The request must contain the parameter IpProtocol")
        source_id = _peer_group(cloud, {"GroupName": source}) if source else None
        specs.append(RuleSpec(protocol, args.get("FromPort"), args.get("ToPort"), cidr, source_id))
    return specs


def _peer_group(cloud: Cloud, pair: dict[str, str]) -> str:
    if pair.get("GroupId"):
        return pair["GroupId"]
    if pair.get("GroupName"):
        return cloud.ec2.security_group_by_name(pair["GroupName"]).group_id
    raise CloudError("MissingParameter", "The request must contain the parameter groupId or groupName of each "
                                         "security group peer")


async def _authorize(cloud: Cloud, args: dict[str, Any], egress: bool) -> dict[str, Any]:
    group_id = _group_id(cloud, args)
    rules = await cloud.ec2.authorize(group_id, _rule_specs(cloud, args), egress=egress)
    return {"return": True, "securityGroupRuleSet": [_rule(cloud, group_id, r) for r in rules]}


async def _revoke(cloud: Cloud, args: dict[str, Any], egress: bool) -> dict[str, Any]:
    group_id = _group_id(cloud, args)
    specs, rule_ids = _rule_specs(cloud, args), args.get("SecurityGroupRuleId", [])
    if not specs and not rule_ids:
        raise CloudError("MissingParameter", "No permissions or security group rule IDs given.")
    await cloud.ec2.revoke(group_id, specs, rule_ids, egress=egress)
    return {"return": True}


@ACTIONS.action("AuthorizeSecurityGroupIngress", GROUP_RULES)
async def authorize_ingress(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return await _authorize(cloud, args, egress=False)


@ACTIONS.action("AuthorizeSecurityGroupEgress", {**GROUP_RULES, "GroupId": Req(str)})
async def authorize_egress(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return await _authorize(cloud, args, egress=True)


@ACTIONS.action("RevokeSecurityGroupIngress", GROUP_RULES)
async def revoke_ingress(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return await _revoke(cloud, args, egress=False)


@ACTIONS.action("RevokeSecurityGroupEgress", {**GROUP_RULES, "GroupId": Req(str)})
async def revoke_egress(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return await _revoke(cloud, args, egress=True)


# == volumes =========================================================================================


@ACTIONS.action("DescribeVolumes", {"VolumeId": [str], "Filter": FILTERS, "MaxResults": int, "NextToken": str})
async def describe_volumes(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    volumes = filtered(cloud.ec2.describe_volumes(args.get("VolumeId") or None), _filters(args), VOLUME_FILTERS)
    page, token = ec2_page(volumes, args, ids=("VolumeId", "volumeIds"), limits=(5, 500))
    return {"volumeSet": [volume_shape(v) for v in page], "nextToken": token}


# == network and images =================================================================================


@ACTIONS.action("DescribeVpcs", {"VpcId": [str], "Filter": FILTERS, "MaxResults": int, "NextToken": str})
async def describe_vpcs(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    vpcs = [cloud.ec2.vpc(v) for v in args["VpcId"]] if args.get("VpcId") else list(cloud.ec2.vpcs.values())
    page, token = ec2_page(filtered(vpcs, _filters(args), VPC_FILTERS), args)
    return {"vpcSet": [_vpc(v) for v in page], "nextToken": token}


@ACTIONS.action("DescribeSubnets", {"SubnetId": [str], "Filter": FILTERS, "MaxResults": int, "NextToken": str})
async def describe_subnets(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    ec2 = cloud.ec2
    subnets = [ec2.subnet(s) for s in args["SubnetId"]] if args.get("SubnetId") else list(ec2.subnets.values())
    subnets = sorted(subnets, key=lambda s: s.availability_zone)
    page, token = ec2_page(filtered(subnets, _filters(args), SUBNET_FILTERS), args)
    return {"subnetSet": [_subnet(cloud, s) for s in page], "nextToken": token}


@ACTIONS.action("DescribeAvailabilityZones", {"ZoneName": [str], "ZoneId": [str], "Filter": FILTERS,
                                              "AllAvailabilityZones": bool})
async def describe_availability_zones(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    zone_ids = {s.availability_zone: s.availability_zone_id for s in cloud.ec2.subnets.values()}
    zones = [_zone(cloud, name, zone_ids[name]) for name in cloud.ec2.availability_zones()]
    for key, param in (("zoneName", "ZoneName"), ("zoneId", "ZoneId")):
        wanted = args.get(param)
        if wanted:
            unknown = [w for w in wanted if w not in {z[key] for z in zones}]
            if unknown:
                raise CloudError("InvalidParameterValue", f"The zone '{unknown[0][:100]}' does not exist in "
                                                          f"region {cloud.region}")
            zones = [z for z in zones if z[key] in wanted]
    return {"availabilityZoneInfo": filtered(zones, _filters(args), ZONE_FILTERS)}


@ACTIONS.action("DescribeImages", {"ImageId": [str], "Owner": [str], "ExecutableBy": [str], "Filter": FILTERS,
                                   "IncludeDeprecated": bool, "MaxResults": int, "NextToken": str})
async def describe_images(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    images = list(IMAGES.values())
    if args.get("ImageId"):
        missing = [i for i in args["ImageId"] if i not in IMAGES]
        if missing:
            raise CloudError("InvalidAMIID.NotFound", f"The image id '[{missing[0][:100]}]' does not exist")
        images = [IMAGES[i] for i in args["ImageId"]]
    if args.get("Owner"):
        owners = set(args["Owner"])
        images = [i for i in images if owners & {i.owner_id, i.owner_alias}]
    return {"imagesSet": [_image(i) for i in filtered(images, _filters(args), IMAGE_FILTERS)]}
