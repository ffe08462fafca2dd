"""EC2 › Target groups › Create target group: step 1 "Specify group details", step 2 "Register targets".

Opened from the Target Groups page, or from a load balancer's listener ("Create target group"),
which gets the new group's ARN back and selects it.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Label, RadioSet, Select, Static

from mock_cloud import (
    HTTPS_TARGETS_NOTE,
    PROTOCOL_VERSION_NOTE,
    TARGET_TYPE_NOTE,
    CloudError,
    HealthCheckSettings,
    TargetSpec,
    apply_health_check,
    as_int,
)
from mock_cloud import TARGET_GROUP_PROTOCOLS as PROTOCOLS
from mock_cloud import validate_target_group as validate_group
from tui.screens.elb.editor import ElbEditorScreen, inline
from tui.typed_app import app_of
from tui.widgets.elb_drafts import HealthCheckDraft
from tui.widgets.elb_format import cloud_note
from tui.widgets.elb_health_check_form import HealthCheckForm
from tui.widgets.elb_target_picker import PendingTarget, TargetPicker
from tui.widgets.form import ErrorLine, Section, field
from tui.widgets.header import ConsoleHeader
from tui.widgets.text_input import TextInput
from tui.widgets.toggles import RadioButton

TARGET_TYPES = ("instance", "ip", "lambda", "alb")
PROTOCOL_VERSIONS = (("HTTP1", "HTTP1"), ("HTTP2", "HTTP2"), ("GRPC", "gRPC"))
STEPS = ("step-1", "step-2")


@dataclass
class TargetGroupForm:
    target_type: str = "instance"
    tg_name: str = ""
    protocol: str = "HTTP"
    port: str = "80"
    vpc_id: str = ""
    protocol_version: str = "HTTP1"
    health: HealthCheckDraft = dataclass_field(default_factory=HealthCheckDraft)
    pending: list[PendingTarget] = dataclass_field(default_factory=list)


class CreateTargetGroupScreen(ElbEditorScreen):
    """Dismisses with the new group's ARN (None when cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "button.cancel"),
        Binding("ctrl+s", "save", "tg.create"),
    ]
    TITLE_KEY = "tg.create"
    SAVE_KEY = "tg.create"
    DONE_KEY = "tg.created"
    AUTO_FOCUS = "#tg_name"

    def __init__(self) -> None:
        super().__init__()
        self.form = TargetGroupForm()
        self.step = STEPS[0]

    # -- composition ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield ConsoleHeader(t("tg.create"))
        with Horizontal(id="tg-wizard"):
            with Vertical(id="steps"):
                for number, step in enumerate(STEPS, start=1):
                    yield Static(f"{t('wizard.step', number=number)}\n{t(f'tg.{step}')}", id=f"nav-{step}",
                                 classes="step-label")
            with ContentSwitcher(id="step-switcher", initial=self.step):
                with VerticalScroll(id="step-1", classes="step-body"):
                    yield Static(t("tg.intro"), classes="screen-note", markup=False)
                    yield from self._basic_section()
                    yield Section(t("tg.health_checks"), HealthCheckForm(self.form.health))
                    yield Static(cloud_note(t, HTTPS_TARGETS_NOTE), id="https-note",
                                 classes="screen-note")
                with VerticalScroll(id="step-2", classes="step-body"):
                    yield Static(t("tg.register_intro"), classes="screen-note", markup=False)
                    yield Section(t("tg.register_targets"), TargetPicker(self.form.pending, self.form.port))
        with Vertical(id="wizard-buttons"):
            yield ErrorLine(id="error")
            with Horizontal(classes="form-buttons"):
                yield Button(t("button.cancel"), id="cancel", compact=True)
                yield Button(t("wizard.previous"), id="previous", compact=True)
                yield Button(t("wizard.next"), id="next", variant="primary", compact=True)
                yield Button(t("tg.create"), id="save", variant="primary", compact=True)
        yield from self.footer()

    def _basic_section(self) -> ComposeResult:
        t = app_of(self).t
        ec2 = app_of(self).cloud.ec2
        form = self.form
        form.vpc_id = form.vpc_id or ec2.default_vpc.vpc_id
        types = RadioSet(*(RadioButton(t(f"tg.type.{kind}"), value=kind == form.target_type, name=kind,
                                       disabled=kind not in ("instance", "ip")) for kind in TARGET_TYPES),
                         id="target_type", compact=True)
        versions = RadioSet(*(RadioButton(label, value=value == form.protocol_version, name=value)
                              for value, label in PROTOCOL_VERSIONS), id="protocol_version", compact=True)
        vpcs = [(f"{v.vpc_id} · {v.cidr_block}", v.vpc_id) for v in ec2.vpcs.values()]
        yield Section(
            t("tg.basic"),
            Label(t("tg.target_type"), classes="field-label"), types,
            Static(cloud_note(t, TARGET_TYPE_NOTE)),
            *field(t("tg.name"), TextInput(form.tg_name, placeholder="demo-tg", id="tg_name", compact=True),
                   hint=t("tg.name_hint")),
            Label(t("tg.protocol_port"), classes="field-label"),
            inline(Select([(p, p) for p in PROTOCOLS], value=form.protocol, allow_blank=False, id="protocol",
                              compact=True),
                   Label(":", classes="inline-label"),
                   TextInput(form.port, id="port", type="integer", max_length=5, compact=True, classes="short-input")),
            *field(t("tg.ip_type"), Label(t("tg.ipv4"), classes="field-value")),
            *field(t("field.vpc_id"), Select(vpcs, value=form.vpc_id, allow_blank=False, id="vpc_id", compact=True)),
            Label(t("tg.protocol_version"), classes="field-label"), versions,
            Static(cloud_note(t, PROTOCOL_VERSION_NOTE)),
        )

    def show_state(self) -> None:
        super().show_state()
        self._show_step()
        self.form_changed("protocol")

    def form_changed(self, name: str) -> None:
        if name == "protocol":
            self.query_one("#https-note").display = self.form.protocol == "HTTPS"

    # -- steps ---------------------------------------------------------------------------------
    def _show_step(self) -> None:
        first = self.step == STEPS[0]
        self.query_one("#step-switcher", ContentSwitcher).current = self.step
        for step in STEPS:
            self.query_one(f"#nav-{step}").set_class(step == self.step, "current-step")
        self.query_one("#previous").display = not first
        self.query_one("#next").display = first
        self.query_one("#save").display = not first

    @on(Button.Pressed, "#next")
    def next_step(self) -> None:
        error = self._check_details()
        self.show_error(error)
        if error is None:
            self.query_one("#pick_port", TextInput).value = self.form.port
            self.step = STEPS[1]
            self._show_step()
            self.query_one("#available").focus()

    @on(Button.Pressed, "#previous")
    def _previous(self) -> None:
        self.step = STEPS[0]
        self.show_error(None)
        self._show_step()

    def _check_details(self) -> CloudError | None:
        """The cloud's own checks of step 1, so a bad name is reported before step 2, as in the console."""
        form = self.form
        try:
            validate_group(form.tg_name.strip(), form.protocol, as_int(form.port, "port"), form.target_type,
                           form.protocol_version)
            apply_health_check(HealthCheckSettings(), form.health.fields())
        except CloudError as error:
            return error
        return None

    # -- saving ----------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.step == STEPS[0]:
            self.next_step()
        else:
            super().action_save()

    async def save(self) -> str:
        form, elbv2 = self.form, app_of(self).cloud.elbv2
        group = await elbv2.create_target_group(
            form.tg_name.strip(), form.protocol, form.port, form.vpc_id, form.target_type, form.protocol_version,
            health_check=form.health.fields())
        if form.pending:
            await elbv2.register_targets(group.arn, [self._target(p) for p in form.pending])
        return group.arn

    def _target(self, pending: PendingTarget) -> TargetSpec:
        """An IP-address group registers the picked instance by its private IPv4 address."""
        spec = pending.spec()
        if self.form.target_type != "ip":
            return spec
        instance = app_of(self).cloud.ec2.instance(spec.id)
        return TargetSpec(instance.private_ip, spec.port)

    def done_name(self, result: Any) -> str:
        return self.form.tg_name.strip()
