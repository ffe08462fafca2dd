"""Query-protocol XML: results and error documents as botocore parses them.

Handlers return plain dicts keyed by wire element names (lowerCamel for EC2, UpperCamel for
ELBv2); one renderer turns any of them into XML: lists become `<item>` (EC2) or `<member>` (ELBv2)
children, None leaves an element out, booleans are `true`/`false`.
"""

from __future__ import annotations

import re
import time
from typing import Any
from xml.sax.saxutils import escape

EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
ELBV2_NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
_PROLOGUE = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all; an echoed hostile value must not break the document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def render(name: str, value: Any, item: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return f"<{name}>{children(value, item)}</{name}>"
    if isinstance(value, list):
        return f"<{name}>{''.join(render(item, v, item) for v in value)}</{name}>"
    return f"<{name}>{text(value)}</{name}>"


def children(fields: dict[str, Any], item: str) -> str:
    return "".join(render(key, value, item) for key, value in fields.items())


def timestamp(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds, as AWS writes launch and creation times."""
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


def ec2_document(action: str, result: dict[str, Any], request_id: str) -> str:
    body = children({"requestId": request_id, **result}, "item")
    return f'{_PROLOGUE}<{action}Response xmlns="{EC2_NAMESPACE}">{body}</{action}Response>'


def ec2_error(code: str, message: str, request_id: str) -> str:
    error = render("Error", {"Code": code, "Message": message}, "item")
    return f"{_PROLOGUE}<Response><Errors>{error}</Errors><RequestID>{text(request_id)}</RequestID></Response>"


def elbv2_document(action: str, result: dict[str, Any], request_id: str) -> str:
    body = render(f"{action}Result", result, "member")
    metadata = render("ResponseMetadata", {"RequestId": request_id}, "member")
    return f'{_PROLOGUE}<{action}Response xmlns="{ELBV2_NAMESPACE}">{body}{metadata}</{action}Response>'


def elbv2_error(code: str, message: str, request_id: str, status: int) -> str:
    error = render("Error", {"Type": "Sender" if status < 500 else "Receiver", "Code": code, "Message": message},
                   "member")
    return (f'{_PROLOGUE}<ErrorResponse xmlns="{ELBV2_NAMESPACE}">{error}'
            f"<RequestId>{text(request_id)}</RequestId></ErrorResponse>")
