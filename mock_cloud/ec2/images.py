"""AMIs by SSM public parameter: the one image reference that means the same here and on AWS.

lblab's AMI IDs are fictional, so exported scripts and templates name images by AWS's public SSM
parameters (`resolve:ssm:/aws/service/...` in RunInstances, or an SSM-typed template parameter);
RunInstances here resolves the same names to the catalogue image of that distribution.
"""

from __future__ import annotations

from mock_cloud.ec2.catalogue import IMAGES
from mock_cloud.errors import CloudError

SSM_PREFIX = "resolve:ssm:"
# distro -> the public parameter that always names the latest such image.
PUBLIC_PARAMETERS = {
    "al2023": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "al2": "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
    "ubuntu": "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
}
_ALIASES = {"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64": "al2023"}
_DISTRO_OF = {**{p: d for d, p in PUBLIC_PARAMETERS.items()}, **_ALIASES}


def public_parameter(image_id: str) -> str:
    """The SSM parameter naming an image like this one (Amazon Linux 2023 for unknown IDs)."""
    image = IMAGES.get(image_id)
    return PUBLIC_PARAMETERS.get(image.distro if image else "al2023", PUBLIC_PARAMETERS["al2023"])


def resolve_image_id(image_id: str) -> str:
    """`resolve:ssm:<public parameter>` to the catalogue's AMI ID; anything else as given."""
    if not image_id.startswith(SSM_PREFIX):
        return image_id
    parameter = image_id.removeprefix(SSM_PREFIX)
    distro = _DISTRO_OF.get(parameter)
    if distro is None:
        raise CloudError("InvalidParameterValue", f"Parameter {parameter[:200]} not found. lblab resolves these "
                                                  f"public AMI parameters: {', '.join(sorted(_DISTRO_OF))}")
    return next(image.image_id for image in IMAGES.values() if image.distro == distro)
