"""Type-ahead: every key reaches the screen and the field it was typed for, in the order it was typed.

Textual hands a key to the widget focused at the moment the app reads it, and that widget handles it
later, in its own task; a key nobody handles bubbles up, widget by widget, to the app, which runs the
key's binding. So when keys arrive together (a fast typist, a paste of keys, tmux), the second key is
routed before the first has done anything: `l` opens the launch wizard only after the keys typed
behind it have gone to the table underneath, Space after "Next" presses Next again instead of ticking
the box Next moves to, keys typed at a screen still being composed find nothing focused and vanish.

`KeyRouter` holds a key back while the app is still busy with the ones before it: until every widget
of the screen on top (and the app) has handled what it was sent, and that screen is mounted. An idle
console routes a key at once, exactly as Textual does; only keys typed ahead wait, and they keep
their order. Workers (cloud calls) are not waited for: they answer in their own time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App, ScreenStackError
from textual.message_pump import MessagePump

# A key waits at most this long for the console to settle (a wizard takes seconds to compose on a
# loaded machine), then goes where focus is: a handler stuck on something slow (or a bug) must not
# freeze the keyboard for good.
PATIENCE = 30.0
POLL = 0.002  # seconds between two looks at a busy console

Dispatch = Callable[[events.Event], Awaitable[None]]


def waiting(node: MessagePump) -> bool:
    """Whether `node` has nothing queued (it may be in the middle of handling a message)."""
    return node._message_queue.empty() and node._pending_message is None and not node._next_callbacks


def idle(node: MessagePump) -> bool:
    """Whether `node` is mounted and parked on its empty queue: every message it got is handled.

    Textual's message queue keeps no count of the messages being handled; a pump's task waiting on
    the queue's ready event is the sign that it has finished the last one."""
    if node._closed:
        return True
    return node._is_mounted and waiting(node) and bool(node._message_queue.ready_event._waiters)


def screen_settled(app: App[Any], in_app: bool = False) -> bool:
    """Whether the app and every widget of the screen on top have handled what they were sent, and the screen
    has run what waited for its next frame (a page's table takes the focus after it). `in_app`: asked from the
    app's own handler, which is busy with the message at hand. Raises ScreenStackError before the first screen."""
    if not (waiting(app) if in_app else idle(app)):
        return False
    screen = app.screen
    return not screen._callbacks and all(idle(node) for node in screen.walk_children(with_self=True))


class KeyRouter:
    """Routes the app's keys and pastes one at a time, each once the console has settled."""

    def __init__(self, app: App[Any], dispatch: Dispatch) -> None:
        self.app = app
        self.dispatch = dispatch
        self.waiting: asyncio.Queue[events.Event] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self._held = 0  # keys queued or being handed on by the drain

    @property
    def holding(self) -> bool:
        """Whether keys typed ahead are still waiting, or the last of them is being handed on."""
        return self._held > 0

    def settled(self, in_app: bool = False) -> bool:
        """`screen_settled`, asked of this app; `in_app`: from the app's own handler, busy with this very key."""
        try:
            return screen_settled(self.app, in_app)
        except ScreenStackError:  # no screen yet: nothing to wait for
            return True
        except AttributeError:  # a Textual whose message pumps look otherwise: route keys as it does
            return True

    async def route(self, event: events.Event) -> None:
        """Called by the app (in its own message handler) for each key or paste read from the terminal."""
        if not self.holding and self.settled(in_app=True):  # none held: none to overtake, even one mid-way
            await self.dispatch(event)
            return
        self._held += 1
        self.waiting.put_nowait(event)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain(), name="type-ahead")

    async def _drain(self) -> None:
        while not self.waiting.empty():
            until = time.monotonic() + PATIENCE
            while not self.settled() and time.monotonic() < until:
                await asyncio.sleep(POLL)
            try:
                await self.dispatch(self.waiting.get_nowait())
            finally:
                self._held -= 1

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
