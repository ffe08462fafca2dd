"""What every ELB form screen shares: a title, a scrolling form, the error line, Cancel / Save, and the
save itself in a worker, with the cloud's error shown inline in AWS's words.

A subclass gives `TITLE_KEY`, `SAVE_KEY` (the primary button), `DONE_KEY` (the notification,
formatted with `name=`), `body()` (the form's sections) and `save()` (the cloud calls; returns
what the screen dismisses with, e.g. the new resource's ARN).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, RadioSet, Static

from mock_cloud import CloudError
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import run_cloud
from tui.typed_app import app_of
from tui.widgets.form import BoundForm, ErrorLine
from tui.widgets.header import ConsoleHeader


class ElbEditorScreen(WorkScreen[Any], BoundForm):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "button.cancel"),
        Binding("ctrl+s", "save", "key.save"),
    ]
    TITLE_KEY: ClassVar[str] = ""
    INTRO_KEY: ClassVar[str] = ""
    SAVE_KEY: ClassVar[str] = "key.save"
    DONE_KEY: ClassVar[str] = ""
    # What has the keyboard when it opens. Textual focuses it as the screen starts; focusing it later, from
    # on_mount, came after Textual had focused the first focusable widget, the form's scroll container, and
    # restyled the whole form twice (~70 ms of CPU per opening).
    AUTO_FOCUS: ClassVar[str | None] = "Input, Select, SelectionList, RadioSet"

    def __init__(self) -> None:
        super().__init__()
        self.saving = False
        self.error: CloudError | str | None = None
        self.form: Any = None  # the screen's own fields, if any (sections may bind their own drafts)

    # -- what a subclass provides ----------------------------------------------------------
    def heading(self) -> str:
        return app_of(self).t(self.TITLE_KEY)

    def body(self) -> ComposeResult:
        yield from ()

    async def save(self) -> Any:
        """The cloud calls; what it returns is what the screen dismisses with."""

    def done_name(self, result: Any) -> str:
        return str(result)

    def save_label(self) -> str:
        return app_of(self).t(self.SAVE_KEY)

    # -- composition --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield ConsoleHeader(self.heading())
        with VerticalScroll(id="editor-form"):
            if self.INTRO_KEY:
                yield Static(t(self.INTRO_KEY), classes="screen-note", markup=False)
            yield from self.body()
            yield from self.buttons()
        yield from self.footer()

    def buttons(self) -> ComposeResult:
        t = app_of(self).t
        yield ErrorLine(id="error")
        with Horizontal(classes="form-buttons"):
            yield Button(t("button.cancel"), id="cancel", compact=True)
            yield Button(self.save_label(), id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.show_state()

    async def relocalize(self) -> None:
        await super().relocalize()
        self.show_state()

    def show_state(self) -> None:
        """Show what composing alone does not (the error, which parts apply); again after a language switch."""
        self.query_one("#error", ErrorLine).show_error(self.error)

    # -- radio sets: the pressed button's name is the value ----------------------------------------
    @on(RadioSet.Changed)
    def _radio(self, event: RadioSet.Changed) -> None:
        self._store(event.radio_set.id, event.pressed.name)

    # -- saving ------------------------------------------------------------------------------------
    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#save", Button).disabled = True
        run_cloud(self, self.save, self._saved, self._failed)

    def _saved(self, result: Any) -> None:
        t = app_of(self).t
        if self.DONE_KEY:
            self.app.notify(t(self.DONE_KEY, name=self.done_name(result)), title=t("notify.success"))
        self.dismiss(result)

    def _failed(self, error: CloudError) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.show_error(error)

    def show_error(self, error: CloudError | str | None) -> None:
        self.error = error
        line = self.query_one("#error", ErrorLine)
        line.show_error(error)
        if error is not None:
            line.scroll_visible(animate=False)


def inline(*widgets: Widget) -> Horizontal:
    """Fields on one line (protocol : port, as the console lays them out)."""
    return Horizontal(*widgets, classes="inline-field")
