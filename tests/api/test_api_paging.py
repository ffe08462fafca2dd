"""Query-protocol lists, paging and reservations through boto3 and raw HTTP against the real endpoint
(issue 11 section 4, issue 14 "Reservations", "Empty lists" and "Pagination")."""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from mock_cloud.api.xml import EC2_NAMESPACE, ELBV2_NAMESPACE
from tests.api.test_api_errors import EC2_AUTH, ELBV2_AUTH, error_of
from tests.support.api import LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 is a test dependency")
IMAGE = "ami-0c9c942bd7bf113a2"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveCloud]:
    with LiveCloud(make_config(time_scale=0)) as running:
        yield running


def raw(live: LiveCloud, body: bytes, *, method: str = "POST", auth: str = EC2_AUTH) -> tuple[int, ET.Element]:
    request = urllib.request.Request(live.endpoint, data=body, method=method, headers={
        "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, ET.fromstring(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, ET.fromstring(refused.read())


def ec2_code(root: ET.Element) -> str:
    return root.findtext("Errors/Error/Code") or ""


def launch(live: LiveCloud, count: int, name: str) -> dict[str, Any]:
    return live.client("ec2").run_instances(
        ImageId=IMAGE, MinCount=count, MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])


def test_one_run_instances_is_one_reservation(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    launched = launch(live, 2, "pair")
    ids = [i["InstanceId"] for i in launched["Instances"]]
    single = launch(live, 1, "single")
    described = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["pair", "single"]}])
    by_id = {r["ReservationId"]: sorted(i["InstanceId"] for i in r["Instances"]) for r in described["Reservations"]}
    assert by_id == {launched["ReservationId"]: sorted(ids),
                     single["ReservationId"]: [single["Instances"][0]["InstanceId"]]}
    assert launched["ReservationId"].startswith("r-") and len(launched["ReservationId"]) == 19


def test_a_sparse_or_huge_list_index_still_filters(live: LiveCloud) -> None:
    unknown = "i-0123456789abcdef0"
    status, root = raw(live, f"Action=DescribeInstances&Version=2016-11-15&InstanceId.9999999999={unknown}".encode())
    assert (status, ec2_code(root)) == (400, "InvalidInstanceID.NotFound")
    known = launch(live, 1, "sparse")["Instances"][0]["InstanceId"]
    status, root = raw(live, f"Action=DescribeInstances&Version=2016-11-15&InstanceId.7={known}".encode())
    found = [e.text for e in root.iter(f"{{{EC2_NAMESPACE}}}instanceId")]
    assert status == 200 and found == [known]
    status, root = raw(live, f"Action=DescribeInstances&Version=2016-11-15&InstanceId.x={known}".encode())
    assert (status, ec2_code(root)) == (400, "InvalidParameterValue")


def test_max_results_is_checked_and_pages_walk_every_instance(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    for index in range(3):
        launch(live, 3, f"paged-{index}")
    everything = sorted(i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"])
    assert len(everything) >= 9
    assert error_of(ec2.describe_instances, MaxResults=0) == (
        "InvalidParameterValue", 400,
        "Value ( 0 ) for parameter maxResults is invalid. Expecting a value greater than 5.")
    assert error_of(ec2.describe_instances, MaxResults=1001)[0] == "InvalidParameterValue"
    assert error_of(ec2.describe_instances, InstanceIds=everything[:1], MaxResults=5) == (
        "InvalidParameterCombination", 400, "The parameter instancesSet cannot be used with the parameter maxResults")
    first = ec2.describe_instances(MaxResults=5)
    assert sum(len(r["Instances"]) for r in first["Reservations"]) == 5 and first["NextToken"]
    pages = list(ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5}))
    walked = sorted(i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"])
    assert walked == everything and len(pages) == -(-len(everything) // 5)
    assert "NextToken" not in pages[-1]
    assert error_of(ec2.describe_instances, NextToken="not-a-token")[0] == "InvalidParameterValue"
    statuses = ec2.get_paginator("describe_instance_status").paginate(
        IncludeAllInstances=True, PaginationConfig={"PageSize": 5})
    assert sorted(s["InstanceId"] for page in statuses for s in page["InstanceStatuses"]) == everything
    groups = ec2.describe_security_groups(MaxResults=5)
    assert len(groups["SecurityGroups"]) <= 5 and groups.get("NextToken") is None
    status, root = raw(live, b"Action=DescribeVpcs&Version=2016-11-15&MaxResults=4")  # botocore refuses 4 itself
    assert (status, ec2_code(root)) == (400, "InvalidParameterValue")


def test_elbv2_paging_and_empty_lists(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    names = [f"page-tg-{n}" for n in range(5)]
    for name in names:
        elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc_id)
    assert [g["TargetGroupName"] for g in elbv2.describe_target_groups(Names=[])["TargetGroups"]] == names
    pages = list(elbv2.get_paginator("describe_target_groups").paginate(PaginationConfig={"PageSize": 2}))
    assert [[g["TargetGroupName"] for g in p["TargetGroups"]] for p in pages] == [names[:2], names[2:4], names[4:]]
    status, root = raw(live, b"Action=DescribeTargetGroups&Version=2015-12-01&PageSize=0", auth=ELBV2_AUTH)
    assert status == 400 and root.findtext(f"{{{ELBV2_NAMESPACE}}}Error/{{{ELBV2_NAMESPACE}}}Message") == (
        "1 validation error detected: Value '0' at 'pageSize' failed to satisfy constraint: Member must have "
        "value greater than or equal to 1")
    assert error_of(elbv2.describe_target_groups, PageSize=401)[0] == "ValidationError"
    assert error_of(elbv2.describe_load_balancers, Marker="bogus")[0] == "ValidationError"
    assert elbv2.describe_load_balancers(Names=[])["LoadBalancers"] == []


def test_http_refusals_are_aws_error_documents(live: LiveCloud) -> None:
    status, root = raw(live, b"Action=DescribeVpcs&Version=2016-11-15&Pad=" + b"x" * (2 * 1024 * 1024))
    assert (status, ec2_code(root)) == (413, "RequestEntityTooLarge")
    status, root = raw(live, b"Action=DescribeVpcs&Version=2016-11-15", method="PUT")
    assert (status, ec2_code(root)) == (405, "InvalidAction")
    status, root = raw(live, b"Action=DescribeLoadBalancers&Version=2015-12-01", method="PUT", auth=ELBV2_AUTH)
    assert status == 405 and root.tag == f"{{{ELBV2_NAMESPACE}}}ErrorResponse"
    assert root.findtext(f"{{{ELBV2_NAMESPACE}}}Error/{{{ELBV2_NAMESPACE}}}Code") == "InvalidAction"
