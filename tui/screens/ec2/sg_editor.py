"""EC2 › Security Groups › Create security group, and Edit inbound / outbound rules."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Select, Static

from mock_cloud import CloudError, SecurityGroup
from tui.rules import ANYWHERE_IPV4, RuleDraft, rule_changes, spec_of
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import run_cloud
from tui.typed_app import app_of
from tui.widgets.form import BoundForm, ErrorLine, Section, field
from tui.widgets.header import ConsoleHeader
from tui.widgets.rule_editor import RuleEditor
from tui.widgets.text_input import TextInput


@dataclass
class GroupForm:
    name: str = ""
    description: str = ""
    vpc_id: str = ""
    inbound: list[RuleDraft] = dataclass_field(default_factory=list)
    outbound: list[RuleDraft] = dataclass_field(default_factory=lambda: [RuleDraft("all_traffic", "", "anywhere",
                                                                                   ANYWHERE_IPV4)])
    group_id: str | None = None  # set once the group exists (editing, or created on an earlier try)
    error: CloudError | None = None


class SecurityGroupEditorScreen(WorkScreen[None], BoundForm):
    """`create()`: basic details plus both rule lists; `edit(group, egress)`: one rule list."""

    # The group's name when creating one, else its first rule (as tui/screens/elb/editor.py explains).
    AUTO_FOCUS: ClassVar[str | None] = "#name, .rule-type, .rule-add"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "button.cancel"),
        Binding("ctrl+s", "save", "key.save"),
    ]

    def __init__(self, form: GroupForm, directions: tuple[bool, ...]) -> None:
        super().__init__()
        self.form = form
        self.directions = directions  # which rule lists are shown: False inbound, True outbound
        self.saving = False

    @classmethod
    def create(cls) -> SecurityGroupEditorScreen:
        return cls(GroupForm(), (False, True))

    @classmethod
    def edit(cls, group: SecurityGroup, egress: bool) -> SecurityGroupEditorScreen:
        rules = [RuleDraft.from_rule(rule) for rule in (group.egress if egress else group.ingress)]
        form = GroupForm(group.group_name, group.description, group.vpc_id, group_id=group.group_id)
        if egress:
            form.outbound = rules
        else:
            form.inbound = rules
        return cls(form, (egress,))

    @property
    def creating(self) -> bool:
        return self.directions == (False, True)

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield ConsoleHeader(self._title())
        with VerticalScroll(id="sg-form"):
            yield Static(t("sg.create_intro" if self.creating else "sg.edit_intro", name=self.form.name),
                         classes="screen-note", markup=False)
            if self.creating:
                yield from self._details()
            groups = [word for name, group_id in self._groups_in_vpc().items() for word in (name, group_id)]
            for egress in self.directions:
                drafts = self.form.outbound if egress else self.form.inbound
                yield Section(t("sg.outbound_rules" if egress else "sg.inbound_rules"),
                              RuleEditor(drafts, groups, egress, id="outbound" if egress else "inbound",
                                         rule_ids=not self.creating))
            yield ErrorLine(id="error")
            with Horizontal(classes="form-buttons"):
                yield Button(t("button.cancel"), id="cancel", compact=True)
                yield Button(t("sg.create" if self.creating else "sg.save"), id="save", variant="primary",
                             compact=True)
        yield from self.footer()

    def _title(self) -> str:
        t = app_of(self).t
        if self.creating:
            return t("action.create_sg")
        key = "action.edit_outbound" if self.directions == (True,) else "action.edit_inbound"
        return f"{t(key)} › {self.form.group_id}"

    def _details(self) -> ComposeResult:
        t = app_of(self).t
        ec2 = app_of(self).cloud.ec2
        self.form.vpc_id = self.form.vpc_id or ec2.default_vpc.vpc_id
        vpcs = [(f"{v.vpc_id} ({t('sg.default_vpc')})" if v.is_default else v.vpc_id, v.vpc_id)
                for v in ec2.vpcs.values()]
        yield Section(
            t("sg.basic_details"),
            *field(t("col.group_name"), TextInput(self.form.name, placeholder=t("sg.name_placeholder"),
                                                  id="name", compact=True), hint=t("sg.name_hint")),
            *field(t("col.description"), TextInput(self.form.description, placeholder=t("sg.description_placeholder"),
                                                   id="description", compact=True), hint=t("sg.description_hint")),
            *field(t("field.vpc_id"), Select(vpcs, value=self.form.vpc_id, allow_blank=False, id="vpc_id",
                                             compact=True)),
        )

    def _groups_in_vpc(self) -> dict[str, str]:
        """Name → ID of the groups a rule's source may name: those of this group's VPC, as in the console."""
        ec2 = app_of(self).cloud.ec2
        vpc_id = self.form.vpc_id or ec2.default_vpc.vpc_id
        return {g.group_name: g.group_id for g in ec2.describe_security_groups() if g.vpc_id == vpc_id}

    async def composed(self) -> None:
        self.query_one("#error", ErrorLine).show_error(self.form.error)

    # -- saving --------------------------------------------------------------------------------
    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        self.form.error = None
        self.query_one("#error", ErrorLine).show_error(None)
        run_cloud(self, self._save, self._saved, self._failed)

    async def _save(self) -> str:
        form, ec2 = self.form, app_of(self).cloud.ec2
        if form.group_id is None or form.group_id not in ec2.security_groups:
            group = await ec2.create_security_group(form.name.strip(), form.description.strip(), form.vpc_id or None)
            form.group_id = group.group_id
        for egress in self.directions:
            await self._apply(form.group_id, egress, form.outbound if egress else form.inbound)
        return form.group_id

    async def _apply(self, group_id: str, egress: bool, drafts: list[RuleDraft]) -> None:
        """Make the group's rules of one direction what the editor shows: deleted rows are revoked by
        rule ID, changed rows modified in place (ModifySecurityGroupRules: each keeps its sgr- ID), new
        rows authorized. A rejected change undoes the others, so a failed save changes nothing."""
        ec2 = app_of(self).cloud.ec2
        group = ec2.security_group(group_id)
        current = list(group.egress if egress else group.ingress)
        changes = rule_changes(current, drafts, self._groups_in_vpc())
        before = {rule.rule_id: spec_of(rule) for rule in current}
        if changes.revoked:
            await ec2.revoke(group_id, rule_ids=changes.revoked, egress=egress)
        modified = False
        try:
            if changes.modified:
                await ec2.modify_security_group_rules(group_id, changes.modified)
                modified = True
            if changes.new:
                await ec2.authorize(group_id, changes.new, egress=egress)
        except CloudError:
            if modified:
                await ec2.modify_security_group_rules(group_id, {rule_id: before[rule_id]
                                                                 for rule_id in changes.modified})
            if changes.revoked:
                await ec2.authorize(group_id, [before[rule_id] for rule_id in changes.revoked], egress=egress)
            raise

    def _saved(self, group_id: str) -> None:
        t = app_of(self).t
        done = "sg.created" if self.creating else "sg.saved"
        self.app.notify(t(done, id=group_id), title=t("notify.success"))
        self.app.pop_screen()
        app_of(self).call_later(app_of(self).show_resource, "security_groups", group_id)

    def _failed(self, error: CloudError) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.form.error = error
        self.query_one("#error", ErrorLine).show_error(error)
