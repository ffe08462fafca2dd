"""Issue 12, the load balancer pages and the header at the learners' sizes: the seven detail tabs all in sight
beside the lab panel, the listeners' Default SSL/TLS certificate column whole, the API address in the
header at 120 columns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from mock_cloud.elbv2.listener_rules import Action
from mock_cloud.scenarios import demo_config
from tests.support.learner import Learner, steady_texts
from tests.tui.test_tui_sizes import SIZES, at, keys, lab_demo_app, lines
from tui.app import LblabApp
from tui.screens.elb.listeners import ListenersPage

API = "http://127.0.0.1:4566"


@pytest.fixture(autouse=True)
def steady() -> Iterator[None]:
    with steady_texts():
        yield


async def https_listener(pilot: Pilot[int]) -> None:
    """DemoALB gets an HTTPS:443 listener with a certificate for its DNS name."""
    elbv2 = pilot.app.cloud.elbv2  # type: ignore[attr-defined]
    [balancer] = elbv2.describe_load_balancers()
    [group] = elbv2.target_groups.values()
    certificate = await elbv2.request_certificate(balancer.dns_name.lower())
    await elbv2.create_listener(balancer.arn, "HTTPS", 443, [Action("forward", target_group_arn=group.arn)],
                                certificates=[certificate])


@pytest.mark.parametrize("size", SIZES, ids=["160x45", "120x35"])
async def test_every_load_balancer_tab_is_in_sight(size: tuple[int, int]) -> None:
    app = lab_demo_app()
    async with app.run_test(size=size) as pilot:
        await at(pilot, lambda pilot: keys(pilot, "4"))
        shown = lines(app)
        assert all(tab in shown for tab in ("Details", "Listeners", "Network", "Resource map", "Security",
                                            "Monitoring", "Attributes"))


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_the_listeners_certificate_column_is_whole_beside_the_panel(lang: str) -> None:
    app = LblabApp(demo_config(), lang=lang, lab_id="alb-basics")
    async with app.run_test(size=(160, 45)) as pilot:
        async def listeners(pilot: Pilot[int]) -> None:
            await https_listener(pilot)
            await keys(pilot, "4", "m")
        learner = await at(pilot, listeners)
        assert learner.panel.display and app.screen.query(ListenersPage)
        shown = lines(app)
        heading = app.t("listener.col.certificate")
        assert heading in shown and "ELBSecurityPolicy-" in shown
        [https] = [line for line in shown.splitlines() if "HTTPS:443" in line]
        assert "…" in https.split("ELBSecurityPolicy-")[1]  # the certificate's ID follows the policy


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_the_header_keeps_the_api_address_at_120_columns(lang: str) -> None:
    app = LblabApp(demo_config(), lang=lang, lab_id="alb-basics")
    async with app.run_test(size=(120, 35)) as pilot:
        await Learner(pilot).start()
        app.api_url = API
        app.clock_version += 1  # the header shows the API's address
        await pilot.pause()
        header = lines(app).splitlines()[:2]
        assert header[1].rstrip().endswith("AWS API 127.0.0.1:4566")
