"""EC2 behaviours checked against AWS's API reference through boto3 on the real endpoint (issue 14, "Missing
today"): instance types, root volumes, instance attributes, security group rules as resources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import make_config
from tests.test_api_errors import error_of
from tests.test_api_paging import IMAGE
from tests.test_api_support import LiveCloud

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
