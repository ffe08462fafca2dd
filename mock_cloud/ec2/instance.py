"""An EC2 instance: its description (what DescribeInstances shows) and its running guest process."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from mock_cloud.ec2.catalogue import INSTANCE_TYPES
from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.state_validation import Check, aws_id, each, ipv4_address, one_of, optional

if TYPE_CHECKING:
    from mock_cloud.guest.client import Guest

# AWS's instance state codes (the low byte of InstanceState.Code).
STATE_CODES = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}


@dataclass
class Instance:
    # What a loaded state must hold beyond the annotated types (see mock_cloud/state_validation.py).
    VALID: ClassVar[dict[str, Check]] = {
        "instance_id": aws_id("i"), "image_id": aws_id("ami"), "instance_type": one_of(INSTANCE_TYPES),
        "subnet_id": aws_id("subnet"), "vpc_id": aws_id("vpc"), "security_group_ids": each(aws_id("sg")),
        "private_ip": ipv4_address, "public_ip": optional(ipv4_address), "state": one_of(STATE_CODES),
    }

    instance_id: str
    image_id: str
    instance_type: str
    subnet_id: str
    vpc_id: str
    availability_zone: str
    private_ip: str
    private_dns_name: str
    security_group_ids: list[str]
    os: InstanceOS
    launch_time: float
    public_ip: str | None = None
    public_dns_name: str = ""
    associate_public_ip: bool = True
    key_name: str | None = None
    user_data: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    state: str = "pending"
    state_transition_reason: str = ""
    state_reason: dict[str, str] | None = None
    console_output: str = ""
    ami_launch_index: int = 0
    reservation_id: str = ""  # shared by the instances of one RunInstances
    ended_at: float | None = None  # when it became terminated: it stays listed for an hour
    disable_api_termination: bool = False  # termination protection
    source_dest_check: bool = True
    # Runtime only: the guest process (its web servers serve the instance's ports), its reachability
    # probe, and since when (cloud time) the instance status check has failed.
    guest: Guest | None = field(default=None, repr=False)
    probe: asyncio.Task[None] | None = field(default=None, repr=False)
    impaired_since: float | None = None

    @property
    def name(self) -> str:
        return self.tags.get("Name", "")

    @property
    def state_code(self) -> int:
        return STATE_CODES[self.state]

    def local_port(self, port: int) -> int | None:
        """The loopback port where this instance's `port` is really served, if anything listens."""
        guest = self.guest
        return guest.ports.get(port) if guest is not None and guest.alive else None

    @property
    def served_ports(self) -> list[int]:
        """The instance's ports that have a real listener now."""
        return sorted(self.guest.ports) if self.guest is not None and self.guest.alive else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "image_id": self.image_id,
            "instance_type": self.instance_type,
            "subnet_id": self.subnet_id,
            "vpc_id": self.vpc_id,
            "availability_zone": self.availability_zone,
            "private_ip": self.private_ip,
            "private_dns_name": self.private_dns_name,
            "security_group_ids": list(self.security_group_ids),
            "os": self.os.to_dict(),
            "launch_time": self.launch_time,
            "public_ip": self.public_ip,
            "public_dns_name": self.public_dns_name,
            "associate_public_ip": self.associate_public_ip,
            "key_name": self.key_name,
            "user_data": self.user_data,
            "tags": dict(self.tags),
            "state": self.state,
            "state_transition_reason": self.state_transition_reason,
            "state_reason": self.state_reason,
            "console_output": self.console_output,
            "ami_launch_index": self.ami_launch_index,
            "reservation_id": self.reservation_id,
            "ended_at": self.ended_at,
            "disable_api_termination": self.disable_api_termination,
            "source_dest_check": self.source_dest_check,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instance:
        fields = dict(data)
        fields["os"] = InstanceOS.from_dict(fields["os"])
        # States saved before reservations were kept: each instance was its own reservation.
        fields.setdefault("reservation_id", reservation_id_for(fields["instance_id"]))
        return cls(**fields)


def reservation_id_for(first_instance_id: str) -> str:
    """A launch's reservation ID, derived from its first instance's ID so that it draws nothing from the
    cloud's seeded ID stream (a seeded cloud issues the same instance IDs as before reservations existed)."""
    return "r-" + hashlib.sha256(first_instance_id.encode()).hexdigest()[:17]
