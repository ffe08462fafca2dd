"""The inbound/outbound rule editor: one row per rule (type, protocol, port range, source, description).
Editing an existing group, each row first shows its rule's ID (the console's "Security group rule ID"
column; a row not saved yet shows –).

As in the console, a custom source is one field that takes a CIDR block or a security group by ID
or name; it suggests the existing groups as the learner types (→ or End accepts the suggestion)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, Label, Select

from tui.rules import ANYWHERE_IPV4, RULE_TYPES, RuleDraft, protocol_text
from tui.typed_app import app_of
from tui.widgets.text_input import TextInput

SOURCE_KINDS = ("custom", "anywhere")
NO_ID = "–"


class RuleRow(Horizontal):
    """Edits one RuleDraft in place; its events stop here so the screen's form never sees them."""

    def __init__(self, draft: RuleDraft, groups: list[str], egress: bool, rule_id: bool) -> None:
        super().__init__(classes="rule-row")
        self.draft = draft
        self.groups = groups  # names and IDs of the groups a source may name
        self.egress = egress
        self.rule_id = rule_id  # whether the row shows its rule's ID

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        draft = self.draft
        if self.rule_id:
            yield Label(draft.rule_id or NO_ID, classes="rule-id", markup=False)
        yield Select([(t(f"rule_type.{rt.key}"), rt.key) for rt in RULE_TYPES], value=draft.type_key,
                     allow_blank=False, compact=True, classes="rule-type")
        yield Label(classes="rule-protocol")
        yield TextInput(draft.port_range, placeholder="0 - 65535", compact=True, classes="rule-ports")
        yield Select([(t(f"rule_source.{kind}"), kind) for kind in SOURCE_KINDS], value=draft.source_kind,
                     allow_blank=False, compact=True, classes="rule-source-kind")
        yield TextInput(draft.source, placeholder=t("rule.source_placeholder"), compact=True, classes="rule-cidr",
                        suggester=SuggestFromList(self.groups, case_sensitive=False))
        yield TextInput(draft.description, placeholder=t("rule.description_placeholder"), compact=True,
                        classes="rule-description")
        yield Button("✕", compact=True, classes="rule-delete", tooltip=t("rule.delete"))

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        """Fixed types show their ports; the source field matches the source kind."""
        draft, everything = self.draft, app_of(self).t("all")
        self.query_one(".rule-protocol", Label).update(protocol_text(draft.rule_type.protocol, everything))
        ports = self.query_one(".rule-ports", TextInput)
        ports.disabled = draft.rule_type.fixed
        if draft.rule_type.fixed:
            ports.value = draft.port_display(everything)
        cidr = self.query_one(".rule-cidr", TextInput)
        cidr.disabled = draft.source_kind == "anywhere"
        if draft.source_kind == "anywhere":
            cidr.value = ANYWHERE_IPV4

    @on(Select.Changed, ".rule-type")
    def _type(self, event: Select.Changed) -> None:
        event.stop()
        was_fixed = self.draft.rule_type.fixed
        self.draft.type_key = str(event.value)
        if was_fixed and not self.draft.rule_type.fixed:
            self.query_one(".rule-ports", TextInput).value = ""
        self._show()

    @on(Select.Changed, ".rule-source-kind")
    def _source_kind(self, event: Select.Changed) -> None:
        event.stop()
        was_anywhere = self.draft.source_kind == "anywhere"
        self.draft.source_kind = str(event.value)
        if was_anywhere and self.draft.source_kind == "custom":  # not on the Select's first Changed
            self.query_one(".rule-cidr", TextInput).value = ""
        self._show()

    @on(TextInput.Changed, ".rule-ports")
    def _ports(self, event: TextInput.Changed) -> None:
        event.stop()
        if not self.draft.rule_type.fixed:
            self.draft.port_range = event.value

    @on(TextInput.Changed, ".rule-cidr")
    def _cidr(self, event: TextInput.Changed) -> None:
        event.stop()
        self.draft.source = event.value

    @on(TextInput.Changed, ".rule-description")
    def _description(self, event: TextInput.Changed) -> None:
        event.stop()
        self.draft.description = event.value


class RuleEditor(Vertical):
    """All rules of one direction; edits the given list of drafts in place."""

    def __init__(self, drafts: list[RuleDraft], groups: list[str], egress: bool,
                 id: str | None = None, rule_ids: bool = False) -> None:
        super().__init__(id=id, classes="rule-editor")
        self.drafts = drafts
        self.groups = groups
        self.egress = egress
        self.rule_ids = rule_ids  # the console shows them when editing a group's rules, not when creating it

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        with Horizontal(classes="rule-head"):
            if self.rule_ids:
                yield Label(t("col.rule_id"), classes="rule-id")
            for key, css in (("col.type", "rule-type"), ("col.protocol", "rule-protocol"),
                             ("col.port_range", "rule-ports"),
                             ("col.destination" if self.egress else "col.source", "rule-source-kind"),
                             ("rule.cidr_or_group", "rule-cidr"), ("col.description", "rule-description")):
                yield Label(t(key), classes=css)
        yield Vertical(*(RuleRow(draft, self.groups, self.egress, self.rule_ids)
                                 for draft in self.drafts), classes="rule-rows")
        yield Label(t("sg.no_rules"), classes="rule-empty field-hint")
        yield Button(t("rule.add"), classes="rule-add", compact=True)

    def on_mount(self) -> None:
        self._show_empty()

    def _show_empty(self) -> None:
        self.query_one(".rule-empty").display = not self.drafts

    @on(Button.Pressed, ".rule-add")
    async def _add(self, event: Button.Pressed) -> None:
        event.stop()
        draft = RuleDraft()
        self.drafts.append(draft)
        row = RuleRow(draft, self.groups, self.egress, self.rule_ids)
        await self.query_one(".rule-rows").mount(row)
        self._show_empty()
        row.query_one(".rule-type", Select).focus()

    @on(Button.Pressed, ".rule-delete")
    async def _delete(self, event: Button.Pressed) -> None:
        event.stop()
        row = next(ancestor for ancestor in event.button.ancestors if isinstance(ancestor, RuleRow))
        self.drafts[:] = [draft for draft in self.drafts if draft is not row.draft]
        await row.remove()
        self._show_empty()
