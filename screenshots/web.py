"""Screenshots of `lblab web`: the console in headless Chromium, as a learner sees it in a browser tab.

    python screenshots/web.py

Needs Debian's chromium, and a font with Hangul for the Korean shots (`apt-get install fonts-noto-cjk`).
The cloud is seeded, so IDs and addresses are the same every run; the clock runs (x30), so the times differ.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import Page

from mock_cloud.scenarios import SEED_USER_DATA
from tests.support.web import aws, chromium, console_api_url, lblab_web, open_console, poll, screen_text, wait_for_text
from tui.i18n import Translator
from tui.web.server import ConsoleServer

HERE = Path(__file__).resolve().parent
EN, KO = Translator("en"), Translator("ko")
# The console's notice that the usual edge or API port was taken (by another lblab on this machine): not in the shot.
PORT_BUSY = EN("notice.port_busy").split("} ", 1)[1].split(",")[0]


async def console_shots(state: Path) -> None:
    async with lblab_web("--state", str(state), "--seed", "1", "--lang", "en", "--lab", "alb-basics") as web, \
            chromium() as browser:
        page = await open_console(browser, web.url)
        await wait_for_text(page, EN("nav.dashboard"))
        await wait_for_text(page, PORT_BUSY, present=False)
        await page.screenshot(path=HERE / "web-1-dashboard-lab.png")
        await asyncio.to_thread(launch_web_servers, await console_api_url(page))
        await page.keyboard.press("2")
        await page.keyboard.press("Control+l")
        await wait_for_text(page, KO("nav.dashboard"))
        await poll(lambda: both_running(page), "both web servers running")
        await wait_for_text(page, "web-server-2: http://")  # the lab panel's next step, with their addresses
        await page.screenshot(path=HERE / "web-2-instances-ko.png")
        await page.close()


async def both_running(page: Page) -> bool:
    return (await screen_text(page)).count(KO("state.running")) >= 2


def launch_web_servers(api_url: str) -> None:
    """The lab's first step, done through the console's own AWS API."""
    ec2 = aws("ec2", api_url)
    for name in ("web-server-1", "web-server-2"):
        ec2.run_instances(ImageId=ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"],
                          InstanceType="t2.micro", MinCount=1, MaxCount=1, UserData=SEED_USER_DATA,
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])


async def refused_shot(state: Path) -> None:
    server = ConsoleServer(["--state", str(state), "--lang", "ko", "lab", "no-such-lab"], "ko")
    await server.start(0)
    try:
        async with chromium() as browser:
            page = await open_console(browser, server.url)
            await wait_for_text(page, KO("web.refused.title"))
            await page.screenshot(path=HERE / "web-3-refused-ko.png")
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#ended", state="visible")
            await page.screenshot(path=HERE / "web-4-ended-ko.png")
    finally:
        await server.stop()


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lblab-web-shots-") as tmp:
        await console_shots(Path(tmp) / "state.json")
        await refused_shot(Path(tmp) / "other.json")


if __name__ == "__main__":
    asyncio.run(main())
