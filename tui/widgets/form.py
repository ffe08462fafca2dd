"""Form plumbing shared by the wizards: fields bound to a model by widget id, and the error line."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Label, Select, SelectionList, Static, TextArea

from mock_cloud import CloudError
from tui.format import tone_style
from tui.tasks import error_text
from tui.typed_app import app_of
from tui.widgets.text_input import TextInput


class Section(Vertical):
    """A titled box of the form, like the console wizard's panels."""

    def __init__(self, title: str, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id, classes="form-section")
        self.border_title = title


def field(label: str, widget: Widget, hint: str = "") -> ComposeResult:
    yield Label(label, classes="field-label")
    if hint:
        yield Static(hint, classes="field-hint", markup=False)
    yield widget


class NumberInput(TextInput):
    """A whole-number field that says why it refused a key or a paste, where Textual only rings the bell
    (a silent bell reads as a broken field). Blanks around a pasted number are dropped, as a browser does."""

    def __init__(self, value: str, max_length: int, **kwargs: Any) -> None:
        super().__init__(value, type="integer", max_length=max_length, compact=True, **kwargs)

    def _on_paste(self, event: events.Paste) -> None:
        super()._on_paste(events.Paste(event.text.strip()))
        event.stop()

    def restricted(self) -> None:
        super().restricted()
        t = app_of(self).t
        self.notify(t("form.whole_number", length=self.max_length), severity="warning", timeout=6)


class ErrorLine(Static):
    """Where a form shows the cloud's answer in AWS's words (`Code: message`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(classes="form-error", **kwargs)
        self.display = False

    def show_error(self, error: CloudError | str | None) -> None:
        self.display = error is not None
        if error is None:
            return
        message = error_text(error) if isinstance(error, CloudError) else error
        self.update(Text.assemble(("⚠ ", "bold"), message, style=tone_style(self.app, "error")))


class BoundForm(Widget):
    """Mixin for screens whose form fields write straight into `self.form` (by widget id), so the
    form survives a language switch and the launch/create code reads one plain object."""

    form: Any

    def _store(self, widget_id: str | None, value: object) -> None:
        if widget_id and hasattr(self.form, widget_id):
            setattr(self.form, widget_id, value)
            self.form_changed(widget_id)

    def form_changed(self, name: str) -> None:
        """A field changed; redraw what depends on it."""

    @on(TextInput.Changed)
    def _input(self, event: TextInput.Changed) -> None:
        self._store(event.input.id, event.value)

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self._store(event.select.id, event.value)

    @on(Checkbox.Changed)
    def _checkbox(self, event: Checkbox.Changed) -> None:
        self._store(event.checkbox.id, event.value)

    @on(TextArea.Changed)
    def _text_area(self, event: TextArea.Changed) -> None:
        self._store(event.text_area.id, event.text_area.text)

    @on(SelectionList.SelectedChanged)
    def _selection(self, event: SelectionList.SelectedChanged) -> None:
        self._store(event.selection_list.id, list(event.selection_list.selected))
