"""A change that cannot be saved (a full disk) is not made: it is rolled back in memory and answered
with AWS's ServiceUnavailable, through the AWS API, the service layer and the console alike."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from mock_cloud import store as store_module
from mock_cloud.cloud import Cloud
from mock_cloud.ec2 import lifecycle
from mock_cloud.errors import CloudError
from mock_cloud.scenarios import INTERVAL, healthy_lab
from tests.reliability.test_reliability_state import FlakyOs
from tests.support.api import LiveCloud
from tests.support.cloud import make_config
from tests.support.elbv2 import forward, hostnames
from tests.support.tui import SIZE, click, paste, type_text, wait_for
from tui.app import LblabApp
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.lab_picker import LabPickerScreen

boto3 = pytest.importorskip("boto3", reason="boto3 drives the AWS API (pip install boto3)")
from botocore.exceptions import ClientError  # noqa: E402

UNSAVED = "lblab could not save the change to its state file"


@contextlib.contextmanager
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The state's disk is full: every write of the store fails with ENOSPC."""
    monkeypatch.setattr(store_module, "os", FlakyOs(piece=4096, room=0))
    try:
        yield
    finally:
        monkeypatch.undo()


def test_create_security_group_that_cannot_be_saved_is_answered_503_and_never_exists(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path)
    with LiveCloud(config) as live:
        ec2 = live.client("ec2")
        with disk_full(monkeypatch), pytest.raises(ClientError) as failed:
            ec2.create_security_group(GroupName="lost", Description="cannot be saved")
        error = failed.value.response["Error"]
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert error["Code"] == "ServiceUnavailable" and UNSAVED in error["Message"], error
        assert "No space left on device" in error["Message"]
        names = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
        assert "lost" not in names
        kept = ec2.create_security_group(GroupName="kept", Description="saved")["GroupId"]
    with LiveCloud(config) as again:
        described = again.client("ec2").describe_security_groups()["SecurityGroups"]
        groups = {g["GroupName"]: g["GroupId"] for g in described}
        assert "lost" not in groups and groups["kept"] == kept


async def test_listener_and_instance_changes_that_cannot_be_saved_leave_the_lab_serving(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with Cloud(make_config(tmp_path)) as cloud:
        lab = await healthy_lab(cloud)
        elbv2, ec2 = cloud.elbv2, cloud.ec2
        before = (tmp_path / "state.json").read_bytes()
        with disk_full(monkeypatch):
            for change in (
                elbv2.delete_listener(lab.listener.arn),
                elbv2.create_listener(lab.lb.arn, "HTTP", 8080, [forward(lab.group.arn)]),
                elbv2.modify_listener(lab.listener.arn, port=81),
                elbv2.delete_load_balancer(lab.lb.arn),
                ec2.terminate_instances([lab.instances[0].instance_id]),
                ec2.create_tags([lab.web_sg], {"Team": "lost"}),
            ):
                with pytest.raises(CloudError, match=UNSAVED) as failed:
                    await change
                assert (failed.value.code, failed.value.status) == ("ServiceUnavailable", 503)
        assert (tmp_path / "state.json").read_bytes() == before
        assert [x.port for x in elbv2.describe_listeners(lab.lb.arn)] == [80]
        assert [lb.arn for lb in elbv2.describe_load_balancers()] == [lab.lb.arn]
        assert [i.state for i in ec2.instances.values()] == ["running", "running"]
        assert "Team" not in ec2.security_group(lab.web_sg).tags
        # Nothing was started behind the errors; the balancer put back checks its targets afresh.
        await cloud.clock.advance(lifecycle.TERMINATE_SECONDS + 5 * INTERVAL)
        assert [i.state for i in ec2.instances.values()] == ["running", "running"]
        assert sorted(await hostnames(cloud, lab.url, 4)) == sorted([i.private_dns_name for i in lab.instances] * 2)
        await ec2.create_tags([lab.web_sg], {"Team": "kept"})  # the disk has room again
        assert '"Team":"kept"' in (tmp_path / "state.json").read_text()


async def test_a_background_change_that_cannot_be_saved_is_kept_and_new_calls_wait_for_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with Cloud(make_config(tmp_path)) as cloud:
        [instance] = await cloud.ec2.run_instances()
        with disk_full(monkeypatch):
            await cloud.clock.advance(lifecycle.BOOT_SECONDS + 1)  # it boots: that happened, saved or not
            assert instance.state == "running" and cloud.unsaved is not None
            with pytest.raises(CloudError, match=UNSAVED):
                await cloud.ec2.create_security_group("refused", "nothing changes while unsaved")
            assert '"state":"pending"' in (tmp_path / "state.json").read_text()
        group = await cloud.ec2.create_security_group("saved", "the disk has room again")
        saved = (tmp_path / "state.json").read_text()
        assert '"state":"running"' in saved and group.group_id in saved and "refused" not in saved
        assert cloud.unsaved is None


async def test_the_console_shows_why_a_change_was_not_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = LblabApp(make_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LabPickerScreen))  # a saved cloud offers the labs
        await pilot.press("escape", "3")
        await click(pilot, "#action-create")
        await click(pilot, "#name")
        await type_text(pilot, "web")
        await click(pilot, "#description")
        await paste(pilot, "web servers")
        with disk_full(monkeypatch):
            await click(pilot, "#save")
            error = app.screen.query_one("#error", Static)
            await wait_for(pilot, lambda: error.display)
        assert isinstance(app.screen, SecurityGroupEditorScreen)
        shown = str(error.render())
        assert "ServiceUnavailable" in shown and "could not save" in shown, shown
        assert not any(g.group_name == "web" for g in app.cloud.ec2.security_groups.values())
