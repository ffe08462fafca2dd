"""A rule's conditions ("If"): one row per condition, its type, (for http-header) the header name, its values."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Select, Static

from mock_cloud import CONDITION_FIELDS, HOST_HEADER, HTTP_HEADER, PATH_PATTERN
from tui.typed_app import app_of
from tui.widgets.elb_drafts import ConditionDraft
from tui.widgets.text_input import TextInput

# The order the console offers them in.
FIELDS = (HOST_HEADER, PATH_PATTERN, *(f for f in CONDITION_FIELDS if f not in (HOST_HEADER, PATH_PATTERN)))


class ConditionRow(Horizontal):
    """Edits one ConditionDraft in place; its events stop here so no form binds them by mistake."""

    def __init__(self, draft: ConditionDraft) -> None:
        super().__init__(classes="condition-row")
        self.draft = draft

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield Select([(t(f"cond.{f}"), f) for f in FIELDS], value=self.draft.field, allow_blank=False, compact=True,
                     classes="condition-field")
        yield TextInput(self.draft.header_name, placeholder=t("cond.header_name"), compact=True,
                        classes="condition-header")
        yield TextInput(self.draft.values, compact=True, classes="condition-values")
        yield Button("✕", compact=True, classes="condition-remove", tooltip=t("cond.remove"))

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        t = app_of(self).t
        self.query_one(".condition-header").display = self.draft.field == HTTP_HEADER
        self.query_one(".condition-values", TextInput).placeholder = t(f"cond.example.{self.draft.field}")

    @on(Select.Changed, ".condition-field")
    def _field(self, event: Select.Changed) -> None:
        event.stop()
        self.draft.field = str(event.value)
        self._show()

    @on(TextInput.Changed, ".condition-header")
    def _header(self, event: TextInput.Changed) -> None:
        event.stop()
        self.draft.header_name = event.value

    @on(TextInput.Changed, ".condition-values")
    def _values(self, event: TextInput.Changed) -> None:
        event.stop()
        self.draft.values = event.value


class ConditionEditor(Vertical):
    """All conditions of a rule; edits the given list of drafts in place."""

    def __init__(self, drafts: list[ConditionDraft], id: str | None = None) -> None:
        super().__init__(id=id, classes="condition-editor")
        self.drafts = drafts

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield Static(t("cond.hint"), classes="field-hint", markup=False)
        yield Vertical(*(ConditionRow(d) for d in self.drafts), classes="condition-rows")
        yield Button(t("cond.add"), compact=True, classes="condition-add")

    @on(Button.Pressed, ".condition-add")
    async def _add(self, event: Button.Pressed) -> None:
        event.stop()
        draft = ConditionDraft()
        self.drafts.append(draft)
        row = ConditionRow(draft)
        await self.query_one(".condition-rows").mount(row)
        row.query_one(".condition-field", Select).focus()

    @on(Button.Pressed, ".condition-remove")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = next(a for a in event.button.ancestors if isinstance(a, ConditionRow))
        self.drafts[:] = [d for d in self.drafts if d is not row.draft]
        await row.remove()
