"""Screens built, laid out and drawn before they are shown, so that the key that opens one only shows it.

Textual mounts a screen when it is first pushed, lays it out when it first resumes and draws every widget's
lines then too: for a form of ~190 widgets, ~0.45 s of CPU at the learner's key. `prepare` does all three
while the console is idle. It uses what `App.push_screen` and `Screen._refresh_layout` use (Textual 8.x,
pinned in pyproject.toml); tests/tui/test_tui_flows.py checks that a prepared screen opens laid out.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App
from textual.screen import Screen

# A form's first layout, then again once its scrollbar has taken two columns, then once more each for what the
# first Resize and Show ask, and the footer's keys for the focused field.
MOST_LAYOUTS = 4


async def handled(screen: Screen[Any]) -> None:
    """Until every node of `screen` has handled the messages it had queued."""
    loop = asyncio.get_running_loop()
    waits = []
    for node in screen.walk_children(with_self=True):
        done = loop.create_future()
        if node.call_later(done.set_result, None):
            waits.append(done)
    await asyncio.gather(*waits)


async def prepare(app: App[Any], screen: Screen[Any]) -> None:
    """Mount `screen` (installed, not shown), lay it out at the terminal's size and draw it once, unseen."""
    app._load_screen_css(screen)
    _, mounted = app._get_screen(screen)  # what push_screen does to mount a screen, without showing it
    await mounted
    for _ in range(MOST_LAYOUTS):
        screen._refresh_layout(app.size)
        screen._layout_required = False
        await handled(screen)
        if not screen._layout_required:
            break
    screen._compositor.render_full_update()  # each widget's first lines, kept in its cache
