"""Regenerate the screenshots in this folder: key EC2 moments of the seed lab, over the demo cloud.

    python screenshots/make_screenshots.py        # SVGs; PNGs too when rsvg-convert is installed

The cloud is `mock_cloud.scenarios.populate`'s (seeded, paused) with its internet edge on, so the browser shows real
answers; the edge's port therefore differs from run to run.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual import events  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402

from mock_cloud.scenarios import SEED_USER_DATA as LAB_USER_DATA  # noqa: E402
from mock_cloud.scenarios import populate  # noqa: E402
from tests.support.tui import demo_app, settle  # noqa: E402
from tui.screens.browser import BrowserScreen  # noqa: E402

SIZE = (150, 44)
Moment = Callable[[Pilot[int]], Awaitable[None]]


async def instances(pilot: Pilot[int]) -> None:
    await pilot.press("2", "down")


async def launch_wizard(pilot: Pilot[int]) -> None:
    await pilot.press("2", "l")
    screen = pilot.app.screen
    screen.query_one("#name", Input).value = "server-3"
    screen.query_one("#allow_http").value = True  # type: ignore[attr-defined]
    screen.query_one("#advanced CollapsibleTitle").focus()
    await pilot.press("enter")  # opens Advanced details
    screen.query_one("#user_data").focus()
    await pilot.pause()
    pilot.app.post_message(events.Paste(LAB_USER_DATA))
    await pilot.pause(0.2)
    screen.query_one("#advanced").scroll_visible(animate=False, top=True)


async def browser(pilot: Pilot[int]) -> None:
    await pilot.press("2", "b")
    screen = pilot.app.screen
    assert isinstance(screen, BrowserScreen)
    while screen.result is None or screen.fetching:
        await pilot.pause(0.05)
    await pilot.press("h", "n")
    while len(screen.tally.hosts) < screen.tally.wanted:
        await pilot.pause(0.05)


async def connect(pilot: Pilot[int]) -> None:
    await pilot.press("2", "c")
    command = pilot.app.screen.query_one("#command", Input)
    for line in ("sudo systemctl status httpd", "sudo systemctl stop httpd", "curl -s localhost; echo $?"):
        command.value = line
        await pilot.press("enter")
        await pilot.pause(0.2)


async def security_group(pilot: Pilot[int]) -> None:
    await pilot.press("3", "c")
    screen = pilot.app.screen
    screen.query_one("#name", Input).value = "demo-sg-load-balancer"
    screen.query_one("#description", Input).value = "SG for ALB"
    await pilot.click("#inbound .rule-add")
    await pilot.pause()
    await pilot.press("enter", *["down"] * 7, "enter", "tab", "enter", "down", "enter")


MOMENTS: list[tuple[str, str, Moment]] = [
    ("01-instances-ko", "ko", instances),
    ("02-launch-wizard-user-data", "en", launch_wizard),
    ("03-browser-hello-world", "en", browser),
    ("04-connect-systemctl-ko", "ko", connect),
    ("05-create-security-group", "en", security_group),
]


async def shoot(name: str, lang: str, moment: Moment) -> Path:
    app = demo_app(lang, edge_port=0)
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.pause()
        await moment(pilot)
        await pilot.pause(0.3)
        await settle(pilot)
        path = HERE / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"lblab — {name}"), encoding="utf-8")
        return path


def to_png(svg: Path) -> None:
    """librsvg drops leading spaces of a text run unless told to keep them."""
    converter = shutil.which("rsvg-convert")
    if converter is None:
        return
    fixed = re.sub(r"<text ", '<text xml:space="preserve" ', svg.read_text(encoding="utf-8"))
    subprocess.run([converter, "-o", str(svg.with_suffix(".png"))], input=fixed.encode(), check=True)


async def shoot_all(moments: list[tuple[str, str, Moment]]) -> None:
    for name, lang, moment in moments:
        svg = await shoot(name, lang, moment)
        to_png(svg)
        print(svg.relative_to(HERE.parent))


if __name__ == "__main__":
    asyncio.run(shoot_all(MOMENTS))
