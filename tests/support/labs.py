"""Helpers for the lab tests (no tests here): walking steps on a paused clock, one-off criteria and actions."""

from __future__ import annotations

import yaml

from labs.actions import ActionContext, perform
from labs.criteria import CRITERIA, CheckContext
from labs.engine import CheckReport, LabSession
from labs.loader import _ACTION, _CRITERION, load_lab
from labs.model import Action
from labs.schema import ListOf
from labs.text import Text
from mock_cloud.cloud import Cloud

STEP = 10.0  # cloud seconds between checks while waiting
PATIENCE = 900.0  # cloud seconds a step may take before the test gives up


def session(cloud: Cloud, lab_id: str, lang: str = "en", **kwargs: object) -> LabSession:
    return LabSession(cloud, load_lab(lab_id), lang, watch=False, **kwargs)  # type: ignore[arg-type]


async def wait_for_step(cloud: Cloud, lab: LabSession, index: int) -> CheckReport:
    """Check, advancing cloud time, until step `index` is completed (boot, provisioning, health are cloud time)."""
    waited = 0.0
    report = await lab.check()
    while not _done(lab, index) and waited < PATIENCE:
        await cloud.clock.advance(STEP)
        waited += STEP
        report = await lab.check()
    failed = [(r.id, r.code, r.message.en) for r in report.failed]
    assert _done(lab, index), f"step {lab.lab.steps[index].id} did not pass in {PATIENCE:g} s: {failed}"
    return report


def _done(lab: LabSession, index: int) -> bool:
    return lab.finished or lab.step_index > index


async def code_of(cloud: Cloud, text: str) -> str | None:
    """The diagnosis code of one criterion written as in a lab file (None when it holds)."""
    kind, _, params, _ = _CRITERION.convert(yaml.compose("id: probe\n" + text), "")
    diagnosis = await CRITERIA[kind].run(CheckContext(cloud, cloud.clock.scale), params)
    return diagnosis.code if diagnosis is not None else None


async def do(cloud: Cloud, text: str) -> list[Text]:
    """Perform actions written as in a lab file's solution."""
    items = ListOf(_ACTION).convert(yaml.compose(text), "")

    async def no_other_labs(lab_id: str, through: str) -> list[Text]:
        raise AssertionError("solve_lab is not for one-off actions")

    return await perform(ActionContext(cloud, no_other_labs), [Action(k, p, line) for k, _, p, line in items])
