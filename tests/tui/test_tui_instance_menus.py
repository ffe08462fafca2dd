"""Instances: the toolbar as on the AWS console, an "Instance state ▾" and an "Actions ▾" menu instead of a
button per action, so that nothing is cut at 120×35 or beside the lab panel at 160×45, in English and Korean;
the menus walked by keys only (issue 12).

Update the snapshots after an intended change with `pytest tests/tui/test_tui_instance_menus.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy import SnapshotAssertion
from textual.pilot import Pilot
from textual.widgets import Button, OptionList

from mock_cloud.ec2 import lifecycle
from mock_cloud.ec2.instance import Instance
from mock_cloud.scenarios import demo_config
from tests.support.learner import steady_texts
from tests.support.tui import wait_for
from tests.tui.test_tui_sizes import SIZES, at, keys
from tui.app import LblabApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.instances import InstancesPage
from tui.widgets.action_menu import MenuPopup

PATIENCE = 30.0  # a hang guard: the machine may be busy


@pytest.fixture(autouse=True)
def steady() -> Iterator[None]:
    with steady_texts():
        yield


def app_in(lang: str) -> LblabApp:
    return LblabApp(demo_config(), lang=lang, lab_id="alb-basics")


def instance(app: LblabApp, name: str) -> Instance:
    return next(i for i in app.cloud.ec2.describe_instances() if i.name == name)


async def on_instance(pilot: Pilot[int], name: str) -> None:
    """Instances, the cursor on `name` (the demo's rows: server-1, server-2, spare)."""
    await keys(pilot, "2")
    table = pilot.app.screen.query_one(InstancesPage).table
    row = next(i for i in range(table.row_count) if table.get_row_at(i)[0].plain == name)
    await keys(pilot, *["down"] * (row - table.cursor_row))


def menu(app: LblabApp) -> OptionList:
    assert isinstance(app.screen, MenuPopup)
    return app.screen.query_one(OptionList)


async def choose(pilot: Pilot[int], name: str) -> None:
    """In the open menu: Down until `name` is highlighted, then Enter (keys only, as a learner would)."""
    options = menu(pilot.app)  # type: ignore[arg-type]
    for _ in range(options.option_count):
        highlighted = options.highlighted
        if highlighted is not None and options.get_option_at_index(highlighted).id == name:
            await keys(pilot, "enter")
            return
        await keys(pilot, "down")
    raise AssertionError(f"{name} is not in the menu, or not enabled")


@pytest.mark.parametrize("size", SIZES, ids=["160x45", "120x35"])
@pytest.mark.parametrize(("opener", "lang"), [("i", "en"), ("a", "ko")], ids=["instance-state-en", "actions-ko"])
async def test_the_menus_open_under_their_buttons(size: tuple[int, int], opener: str, lang: str,
                                                  snapshot: SnapshotAssertion) -> None:
    app = app_in(lang)
    async with app.run_test(size=size) as pilot:
        async def open_menu(pilot: Pilot[int]) -> None:
            await on_instance(pilot, "server-2")
            await keys(pilot, opener)
        await at(pilot, open_menu)
        assert isinstance(app.screen, MenuPopup)
        assert app.screen.query_one(OptionList).region in app.screen.region  # nothing of it off the screen
        assert app.export_screenshot() == snapshot.use_extension(SVGImageExtension)


@pytest.mark.parametrize("size", SIZES, ids=["160x45", "120x35"])
@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_no_toolbar_button_is_cut(size: tuple[int, int], lang: str) -> None:
    app = app_in(lang)
    async with app.run_test(size=size) as pilot:
        await at(pilot, lambda pilot: on_instance(pilot, "server-2"))
        page = app.screen.query_one(InstancesPage)
        toolbar = page.query_one(".page-actions")
        shown = [b for b in toolbar.query(Button) if b.display]
        assert {b.id for b in shown} >= {"action-launch", "action-connect", "menu-state", "menu-actions"}
        for button in shown:
            assert button.region.right <= toolbar.region.right, f"{button.id} is cut"


async def test_instance_state_menu_stops_an_instance_by_keys_only() -> None:
    app = app_in("ko")
    async with app.run_test(size=(120, 35)) as pilot:
        await at(pilot, lambda pilot: on_instance(pilot, "server-2"))
        await keys(pilot, "i")
        labels = [str(menu(app).get_option_at_index(i).prompt) for i in range(menu(app).option_count)]
        assert labels == ["인스턴스 중지", "인스턴스 시작", "인스턴스 재부팅", "인스턴스 종료(삭제)"]
        start = menu(app).get_option("start")
        assert start.disabled  # server-2 runs: Start does not apply, and Down skips it
        await keys(pilot, "escape")
        assert isinstance(app.screen, ConsoleScreen) and instance(app, "server-2").state == "running"

        await keys(pilot, "i")
        await choose(pilot, "stop")
        assert isinstance(app.screen, ConfirmScreen)
        await keys(pilot, "enter")
        await wait_for(pilot, lambda: instance(app, "server-2").state in ("stopping", "stopped"), PATIENCE)


async def test_actions_menu_groups_as_on_aws_and_runs_the_lblab_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "PROBE_SECONDS", 0.2)
    monkeypatch.setattr(lifecycle, "PROBE_TIMEOUT", 2.0)
    app = app_in("en")
    async with app.run_test(size=(160, 45)) as pilot:
        await at(pilot, lambda pilot: on_instance(pilot, "server-2"))
        await keys(pilot, "a")
        options = menu(app)
        shown = [(str(options.get_option_at_index(i).prompt), options.get_option_at_index(i).id)
                 for i in range(options.option_count)]
        assert shown == [
            ("Connect", "connect"),
            ("Security", None), ("  Change security groups", "change_groups"),
            ("Instance settings", None), ("  Change instance type", "change_type"),
            ("  Change termination protection", "protection"), ("  Edit user data", "edit_user_data"),
            ("Monitor and troubleshoot", None), ("  Get system log", "system_log"),
            ("Simulate instance failure (lblab only)", None), ("  Kill: the guest process dies", "simulate_failure"),
            ("  Hang: the guest stops answering", "simulate_hang"),
        ]
        await choose(pilot, "simulate_hang")
        assert isinstance(app.screen, ConfirmScreen)
        await keys(pilot, "enter")
        server = instance(app, "server-2")
        await wait_for(pilot, lambda: server.impaired_since is not None, PATIENCE)
        assert server.guest is not None and server.guest.alive  # hung, not dead
        page = app.screen.query_one(InstancesPage)
        await wait_for(pilot, lambda: "1/2" in page.table.get_row_at(page.table.cursor_row)[3].plain, PATIENCE)


async def test_the_old_keys_still_work_beside_the_menus() -> None:
    app = app_in("en")
    async with app.run_test(size=(160, 45)) as pilot:
        await at(pilot, lambda pilot: on_instance(pilot, "server-2"))
        await keys(pilot, "x")  # Stop, as before
        assert isinstance(app.screen, ConfirmScreen)
        await keys(pilot, "escape", "a")
        await choose(pilot, "system_log")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SystemLogScreen", PATIENCE)
        await keys(pilot, "escape", "a")
        await choose(pilot, "edit_user_data")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "EditUserDataScreen", PATIENCE)
