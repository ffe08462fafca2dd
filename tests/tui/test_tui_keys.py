"""Type-ahead and key order: keys typed faster than the console draws reach the screen they were typed
for, in the order they were typed.

`burst` queues keys the way a terminal delivers a fast typist's keys (or keys sent by tmux): all at
once, before the console has handled the first. `pilot.press` waits for the app to go idle between two
keys, which hides exactly these races.
"""

from __future__ import annotations

from typing import TypeVar

import pytest
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, SelectionList, TextArea

from mock_cloud.scenarios import populate, populate_elb
from tests.support.tui import demo_app, page, wait_for
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.launch_wizard import LaunchWizardScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen

S = TypeVar("S", bound=Screen[object])
SIZE = (160, 45)
# Real seconds a test waits for the console: a wizard takes seconds to compose on a loaded machine.
PATIENCE = 60.0
CHARACTERS = {"space": " "}
KEYS = {" ": "space"}


async def burst(pilot: Pilot[int], *keys: str) -> None:
    """Send `keys` to the app all at once, as a terminal does when they arrive together, then let it settle."""
    for key in keys:
        character = CHARACTERS.get(key, key if len(key) == 1 else None)
        pilot.app.post_message(events.Key(key, character))
    await pilot.pause()


async def settled(pilot: Pilot[int]) -> None:
    """Until no key is waiting and every screen pushed meanwhile has been composed."""
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.is_mounted and not app._message_queue.qsize(), PATIENCE)
    await pilot.pause()


async def opened(pilot: Pilot[int], keys: tuple[str, ...], screen_type: type[S]) -> S:
    """The screen `keys` open, once they have been handled one by one."""
    await pilot.press(*keys)
    screen = pilot.app.screen
    assert isinstance(screen, screen_type)
    return screen


def typed(text: str) -> list[str]:
    """The keys that type `text`."""
    return [KEYS.get(char, char) for char in text]


@pytest.mark.parametrize(("first", "ahead"), [(("2",), ()), ((), ("2",))], ids=["on Instances", "with the page key"])
async def test_keys_typed_while_the_launch_wizard_opens_reach_its_name(first: tuple[str, ...],
                                                                       ahead: tuple[str, ...]) -> None:
    """`l` then the name at once; and `2` `l` at once (the `l` was lost: it reached the page being left)."""
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press(*first)
        await burst(pilot, *ahead, "l", *typed("web-3"))
        await settled(pilot)
        assert isinstance(app.screen, LaunchWizardScreen)
        await wait_for(pilot, lambda: app.screen.query_one("#name", Input).value == "web-3", PATIENCE)


async def test_keys_typed_after_a_page_key_move_the_new_pages_table() -> None:
    """A page's table takes the focus after the page's first frame (tui/screens/console.py): Down typed right
    behind `3` waits for it, and moves the Security Groups table, not the Instances table left behind."""
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instances = page(app).table
        await burst(pilot, "3", "down", "down")
        await settled(pilot)
        groups = page(app).table
        assert groups is not instances and app.focused is groups
        await wait_for(pilot, lambda: groups.cursor_row == 2, PATIENCE)
        assert instances.cursor_row == 0


async def test_enter_on_advanced_details_then_tab_reaches_user_data() -> None:
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2", "l")
        assert isinstance(app.screen, LaunchWizardScreen)
        app.screen.query_one("#advanced CollapsibleTitle").focus()
        await pilot.pause()
        await burst(pilot, "enter", "tab", *typed("echo"))
        await settled(pilot)
        user_data = app.screen.query_one("#user_data", TextArea)
        await wait_for(pilot, lambda: user_data.text == "echo", PATIENCE)


async def test_target_group_wizard_space_down_space_right_after_next() -> None:
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("5", "c")
        screen = app.screen
        assert isinstance(screen, CreateTargetGroupScreen)
        screen.query_one("#tg_name", Input).focus()
        await pilot.pause()
        await burst(pilot, *typed("api-tg"), "tab")
        await settled(pilot)
        screen.query_one("#next").focus()
        await pilot.pause()
        await burst(pilot, "enter", "space", "down", "space")
        await settled(pilot)
        available = screen.query_one("#available", SelectionList)
        await wait_for(pilot, lambda: len(available.selected) == 2, PATIENCE)
        assert screen.form.tg_name == "api-tg"


async def test_filter_keys_keep_their_order_after_end() -> None:
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await populate_elb(app.cloud)
        await pilot.press("5", "slash")
        await burst(pilot, *typed("abcdef"), "end", "backspace", "backspace", "backspace", *typed("XYZ"))
        await settled(pilot)
        filter_input = page(app).query_one("#filter", Input)
        await wait_for(pilot, lambda: filter_input.value == "abcXYZ", PATIENCE)
        assert isinstance(app.screen, ConsoleScreen)


async def test_after_a_failed_submit_end_backspaces_and_typing_replace_the_description() -> None:
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, ("3", "c"), SecurityGroupEditorScreen)
        description = screen.query_one("#description", Input)
        description.focus()
        await pilot.press(*typed("for ALB SG"), "ctrl+s")  # no name: the cloud refuses it
        await wait_for(pilot, lambda: screen.form.error is not None, PATIENCE)
        assert app.screen is screen and description.has_focus
        await burst(pilot, "end", *["backspace"] * 10, *typed("SG for ALB"))
        await settled(pilot)
        await wait_for(pilot, lambda: description.value == "SG for ALB", PATIENCE)


async def test_a_key_typed_into_a_field_lays_out_nothing() -> None:
    """Each key typed into the launch wizard's Name asked for a layout of the whole wizard (Input's virtual size
    is a reactive that asks for one): tui/widgets/text_input.py. The field still scrolls its text."""
    app = demo_app("en")
    async with app.run_test(size=SIZE) as pilot:
        name = (await opened(pilot, ("2", "l"), LaunchWizardScreen)).query_one("#name", Input)
        layouts_asked = 0
        refresh = name.refresh

        def counted(*regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Widget:
            nonlocal layouts_asked
            layouts_asked += layout
            return refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

        name.refresh = counted  # type: ignore[method-assign]
        long_name = "web-server-with-a-name-longer-than-the-field-is-wide-" * 2
        await pilot.press(*typed(long_name))
        assert name.value == long_name
        assert layouts_asked == 0
        assert name.scroll_x > 0  # the cursor, at the end of the text, is in view
