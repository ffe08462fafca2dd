"""Cloud events keep arriving while Textual takes widgets down (a language switch, the console's exit).

Textual removes a node's children before it stops the node's own workers, so a page's event follower
can wake up with its table already gone. Seen once in CI at the end of a walkthrough: a health check
event arrived while the app closed, and the run failed on `NoMatches('#table')`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mock_cloud import Event
from tests.support.learner import lab_app
from tests.support.tui import SIZE, demo_app, page, shown
from tui.app import LblabApp


def _app(tmp_path: Path, with_lab: bool) -> LblabApp:
    """The console on its Load Balancers page; with the alb-basics lab beside it (its panel ticks every second)."""
    app = lab_app(tmp_path, lab_id="alb-basics") if with_lab else demo_app()
    app.first_page = "load_balancers"
    return app


async def _storm(app: LblabApp, sent: list[bool]) -> None:
    """Publish a load balancer event on every turn of the loop, noting whether the app was running."""
    while True:
        app.cloud.events.publish(Event("lb.state", "demo-alb"))
        sent.append(app.is_running)
        await asyncio.sleep(0)


WITH_LAB = pytest.mark.parametrize("with_lab", [False, True], ids=["console", "with-lab"])


@WITH_LAB
async def test_events_during_a_language_switch_reach_only_the_new_page(tmp_path: Path, with_lab: bool) -> None:
    app = _app(tmp_path, with_lab)
    sent: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        storm = asyncio.create_task(_storm(app, sent))
        await app.action_toggle_language()
        storm.cancel()
        await pilot.pause()
        assert len(sent) > 10
        assert shown(page(app).query_one("#page-title")).startswith("로드 밸런서")


@WITH_LAB
async def test_events_while_the_console_closes_reach_no_removed_page(tmp_path: Path, with_lab: bool) -> None:
    app = _app(tmp_path, with_lab)
    sent: list[bool] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        storm = asyncio.create_task(_storm(app, sent))
    # run_test has shut the app down with the storm going on, and raised anything a worker raised.
    storm.cancel()
    assert sent.count(False) > 10  # events published while it closed
