"""Helpers for the lab TUI tests and the screenshots (no tests here): a learner at the console, with the
lab panel beside it, doing each lab's steps through the real screens.

The cloud is seeded (42) and paused, its internet edge up (the checks send real requests through it)
and saved under a temp directory (lab progress lives beside the state). Three things differ from run
to run and are kept off the pictures by `steady_texts`: the edge's ephemeral port (in the header and
in lab texts), the local CA file's path, and the real time spent in a lab.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar
from unittest.mock import patch

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Select, TextArea

import labs.engine
from labs import LabSession, Text
from labs.placeholders import PLACEHOLDERS, Placeholder
from mock_cloud import Instance
from mock_cloud.scenarios import SEED_USER_DATA
from tests.support.cloud import make_config
from tests.support.tui import choose, click, open_tab, page, paste, settle, tick, type_text, wait_for
from tui.app import LblabApp
from tui.screens.browser import BrowserScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.connect import ConnectScreen
from tui.screens.ec2.instance_settings import ChangeSecurityGroupsScreen
from tui.screens.ec2.launch_wizard import LaunchWizardScreen
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.elb.lb_wizard import CreateLoadBalancerScreen
from tui.screens.elb.listeners import PageScreen
from tui.screens.elb.rule_editor import RuleEditorScreen
from tui.widgets.lab_panel import LabPanel
from tui.widgets.lab_state import OpenLab, open_lab_of

SIZE = (150, 44)
SHOWN_EDGE = "http://127.0.0.1:4580"  # the edge's usual address, drawn instead of this run's
SHOWN_CA_FILE = "~/.local/share/lblab/state.d/ca.pem"
Moment = Callable[[str, str, bool], Awaitable[None]]  # (name, SVG, whether it is the same every run)


def lab_app(tmp_path: Path, lang: str = "en", lab_id: str | None = None) -> LblabApp:
    return LblabApp(make_config(tmp_path), lang=lang, lab_id=lab_id)


def _shown_edge(app: LblabApp) -> str | None:
    return SHOWN_EDGE if app.cloud.edge is not None else None


@contextmanager
def steady_texts() -> Iterator[None]:
    shown = {"edge": Placeholder(lambda cloud, _: Text.same(SHOWN_EDGE)),
             "ca_file": Placeholder(lambda cloud, _: Text.same(SHOWN_CA_FILE))}
    with (patch.dict(PLACEHOLDERS, shown), patch.object(LblabApp, "edge_url", property(_shown_edge)),
          patch.object(labs.engine, "time", SimpleNamespace(monotonic=lambda: 0.0))):
        yield


class Learner:
    """Someone at the console: keys, clicks and pastes on the real screens, with a lab open beside them.

    At each `moment(name)` of a walkthrough the screen is handed to `moment` as an SVG (a snapshot, a screenshot).
    """

    # The lab's load balancer rule as this learner picks it (the keys learner picks drop-down values).
    HTTP_FROM_ANYWHERE: ClassVar[tuple[str, str, str]] = ("HTTP", "Anywhere-IPv4", "")

    def __init__(self, pilot: Pilot[int], moment: Moment | None = None) -> None:
        self.pilot = pilot
        self.app: LblabApp = pilot.app  # type: ignore[assignment]
        self._moment = moment

    @property
    def lab(self) -> OpenLab:
        lab = open_lab_of(self.app)
        assert lab is not None, "no lab is open"
        return lab

    @property
    def session(self) -> LabSession:
        return self.lab.session

    @property
    def panel(self) -> LabPanel:
        return self.app.screen.query_one(LabPanel)

    # -- hands --------------------------------------------------------------------------------------------
    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.pilot.pause()

    async def click(self, target: str | Widget) -> None:
        await click(self.pilot, target)

    async def paste(self, text: str) -> None:
        await paste(self.pilot, text)

    async def wait(self, condition: Callable[[], object], seconds: float = 10.0) -> None:
        await wait_for(self.pilot, condition, seconds)

    async def replace(self, selector: str, value: str) -> None:
        """Select a field, clear it and paste a new value in."""
        await self.click(selector)
        await self.press("home", "ctrl+k")
        await self.paste(value)

    # -- the lab ---------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Until the console has started with the app's lab beside it (`lblab lab ID`), the lab open last,
        or the picker."""
        await self.idle()

    async def idle(self) -> None:
        """Until the session has nothing queued or running and the panel shows where it stands."""
        await self.pilot.pause()

        def quiet() -> bool:
            lab = open_lab_of(self.app)
            if lab is None:
                return True
            # The engine says when a check starts and ends, not when one is queued: look at its timer.
            session = lab.session
            background = session._background
            return (lab.busy is None and session._timer is None and (background is None or background.done())
                    and not any(w.group == "lab" and not w.is_finished for w in self.app.workers))

        await self.wait(quiet, 30.0)
        await self.pilot.pause()

    async def passes(self, step_id: str, every: float = 0.0, within: float = 900.0) -> None:
        """Until step `step_id` has passed; with `every`, cloud time moves on by that much while waiting
        (a boot, a load balancer's provisioning, health checks)."""
        index = self.session.lab.step_index(step_id)
        waited = 0.0
        while True:
            await self.pilot.pause()  # the session hears of the latest changes first
            # A check now, without the quiet spell after the changes; not the learner's Check, which would
            # count as having looked (labs/observe.py): the walkthroughs do their observing on the screens.
            self.session.request_check(now=True)
            await self.idle()
            if self.session.finished or self.session.step_index > index:
                return
            report = self.session.last_report
            failed = [(r.id, r.code) for r in report.failed] if report else "no check yet"
            assert every and waited < within, f"step {step_id} did not pass: {failed}"
            await self.cloud_time(every)
            waited += every

    async def cloud_time(self, seconds: float) -> None:
        """Cloud time passes while the learner reads (a boot, a load balancer provisioning)."""
        await self.app.cloud.clock.advance(seconds)  # type: ignore[attr-defined]
        await self.pilot.pause()

    async def wait_on_cloud(self, condition: Callable[[], object], every: float = 5.0) -> None:
        """What a learner waits for on the console while cloud time passes (an instance stopping)."""
        for _ in range(60):
            if condition():
                return
            await self.cloud_time(every)
        raise AssertionError("the cloud never got there")

    async def request(self, button: str) -> None:
        """Press one of the lab panel's buttons (check, hint, solve, reset-step, reset-lab, labs)."""
        pressed = self.panel.query_one(f"#lab-{button}")
        await self.wait(lambda: not pressed.has_class("-active"))  # a button ignores clicks while it flashes
        await self.click(pressed)

    async def request_confirmed(self, button: str) -> None:
        """A request the panel asks about first (do it for me, reset step), confirmed."""
        await self.request(button)
        assert isinstance(self.app.screen, ConfirmScreen)
        await self.click("#confirm")

    async def picture(self) -> str:
        """The screen as an SVG, once nothing that depends on real time is left on it."""
        await self.idle()
        await self.pilot.hover(offset=(0, 0))  # no tooltip left open where the mouse last clicked
        await settle(self.pilot)
        return self.app.export_screenshot()

    async def moment(self, name: str, steady: bool = True) -> None:
        """A picture worth keeping; not `steady` when it shows real time (the Browser's response times)."""
        if self._moment is not None:
            await self._moment(name, await self.picture(), steady)

    # -- EC2 ---------------------------------------------------------------------------------------------------
    async def launch(self, name: str, user_data: str = SEED_USER_DATA) -> None:
        """Instances › Launch instances: a name, SSH and HTTP from anywhere, the user data pasted."""
        await self.press("2", "l")
        assert isinstance(self.app.screen, LaunchWizardScreen)
        await self.paste(name)
        await self.click("#allow_http")
        await self.click("#advanced CollapsibleTitle")
        await self.click("#user_data")
        await self.paste(user_data)
        assert self.app.screen.query_one("#user_data", TextArea).text == user_data
        await self.click("#launch")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen)
                        and any(i.name == name for i in self.app.cloud.ec2.describe_instances()))  # type: ignore[attr-defined]

    async def select(self, page_key: str, name: str) -> None:
        """Open a page (its number key) and move the cursor to the resource called `name`."""
        await self.press(page_key)
        table = page(self.app).table
        row = next(i for i in range(table.row_count) if name in [cell.plain for cell in table.get_row_at(i)])
        moves = row - table.cursor_row
        await self.press(*(["down"] * moves if moves > 0 else ["up"] * -moves))

    async def instance_state(self, name: str, item: str) -> None:
        """Instances › the instance › `stop` (confirmed) or `start`, by their keys."""
        key, confirm = {"stop": ("x", True), "start": ("s", False)}[item]
        await self.instance_action(name, key, confirm)

    async def instance_action(self, name: str, key: str, confirm: bool = False) -> None:
        """Instances: select `name`, then an action's key (and confirm it)."""
        await self.select("2", name)
        await self.press(key)
        if confirm:
            await self.press("enter")

    async def change_security_groups(self, name: str, *toggled: str) -> None:
        """Instances › Actions › Security › Change security groups: click the `toggled` groups, then Save."""
        await self.instance_action(name, "G")
        await self.wait(lambda: isinstance(self.app.screen, ChangeSecurityGroupsScreen))
        await tick(self.pilot, "#setting", list(toggled))
        await self.click("#save")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def connect(self, name: str, *commands: str) -> None:
        """Instances › Connect: run commands in the instance's shell, then close it."""
        await self.instance_action(name, "c")
        screen = self.app.screen
        assert isinstance(screen, ConnectScreen)
        for command in commands:
            await self.paste(command)
            await self.press("enter")
            await self.wait(lambda: screen.query_one("#command", Input).value == "")
        await self.wait(lambda: not screen.busy)  # the lines ran in the instance's guest
        await self.press("escape")

    async def security_group_rules(self, *rules: tuple[str, str, str]) -> None:
        """In the security group editor: add inbound rules (type, source kind, custom source or "")."""
        editor = self.app.screen
        assert isinstance(editor, SecurityGroupEditorScreen)
        for rule_type, source_kind, source in rules:
            await self.click("#inbound .rule-add")
            row = editor.query("#inbound .rule-row").last()
            await choose(self.pilot, row.query_one(".rule-type", Select), rule_type)
            await choose(self.pilot, row.query_one(".rule-source-kind", Select), source_kind)
            if source:
                await self.click(row.query_one(".rule-cidr", Input))
                await type_text(self.pilot, source)  # typed, as the lab's hint says: Custom → the group's name

    async def create_security_group(self, name: str, description: str, *rules: tuple[str, str, str]) -> None:
        await self.press("3", "c")
        await self.paste(name)
        await self.press("tab")
        await self.paste(description)
        await self.security_group_rules(*rules)
        await self.press("ctrl+s")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def edit_inbound(self, group: str, *rules: tuple[str, str, str]) -> None:
        await self.select("3", group)
        await self.press("i")
        await self.security_group_rules(*rules)
        await self.press("ctrl+s")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    # -- ELB -------------------------------------------------------------------------------------------------------
    async def create_target_group(self, name: str, *instances: str) -> None:
        """Target groups › Create: instances, HTTP:80, then the instances "Include as pending below"."""
        await self.press("5", "c")
        await self.paste(name)
        await self.click("#next")
        await tick(self.pilot, "#available", list(instances))
        await self.click("#include")
        await self.click("#save")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def create_load_balancer(self, name: str, security_group: str, target_group: str) -> None:
        """Load balancers › Create › Application Load Balancer: every zone, the group instead of default,
        HTTP:80 forwarding to the target group."""
        await self.press("4", "c", "enter")
        await self.wait(lambda: isinstance(self.app.screen, CreateLoadBalancerScreen))
        wizard = self.app.screen
        await self.paste(name)
        for box in wizard.query(".zone"):
            await self.click(box)
        await tick(self.pilot, "#security_groups", ["default", security_group])
        await choose(self.pilot, wizard.query_one(".group-pick", Select), target_group)
        await self.click("#save")
        await self.wait(lambda: isinstance(self.app.screen, ConsoleScreen))

    async def edit_health_check(self, group: str, **fields: str) -> None:
        """Target groups › the group › Edit health check settings; `fields` by widget id (health_path, …)."""
        await self.select("5", group)
        await self.press("e")
        editor = self.app.screen
        if set(fields) - {"health_path"} and editor.query_one("#hc-advanced", Collapsible).collapsed:
            await self.click("#hc-advanced CollapsibleTitle")
        for name, value in fields.items():
            await self.replace(f"#{name}", value)
        await self.press("ctrl+s")
        await self.wait(lambda: self.app.screen is not editor)

    async def listeners(self, balancer: str) -> None:
        """Load balancers › the balancer › Listeners and rules."""
        await self.select("4", balancer)
        await self.press("m")
        await self.wait(lambda: isinstance(self.app.screen, PageScreen))

    async def action(self, forward: str = "", fixed: tuple[str, str] = ("", ""),
                     redirect: dict[str, str] | None = None) -> None:
        """In a rule or listener editor: the action (Then): forward to a group, a fixed response (code, body)
        or a redirect (widget id -> value; a drop-down's option is chosen, a field's value pasted)."""
        screen = self.app.screen
        if forward:
            await choose(self.pilot, screen.query(".group-pick").first(Select), forward)
        elif fixed[0]:
            await choose(self.pilot, "#action_type", "Return fixed response")
            await self.replace("#fixed_code", fixed[0])
            await self.click("#fixed_body")
            await self.paste(fixed[1])
        elif redirect:
            await choose(self.pilot, "#action_type", "Redirect to URL")
            for name, value in redirect.items():
                if isinstance(screen.query_one(f"#{name}"), Select):
                    await choose(self.pilot, f"#{name}", value)
                else:
                    await self.replace(f"#{name}", value)

    async def add_rule(self, priority: str, *conditions: tuple[str, str, str], **action: object) -> None:
        """Listeners and rules › HTTP:80 › Manage rules › Add rule: the priority, conditions (field, e.g.
        "path-pattern", values, header name) and the action (see `action`)."""
        rules = self.app.screen
        await self.press("a")
        editor = self.app.screen
        assert isinstance(editor, RuleEditorScreen)
        await self.replace("#priority", priority)
        for index, (field, values, header) in enumerate(conditions):
            if index:
                await self.click(".condition-add")
            row = editor.query(".condition-row").last()
            kind = row.query_one(".condition-field", Select)
            if kind.value != field:
                await choose(self.pilot, kind, self.app.t(f"cond.{field}"))  # type: ignore[attr-defined]
            if header:
                await self.click(row.query_one(".condition-header"))
                await self.paste(header)
            await self.click(row.query_one(".condition-values"))
            await self.paste(values)
        await self.action(**action)  # type: ignore[arg-type]
        await self.press("ctrl+s")
        await self.wait(lambda: self.app.screen is rules)

    def healthy(self, group: str) -> int:
        """How many targets of `group` the console would show healthy."""
        elbv2 = self.app.cloud.elbv2  # type: ignore[attr-defined]
        found = next(g for g in elbv2.target_groups.values() if g.name == group)
        return sum(row.state == "healthy" for row in elbv2.describe_target_health(found.arn))

    async def targets(self, group: str) -> None:
        """Target groups › the group › Targets tab."""
        await self.select("5", group)
        await open_tab(self.pilot, "tg-tab-targets")

    async def send_requests(self, count: int) -> BrowserScreen:
        """In the Browser: send `count` requests to its address and count who answered."""
        browser = self.app.screen
        assert isinstance(browser, BrowserScreen)
        browser.query_one("#count", Input).value = str(count)
        await self.click("#send")
        await self.wait(lambda: len(browser.tally.hosts) == count)
        return browser

    async def browse_and_send(self, count: int) -> BrowserScreen:
        """The Browser on the selected resource, then `count` requests from it."""
        await self.browse()
        return await self.send_requests(count)

    async def browse(self) -> BrowserScreen:
        """The Browser on the selected resource's address (Instances, Load balancers), its page loaded."""
        await self.press("b")
        browser = self.app.screen
        assert isinstance(browser, BrowserScreen)
        await self.wait(lambda: browser.result is not None and not browser.fetching)
        return browser


def instance_named(learner: Learner, name: str) -> Instance:
    return next(i for i in learner.app.cloud.ec2.describe_instances() if i.name == name)  # type: ignore[attr-defined]


# -- the walkthroughs: each lab, step by step, as its instructions say -----------------------------------------


async def walk_ec2_web_server(learner: Learner) -> None:
    await learner.moment("1-launch")
    await learner.launch("my-web-server")
    await learner.moment("1-launch-booting")
    await learner.passes("launch", every=10)
    await learner.select("2", "my-web-server")
    browser = await learner.browse()
    assert browser.result is not None and "Hello World from" in browser.result.text
    await learner.press("escape")
    await learner.passes("open-public-ip")
    await learner.moment("2-finished")


async def walk_alb_basics(learner: Learner) -> None:
    await learner.moment("1-launch-instances")
    for name in ("web-server-1", "web-server-2"):
        await learner.launch(name)
    await learner.passes("launch-instances", every=10)
    hosts = set()
    for name in ("web-server-1", "web-server-2"):  # each server's page at its public IP
        await learner.select("2", name)
        browser = await learner.browse()
        assert browser.result is not None and "Hello World from" in browser.result.text
        hosts.add(browser.result.text)
        await learner.press("escape")
    assert len(hosts) == 2
    await learner.passes("open-servers")
    await learner.moment("2-instances-running")

    await learner.create_security_group("demo-sg-load-balancer", "SG for ALB", learner.HTTP_FROM_ANYWHERE)
    await learner.passes("lb-security-group")
    await learner.moment("3-lb-security-group")

    await learner.create_target_group("demo-tg", "web-server-1", "web-server-2")
    await learner.passes("target-group")
    await learner.moment("4-target-group")

    await learner.create_load_balancer("DemoALB", "demo-sg-load-balancer", "demo-tg")
    await learner.passes("create-alb")
    await learner.moment("5-load-balancer-provisioning")
    await learner.passes("wait-active", every=10)
    await learner.moment("6-load-balancer-active")

    # Watching is the step: it waits for the learner to open the DNS name (labs/observe.py).
    await learner.wait_on_cloud(lambda: learner.healthy("demo-tg") == 2, every=10)
    await learner.targets("demo-tg")
    await learner.moment("7-targets-healthy")
    await learner.select("4", "DemoALB")
    browser = await learner.browse_and_send(10)
    # Round robin: the two servers take turns. The lab's own check sends its requests through the same
    # balancer once the learner's woke it up; on a busy machine they can fall every other one between the
    # learner's, who then sees one server only: as a learner would, look again.
    for _ in range(2):
        if len(browser.tally.counts()) == 2:
            break
        await learner.press("escape")
        browser = await learner.browse_and_send(10)
    assert len(browser.tally.counts()) == 2
    await learner.moment("7-browser-alternating", steady=False)
    await learner.press("escape")
    await learner.passes("open-dns")

    await learner.instance_state("web-server-1", "stop")
    server = instance_named(learner, "web-server-1")
    await learner.wait_on_cloud(lambda: server.state == "stopped")
    await learner.targets("demo-tg")  # the reason code: Target.InvalidState
    await learner.moment("8-one-stopped")
    await learner.select("4", "DemoALB")
    browser = await learner.browse_and_send(10)
    assert list(browser.tally.counts().values()) == [10]  # everything on the survivor
    await learner.moment("8-traffic-on-the-survivor", steady=False)
    await learner.press("escape")
    await learner.passes("stop-one")

    await learner.instance_state("web-server-1", "start")
    await learner.wait_on_cloud(lambda: learner.healthy("demo-tg") == 2, every=10)
    await learner.select("4", "DemoALB")
    browser = await learner.browse_and_send(10)
    assert len(browser.tally.counts()) == 2  # both serve again
    await learner.press("escape")
    await learner.passes("start-again")
    await learner.moment("9-finished")


async def walk_health_checks(learner: Learner) -> None:
    await learner.cloud_time(30)  # the servers the lab's setup launched finish booting
    await learner.moment("1-health-endpoint")
    for server in ("web-server-1", "web-server-2"):
        await learner.connect(server, "echo '{\"status\": \"Healthy\"}' | sudo tee /var/www/html/health")
    await learner.passes("health-endpoint")

    await learner.edit_health_check("demo-tg", health_path="/health", healthy_threshold="3", unhealthy_threshold="2",
                                    health_timeout="5", health_interval="10", success_codes="200")
    await learner.passes("health-settings", every=10)
    await learner.moment("2-health-settings")

    await learner.edit_health_check("demo-tg", health_path="/healthz")
    await learner.passes("break-path", every=10)
    await learner.targets("demo-tg")
    await learner.moment("3-response-code-mismatch")

    await learner.edit_health_check("demo-tg", health_path="/health")
    await learner.passes("fix-path", every=10)

    await learner.connect("web-server-2", "sudo systemctl stop httpd")
    await learner.passes("stop-httpd", every=10)
    await learner.targets("demo-tg")
    await learner.moment("5-failed-health-checks")

    await learner.connect("web-server-2", "sudo systemctl start httpd")
    await learner.passes("start-httpd", every=10)
    await learner.moment("6-finished")


async def walk_listener_rules(learner: Learner) -> None:
    await learner.cloud_time(30)
    await learner.moment("1-api-target-group")
    [launch] = [a for a in learner.session.step.solution if a.type == "launch_instances"]
    await learner.launch("api-server", launch.params["user_data"])  # the script the instructions show
    await learner.cloud_time(30)  # only a running instance can be registered
    await learner.create_target_group("api-tg", "api-server")
    await learner.passes("api-target-group", every=10)

    await learner.listeners("DemoALB")
    await learner.press("m")  # HTTP:80 › Manage rules
    await learner.add_rule("10", ("path-pattern", "/api/*", ""), forward="api-tg")
    await learner.passes("path-rule", every=10)
    await learner.press("escape", "escape")  # back to the console and its lab panel
    await learner.moment("2-path-rule")
    await learner.listeners("DemoALB")
    await learner.press("m")
    await learner.add_rule("20", ("host-header", "api.example.com", ""), forward="api-tg")
    await learner.passes("host-rule")
    await learner.add_rule("30", ("query-string", "version=2", ""), forward="api-tg")
    await learner.passes("query-rule")
    await learner.add_rule("5", ("http-header", "on", "X-Maintenance"), fixed=("503", "Down for maintenance"))
    await learner.passes("header-priority")
    await learner.add_rule("40", ("path-pattern", "/office*", ""), ("source-ip", "203.0.113.0/24", ""),
                           fixed=("200", "Welcome, office network"))
    await learner.passes("source-ip")
    await learner.add_rule("50", ("path-pattern", "/home", ""), redirect={"redirect_path": "/"})
    await learner.passes("redirect")
    assert learner.lab.solved is None  # every step passed by the learner's own rules, none by "show me"
    await learner.press("escape", "escape")
    await learner.moment("7-finished")


async def walk_ssl_termination(learner: Learner) -> None:
    await learner.cloud_time(90)  # the load balancer from the lab's setup is active
    await learner.moment("1-certificate")
    balancer = learner.app.cloud.elbv2.describe_load_balancers()[0]  # type: ignore[attr-defined]
    await learner.press("6", "c")
    await learner.paste(balancer.dns_name.lower())  # copied from the load balancer's details
    await learner.press("ctrl+s")
    await learner.wait(lambda: isinstance(learner.app.screen, ConsoleScreen))
    await learner.passes("certificate")

    await learner.edit_inbound("demo-sg-load-balancer", ("HTTPS", "Anywhere-IPv4", ""))
    await learner.passes("open-443")

    await learner.listeners("DemoALB")
    await learner.press("a")  # Add listener
    await choose(learner.pilot, "#listener_protocol", "HTTPS")
    await learner.action(forward="demo-tg")
    await choose(learner.pilot, "#certificate_arn", balancer.dns_name.lower())
    await learner.press("ctrl+s")
    await learner.wait(lambda: isinstance(learner.app.screen, PageScreen))
    await learner.passes("https-listener")
    await learner.press("escape")
    await learner.moment("3-https-listener")

    await learner.press("b")  # the Browser on the load balancer's DNS name, then over HTTPS
    browser = learner.app.screen
    assert isinstance(browser, BrowserScreen)
    await learner.replace("#url", f"https://{balancer.dns_name}/")
    await learner.press("enter")
    await learner.wait(lambda: browser.result is not None and not browser.fetching and browser.url.startswith("https"))
    assert browser.result is not None and browser.result.status == 200
    await learner.moment("4-browser-https", steady=False)
    await learner.press("escape")
    await learner.passes("verify", every=10)  # it waited for the learner's own HTTPS request

    await learner.listeners("DemoALB")  # HTTP:80 is the first listener
    await learner.press("e")
    await learner.action(redirect={"redirect_protocol": "HTTPS", "redirect_port": "443"})
    await learner.press("ctrl+s")
    await learner.wait(lambda: isinstance(learner.app.screen, PageScreen))
    await learner.passes("redirect-http")
    await learner.press("escape")
    await learner.moment("5-finished")


async def walk_troubleshooting(learner: Learner) -> None:
    await learner.cloud_time(60 + 3 * 30)  # the broken balancer is active; its checks time out
    await learner.targets("trouble-tg")
    await learner.moment("1-timeout")
    await learner.edit_inbound("trouble-web-sg", ("HTTP", "Custom", "trouble-lb-sg"))
    await learner.passes("security-group")
    await learner.change_security_groups("trouble-web-2", "trouble-web-sg", "trouble-db-sg")  # in place
    await learner.passes("instance-groups", every=10)

    await learner.edit_health_check("trouble-tg", health_path="/")
    await learner.passes("health-path", every=10)
    await learner.targets("trouble-tg")
    await learner.moment("2-one-healthy")

    await learner.instance_action("trouble-web-2", "g")  # the system log: "Unhandled non-multipart userdata"
    await learner.press("escape")
    await learner.connect("trouble-web-2", "sudo yum install -y httpd", "sudo systemctl enable --now httpd",
                          'echo "<h1>Hello World from $(hostname -f)</h1>" | sudo tee /var/www/html/index.html')
    await learner.passes("user-data", every=10)

    web_1 = next(i for i in learner.app.cloud.ec2.describe_instances()  # type: ignore[attr-defined]
                 if i.name == "trouble-web-1")
    await learner.instance_action("trouble-web-1", "F", confirm=True)  # Simulate instance failure (lblab only)
    await learner.wait(lambda: web_1.impaired_since is not None, 30.0)  # the guest process is really gone
    await learner.moment("3-status-check-failed")
    await learner.wait_on_cloud(lambda: learner.healthy("trouble-tg") == 1, every=10)
    await learner.targets("trouble-tg")  # trouble-web-1: unhealthy, Target.FailedHealthChecks
    await learner.moment("4-target-unhealthy")
    await learner.select("4", "TroubleALB")
    await learner.browse()
    browser = await learner.send_requests(10)
    assert list(browser.tally.counts().values()) == [10]  # everything on the survivor
    await learner.press("escape")
    await learner.instance_action("trouble-web-1", "R", confirm=True)
    await learner.passes("failure-drill", every=10)
    await learner.moment("5-finished")


# Longest first (they start first, each on a worker of its own: tests/conftest.py orders `long` tests first).
WALKS: dict[str, Callable[[Learner], Awaitable[None]]] = {
    "alb-basics": walk_alb_basics,
    "listener-rules": walk_listener_rules,
    "health-checks": walk_health_checks,
    "ssl-termination": walk_ssl_termination,
    "troubleshooting": walk_troubleshooting,
    "ec2-web-server": walk_ec2_web_server,
}
