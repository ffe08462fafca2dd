"""The console at the sizes learners use, the ALB lab open: 160×45 with the lab panel beside the work and
120×35, where the panel starts collapsed. Nothing a learner needs is cut: reason codes, names, hints, keys.

SVG snapshots over `mock_cloud.scenarios`' demo cloud with the seed lab's demo-tg and DemoALB (server-1 stopped, so
that the Targets tab has a reason code to show). Update after an intended change with
`pytest tests/tui/test_tui_sizes.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy import SnapshotAssertion
from textual.pilot import Pilot

from mock_cloud.scenarios import demo_config, populate, populate_elb
from tests.support.learner import Learner, steady_texts
from tests.support.tui import settle, wait_for
from tui.app import LblabApp
from tui.screens.console import ConsoleScreen
from tui.screens.ec2.launch_wizard import LaunchWizardScreen
from tui.screens.elb.lb_wizard import CreateLoadBalancerScreen
from tui.screens.elb.listeners import RulesPage
from tui.screens.elb.rule_editor import RuleEditorScreen

SIZES = [(160, 45), (120, 35)]
Step = Callable[[Pilot[int]], Awaitable[None]]


@pytest.fixture(autouse=True)
def steady() -> Iterator[None]:
    with steady_texts():
        yield


def lines(app: LblabApp) -> str:
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


async def keys(pilot: Pilot[int], *pressed: str) -> None:
    for key in pressed:
        await pilot.press(key)
        await pilot.pause()


async def targets(pilot: Pilot[int]) -> None:
    await keys(pilot, "5")
    await pilot.click("#--content-tab-tg-tab-targets")


async def launch_wizard(pilot: Pilot[int]) -> None:
    await keys(pilot, "2", "l")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LaunchWizardScreen))
    pilot.app.screen.query_one("#allow_http").scroll_visible(animate=False, immediate=True)


async def balancer_wizard(pilot: Pilot[int]) -> None:
    await keys(pilot, "4", "c", "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CreateLoadBalancerScreen))
    pilot.app.screen.query_one(".zone").scroll_visible(animate=False, immediate=True)


async def rule_editor(pilot: Pilot[int]) -> None:
    await keys(pilot, "4", "m", "m")
    await wait_for(pilot, lambda: bool(pilot.app.screen.query(RulesPage)))
    await keys(pilot, "a")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RuleEditorScreen))


async def at(pilot: Pilot[int], screen: Step) -> Learner:
    """The seed lab's resources built, server-1 stopped, then `screen` opened."""
    learner = Learner(pilot)
    await learner.start()
    cloud = pilot.app.cloud  # type: ignore[attr-defined]
    await populate(cloud)
    await populate_elb(cloud)
    server = next(i for i in cloud.ec2.describe_instances() if i.name == "server-1")
    await cloud.ec2.stop_instances([server.instance_id])
    await screen(pilot)
    await learner.idle()
    await settle(pilot)
    return learner


def lab_demo_app() -> LblabApp:
    return LblabApp(demo_config(), lang="en", lab_id="alb-basics")


@pytest.mark.parametrize("size", SIZES, ids=["160x45", "120x35"])
@pytest.mark.parametrize("screen", [targets, launch_wizard, balancer_wizard, rule_editor],
                         ids=["targets", "launch", "balancer", "rule"])
async def test_screens_at_learners_sizes(screen: Step, size: tuple[int, int], snapshot: SnapshotAssertion) -> None:
    app = lab_demo_app()
    async with app.run_test(size=size) as pilot:
        learner = await at(pilot, screen)
        assert learner.panel.display == (size[0] >= 140)  # narrow: collapsed, the work has the width
        assert app.export_screenshot() == snapshot.use_extension(SVGImageExtension)


@pytest.mark.parametrize("size", SIZES, ids=["160x45", "120x35"])
async def test_the_reason_code_and_names_are_never_cut(size: tuple[int, int]) -> None:
    app = lab_demo_app()
    async with app.run_test(size=size) as pilot:
        await at(pilot, targets)
        shown = lines(app)
        assert "Target.InvalidState" in shown and "Target is in the stopped state" in shown
        assert "server-1" in shown and "server-2" in shown and "ap-northeast-2a" in shown


async def test_a_narrow_console_starts_with_the_panel_collapsed_and_l_brings_it() -> None:
    app = lab_demo_app()
    async with app.run_test(size=(120, 35)) as pilot:
        learner = Learner(pilot)
        await learner.start()
        assert isinstance(app.screen, ConsoleScreen) and not learner.panel.display
        await learner.press("L")
        assert learner.panel.display and learner.panel.has_focus_within


async def test_a_security_group_rules_description_keeps_room_beside_the_panel() -> None:
    async def new_rule(pilot: Pilot[int]) -> None:
        await keys(pilot, "3", "c")
        await pilot.click("#inbound .rule-add")

    app = lab_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        learner = await at(pilot, new_rule)
        assert learner.panel.display
        descriptions = app.screen.query(".rule-description")
        assert descriptions and all(d.region.width >= 12 for d in descriptions)  # the heading reads "Description"
