"""The instance metadata service (IMDSv1 and v2) at 169.254.169.254, as curl sees it.

User data reads its instance ID, AZ and IPs from here; the answers come from the instance's own
metadata, so nothing about the host or the cloud's process leaks into a guest.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_cloud.http1 import reason_phrase

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS

IMDS_HOST = "169.254.169.254"
_IMDS_PAGE = """<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>{status} - {reason}</title>
 </head>
 <body>
  <h1>{status} - {reason}</h1>
 </body>
</html>
"""
@dataclass
class LocalReply:
    status: int
    headers: dict[str, str]
    body: bytes


def _imds_token(os: InstanceOS) -> str:
    digest = hashlib.sha256(("lblab-imds:" + os.metadata.get("instance-id", os.hostname)).encode()).digest()
    return "AQAEA" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def imds(os: InstanceOS, method: str, path: str, headers: dict[str, str]) -> LocalReply:
    """The instance metadata service (IMDSv1 and v2) answered from InstanceOS.metadata."""
    path = path.split("?", 1)[0]
    lowered = {k.lower(): v for k, v in headers.items()}

    def page(status: int) -> LocalReply:
        body = _IMDS_PAGE.format(status=status, reason=reason_phrase(status)).encode()
        return LocalReply(status, {"Content-Type": "text/html"}, body)

    def text(value: str) -> LocalReply:
        return LocalReply(200, {"Content-Type": "text/plain"}, value.encode())

    if path == "/latest/api/token":
        if method != "PUT":
            return page(405)
        if "x-aws-ec2-metadata-token-ttl-seconds" not in lowered:
            return page(400)
        return text(_imds_token(os))
    if os.http_tokens == "required" and not lowered.get("x-aws-ec2-metadata-token"):
        return page(401)
    metadata = os.metadata
    if path in ("", "/"):
        return text("latest")
    if path.rstrip("/") == "/latest":
        return text("dynamic\nmeta-data\nuser-data")
    if path == "/latest/user-data":
        if os.user_data is not None:
            return text(os.user_data)
        stored = "/var/lib/cloud/instance/user-data.txt"  # a state saved before IMDS kept the attribute
        return text(os.fs.read_text(stored)) if os.fs.is_file(stored) else page(404)
    if path.rstrip("/") == "/latest/dynamic/instance-identity/document":
        zone = metadata.get("placement/availability-zone", "")
        document = {"accountId": "123456789012", "architecture": "x86_64", "availabilityZone": zone,
                    "imageId": metadata.get("ami-id", ""), "instanceId": metadata.get("instance-id", ""),
                    "instanceType": metadata.get("instance-type", ""),
                    "privateIp": metadata.get("local-ipv4", ""),
                    "region": metadata.get("placement/region", zone[:-1]), "version": "2017-09-30"}
        return text(json.dumps(document, indent=2))
    prefix = "/latest/meta-data"
    if not (path + "/").startswith(prefix + "/"):
        return page(404)
    key = path[len(prefix) :].strip("/")
    if key in metadata and not path.endswith("/"):
        return text(metadata[key])
    below = [k[len(key) + 1 :] if key else k for k in metadata if not key or k.startswith(key + "/")]
    children = sorted({rest.split("/", 1)[0] + ("/" if "/" in rest else "") for rest in below})
    return text("\n".join(children)) if children else page(404)
