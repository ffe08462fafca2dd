"""Security group rules as resources: DescribeSecurityGroupRules, ModifySecurityGroupRules and
UpdateSecurityGroupRuleDescriptionsIngress/Egress (the console's model, each rule with its sgr- ID)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_cloud.api.ec2_handlers import ACTIONS, FILTERS, IP_PERMISSIONS, _filters, _group_id, _rule, _rule_specs
from mock_cloud.api.paging import ec2_page
from mock_cloud.api.query import Req
from mock_cloud.ec2.filters import Matcher, filtered
from mock_cloud.ec2.service import RuleSpec

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

RULE_FILTERS: dict[str, Matcher] = {
    "group-id": lambda pair: [pair[0].group_id],
    "security-group-rule-id": lambda pair: [pair[1].rule_id],
}
RULE_REQUEST = {"IpProtocol": str, "FromPort": int, "ToPort": int, "CidrIpv4": str, "ReferencedGroupId": str,
                "Description": str, "CidrIpv6": str, "PrefixListId": str}
DESCRIPTIONS = {"GroupId": str, "GroupName": str, "IpPermissions": IP_PERMISSIONS,
                "SecurityGroupRuleDescription": [{"SecurityGroupRuleId": str, "Description": str}]}


@ACTIONS.action("DescribeSecurityGroupRules", {"SecurityGroupRuleId": [str], "Filter": FILTERS, "MaxResults": int,
                                               "NextToken": str})
async def describe_security_group_rules(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    pairs = cloud.ec2.security_group_rules(args.get("SecurityGroupRuleId") or None)
    # Rules carry no tags in lblab, so a tag filter matches none.
    page, token = ec2_page(filtered(pairs, _filters(args), RULE_FILTERS), args,
                           ids=("SecurityGroupRuleId", "securityGroupRuleIds"))
    return {"securityGroupRuleSet": [_rule(cloud, group.group_id, rule) for group, rule in page],
            "nextToken": token}


@ACTIONS.action("ModifySecurityGroupRules", {"GroupId": Req(str), "SecurityGroupRule": Req([
    {"SecurityGroupRuleId": Req(str), "SecurityGroupRule": RULE_REQUEST}])})
async def modify_security_group_rules(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    changes = {update["SecurityGroupRuleId"]: _spec(update.get("SecurityGroupRule", {}))
               for update in args["SecurityGroupRule"]}
    await cloud.ec2.modify_security_group_rules(args["GroupId"], changes)
    return {"return": True}


def _spec(request: dict[str, Any]) -> RuleSpec:
    return RuleSpec(request.get("IpProtocol", ""), request.get("FromPort"), request.get("ToPort"),
                    request.get("CidrIpv4"), request.get("ReferencedGroupId"), request.get("Description", ""))


async def _update_descriptions(cloud: Cloud, args: dict[str, Any], egress: bool) -> dict[str, Any]:
    by_id = {d["SecurityGroupRuleId"]: d.get("Description", "") for d in args.get("SecurityGroupRuleDescription", [])
             if "SecurityGroupRuleId" in d}
    await cloud.ec2.update_rule_descriptions(_group_id(cloud, args), egress, by_id, _rule_specs(cloud, args))
    return {"return": True}


@ACTIONS.action("UpdateSecurityGroupRuleDescriptionsIngress", DESCRIPTIONS)
async def update_descriptions_ingress(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return await _update_descriptions(cloud, args, egress=False)


@ACTIONS.action("UpdateSecurityGroupRuleDescriptionsEgress", DESCRIPTIONS)
async def update_descriptions_egress(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    return await _update_descriptions(cloud, args, egress=True)
