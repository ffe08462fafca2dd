"""The console's issue-14 pieces driven with Pilot over the demo cloud: the instance's Storage tab (with SVG
snapshots in both languages), Actions › Instance settings › Change termination protection, and the target
group wizard's "IP addresses" choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import RadioButton, Select, SelectionList
from textual.widgets.select import InvalidSelectValueError

from mock_cloud.scenarios import populate
from tests.support.tui import SIZE, app_with_edge, click, demo_app, elb_app, page, select_row, tick, type_text, wait_for
from tests.support.tui import SIZE as ELB_SIZE
from tests.tui.test_tui_snapshots import SIZE as SNAPSHOT_SIZE
from tests.tui.test_tui_snapshots import click_tab, scenario
from tui.screens.ec2.instance_settings import ChangeInstanceTypeScreen, ChangeSecurityGroupsScreen
from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen


async def test_termination_protection_toggles_and_stops_a_terminate() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-2")
        instance = app.cloud.ec2.instance(instance_id)
        await pilot.press("p")
        await wait_for(pilot, lambda: instance.disable_api_termination)
        await pilot.press("delete")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: any("may not be terminated" in str(n.message)
                                          for n in app._notifications))
        assert instance.state == "running"
        await pilot.press("p")
        await wait_for(pilot, lambda: not instance.disable_api_termination)
        assert page(app).selected_key == instance_id


async def test_storage_tab_lists_the_root_volume() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-1")
        [volume] = app.cloud.ec2.volumes_of(instance_id)
        console = Console(record=True, width=120)
        console.print(page(app).detail("tab.storage", instance_id))
        drawn = console.export_text()
        assert volume.volume_id in drawn and "/dev/xvda" in drawn and "gp3" in drawn
        assert "Root device details" in drawn and "Block devices" in drawn


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_instance_storage_tab(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SNAPSHOT_SIZE,
                        run_before=scenario(["2"], click_tab("tab-storage")))


async def test_target_group_wizard_registers_ip_addresses(tmp_path: Path) -> None:
    app = elb_app(tmp_path)
    async with app.run_test(size=ELB_SIZE) as pilot:
        cloud = app.cloud
        await populate(cloud)
        servers = {i.name: i for i in cloud.ec2.describe_instances()}
        await pilot.press("5", "c")  # Target groups › Create target group
        await wait_for(pilot, lambda: isinstance(app.screen, CreateTargetGroupScreen))
        ip_choice = next(b for b in app.screen.query(RadioButton) if b.name == "ip")
        assert not ip_choice.disabled
        await click(pilot, ip_choice)
        await click(pilot, "#tg_name")
        await type_text(pilot, "ip-tg")
        await click(pilot, "#next")
        await tick(pilot, "#available", ["server-1"])
        await click(pilot, "#include")
        await click(pilot, "#save")
        await wait_for(pilot, lambda: bool(cloud.elbv2.target_groups))
        [group] = cloud.elbv2.describe_target_groups()
        assert (group.name, group.target_type) == ("ip-tg", "ip")
        assert [(t.id, t.port) for t in group.targets.values()] == [(servers["server-1"].private_ip, 80)]


async def test_change_security_groups_on_a_running_instance_and_type_when_stopped() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        cloud = app.cloud
        await populate(cloud)
        await pilot.press("2")
        running_id = await select_row(pilot, "server-1")
        running = cloud.ec2.instance(running_id)
        await pilot.press("T")  # the type changes only when stopped: nothing opens
        assert not isinstance(app.screen, ChangeInstanceTypeScreen)
        await pilot.press("G")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangeSecurityGroupsScreen))
        choices = app.screen.query_one("#setting", SelectionList)
        default = cloud.ec2.security_group_by_name("default").group_id
        choices.select(default)
        await click(pilot, "#save")
        await wait_for(pilot, lambda: default in running.security_group_ids)
        assert running.state == "running" and len(running.security_group_ids) == 2

        spare_id = await select_row(pilot, "spare")
        spare = cloud.ec2.instance(spare_id)
        assert spare.state == "stopped"
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangeInstanceTypeScreen))
        types = app.screen.query_one("#setting", Select)
        with pytest.raises(InvalidSelectValueError):
            types.value = "t4g.micro"  # an x86_64 AMI: no Graviton types are offered
        types.value = "m7i.large"
        await click(pilot, "#save")
        await wait_for(pilot, lambda: spare.instance_type == "m7i.large")


def test_change_security_groups_dialog_ko(snap_compare) -> None:
    async def open_dialog(pilot: Pilot[int]) -> None:
        await pilot.press("G")
        await pilot.pause()

    assert snap_compare(demo_app("ko"), terminal_size=SNAPSHOT_SIZE, run_before=scenario(["2"], open_dialog))
