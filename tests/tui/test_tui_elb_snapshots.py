"""SVG snapshots of the ELB pages, wizards and tools; Korean too for the target group list and the
load balancer's details.

Over `mock_cloud.scenarios.populate`'s cloud (seeded, paused clock, no internet edge) plus the seed lab's demo-tg and
DemoALB, active and healthy (mock_cloud/scenarios.py: populate_elb). Nothing real-time reaches a picture:
no listener's local port is shown, certificate dates and request traces are fixed.
Update after an intended change with `pytest tests/tui/test_tui_elb_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from mock_cloud.scenarios import populate_elb
from tests.support.elb_screens import add_maintenance_rule, fixed_dates, sample_traces
from tests.support.tui import choose, click, demo_app
from tests.tui.test_tui_snapshots import scenario

SIZE = (140, 42)
Step = Callable[[Pilot[int]], Awaitable[None]]


def elb_scenario(keys: Iterable[str] = (), then: Step | None = None, balancer: bool = True) -> Step:
    """`scenario`, with the seed lab's demo-tg and DemoALB added to the demo cloud (`balancer`)."""
    async def with_balancer(pilot: Pilot[int]) -> None:
        await populate_elb(pilot.app.cloud)  # type: ignore[attr-defined]

    return scenario(keys, then, prepare=with_balancer if balancer else None)


def click_tab(tab: str) -> Step:
    async def then(pilot: Pilot[int]) -> None:
        await pilot.click(f"#--content-tab-{tab}")

    return then


# -- target groups ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_target_groups(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SIZE, run_before=elb_scenario(["5"]))


def test_target_group_targets_tab(snap_compare) -> None:
    async def stopped(pilot: Pilot[int]) -> None:
        cloud = pilot.app.cloud  # type: ignore[attr-defined]
        server = next(i for i in cloud.ec2.describe_instances() if i.name == "server-1")
        await cloud.ec2.stop_instances([server.instance_id])
        await pilot.click("#--content-tab-tg-tab-targets")

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=elb_scenario(["5"], stopped))


def test_create_target_group_details(snap_compare) -> None:
    async def named(pilot: Pilot[int]) -> None:
        pilot.app.screen.query_one("#tg_name", Input).value = "demo-tg"

    assert snap_compare(demo_app("en"), terminal_size=SIZE,
                        run_before=elb_scenario(["5", "c"], named, balancer=False))


def test_create_target_group_register_targets(snap_compare) -> None:
    async def pending(pilot: Pilot[int]) -> None:
        pilot.app.screen.query_one("#tg_name", Input).value = "demo-tg"
        await pilot.click("#next")
        await pilot.press("space", "down", "space")
        await pilot.click("#include")

    assert snap_compare(demo_app("en"), terminal_size=SIZE,
                        run_before=elb_scenario(["5", "c"], pending, balancer=False))


# -- load balancers ---------------------------------------------------------------------------------------


def test_create_load_balancer(snap_compare) -> None:
    async def filled(pilot: Pilot[int]) -> None:
        screen = pilot.app.screen
        screen.query_one("#lb_name", Input).value = "DemoALB"
        for box in screen.query(".zone"):
            box.value = True  # type: ignore[attr-defined]
        await pilot.pause()
        screen.query_one("#zones-hint").scroll_visible(animate=False, top=True)

    assert snap_compare(demo_app("en"), terminal_size=SIZE,
                        run_before=elb_scenario(["4", "c", "enter"], filled, balancer=False))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_load_balancer_details(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SIZE, run_before=elb_scenario(["4"]))


def test_listeners_and_rules(snap_compare) -> None:
    async def rule(pilot: Pilot[int]) -> None:
        cloud = pilot.app.cloud  # type: ignore[attr-defined]
        await add_maintenance_rule(cloud, cloud.elbv2.describe_load_balancers()[0])
        await pilot.press("4")
        await pilot.click("#--content-tab-lb-tab-listeners")

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=elb_scenario(then=rule))


def test_rule_editor(snap_compare) -> None:
    """Add rule with two kinds of condition: an HTTP header (its name field shown) and a source IP."""
    async def editing(pilot: Pilot[int]) -> None:
        await pilot.press("4", "m", "m")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#priority", Input).value = "5"
        await choose(pilot, ".condition-field", "HTTP header")
        screen.query_one(".condition-header", Input).value = "X-Maintenance"
        screen.query_one(".condition-values", Input).value = "on"
        await click(pilot, ".condition-add")
        await choose(pilot, screen.query(".condition-field").last(Select), "Source IP")
        screen.query(".condition-values").last(Input).value = "203.0.113.0/24"

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=elb_scenario(then=editing))


def test_resource_map(snap_compare) -> None:
    async def rule(pilot: Pilot[int]) -> None:
        cloud = pilot.app.cloud  # type: ignore[attr-defined]
        await add_maintenance_rule(cloud, cloud.elbv2.describe_load_balancers()[0])
        await pilot.press("4")
        await pilot.click("#--content-tab-lb-tab-resource-map")

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=elb_scenario(then=rule))


def test_request_trace(snap_compare) -> None:
    async def traced(pilot: Pilot[int]) -> None:
        cloud = pilot.app.cloud  # type: ignore[attr-defined]
        traces = sample_traces(cloud, cloud.elbv2.describe_load_balancers()[0])
        cloud.elbv2.traces = lambda limit=50, load_balancer_arn=None: traces
        await pilot.press("4", "T")

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=elb_scenario(then=traced))


# -- certificates ------------------------------------------------------------------------------------------


def test_certificates(snap_compare, tmp_path) -> None:
    async def issued(pilot: Pilot[int]) -> None:
        cloud = pilot.app.cloud  # type: ignore[attr-defined]
        cloud.ctx.data_dir = tmp_path
        await cloud.elbv2.request_certificate("www.example.com", ["example.com"])
        fixed_dates(cloud)
        await pilot.press("6")

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=elb_scenario(then=issued))
