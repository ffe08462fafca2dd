"""A small declarative schema over YAML nodes, so every error can name its file, line and expectation.

Lab files are read with `yaml.compose`, which keeps each node's position; the kinds below turn
nodes into plain Python values and raise `SchemaError` at the offending node. Hand-written on
purpose: the messages are what a lab author reads, and a schema library would word them for us.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from labs.text import LANGS, Text


class SchemaError(Exception):
    def __init__(self, node: yaml.Node | None, where: str, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node is not None else 0
        self.column = node.start_mark.column + 1 if node is not None else 0
        self.where = where
        self.message = message

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def describe(node: yaml.Node) -> str:
    """What the author wrote, in a word, for "expected X, got Y"."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = scalar(node)
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the text {str(value)[:40]!r}"


def scalar(node: yaml.Node) -> Any:
    # A fresh constructor each time: a shared one would remember every node it ever built.
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def child(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


class Kind:
    """Converts one node; `expected` completes the sentence "expected ...". """

    expected = "a value"

    def convert(self, node: yaml.Node, where: str) -> Any:
        raise NotImplementedError

    def fail(self, node: yaml.Node, where: str) -> SchemaError:
        return SchemaError(node, where, f"expected {self.expected}, got {describe(node)}")


@dataclass(frozen=True)
class Str(Kind):
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_text: str = ""

    @property
    def expected(self) -> str:  # type: ignore[override]
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return self.pattern_text or "a text"

    def convert(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, where)
        value = scalar(node)
        if value is None or isinstance(value, bool):
            raise self.fail(node, where)
        text = str(value)
        if self.choices and text not in self.choices:
            raise SchemaError(node, where, f"expected {self.expected}, got {text!r}")
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise SchemaError(node, where, f"expected {self.expected}, got {text!r}")
        return text


@dataclass(frozen=True)
class Int(Kind):
    low: int | None = None
    high: int | None = None

    @property
    def expected(self) -> str:  # type: ignore[override]
        if self.low is not None and self.high is not None:
            return f"a whole number from {self.low} to {self.high}"
        if self.low is not None:
            return f"a whole number of at least {self.low}"
        return "a whole number"

    def convert(self, node: yaml.Node, where: str) -> int:
        value = scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(node, where)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise SchemaError(node, where, f"expected {self.expected}, got {value}")
        return value


class Bool(Kind):
    expected = "true or false"

    def convert(self, node: yaml.Node, where: str) -> bool:
        value = scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            raise self.fail(node, where)
        return value


@dataclass(frozen=True)
class ListOf(Kind):
    item: Kind
    min_items: int = 0
    single: bool = False  # a lone item may stand for a list of one
    unique: Callable[[Any], str] | None = None  # the key that must differ between items (an id)

    @property
    def expected(self) -> str:  # type: ignore[override]
        least = f" (at least {self.min_items})" if self.min_items else ""
        return f"a list{least} of {self.item.expected}"

    def convert(self, node: yaml.Node, where: str) -> list[Any]:
        if self.single and not isinstance(node, yaml.SequenceNode):
            return [self.item.convert(node, where)]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, where)
        if len(node.value) < self.min_items:
            raise SchemaError(node, where, f"expected {self.expected}, got {len(node.value)}")
        items = [self.item.convert(item, child(where, index)) for index, item in enumerate(node.value)]
        if self.unique is not None:
            seen: set[str] = set()
            for index, (item_node, item) in enumerate(zip(node.value, items, strict=True)):
                key = self.unique(item)
                if key in seen:
                    raise SchemaError(item_node, child(where, index), f"the id '{key}' is used twice")
                seen.add(key)
        return items


class StrMap(Kind):
    """A mapping of names to texts (HTTP headers, query parameters)."""

    expected = "a mapping of names to texts"

    def convert(self, node: yaml.Node, where: str) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where)
        return {Str().convert(k, where): Str().convert(v, child(where, str(scalar(k)))) for k, v in node.value}


@dataclass(frozen=True)
class TextKind(Kind):
    """`{ko: ..., en: ...}`; both languages are required. `check` vets the text (placeholders)."""

    check: Callable[[str], str | None] | None = None
    expected = "a mapping with 'ko' and 'en' texts"

    def convert(self, node: yaml.Node, where: str) -> Text:
        fields: dict[str, Field] = {lang: Field(Str(), required=True) for lang in LANGS}
        values = Record(fields).convert(node, where) if isinstance(node, yaml.MappingNode) else None
        if values is None:
            raise self.fail(node, where)
        if self.check is not None:
            for key, value_node in node.value:
                problem = self.check(str(scalar(value_node)))
                if problem:
                    raise SchemaError(value_node, child(where, str(scalar(key))), problem)
        return Text(values["ko"], values["en"])


@dataclass(frozen=True)
class Field:
    kind: Kind
    required: bool = False
    default: Any = None


@dataclass(frozen=True)
class Record(Kind):
    """A mapping with known keys. `one_of`: exactly one of these keys must be given; `any_of`: at least one."""

    fields: Mapping[str, Field]
    one_of: tuple[str, ...] = ()
    name: str = "mapping"
    any_of: tuple[str, ...] = ()

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a {self.name}"

    def convert(self, node: yaml.Node, where: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where)
        values = convert_fields(node, where, self.fields, self.one_of, self.name)
        if self.any_of and all(values[key] is None for key in self.any_of):
            raise SchemaError(node, where, f"expected at least one of {', '.join(self.any_of)} in {self.name}")
        return values


def convert_fields(node: yaml.MappingNode, where: str, fields: Mapping[str, Field], one_of: Sequence[str] = (),
                   name: str = "mapping", skip: Sequence[str] = ()) -> dict[str, Any]:
    """The checked values of `node`'s keys; keys in `skip` are someone else's to read."""
    seen: dict[str, yaml.Node] = {}
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            raise SchemaError(key_node, where, f"expected a key name, got {describe(key_node)}")
        if key in seen:
            raise SchemaError(key_node, child(where, key), f"'{key}' is given twice")
        seen[key] = value_node
        if key in skip:
            continue
        spec = fields.get(key)
        if spec is None:
            known = ", ".join(sorted(fields)) or "none"
            raise SchemaError(key_node, child(where, key), f"unknown key '{key}' in {name}; expected one of: {known}")
        out[key] = spec.kind.convert(value_node, child(where, key))
    for key, spec in fields.items():
        if key not in seen:
            if spec.required:
                raise SchemaError(node, where, f"missing key '{key}' ({spec.kind.expected}) in {name}")
            out[key] = spec.default
    if one_of:
        given = [key for key in one_of if key in seen]
        if len(given) != 1:
            raise SchemaError(node, where, f"expected exactly one of {', '.join(one_of)} in {name}, "
                                           f"got {', '.join(given) or 'none'}")
    return out


@dataclass(frozen=True)
class Variant:
    """One type of a tagged record (a criterion type, an action)."""

    fields: Mapping[str, Field]
    one_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tagged(Kind):
    """A mapping whose `tag` key picks its variant: `{type: traffic, ...}`, `{action: stop_instances, ...}`.

    Returns (tag value, common values, variant values, line)."""

    tag: str
    variants: Mapping[str, Variant]
    common: Mapping[str, Field] = field(default_factory=dict)
    name: str = "item"

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a {self.name} (a mapping with '{self.tag}')"

    def convert(self, node: yaml.Node, where: str) -> tuple[str, dict[str, Any], dict[str, Any], int]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where)
        tag_node = next((v for k, v in node.value if scalar(k) == self.tag), None)
        if tag_node is None:
            raise SchemaError(node, where, f"missing key '{self.tag}' in {self.name}; expected one of: "
                                           f"{', '.join(sorted(self.variants))}")
        tag = Str().convert(tag_node, child(where, self.tag))
        variant = self.variants.get(tag)
        if variant is None:
            raise SchemaError(tag_node, child(where, self.tag), f"unknown {self.name} {self.tag} '{tag}'; expected "
                                                                 f"one of: {', '.join(sorted(self.variants))}")
        named = f"{self.name} '{tag}'"
        values = convert_fields(node, where, {**self.common, **variant.fields}, variant.one_of, named, skip=[self.tag])
        common = {k: v for k, v in values.items() if k in self.common}
        own = {k: v for k, v in values.items() if k not in self.common}
        return tag, common, own, node.start_mark.line + 1
