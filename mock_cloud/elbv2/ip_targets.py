"""Target identity: an `instance` target is an instance ID; an `ip` target is a private IPv4 address of the
target group's VPC, served by whichever instance holds that address."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.service import Ec2Service
from mock_cloud.errors import validation


def target_instance(instances: Mapping[str, Instance], target_id: str) -> Instance | None:
    """The instance behind a target: by its ID, or by the private address an `ip` target names."""
    if target_id.startswith("i-"):
        return instances.get(target_id)
    return next((i for i in instances.values() if i.private_ip == target_id and i.state != "terminated"), None)


def ip_target_zone(ec2: Ec2Service, vpc_id: str, address: str) -> str:
    """The zone of the VPC subnet that holds `address`: where the balancer's node that serves it is."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise validation(f"The IP address '{address[:100]}' is not a valid IPv4 address") from None
    for subnet in ec2.subnets_of(vpc_id):
        if ip in ipaddress.IPv4Network(subnet.cidr_block):
            return subnet.availability_zone
    # Addresses outside the VPC (peered VPCs, on-premises) need an explicit zone; lblab has no such network.
    raise validation(f"The Availability Zone is required for IP address '{address}' because it is not in the VPC")
