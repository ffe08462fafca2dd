"""ELBv2 Query actions (API version 2015-12-01): parameters in, `cloud.elbv2` calls, result dicts out.

Element names follow botocore's elbv2 model (UpperCamel, `member` lists). Rules, conditions and
actions travel as their AWS-named dicts (`Action.from_dict` / `to_dict` in listener_rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_cloud.api.actions import ActionTable
from mock_cloud.api.paging import elbv2_page
from mock_cloud.api.query import Req
from mock_cloud.api.xml import timestamp
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.listener_rules import Action, Rule, RuleCondition
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.ssl_policies import list_policies
from mock_cloud.elbv2.target_group import TargetGroup, TargetSpec
from mock_cloud.elbv2.targets import TargetHealthDescription
from mock_cloud.elbv2.validation import check_tags
from mock_cloud.errors import CloudError, validation

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

ACTIONS = ActionTable()

# -- schemas shared by several actions -----------------------------------------------------------
TAGS = [{"Key": Req(str), "Value": str}]
ATTRIBUTES = [{"Key": Req(str), "Value": str}]
TARGETS = [{"Id": Req(str), "Port": int, "AvailabilityZone": str}]
ACTIONS_SCHEMA = [{
    "Type": Req(str),
    "Order": int,
    "TargetGroupArn": str,
    "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": str, "Weight": int}],
        "TargetGroupStickinessConfig": {"Enabled": bool, "DurationSeconds": int},
    },
    "RedirectConfig": {"Protocol": str, "Port": str, "Host": str, "Path": str, "Query": str,
                       "StatusCode": Req(str)},
    "FixedResponseConfig": {"MessageBody": str, "StatusCode": Req(str), "ContentType": str},
}]
_VALUES = {"Values": [str]}
CONDITIONS = [{
    "Field": str,
    "Values": [str],
    "HostHeaderConfig": _VALUES,
    "PathPatternConfig": _VALUES,
    "HttpHeaderConfig": {"HttpHeaderName": str, "Values": [str]},
    "QueryStringConfig": {"Values": [{"Key": str, "Value": str}]},
    "HttpRequestMethodConfig": _VALUES,
    "SourceIpConfig": _VALUES,
}]
CERTIFICATES = [{"CertificateArn": str, "IsDefault": bool}]
PAGING = {"Marker": str, "PageSize": int}
# HealthCheck* parameters -> HealthCheckSettings fields.
HEALTH_CHECK_FIELDS = {
    "HealthCheckProtocol": "protocol",
    "HealthCheckPort": "port",
    "HealthCheckPath": "path",
    "HealthCheckIntervalSeconds": "interval_seconds",
    "HealthCheckTimeoutSeconds": "timeout_seconds",
    "HealthyThresholdCount": "healthy_threshold_count",
    "UnhealthyThresholdCount": "unhealthy_threshold_count",
    "HealthCheckEnabled": "enabled",
}
HEALTH_CHECK = {
    "HealthCheckProtocol": str, "HealthCheckPort": str, "HealthCheckPath": str, "HealthCheckIntervalSeconds": int,
    "HealthCheckTimeoutSeconds": int, "HealthyThresholdCount": int, "UnhealthyThresholdCount": int,
    "HealthCheckEnabled": bool, "Matcher": {"HttpCode": str, "GrpcCode": str},
}


# == rendering ======================================================================================


def _load_balancer(lb: LoadBalancer) -> dict[str, Any]:
    return {
        "LoadBalancerArn": lb.arn,
        "DNSName": lb.dns_name,
        "CanonicalHostedZoneId": lb.canonical_hosted_zone_id,
        "CreatedTime": timestamp(lb.created_time),
        "LoadBalancerName": lb.name,
        "Scheme": lb.scheme,
        "VpcId": lb.vpc_id,
        "State": {"Code": lb.state, "Reason": lb.state_reason or None},
        "Type": lb.type,
        "AvailabilityZones": [{"ZoneName": zone, "SubnetId": subnet, "LoadBalancerAddresses": []}
                              for zone, subnet in lb.availability_zones],
        "SecurityGroups": list(lb.security_groups),
        "IpAddressType": lb.ip_address_type,
    }


def _target_group(g: TargetGroup) -> dict[str, Any]:
    hc = g.health_check
    return {
        "TargetGroupArn": g.arn,
        "TargetGroupName": g.name,
        "Protocol": g.protocol,
        "Port": g.port,
        "VpcId": g.vpc_id,
        "HealthCheckProtocol": hc.protocol,
        "HealthCheckPort": hc.port,
        "HealthCheckEnabled": hc.enabled,
        "HealthCheckIntervalSeconds": hc.interval_seconds,
        "HealthCheckTimeoutSeconds": hc.timeout_seconds,
        "HealthyThresholdCount": hc.healthy_threshold_count,
        "UnhealthyThresholdCount": hc.unhealthy_threshold_count,
        "HealthCheckPath": hc.path,
        "Matcher": {"HttpCode": hc.matcher},
        "LoadBalancerArns": list(g.load_balancer_arns),
        "TargetType": g.target_type,
        "ProtocolVersion": g.protocol_version,
        "IpAddressType": g.ip_address_type,
    }


def _listener(listener: Listener) -> dict[str, Any]:
    return {
        "ListenerArn": listener.arn,
        "LoadBalancerArn": listener.load_balancer_arn,
        "Port": listener.port,
        "Protocol": listener.protocol,
        "Certificates": [{"CertificateArn": c} for c in listener.certificates] or None,
        "SslPolicy": listener.ssl_policy,
        "DefaultActions": [a.to_dict() for a in listener.default_actions],
    }


def _health(row: TargetHealthDescription) -> dict[str, Any]:
    return {
        "Target": {"Id": row.target_id, "Port": row.port},
        "HealthCheckPort": row.health_check_port,
        "TargetHealth": {"State": row.state, "Reason": row.reason, "Description": row.description},
    }


def _attributes(attributes: dict[str, str]) -> dict[str, Any]:
    return {"Attributes": [{"Key": k, "Value": v} for k, v in attributes.items()]}


def _rules(rules: list[Rule]) -> dict[str, Any]:
    return {"Rules": [r.to_dict() for r in rules]}


# == parameter helpers ================================================================================


def _tags(items: list[dict[str, str]]) -> dict[str, str]:
    keys = [t["Key"] for t in items]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:
        raise CloudError("DuplicateTagKeys", f"Tag key was specified more than once: {duplicate[:128]}")
    return {t["Key"]: t.get("Value", "") for t in items}


def _actions(items: list[dict[str, Any]]) -> list[Action]:
    return [Action.from_dict(item) for item in items]


def _conditions(items: list[dict[str, Any]]) -> list[RuleCondition]:
    return [RuleCondition.from_dict(item) for item in items]


def _targets(items: list[dict[str, Any]]) -> list[TargetSpec]:
    return [TargetSpec(t["Id"], t.get("Port")) for t in items]


def _attribute_map(items: list[dict[str, str]]) -> dict[str, str]:
    return {a["Key"]: a.get("Value", "") for a in items}


def _health_check(args: dict[str, Any]) -> dict[str, Any]:
    fields = {field: args[param] for param, field in HEALTH_CHECK_FIELDS.items() if param in args}
    if "HttpCode" in args.get("Matcher", {}):
        fields["matcher"] = args["Matcher"]["HttpCode"]
    return fields


def _certificates(args: dict[str, Any]) -> list[str] | None:
    if "Certificates" not in args:
        return None
    return [c["CertificateArn"] for c in args["Certificates"] if c.get("CertificateArn")]


# == load balancers ==================================================================================


@ACTIONS.action("CreateLoadBalancer", {
    "Name": Req(str), "Subnets": [str], "SubnetMappings": [{"SubnetId": Req(str)}], "SecurityGroups": [str],
    "Scheme": str, "Type": str, "IpAddressType": str, "Tags": TAGS,
})
async def create_load_balancer(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    subnets = [*args.get("Subnets", []), *(m["SubnetId"] for m in args.get("SubnetMappings", []))]
    lb = await cloud.elbv2.create_load_balancer(
        args["Name"], subnets, args.get("SecurityGroups") or None, scheme=args.get("Scheme", "internet-facing"),
        lb_type=args.get("Type", "application"), ip_address_type=args.get("IpAddressType", "ipv4"),
        tags=_tags(args.get("Tags", [])),
    )
    return {"LoadBalancers": [_load_balancer(lb)]}


@ACTIONS.action("DescribeLoadBalancers", {"LoadBalancerArns": [str], "Names": [str], **PAGING})
async def describe_load_balancers(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    lbs = cloud.elbv2.describe_load_balancers(args.get("LoadBalancerArns") or None, args.get("Names") or None)
    page, marker = elbv2_page(lbs, args)
    return {"LoadBalancers": [_load_balancer(lb) for lb in page], "NextMarker": marker}


@ACTIONS.action("DeleteLoadBalancer", {"LoadBalancerArn": Req(str)})
async def delete_load_balancer(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.elbv2.delete_load_balancer(args["LoadBalancerArn"])
    return {}


@ACTIONS.action("SetSecurityGroups", {"LoadBalancerArn": Req(str), "SecurityGroups": Req([str])})
async def set_security_groups(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    groups = await cloud.elbv2.set_security_groups(args["LoadBalancerArn"], args["SecurityGroups"])
    return {"SecurityGroupIds": groups}


@ACTIONS.action("SetSubnets", {"LoadBalancerArn": Req(str), "Subnets": [str],
                               "SubnetMappings": [{"SubnetId": Req(str)}]})
async def set_subnets(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    subnets = [*args.get("Subnets", []), *(m["SubnetId"] for m in args.get("SubnetMappings", []))]
    zones = await cloud.elbv2.set_subnets(args["LoadBalancerArn"], subnets)
    return {"AvailabilityZones": [{"ZoneName": zone, "SubnetId": subnet} for zone, subnet in zones]}


@ACTIONS.action("DescribeLoadBalancerAttributes", {"LoadBalancerArn": Req(str)})
async def describe_load_balancer_attributes(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return _attributes(cloud.elbv2.describe_load_balancer_attributes(args["LoadBalancerArn"]))


@ACTIONS.action("ModifyLoadBalancerAttributes", {"LoadBalancerArn": Req(str), "Attributes": Req(ATTRIBUTES)})
async def modify_load_balancer_attributes(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    changes = _attribute_map(args["Attributes"])
    attributes = await cloud.elbv2.modify_load_balancer_attributes(args["LoadBalancerArn"], changes)
    return _attributes({k: attributes[k] for k in changes})


# == target groups =====================================================================================


@ACTIONS.action("CreateTargetGroup", {
    "Name": Req(str), "Protocol": str, "ProtocolVersion": str, "Port": int, "VpcId": str, "TargetType": str,
    "IpAddressType": str, "Tags": TAGS, **HEALTH_CHECK,
})
async def create_target_group(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    target_type = args.get("TargetType", "instance")
    if target_type in ("instance", "ip"):
        # AWS requires these for instance and ip targets, though lblab could default them.
        for param, what in (("Protocol", "protocol"), ("Port", "port"), ("VpcId", "VPC ID")):
            if param not in args:
                raise validation(f"A {what} must be specified")
    group = await cloud.elbv2.create_target_group(
        args["Name"], args.get("Protocol", "HTTP"), args.get("Port", 80), args.get("VpcId"), target_type,
        args.get("ProtocolVersion", "HTTP1"), _health_check(args), tags=_tags(args.get("Tags", [])),
    )
    return {"TargetGroups": [_target_group(group)]}


@ACTIONS.action("ModifyTargetGroup", {"TargetGroupArn": Req(str), **HEALTH_CHECK})
async def modify_target_group(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    group = await cloud.elbv2.modify_target_group(args["TargetGroupArn"], **_health_check(args))
    return {"TargetGroups": [_target_group(group)]}


@ACTIONS.action("DeleteTargetGroup", {"TargetGroupArn": Req(str)})
async def delete_target_group(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.elbv2.delete_target_group(args["TargetGroupArn"])
    return {}


@ACTIONS.action("DescribeTargetGroups", {"TargetGroupArns": [str], "Names": [str], "LoadBalancerArn": str,
                                         **PAGING})
async def describe_target_groups(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    groups = cloud.elbv2.describe_target_groups(args.get("TargetGroupArns") or None, args.get("Names") or None,
                                                args.get("LoadBalancerArn"))
    page, marker = elbv2_page(groups, args)
    return {"TargetGroups": [_target_group(g) for g in page], "NextMarker": marker}


@ACTIONS.action("DescribeTargetGroupAttributes", {"TargetGroupArn": Req(str)})
async def describe_target_group_attributes(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return _attributes(cloud.elbv2.describe_target_group_attributes(args["TargetGroupArn"]))


@ACTIONS.action("ModifyTargetGroupAttributes", {"TargetGroupArn": Req(str), "Attributes": Req(ATTRIBUTES)})
async def modify_target_group_attributes(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    changes = _attribute_map(args["Attributes"])
    attributes = await cloud.elbv2.modify_target_group_attributes(args["TargetGroupArn"], changes)
    return _attributes({k: attributes[k] for k in changes})


@ACTIONS.action("RegisterTargets", {"TargetGroupArn": Req(str), "Targets": Req(TARGETS)})
async def register_targets(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.elbv2.register_targets(args["TargetGroupArn"], _targets(args["Targets"]))
    return {}


@ACTIONS.action("DeregisterTargets", {"TargetGroupArn": Req(str), "Targets": Req(TARGETS)})
async def deregister_targets(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.elbv2.deregister_targets(args["TargetGroupArn"], _targets(args["Targets"]))
    return {}


@ACTIONS.action("DescribeTargetHealth", {"TargetGroupArn": Req(str), "Targets": TARGETS, "Include": [str]})
async def describe_target_health(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    rows = cloud.elbv2.describe_target_health(args["TargetGroupArn"], _targets(args.get("Targets", [])) or None)
    return {"TargetHealthDescriptions": [_health(r) for r in rows]}


# == listeners and rules ================================================================================

LISTENER = {"Protocol": str, "Port": int, "DefaultActions": ACTIONS_SCHEMA, "Certificates": CERTIFICATES,
            "SslPolicy": str, "AlpnPolicy": [str], "Tags": TAGS}


@ACTIONS.action("CreateListener", {**LISTENER, "LoadBalancerArn": Req(str), "DefaultActions": Req(ACTIONS_SCHEMA)})
async def create_listener(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    if "Port" not in args:
        raise validation("A listener port must be specified")
    listener = await cloud.elbv2.create_listener(
        args["LoadBalancerArn"], args.get("Protocol", ""), args["Port"], _actions(args["DefaultActions"]),
        certificates=_certificates(args), ssl_policy=args.get("SslPolicy"),
    )
    return {"Listeners": [_listener(listener)]}


@ACTIONS.action("DescribeListeners", {"LoadBalancerArn": str, "ListenerArns": [str], **PAGING})
async def describe_listeners(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    listeners = cloud.elbv2.describe_listeners(args.get("LoadBalancerArn"), args.get("ListenerArns") or None)
    page, marker = elbv2_page(listeners, args)
    return {"Listeners": [_listener(x) for x in page], "NextMarker": marker}


@ACTIONS.action("ModifyListener", {**LISTENER, "ListenerArn": Req(str)})
async def modify_listener(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    actions = _actions(args["DefaultActions"]) if args.get("DefaultActions") else None
    listener = await cloud.elbv2.modify_listener(
        args["ListenerArn"], port=args.get("Port"), protocol=args.get("Protocol"), default_actions=actions,
        certificates=_certificates(args), ssl_policy=args.get("SslPolicy"),
    )
    return {"Listeners": [_listener(listener)]}


@ACTIONS.action("DeleteListener", {"ListenerArn": Req(str)})
async def delete_listener(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.elbv2.delete_listener(args["ListenerArn"])
    return {}


@ACTIONS.action("CreateRule", {"ListenerArn": Req(str), "Priority": Req(int), "Conditions": Req(CONDITIONS),
                               "Actions": Req(ACTIONS_SCHEMA), "Tags": TAGS})
async def create_rule(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    rule = await cloud.elbv2.create_rule(args["ListenerArn"], args["Priority"], _conditions(args["Conditions"]),
                                         _actions(args["Actions"]))
    return _rules([rule])


@ACTIONS.action("DescribeRules", {"ListenerArn": str, "RuleArns": [str], **PAGING})
async def describe_rules(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    page, marker = elbv2_page(cloud.elbv2.describe_rules(args.get("ListenerArn"), args.get("RuleArns") or None), args)
    return {**_rules(page), "NextMarker": marker}


@ACTIONS.action("ModifyRule", {"RuleArn": Req(str), "Conditions": CONDITIONS, "Actions": ACTIONS_SCHEMA})
async def modify_rule(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    conditions = _conditions(args["Conditions"]) if "Conditions" in args else None
    actions = _actions(args["Actions"]) if args.get("Actions") else None
    return _rules([await cloud.elbv2.modify_rule(args["RuleArn"], conditions, actions)])


@ACTIONS.action("DeleteRule", {"RuleArn": Req(str)})
async def delete_rule(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.elbv2.delete_rule(args["RuleArn"])
    return {}


@ACTIONS.action("SetRulePriorities", {"RulePriorities": Req([{"RuleArn": Req(str), "Priority": Req(int)}])})
async def set_rule_priorities(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    changes = [(p["RuleArn"], p["Priority"]) for p in args["RulePriorities"]]
    return _rules(await cloud.elbv2.set_rule_priorities(changes))


# == tags and policies ====================================================================================


def _tag_holder(cloud: Cloud, resource_arn: str) -> LoadBalancer | TargetGroup | None:
    """The resource whose tags `resource_arn` names; None for listeners and rules (lblab keeps no tags there)."""
    elbv2 = cloud.elbv2
    if ":loadbalancer/" in resource_arn:
        return elbv2.describe_load_balancers(arns=[resource_arn])[0]
    if ":targetgroup/" in resource_arn:
        return elbv2.describe_target_groups(arns=[resource_arn])[0]
    if ":listener-rule/" in resource_arn:
        elbv2.describe_rules(rule_arns=[resource_arn])
        return None
    if ":listener/" in resource_arn:
        elbv2.describe_listeners(listener_arns=[resource_arn])
        return None
    raise validation(f"'{resource_arn[:200]}' is not a valid Elastic Load Balancing resource ARN")


@ACTIONS.action("DescribeTags", {"ResourceArns": Req([str])})
async def describe_tags(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    descriptions = []
    for resource_arn in args["ResourceArns"]:
        holder = _tag_holder(cloud, resource_arn)
        tags = holder.tags if holder is not None else {}
        descriptions.append({"ResourceArn": resource_arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return {"TagDescriptions": descriptions}


@ACTIONS.action("AddTags", {"ResourceArns": Req([str]), "Tags": Req(TAGS)})
async def add_tags(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    tags = _tags(args["Tags"])
    holders = [_tag_holder(cloud, a) for a in args["ResourceArns"]]
    taggable = [h for h in holders if h is not None]
    if len(taggable) != len(holders):
        raise validation("lblab keeps tags on load balancers and target groups only, not on listeners or rules")
    for holder in taggable:
        check_tags({**holder.tags, **tags})
    for holder in taggable:
        holder.tags.update(tags)
        cloud.ctx.changed("elbv2.tags", holder.arn)
    return {}


@ACTIONS.action("RemoveTags", {"ResourceArns": Req([str]), "TagKeys": Req([str])})
async def remove_tags(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    for resource_arn in args["ResourceArns"]:
        holder = _tag_holder(cloud, resource_arn)
        if holder is not None:
            for key in args["TagKeys"]:
                holder.tags.pop(key, None)
            cloud.ctx.changed("elbv2.tags", resource_arn)
    return {}


@ACTIONS.action("DescribeSSLPolicies", {"Names": [str], "LoadBalancerType": str, **PAGING})
async def describe_ssl_policies(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    page, marker = elbv2_page(list_policies(args.get("Names", [])), args)
    return {"SslPolicies": [{**p.to_dict(), "SupportedLoadBalancerTypes": ["application"]} for p in page],
            "NextMarker": marker}
