"""EBS volumes: each instance's root volume, from its launch to its deletion on termination.

A volume's attachment follows its instance: in use while the instance exists, deleted with a terminated
instance when DeleteOnTermination is set (listed as `deleted` while the instance is still listed), detached
and `available` otherwise. `settle` derives that from the instances, so no lifecycle step has to remember it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mock_cloud.ec2.catalogue import Image
from mock_cloud.ec2.instance import Instance
from mock_cloud.errors import CloudError

VOLUME_TYPES = ("gp2", "gp3")  # the General Purpose SSD types; others are not emulated
SIZE_LIMITS = {"gp2": (1, 16384), "gp3": (1, 16384)}  # GiB
GP3_BASELINE = (3000, 125)  # IOPS, MiB/s: gp3's baseline whatever its size


@dataclass
class Volume:
    volume_id: str
    size: int  # GiB
    volume_type: str
    availability_zone: str
    snapshot_id: str
    create_time: float
    state: str = "in-use"  # creating | available | in-use | deleting | deleted | error
    instance_id: str | None = None  # the attachment, while attached
    device: str = ""
    attach_time: float | None = None
    delete_on_termination: bool = True

    @property
    def iops(self) -> int:
        # gp2 earns 3 IOPS per GiB, at least 100 and at most 16,000; gp3 has a flat baseline.
        return GP3_BASELINE[0] if self.volume_type == "gp3" else min(max(100, 3 * self.size), 16000)

    @property
    def throughput(self) -> int | None:
        return GP3_BASELINE[1] if self.volume_type == "gp3" else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Volume:
        return cls(**data)


@dataclass(frozen=True)
class RootDevice:
    """The root device's settings at launch: the AMI's, unless the BlockDeviceMapping changes them."""

    size: int
    volume_type: str
    delete_on_termination: bool = True


def derived_id(prefix: str, owner_id: str) -> str:
    """An ID derived from its owner's, so that it draws nothing from the cloud's seeded ID stream
    (a seeded cloud issues the same instance IDs as before volumes existed)."""
    return f"{prefix}-" + hashlib.sha256(f"{prefix}:{owner_id}".encode()).hexdigest()[:17]


def root_device(image: Image, size: int | None = None, volume_type: str | None = None,
                delete_on_termination: bool | None = None) -> RootDevice:
    volume_type = volume_type or image.root_volume_type
    if volume_type not in VOLUME_TYPES:
        raise CloudError("InvalidParameterValue", f"Volume type '{volume_type[:30]}' is not emulated by lblab; use "
                                                  f"one of: {', '.join(VOLUME_TYPES)}.")
    size = image.root_volume_size if size is None else size
    if size < image.root_volume_size:
        raise CloudError("InvalidBlockDeviceMapping",
                         f"Volume of size {size}GB is smaller than  snapshot '{image.root_snapshot_id}', expect size "
                         f">= {image.root_volume_size}GB")
    low, high = SIZE_LIMITS[volume_type]
    if not low <= size <= high:
        raise CloudError("InvalidParameterValue",
                         f"Volume size {size} GiB is out of range for {volume_type}: {low}-{high} GiB.")
    return RootDevice(size, volume_type, True if delete_on_termination is None else delete_on_termination)


def root_volume(instance: Instance, image: Image, device: RootDevice) -> Volume:
    return Volume(derived_id("vol", instance.instance_id), device.size, device.volume_type,
                  instance.availability_zone, image.root_snapshot_id, instance.launch_time,
                  instance_id=instance.instance_id, device=image.root_device_name,
                  attach_time=instance.launch_time, delete_on_termination=device.delete_on_termination)


def settle(volumes: dict[str, Volume], instances: Mapping[str, Instance]) -> None:
    """Make each attached volume follow its instance (see the module's docstring)."""
    for volume in list(volumes.values()):
        if volume.instance_id is None:
            continue
        owner = instances.get(volume.instance_id)
        if owner is not None and owner.state != "terminated":
            continue
        if not volume.delete_on_termination:
            volume.state, volume.instance_id, volume.device, volume.attach_time = "available", None, "", None
        elif owner is not None:
            volume.state = "deleted"
        else:
            del volumes[volume.volume_id]
