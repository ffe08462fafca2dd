"""What can be launched: a small AMI catalogue and the current-generation instance types of ap-northeast-2.

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
    root_volume_size: int = 8  # GiB, the AMI's root snapshot
    root_volume_type: str = "gp3"

    @property
    def root_snapshot_id(self) -> str:
        # Fictional like the AMI IDs, and stable: derived from the AMI's own ID.
        return "snap-" + self.image_id.removeprefix("ami-")


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
            root_volume_type="gp2",
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
    architecture: str = "x86_64"  # "arm64" for Graviton (t4g)
    hypervisor: str | None = "nitro"  # None on bare metal; "xen" for the older t2

    @property
    def family(self) -> str:
        return self.name.split(".")[0]

    @property
    def bare_metal(self) -> bool:
        return self.name.split(".")[1].startswith("metal")

    @property
    def burstable(self) -> bool:
        return self.family.startswith("t")


GIB = 1024
# Sizes by their vCPU count: "large" is 2, "xlarge" 4, "<n>xlarge" 4n. Memory follows the family's
# GiB per vCPU (general purpose 4, compute optimized 2, memory optimized 8).
_XLARGE = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge", "48xlarge")
_BURSTABLE_SIZES = (  # name, vCPUs of t3/t3a/t4g, memory MiB
    ("nano", 2, 512), ("micro", 2, 1 * GIB), ("small", 2, 2 * GIB), ("medium", 2, 4 * GIB),
    ("large", 2, 8 * GIB), ("xlarge", 4, 16 * GIB), ("2xlarge", 8, 32 * GIB),
)


def _vcpus(size: str) -> int:
    return 2 if size == "large" else 4 * int(size.removesuffix("xlarge") or 1)


def _fixed_ratio(family: str, gib_per_vcpu: int, sizes: tuple[str, ...], metal: dict[str, int]) -> list[InstanceType]:
    """A family whose sizes keep one memory-to-vCPU ratio; `metal` maps bare-metal names to their vCPUs."""
    sized = [(size, _vcpus(size), "nitro") for size in sizes] + [(name, n, None) for name, n in metal.items()]
    return [InstanceType(f"{family}.{size}", n, n * gib_per_vcpu * GIB, hypervisor=hv) for size, n, hv in sized]


def _burstable(family: str, architecture: str = "x86_64") -> list[InstanceType]:
    return [InstanceType(f"{family}.{size}", n, mib, architecture=architecture, free_tier=f"{family}.{size}" in
                         _FREE_TIER) for size, n, mib in _BURSTABLE_SIZES]


# The free tier's 750 hours are for t2.micro, or t3.micro where t2 is not offered: both are in Seoul.
_FREE_TIER = {"t2.micro", "t3.micro"}
# t2 is the older Xen generation: one vCPU up to small; otherwise as the t3 sizes.
_T2 = [InstanceType(t.name.replace("t3.", "t2."), 1 if t.memory_mib <= 2 * GIB else t.vcpus, t.memory_mib,
                    free_tier=t.name.replace("t3.", "t2.") in _FREE_TIER, hypervisor="xen")
       for t in _burstable("t3")]
_SIZES_24 = ("large", *_XLARGE[:7])  # up to 24xlarge (m5, r5)
_SIZES_32 = ("large", *_XLARGE[:8])  # up to 32xlarge (m6i, c6i, r6i)
_SIZES_48 = ("large", *_XLARGE[:7], "48xlarge")  # the 7th generation: 24xlarge, then 48xlarge
_METAL_7 = {"metal-24xl": 96, "metal-48xl": 192}

# The current-generation types of these families offered in ap-northeast-2, with AWS's vCPU and memory figures.
INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        *_T2, *_burstable("t3"), *_burstable("t3a"), *_burstable("t4g", "arm64"),
        *_fixed_ratio("m5", 4, _SIZES_24, {"metal": 96}),
        *_fixed_ratio("m6i", 4, _SIZES_32, {"metal": 128}),
        *_fixed_ratio("m7i", 4, _SIZES_48, _METAL_7),
        *_fixed_ratio("c5", 2, ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge",
                                "24xlarge"), {"metal": 96}),
        *_fixed_ratio("c6i", 2, _SIZES_32, {"metal": 128}),
        *_fixed_ratio("c7i", 2, _SIZES_48, _METAL_7),
        *_fixed_ratio("r5", 8, _SIZES_24, {"metal": 96}),
        *_fixed_ratio("r6i", 8, _SIZES_32, {"metal": 128}),
    )
}
DEFAULT_INSTANCE_TYPE = "t2.micro"
# A new account's default On-Demand Standard vCPU quota is low; 32 also keeps the number
# of emulated servers on the learner's machine sane.
VCPU_LIMIT = 32
