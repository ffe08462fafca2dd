"""Pilot's wait for a settled screen, made cheap enough to call after every key.

`Pilot.press` and `Pilot.pause` wait until every widget of the screen has handled what it had queued. Textual
does it by sending each widget a callback and counting the answers: on a wizard of ~190 widgets that is ~190
messages dispatched (and as many `inspect.signature` calls) per key, half of the CPU a key typed into a form
cost in the tests. Here the same condition is read instead of sent: a widget is settled when it is mounted,
its queue is empty and its task is parked on it, and the screen has run what waited for its next frame: the
condition the console's type-ahead routes keys on (`tui.typeahead.screen_settled`), and no key is still held by
that type-ahead: a key typed while the screen was busy is handed on by its own task once the screen settles, and
a test that looked then saw the screen before the key (`2` then `l`: the Instances page, not yet the wizard). It
is a little stricter than Textual's (it also waits for what was queued meanwhile) and raises Textual's own timeout
error when a screen never settles.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.app import ScreenStackError
from textual.pilot import Pilot, WaitForScreenTimeout

from tui.app import LblabApp
from tui.typeahead import screen_settled

FIRST_LOOK = 0.001  # seconds before the second look; the wait doubles up to LONGEST_LOOK
LONGEST_LOOK = 0.008


async def wait_for_screen(self: Pilot[Any], timeout: float = 30.0) -> bool:
    app = self.app
    deadline = time.monotonic() + timeout
    look = FIRST_LOOK
    await asyncio.sleep(0)
    while True:
        try:
            if screen_settled(app) and not (isinstance(app, LblabApp) and app.keys.holding):
                return True
        except ScreenStackError:
            return False
        if time.monotonic() > deadline:
            raise WaitForScreenTimeout("Timed out while waiting for widgets to process pending messages.")
        await asyncio.sleep(look)
        look = min(look * 2, LONGEST_LOOK)


def install() -> None:
    Pilot._wait_for_screen = wait_for_screen  # type: ignore[method-assign]
