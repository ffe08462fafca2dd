"""EC2 › Load balancers › Create load balancer: the type chooser, then the Application Load Balancer form
(basic configuration, network mapping, security groups, listeners and routing) with its summary."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, RadioSet, Select, Static

from mock_cloud import FORWARD
from tui.format import tone_style
from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen
from tui.screens.elb.section_host import SectionHostScreen
from tui.screens.lab_hooks import WorkScreen
from tui.typed_app import app_of
from tui.widgets.elb_drafts import ListenerDraft
from tui.widgets.elb_format import action_text
from tui.widgets.elb_listener_form import ListenerForm
from tui.widgets.form import Section, field
from tui.widgets.header import ConsoleHeader
from tui.widgets.text_input import TextInput
from tui.widgets.toggles import Checkbox, RadioButton, SelectionList

LB_TYPES = ("application", "network", "gateway")
SCHEMES = ("internet-facing", "internal")
IP_TYPES = ("ipv4", "dualstack", "dualstack-without-public-ipv4")
MIN_ZONES = 2


class LoadBalancerTypeScreen(WorkScreen[None]):
    """Compare and select load balancer type: only Application Load Balancers are emulated."""

    AUTO_FOCUS: ClassVar[str | None] = "#create-application"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "key.back")]

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield ConsoleHeader(t("lb.type_title"))
        yield Static(t("lb.type_intro"), classes="screen-note", markup=False)
        with Horizontal(id="lb-types"):
            for kind in LB_TYPES:
                emulated = kind == "application"
                with Vertical(classes="form-section lb-type") as box:
                    box.border_title = t(f"lb.type.{kind}_long")
                    yield Static(t(f"lb.type.{kind}_about"), classes="lb-type-about", markup=False)
                    if not emulated:
                        yield Static(t("lb.not_emulated"), classes="field-hint", markup=False)
                    yield Button(t("lb.type_create"), id=f"create-{kind}", variant="primary" if emulated else "default",
                                 disabled=not emulated, compact=True)
        yield from self.footer()

    @on(Button.Pressed, "#create-application")
    def _application(self) -> None:
        self.app.switch_screen(CreateLoadBalancerScreen())


class NewSecurityGroupScreen(SecurityGroupEditorScreen):
    """The EC2 "Create security group" form, returning to the wizard with the new group's ID
    (the console opens it in a new browser tab; here it opens on top)."""

    def _saved(self, group_id: str) -> None:
        t = app_of(self).t
        self.app.notify(t("sg.created", id=group_id), title=t("notify.success"))
        self.dismiss(group_id)  # type: ignore[arg-type]


@dataclass
class BalancerForm:
    lb_name: str = ""
    scheme: str = "internet-facing"
    ip_address_type: str = "ipv4"
    vpc_id: str = ""
    zones: dict[str, str] = dataclass_field(default_factory=dict)  # ticked zone -> its subnet
    security_groups: list[str] = dataclass_field(default_factory=list)
    listeners: list[ListenerDraft] = dataclass_field(default_factory=lambda: [ListenerDraft()])
    # The balancer made on an earlier try whose listener failed: kept rather than made again.
    created_arn: str | None = None


class CreateLoadBalancerScreen(SectionHostScreen):
    TITLE_KEY = "lb.create_alb"
    SAVE_KEY = "lb.create"
    DONE_KEY = "lb.created"
    AUTO_FOCUS = "#lb_name"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "button.cancel"),
        Binding("ctrl+s", "save", "lb.create"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.form = BalancerForm()

    def _defaults(self) -> None:
        """The console starts with the default VPC and its default security group."""
        ec2 = app_of(self).cloud.ec2
        self.form.vpc_id = ec2.default_vpc.vpc_id
        default = next((g for g in ec2.describe_security_groups()
                        if g.group_name == "default" and g.vpc_id == self.form.vpc_id), None)
        self.form.security_groups = [default.group_id] if default else []

    # -- composition ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = app_of(self).t
        if not self.form.vpc_id:
            self._defaults()
        yield ConsoleHeader(self.heading())
        with Horizontal(id="wizard"):
            with VerticalScroll(id="wizard-form"):
                yield Static(t("lb.intro"), classes="screen-note", markup=False)
                yield from self._basic_section()
                yield from self._network_section()
                yield from self._security_section()
                yield from self._listener_section()
            with Vertical(id="wizard-summary", classes="form-section") as summary:
                summary.border_title = t("lb.summary")
                yield Static(id="summary-text")
                yield from self.buttons()
        yield from self.footer()

    def _radio_set(self, set_id: str, values: tuple[str, ...], chosen: str, prefix: str) -> RadioSet:
        """One radio button per value, labelled `t(prefix + value)`; what lblab does not emulate is disabled."""
        t = app_of(self).t
        return RadioSet(*(RadioButton(t(prefix + value), value=value == chosen, name=value,
                                      disabled=value not in ("ipv4", *SCHEMES)) for value in values),
                        id=set_id, compact=True)

    def _basic_section(self) -> ComposeResult:
        t = app_of(self).t
        form = self.form
        yield Section(
            t("lb.basic"),
            *field(t("lb.name"), TextInput(form.lb_name, placeholder="DemoALB", id="lb_name", compact=True),
                   hint=t("lb.name_hint")),
            Label(t("lb.scheme"), classes="field-label"),
            self._radio_set("scheme", SCHEMES, form.scheme, "lb.scheme."),
            Static(t("lb.scheme_hint"), classes="field-hint", markup=False),
            Label(t("lb.ip_type"), classes="field-label"),
            self._radio_set("ip_address_type", IP_TYPES, form.ip_address_type, "lb.ip."),
        )

    def _network_section(self) -> ComposeResult:
        t = app_of(self).t
        ec2 = app_of(self).cloud.ec2
        vpcs = [(f"{v.vpc_id} · {v.cidr_block}", v.vpc_id) for v in ec2.vpcs.values()]
        rows = []
        for zone in sorted({s.availability_zone for s in ec2.subnets_of(self.form.vpc_id)}):
            subnets = [(f"{s.subnet_id} · {s.cidr_block}", s.subnet_id) for s in ec2.subnets_of(self.form.vpc_id)
                       if s.availability_zone == zone]
            chosen = self.form.zones.get(zone, subnets[0][1])
            rows.append(Horizontal(
                Checkbox(zone, zone in self.form.zones, id=f"zone-{zone}", name=zone, compact=True, classes="zone"),
                Select(subnets, value=chosen, allow_blank=False, id=f"subnet-{zone}", name=zone, compact=True,
                       classes="zone-subnet"),
                classes="zone-row"))
        yield Section(
            t("lb.network"),
            *field(t("field.vpc_id"), Select(vpcs, value=self.form.vpc_id, allow_blank=False, id="vpc_id",
                                             compact=True)),
            Label(t("lb.zones"), classes="field-label"),
            Label(id="zones-hint", classes="field-hint"),
            *rows,
        )

    def _security_section(self) -> ComposeResult:
        t = app_of(self).t
        yield Section(
            t("lb.security_groups"),
            Static(t("lb.security_groups_hint"), classes="field-hint", markup=False),
            SelectionList[str](*self._group_options(), id="security_groups", compact=True),
            Horizontal(Button(t("lb.create_sg"), id="create-sg", compact=True),
                       Button("↻", id="refresh-sg", compact=True, tooltip=t("key.refresh")), classes="inline-buttons"),
        )

    def _group_options(self) -> list[tuple[str, str, bool]]:
        groups = app_of(self).cloud.ec2.describe_security_groups()
        return [(f"{g.group_name} · {g.group_id}", g.group_id, g.group_id in self.form.security_groups)
                for g in groups if g.vpc_id == self.form.vpc_id]

    def _listener_section(self) -> ComposeResult:
        t = app_of(self).t
        yield Section(
            t("lb.listeners_routing"),
            Static(t("lb.listeners_hint_wizard"), classes="field-hint", markup=False),
            Vertical(*(self._listener_form(draft, index) for index, draft in enumerate(self.form.listeners)),
                     id="listeners"),
            Button(t("listener.add"), id="add-listener", compact=True),
        )

    def _listener_form(self, draft: ListenerDraft, index: int) -> ListenerForm:
        # The console's wizard forwards each listener to one target group; rules come later.
        return ListenerForm(draft, kinds=(FORWARD,), weighted=False, removable=index > 0)

    # -- live parts ----------------------------------------------------------------------------------
    def show_state(self) -> None:
        super().show_state()
        self._show_zones()
        self._show_summary()

    @on(TextInput.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def _anything_changed(self) -> None:
        # After the form has taken the change in (the form's own handler runs after this one).
        if self.is_mounted:
            self.call_later(self._show_summary)

    @on(Checkbox.Changed, ".zone")
    def _zone(self, event: Checkbox.Changed) -> None:
        zone = event.checkbox.name or ""
        if event.value:
            self.form.zones[zone] = str(self.query_one(f"#subnet-{zone}", Select).value)
        else:
            self.form.zones.pop(zone, None)
        self._show_zones()

    @on(Select.Changed, ".zone-subnet")
    def _subnet(self, event: Select.Changed) -> None:
        zone = event.select.name or ""
        if zone in self.form.zones:
            self.form.zones[zone] = str(event.value)

    def _show_zones(self) -> None:
        t = app_of(self).t
        enough = len(self.form.zones) >= MIN_ZONES
        hint = Text(t("lb.zones_hint", count=MIN_ZONES, chosen=len(self.form.zones)))
        if not enough:
            hint.stylize(tone_style(self.app, "warning"))
        self.query_one("#zones-hint", Label).update(hint)

    def _show_summary(self) -> None:
        t = app_of(self).t
        form = self.form
        cloud = app_of(self).cloud
        groups = cloud.ec2.security_groups
        target_groups = cloud.elbv2.target_groups
        listeners = [f"{d.listener_protocol}:{d.listener_port} → {action_text(t, d.action.to_action(), target_groups)}"
                     for d in form.listeners]
        sections = [
            (t("lb.basic"), [form.lb_name or "–", t(f"lb.scheme.{form.scheme}"), t(f"lb.ip.{form.ip_address_type}")]),
            (t("lb.security_groups"), [groups[g].group_name for g in form.security_groups if g in groups] or ["–"]),
            (t("lb.network"), [form.vpc_id, *(f"{zone} · {subnet}" for zone, subnet in sorted(form.zones.items()))]),
            (t("lb.listeners_routing"), listeners),
        ]
        text = Text()
        for title, lines in sections:
            text.append(f"{title}\n", style="bold")
            text.append("\n".join(lines) + "\n\n")
        self.query_one("#summary-text", Static).update(text)

    # -- shortcuts: create a security group, add or remove a listener ----------------------------------
    @on(Button.Pressed, "#create-sg")
    def _create_group(self) -> None:
        self.app.push_screen(NewSecurityGroupScreen.create(), self._group_created)

    def _group_created(self, group_id: str | None) -> None:
        if group_id:
            self.form.security_groups.append(group_id)
            self._refresh_groups()

    @on(Button.Pressed, "#refresh-sg")
    def _refresh_groups(self) -> None:
        options = self._group_options()
        known = {group_id for _, group_id, _ in options}
        self.form.security_groups = [g for g in self.form.security_groups if g in known]
        groups = self.query_one("#security_groups", SelectionList)
        groups.clear_options()
        groups.add_options(self._group_options())

    @on(Button.Pressed, "#add-listener")
    async def _add_listener(self) -> None:
        draft = ListenerDraft()
        self.form.listeners.append(draft)
        await self.query_one("#listeners").mount(self._listener_form(draft, len(self.form.listeners) - 1))
        self._show_summary()

    @on(Button.Pressed, ".listener-remove")
    async def _remove_listener(self, event: Button.Pressed) -> None:
        form = next(a for a in event.button.ancestors if isinstance(a, ListenerForm))
        self.form.listeners[:] = [d for d in self.form.listeners if d is not form.form]
        await form.remove()
        self._show_summary()

    # -- creating ----------------------------------------------------------------------------------------
    async def save(self) -> str:
        form, elbv2 = self.form, app_of(self).cloud.elbv2
        lb = elbv2.load_balancers.get(form.created_arn or "")
        if lb is None:
            lb = await elbv2.create_load_balancer(form.lb_name.strip(), list(form.zones.values()),
                                                  form.security_groups, form.scheme, "application",
                                                  form.ip_address_type)
            form.created_arn = lb.arn
        for draft in form.listeners:
            await elbv2.create_listener(lb.arn, draft.listener_protocol, draft.listener_port.strip(),
                                        [draft.action.to_action()], draft.certificates(), draft.policy())
        return lb.arn

    def done_name(self, result: Any) -> str:
        return self.form.lb_name.strip()

    def _saved(self, result: Any) -> None:
        super()._saved(result)
        app_of(self).call_later(app_of(self).show_resource, "load_balancers", result)
