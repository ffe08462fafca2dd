"""DescribeInstanceTypes: the catalogue's instance types in botocore's InstanceTypeInfo shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_cloud.api.ec2_handlers import ACTIONS, FILTERS, _filters
from mock_cloud.api.paging import ec2_page
from mock_cloud.api.query import shown
from mock_cloud.ec2.catalogue import INSTANCE_TYPES, InstanceType
from mock_cloud.ec2.filters import Matcher, bool_text, filtered
from mock_cloud.errors import CloudError

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

INSTANCE_TYPE_FILTERS: dict[str, Matcher] = {
    "instance-type": lambda t: [t.name],
    "current-generation": lambda t: ["true"],
    "free-tier-eligible": lambda t: [bool_text(t.free_tier)],
    "bare-metal": lambda t: [bool_text(t.bare_metal)],
    "burstable-performance-supported": lambda t: [bool_text(t.burstable)],
    "hypervisor": lambda t: [t.hypervisor] if t.hypervisor else [],
    "processor-info.supported-architecture": lambda t: [t.architecture],
    "vcpu-info.default-vcpus": lambda t: [str(t.vcpus)],
    "memory-info.size-in-mib": lambda t: [str(t.memory_mib)],
    "supported-root-device-type": lambda t: ["ebs"],
    "supported-virtualization-type": lambda t: ["hvm"],
    "supported-usage-class": lambda t: ["on-demand", "spot"],
}


def _instance_type(t: InstanceType) -> dict[str, Any]:
    return {
        "instanceType": t.name,
        "currentGeneration": True,
        "freeTierEligible": t.free_tier,
        "supportedUsageClasses": ["on-demand", "spot"],
        "supportedRootDeviceTypes": ["ebs"],
        "supportedVirtualizationTypes": ["hvm"],
        "bareMetal": t.bare_metal,
        "hypervisor": t.hypervisor,
        "processorInfo": {"supportedArchitectures": [t.architecture]},
        "vCpuInfo": {"defaultVCpus": t.vcpus},
        "memoryInfo": {"sizeInMiB": t.memory_mib},
        "instanceStorageSupported": False,
        "burstablePerformanceSupported": t.burstable,
    }


@ACTIONS.action("DescribeInstanceTypes", {"InstanceType": [str], "Filter": FILTERS, "MaxResults": int,
                                          "NextToken": str, "IncludeUnsupportedInRegion": bool})
async def describe_instance_types(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    names = args.get("InstanceType") or []
    unknown = [n for n in names if n not in INSTANCE_TYPES]
    if unknown:
        raise CloudError("InvalidInstanceType",
                         f"The following supplied instance types do not exist: [{shown(', '.join(unknown))}]")
    types = [INSTANCE_TYPES[n] for n in names] if names else list(INSTANCE_TYPES.values())
    page, token = ec2_page(filtered(types, _filters(args), INSTANCE_TYPE_FILTERS), args, limits=(5, 100))
    return {"instanceTypeSet": [_instance_type(t) for t in page], "nextToken": token}
