"""`lblab web` in a real browser: Debian's headless Chromium drives the console served on 127.0.0.1 (one browser
session for the file's tests on one worker, to keep it to a few seconds)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from labs import load_lab
from tests.support.processes import alive, children_of
from tests.support.web import (
    CHROMIUM,
    aws,
    chromium,
    click_text,
    console_api_url,
    lblab_web,
    open_console,
    poll,
    wait_for_text,
)
from tui.i18n import Translator
from tui.web.server import ConsoleServer

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.asyncio(loop_scope="module"),
    # Two console starts and a dozen screens in a real browser: under a loaded machine that is minutes, not seconds.
    pytest.mark.timeout(400),
]

EN, KO = Translator("en"), Translator("ko")
LAB = "alb-basics"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as session:
        yield session


def create_load_balancer(api_url: str) -> str:
    subnets = [subnet["SubnetId"] for subnet in aws("ec2", api_url).describe_subnets()["Subnets"]][:2]
    created = aws("elbv2", api_url).create_load_balancer(Name="DemoALB", Subnets=subnets)
    return created["LoadBalancers"][0]["DNSName"]


async def clipboard_holds(page: Page, text: str) -> bool:
    return await page.evaluate("navigator.clipboard.readText()") == text


@pytest.mark.long
async def test_the_console_in_a_browser_tab(browser: Browser, tmp_path) -> None:
    lab_title = load_lab(LAB).title
    async with lblab_web("--state", str(tmp_path / "state.json"), "--seed", "1", "--lang", "en",
                         "--lab", LAB) as web:
        page = await open_console(browser, web.url)
        # The lab panel beside the dashboard (it opens just after the console's first frame).
        first = await wait_for_text(page, lab_title.en)
        assert EN("nav.dashboard") in first
        consoles = children_of(web.process.pid)
        assert len(consoles) == 1, f"one console for one tab, found {consoles}"

        # A second tab on the same saved cloud does not start a second cloud: it says which console holds it.
        second = await open_console(browser, web.url)
        refused = await wait_for_text(second, EN("web.refused.title"))
        assert str(next(iter(consoles))) in refused, refused
        await second.close()
        await poll(lambda: children_of(web.process.pid) == consoles, "the refused tab's console to end")

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

        await click_text(page, KO("nav.security_groups"))
        await wait_for_text(page, KO("sg.inbound_rules"))

        # Copy DNS puts a load balancer's DNS name on the browser's clipboard.
        dns_name = await asyncio.to_thread(create_load_balancer, await console_api_url(page))
        await page.keyboard.press("4")
        await wait_for_text(page, dns_name)
        await page.keyboard.press("y")
        await poll(lambda: clipboard_holds(page, dns_name), "the DNS name on the clipboard")
        await page.keyboard.press("7")
        await wait_for_text(page, KO("browser.title"))

        await page.close()
        await poll(lambda: not any(alive(pid) for pid in consoles), "the closed tab's console to end")

        # A new tab, a new console; quitting it ends it, and the tab says so.
        page = await open_console(browser, web.url)
        await wait_for_text(page, EN("nav.dashboard"))
        console = children_of(web.process.pid)
        await page.keyboard.press("Control+q")
        await page.wait_for_selector("#ended", state="visible", timeout=90_000)
        assert EN("web.ended") in await page.inner_text("#ended")
        await poll(lambda: not any(alive(pid) for pid in console), "the quit console to end")
    assert web.process.returncode == 0, "".join(web.log)


async def test_a_tab_whose_console_refuses_to_start_says_why(browser: Browser, tmp_path) -> None:
    """A console that exits before its first frame (here an unknown lab; a state file in use by another tab or
    terminal likewise) leaves its message in the tab, then the tab shows that the console ended."""
    server = ConsoleServer(["--state", str(tmp_path / "state.json"), "--lang", "ko", "lab", "no-such-lab"], "ko")
    await server.start(0)
    try:
        page = await open_console(browser, server.url)
        shown = await wait_for_text(page, KO("web.refused.title"))
        assert "'no-such-lab' does not exist" in shown and KO("web.refused.hint")[:20] in shown
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#ended", state="visible", timeout=90_000)
        assert KO("web.ended") in await page.inner_text("#ended")
        await page.close()
    finally:
        await server.stop()
