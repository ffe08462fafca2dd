"""Query parameters into typed values, and values into XML: the two ends of every API call."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mock_cloud.api import query, xml
from mock_cloud.api.query import Req, parse, unflatten
from mock_cloud.api.server import EC2, ELBV2, detect_service
from mock_cloud.errors import CloudError

PERMISSIONS = {"GroupId": str, "IpPermissions": [{"IpProtocol": Req(str), "FromPort": int, "ToPort": int,
                                                  "IpRanges": [{"CidrIp": Req(str)}]}]}


def test_ec2_lists_are_numbered_and_ordered_by_index() -> None:
    tree = unflatten([("GroupId", "sg-1"), ("IpPermissions.2.IpProtocol", "udp"),
                      ("IpPermissions.1.IpProtocol", "tcp"), ("IpPermissions.1.FromPort", "80"),
                      ("IpPermissions.1.ToPort", "80"), ("IpPermissions.1.IpRanges.10.CidrIp", "10.0.0.0/8"),
                      ("IpPermissions.1.IpRanges.9.CidrIp", "0.0.0.0/0"), ("Unknown", "ignored")])
    assert parse(tree, PERMISSIONS, query.EC2) == {"GroupId": "sg-1", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "udp"}]}


def test_elbv2_lists_have_member_before_the_index() -> None:
    schema = {"Actions": [{"Type": Req(str), "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": str,
                                                                                   "Weight": int}]}}]}
    tree = unflatten([("Actions.member.1.Type", "forward"),
                      ("Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn", "arn:tg"),
                      ("Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight", "3")])
    assert parse(tree, schema, query.ELBV2) == {"Actions": [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:tg", "Weight": 3}]}}]}


@pytest.mark.parametrize(("pairs", "dialect", "code", "message"), [
    ([("GroupId", "sg-1"), ("IpPermissions.1.FromPort", "80")], query.EC2, "MissingParameter",
     "The request must contain the parameter IpPermissions.1.IpProtocol"),
    ([("IpPermissions.1.IpProtocol", "tcp"), ("IpPermissions.1.FromPort", "eighty")], query.EC2,
     "InvalidParameterValue", "Invalid value 'eighty' for IpPermissions.1.FromPort: it must be an integer"),
    ([("IpPermissions.1.IpProtocol", "tcp"), ("IpPermissions.1.ToPort", "2147483648")], query.EC2,
     "InvalidParameterValue", "Invalid value '2147483648' for IpPermissions.1.ToPort: it must be an integer"),
    ([("IpPermissions", "tcp")], query.EC2, "InvalidParameterValue",
     "Invalid value 'tcp' for IpPermissions: it must be a list"),
    ([("GroupId.1", "sg-1")], query.EC2, "InvalidParameterValue",
     "Invalid value '(a list or structure)' for GroupId: it must be a string"),
    ([("IpPermissions.member.1.IpProtocol", "tcp"), ("IpPermissions.member.1.IpRanges.member.1.Foo", "x")],
     query.ELBV2, "ValidationError",
     "1 validation error detected: Value null at 'ipPermissions.1.member.ipRanges.1.member.cidrIp' failed to "
     "satisfy constraint: Member must not be null"),
])
def test_missing_and_malformed_values_fail_in_each_services_words(
        pairs: list[tuple[str, str]], dialect: query.Dialect, code: str, message: str) -> None:
    with pytest.raises(CloudError) as caught:
        parse(unflatten(pairs), PERMISSIONS, dialect)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_booleans_and_hostile_keys() -> None:
    schema = {"DryRun": bool, "Names": [str]}
    # The members given are the list, in index order, whatever the indexes (issue 11: a huge index used to be
    # dropped, and a filter with only that member became no filter); an index that is no number is refused.
    assert parse(unflatten([("DryRun", "TRUE"), ("Names.99999999999", "c"), ("Names.1", "a"),
                            ("Names." + "9" * 5000, "d")]), schema, query.EC2) == {"DryRun": True,
                                                                                  "Names": ["a", "c", "d"]}
    for hostile in ("Names.x", "Names..1"):
        with pytest.raises(CloudError, match="numeric index"):
            parse(unflatten([(hostile, "b")]), schema, query.EC2)
    assert parse(unflatten([("Names", "")]), schema, query.EC2) == {"Names": []}  # botocore's empty list
    with pytest.raises(CloudError, match="boolean"):
        parse(unflatten([("DryRun", "yes")]), schema, query.EC2)
    # A key that is both a value and a prefix keeps both; the schema decides which one is read.
    tree = unflatten([("Names", "x"), ("Names.1", "y")])
    assert parse(tree, schema, query.EC2) == {"Names": ["y"]}


def test_xml_rendering_escapes_and_drops_what_xml_cannot_carry() -> None:
    document = xml.ec2_document("DescribeThings", {"thingSet": [{"name": "<a&b>\x00\x1b", "on": True,
                                                                "gone": None}], "empty": []}, "req-1")
    root = ET.fromstring(document)
    ns = {"e": xml.EC2_NAMESPACE}
    assert root.findtext("e:requestId", namespaces=ns) == "req-1"
    item = root.find("e:thingSet/e:item", ns)
    assert item is not None and item.findtext("e:name", namespaces=ns) == "<a&b>\ufffd\ufffd"
    assert item.findtext("e:on", namespaces=ns) == "true" and item.find("e:gone", ns) is None
    assert root.find("e:empty", ns) is not None
    error = ET.fromstring(xml.elbv2_error("Oops", "bad <input>", "req-2", 400))
    assert error.findtext(f"{{{xml.ELBV2_NAMESPACE}}}Error/{{{xml.ELBV2_NAMESPACE}}}Message") == "bad <input>"
    assert xml.timestamp(1767225600.9999) == "2026-01-01T00:00:00.999Z"


@pytest.mark.parametrize(("authorization", "version", "action", "expected"), [
    ("AWS4-HMAC-SHA256 Credential=AKID/20260101/ap-northeast-2/elasticloadbalancing/aws4_request, Sig=1",
     "2016-11-15", "DescribeInstances", ELBV2),
    ("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request", None, "DescribeLoadBalancers", EC2),
    ("", "2015-12-01", None, ELBV2),
    ("", None, "DescribeTargetHealth", ELBV2),
    ("garbage", None, "NoSuchThing", EC2),
])
def test_the_service_comes_from_the_credential_scope_then_version_then_action(
        authorization: str, version: str | None, action: str | None, expected: object) -> None:
    assert detect_service(authorization, version, action) is expected
