"""`?`: the keys of the screen underneath, and how the console's cloud works."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Static

from tui.localize import Localized, is_console_binding
from tui.typed_app import app_of

# Paragraphs of the help text, in order (i18n keys).
TOPICS = ("help.console", "help.clock", "help.edge", "help.mouse")


class HelpScreen(Localized, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "key.close"),
        Binding("question_mark", "dismiss", "key.close", show=False),
    ]

    def __init__(self, underneath: Screen[object]) -> None:
        super().__init__()
        self.underneath = underneath

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        with Vertical(id="help", classes="dialog"):
            yield Label(t("help.title"), classes="dialog-title")
            with VerticalScroll():
                yield Static(self._keys())
                for topic in TOPICS:
                    yield Static(Text(t(topic)), classes="help-topic")
            yield Button(t("button.close"), id="close", compact=True)

    def _keys(self) -> Table:
        t = app_of(self).t
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column(t("help.key"), no_wrap=True)
        table.add_column(t("help.does"))
        seen: set[str] = set()
        for active in self.underneath.active_bindings.values():
            binding = active.binding
            if not is_console_binding(active.node, binding, t) or binding.description in seen:
                continue
            seen.add(binding.description)
            table.add_row(self.app.get_key_display(binding), binding.description)
        return table

    def on_button_pressed(self) -> None:
        self.dismiss()
