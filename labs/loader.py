"""Finding, checking and loading the lab files (`labs/*.yaml`); see labs/README.md for the format.

A broken file never crashes anything: `list_labs()` lists it as broken with an error that names
the file, the line and what was expected there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from labs.actions import ACTIONS
from labs.catalog import LABS_DIR, MAX_FILE_BYTES, format_catalog
from labs.criteria import CRITERIA
from labs.model import Action, Criterion, Lab, LabInfo, Step
from labs.placeholders import problem as placeholder_problem
from labs.schema import Field, Int, ListOf, Record, SchemaError, Str, Tagged, TextKind, Variant
from labs.text import Text

# MAX_FILE_BYTES: far beyond any real lab (at most 25 KB, 800 values, nested a dozen levels), far
# below harm: the pure-Python YAML parser takes about a second per 30 000 values.
MAX_NODES = 20_000
MAX_DEPTH = 64
_ID = Str(pattern=r"[a-z0-9][a-z0-9-]*", pattern_text="an id (lower-case letters, digits and hyphens)")
_TEXT = TextKind(check=placeholder_problem)

_CRITERION = Tagged("type", {name: Variant(kind.fields) for name, kind in CRITERIA.items()},
                    common={"id": Field(_ID, required=True), "label": Field(_TEXT)}, name="criterion")
_ACTION = Tagged("do", {name: Variant(kind.fields) for name, kind in ACTIONS.items()}, name="action")
_STEP = Record({
    "id": Field(_ID, required=True),
    "title": Field(_TEXT, required=True),
    "instructions": Field(_TEXT, required=True),
    "hints": Field(ListOf(_TEXT), default=[]),
    "check": Field(ListOf(_CRITERION, min_items=1, unique=lambda c: c[1]["id"]), required=True),
    "solution": Field(ListOf(_ACTION), default=[]),
}, name="step")
_LAB = Record({
    "id": Field(_ID, required=True),
    "order": Field(Int(0), default=100),
    "title": Field(_TEXT, required=True),
    "description": Field(_TEXT, required=True),
    "estimated_minutes": Field(Int(1, 600), required=True),
    "time_scale": Field(Int(0, 1000), default=30),
    "setup": Field(ListOf(_ACTION), default=[]),
    "steps": Field(ListOf(_STEP, min_items=1, unique=lambda s: s["id"]), required=True),
    "finish": Field(_TEXT, required=True),
}, name="lab")


class LabLoadError(Exception):
    def __init__(self, path: Path, line: int, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.path, self.line, self.column, self.message = path, line, column, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}:{self.column}: {self.message}" if self.column else f"{where}: {self.message}"


def lab_path(lab_id: str, directory: Path | None = None) -> Path:
    return (directory or LABS_DIR) / f"{lab_id}.yaml"


def load_lab(lab_id: str, directory: Path | None = None) -> Lab:
    """The lab `lab_id`, checked; raises LabLoadError naming file, line and expectation."""
    return _load(lab_path(lab_id, directory), directory, ())


def list_labs(directory: Path | None = None) -> list[LabInfo]:
    """Every lab file, in the intended order; broken ones last, each with its error."""
    infos = [lab_info(path, directory) for path in sorted((directory or LABS_DIR).glob("*.yaml"))]
    return sorted(infos, key=lambda info: (info.broken, info.order, info.id))


def lab_info(path: Path, directory: Path | None = None) -> LabInfo:
    """The lab file at `path` as the list shows it, checked in full."""
    try:
        lab = _load(path, directory, ())
    except LabLoadError as exc:
        return LabInfo(path.stem, path, Text.same(path.stem), Text.same(""), 0, 0, broken=True, error=str(exc))
    return LabInfo(lab.id, path, lab.title, lab.description, lab.estimated_minutes, len(lab.steps), order=lab.order)


def _load(path: Path, directory: Path | None, loading: tuple[str, ...]) -> Lab:
    if not path.is_file():
        raise LabLoadError(path, 0, "no such lab file")
    lab = _parse(path)
    _check_references(lab, directory, (*loading, lab.id))
    return lab


# The last lab read from each file, with the text it was read from. The YAML composer, pure Python for its limits
# (_GuardedLoader), takes 20–50 ms per lab, and the console reads a lab again each time it opens one, the lab list
# all of them. A lab is immutable (labs/model.py); a file whose text changed is read anew.
_parsed: dict[Path, tuple[str, Lab]] = {}


def _parse(path: Path) -> Lab:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LabLoadError(path, 0, f"the file is over {MAX_FILE_BYTES // 1024} KB; a lab is a few KB of YAML")
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        column = exc.start - (exc.object.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LabLoadError(path, line, f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot start a "
                                       "character (lab files are UTF-8)", column) from None
    except OSError as exc:
        raise LabLoadError(path, 0, f"cannot read the file: {exc}") from None
    cached = _parsed.get(path)
    if cached is not None and cached[0] == text:
        return cached[1]
    lab = _parse_text(path, text)
    _parsed[path] = (text, lab)
    return lab


def _parse_text(path: Path, text: str) -> Lab:
    try:
        root = yaml.compose(text, Loader=_GuardedLoader)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, most control characters)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise LabLoadError(path, line, f"invalid YAML: the character {_shown(exc.character)} is not allowed in YAML",
                           column) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None
    if root is None:
        raise LabLoadError(path, 1, "the file is empty; expected a lab (a mapping with id, title, steps, ...)")
    _check_expansion(path, root)
    try:
        values = _LAB.convert(root, "")
    except SchemaError as exc:
        raise LabLoadError(path, exc.line, str(exc), exc.column) from None
    except yaml.YAMLError as exc:  # a value YAML itself cannot build, e.g. an unknown !!tag
        raise _yaml_error(path, exc) from None
    lab = _build(values, path)
    if lab.id != path.stem:
        id_node = next(value for key, value in root.value if key.value == "id")
        raise LabLoadError(path, id_node.start_mark.line + 1,
                           f"id: expected the file's name '{path.stem}' as the lab's id, got '{lab.id}'",
                           id_node.start_mark.column + 1)
    return lab


def _shown(character: int | str) -> str:
    return f"U+{character if isinstance(character, int) else ord(character[:1] or ' '):04X}"


def _yaml_error(path: Path, exc: yaml.YAMLError) -> LabLoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    column = mark.column + 1 if mark is not None else 0
    return LabLoadError(path, line, f"invalid YAML: {getattr(exc, 'problem', None) or exc}", column)


class _GuardedLoader(yaml.SafeLoader):
    """The safe loader, refusing (with the line) what would exhaust the composer, which recurses:
    nesting deeper than MAX_DEPTH, and more than MAX_NODES values."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_DEPTH or self._nodes > MAX_NODES:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            problem = (f"nested more than {MAX_DEPTH} levels deep" if self._depth > MAX_DEPTH
                       else f"more than {MAX_NODES} YAML values")
            raise yaml.MarkedYAMLError(problem=problem, problem_mark=mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_expansion(path: Path, root: yaml.Node) -> None:
    """Aliases make the composed document a graph: refuse one that expands past the limits (a
    'billion laughs') or that contains itself, before anything walks it."""
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    visited = 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > MAX_NODES or depth > MAX_DEPTH:
            raise LabLoadError(path, node.start_mark.line + 1,
                               "anchors and aliases expand this file beyond what a lab can be (or into itself)",
                               node.start_mark.column + 1)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [(key, depth + 1), (value, depth + 1)]


def _build(values: dict[str, Any], path: Path) -> Lab:
    steps = tuple(
        Step(s["id"], s["title"], s["instructions"], tuple(s["hints"]),
             tuple(Criterion(common["id"], kind, own, common["label"], line) for kind, common, own, line in s["check"]),
             _actions(s["solution"]))
        for s in values["steps"]
    )
    return Lab(values["id"], values["order"], values["title"], values["description"], values["estimated_minutes"],
               float(values["time_scale"]), _actions(values["setup"]), steps, values["finish"], path)


def _actions(items: list[tuple[str, dict[str, Any], dict[str, Any], int]]) -> tuple[Action, ...]:
    return tuple(Action(kind, own, line) for kind, _, own, line in items)


def _check_references(lab: Lab, directory: Path | None, loading: tuple[str, ...]) -> None:
    """`solve_lab` must name a lab that loads and one of its steps (and not go round in circles)."""
    for action in (*lab.setup, *(a for step in lab.steps for a in step.solution)):
        if action.type != "solve_lab":
            continue
        other_id, through = action.params["lab"], action.params["through"]
        if other_id in loading:
            raise LabLoadError(lab.path, action.line, f"solve_lab: lab '{other_id}' leads back to itself")
        try:
            other = _load(lab_path(other_id, directory), directory, loading)
        except LabLoadError as exc:
            raise LabLoadError(lab.path, action.line, f"solve_lab: lab '{other_id}' cannot be used ({exc})") from None
        if through not in {step.id for step in other.steps}:
            ids = ", ".join(step.id for step in other.steps)
            raise LabLoadError(lab.path, action.line, f"solve_lab: lab '{other_id}' has no step '{through}'; "
                                                      f"expected one of: {ids}")


def format_lab_list(lang: str = "ko", directory: Path | None = None) -> str:
    """The plain-text list of the labs, each checked (`lblab labs` reads them quicker: labs/catalog.py)."""
    return format_catalog(list_labs(directory), lang)
