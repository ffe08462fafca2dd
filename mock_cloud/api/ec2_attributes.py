"""DescribeInstanceAttribute and ModifyInstanceAttribute: one instance attribute per call."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mock_cloud.api.ec2_ebs import block_device_mappings
from mock_cloud.api.ec2_handlers import ACTIONS, _group_refs
from mock_cloud.api.query import Req, shown
from mock_cloud.ec2.catalogue import IMAGES
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.service import AttributeChange, decode_user_data_base64
from mock_cloud.errors import CloudError

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

BOOLEAN = {"Value": bool}
Render = Callable[["Cloud", Instance], Any]


def _value(value: Any) -> dict[str, Any]:
    return {"value": value}


def _user_data(instance: Instance) -> dict[str, Any]:
    encoded = base64.b64encode(instance.user_data.encode("utf-8")).decode("ascii")
    return _value(encoded if instance.user_data else None)


# Attribute name -> its rendering in DescribeInstanceAttribute's answer (whose element is the attribute's name,
# except groupSet's list).
ATTRIBUTES: dict[str, Render] = {
    "instanceType": lambda cloud, i: _value(i.instance_type),
    "userData": lambda cloud, i: _user_data(i),
    "disableApiTermination": lambda cloud, i: _value(i.disable_api_termination),
    "disableApiStop": lambda cloud, i: _value(False),
    "sourceDestCheck": lambda cloud, i: _value(i.source_dest_check),
    "groupSet": lambda cloud, i: _group_refs(cloud, i.security_group_ids),
    "instanceInitiatedShutdownBehavior": lambda cloud, i: _value("stop"),
    "rootDeviceName": lambda cloud, i: _value(IMAGES[i.image_id].root_device_name if i.image_id in IMAGES else None),
    "blockDeviceMapping": lambda cloud, i: block_device_mappings(cloud.ec2.volumes_of(i.instance_id)),
    "ebsOptimized": lambda cloud, i: _value(False),
    "enaSupport": lambda cloud, i: _value(True),
    "productCodes": lambda cloud, i: [],
}
NOT_EMULATED = ("kernel", "ramdisk", "sriovNetSupport", "enclaveOptions")


def _unknown_attribute(name: str) -> CloudError:
    return CloudError("InvalidParameterValue", f"Value ({shown(name)}) for parameter attribute is invalid. "
                                               "Unknown attribute.")


@ACTIONS.action("DescribeInstanceAttribute", {"InstanceId": Req(str), "Attribute": Req(str)})
async def describe_instance_attribute(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    instance = cloud.ec2.instance(args["InstanceId"])
    name = args["Attribute"]
    if name in NOT_EMULATED:
        raise CloudError("UnsupportedOperation", f"The attribute '{name}' is not emulated in lblab.")
    if name not in ATTRIBUTES:
        raise _unknown_attribute(name)
    return {"instanceId": instance.instance_id, name: ATTRIBUTES[name](cloud, instance)}


@ACTIONS.action("ModifyInstanceAttribute", {
    "InstanceId": Req(str), "Attribute": str, "Value": str, "GroupId": [str], "InstanceType": {"Value": str},
    "UserData": {"Value": str}, "DisableApiTermination": BOOLEAN, "SourceDestCheck": BOOLEAN,
})
async def modify_instance_attribute(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    await cloud.ec2.modify_instance_attribute(args["InstanceId"], _change(args))
    return {"return": True}


def _change(args: dict[str, Any]) -> AttributeChange:
    """The one change asked for: by its own parameter, or as `attribute` + `value`."""
    changes = []
    if "GroupId" in args:
        changes.append(AttributeChange(group_ids=args["GroupId"]))
    if "InstanceType" in args:
        changes.append(AttributeChange(instance_type=args["InstanceType"].get("Value", "")))
    if "UserData" in args:
        # botocore base64-encodes the blob; the bytes are the script as typed.
        changes.append(AttributeChange(user_data=decode_user_data_base64(args["UserData"].get("Value", ""))))
    if "DisableApiTermination" in args:
        changes.append(AttributeChange(disable_api_termination=args["DisableApiTermination"].get("Value", False)))
    if "SourceDestCheck" in args:
        changes.append(AttributeChange(source_dest_check=args["SourceDestCheck"].get("Value", True)))
    if "Attribute" in args:
        changes.append(_by_name(args["Attribute"], args.get("Value")))
    if len(changes) != 1:
        raise CloudError("InvalidParameterCombination", "Exactly one attribute may be modified per request.")
    return changes[0]


def _by_name(name: str, value: str | None) -> AttributeChange:
    if value is None:
        raise CloudError("MissingParameter", "The request must contain the parameter value")
    flag = value.lower() == "true"
    by_name = {
        "instanceType": lambda: AttributeChange(instance_type=value),
        "disableApiTermination": lambda: AttributeChange(disable_api_termination=flag),
        "sourceDestCheck": lambda: AttributeChange(source_dest_check=flag),
    }
    if name not in by_name:
        raise _unknown_attribute(name)
    return by_name[name]()
