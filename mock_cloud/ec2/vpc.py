"""The default VPC and its default subnets, one /20 per Availability Zone, as AWS creates them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from mock_cloud.ids import IdFactory
from mock_cloud.state_validation import Check, aws_id, ipv4_network, one_of

DEFAULT_VPC_CIDR = "172.31.0.0/16"
# AZ name suffix -> zone ID. Zone IDs are account-independent; this mapping is one plausible account's.
AZ_SUFFIXES = {"a": "apne2-az1", "b": "apne2-az2", "c": "apne2-az3", "d": "apne2-az4"}


STATES = ("pending", "available")


@dataclass
class Vpc:
    # What a loaded state must hold beyond the annotated types (see mock_cloud/state_validation.py).
    VALID: ClassVar[dict[str, Check]] = {"vpc_id": aws_id("vpc"), "cidr_block": ipv4_network, "state": one_of(STATES)}

    vpc_id: str
    cidr_block: str
    is_default: bool = True
    state: str = "available"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Subnet:
    VALID: ClassVar[dict[str, Check]] = {
        "subnet_id": aws_id("subnet"), "vpc_id": aws_id("vpc"), "cidr_block": ipv4_network, "state": one_of(STATES),
    }

    subnet_id: str
    vpc_id: str
    cidr_block: str
    availability_zone: str
    availability_zone_id: str
    default_for_az: bool = True
    map_public_ip_on_launch: bool = True  # default subnets are public
    state: str = "available"

    @property
    def available_ip_address_count(self) -> int:
        prefix = int(self.cidr_block.split("/")[1])
        return (1 << (32 - prefix)) - 5  # AWS reserves five addresses in every subnet

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_network(region: str, ids: IdFactory) -> tuple[Vpc, list[Subnet]]:
    vpc = Vpc(ids.resource_id("vpc"), DEFAULT_VPC_CIDR)
    subnets = [
        Subnet(
            ids.resource_id("subnet"),
            vpc.vpc_id,
            f"172.31.{16 * index}.0/20",
            f"{region}{suffix}",
            zone_id,
        )
        for index, (suffix, zone_id) in enumerate(AZ_SUFFIXES.items())
    ]
    return vpc, subnets
