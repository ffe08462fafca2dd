"""The lab picker and the lab panel, driven as a learner drives them: choosing a lab, hints, "show me",
resets, the Lab key, the language switch, and progress that survives a restart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy import SnapshotAssertion
from textual.widgets import OptionList, Static

from labs import ProgressStore, list_labs
from labs.loader import LABS_DIR
from labs.progress import LabProgress
from tests.support.learner import SIZE, Learner, lab_app, steady_texts
from tests.support.tui import shown
from tui.screens.confirm import ConfirmScreen
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.launch_wizard import LaunchWizardScreen
from tui.screens.lab_hooks import stop_labs, toggle_lab_panel
from tui.screens.lab_picker import LabPickerScreen
from tui.widgets.lab_panel import LabPanel
from tui.widgets.lab_state import open_lab_of

SHIPPED = [info.id for info in list_labs() if not info.broken]
BROKEN_LAB = "id: zz-broken\ntitle: {ko: 망가진 실습, en: A broken lab}\nsteps: nope\n"


@pytest.fixture(autouse=True)
def steady() -> Iterator[None]:
    with steady_texts():
        yield


def panel_text(learner: Learner, part: str) -> str:
    return shown(learner.panel.query_one(f"#lab-{part}", Static))


@pytest.fixture
def labs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two shipped labs and a broken one, in ./labs (errors name the file as the learner's shell would)."""
    monkeypatch.chdir(tmp_path)
    directory = Path("labs")
    directory.mkdir()
    for lab_id in ("ec2-web-server", "alb-basics"):
        shutil.copy(LABS_DIR / f"{lab_id}.yaml", directory)
    (directory / "zz-broken.yaml").write_text(BROKEN_LAB, "utf-8")
    monkeypatch.setattr("labs.loader.LABS_DIR", directory)


# -- the picker ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.usefixtures("labs_dir")
async def test_picker_lists_labs_with_progress_and_broken_ones(lang: str, tmp_path: Path,
                                                                snapshot: SnapshotAssertion) -> None:
    app = lab_app(tmp_path, lang)
    ProgressStore.for_cloud(app.cloud).put("alb-basics", LabProgress(step=3, completed=["a", "b", "c"],
                                                                     elapsed=600.0), active=False)
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()  # a learner starting afresh is asked to choose
        picker = app.screen
        assert isinstance(picker, LabPickerScreen)
        options = picker.query_one("#lab-list", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "about 15 min · 2 steps" in prompts[0] or "약 15분 · 2단계" in prompts[0]
        assert ("in progress: step 4 of 9" in prompts[1]) or ("진행 중: 9단계 중 4단계" in prompts[1])
        assert "labs/zz-broken.yaml:3" in prompts[2] and options.get_option_at_index(2).disabled
        assert await learner.picture() == snapshot.use_extension(SVGImageExtension)

        await learner.press("enter")  # the first lab is highlighted
        await learner.idle()
        assert isinstance(app.screen, ConsoleScreen)
        assert learner.session.lab.id == "ec2-web-server" and learner.panel.display
        assert ProgressStore.for_cloud(app.cloud).active == "ec2-web-server"


async def test_a_lab_that_cannot_be_opened_is_said_and_the_console_stays(tmp_path: Path) -> None:
    app = lab_app(tmp_path, lab_id="no-such-lab")
    async with app.run_test(size=SIZE) as pilot:
        await Learner(pilot).start()
        [note] = app._notifications
        assert "Cannot open the lab no-such-lab" in note.message and "no such lab file" in note.message
        assert open_lab_of(app) is None and isinstance(app.screen, ConsoleScreen)
        assert not app.screen.query_one(LabPanel).display


# -- the panel ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lab_id", SHIPPED)
async def test_show_me_solves_the_first_step_and_says_what_it_did(lab_id: str, tmp_path: Path) -> None:
    app = lab_app(tmp_path, lab_id=lab_id)
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        first = learner.session.lab.steps[0]
        assert "✗" in panel_text(learner, "checks")
        await learner.request_confirmed("solve")
        await learner.passes(first.id, every=10)
        assert first.id in learner.session.progress.completed
        solved = panel_text(learner, "solved")
        assert solved.startswith("Done for you in step 1:") and learner.lab.solved is not None
        assert all(learner.session.text(done) in solved for done in learner.lab.solved.done)


async def test_hints_one_at_a_time_and_reset_step_hides_them(tmp_path: Path) -> None:
    app = lab_app(tmp_path, lab_id="ec2-web-server")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        hints = learner.session.step.hints
        assert not learner.panel.query_one("#lab-hints").display
        await learner.request("hint")
        await learner.request("hint")
        assert "Hint 2/3" in str(learner.panel.query_one("#lab-hint").label)
        text = panel_text(learner, "hints")
        assert "#!/bin/bash" in text and "terminating the instance" in text and "system log" not in text
        await learner.request("hint")
        assert learner.panel.query_one("#lab-hint").disabled  # every hint is out
        assert len(learner.session.hints_shown) == len(hints)

        await learner.request_confirmed("reset-step")
        await learner.idle()
        assert not learner.panel.query_one("#lab-hints").display and not learner.session.hints_shown


async def test_reset_lab_asks_first_then_starts_over(tmp_path: Path) -> None:
    app = lab_app(tmp_path, lab_id="alb-basics")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        await learner.request("hint")
        await learner.request_confirmed("solve")  # launches; the servers boot on cloud time, which stands still
        await learner.idle()
        assert learner.lab.solved is not None and learner.session.hints_shown
        await learner.request("reset-lab")
        assert isinstance(app.screen, ConfirmScreen)
        await learner.press("escape")
        assert learner.lab.solved is not None
        await learner.request("reset-lab")
        await learner.press("enter")
        await learner.idle()
        assert learner.session.step_index == 0 and not learner.session.hints_shown and learner.lab.solved is None
        assert not learner.panel.query_one("#lab-solved").display
        # What was built stays in the cloud: once booted, step 1 passes without doing it again.
        await learner.passes("launch-instances", every=10)


async def test_the_lab_key_moves_to_the_panel_hides_it_and_brings_it_back(tmp_path: Path) -> None:
    app = lab_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        assert isinstance(app.screen, LabPickerScreen)  # nothing open yet: the picker
        await learner.press("escape")  # explore on your own
        console = app.screen
        assert isinstance(console, ConsoleScreen) and open_lab_of(app) is None
        toggle_lab_panel(console)  # the Lab key with no lab open: the picker again
        await learner.idle()
        assert isinstance(app.screen, LabPickerScreen)
        await learner.press("enter")
        await learner.idle()

        await learner.press("2")
        panel = learner.panel
        assert panel.display and not panel.has_focus_within
        toggle_lab_panel(console)  # shown, not focused: go to it
        await learner.idle()
        assert panel.has_focus_within
        footer = {active.binding.description for active in console.active_bindings.values()}
        assert {"Check now", "Hint", "Do it for me", "Reset lab"} <= footer
        await learner.press("h")  # the panel's keys work while it has the keyboard
        assert len(learner.session.hints_shown) == 1
        toggle_lab_panel(console)  # from the panel: hide it, back to the page
        await learner.idle()
        assert not panel.display and console.current_page.table.has_focus  # type: ignore[union-attr]
        toggle_lab_panel(console)
        await learner.idle()
        assert panel.display and panel.has_focus_within
        await learner.press("escape")  # back to the console, the panel stays
        assert panel.display and not panel.has_focus_within


async def test_the_panel_stays_beside_a_wizard_and_checks_what_it_creates(tmp_path: Path,
                                                                             snapshot: SnapshotAssertion) -> None:
    app = lab_app(tmp_path, lab_id="ec2-web-server")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        await learner.press("2", "l")
        wizard = app.screen
        assert isinstance(wizard, LaunchWizardScreen)
        assert learner.panel.display and panel_text(learner, "step").startswith("1. ")
        await learner.request("hint")  # the wizard's panel answers as the console's does
        assert len(learner.session.hints_shown) == 1
        assert await learner.picture() == snapshot.use_extension(SVGImageExtension)

        await learner.click("#allow_http")  # off the name field, whose keys are the learner's text
        ticked = wizard.query_one("#allow_http")
        await learner.press("L")  # to the panel, then hide it: the wizard has the whole screen
        assert learner.panel.has_focus_within
        await learner.press("L")
        assert not learner.panel.display and wizard.focused is ticked
        await learner.press("L")
        assert learner.panel.display and learner.panel.has_focus_within
        await learner.press("escape")  # from the panel back to where the learner was
        assert wizard.focused is ticked

        await learner.press("escape")  # back to the console: the same lab, the hint still shown
        assert isinstance(app.screen, ConsoleScreen) and learner.panel.display
        assert panel_text(learner, "hints").startswith("Hints")


async def test_the_panel_follows_the_language_switch(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    app = lab_app(tmp_path, lab_id="alb-basics")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        await learner.press("2")
        await learner.request("hint")
        await learner.press("ctrl+l")  # the console composes the panel anew, in Korean
        await learner.idle()
        assert learner.session.lang == "ko"
        assert panel_text(learner, "progress").startswith("9단계 중 1단계")
        assert "이름이 web-server-1인 인스턴스가 없습니다" in panel_text(learner, "checks")
        assert "인스턴스 개수" in panel_text(learner, "hints")
        assert await learner.picture() == snapshot.use_extension(SVGImageExtension)


async def test_progress_survives_a_restart(tmp_path: Path) -> None:
    app = lab_app(tmp_path, lab_id="alb-basics")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        await learner.request("hint")
        await learner.request_confirmed("solve")
        await learner.passes("launch-instances", every=10)
        step = learner.session.step_index
        await stop_labs(app)  # what the app does when it exits

    again = lab_app(tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        learner = Learner(pilot)
        await learner.start()  # the lab open last resumes where it was
        assert learner.session.lab.id == "alb-basics" and learner.session.step_index == step
        assert panel_text(learner, "progress").startswith(f"Step {step + 1} of 9")
        assert isinstance(again.screen, ConsoleScreen)
