"""Actions › Instance settings › Edit user data: read-only on a running instance (the console lets one view it,
not change it), editable when stopped, saved with ModifyInstanceAttribute. With SVG snapshots in both languages."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, TextArea

from mock_cloud.scenarios import populate
from tests.support.tui import SIZE, app_with_edge, click, demo_app, paste, select_row, wait_for
from tests.tui.test_tui_snapshots import scenario
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.instance_settings import EditUserDataScreen

SNAPSHOT_SIZE = (160, 45)
EDITED = "#!/bin/bash\necho edited > /var/www/html/index.html\n"


async def test_user_data_is_viewed_when_running_and_edited_when_stopped() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        cloud = app.cloud
        await populate(cloud)
        await pilot.press("2")
        running = cloud.ec2.instance(await select_row(pilot, "server-1"))
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, EditUserDataScreen))
        area = app.screen.query_one("#setting", TextArea)
        assert area.read_only and area.text == running.user_data and running.user_data.startswith("#!")
        assert app.screen.query_one("#save", Button).disabled
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))

        spare = cloud.ec2.instance(await select_row(pilot, "spare"))
        assert spare.state == "stopped"
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, EditUserDataScreen))
        area = app.screen.query_one("#setting", TextArea)
        assert not area.read_only
        area.focus()
        area.clear()
        await paste(pilot, EDITED)
        await click(pilot, "#save")
        await wait_for(pilot, lambda: spare.user_data == EDITED)
        assert spare.state == "stopped"


async def open_user_data(pilot: Pilot[int], name: str) -> None:
    await select_row(pilot, name)
    await pilot.press("U")
    await pilot.pause()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_edit_user_data_of_a_running_instance(snap_compare, lang: str) -> None:
    async def running(pilot: Pilot[int]) -> None:
        await open_user_data(pilot, "server-1")

    assert snap_compare(demo_app(lang), terminal_size=SNAPSHOT_SIZE, run_before=scenario(["2"], running))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_edit_user_data_of_a_stopped_instance(snap_compare, lang: str) -> None:
    async def stopped(pilot: Pilot[int]) -> None:
        await open_user_data(pilot, "spare")

    assert snap_compare(demo_app(lang), terminal_size=SNAPSHOT_SIZE, run_before=scenario(["2"], stopped))
