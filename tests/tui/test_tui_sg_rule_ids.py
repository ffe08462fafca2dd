"""Edit inbound rules as the console does it since security group rules became resources: each row shows
its rule's sgr- ID, a changed row is modified in place (ModifySecurityGroupRules, so the rule keeps its ID),
a deleted row is revoked by its ID and a new row (shown with –) is authorized. With SVG snapshots in both
languages."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label

from mock_cloud.scenarios import populate
from tests.support.tui import SIZE, app_with_edge, choose, click, demo_app, select_row, shown, type_text, wait_for
from tests.tui.test_tui_snapshots import scenario
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen

SNAPSHOT_SIZE = (160, 45)


async def test_an_edited_rule_keeps_its_id_a_deleted_one_goes_and_a_new_one_is_added() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("3")
        web_id = await select_row(pilot, "web-sg")
        group = app.cloud.ec2.security_group(web_id)
        http, ssh = sorted(group.ingress, key=lambda rule: rule.from_port, reverse=True)
        await pilot.press("i")
        editor = app.screen
        assert isinstance(editor, SecurityGroupEditorScreen)
        rows = list(editor.query("#inbound .rule-row"))
        assert [shown(row.query_one(".rule-id", Label)) for row in rows] == [r.rule_id for r in group.ingress]
        http_row = next(row for row in rows if shown(row.query_one(".rule-id", Label)) == http.rule_id)
        ssh_row = next(row for row in rows if shown(row.query_one(".rule-id", Label)) == ssh.rule_id)

        await choose(pilot, http_row.query_one(".rule-source-kind"), "Custom")  # HTTP from 10.0.0.0/8 only
        await click(pilot, http_row.query_one(".rule-cidr", Input))
        await type_text(pilot, "10.0.0.0/8")
        await click(pilot, ssh_row.query_one(".rule-delete"))
        await click(pilot, "#inbound .rule-add")
        new_row = editor.query("#inbound .rule-row").last()
        assert shown(new_row.query_one(".rule-id", Label)) == "–"
        await choose(pilot, new_row.query_one(".rule-type"), "HTTPS")
        await choose(pilot, new_row.query_one(".rule-source-kind"), "Anywhere")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))

        by_id = {rule.rule_id: rule for rule in group.ingress}
        assert http.rule_id in by_id and ssh.rule_id not in by_id
        assert (by_id[http.rule_id].from_port, by_id[http.rule_id].cidr_ipv4) == (80, "10.0.0.0/8")
        assert by_id[http.rule_id].description == "HTTP"
        [added] = [rule for rule in group.ingress if rule.rule_id != http.rule_id]
        assert (added.from_port, added.cidr_ipv4) == (443, "0.0.0.0/0") and added.rule_id.startswith("sgr-")


async def test_a_rejected_edit_changes_nothing() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("3")
        web_id = await select_row(pilot, "web-sg")
        before = [(r.rule_id, r.from_port, r.cidr_ipv4) for r in app.cloud.ec2.security_group(web_id).ingress]
        await pilot.press("i")
        editor = app.screen
        assert isinstance(editor, SecurityGroupEditorScreen)
        first, second = list(editor.query("#inbound .rule-row"))
        await click(pilot, second.query_one(".rule-delete"))
        await choose(pilot, first.query_one(".rule-type"), "HTTPS")  # a valid edit, then a bad new rule
        await click(pilot, "#inbound .rule-add")
        bad = editor.query("#inbound .rule-row").last()
        await choose(pilot, bad.query_one(".rule-type"), "SSH")
        await click(pilot, bad.query_one(".rule-cidr", Input))
        await type_text(pilot, "10.0.0.300/8")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: editor.query_one("#error").display)
        after = app.cloud.ec2.security_group(web_id).ingress
        assert sorted((r.from_port, r.cidr_ipv4) for r in after) == sorted((p, c) for _, p, c in before)
        edited_id = before[0][0]
        assert edited_id in [r.rule_id for r in after]  # the modified rule was put back in place


async def open_web_sg_inbound(pilot: Pilot[int]) -> None:
    await select_row(pilot, "web-sg")
    await pilot.press("i")
    await pilot.pause()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_edit_inbound_rules_shows_rule_ids(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SNAPSHOT_SIZE,
                        run_before=scenario(["3"], open_web_sg_inbound))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_security_group_inbound_tab_lists_rule_ids(snap_compare, lang: str) -> None:
    async def inbound_tab(pilot: Pilot[int]) -> None:
        await select_row(pilot, "web-sg")
        await pilot.click("#--content-tab-tab-inbound")
        await pilot.pause()

    assert snap_compare(demo_app(lang), terminal_size=SNAPSHOT_SIZE, run_before=scenario(["3"], inbound_tab))
