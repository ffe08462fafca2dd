"""Where the guided labs meet the console: what the app does at start and exit, and the Lab key.

    tui/app.py              on_mount: start_labs(app, lab_id) · on_unmount: stop_labs(app)
    tui/screens/console.py  composes a LabPanel beside the page
    WorkScreen              every other full screen (wizards, editors, the Browser, a shell) yields a LabPanel
                            (WorkScreen.footer), so the step being worked on stays in sight; the L key on all of them;
                            what the panel asks of its screen (the lab picker, a confirmation, the keyboard back)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import Reactive
from textual.screen import ActiveBinding, Screen, ScreenResultType
from textual.widget import Widget

from labs import ProgressStore
from tui.localize import Localized
from tui.screens.confirm import ConfirmScreen
from tui.screens.page import Page
from tui.typed_app import app_of
from tui.widgets.footer import ConsoleFooter
from tui.widgets.lab_panel import ConsoleFocusRequested, LabConfirmRequested, LabPanel, LabPickRequested, open_lab
from tui.widgets.lab_state import open_lab_of, set_open_lab
from tui.widgets.nav import Navigation

# The footer's first keys, on every screen the learner works on.
FOOTER_FIRST = ("question_mark", "ctrl+l", "L")


async def start_labs(app: App[Any], lab_id: str | None = None) -> None:
    """`lblab lab ID` opens that lab; otherwise the lab open last resumes, or a learner starting
    afresh chooses one. A cloud that saves nothing (the demo, tests) has no learner to ask."""
    cloud = app_of(app).cloud
    store = ProgressStore.for_cloud(cloud)
    if store.error:
        app.notify(store.error, severity="warning", timeout=15)
    chosen = lab_id or store.active
    if chosen is not None:
        await open_lab(app, chosen)
    elif cloud.store is not None:
        pick_lab(app)


async def stop_labs(app: App[Any]) -> None:
    """Save the open lab's progress (time spent included) before the cloud goes."""
    lab = open_lab_of(app)
    if lab is not None:
        set_open_lab(app, None)
        await lab.close()


def pick_lab(app: App[Any]) -> None:
    """The lab picker; the lab chosen there opens beside the console."""

    def chosen(lab_id: str | None) -> None:
        if lab_id is not None:
            app.run_worker(open_lab(app, lab_id), group="lab", exclusive=False)

    # Imported here: the picker reads every lab file with the engine's checks, which the first frame does not need.
    from tui.screens.lab_picker import LabPickerScreen

    app.push_screen(LabPickerScreen(), chosen)


def focus_console(screen: Screen[Any]) -> None:
    """Give the keyboard to the screen's own work: the console's page, as arriving on it does, or the
    first thing a wizard or a tool can focus."""
    page = getattr(screen, "current_page", None)
    if isinstance(page, Page):
        page.table.focus()
    elif navigation := screen.query(Navigation):
        navigation.first().focus()
    else:
        screen.set_focus(None)
        screen.focus_next()


def _if_yes(act: Callable[[], object], yes: bool | None) -> None:
    if yes:
        act()


def toggle_lab_panel(screen: Screen[Any]) -> None:
    """The Lab key: show the panel and move to it; from the panel, hide it. With no lab open: the picker."""
    app = screen.app
    lab = open_lab_of(app)
    if lab is None:
        pick_lab(app)
        return
    panel = screen.query_one(LabPanel)
    hide = lab.visible and panel.has_focus_within
    if hide:
        panel.return_focus()
    lab.visible = not hide
    panel.refresh_lab()
    if not hide:
        panel.focus_panel()


class WorkScreen(Localized, Screen[ScreenResultType]):
    """A screen the learner works on; its compose ends with `yield from self.footer()`. The lab panel hides
    itself while no lab is open."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("L", "toggle_lab", "key.lab")]
    # Textual's Screen repaints itself whole when the focus moves, though the widgets that gain and lose
    # it repaint themselves: a second full render of the screen on every page switch.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    # What the screen's styles were last computed for (see _on_screen_resume).
    styled_for: tuple[int, bool] | None = None

    def _style_state(self) -> tuple[int, bool]:
        return self.app._css_update_count, self.app.app_focus

    def _on_mount(self, event: events.Mount) -> None:
        self.styled_for = self._style_state()  # mounting styled every widget

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles every widget of a screen each time it is shown, after this handler (Screen's own
        # reads the flag): for a form just mounted, which mounting styled, a quarter of the CPU of the key that
        # opens it. Its styles go stale only with a theme or stylesheet change (the app counts those) or the
        # terminal's focus changing while the screen was away (a kept wizard, one under a dialog).
        styled_for, self.styled_for = self.styled_for, self._style_state()
        event.refresh_styles = event.refresh_styles and styled_for != self.styled_for

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Help, the language and the Lab key first: the footer is cut at the right edge of a narrow
        terminal, and those are the keys a learner must always find."""
        bindings = super().active_bindings
        first = {key: bindings[key] for key in FOOTER_FIRST if key in bindings}
        return first | {key: active for key, active in bindings.items() if key not in first}

    def footer(self) -> ComposeResult:
        """The end of the screen's compose: the footer, and the lab panel beside the screen's work."""
        yield ConsoleFooter(compact=True)
        yield LabPanel()

    def action_toggle_lab(self) -> None:
        toggle_lab_panel(self)

    # -- what the lab panel asks of the screen it sits on -----------------------------------------
    @on(LabPickRequested)
    def _pick_lab(self, message: LabPickRequested) -> None:
        message.stop()
        pick_lab(self.app)

    @on(LabConfirmRequested)
    def _confirm(self, message: LabConfirmRequested) -> None:
        message.stop()
        dialog = ConfirmScreen(message.title_key, message.question_key, message.confirm_key, **message.values)
        self.app.push_screen(dialog, partial(_if_yes, message.act))

    @on(ConsoleFocusRequested)
    def _focus_console(self, message: ConsoleFocusRequested) -> None:
        message.stop()
        focus_console(self)
