"""`lblab web` in a real browser: Debian's headless Chromium drives the console served on 127.0.0.1 (one browser
session for the whole file, to keep it to a few seconds)."""

from __future__ import annotations

import pytest

from labs import load_lab
from tests.test_web_support import (
    CHROMIUM,
    alive,
    children_of,
    chromium,
    lblab_web,
    open_console,
    poll,
    screen_text,
    wait_for_text,
)
from tui.i18n import Translator
from tui.web.server import ConsoleServer

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")

EN, KO = Translator("en"), Translator("ko")
LAB = "alb-basics"


async def test_the_console_in_a_browser_tab(tmp_path) -> None:
    lab_title = load_lab(LAB).title
    async with lblab_web("--state", str(tmp_path / "state.json"), "--seed", "1", "--lang", "en",
                         "--lab", LAB) as web, chromium() as browser:
        page = await open_console(browser, web.url)
        first = await wait_for_text(page, EN("nav.dashboard"))
        assert lab_title.en in first  # the lab panel is beside the dashboard
        consoles = children_of(web.process.pid)
        assert len(consoles) == 1, f"one console for one tab, found {consoles}"

        await page.keyboard.press("2")
        await wait_for_text(page, EN("instances.empty"))

        # L moves to the lab panel (its keys show in the footer); from the panel, L hides it; L again brings it back.
        await page.keyboard.press("L")
        await wait_for_text(page, EN("lab.key.console"))
        await page.keyboard.press("L")
        await wait_for_text(page, lab_title.en, present=False)
        await page.keyboard.press("L")
        await wait_for_text(page, lab_title.en)

        await page.keyboard.press("Control+l")
        korean = await wait_for_text(page, KO("nav.dashboard"))
        assert lab_title.ko in korean and KO("instances.empty") in korean

        await page.close()
        await poll(lambda: not any(alive(pid) for pid in consoles), "the closed tab's console to end")
    assert web.process.returncode == 0, "".join(web.log)


async def test_a_tab_whose_console_refuses_to_start_says_why(tmp_path) -> None:
    """A console that exits before its first frame (here an unknown lab; a state file in use by another tab or
    terminal likewise) leaves its message in the tab, then the tab shows that the console ended."""
    server = ConsoleServer(["--state", str(tmp_path / "state.json"), "--lang", "ko", "lab", "no-such-lab"], "ko")
    await server.start(0)
    try:
        async with chromium() as browser:
            page = await open_console(browser, server.url)
            shown = await wait_for_text(page, KO("web.refused.title"))
            assert "'no-such-lab' does not exist" in shown and KO("web.refused.hint")[:20] in shown
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#ended", state="visible", timeout=90_000)
            assert KO("web.ended") in await page.inner_text("#ended")
            assert await screen_text(page)  # the last frame stays under the banner
    finally:
        await server.stop()
