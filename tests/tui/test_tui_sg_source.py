"""A rule's custom source takes a CIDR block or a security group by name or ID, as in the console
(the troubleshooting lab's fix: "HTTP, source Custom → trouble-lb-sg")."""

from __future__ import annotations

from textual.widgets import Input, Static

from mock_cloud.scenarios import populate
from tests.support.tui import SIZE, app_with_edge, choose, click, select_row, shown, type_text, wait_for
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen


async def test_a_custom_source_names_a_group_with_suggestions() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        lb_group = app.cloud.ec2.security_group_by_name("demo-sg-load-balancer")
        await pilot.press("3")
        web_id = await select_row(pilot, "web-sg")
        await pilot.press("i")
        editor = app.screen
        assert isinstance(editor, SecurityGroupEditorScreen)
        await click(pilot, "#inbound .rule-add")
        row = editor.query("#inbound .rule-row").last()
        await choose(pilot, row.query_one(".rule-type"), "Custom TCP")
        await click(pilot, row.query_one(".rule-ports"))
        await type_text(pilot, "8080")
        await choose(pilot, row.query_one(".rule-source-kind"), "Custom")
        source = row.query_one(".rule-cidr", Input)
        await click(pilot, source)
        await type_text(pilot, "demo-sg-l")
        await wait_for(pilot, lambda: source._suggestion == "demo-sg-load-balancer")  # the console's suggestion
        await pilot.press("right")  # takes it
        assert source.value == "demo-sg-load-balancer"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        rule = next(r for r in app.cloud.ec2.security_group(web_id).ingress if r.from_port == 8080)
        assert (rule.referenced_group_id, rule.cidr_ipv4) == (lb_group.group_id, None)

        await pilot.press("i")  # the saved rule shows its group, and saving again changes nothing
        editor = app.screen
        assert isinstance(editor, SecurityGroupEditorScreen)
        sources = [r.query_one(".rule-cidr", Input).value for r in editor.query("#inbound .rule-row")]
        assert lb_group.group_id in sources
        await click(pilot, "#inbound .rule-add")
        row = editor.query("#inbound .rule-row").last()
        await choose(pilot, row.query_one(".rule-type"), "HTTPS")
        await click(pilot, row.query_one(".rule-cidr", Input))
        await type_text(pilot, "no-such-sg")
        await pilot.press("ctrl+s")
        error = editor.query_one("#error", Static)
        await wait_for(pilot, lambda: "InvalidParameterValue" in shown(error))  # once it is laid out
        assert rule.rule_id in [r.rule_id for r in app.cloud.ec2.security_group(web_id).ingress]


async def test_the_korean_rule_editor_says_all_as_the_console_does() -> None:
    app = app_with_edge("ko")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "c")
        editor = app.screen
        assert isinstance(editor, SecurityGroupEditorScreen)
        row = editor.query_one("#outbound .rule-row")  # the default: all traffic to anywhere
        await wait_for(pilot, lambda: shown(row.query_one(".rule-protocol")) == "전체")
        assert row.query_one(".rule-ports", Input).value == "전체"
