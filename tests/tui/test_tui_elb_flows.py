"""The ELB half of the console driven as a learner drives it (keys, clicks), checked against the cloud.

The seed lab first (demo-tg with "Include as pending below", DemoALB over all four zones, both
targets healthy, the Browser alternating hosts, a stopped instance turning unused live), then
rules, HTTPS and the request trace, then AWS's errors shown inline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, SelectionList, Static

from mock_cloud.ec2.service import RuleSpec
from mock_cloud.scenarios import INTERVAL, PROVISION, healthy_lab, populate, populate_elb
from tests.support.elb_screens import add_maintenance_rule
from tests.support.tui import (
    SIZE,
    cell,
    choose,
    click,
    elb_app,
    find,
    open_tab,
    page,
    shown,
    tick,
    type_text,
    wait_for,
)
from tui.app import LblabApp
from tui.screens.browser import BrowserScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.elb.certificates import RequestCertificateScreen
from tui.screens.elb.lb_wizard import CreateLoadBalancerScreen, LoadBalancerTypeScreen
from tui.screens.elb.listener_editor import ListenerEditorScreen
from tui.screens.elb.listeners import ListenersPage, PageScreen, RulesPage
from tui.screens.elb.request_trace import RequestTraceScreen
from tui.screens.elb.rule_editor import RuleEditorScreen
from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen
from tui.widgets.elb_drafts import CONSOLE_SSL_POLICY


def detail_text(app: LblabApp, tab: str) -> str:
    return shown(page(app).query_one(f"#detail-{tab}", Static))


# -- the seed lab ----------------------------------------------------------------------------------------


@pytest.mark.long
async def test_seed_lab_target_group_and_load_balancer_through_the_console(tmp_path: Path) -> None:
    app = elb_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        cloud = app.cloud
        await populate(cloud)
        servers = {i.name: i for i in cloud.ec2.describe_instances()}

        # Load balancers › Create load balancer › Application Load Balancer: name, all four zones, the
        # balancer's own group instead of the default one
        await pilot.press("4", "c")
        assert isinstance(app.screen, LoadBalancerTypeScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateLoadBalancerScreen))
        wizard = app.screen
        await type_text(pilot, "DemoALB")
        for box in wizard.query(".zone"):
            await click(pilot, box)
        await tick(pilot, "#security_groups", ["default", "demo-sg-load-balancer"])

        # Listeners and routing › Create target group: step 1, Next, tick both servers, include them
        await click(pilot, ".group-create")
        assert isinstance(app.screen, CreateTargetGroupScreen)
        await type_text(pilot, "demo-tg")
        await click(pilot, "#next")
        await tick(pilot, "#available", ["server-1", "server-2"])
        await click(pilot, "#include")
        assert "Review targets: 2 pending" in shown(app.screen.query_one("#review-title"))
        await pilot.press("ctrl+l")  # Korean, and back: the wizard keeps its step and what was picked
        assert "대상 검토: 보류 중 2개" in shown(app.screen.query_one("#review-title"))
        assert not app.screen.query_one("#next").display
        await pilot.press("ctrl+l")
        await click(pilot, "#save")

        # ... and back in the load balancer's wizard with the new group chosen
        await wait_for(pilot, lambda: app.screen is wizard and cloud.elbv2.target_groups)
        [group] = cloud.elbv2.describe_target_groups()
        assert (group.name, group.protocol, group.port, group.protocol_version) == ("demo-tg", "HTTP", 80, "HTTP1")
        assert sorted(t.id for t in group.targets.values()) == sorted(servers[n].instance_id
                                                                       for n in ("server-1", "server-2"))
        await wait_for(pilot, lambda: wizard.query_one(".group-pick", Select).value == group.arn)
        summary = shown(wizard.query_one("#summary-text"))
        assert "demo-sg-load-balancer" in summary and "HTTP:80 → Forward to demo-tg" in summary
        await click(pilot, "#save")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen) and cloud.elbv2.load_balancers)
        [lb] = cloud.elbv2.describe_load_balancers()
        alb_sg = cloud.ec2.security_group_by_name("demo-sg-load-balancer").group_id
        assert (lb.name, lb.scheme, lb.ip_address_type, lb.security_groups) == ("DemoALB", "internet-facing", "ipv4",
                                                                                [alb_sg])
        assert len(lb.availability_zones) == 4
        [listener] = cloud.elbv2.describe_listeners(lb.arn)
        assert (listener.protocol, listener.port, listener.default_actions[0].target_group_arn) == (
            "HTTP", 80, group.arn)

        # Details: the DNS name, provisioning, then active once the clock moves on
        await wait_for(pilot, lambda: page(app).selected_key == lb.arn)
        details = detail_text(app, "lb-tab-details")
        assert lb.dns_name in details and "Provisioning" in details
        await pilot.press("y")
        assert app.clipboard == lb.dns_name
        await cloud.clock.advance(PROVISION + INTERVAL)
        await wait_for(pilot, lambda: cell(app, lb.arn, "state") == "● Active")

        # Target groups › Targets: both healthy
        await pilot.press("5")
        await open_tab(pilot, "tg-tab-targets")
        await wait_for(pilot, lambda: "● Healthy 2" in detail_text(app, "tg-tab-targets"))
        targets = detail_text(app, "tg-tab-targets")
        assert targets.count("● Healthy") == 3 and "Target." not in targets  # the count and both: no reason

        # The DNS name in the Browser, ten requests: both servers answer, in turn
        await pilot.press("4", "b")
        browser = app.screen
        assert isinstance(browser, BrowserScreen) and browser.url == f"http://{lb.dns_name}/"
        await wait_for(pilot, lambda: browser.result is not None and not browser.fetching)
        browser.query_one("#count", Input).value = "10"
        await click(pilot, "#send")
        await wait_for(pilot, lambda: len(browser.tally.hosts) == 10)
        assert set(browser.tally.counts().values()) == {5}
        assert set(browser.tally.counts()) == {servers[n].private_dns_name for n in ("server-1", "server-2")}
        await pilot.press("escape")

        # Stop one server: its target turns unused (Target.InvalidState) without a key pressed
        await pilot.press("5")
        await open_tab(pilot, "tg-tab-targets")
        await cloud.ec2.stop_instances([servers["server-1"].instance_id])
        await wait_for(pilot, lambda: "Target.InvalidState" in detail_text(app, "tg-tab-targets"))
        targets = detail_text(app, "tg-tab-targets")
        assert "● Unused" in targets and "Target is in the stopped state" in targets and "● Healthy" in targets


# -- rules, HTTPS, the request trace -----------------------------------------------------------------------


@pytest.mark.long
async def test_rules_https_and_the_request_trace(tmp_path: Path) -> None:
    app = elb_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        cloud = app.cloud
        lab = await healthy_lab(cloud)
        dns = lab.lb.dns_name

        # Listeners and rules › HTTP:80 › Manage rules › Add rule: /maintenance/* answers 503 itself
        await pilot.press("4", "m")
        assert isinstance(app.screen, PageScreen) and isinstance(app.screen.query_one(ListenersPage), ListenersPage)
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.query(RulesPage))
        await pilot.press("a")
        assert isinstance(app.screen, RuleEditorScreen)
        await click(pilot, ".condition-values")
        await type_text(pilot, "/maintenance/*")
        await choose(pilot, "#action_type", "Return fixed response")
        code = app.screen.query_one("#fixed_code", Input)
        code.value = "503"
        await click(pilot, "#fixed_body")
        await type_text(pilot, "Down for maintenance")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PageScreen))
        rules = app.screen.query_one(RulesPage)
        await wait_for(pilot, lambda: rules.table.row_count == 2)
        answer = await cloud.fetch(f"http://{dns}/maintenance/now")
        assert (answer.status, answer.text) == (503, "Down for maintenance")
        assert (await cloud.fetch(f"http://{dns}/")).status == 200

        # Request trace from the load balancer: the rule that matched, and why
        await pilot.press("escape", "escape", "T")
        trace = app.screen
        assert isinstance(trace, RequestTraceScreen)
        hops = trace.query_one("#trace-hops", Static)
        await pilot.press("down")  # the older request: /maintenance/now
        await wait_for(pilot, lambda: "priority 1: path-pattern '/maintenance/*' matched" in shown(hops))
        assert "Return fixed response" not in shown(hops) and "fixed response" in shown(hops)
        await pilot.press("escape")

        # Add listener: HTTPS:443 with a certificate requested on the way
        await cloud.ec2.authorize(lab.lb_sg, [RuleSpec("tcp", 443, 443, cidr_ipv4="0.0.0.0/0")])
        await pilot.press("a")
        assert isinstance(app.screen, ListenerEditorScreen)
        await choose(pilot, "#listener_protocol", "HTTPS")
        assert app.screen.query_one("#listener_port", Input).value == "443"
        await choose(pilot, app.screen.query_one(".group-pick", Select), "demo-tg")
        await click(pilot, ".certificate-request")
        assert isinstance(app.screen, RequestCertificateScreen)
        await type_text(pilot, dns.lower())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ListenerEditorScreen))
        [certificate] = cloud.elbv2.certificates.list()
        assert app.screen.query_one("#certificate_arn", Select).value == certificate.arn
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        https = next(x for x in cloud.elbv2.describe_listeners(lab.lb.arn) if x.port == 443)
        assert (https.protocol, https.certificates, https.ssl_policy) == ("HTTPS", [certificate.arn],
                                                                          CONSOLE_SSL_POLICY)
        assert (await cloud.fetch(f"https://{dns}/")).status == 200

        # The Browser's request, traced: the default rule and the target it went to
        await pilot.press("b")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: browser.result is not None and not browser.fetching)
        await pilot.press("ctrl+t")
        trace = app.screen
        assert isinstance(trace, RequestTraceScreen)
        text = shown(trace.query_one("#trace-hops", Static))
        assert "default rule: no other rule matched" in text and "demo-tg (HTTP:80, round_robin)" in text
        served = next(i for i in lab.instances if f"{i.instance_id}:80" in text)
        assert "Answered: HTTP 200" in text and served.private_ip in text


# -- AWS's errors, inline -----------------------------------------------------------------------------------------


async def test_one_zone_load_balancer_shows_aws_error_and_the_security_group_shortcut(tmp_path: Path) -> None:
    app = elb_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "c", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateLoadBalancerScreen))
        wizard = app.screen
        await type_text(pilot, "OneZone")
        await click(pilot, wizard.query(".zone").first())
        assert "1 selected" in shown(wizard.query_one("#zones-hint"))

        # "Create new security group" opens the EC2 form on top, and comes back with the group chosen
        await click(pilot, "#create-sg")
        assert isinstance(app.screen, SecurityGroupEditorScreen)
        await type_text(pilot, "one-zone-sg")
        app.screen.query_one("#description", Input).value = "SG for ALB"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is wizard)
        group_id = app.cloud.ec2.security_group_by_name("one-zone-sg").group_id
        await wait_for(pilot, lambda: group_id in wizard.query_one("#security_groups", SelectionList).selected)

        await click(pilot, "#save")
        error = wizard.query_one("#error", Static)
        await wait_for(pilot, lambda: shown(error))  # shown once laid out, not only displayed
        assert ("ValidationError: At least two subnets in two different Availability Zones must be specified"
                in shown(error))
        assert not app.cloud.elbv2.load_balancers and app.screen is wizard


# -- editing, and what asks first ------------------------------------------------------------------------------


async def test_edit_settings_deregister_reprioritise_and_delete_ask_first(tmp_path: Path) -> None:
    app = elb_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        cloud = app.cloud
        await populate(cloud)
        lb = await populate_elb(cloud)
        await add_maintenance_rule(cloud, lb)
        [group] = cloud.elbv2.describe_target_groups()

        # Health checks › Edit, Attributes › Edit: saved through the cloud, AWS's ranges enforced inline
        await pilot.press("5", "e")
        (await find(pilot, "#health_interval", Input)).value = "3"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#error", Static)
        await wait_for(pilot, lambda: shown(error))  # shown once laid out, not only displayed
        assert "ValidationError" in shown(error) and "healthCheckIntervalSeconds" in shown(error)
        app.screen.query_one("#health_interval", Input).value = "10"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: group.health_check.interval_seconds == 10)
        await pilot.press("a")
        (await find(pilot, "#attr-0", Input)).value = "0"  # deregistration delay
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: group.deregistration_delay == 0)

        # Deregister: tick, confirm (Cancel first leaves it registered)
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("d")
        await tick(pilot, "#targets", ["server-1"])
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        assert len(group.targets) == 2
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: len(group.targets) == 1)

        # Manage rules: a second rule, moved above the first
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
        await pilot.press("4", "m", "m")
        rules = await find(pilot, RulesPage)
        [listener] = cloud.elbv2.describe_listeners(lb.arn)
        await add_maintenance_rule(cloud, lb, priority=20, path="/old/*")
        await wait_for(pilot, lambda: rules.table.row_count == 3)
        await pilot.press("down", "u")
        await wait_for(pilot, lambda: [r.priority for r in listener.rules if r.conditions and
                                       r.conditions[0].patterns() == ["/old/*"]] == [10])

        # Deleting the load balancer asks first
        await pilot.press("escape", "escape", "delete")
        assert isinstance(app.screen, ConfirmScreen) and "DemoALB" in shown(app.screen.query_one(".dialog-body"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not cloud.elbv2.load_balancers)
