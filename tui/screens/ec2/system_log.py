"""Actions › Monitor and troubleshoot › Get system log: the instance's console output, kept current."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, TextArea

from mock_cloud import Event
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import follow_events
from tui.typed_app import app_of
from tui.widgets.header import ConsoleHeader


class SystemLogScreen(WorkScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "key.back")]

    def __init__(self, instance_id: str) -> None:
        super().__init__()
        self.instance_id = instance_id

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield ConsoleHeader(t("syslog.title", instance=self.instance_id))
        yield Static(t("syslog.note"), classes="screen-note", markup=False)
        yield TextArea(self._text(), id="system-log", read_only=True, soft_wrap=False, show_line_numbers=False)
        yield from self.footer()

    def on_mount(self) -> None:
        follow_events(self, ("instance.",), self._changed)

    async def composed(self) -> None:
        self.query_one("#system-log", TextArea).focus()
        self._scroll_to_end()

    def _text(self) -> str:
        instance = app_of(self).cloud.ec2.instances.get(self.instance_id)
        if instance is None:
            return ""
        return instance.console_output or app_of(self).t("syslog.empty")

    def _changed(self, batch: list[Event]) -> None:
        if any(self.instance_id in event.resource_id for event in batch):
            area = self.query_one("#system-log", TextArea)
            text = self._text()
            if text != area.text:
                area.load_text(text)
                self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        area = self.query_one("#system-log", TextArea)
        area.move_cursor(area.document.end)
        area.scroll_end(animate=False)
