"""Paged Describe answers: EC2's MaxResults/NextToken and ELBv2's PageSize/Marker, as boto3's paginators walk them.

A token is opaque to clients; here it is the position of the next item, base64-encoded. Without a page
size every remaining item comes back (AWS's default for these actions), so callers that never page see
the whole list as before.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from mock_cloud.api.query import shown
from mock_cloud.errors import CloudError, validation

T = TypeVar("T")
_PREFIX = "lblab-page:"
ELBV2_PAGE_SIZE = (1, 400)


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode("ascii")


def _position(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    digits = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not digits.isdigit() or len(digits) > 9:
        return None
    return int(digits)


def _slice(items: Sequence[T], start: int, size: int | None) -> tuple[list[T], str | None]:
    end = len(items) if size is None else start + size
    return list(items[start:end]), _token(end) if end < len(items) else None


def ec2_page(items: Sequence[T], args: dict[str, Any], *, ids: tuple[str, str] | None = None,
             limits: tuple[int, int] = (5, 1000)) -> tuple[list[T], str | None]:
    """One page of `items` and the next token. `ids` names the ID-list parameter (wire name, name in AWS's
    message) that AWS refuses together with MaxResults."""
    size = args.get("MaxResults")
    if size is not None:
        if ids is not None and args.get(ids[0]):
            raise CloudError("InvalidParameterCombination",
                             f"The parameter {ids[1]} cannot be used with the parameter maxResults")
        low, high = limits
        if not low <= size <= high:
            bound = f"greater than {low}" if size < low else f"less than or equal to {high}"
            raise CloudError("InvalidParameterValue",
                             f"Value ( {size} ) for parameter maxResults is invalid. Expecting a value {bound}.")
    start = 0
    if "NextToken" in args:
        position = _position(args["NextToken"])
        if position is None:
            raise CloudError("InvalidParameterValue", f"Value ( {shown(args['NextToken'])} ) for parameter "
                                                      "NextToken is invalid. The token is invalid.")
        start = position
    return _slice(items, start, size)


def elbv2_page(items: Sequence[T], args: dict[str, Any]) -> tuple[list[T], str | None]:
    """One page of `items` and the next marker."""
    size = args.get("PageSize")
    if size is not None and not ELBV2_PAGE_SIZE[0] <= size <= ELBV2_PAGE_SIZE[1]:
        relation = ("greater than or equal to 1" if size < ELBV2_PAGE_SIZE[0]
                    else f"less than or equal to {ELBV2_PAGE_SIZE[1]}")
        raise validation(f"1 validation error detected: Value '{size}' at 'pageSize' failed to satisfy "
                         f"constraint: Member must have value {relation}")
    start = 0
    if "Marker" in args:
        position = _position(args["Marker"])
        if position is None:
            raise validation(f"The marker '{shown(args['Marker'])}' is not valid")
        start = position
    return _slice(items, start, size)
