"""The console's side of guests: the Status check column and the lblab-only "Simulate instance failure"."""

from __future__ import annotations

from mock_cloud.scenarios import populate
from tests.support.tui import SIZE, app_with_edge, cell, select_row, wait_for
from tui.screens.confirm import ConfirmScreen
from tui.screens.ec2.connect import ConnectScreen


async def test_simulated_failure_fails_one_status_check_until_reboot() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-1")
        instance = app.cloud.ec2.instance(instance_id)
        await wait_for(pilot, lambda: cell(app, instance_id, "status_check") == "● 2/2 checks passed")
        pid = instance.guest.pid if instance.guest else None

        await pilot.press("F")  # asks first: it is destructive, and not an AWS action
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: cell(app, instance_id, "status_check") == "● 1/2 checks passed", 30)
        assert instance.state == "running" and instance.guest is not None and instance.guest.pid == pid
        assert not instance.guest.alive and instance.local_port(80) is None

        await pilot.press("R")
        await pilot.click("#confirm")
        await app.cloud.clock.advance(10)
        await wait_for(pilot, lambda: cell(app, instance_id, "status_check") == "● 2/2 checks passed", 30)
        assert instance.guest is not None and instance.guest.pid != pid and instance.local_port(80)


async def test_closing_the_connect_screen_ends_its_session_in_the_guest() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-1")
        instance = app.cloud.ec2.instance(instance_id)
        guest = instance.guest
        assert guest is not None

        async def sessions() -> int:  # Connect sessions open inside the guest
            return int((await guest.call("status"))["sessions"])

        assert await sessions() == 0
        await pilot.press("c")
        assert isinstance(app.screen, ConnectScreen)
        await wait_for(pilot, lambda: app.screen.prompt.endswith("$ "), 30)  # the guest's login shell is open
        assert await sessions() == 1

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectScreen))
        assert await sessions() == 0
