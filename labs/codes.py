"""Diagnosis codes and what each one tells the learner, in Korean and English.

Each code's sentence is `diagnosis.<CODE>` in the text catalogue (phrasebook/diagnosis.yaml); the
states and health details read exactly as the console shows them, from the console's own keys.

A failed criterion never just says ✗: it names what is wrong (a code the tests and the panel can
rely on) as the console would show it: a state, a reason code, an answer. How to fix it is the
hints' job, so a check never gives the answer away before the learner asked (issue 12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labs.text import Text, phrase
from mock_cloud import ZONE_NOT_ENABLED
from phrasebook import load_strings


@dataclass(frozen=True)
class Diagnosis:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> Text:
        return phrase(f"diagnosis.{self.code}", **self.params)


# Instance states and target health as the console shows them (`state.*`, `health.*`).
INSTANCE_STATES = {state: Text.of(f"state.{state}") for state in (
    "pending", "running", "stopping", "stopped", "shutting-down", "terminated")}
HEALTH_STATES = {state: Text.of(f"health.{state}") for state in (
    "initial", "healthy", "unhealthy", "unused", "draining")}
_STATE_NAMES = {**INSTANCE_STATES, **HEALTH_STATES}


def state_names(params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` with its `state` (one state or a list) named as the console names it, for a check's label."""
    state = params.get("state")
    if state is None:
        return dict(params)
    states = state if isinstance(state, list | tuple) else [state]
    return {**params, "state": [_STATE_NAMES.get(s, Text.same(str(s))) for s in states]}


# Descriptions that share a reason code with others get their own catalogue key.
_DESCRIPTION_KEYS = {ZONE_NOT_ENABLED: "zone_not_enabled", "Target is in the stopped state": "stopped",
                     "Target is in the terminated state": "terminated"}


def health_reason(reason: str | None, description: str) -> tuple[str, dict[str, str]]:
    """The catalogue key of a target's health details (`health_reason.*`: the Korean console's words) and
    its fields (AWS's English description, and the codes a ResponseCodeMismatch lists)."""
    key = f"health_reason.{_DESCRIPTION_KEYS.get(description, reason)}"
    return key, {"description": description, "codes": description.partition("[")[2].rstrip("]")}


def health_description(reason: str | None, description: str | None) -> Text:
    """A target's health details in both languages (AWS's English, and the Korean console's where known)."""
    key, fields = health_reason(reason, description or "")
    if not description or key not in load_strings():
        return Text.same(description or "")
    return Text.of(key).format(**fields)
