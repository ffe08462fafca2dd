"""The whole alb-basics lab walked by keys only (issue 12's "Done when"), at 120×35 (lab panel collapsed) and
160×45 (panel beside the work), in English and Korean: no mouse, no "Do it for me", no cloud call that does a
step. The learner presses Tab until the field they want has the focus (as one does, watching the screen),
types names, pastes the user data from the notes (a terminal paste), opens drop-downs with Enter and walks
them with Up/Down, ticks with Space, saves with Ctrl+S, and uses the Instances menus for Stop and Start.

Fast by design: the seeded cloud's clock is paused and moved on only while the learner waits for something
(a boot, provisioning, health checks); every wait is on a condition, never a fixed sleep; no snapshots.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import OptionList, Select, SelectionList, TextArea

from mock_cloud.scenarios import SEED_USER_DATA
from tests.support.learner import Learner, lab_app, steady_texts, walk_alb_basics
from tests.support.tui import page
from tui.screens.browser import BrowserScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.launch_wizard import LaunchWizardScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.elb.lb_wizard import CreateLoadBalancerScreen
from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen
from tui.widgets.action_menu import MenuPopup

MOST_TABS = 80  # a learner gives up long before: a field Tab never reaches is a bug


class KeysLearner(Learner):
    """A learner with the keyboard only."""

    HTTP_FROM_ANYWHERE = ("http", "anywhere", "")

    async def type(self, text: str) -> None:
        await self.pilot.press(*(KEY_NAMES.get(char, char) for char in text))
        await self.pilot.pause()

    async def tab_to(self, target: str | Widget) -> Widget:
        """Tab (or Shift+Tab, if it is behind) until `target` or a widget inside it has the focus: as many
        presses at once as the learner counts on the screen, then one at a time if the focus moved meanwhile."""
        widget = self.app.screen.query_one(target) if isinstance(target, str) else target
        for _ in range(MOST_TABS):
            focused = self.app.focused
            if focused is not None and (focused is widget or widget in focused.ancestors):
                return widget
            chain = self.app.screen.focus_chain
            here = chain.index(focused) if focused in chain else -1
            there = next((i for i, w in enumerate(chain) if w is widget or widget in w.ancestors), None)
            if there is None or here < 0:
                await self.pilot.press("tab")
            elif there > here:
                await self.pilot.press(*["tab"] * (there - here))
            else:
                await self.pilot.press(*["shift+tab"] * (here - there))
        raise AssertionError(f"Tab never reaches {target}")

    async def fill(self, target: str, text: str) -> None:
        await self.tab_to(target)
        await self.type(text)

    async def pick(self, target: str | Widget, value: object) -> None:
        """A drop-down: Enter opens it, Up/Down to the option, Enter chooses."""
        select = await self.tab_to(target)
        assert isinstance(select, Select)
        await self.press("enter")
        overlay = self.app.focused
        assert isinstance(overlay, OptionList)
        wanted = [v for _, v in select._options].index(value)
        await self.walk_to(overlay, wanted)
        await self.press("enter")
        assert select.value == value

    async def walk_to(self, options: OptionList, index: int) -> None:
        for _ in range(options.option_count * 2):
            if options.highlighted == index:
                return
            here = -1 if options.highlighted is None else options.highlighted
            await self.press("down" if here < index else "up")
        raise AssertionError(f"option {index} is never highlighted")

    async def tick(self, target: str, *labels: str) -> None:
        """A list of checkboxes: Down to each row whose label has one of `labels`, Space."""
        options = await self.tab_to(target)
        assert isinstance(options, SelectionList)
        for index in range(options.option_count):
            if any(label in str(options.get_option_at_index(index).prompt) for label in labels):
                await self.walk_to(options, index)
                await self.press("space")

    async def menu(self, key: str, item: str) -> None:
        """Instances: a menu's key, Down to the item, Enter."""
        await self.press(key)
        popup = self.app.screen
        assert isinstance(popup, MenuPopup)
        options = popup.query_one(OptionList)
        await self.walk_to(options, options.get_option_index(item))
        await self.press("enter")

    # -- the lab's steps, by keys ------------------------------------------------------------------------------
    async def launch(self, name: str, user_data: str = SEED_USER_DATA) -> None:
        await self.press("2", "l")
        await self.wait(lambda: isinstance(self.app.screen, LaunchWizardScreen))
        await self.fill("#name", name)
        await self.tab_to("#allow_http")
        await self.press("space")
        await self.tab_to("#advanced")
        await self.press("enter")  # Advanced details opens
        await self.tab_to("#user_data")
        await self.paste(user_data)
        assert self.app.screen.query_one("#user_data", TextArea).text == user_data
        await self.press("ctrl+s")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen)
                        and any(i.name == name for i in self.app.cloud.ec2.describe_instances()))  # type: ignore[attr-defined]

    async def select(self, page_key: str, name: str) -> None:
        await self.press(page_key)
        table = page(self.app).table
        table.focus()  # the page's own key lands the focus on its table; after a filter, `/` then Enter does
        await self.pilot.pause()
        row = next(i for i in range(table.row_count) if name in [cell.plain for cell in table.get_row_at(i)])
        moves = row - table.cursor_row
        await self.press(*(["down"] * moves if moves > 0 else ["up"] * -moves))

    async def browse_and_send(self, count: int) -> BrowserScreen:
        """`b` on the selected resource, then `count` requests from the Browser's count field and `n`."""
        browser = await self.browse()
        await self.tab_to("#count")
        await self.press("home", "ctrl+k")
        await self.type(str(count))
        await self.press("enter")  # Send
        await self.wait(lambda: len(browser.tally.hosts) == count)
        return browser

    async def create_security_group(self, name: str, description: str, *rules: tuple[str, str, str]) -> None:
        await self.press("3", "c")
        await self.wait(lambda: isinstance(self.app.screen, SecurityGroupEditorScreen))
        editor = self.app.screen
        await self.type(name)
        await self.press("tab")
        await self.type(description)
        for rule_type, source_kind, _ in rules:
            await self.tab_to("#inbound .rule-add")
            await self.press("enter")
            row = editor.query("#inbound .rule-row").last()
            await self.pick(row.query_one(".rule-type", Select), rule_type)
            await self.pick(row.query_one(".rule-source-kind", Select), source_kind)
        await self.press("ctrl+s")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def create_target_group(self, name: str, *instances: str) -> None:
        await self.press("5", "c")
        await self.wait(lambda: isinstance(self.app.screen, CreateTargetGroupScreen))
        await self.fill("#tg_name", name)
        await self.tab_to("#next")
        await self.press("enter")
        await self.tick("#available", *instances)
        await self.tab_to("#include")
        await self.press("enter")
        await self.press("ctrl+s")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def create_load_balancer(self, name: str, security_group: str, target_group: str) -> None:
        await self.press("4", "c", "enter")
        await self.wait(lambda: isinstance(self.app.screen, CreateLoadBalancerScreen))
        wizard = self.app.screen
        await self.fill("#lb_name", name)
        for box in wizard.query(".zone"):
            await self.tab_to(box)
            await self.press("space")
        await self.tick("#security_groups", "default", security_group)
        group = next(g for g in self.app.cloud.elbv2.target_groups.values() if g.name == target_group)  # type: ignore[attr-defined]
        await self.pick(wizard.query_one(".group-pick", Select), group.arn)
        await self.press("ctrl+s")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def targets(self, group: str) -> None:
        """Target groups › the group › the Targets tab: Tab to the detail tabs, Right to Targets."""
        await self.select("5", group)
        tabs = await self.tab_to(page(self.app).query_one("#details Tabs"))  # pages stay mounted: this page's
        while tabs.active != "--content-tab-tg-tab-targets":  # type: ignore[attr-defined]
            await self.press("right")

    async def instance_state(self, name: str, item: str) -> None:
        """Instances › the instance › Instance state ▾ › the item (confirmed when it asks)."""
        await self.select("2", name)
        await self.menu("i", item)
        if isinstance(self.app.screen, ConfirmScreen):
            await self.press("enter")


KEY_NAMES = {" ": "space", "-": "minus", ".": "full_stop", "/": "slash", ":": "colon", "_": "underscore"}


@pytest.mark.parametrize("size", [(160, 45), (120, 35)], ids=["160x45", "120x35"])
@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.timeout(300)  # a hang guard only
async def test_alb_basics_by_keys_only(lang: str, size: tuple[int, int], tmp_path: Path) -> None:
    app = lab_app(tmp_path, lang=lang, lab_id="alb-basics")
    with steady_texts():
        async with app.run_test(size=size) as pilot:
            learner = KeysLearner(pilot)
            await learner.start()
            await walk_alb_basics(learner)
            assert learner.session.finished and learner.lab.solved is None  # no step done for the learner
            assert learner.session.progress.completed == tuple(step.id for step in learner.session.lab.steps)
