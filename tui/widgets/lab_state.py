"""The lab open in a console: its LabSession, and the little the lab panel must remember between events.

The engine decides everything a learner is told (the step, whether it passed, the diagnosis, the
hints); this only keeps what happens in between: whether work is under way, and what "show me" did.
One per app, outliving the panels that show it (a language switch composes the console, and so the
panel, anew).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from tui.typed_app import app_of

if TYPE_CHECKING:
    from textual.app import App

    # Names only: the engine (labs.engine and all it checks with) is imported by the first lab opened,
    # after the console's first frame.
    from labs import LabSession, SessionEvent, Text

log = logging.getLogger(__name__)

# Session events that end a piece of work the panel shows as under way.
IDLE_AFTER = ("started", "checked", "solved", "solve_failed", "error")
BUSY_WITH = {"checking": "lab.checking", "solving": "lab.solving"}

_open: WeakKeyDictionary[App[Any], OpenLab] = WeakKeyDictionary()

# Below this many columns the lab panel starts collapsed: beside it, forms and tables would be cut.
PANEL_OPEN_WIDTH = 140


@dataclass(frozen=True)
class Solved:
    """What "show me" performed for one step (or why it could not)."""

    step_index: int
    done: tuple[Text, ...]
    error: Text | None = None


class OpenLab:
    def __init__(self, app: App[Any], session: LabSession, on_change: Callable[[], None]) -> None:
        self.app = app
        self.session = session
        # A narrow terminal gives the work the whole width; the Lab key brings the panel in.
        self.visible = app.size.width >= PANEL_OPEN_WIDTH
        self.busy: str | None = "lab.starting"  # i18n key of the work under way
        self.solved: Solved | None = None
        self._learner_at_work = False  # a later step than the one solved failed a check: the learner's turn
        self._on_change = on_change
        self._unsubscribe = session.subscribe(self._event)

    @property
    def t(self) -> Callable[..., str]:
        return app_of(self.app).t

    # -- the learner's requests (each runs in an app worker, so a recomposed panel does not cancel it) --
    def start(self) -> None:
        self._work(self.session.start())

    def check(self) -> None:
        self.session.request_check(now=True, pressed=True)

    def hint(self) -> None:
        self._moving_on()
        self.session.hint()

    def solve(self) -> None:
        self._moving_on()
        self._work(self._solve())

    async def _solve(self) -> None:
        index = self.session.step_index
        result = await self.session.solve_step()
        self.solved, self._learner_at_work = Solved(index, result.done, result.error), False
        self._on_change()

    def reset_step(self) -> None:
        self._moving_on()
        self._work(self.session.reset_step())

    def reset_lab(self) -> None:
        self._moving_on()
        self.busy = "lab.starting"
        self._work(self.session.reset_lab())

    def _work(self, work: Coroutine[object, object, object]) -> None:
        self.app.run_worker(self._guarded(work), group="lab", exclusive=False)

    async def _guarded(self, work: Coroutine[object, object, object]) -> None:
        try:
            await work
        except Exception as error:  # a broken lab action must not take the console down with it
            log.exception("lab %s", self.session.lab.id)
            self.busy = None
            self.app.notify(f"{type(error).__name__}: {error}", title=self.t("lab.error_title"), severity="error",
                            timeout=15)
            self._on_change()

    def _moving_on(self) -> None:
        self.solved = None
        self._on_change()

    async def close(self) -> None:
        self._unsubscribe()
        await self.session.close()

    # -- what the session tells ---------------------------------------------------------------------------
    def _event(self, event: SessionEvent) -> None:
        if event.kind in BUSY_WITH:
            self.busy = BUSY_WITH[event.kind]
        elif event.kind in IDLE_AFTER:
            self.busy = None
        self._forget_solved(event)
        self._tell(event)
        self._on_change()

    def _forget_solved(self, event: SessionEvent) -> None:
        """What "show me" did stays on screen while its step, and those that pass right after it, go by
        (at once, or once cloud time has caught up); it goes when the learner passes a step by themselves,
        or asks the panel for other help."""
        if self.solved is None or event.report is None or event.report.step_index <= self.solved.step_index:
            return
        if event.kind == "checked" and not event.report.ok:
            self._learner_at_work = True
        elif event.kind == "step_completed" and self._learner_at_work:
            self.solved = None

    def _tell(self, event: SessionEvent) -> None:
        """The moments worth a toast: they may happen while the panel is hidden or scrolled away."""
        session, t = self.session, self.t
        if event.kind == "step_completed" and event.report is not None:
            step = session.lab.steps[event.report.step_index]
            self.app.notify(t("lab.step_done", number=event.report.step_index + 1, title=session.text(step.title)),
                            title=session.text(session.lab.title), timeout=6)
        elif event.kind == "finished":
            self.app.notify(session.text(session.lab.title), title=t("lab.finished_title"), timeout=8)
        elif event.kind == "setup" and event.detail is not None:
            self.app.notify(session.text(event.detail), title=t("lab.setup_title"), timeout=8)
        elif event.kind == "error" and event.detail is not None:
            self.app.notify(session.text(event.detail), title=t("lab.error_title"), severity="error", timeout=15)


def open_lab_of(app: App[Any]) -> OpenLab | None:
    return _open.get(app)


def report_view(app: App[Any], page: str, name: str = "") -> None:
    """The console shows the learner `page` of `name` (e.g. a target group's Targets tab): a lab step
    may be waiting for the learner to look (labs/observe.py)."""
    lab = _open.get(app)
    if lab is not None:
        lab.session.viewed(page, name)


def set_open_lab(app: App[Any], lab: OpenLab | None) -> None:
    if lab is None:
        _open.pop(app, None)
    else:
        _open[app] = lab
