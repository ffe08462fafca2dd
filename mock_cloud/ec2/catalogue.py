"""What can be launched: a small AMI catalogue and the common instance types.

AMI IDs are plausible but fictional (real ones change monthly); names, owners and
platform details follow the real public images in ap-northeast-2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Image:
    image_id: str
    name: str
    description: str
    distro: str  # which emulated OS boots: "al2023" | "al2" | "ubuntu"
    owner_id: str
    owner_alias: str
    default_user: str
    platform_details: str = "Linux/UNIX"
    architecture: str = "x86_64"
    root_device_name: str = "/dev/xvda"
    creation_date: str = "2026-10-30T00:00:00.000Z"


IMAGES: dict[str, Image] = {
    image.image_id: image
    for image in (
        Image(
            "ami-0c9c942bd7bf113a2",
            "al2023-ami-2023.9.20261030.0-kernel-6.1-x86_64",
            "Amazon Linux 2023 AMI 2023.9.20261030.0 x86_64 HVM kernel-6.1",
            "al2023",
            "137112412989",
            "amazon",
            "ec2-user",
        ),
        Image(
            "ami-0f1e61a80c7ab943e",
            "amzn2-ami-kernel-5.10-hvm-2.0.20261027.0-x86_64-gp2",
            "Amazon Linux 2 Kernel 5.10 AMI 2.0.20261027.0 x86_64 HVM gp2",
            "al2",
            "137112412989",
            "amazon",
            "ec2-user",
        ),
        Image(
            "ami-042e76978adeb8c48",
            "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261025",
            "Canonical, Ubuntu, 24.04, amd64 noble image",
            "ubuntu",
            "099720109477",
            "",
            "ubuntu",
            root_device_name="/dev/sda1",
        ),
    )
}
DEFAULT_IMAGE_ID = "ami-0c9c942bd7bf113a2"


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    free_tier: bool = False


INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        InstanceType("t2.micro", 1, 1024, free_tier=True),
        InstanceType("t2.small", 1, 2048),
        InstanceType("t3.micro", 2, 1024, free_tier=True),
        InstanceType("t3.small", 2, 2048),
        InstanceType("t3.medium", 2, 4096),
        InstanceType("m5.large", 2, 8192),
        InstanceType("c5.large", 2, 4096),
    )
}
DEFAULT_INSTANCE_TYPE = "t2.micro"
# A new account's default On-Demand Standard vCPU quota is low; 32 also keeps the number
# of emulated servers on the learner's machine sane.
VCPU_LIMIT = 32
