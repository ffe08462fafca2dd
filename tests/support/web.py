"""Helpers for the browser tests and bench/web_latency.py (no tests here): `lblab web` as a real process,
Debian's headless Chromium through Playwright, and the console's screen read from the page.

The page draws the terminal with xterm.js on a canvas, so the text is not in the DOM. textual-serve's page keeps its
xterm.js Terminal in a `terminal` property of its own object; an init script catches that assignment (before the page's
script runs) so the test can read the terminal's buffer: what xterm.js draws, row by row.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import boto3
from playwright.async_api import Browser, Page, async_playwright

from tests.support.api import DUMMY_CREDENTIALS
from tests.support.paths import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Generous: under a loaded machine a console can take many seconds to start; polling ends as soon as it is there.
PATIENCE = 90.0
POLL = 0.05

CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {configurable: true, set(value) {
  Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
  window.lblabTerminal = value;
}});
"""
SCREEN_TEXT = """() => {
  const term = window.lblabTerminal;
  if (!term) return "";
  const buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""
VIEWPORT = {"width": 1400, "height": 900}


async def screen_text(page: Page) -> str:
    return await page.evaluate(SCREEN_TEXT)


async def poll(check: Callable[[], object], what: str, patience: float = PATIENCE) -> None:
    """Wait until `check()` (sync or async) is truthy."""
    deadline = time.monotonic() + patience
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {patience:.0f} s for {what}")
        await asyncio.sleep(POLL)


async def wait_for_text(page: Page, text: str, present: bool = True) -> str:
    """The screen once `text` is on it (or, with present=False, once it is gone)."""
    seen = ""

    async def shown() -> bool:
        nonlocal seen
        seen = await screen_text(page)
        return (text in seen) == present

    try:
        await poll(shown, f"{text!r} {'on' if present else 'off'} the screen")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the screen:\n{seen}") from None
    return seen


async def click_text(page: Page, text: str) -> None:
    """A mouse click on the first cell of `text` where it first shows on the screen."""
    rows = (await screen_text(page)).split("\n")
    row = next(y for y, line in enumerate(rows) if text in line)
    column = len(rows[row][:rows[row].index(text)])
    box = await page.locator(".xterm-screen").bounding_box()
    assert box is not None
    size = await page.evaluate("[window.lblabTerminal.cols, window.lblabTerminal.rows]")
    cell_width, cell_height = box["width"] / size[0], box["height"] / size[1]
    await page.mouse.click(box["x"] + (column + 0.5) * cell_width, box["y"] + (row + 0.5) * cell_height)


async def console_api_url(page: Page) -> str:
    """The AWS API the tab's console serves (its header shows its host:port once the API is up)."""
    match = re.search(r"AWS API (127\.0\.0\.1:\d+)", await wait_for_text(page, "AWS API 127.0.0.1:"))
    assert match is not None
    return f"http://{match.group(1)}"


def aws(service: str, api_url: str) -> Any:
    return boto3.client(service, endpoint_url=api_url, region_name="ap-northeast-2", **DUMMY_CREDENTIALS)


async def open_console(browser: Browser, url: str) -> Page:
    """A new tab on `url` (in a context of its own that may use the clipboard, as the console's Copy does)."""
    context = await browser.new_context(viewport=VIEWPORT)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = await context.new_page()
    await page.add_init_script(CATCH_TERMINAL)
    await page.goto(url)
    return page


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class WebServer:
    process: asyncio.subprocess.Process
    url: str
    log: list[str]


@contextlib.asynccontextmanager
async def lblab_web(*args: str) -> AsyncIterator[WebServer]:
    """`lblab web --port 0 ARGS` (any free port on 127.0.0.1), stopped with Ctrl-C at the end."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", "web", "--port", "0", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    log: list[str] = []
    try:
        url = await asyncio.wait_for(_served_url(process.stdout, log), PATIENCE)
        collecting = asyncio.create_task(_collect(process.stdout, log))
        try:
            yield WebServer(process, url, log)
        except AssertionError as exc:
            # A console that never drew (seen once in a full run, a blank screen for 90 s) says why only here.
            raise AssertionError(f"{exc}\n-- lblab web's output so far:\n{''.join(log)}") from None
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(collecting, PATIENCE)
        await asyncio.wait_for(process.wait(), PATIENCE)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _served_url(stdout: asyncio.StreamReader, log: list[str]) -> str:
    while line := (await stdout.readline()).decode():
        log.append(line)
        if "open http://" in line:
            return line.split("open ", 1)[1].split()[0]
    raise AssertionError("lblab web ended before serving:\n" + "".join(log))


async def _collect(stdout: asyncio.StreamReader, log: list[str]) -> None:
    while line := (await stdout.readline()).decode():
        log.append(line)
