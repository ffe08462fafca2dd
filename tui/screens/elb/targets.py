"""A target group's Targets tab › Register targets / Deregister, and Health checks tab › Edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static
from textual.widgets.selection_list import Selection

from mock_cloud import THRESHOLD_NOTE, TargetGroup, TargetSpec
from tui.screens.confirm import ConfirmScreen
from tui.screens.elb.editor import ElbEditorScreen
from tui.typed_app import app_of
from tui.widgets.elb_drafts import HealthCheckDraft
from tui.widgets.elb_format import cloud_note
from tui.widgets.elb_health_check_form import HealthCheckForm
from tui.widgets.elb_target_picker import PendingTarget, TargetPicker
from tui.widgets.form import Section
from tui.widgets.toggles import SelectionList


@dataclass
class DeregisterForm:
    targets: list[str] = field(default_factory=list)  # "instance:port" of the ticked targets


class _GroupEditor(ElbEditorScreen):
    def __init__(self, group: TargetGroup) -> None:
        super().__init__()
        self.group = group

    def heading(self) -> str:
        return f"{app_of(self).t(self.TITLE_KEY)} › {self.group.name}"

    def done_name(self, result: Any) -> str:
        return self.group.name


class RegisterTargetsScreen(_GroupEditor):
    TITLE_KEY = "tg.register_targets"
    INTRO_KEY = "tg.register_intro"
    SAVE_KEY = "tg.register_pending"
    DONE_KEY = "tg.registered"

    def __init__(self, group: TargetGroup) -> None:
        super().__init__(group)
        self.pending: list[PendingTarget] = []

    def body(self) -> ComposeResult:
        yield Section(app_of(self).t("tg.register_targets"),
                      TargetPicker(self.pending, str(self.group.port)))

    async def save(self) -> str:
        await app_of(self).cloud.elbv2.register_targets(
            self.group.arn, [p.spec() for p in self.pending])
        return self.group.arn


class DeregisterTargetsScreen(_GroupEditor):
    """Tick the registered targets to deregister; Deregister asks for confirmation first."""

    TITLE_KEY = "tg.deregister"
    INTRO_KEY = "tg.deregister_intro"
    SAVE_KEY = "tg.deregister"
    DONE_KEY = "tg.deregistered"

    def __init__(self, group: TargetGroup) -> None:
        super().__init__(group)
        self.form = DeregisterForm()

    def body(self) -> ComposeResult:
        t = app_of(self).t
        instances = app_of(self).cloud.ec2.instances
        rows = []
        for target in self.group.targets.values():
            instance = instances.get(target.id)
            name = instance.name if instance and instance.name else "–"
            key = f"{target.id}:{target.port}"
            rows.append(Selection(f"{key}  {name}  {t(f'health.{target.health.state}')}", key,
                                  key in self.form.targets))
        yield Section(t("tg.registered_targets"), SelectionList[str](*rows, id="targets", compact=True))

    def action_save(self) -> None:
        chosen = self.form.targets
        if not chosen:
            self.show_error(app_of(self).t("tg.pick_targets"))
            return
        question = ConfirmScreen("tg.deregister", "tg.confirm_deregister", "tg.deregister", name=", ".join(chosen))
        self.app.push_screen(question, self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if yes:
            super().action_save()

    async def save(self) -> str:
        keys = (key.rpartition(":") for key in self.form.targets)
        specs = [TargetSpec(target, int(port)) for target, _, port in keys]
        await app_of(self).cloud.elbv2.deregister_targets(self.group.arn, specs)
        return self.group.arn


class EditHealthChecksScreen(_GroupEditor):
    TITLE_KEY = "tg.edit_health"
    SAVE_KEY = "key.save"
    DONE_KEY = "tg.health_saved"

    def __init__(self, group: TargetGroup) -> None:
        super().__init__(group)
        self.draft = HealthCheckDraft.of(group.health_check)

    def body(self) -> ComposeResult:
        t = app_of(self).t
        yield Section(t("tg.health_checks"), HealthCheckForm(self.draft, advanced_open=True))
        yield Static(cloud_note(t, THRESHOLD_NOTE), classes="screen-note")

    async def save(self) -> str:
        await app_of(self).cloud.elbv2.modify_target_group(
            self.group.arn, **self.draft.fields())
        return self.group.arn
