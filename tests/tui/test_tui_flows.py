"""The console driven as a learner drives it (keys, clicks, a paste), checked against the cloud.

Each test runs the real app over a seeded cloud on a paused clock with its internet edge up,
so "does it serve" is answered by a real HTTP request through the edge.
"""

from __future__ import annotations

import re

from textual import events
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    DataTable,
    Input,
    Label,
    OptionList,
    RichLog,
    SelectionList,
    Static,
    TextArea,
)

from mock_cloud.ec2.service import USER_DATA_LIMIT
from mock_cloud.scenarios import SEED_USER_DATA, demo_config, populate
from tests.support.tui import (
    SIZE,
    app_with_edge,
    cell,
    click,
    demo_app,
    page,
    paste,
    select_row,
    shown,
    type_text,
    wait_for,
)
from tui.app import LblabApp
from tui.screens.browser import BrowserScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.console import PAGES, ConsoleScreen
from tui.screens.ec2.connect import ConnectScreen
from tui.screens.ec2.launch_wizard import SCREEN_NAME, LaunchWizardScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.ec2.system_log import SystemLogScreen

HELLO = re.compile(r"<h1>Hello World from (ip-172-31-\d+-\d+)\.ap-northeast-2\.compute\.internal</h1>")


# -- launching ---------------------------------------------------------------------------------


async def test_launch_with_the_seed_user_data_serves_hello_world() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "l")
        assert isinstance(app.screen, LaunchWizardScreen)
        await type_text(pilot, "server-1")
        await click(pilot, "#allow_http")
        await click(pilot, "#advanced CollapsibleTitle")
        await click(pilot, "#user_data")
        app.post_message(events.Paste(SEED_USER_DATA))  # what the terminal sends when the learner pastes
        user_data = app.screen.query_one("#user_data", TextArea)
        size_label = app.screen.query_one("#user-data-size", Label)
        expected = f"{len(SEED_USER_DATA.encode()):,} / {USER_DATA_LIMIT:,} bytes"
        await wait_for(pilot, lambda: expected in shown(size_label))
        assert user_data.text == SEED_USER_DATA
        await click(pilot, "#launch")

        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.cloud.ec2.instances)
        [instance] = app.cloud.ec2.describe_instances()
        assert instance.name == "server-1" and instance.user_data == SEED_USER_DATA
        [group] = [app.cloud.ec2.security_groups[g] for g in instance.security_group_ids]
        assert group.group_name == "launch-wizard-1"
        assert {(r.from_port, r.cidr_ipv4) for r in group.ingress} == {(22, "0.0.0.0/0"), (80, "0.0.0.0/0")}
        # the new instance is selected on the Instances page, pending
        assert page(app).selected_key == instance.instance_id
        assert cell(app, instance.instance_id, "state") == "● Pending"

        await app.cloud.clock.advance(30)
        await wait_for(pilot, lambda: cell(app, instance.instance_id, "state") == "● Running")
        answer = await app.cloud.fetch(f"http://{instance.public_ip}/")
        match = HELLO.fullmatch(answer.text.strip())
        assert answer.status == 200 and match, answer
        assert match.group(1) == "ip-" + instance.private_ip.replace(".", "-")


async def test_launch_errors_are_shown_in_the_form_in_aws_words() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "l")
        await click(pilot, "#count")
        await pilot.press("end", "backspace", "0")
        await click(pilot, "#launch")
        error = app.screen.query_one("#error", Static)
        await wait_for(pilot, lambda: shown(error))  # shown once laid out, not only displayed
        assert "InvalidParameterValue: Invalid value '0' for minCount" in shown(error)
        assert not app.cloud.ec2.instances
        # the wizard's group was made once; a second try reuses it instead of launch-wizard-2
        await click(pilot, "#count")
        await pilot.press("end", "backspace", "1")
        await click(pilot, "#advanced CollapsibleTitle")
        await click(pilot, "#user_data")
        app.post_message(events.Paste("#!/bin/bash\n" + "x" * USER_DATA_LIMIT))
        size = app.screen.query_one("#user-data-size", Label)
        await wait_for(pilot, lambda: "16,396 / 16,384" in shown(size))
        await click(pilot, "#launch")
        await wait_for(pilot, lambda: "User data is limited" in shown(error))
        assert "InvalidParameterValue: User data is limited to 16384 bytes" in shown(error)
        names = sorted(g.group_name for g in app.cloud.ec2.describe_security_groups())
        assert names == ["default", "launch-wizard-1"]
        assert isinstance(app.screen, LaunchWizardScreen)


async def test_the_wizard_opened_again_starts_afresh_from_the_cloud_as_it_is() -> None:
    """The console keeps one wizard and resets it on each opening: nothing of the last one stays."""
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "l")
        first = app.screen
        await type_text(pilot, "server-1")
        await click(pilot, "#allow_http")
        await click(pilot, "#count")
        await pilot.press("end", "backspace", "0")
        await click(pilot, "#advanced CollapsibleTitle")
        await click(pilot, "#launch")
        error = first.query_one("#error", Static)
        await wait_for(pilot, lambda: error.display)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))

        await pilot.press("l", *"server-2")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchWizardScreen))
        wizard = app.screen
        assert wizard is first  # kept, not composed again
        name = wizard.query_one("#name", Input)
        await wait_for(pilot, lambda: name.value == "server-2")
        assert wizard.focused is name and wizard.form.name == "server-2"
        assert wizard.query_one("#count", Input).value == "1" and not error.display
        assert not wizard.query_one("#allow_http", Checkbox).value and not wizard.form.allow_http
        assert wizard.query_one("#advanced", Collapsible).collapsed
        # the failed try made launch-wizard-1: the new form offers it and names its own group -2
        assert "launch-wizard-2" in shown(wizard.query_one("#create-group-note", Label))
        existing = wizard.query_one("#existing_groups", SelectionList)
        assert any("launch-wizard-1" in str(existing.get_option_at_index(i).prompt)
                   for i in range(existing.option_count))
        await click(pilot, "#launch")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.cloud.ec2.instances)
        [instance] = app.cloud.ec2.describe_instances()
        assert instance.name == "server-2"
        [group] = [app.cloud.ec2.security_groups[g] for g in instance.security_group_ids]
        assert group.group_name == "launch-wizard-2" and {r.from_port for r in group.ingress} == {22}


async def test_the_lblab_command_builds_the_wizard_hidden_and_its_first_opening_takes_type_ahead() -> None:
    """Built, laid out and drawn unseen (tui/offscreen.py): its first opening lays nothing out anew."""
    app = LblabApp(demo_config(), lang="en", ready_pages=True)
    async with app.run_test(size=SIZE) as pilot:
        # Until it is prepared: installed by the console's worker that readies the pages, which then lays it out
        # (several passes: its widgets laid out once have more to ask) and draws it.
        await wait_for(pilot, lambda: app.is_screen_installed(SCREEN_NAME) and not any(
            worker.group == "ready-pages" and not worker.is_finished for worker in app.workers))
        hidden = app.get_screen(SCREEN_NAME)
        laid_out = {w: w.region for w in hidden.query("#name, #launch, #summary-text")}
        assert isinstance(app.screen, ConsoleScreen) and len(laid_out) == 3 and not hidden._layout_required
        await pilot.press("2", "l", *"web-1")
        await wait_for(pilot, lambda: app.screen is hidden and hidden.query_one("#name", Input).value == "web-1")
        assert {w: w.region for w in laid_out} == laid_out  # where the first opening draws them
        assert hidden.focused is hidden.query_one("#name", Input)
        assert isinstance(hidden, LaunchWizardScreen) and hidden.form.name == "web-1"


# -- instance actions -------------------------------------------------------------------------------


async def test_stop_start_reboot_and_terminate_ask_and_follow_the_cloud() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-2")
        instance = app.cloud.ec2.instance(instance_id)
        old_ip = instance.public_ip

        await pilot.press("x")  # stop asks first; Cancel leaves the instance alone
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#cancel")
        await pilot.pause()
        assert instance.state == "running" and isinstance(app.screen, ConsoleScreen)

        await pilot.press("x")
        assert "server-2" in shown(app.screen.query_one(".dialog-body"))
        await pilot.press("enter")  # the dialog's Stop button has the focus
        await wait_for(pilot, lambda: cell(app, instance_id, "state") == "● Stopping")
        assert page(app).query_one("#action-start", Button).disabled
        await app.cloud.clock.advance(20)
        await wait_for(pilot, lambda: cell(app, instance_id, "state") == "● Stopped")
        assert cell(app, instance_id, "public_ip") == "–"
        assert page(app).selected_key == instance_id  # the cursor stayed on the instance

        await pilot.press("s")  # start needs no confirmation, as in the console
        await wait_for(pilot, lambda: instance.state == "pending")
        await app.cloud.clock.advance(30)
        await wait_for(pilot, lambda: cell(app, instance_id, "state") == "● Running")
        assert instance.public_ip not in (None, old_ip)
        assert cell(app, instance_id, "public_ip") == instance.public_ip
        answer = await app.cloud.fetch(f"http://{instance.public_ip}/")
        assert answer.status == 200 and "Hello World" in answer.text

        spare_id = await select_row(pilot, "spare")
        await pilot.press("R")  # reboot does not apply to a stopped instance: nothing opens
        assert isinstance(app.screen, ConsoleScreen)
        await pilot.press("delete")  # terminate asks; Escape cancels
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert app.cloud.ec2.instance(spare_id).state == "stopped"
        await pilot.press("delete")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: cell(app, spare_id, "state") == "● Shutting-down")


async def test_system_log_then_connect_and_stop_httpd_takes_the_site_down() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-1")
        instance = app.cloud.ec2.instance(instance_id)
        assert (await app.cloud.fetch(f"http://{instance.public_ip}/")).status == 200

        await pilot.press("g")
        assert isinstance(app.screen, SystemLogScreen)
        text = app.screen.query_one("#system-log", TextArea).text
        assert "cloud-init" in text and text == app.cloud.ec2.get_console_output(instance_id)
        await pilot.press("escape")

        await pilot.press("c")
        assert isinstance(app.screen, ConnectScreen)
        prompt = app.screen.query_one("#prompt", Label)
        short = "ip-" + instance.private_ip.replace(".", "-")
        await wait_for(pilot, lambda: shown(prompt).strip() == f"[ec2-user@{short} ~]$")  # the guest's session
        await paste(pilot, "sudo systemctl stop httpd")
        await pilot.press("enter")
        await wait_for(pilot, lambda: instance.local_port(80) is None)
        answer = await app.cloud.fetch(f"http://{instance.public_ip}/")
        assert answer.status != 200 and "Hello" not in answer.text

        await paste(pilot, "cd /var/www/html")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "html]$" in shown(prompt))
        command = app.screen.query_one("#command", Input)
        await pilot.press("up")
        assert command.value == "cd /var/www/html"
        await pilot.press("up")
        assert command.value == "sudo systemctl stop httpd"
        await pilot.press("down", "down")
        assert command.value == ""
        log = app.screen.query_one("#scrollback", RichLog)
        assert any("sudo systemctl stop httpd" in "".join(s.text for s in line) for line in log.lines)

        await paste(pilot, "exit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))


async def test_browser_opens_an_instance_and_counts_who_answers() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-2")
        instance = app.cloud.ec2.instance(instance_id)
        await pilot.press("b")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: browser.result is not None)
        assert "HTTP 200 OK" in shown(browser.query_one("#status", Static))
        assert instance.private_dns_name in shown(browser.query_one("#body", Static))
        await pilot.press("h")  # headers on demand: shown once the screen is laid out again
        await wait_for(pilot, lambda: "Apache" in shown(browser.query_one("#headers", Static)))

        count = browser.query_one("#count", Input)
        count.value = "4"
        await click(pilot, "#send")
        await wait_for(pilot, lambda: len(browser.tally.hosts) == 4)
        assert browser.tally.counts() == {instance.private_dns_name: 4}
        assert "4 / 4" in shown(browser.query_one("#tally", Static))

        # another address from the list of public addresses
        addresses = browser.query_one("#addresses", OptionList)
        first = addresses.get_option_at_index(0).id
        assert first is not None and first.startswith("http://")
        await pilot.press("escape")
        assert isinstance(app.screen, ConsoleScreen)


# -- security groups ------------------------------------------------------------------------------------


async def test_create_the_seed_security_group_with_the_keyboard() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "c")
        assert isinstance(app.screen, SecurityGroupEditorScreen)
        await type_text(pilot, "demo-sg-load-balancer")
        await pilot.press("tab")
        await paste(pilot, "SG for ALB")
        await click(pilot, "#inbound .rule-add")  # a new row's type has the focus
        await pilot.press("enter", *["down"] * 7, "enter")  # Custom TCP -> HTTP
        await pilot.press("tab")  # past the port range, fixed for HTTP, to the source
        await pilot.press("enter", "down", "enter")  # Custom -> Anywhere-IPv4
        await pilot.press("ctrl+s")

        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        group = app.cloud.ec2.security_group_by_name("demo-sg-load-balancer")
        assert group.description == "SG for ALB"
        [rule] = group.ingress
        assert (rule.protocol, rule.from_port, rule.to_port, rule.cidr_ipv4) == ("tcp", 80, 80, "0.0.0.0/0")
        [out] = group.egress
        assert (out.protocol, out.cidr_ipv4) == ("-1", "0.0.0.0/0")
        assert page(app).selected_key == group.group_id
        assert cell(app, group.group_id, "inbound") == "1"


async def test_create_a_security_group_with_the_mouse_and_fix_an_error() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await click(pilot, "#action-create")
        await click(pilot, "#name")
        await type_text(pilot, "web")
        await click(pilot, "#inbound .rule-add")
        await click(pilot, "#inbound .rule-row .rule-ports")
        await type_text(pilot, "8080")
        await click(pilot, "#inbound .rule-row .rule-cidr")
        await paste(pilot, "10.0.0.0")  # no prefix length: AWS rejects it
        await click(pilot, "#save")  # no description either
        error = app.screen.query_one("#error", Static)
        await wait_for(pilot, lambda: shown(error))  # shown once laid out, not only displayed
        assert "MissingParameter: The request must contain the parameter groupDescription" in shown(error)
        await click(pilot, "#description")
        await paste(pilot, "web servers")
        await click(pilot, "#save")
        await wait_for(pilot, lambda: "malformed" in shown(error))
        assert "InvalidParameterValue: CIDR block 10.0.0.0 is malformed" in shown(error)
        await click(pilot, "#inbound .rule-row .rule-cidr")
        await pilot.press("end")
        await type_text(pilot, "/8")
        await click(pilot, "#save")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        group = app.cloud.ec2.security_group_by_name("web")
        assert [(r.from_port, r.to_port, r.cidr_ipv4) for r in group.ingress] == [(8080, 8080, "10.0.0.0/8")]


async def test_edit_inbound_rules_then_delete_groups() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("3")
        group_id = await select_row(pilot, "web-sg")
        await pilot.press("i")
        assert isinstance(app.screen, SecurityGroupEditorScreen)
        assert len(app.screen.query(".rule-row")) == 2
        await click(pilot, app.screen.query(".rule-delete").last())  # SSH goes
        await click(pilot, ".rule-add")
        await pilot.press("enter", *["down"] * 8, "enter")  # Custom TCP -> HTTPS
        await pilot.press("tab", "enter", "down", "enter")  # source: Anywhere-IPv4
        await click(pilot, "#save")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        group = app.cloud.ec2.security_group(group_id)
        assert sorted((r.from_port, r.description) for r in group.ingress) == [(80, "HTTP"), (443, "")]

        await pilot.press("delete", "enter")  # web-sg is still used by two instances

        def errors() -> list[str]:
            return [note.message for note in app._notifications if note.severity == "error"]

        await wait_for(pilot, errors)
        assert errors() == [f"DependencyViolation: resource {group_id} has a dependent object"]

        alb_id = await select_row(pilot, "demo-sg-load-balancer")
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: alb_id not in app.cloud.ec2.security_groups)
        await wait_for(pilot, lambda: alb_id not in page(app).table.rows)


# -- the frame ---------------------------------------------------------------------------------------------


async def test_switching_language_translates_everything_and_keeps_the_selection() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance_id = await select_row(pilot, "server-2")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.t.lang == "ko"
        table = page(app).table
        assert [c.label.plain for c in table.ordered_columns][:3] == ["이름", "인스턴스 ID", "인스턴스 상태"]
        assert table.selected_key == instance_id
        assert cell(app, instance_id, "state") == "● 실행 중"
        nav = app.screen.query_one("#nav", OptionList)
        assert "보안 그룹" in [str(nav.get_option_at_index(i).prompt).strip() for i in range(nav.option_count)]
        footer = {active.binding.description for active in app.screen.active_bindings.values()}
        assert {"인스턴스 시작", "중지", "도움말", "English"} <= footer
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert page(app).table.ordered_columns[0].label.plain == "Name"


async def test_filter_sort_and_navigation() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        table = page(app).table
        assert table.row_count == 3
        await pilot.press("slash")
        await type_text(pilot, "stopped")
        assert table.row_count == 1
        await pilot.press("escape")  # clears the filter, back to the table
        assert table.row_count == 3 and table.has_focus
        await pilot.press("greater_than_sign")  # sort by Name (ascending)
        names = [table.get_row_at(i)[0].plain for i in range(3)]
        assert names == ["server-1", "server-2", "spare"]
        await pilot.press("less_than_sign")
        assert [table.get_row_at(i)[0].plain for i in range(3)] == ["spare", "server-2", "server-1"]
        drawn = table._update_count  # what DataTable's line cache is keyed on
        page(app).refresh_page()  # the cloud unchanged: not one line to draw again
        await pilot.pause()
        assert table._update_count == drawn and [table.get_row_at(i)[0].plain for i in range(3)] == [
            "spare", "server-2", "server-1"]
        await pilot.click(DataTable, offset=(3, 0))  # a click on a heading sorts too
        await pilot.press("3")
        assert page(app).TITLE_KEY == "nav.security_groups"
        await pilot.press("escape")  # back to the previous page
        assert page(app).TITLE_KEY == "nav.instances"


async def test_help_palette_and_clock_controls() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "question_mark")
        help_text = shown(app.screen.query("#help VerticalScroll Static").first())
        assert "Launch instances" in help_text and "Cursor up" not in help_text
        await pilot.press("escape")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Go to: Security Groups", "Instances: Stop instance", "Clock: ×30"} <= set(titles)

        clock = app.cloud.clock
        before = clock.now()
        await click(pilot, "#step")
        await wait_for(pilot, lambda: clock.now() == before + 5)
        await click(pilot, "#scale-30")
        assert clock.scale == 30
        assert app.screen.query_one("#step", Button).disabled
        await pilot.press("t")  # cycles ×30 -> paused
        assert clock.manual


async def test_every_navigation_entry_opens_its_page() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        for page_id, (_, class_name) in PAGES.items():
            await app.go_to_page(page_id)
            await pilot.pause()
            assert type(app.screen.current_page).__name__ == class_name  # type: ignore[attr-defined]
