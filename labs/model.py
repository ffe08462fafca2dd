"""What a loaded lab is: plain, immutable data built by the loader from a checked YAML file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labs.text import Text


@dataclass(frozen=True)
class Criterion:
    """One named condition of a step's check, e.g. `{id: both-hosts, type: traffic, ...}`."""

    id: str
    type: str
    params: Mapping[str, Any]
    label: Text | None  # None: the criterion type's own wording
    line: int


@dataclass(frozen=True)
class Action:
    """One thing the engine does through the cloud API (a setup item or a step of a solution)."""

    type: str
    params: Mapping[str, Any]
    line: int


@dataclass(frozen=True)
class Step:
    id: str
    title: Text
    instructions: Text  # Markdown
    hints: tuple[Text, ...]
    check: tuple[Criterion, ...]
    solution: tuple[Action, ...]


@dataclass(frozen=True)
class Lab:
    id: str
    order: int
    title: Text
    description: Text
    estimated_minutes: int
    time_scale: float
    setup: tuple[Action, ...]
    steps: tuple[Step, ...]
    finish: Text
    path: Path

    def step_index(self, step_id: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == step_id)


@dataclass(frozen=True)
class LabInfo:
    """A lab as `list_labs()` shows it; a broken file is listed with its error instead of its content."""

    id: str
    path: Path
    title: Text
    description: Text
    estimated_minutes: int
    step_count: int
    broken: bool = False
    error: str | None = None
    order: int = 0
