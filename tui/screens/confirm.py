"""The confirmation every destructive action asks for (stop, reboot, terminate, delete)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui.localize import Localized
from tui.typed_app import app_of


class ConfirmScreen(Localized, ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(False)", "key.cancel")]

    def __init__(self, title_key: str, question_key: str, confirm_key: str, **values: object) -> None:
        super().__init__()
        self.title_key, self.question_key, self.confirm_key = title_key, question_key, confirm_key
        self.values = values

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        with Vertical(id="dialog", classes="dialog"):
            yield Label(t(self.title_key, **self.values), classes="dialog-title")
            yield Static(t(self.question_key, **self.values), classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("button.cancel"), id="cancel", compact=True)
                yield Button(t(self.confirm_key, **self.values), id="confirm", variant="error", compact=True)

    async def composed(self) -> None:
        self.query_one("#confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")
