"""Every lab walked end to end through the console as a learner does it (keys, clicks, pastes into the
real forms), the lab panel beside it checking each step against the cloud and real traffic; an SVG
snapshot where each step stands.

Update after an intended change with `pytest tests/tui/test_tui_lab_end_to_end.py --snapshot-update`
and look at the SVGs in tests/tui/__snapshots__/test_tui_lab_end_to_end/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy import SnapshotAssertion

from tests.support.learner import SIZE, WALKS, Learner, lab_app, steady_texts


@pytest.mark.long
@pytest.mark.parametrize("lab_id", list(WALKS))
@pytest.mark.timeout(300)  # a hang guard only: alb-basics takes ~1 min alone, twice that on busy cores
async def test_walkthrough(lab_id: str, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    pictures = snapshot.use_extension(SVGImageExtension)
    app = lab_app(tmp_path, lab_id=lab_id)  # `lblab lab ID`

    async def moment(name: str, svg: str, steady: bool) -> None:
        if steady:
            assert svg == pictures(name=name)

    with steady_texts():
        async with app.run_test(size=SIZE) as pilot:
            learner = Learner(pilot, moment)
            await learner.start()
            await WALKS[lab_id](learner)
            assert learner.session.finished
            assert learner.session.progress.completed == tuple(step.id for step in learner.session.lab.steps)
