"""A learner working through one lab: the current step, checks, hints, "show me", progress.

The session re-checks the current step when the cloud changes (it subscribes to `cloud.events`,
debounced, never polling) and on demand; a step whose check passes is completed and the next one
begins. A step whose point is to watch something passes only once the learner has watched it
(labs/observe.py): the console tells the session what the learner viewed (`viewed`), and the
learner's own requests to a balancer wake the session up through the balancer's metrics events.
Whatever happens is told to subscribers as `SessionEvent`s, which the TUI's lab panel
shows. Progress is saved beside the cloud state and picked up again by the next session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from labs import placeholders
from labs.actions import ActionContext, perform
from labs.codes import Diagnosis, state_names
from labs.criteria import CRITERIA, CheckContext
from labs.loader import load_lab
from labs.model import Criterion, Lab, Step
from labs.observe import Observations
from labs.progress import LabProgress, ProgressStore
from labs.resources import load_balancer_named
from labs.text import Text
from mock_cloud import Cloud, CloudError, Event, Subscription

log = logging.getLogger(__name__)

# Real seconds of quiet after a cloud event before the step is checked again: a wizard's burst of
# changes (a balancer, its listener, its rules) costs one check, not ten.
DEBOUNCE_SECONDS = 0.4
# Event kinds that never change a step's outcome; metrics are what our own probes cause (they matter
# only while a step waits for the learner's own requests: see `_observed_now`).
IGNORED_EVENTS = ("elbv2.metrics",)


@dataclass(frozen=True)
class CriterionResult:
    id: str
    label: Text  # may hold {{placeholders}}: show it through LabSession.text()
    ok: bool
    code: str | None  # the diagnosis code when not ok
    message: Text  # what is wrong and what to do (the label again when ok)


@dataclass(frozen=True)
class CheckReport:
    step_id: str
    step_index: int
    results: tuple[CriterionResult, ...]
    checked_at: float  # cloud time

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if not r.ok)


@dataclass(frozen=True)
class SolveResult:
    ok: bool
    done: tuple[Text, ...]  # each action performed
    error: Text | None
    report: CheckReport | None  # the check right after solving


@dataclass(frozen=True)
class Progress:
    step_number: int  # 1-based; equals step_count once finished
    step_count: int
    completed: tuple[str, ...]
    elapsed: float  # real seconds with the lab open
    finished: bool


@dataclass(frozen=True)
class SessionEvent:
    """kind: started, setup, checking, checked, step_completed, step_changed, finished, hint, solving,
    solved, solve_failed, reset, error."""

    kind: str
    step_index: int
    report: CheckReport | None = None
    detail: Text | None = None


Listener = Callable[[SessionEvent], None]


class LabSession:
    def __init__(self, cloud: Cloud, lab: Lab, lang: str = "ko", *, store: ProgressStore | None = None,
                 watch: bool = True, debounce: float = DEBOUNCE_SECONDS) -> None:
        self.cloud = cloud
        self.lab = lab
        self.lang = lang
        self.store = store if store is not None else ProgressStore.for_cloud(cloud)
        self.watch = watch
        self.debounce = debounce
        self.last_report: CheckReport | None = None
        self._progress = self.store.get(lab.id)
        self._opened = time.monotonic()
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()
        self._subscription: Subscription | None = None
        self._follower: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._background: asyncio.Task[None] | None = None
        self._dirty = False
        self._observations = Observations(self.step_index)

    # == reading ===========================================================================================
    @property
    def step_index(self) -> int:
        return min(self._progress.step, len(self.lab.steps) - 1)

    @property
    def step(self) -> Step:
        """The current step (the last one once the lab is finished)."""
        return self.lab.steps[self.step_index]

    @property
    def finished(self) -> bool:
        return self._progress.finished

    @property
    def progress(self) -> Progress:
        count = len(self.lab.steps)
        return Progress(count if self.finished else self.step_index + 1, count, tuple(self._progress.completed),
                        self._elapsed(), self.finished)

    @property
    def hints_shown(self) -> tuple[Text, ...]:
        return self.step.hints[:self._progress.hints.get(self.step.id, 0)]

    def text(self, text: Text) -> str:
        """`text` in the session's language, its {{placeholders}} filled from the cloud."""
        return placeholders.render(text.get(self.lang), self.lang, self.cloud)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every SessionEvent; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # == life ================================================================================================
    async def start(self) -> None:
        """Set the lab's time scale, build its setup (once), start following the cloud, check the step."""
        if not self.cloud.clock.manual:
            # A paused clock stays paused: tests, or a learner who stopped time on purpose.
            self.cloud.clock.set_scale(self.lab.time_scale)
        self._opened = time.monotonic()
        if not self._progress.setup_done:
            await self._setup()
        self._begin_step()
        self._save()
        if self.watch:
            self._subscription = self.cloud.events.subscribe()
            self._follower = asyncio.get_running_loop().create_task(self._follow(), name=f"lab-{self.lab.id}")
        self._emit("started")
        if self.watch:
            self.request_check(now=True)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in (self._follower, self._background):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._subscription is not None:
            self._subscription.close()
        self._observations.close()
        self._save()

    async def _setup(self) -> None:
        try:
            done = await perform(self._action_context(), self.lab.setup)
        except CloudError as exc:
            self._emit("error", detail=Text.same(f"setup: {exc.code}: {exc.message}"))
            return
        self._progress.setup_done = True
        if done:
            self._emit("setup", detail=Text.join(done, "\n"))

    # == observing ================================================================================================
    def viewed(self, page: str, name: str = "") -> None:
        """The console showed `page` (labs/observe.py VIEWABLE) of the resource `name` to the learner."""
        if (page, name) in self._observations.views:
            return
        self._observations.views.add((page, name))
        if self.watch and any(c.type == "viewed" for c in self.step.check):
            self.request_check(now=True)

    def _begin_step(self) -> None:
        """The current step starts: what the learner observes counts from now on."""
        self._observations.close()
        self._observations = Observations.begin(self.cloud, self.step_index)

    def _observed_now(self, event: Event) -> bool:
        """A balancer's requests may be the learner's watching a step waits for: check once they are enough."""
        report = self.last_report
        for criterion in self.step.check:
            if criterion.type != "observed":
                continue
            if report is not None and report.step_index == self.step_index and any(
                    r.ok for r in report.results if r.id == criterion.id):
                continue
            lb = load_balancer_named(self.cloud, criterion.params["requests_to"])
            if lb is not None and lb.arn == event.resource_id and self._observations.requests(
                    self.cloud, lb.arn, criterion.params["protocol"]) >= criterion.params["requests"]:
                return True
        return False

    # == checking ================================================================================================
    async def check(self, pressed: bool = False) -> CheckReport:
        """Check the current step now; a pass completes it and moves on to the next step. `pressed`:
        the learner asked for it (Check, Show me), which counts as having looked (labs/observe.py)."""
        async with self._lock:
            if self.finished:
                return CheckReport("", len(self.lab.steps), (), self.cloud.clock.now())
            if pressed:
                self._observations.pressed = True
            index, step = self.step_index, self.step
            self._emit("checking")
            context = CheckContext(self.cloud, self.cloud.clock.scale, self._observations)
            results = tuple([await self._evaluate(c, context) for c in step.check])
            report = CheckReport(step.id, index, results, self.cloud.clock.now())
            self.last_report = report
            self._emit("checked", report)
            if report.ok and index == self.step_index and not self.finished:
                self._complete(step, report)
            return report

    async def _evaluate(self, criterion: Criterion, context: CheckContext) -> CriterionResult:
        kind = CRITERIA[criterion.type]
        label = criterion.label or kind.label.format(**state_names(criterion.params))
        try:
            diagnosis = await kind.run(context, dict(criterion.params))
        except CloudError as exc:
            diagnosis = Diagnosis("CHECK_ERROR", {"error": f"{exc.code}: {exc.message}"})
        except Exception as exc:
            log.exception("criterion %s of lab %s failed", criterion.id, self.lab.id)
            diagnosis = Diagnosis("CHECK_ERROR", {"error": f"{type(exc).__name__}: {exc}"})
        if diagnosis is None:
            return CriterionResult(criterion.id, label, True, None, label)
        return CriterionResult(criterion.id, label, False, diagnosis.code, diagnosis.message)

    def _complete(self, step: Step, report: CheckReport) -> None:
        progress = self._progress
        if step.id not in progress.completed:
            progress.completed.append(step.id)
        self._emit("step_completed", report)
        if progress.step + 1 >= len(self.lab.steps):
            progress.elapsed, progress.finished = self._elapsed(), True
            self._save()
            self._emit("finished", report, self.lab.finish)
            return
        progress.step += 1
        self._begin_step()
        self._save()
        self._emit("step_changed")
        if self.watch:
            self.request_check(now=True)

    def request_check(self, now: bool = False, pressed: bool = False) -> None:
        """Check soon: after `debounce` seconds without further requests (or at once), never two at a time.
        `pressed`: the learner pressed Check (see `check`)."""
        if pressed:
            self._observations.pressed = True
        self._dirty = True
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(0 if now else self.debounce, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._background is None or self._background.done():
            self._background = asyncio.get_running_loop().create_task(self._check_while_dirty())
        # Otherwise the running check loop sees the dirty flag and goes round once more.

    async def _check_while_dirty(self) -> None:
        while self._dirty and not self.finished:
            self._dirty = False
            await self.check()

    async def _follow(self) -> None:
        assert self._subscription is not None
        async for event in self._subscription:
            if not event.kind.startswith(IGNORED_EVENTS) or self._observed_now(event):
                self.request_check()

    # == help ======================================================================================================
    def hint(self) -> Text | None:
        """Reveal the current step's next hint (None when all are shown)."""
        shown = self._progress.hints.get(self.step.id, 0)
        if shown >= len(self.step.hints):
            return None
        self._progress.hints[self.step.id] = shown + 1
        self._save()
        hint = self.step.hints[shown]
        self._emit("hint", detail=hint)
        return hint

    async def solve_step(self) -> SolveResult:
        """"Show me": perform the step's solution through the cloud API, then check."""
        if self.finished:
            return SolveResult(True, (), None, None)
        self._emit("solving")
        try:
            async with self._lock:  # no check probes the cloud while the solution is changing it
                done = await perform(self._action_context(), self.step.solution)
        except CloudError as exc:
            error = Text.same(f"{exc.code}: {exc.message}")
            self._emit("solve_failed", detail=error)
            return SolveResult(False, (), error, None)
        self._emit("solved", detail=Text.join(done, "\n"))
        return SolveResult(True, tuple(done), None, await self.check(pressed=True))

    def _action_context(self) -> ActionContext:
        return ActionContext(self.cloud, self._solve_other_lab)

    async def _solve_other_lab(self, lab_id: str, through: str) -> list[Text]:
        """Another lab's setup and solutions up to step `through` (for labs that start where it ended)."""
        other = load_lab(lab_id, self.lab.path.parent)
        context = self._action_context()
        done = await perform(context, other.setup)
        for step in other.steps[:other.step_index(through) + 1]:
            done += await perform(context, step.solution)
        return done

    # == resetting ===================================================================================================
    async def reset_step(self) -> None:
        """Start the current step over: its hints are hidden again and it is checked afresh."""
        self._progress.hints.pop(self.step.id, None)
        self.last_report = None
        self._begin_step()
        self._save()
        self._emit("reset")
        self._after_reset()

    async def reset_lab(self) -> None:
        """Back to step 1 with a fresh clock of elapsed time; setup is built again where it is missing.
        What the learner built stays in the cloud."""
        self._progress = LabProgress()
        self._opened = time.monotonic()
        self.last_report = None
        await self._setup()
        self._begin_step()
        self._save()
        self._emit("reset")
        self._after_reset()

    def _after_reset(self) -> None:
        self._emit("step_changed")
        if self.watch:
            self.request_check(now=True)

    # == bookkeeping ===================================================================================================
    def _elapsed(self) -> float:
        if self._progress.finished:
            return self._progress.elapsed
        return self._progress.elapsed + (time.monotonic() - self._opened)

    def _save(self) -> None:
        snapshot = LabProgress.from_dict(vars(self._progress) | {"elapsed": self._elapsed()})
        self.store.put(self.lab.id, snapshot)

    def _emit(self, kind: str, report: CheckReport | None = None, detail: Text | None = None) -> None:
        event = SessionEvent(kind, self.step_index if not self.finished else len(self.lab.steps), report, detail)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A panel that fails to draw must not stop the lab.
                log.exception("lab session listener failed on %s", kind)
