"""Helpers for the console tests, the lab walkthroughs and the screenshots: the console over the demo
cloud (`mock_cloud.scenarios`), and a learner's hands on it (clicks, keys, pastes, drop-downs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from textual import events
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Markdown, OptionList, Select, SelectionList, TextArea

from mock_cloud.scenarios import demo_config
from tui.app import LblabApp
from tui.screens.console import ConsoleScreen
from tui.screens.page import Page

W = TypeVar("W", bound=Widget)
SIZE = (120, 40)  # a learner's terminal: everything must fit at 120 columns


def demo_app(lang: str = "en", first_page: str = "dashboard", **config: object) -> LblabApp:
    """The console over a demo cloud (empty until `populate`); `config` overrides demo_config."""
    return LblabApp(demo_config(**config), lang=lang, first_page=first_page)


def app_with_edge(lang: str = "en") -> LblabApp:
    return demo_app(lang, edge_port=0, drop_timeout=0.3)


def elb_app(tmp_path: Path) -> LblabApp:
    app = app_with_edge()
    app.cloud.ctx.data_dir = tmp_path  # certificates and logs go here, not into the working directory
    return app


async def wait_for(pilot: Pilot[int], condition: Callable[[], object], seconds: float = 30.0) -> None:
    """Let workers and events run until `condition` holds (real time; the cloud clock stays paused). At least
    `seconds`, more on a busy machine (it counts pauses); it returns as soon as the condition holds."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the console never got there")


async def find(pilot: Pilot[int], selector: str | type[W], expect_type: type[W] = Widget) -> W:  # type: ignore[assignment]
    """A widget of the current screen, once it is there: the keys just pressed may still be opening its screen."""
    await wait_for(pilot, lambda: bool(pilot.app.screen.query(selector)))
    return pilot.app.screen.query_one(selector, expect_type)


async def click(pilot: Pilot[int], target: str | Widget) -> None:
    """Click a widget, scrolling it into view first as a learner would."""
    widget = await find(pilot, target) if isinstance(target, str) else target
    widget.scroll_visible(animate=False)
    await pilot.pause()
    assert await pilot.click(widget)
    await pilot.pause()


async def type_text(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(char, char) for char in text])


async def paste(pilot: Pilot[int], text: str) -> None:
    """What the terminal sends when the learner pastes into the focused field (faster than typing)."""
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def settle(pilot: Pilot[int]) -> None:
    """Before a picture: nothing that depends on real time may reach it. No blinking cursors, no toasts, no
    Markdown (the lab panel's instructions) still being laid out in the background, no clicked button's
    0.2 s flash."""
    await pilot.pause()
    await wait_for(pilot, lambda: all(md.children for md in pilot.app.screen.query(Markdown) if md.source))
    await wait_for(pilot, lambda: not pilot.app.screen.query("Button.-active"))
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, Input | TextArea)
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


def shown(widget: Widget) -> str:
    """The text a widget draws on screen, its wrapped lines joined again with single spaces."""
    lines = ("".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height))
    return " ".join(" ".join(lines).split())


def page(app: LblabApp) -> Page:
    screen = app.screen
    assert isinstance(screen, ConsoleScreen)
    current = screen.current_page
    assert isinstance(current, Page)
    return current


def cell(app: LblabApp, row_key: str, column: str) -> str:
    return page(app).table.get_cell(row_key, column).plain


async def select_row(pilot: Pilot[int], name: str) -> str:
    """Move the cursor down to the instance (or group) called `name`; returns its ID."""
    table = page(pilot.app).table  # type: ignore[arg-type]
    for _ in range(table.row_count):
        key = table.selected_key
        assert key is not None
        if name in [cell.plain for cell in table.get_row(key)]:
            return key
        await pilot.press("down")
    raise AssertionError(f"no row {name}")


async def open_tab(pilot: Pilot[int], tab: str) -> None:
    await click(pilot, f"#--content-tab-{tab}")


async def choose(pilot: Pilot[int], select: Select[str] | str, label: str) -> None:
    """Open a drop-down with a click and pick the option whose label starts with `label` with the keys."""
    widget = pilot.app.screen.query_one(select, Select) if isinstance(select, str) else select
    widget.scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(widget)  # lands on the drop-down's own child, so `click`'s check does not apply
    overlay = pilot.app.focused
    assert isinstance(overlay, OptionList)
    labels = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
    wanted = next(i for i, text in enumerate(labels) if text.startswith(label))
    while overlay.highlighted != wanted:
        here = -1 if overlay.highlighted is None else overlay.highlighted
        await pilot.press("down" if here < wanted else "up")
    await pilot.press("enter")
    await pilot.pause()


async def tick(pilot: Pilot[int], selector: str, labels: list[str]) -> None:
    """Click the rows of a checkbox list whose labels start with any of `labels` (a click toggles)."""
    options = pilot.app.screen.query_one(selector, SelectionList)
    for index in range(options.option_count):
        text = str(options.get_option_at_index(index).prompt)
        if any(label in text for label in labels):
            options.scroll_to(y=index, animate=False)
            options.highlighted = index
            options.focus()
            await pilot.press("space")
