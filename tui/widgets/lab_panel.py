"""The lab panel beside the console: the open lab's current step, its checks as they happen, hints,
"do it for me", resets and progress.

It draws `OpenLab` (tui/widgets/lab_state.py) and nothing else: whenever the session reports an event
the panel is drawn again from the session's state, so it never decides anything itself. The console and
every screen the learner works on compose one (hidden while no lab is open; see tui/screens/lab_hooks.py);
a language switch composes it anew in the new language.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakSet

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text as RichText
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Label, ProgressBar, Static
from textual.widgets._toast import ToastRack

from tui.format import tone_style
from tui.localize import Localized, settled
from tui.typed_app import app_of
from tui.widgets.lab_state import OpenLab, Solved, open_lab_of, set_open_lab
from tui.widgets.live_text import show

if TYPE_CHECKING:
    from textual.widgets import Markdown

    # The lab engine is imported by the first lab opened (open_lab), after the console's first frame.
    from labs import CheckReport, LabSession

# Buttons and keys: (request, button id, i18n key). A request is an OpenLab method or a panel action.
REQUESTS = (
    ("check", "lab-check", "lab.key.check"),
    ("hint", "lab-hint", "lab.key.hint"),
    ("solve", "lab-solve", "lab.key.solve"),
    ("reset_step", "lab-reset-step", "lab.key.reset_step"),
    ("reset_lab", "lab-reset-lab", "lab.key.reset_lab"),
    ("labs", "lab-labs", "lab.key.labs"),
)

# What each request does to the open lab ("labs" opens the picker instead).
LAB_ACTIONS: dict[str, Callable[[OpenLab], None]] = {
    "check": OpenLab.check, "hint": OpenLab.hint, "solve": OpenLab.solve,
    "reset_step": OpenLab.reset_step, "reset_lab": OpenLab.reset_lab,
}

# The requests that change the learner's work or the cloud: (dialog title, question).
CONFIRMED = {
    "solve": ("lab.solve_title", "lab.confirm_solve"),
    "reset_step": ("lab.reset_step_title", "lab.confirm_reset_step"),
    "reset_lab": ("lab.reset_title", "lab.confirm_reset"),
}


def elapsed_text(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute:02d}:{second:02d}"



class LabPickRequested(Message):
    """The learner asked for the list of labs (the Labs button or key): the screen opens the picker."""


class LabConfirmRequested(Message):
    """A request the learner cannot take back (show me, reset): the screen asks first and runs `act` on yes."""

    def __init__(self, title_key: str, question_key: str, confirm_key: str, act: Callable[[], object],
                 **values: object) -> None:
        super().__init__()
        self.title_key, self.question_key, self.confirm_key = title_key, question_key, confirm_key
        self.act, self.values = act, values


class ConsoleFocusRequested(Message):
    """The keyboard goes back to the screen's own work (the field that had it before is gone)."""


class LabPanel(Localized, Vertical):
    DEFAULT_CSS = Path(__file__).parent.parent.joinpath("styles", "lab_panel.tcss").read_text("utf-8")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "request('check')", "lab.key.check"),
        Binding("h", "request('hint')", "lab.key.hint"),
        Binding("s", "request('solve')", "lab.key.solve"),
        Binding("r", "request('reset_step')", "lab.key.reset_step"),
        Binding("R", "request('reset_lab')", "lab.key.reset_lab"),
        Binding("o", "request('labs')", "lab.key.labs"),
        Binding("y", "copy_code", "lab.key.copy"),
        Binding("escape", "console", "lab.key.console"),
    ]

    def __init__(self) -> None:
        super().__init__(id="lab-panel")
        self._instructions: str | None = None
        self._drawn: dict[str, object] = {}
        self._shown: tuple[object, ...] = ()
        self._allowed_now: frozenset[str] = frozenset()
        self._return_to: Widget | None = None
        self._copied = -1  # which of the step's commands and names `y` copied last

    @property
    def lab(self) -> OpenLab | None:
        return open_lab_of(self.app)

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        if self.lab is not None:
            self.lab.session.lang = t.lang  # the panel speaks the console's language
        with Vertical(id="lab-head"):
            yield Label(id="lab-title")
            yield Label(id="lab-progress")
            yield ProgressBar(id="lab-bar", show_eta=False, show_percentage=False)
        with VerticalScroll(id="lab-body"):
            yield Label(id="lab-step")
            # Help the learner asked for comes first, where they are looking.
            yield Static(id="lab-solved")
            yield Static(id="lab-hints")
            if self.lab is not None:  # otherwise made with the first step shown (_show_instructions)
                yield _instructions()
        # Never scrolled away with the instructions: how the step stands right now.
        with VerticalScroll(id="lab-status"):
            yield Static(id="lab-checks")
        for row in (REQUESTS[:3], REQUESTS[3:]):
            with Horizontal(classes="lab-buttons"):
                for request, button_id, label_key in row:
                    yield Button(t(label_key), id=button_id, compact=True, name=request,
                                 variant="primary" if request == "check" else "default")

    def on_mount(self) -> None:
        _PANELS.add(self)
        self.set_interval(1.0, self._show_progress)
        # ✓ and ✗ carry the theme's colours: draw them again in a new theme's.
        self.watch(self.app, "theme", self.refresh_lab, init=False)

    def on_unmount(self) -> None:
        _PANELS.discard(self)

    async def composed(self) -> None:
        self.refresh_lab()

    # -- drawing ----------------------------------------------------------------------------------------------
    def refresh_lab(self) -> None:
        if not settled(self):  # composed anew, it draws the lab then
            return
        lab = self.lab
        self.display = lab is not None and lab.visible
        self._keep_toasts_clear()
        if lab is None:
            return
        session, theme = lab.session, self.app.theme
        self._set("#lab-title", session.text(session.lab.title))
        self._show_progress()
        self._show_step(session)
        report = _report_for_step(session)
        # Diagnoses quote durations at the clock's scale: a new scale words them anew.
        self._set("#lab-checks", (report, theme, session.cloud.clock.scale), lambda: self._checks(session, report))
        self.query_one("#lab-hints").display = bool(session.hints_shown)
        self._set("#lab-hints", session.hints_shown, lambda: self._hints(session))
        self.query_one("#lab-solved").display = lab.solved is not None
        self._set("#lab-solved", (lab.solved, theme), lambda: self._solved(lab))
        self._scroll(session, lab.solved)
        self._refresh_buttons(lab)

    def on_resize(self) -> None:
        self._keep_toasts_clear()

    def _keep_toasts_clear(self) -> None:
        """Notifications stack up in the work area, left of the panel, not over its checks."""
        width = self.outer_size.width if self.display else 0
        for rack in self.screen.query_children(ToastRack):  # the screen's own: a query would walk every page
            if rack.styles.padding.right != width:
                rack.styles.padding = (0, width, 0, 0)

    def _set(self, selector: str, key: object, render: Callable[[], RenderableType] | None = None) -> None:
        """Update a widget only when what it shows has changed: each update lays the screen out again.
        `key` stands for the content (and is the content itself when there is no `render`)."""
        if self._drawn.get(selector) != key:
            self._drawn[selector] = key
            self.query_one(selector, Static).update(render() if render is not None else key)  # type: ignore[arg-type]

    def _show_progress(self) -> None:
        lab = self.lab
        if lab is None or not settled(self):
            return
        t, progress = app_of(self).t, lab.session.progress
        where = t("lab.finished", count=progress.step_count) if progress.finished else \
            t("lab.progress", number=progress.step_number, count=progress.step_count)
        parts = [where, t("lab.elapsed", time=elapsed_text(progress.elapsed))]
        if lab.busy:
            parts.append(t(lab.busy))
        show(self.query_one("#lab-progress", Label), " · ".join(parts))  # ticks every second
        self.query_one("#lab-bar", ProgressBar).update(total=progress.step_count, progress=len(progress.completed))

    def _show_step(self, session: LabSession) -> None:
        title = app_of(self).t("lab.finished_title") if session.finished else \
            f"{session.step_index + 1}. {session.text(session.step.title)}"
        self._set("#lab-step", title)
        # Placeholders (a DNS name, a public IP) fill in as the learner builds: draw again when they change.
        text = session.text(session.lab.finish if session.finished else session.step.instructions)
        if text != self._instructions:
            self._instructions = text
            self._copied = -1
            self._show_instructions(text)

    def _show_instructions(self, text: str) -> None:
        try:
            self.query_one("#lab-instructions", _markdown_class()).update(text)
        except NoMatches:  # composed while no lab was open (the console's panel, at start): made now
            self.query_one("#lab-body", VerticalScroll).mount(_instructions(text))

    def _scroll(self, session: LabSession, solved: Solved | None) -> None:
        """A new step, or help just asked for (above the instructions), is read from the top."""
        shown = (session.lab.id, session.step_index, session.finished, len(session.hints_shown), solved)
        if shown != self._shown:
            self._shown = shown
            self.query_one("#lab-body", VerticalScroll).scroll_home(animate=False)

    def _checks(self, session: LabSession, report: CheckReport | None) -> RenderableType:
        t = app_of(self).t
        heading = RichText(t("lab.checks"), style="bold")
        if report is None:
            return Group(heading, RichText(t("lab.checking"), style="dim"))
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        ok, failed = tone_style(self.app, "success"), tone_style(self.app, "error")
        said: set[str] = set()
        for result in report.results:
            body = RichText(session.text(result.label))
            message = session.text(result.message)
            if not result.ok and message not in said:  # one cause often fails several criteria: say it once
                said.add(message)
                body.append("\n" + message, style="dim")
            table.add_row(RichText("✓", style=ok) if result.ok else RichText("✗", style=failed), body)
        return Group(heading, table)

    def _hints(self, session: LabSession) -> RenderableType:
        from rich.markdown import Markdown as RichMarkdown  # markdown-it: not before the first hint

        items = "\n".join(f"{n}. {session.text(hint)}" for n, hint in enumerate(session.hints_shown, 1))
        return Group(RichText(app_of(self).t("lab.hints"), style="bold"), RichMarkdown(items))

    def _solved(self, lab: OpenLab) -> RenderableType:
        t, solved, session = app_of(self).t, lab.solved, lab.session
        if solved is None:
            return ""
        if solved.error is not None:
            return RichText(t("lab.solve_failed", error=session.text(solved.error)),
                            style=tone_style(self.app, "error"))
        heading = RichText(t("lab.solved", number=solved.step_index + 1), style="bold")
        if not solved.done:
            return Group(heading, RichText(t("lab.solved_nothing"), style="dim"))
        from rich.markdown import Markdown as RichMarkdown  # markdown-it: not before the first "show me"

        return Group(heading, RichMarkdown("\n".join(f"- {session.text(item)}" for item in solved.done)))

    def _refresh_buttons(self, lab: OpenLab) -> None:
        allowed = frozenset(request for request, _, _ in REQUESTS if _allowed(lab, request))
        t, shown, total = app_of(self).t, len(lab.session.hints_shown), len(lab.session.step.hints)
        label = t("lab.hint_button", shown=shown, total=total) if total else t("lab.key.hint")
        hint = self.query_one("#lab-hint", Button)
        if str(hint.label) != label:
            hint.label = label
        if allowed != self._allowed_now:
            # Only on a change: the footer rebuilds itself on every refresh_bindings.
            self._allowed_now = allowed
            for request, button_id, _ in REQUESTS:
                self.query_one(f"#{button_id}", Button).disabled = request not in allowed
            self.refresh_bindings()

    # -- the learner's requests --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "request" and parameters:
            return True if str(parameters[0]) in self._allowed_now else None
        return True

    def action_request(self, request: str) -> None:
        lab = self.lab
        if lab is None or not _allowed(lab, request):
            self.app.bell()
            return
        if request == "labs":
            self.post_message(LabPickRequested())
            return
        act = partial(LAB_ACTIONS[request], lab)
        if request in CONFIRMED:
            # One key does it, and a Tab too many lands here: what the learner cannot take back is asked first.
            title_key, question_key = CONFIRMED[request]
            session = lab.session
            self.post_message(LabConfirmRequested(
                title_key, question_key, f"lab.key.{request}", act, name=session.text(session.lab.title),
                number=session.step_index + 1, title=session.text(session.step.title)))
        else:
            act()

    def action_copy_code(self) -> None:
        """Copy the step's next command or name (code blocks and `code` spans, in order) to the clipboard."""
        items = code_items(self._instructions or "")
        if not items:
            self.app.bell()
            return
        self._copied = (self._copied + 1) % len(items)
        copied = items[self._copied]
        self.app.copy_to_clipboard(copied)
        t = app_of(self).t
        self.notify(t("lab.copied", number=self._copied + 1, count=len(items), text=copied),
                    title=t("notify.success"), markup=False)

    def action_console(self) -> None:
        self.return_focus()

    @on(Button.Pressed, ".lab-buttons Button")
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_request(event.button.name or "")

    @property
    def _focus_sort_key(self) -> tuple[int, int]:
        """Last in the Tab order, wherever it sits: Textual orders focus by position, and the panel's top is
        above a wizard's Cancel/Next, which Tab must reach first."""
        return sys.maxsize, sys.maxsize

    def focus_panel(self) -> None:
        self._return_to = self.screen.focused
        self.query_one("#lab-body", VerticalScroll).focus()

    def return_focus(self) -> None:
        """Give the keyboard back to the field or table that had it before the Lab key, if it still can."""
        back, self._return_to = self._return_to, None
        if back is not None and back.is_attached and back.focusable and self not in back.ancestors:
            back.focus()
        else:
            self.post_message(ConsoleFocusRequested())


def _markdown_class() -> type[Markdown]:
    # Textual's Markdown widget and markdown-it take ~50 ms to import: not before the console's first frame,
    # which shows no lab yet (the lab opens after it).
    from textual.widgets import Markdown

    return Markdown


def _instructions(text: str | None = None) -> Markdown:
    return _markdown_class()(text, id="lab-instructions")


FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_items(markdown: str) -> list[str]:
    """What a learner types or pastes from a step, in reading order: fenced blocks and `code` spans."""
    found = [(m.start(), m.group(1).rstrip("\n")) for m in FENCE.finditer(markdown)]
    outside = FENCE.sub(lambda m: " " * len(m.group(0)), markdown)
    found += [(m.start(), m.group(1)) for m in CODE_SPAN.finditer(outside)]
    return [text for _, text in sorted(found)]


def _report_for_step(session: LabSession) -> CheckReport | None:
    """The latest check of the step on screen (None until its first check has run)."""
    report = session.last_report
    return report if report is not None and report.step_id == session.step.id else None


def _allowed(lab: OpenLab, request: str) -> bool:
    session = lab.session
    if request == "labs":
        return True
    if lab.busy == "lab.starting":
        return False
    if request == "hint":
        return not session.finished and len(session.hints_shown) < len(session.step.hints)
    if request in ("check", "reset_step"):
        return not session.finished
    if request == "solve":
        return not session.finished and lab.busy != "lab.solving"
    return True  # reset_lab


# Every mounted lab panel (one per work screen): a lab event redraws them without walking the screens' widgets.
_PANELS: WeakSet[LabPanel] = WeakSet()


def refresh_panels(app: App[Any]) -> None:
    """Draw every lab panel of the app again (the console's, wherever it is in the screen stack)."""
    stack = app.screen_stack
    for panel in list(_PANELS):
        if panel.is_attached and panel.screen in stack:
            panel.refresh_lab()


async def open_lab(app: App[Any], lab_id: str) -> OpenLab | None:
    """Open a lab beside the console (closing the one open before), resuming its saved progress."""
    from labs import LabLoadError, LabSession, load_lab  # the engine: with the first lab, not the first frame

    t = app_of(app).t
    previous = open_lab_of(app)
    if previous is not None and previous.session.lab.id == lab_id:
        previous.visible = True
        refresh_panels(app)
        return previous
    try:
        lab = load_lab(lab_id)
    except LabLoadError as error:
        app.notify(t("lab.load_error", id=lab_id, error=str(error)), severity="error", timeout=15)
        return None
    if previous is not None:
        set_open_lab(app, None)
        await previous.close()
    opened = OpenLab(app, LabSession(app_of(app).cloud, lab, t.lang), lambda: refresh_panels(app))
    set_open_lab(app, opened)
    refresh_panels(app)
    opened.start()
    return opened

