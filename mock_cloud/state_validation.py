"""Every resource of a loaded state is checked against its own declaration before the cloud uses it.

The checks are declarative and live with each resource: a dataclass's type annotations say what
each field holds (`port: int`, `launch_time: float`, `rules: list[SgRule]`, recursing into nested
dataclasses), and its `VALID` class attribute adds what a type cannot say (an enum, a range, an ID
format). A value that breaks either raises InvalidState (a ValueError); the cloud then sets the file
aside exactly like a corrupt one. Floats must be finite: a NaN clock would poison every deadline.

The plan for a class is built once from its annotations (they are strings, PEP 563; names the
module imports only for type checking are taken as "anything"), so loading stays one pass of
small Python checks over the objects.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import ipaddress
import math
import re
import sys
from collections.abc import Callable, Collection, Iterable
from typing import Any

# A check returns what is wrong with a value, or None when it is fine.
Check = Callable[[Any], str | None]


class InvalidState(ValueError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


# -- the declarations' vocabulary ---------------------------------------------------------------------
def one_of(values: Iterable[str]) -> Check:
    allowed = tuple(values)
    return lambda value: None if value in allowed else f"{value!r} is not one of {', '.join(allowed)}"


def in_range(low: int, high: int) -> Check:
    return lambda value: None if low <= value <= high else f"{value!r} is not between {low} and {high}"


def matches(pattern: str) -> Check:
    compiled = re.compile(pattern)
    return lambda value: None if compiled.fullmatch(value) else f"{value!r} does not look like {pattern}"


def aws_id(prefix: str) -> Check:
    """An EC2 resource ID: the prefix, a dash and 8 or 17 lowercase hex digits."""
    return matches(rf"{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})")


def each(check: Check) -> Check:
    return lambda values: next((problem for v in values if (problem := check(v)) is not None), None)


def optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def ipv4_address(value: str) -> str | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return f"{value!r} is not an IPv4 address"
    return None


def ipv4_network(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value)
    except ValueError:
        return f"{value!r} is not an IPv4 CIDR block"
    return None


def arn(service: str, resource: str) -> Check:
    return matches(rf"arn:aws:{service}:[a-z0-9-]+:\d{{12}}:{resource}/\S+")


PORT = in_range(1, 65535)


# -- checking -----------------------------------------------------------------------------------------
def check_resource(resource: Any, where: str) -> None:
    """Check one dataclass instance (and what it nests) against its declaration."""
    for name, check in _plan(type(resource)):
        check(getattr(resource, name), f"{where}.{name}")


def check_finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidState(where, f"{value!r} is not a finite number")
    return float(value)


# A field check: raises InvalidState naming where the bad value sits.
_FieldCheck = Callable[[Any, str], None]
_plans: dict[type, list[tuple[str, _FieldCheck]]] = {}


def _plan(cls: type) -> list[tuple[str, _FieldCheck]]:
    plan = _plans.get(cls)
    if plan is None:
        namespace = vars(sys.modules[cls.__module__])
        extra: dict[str, Check] = getattr(cls, "VALID", {})
        plan = [(f.name, _field_check(_annotation(f.type, namespace), extra.get(f.name)))
                for f in dataclasses.fields(cls)]
        _plans[cls] = plan
    return plan


def _field_check(typed: _FieldCheck, extra: Check | None) -> _FieldCheck:
    if extra is None:
        return typed

    def check(value: Any, where: str) -> None:
        typed(value, where)
        problem = extra(value)
        if problem is not None:
            raise InvalidState(where, problem)

    return check


def _anything(value: Any, where: str) -> None:
    return None


def _annotation(annotation: Any, namespace: dict[str, Any]) -> _FieldCheck:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    try:
        return _node(ast.parse(text, mode="eval").body, namespace)
    except SyntaxError:
        return _anything


def _node(node: ast.expr, namespace: dict[str, Any]) -> _FieldCheck:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([_node(node.left, namespace), _node(node.right, namespace)])
    if isinstance(node, ast.Constant) and node.value is None:
        return _instance(type(None), "None")
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return _generic(node.value.id, [_node(item, namespace) for item in items], items)
    if isinstance(node, ast.Name):
        return _named(node.id, namespace)
    return _anything


def _named(name: str, namespace: dict[str, Any]) -> _FieldCheck:
    if name == "float":
        return check_finite  # type: ignore[return-value]
    if name == "int":
        return _integer
    target = namespace.get(name, getattr(builtins, name, None))
    if dataclasses.is_dataclass(target) and isinstance(target, type):
        return _nested(target, name)
    if isinstance(target, type) and target is not object:
        return _instance(target, name)
    return _anything  # Any, a type alias, a name imported only for type checking


def _integer(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidState(where, f"{value!r} is not an integer")


def _instance(cls: type, name: str) -> _FieldCheck:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, cls):
            raise InvalidState(where, f"{value!r} is not {name}")

    return check


def _nested(cls: type, name: str) -> _FieldCheck:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, cls):
            raise InvalidState(where, f"{value!r} is not {name}")
        check_resource(value, where)

    return check


def _union(options: list[_FieldCheck]) -> _FieldCheck:
    def check(value: Any, where: str) -> None:
        problems = []
        for option in options:
            try:
                option(value, where)
                return
            except InvalidState as problem:
                problems.append(str(problem).removeprefix(f"{where}: "))
        raise InvalidState(where, " and ".join(dict.fromkeys(problems)))

    return check


def _generic(name: str, args: list[_FieldCheck], nodes: list[ast.expr]) -> _FieldCheck:
    if name in ("list", "set", "frozenset"):
        container: type = {"list": list, "set": set, "frozenset": frozenset}[name]
        return _items(container, name, lambda value: [(f"[{i}]", v, args[0]) for i, v in enumerate(value)])
    if name == "dict":
        key, item = args
        return _items(dict, name, lambda value: [
            entry for k, v in value.items() for entry in ((f"<key {k!r}>", k, key), (f"[{k!r}]", v, item))])
    if name == "tuple":
        if len(nodes) == 2 and isinstance(nodes[1], ast.Constant) and nodes[1].value is Ellipsis:
            return _items(tuple, name, lambda value: [(f"[{i}]", v, args[0]) for i, v in enumerate(value)])
        return _fixed_tuple(args)
    return _anything


def _items(container: type, name: str,
           parts: Callable[[Any], Collection[tuple[str, Any, _FieldCheck]]]) -> _FieldCheck:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, container):
            raise InvalidState(where, f"{value!r} is not a {name}")
        for suffix, item, item_check in parts(value):
            item_check(item, where + suffix)

    return check


def _fixed_tuple(args: list[_FieldCheck]) -> _FieldCheck:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, tuple) or len(value) != len(args):
            raise InvalidState(where, f"{value!r} is not a tuple of {len(args)}")
        for index, (item, item_check) in enumerate(zip(value, args, strict=True)):
            item_check(item, f"{where}[{index}]")

    return check
