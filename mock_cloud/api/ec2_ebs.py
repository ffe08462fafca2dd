"""EBS shapes of the EC2 API: volumes, block device mappings (instances' and AMIs'), the root device asked for
in RunInstances, and DescribeVolumes' filters."""

from __future__ import annotations

from typing import Any

from mock_cloud.api.xml import timestamp
from mock_cloud.ec2.catalogue import Image
from mock_cloud.ec2.filters import Matcher, bool_text
from mock_cloud.ec2.volume import RootDevice, Volume, root_device
from mock_cloud.errors import CloudError

BLOCK_DEVICE_MAPPINGS = [{"DeviceName": str, "NoDevice": str, "VirtualName": str, "Ebs": {
    "VolumeSize": int, "VolumeType": str, "DeleteOnTermination": bool, "SnapshotId": str, "Encrypted": bool,
    "Iops": int, "Throughput": int, "KmsKeyId": str}}]
VOLUME_FILTERS: dict[str, Matcher] = {
    "volume-id": lambda v: [v.volume_id],
    "status": lambda v: [v.state],
    "size": lambda v: [str(v.size)],
    "volume-type": lambda v: [v.volume_type],
    "availability-zone": lambda v: [v.availability_zone],
    "snapshot-id": lambda v: [v.snapshot_id],
    "encrypted": lambda v: ["false"],
    "create-time": lambda v: [timestamp(v.create_time)],
    "attachment.instance-id": lambda v: [v.instance_id],
    "attachment.device": lambda v: [v.device or None],
    "attachment.status": lambda v: ["attached" if v.instance_id else None],
    "attachment.delete-on-termination": lambda v: [bool_text(v.delete_on_termination) if v.instance_id else None],
    "attachment.attach-time": lambda v: [timestamp(v.attach_time) if v.attach_time else None],
}


def _attachments(v: Volume) -> list[dict[str, Any]]:
    if v.instance_id is None or v.state == "deleted":
        return []
    return [{"volumeId": v.volume_id, "instanceId": v.instance_id, "device": v.device, "status": "attached",
             "attachTime": timestamp(v.attach_time or v.create_time), "deleteOnTermination": v.delete_on_termination}]


def volume_shape(v: Volume) -> dict[str, Any]:
    return {
        "volumeId": v.volume_id,
        "size": v.size,
        "snapshotId": v.snapshot_id,
        "availabilityZone": v.availability_zone,
        "status": v.state,
        "createTime": timestamp(v.create_time),
        "attachmentSet": _attachments(v),
        "volumeType": v.volume_type,
        "iops": v.iops,
        "throughput": v.throughput,
        "encrypted": False,
        "multiAttachEnabled": False,
        "tagSet": [],
    }


def block_device_mappings(volumes: list[Volume]) -> list[dict[str, Any]]:
    """An instance's blockDeviceMapping (its attached volumes), as DescribeInstances shows it."""
    return [{"deviceName": v.device, "ebs": {
        "volumeId": v.volume_id, "status": "attached", "attachTime": timestamp(v.attach_time or v.create_time),
        "deleteOnTermination": v.delete_on_termination}} for v in volumes]


def image_block_device_mappings(image: Image) -> list[dict[str, Any]]:
    """An AMI's blockDeviceMapping, as DescribeImages shows it: its root snapshot and the volume it makes."""
    return [{"deviceName": image.root_device_name, "ebs": {
        "snapshotId": image.root_snapshot_id, "volumeSize": image.root_volume_size, "deleteOnTermination": True,
        "volumeType": image.root_volume_type, "encrypted": False}}]


def root_device_of(image: Image, mappings: list[dict[str, Any]]) -> RootDevice:
    """RunInstances' BlockDeviceMapping: lblab emulates the root volume only, so only its device is taken."""
    root: dict[str, Any] = {}
    for mapping in mappings:
        if mapping.get("DeviceName") != image.root_device_name:
            raise CloudError("InvalidBlockDeviceMapping",
                             f"lblab emulates the root volume only: map {image.root_device_name} (this AMI's root "
                             f"device), not '{str(mapping.get('DeviceName', ''))[:40]}'.")
        root = mapping.get("Ebs", {})
    return root_device(image, root.get("VolumeSize"), root.get("VolumeType"), root.get("DeleteOnTermination"))
