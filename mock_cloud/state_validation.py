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
import functools
import ipaddress
import math
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, cast

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


def _parses(parse: Callable[[str], object], what: str) -> Check:
    # Cached: states repeat their addresses and CIDR blocks (0.0.0.0/0) many times over.
    @functools.lru_cache(maxsize=4096)
    def check(value: str) -> str | None:
        try:
            parse(value)
        except ValueError:
            return f"{value!r} is not {what}"
        return None

    return check


ipv4_address = _parses(ipaddress.IPv4Address, "an IPv4 address")
ipv4_network = _parses(ipaddress.IPv4Network, "an IPv4 CIDR block")


def arn(service: str, resource: str) -> Check:
    return matches(rf"arn:aws:{service}:[a-z0-9-]+:\d{{12}}:{resource}/\S+")


PORT = in_range(1, 65535)


# -- checking -----------------------------------------------------------------------------------------
# A field check returns None, or (where below the field, what is wrong): the location is only spelled
# out for the one value that is wrong, so a big state checks at the speed of isinstance.
Problem = tuple[str, str]
_FieldCheck = Callable[[Any], Problem | None]
_plans: dict[type, list[tuple[str, _FieldCheck]]] = {}


def check_resource(resource: Any, where: str) -> None:
    """Check one dataclass instance (and what it nests) against its declaration."""
    problem = _check_fields(resource)
    if problem is not None:
        raise InvalidState(where + problem[0], problem[1])


def check_finite(value: Any, where: str) -> float:
    problem = _finite(value)
    if problem is not None:
        raise InvalidState(where, problem[1])
    return float(value)


def _check_fields(resource: Any) -> Problem | None:
    for name, check in _plan(type(resource)):
        problem = check(getattr(resource, name))
        if problem is not None:
            return f".{name}{problem[0]}", problem[1]
    return None


def _plan(cls: type) -> list[tuple[str, _FieldCheck]]:
    plan = _plans.get(cls)
    if plan is None:
        namespace = vars(sys.modules[cls.__module__])
        extra: dict[str, Check] = getattr(cls, "VALID", {})
        plan = [(f.name, _with_extra(_annotation(f.type, namespace), extra.get(f.name)))
                for f in dataclasses.fields(cls)]
        plan = [(name, check) for name, check in plan if check is not _anything]
        _plans[cls] = plan
    return plan


def _with_extra(typed: _FieldCheck, extra: Check | None) -> _FieldCheck:
    if extra is None:
        return typed

    def check(value: Any) -> Problem | None:
        problem = typed(value)
        if problem is None and (wrong := extra(value)) is not None:
            return "", wrong
        return problem

    return check


def _anything(value: Any) -> Problem | None:
    return None


def _finite(value: Any) -> Problem | None:
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return None
    return "", f"{value!r} is not a finite number"


def _integer(value: Any) -> Problem | None:
    return None if type(value) is int else ("", f"{value!r} is not an integer")


def _annotation(annotation: Any, namespace: dict[str, Any]) -> _FieldCheck:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    try:
        return _node(ast.parse(text, mode="eval").body, namespace)
    except SyntaxError:
        return _anything


def _node(node: ast.expr, namespace: dict[str, Any]) -> _FieldCheck:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(_node(node.left, namespace), _node(node.right, namespace))
    if isinstance(node, ast.Constant) and node.value is None:
        return _instance(type(None), "None")
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return _generic(node.value.id, [_node(item, namespace) for item in items], items)
    if isinstance(node, ast.Name):
        return _named(node.id, namespace)
    return _anything


def _named(name: str, namespace: dict[str, Any]) -> _FieldCheck:
    if name in ("float", "int"):
        return _finite if name == "float" else _integer
    target = namespace.get(name, getattr(builtins, name, None))
    if isinstance(target, type) and dataclasses.is_dataclass(target):
        return _nested(target, name)
    if isinstance(target, type) and target is not object:
        return _instance(target, name)
    return _anything  # Any, a type alias, a name imported only for type checking


def _instance(cls: type, name: str) -> _FieldCheck:
    return lambda value: None if isinstance(value, cls) else ("", f"{value!r} is not {name}")


def _nested(cls: type, name: str) -> _FieldCheck:
    return lambda value: _check_fields(value) if isinstance(value, cls) else ("", f"{value!r} is not {name}")


def _union(first: _FieldCheck, second: _FieldCheck) -> _FieldCheck:
    if _anything in (first, second):
        return _anything

    def check(value: Any) -> Problem | None:
        problem = first(value)
        if problem is None:
            return None
        other = second(value)
        if other is None:
            return None
        return (problem[0], f"{problem[1]} and {other[1].removeprefix(repr(value) + ' ')}"
                if problem[0] == other[0] == "" else problem[1])

    return check


def _generic(name: str, args: list[_FieldCheck], nodes: list[ast.expr]) -> _FieldCheck:
    if name in ("list", "set", "frozenset") or (
            name == "tuple" and len(nodes) == 2 and isinstance(nodes[1], ast.Constant) and nodes[1].value is Ellipsis):
        return _sequence({"list": list, "set": set, "frozenset": frozenset, "tuple": tuple}[name], name, args[0])
    if name == "dict":
        return _mapping(args[0], args[1])
    if name == "tuple":
        return _fixed_tuple(args)
    return _anything


def _sequence(container: type, name: str, item: _FieldCheck) -> _FieldCheck:
    def check(value: Any) -> Problem | None:
        if not isinstance(value, container):
            return "", f"{value!r} is not a {name}"
        if item is not _anything:
            for index, element in enumerate(cast("Iterable[Any]", value)):  # a list, set or tuple
                problem = item(element)
                if problem is not None:
                    return f"[{index}]{problem[0]}", problem[1]
        return None

    return check


def _mapping(key: _FieldCheck, item: _FieldCheck) -> _FieldCheck:
    def check(value: Any) -> Problem | None:
        if not isinstance(value, dict):
            return "", f"{value!r} is not a dict"
        for k, v in value.items():
            problem = key(k)
            if problem is not None:
                return f"<key {k!r}>", problem[1]
            problem = item(v)
            if problem is not None:
                return f"[{k!r}]{problem[0]}", problem[1]
        return None

    return check


def _fixed_tuple(args: list[_FieldCheck]) -> _FieldCheck:
    def check(value: Any) -> Problem | None:
        if not isinstance(value, tuple) or len(value) != len(args):
            return "", f"{value!r} is not a tuple of {len(args)}"
        for index, (element, element_check) in enumerate(zip(value, args, strict=True)):
            problem = element_check(element)
            if problem is not None:
                return f"[{index}]{problem[0]}", problem[1]
        return None

    return check
