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

The same condition stands in for Textual's sampling of the process's CPU between the keys of one `press`
(`press_keys`); the last key still waits for the process to go idle, as Textual's does. A click keeps Textual's
pauses between its mouse events: with these waits instead, a field clicked and then typed into kept its old cursor
once in a dozen runs (`test_create_a_security_group_with_the_mouse_and_fix_an_error`).
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections.abc import Iterable
from typing import Any

from textual import events
from textual._wait import wait_for_idle
from textual.app import App, ScreenStackError
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot, WaitForScreenTimeout

from tui.app import LblabApp
from tui.typeahead import screen_settled

FIRST_LOOK = 0.001  # seconds before the second look; the wait doubles up to LONGEST_LOOK
LONGEST_LOOK = 0.008


async def wait_for_screen(self: Pilot[Any], timeout: float = 30.0) -> bool:
    return await settled(self.app, timeout)


async def settled(app: App[Any], timeout: float = 30.0) -> bool:
    """Until the screen has handled everything queued for it and no key is held (False: no screen any more)."""
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


async def press_keys(self: App[Any], keys: Iterable[str]) -> None:
    """`App._press_keys`, with a keystroke's wait read rather than slept. Textual waits after every key for the
    process to go idle (no CPU over a sampling window, tests/conftest.py), then for the animator, then for idle
    again: at least two windows of sleep per key (a keys-only walk alone: 15.2 s of wall for 6.1 s of CPU). Here
    each key but the last waits until the screen has handled it (the condition `settled` reads, as a fast typist's
    next key would find it), and the last for the process to go idle once, as Textual's does: what a key started
    beyond the screen's queues (a worker, a cloud call) is still waited for before the test looks. Animations
    are off in the tests, so the animator has nothing to wait for."""
    driver = self._driver
    assert driver is not None
    keys = list(keys)
    for index, key in enumerate(keys, 1):
        if key.startswith("wait:"):
            await asyncio.sleep(float(key.removeprefix("wait:")) / 1000)
            continue
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        original = REPLACED_KEYS.get(key, key)
        try:
            char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(self)
        driver.send_message(event)
        if index < len(keys):
            await settled(self)
        else:
            await wait_for_idle(0)


def install() -> None:
    Pilot._wait_for_screen = wait_for_screen  # type: ignore[method-assign]
    App._press_keys = press_keys  # type: ignore[method-assign]
