"""Regenerate the ELB screenshots in this folder (`elb-*.svg` / `.png`): the seed lab's load balancing moments.

    python screenshots/elb-make-screenshots.py

Same cloud and camera as `make_screenshots.py` (the demo cloud, its internet edge on), plus the
seed lab's demo-tg and DemoALB, active and healthy (mock_cloud/scenarios.py: populate_elb).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from make_screenshots import Moment, shoot_all  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402

from mock_cloud.scenarios import populate_elb  # noqa: E402
from tui.screens.browser import BrowserScreen  # noqa: E402


async def targets_healthy(pilot: Pilot[int]) -> None:
    await populate_elb(pilot.app.cloud)  # type: ignore[attr-defined]
    await pilot.press("5")
    await pilot.click("#--content-tab-tg-tab-targets")


async def dns_name(pilot: Pilot[int]) -> None:
    await populate_elb(pilot.app.cloud)  # type: ignore[attr-defined]
    await pilot.press("4")


async def resource_map(pilot: Pilot[int]) -> None:
    await populate_elb(pilot.app.cloud)  # type: ignore[attr-defined]
    await pilot.press("4")
    await pilot.click("#--content-tab-lb-tab-resource-map")


async def alternating_hosts(pilot: Pilot[int]) -> None:
    await populate_elb(pilot.app.cloud)  # type: ignore[attr-defined]
    await pilot.press("4", "b")
    screen = pilot.app.screen
    assert isinstance(screen, BrowserScreen)
    while screen.result is None or screen.fetching:
        await pilot.pause(0.05)
    screen.query_one("#count", Input).value = "20"
    await pilot.press("n")
    while len(screen.tally.hosts) < screen.tally.wanted:
        await pilot.pause(0.05)


MOMENTS: list[tuple[str, str, Moment]] = [
    ("elb-01-target-group-healthy-ko", "ko", targets_healthy),
    ("elb-02-load-balancer-dns-name", "en", dns_name),
    ("elb-03-resource-map", "en", resource_map),
    ("elb-04-browser-alternating-hosts", "en", alternating_hosts),
]


if __name__ == "__main__":
    asyncio.run(shoot_all(MOMENTS))
