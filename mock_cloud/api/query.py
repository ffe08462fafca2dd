"""Query-protocol parameters: flattened keys back into typed values, read through small schemas.

A request names nested values with dotted keys: `Filter.1.Name`, `IpPermissions.1.IpRanges.2.CidrIp`
(EC2), or with `member` before each list index: `Subnets.member.1`, `Actions.member.1.Type` (ELBv2).
`unflatten` turns the pairs into a tree; `parse` reads that tree as an action's schema says, so a
handler gets plain Python values (str, int, bool, lists, dicts) and never a malformed one: anything
missing or of the wrong type is refused in the service's own words before a service method runs.

A schema is a dict of wire names to `str`, `int`, `bool`, a nested dict (a structure), a one-item
list (a list of that schema), or `Req(...)` around any of these for required parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mock_cloud.errors import CloudError, validation

INT32 = (-(2**31), 2**31 - 1)
_INDEX = re.compile(r"\d+")
_INTEGER = re.compile(r"[+-]?\d{1,19}")
_MESSAGE_VALUE_LIMIT = 100
# The deepest parameter of any schema has 8 parts (Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight).
MAX_KEY_PARTS = 16


@dataclass
class Node:
    """One dotted-key prefix: its own value (if the request set it) and its children."""

    value: str | None = None
    children: dict[str, Node] = field(default_factory=dict)


@dataclass(frozen=True)
class Req:
    """A required parameter."""

    schema: Any


Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Dialect:
    """What differs between EC2's and ELBv2's Query flavours: list keys and error wording."""

    list_prefix: tuple[str, ...]
    missing: Callable[[Path], CloudError]
    invalid: Callable[[Path, str, str], CloudError]


def unflatten(pairs: Iterable[tuple[str, str]]) -> Node:
    root = Node()
    for key, value in pairs:
        parts = key.split(".", MAX_KEY_PARTS)
        if len(parts) > MAX_KEY_PARTS:
            continue  # deeper than any schema: noise, and building it would tie up the event loop
        node = root
        for part in parts:
            node = node.children.setdefault(part, Node())
        node.value = value
    return root


def parse(node: Node, schema: dict[str, Any], dialect: Dialect, path: Path = ()) -> dict[str, Any]:
    """The parameters `schema` names, typed; absent optional ones are left out."""
    out: dict[str, Any] = {}
    for name, spec in schema.items():
        required = isinstance(spec, Req)
        spec = spec.schema if required else spec
        child = node.children.get(name)
        value = None if child is None else _read(child, spec, dialect, (*path, name))
        if value is None or value == []:
            if required:
                raise dialect.missing((*path, name))
            if value is None:
                continue
        out[name] = value
    return out


def _read(node: Node, spec: Any, dialect: Dialect, path: Path) -> Any:
    if isinstance(spec, dict):
        return parse(node, spec, dialect, path)
    if isinstance(spec, list):
        return [_read(item, spec[0], dialect, (*path, index)) for index, item in _items(node, dialect, path)]
    if node.value is None:
        # `X.1=...` where X is a plain value: a list or structure given for a scalar.
        raise dialect.invalid(path, "(a list or structure)", _kind(spec))
    return _scalar(node.value, spec, dialect, path)


def _items(node: Node, dialect: Dialect, path: Path) -> list[tuple[int, Node]]:
    """A list's members in index order. As AWS does, the members given are the list: `X.7` alone is a
    one-member list (indexes need not start at 1 nor be consecutive), and `X=` with no member (botocore's
    way to send an empty list) is an empty one. A member whose index is not a number is refused, never
    dropped: a filter that loses its only member would silently become no filter at all."""
    for part in (*dialect.list_prefix, None):
        if node.value is not None and not node.children:
            if node.value == "":
                return []
            raise dialect.invalid(path, node.value, "a list")
        if part is not None:
            node = node.children.get(part, Node())
    for key in node.children:
        if not _INDEX.fullmatch(key):
            raise dialect.invalid((*path, key), "(a list member)", "a list member with a numeric index")
    ordered = sorted(node.children.items(), key=lambda item: (len(item[0].lstrip("0")), item[0].lstrip("0")))
    return [(position, child) for position, (_, child) in enumerate(ordered, 1)]


def _scalar(text: str, spec: Any, dialect: Dialect, path: Path) -> Any:
    if spec is str:
        return text
    if spec is bool:
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise dialect.invalid(path, text, "a boolean (true or false)")
        return lowered == "true"
    if spec is int:
        stripped = text.strip()
        if not _INTEGER.fullmatch(stripped) or not INT32[0] <= int(stripped) <= INT32[1]:
            raise dialect.invalid(path, text, "an integer")
        return int(stripped)
    raise TypeError(f"unknown schema type {spec!r}")


def _kind(spec: Any) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean (true or false)"}.get(spec, "a value")


def shown(value: str) -> str:
    """A request value quoted in an error message: hostile input is cut short."""
    return value if len(value) <= _MESSAGE_VALUE_LIMIT else value[:_MESSAGE_VALUE_LIMIT] + "..."


# -- the two dialects --------------------------------------------------------------------------------


def _ec2_name(path: Path) -> str:
    return ".".join(str(p) for p in path)


EC2 = Dialect(
    list_prefix=(),
    missing=lambda path: CloudError("MissingParameter", f"The request must contain the parameter {_ec2_name(path)}"),
    invalid=lambda path, value, kind: CloudError(
        "InvalidParameterValue", f"Invalid value '{shown(value)}' for {_ec2_name(path)}: it must be {kind}"
    ),
)


def _elbv2_name(path: Path) -> str:
    """AWS's member path in ELBv2 validation messages: `actions.1.member.type`."""
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts += [str(part), "member"]
        else:
            parts.append(part[:1].lower() + part[1:])
    return ".".join(parts)


ELBV2 = Dialect(
    list_prefix=("member",),
    missing=lambda path: validation(
        f"1 validation error detected: Value null at '{_elbv2_name(path)}' failed to satisfy constraint: "
        "Member must not be null"
    ),
    invalid=lambda path, value, kind: validation(
        f"1 validation error detected: Value '{shown(value)}' at '{_elbv2_name(path)}' failed to satisfy "
        f"constraint: Member must be {kind}"
    ),
)
