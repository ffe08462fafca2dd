"""SVG snapshots of every EC2 page and wizard, in English and Korean for the main pages.

The app runs over `mock_cloud.scenarios.populate`'s cloud: seeded (42), paused clock, no internet edge (the header
says "edge off", so no ephemeral port is ever drawn) and the same resources every run.
Update after an intended change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from mock_cloud.cloud import FetchResult
from mock_cloud.scenarios import SEED_USER_DATA as LAB_USER_DATA
from mock_cloud.scenarios import populate
from tests.support.tui import demo_app, settle, wait_for
from tui.screens.browser import BrowserScreen

SIZE = (140, 42)
Step = Callable[[Pilot[int]], Awaitable[None]]


def scenario(keys: Iterable[str] = (), then: Step | None = None, populated: bool = True,
             prepare: Step | None = None) -> Step:
    """The demo cloud (`populated`), then `prepare`, the keys and `then`, and a settled screen."""
    async def run_before(pilot: Pilot[int]) -> None:
        if populated:
            await populate(pilot.app.cloud)  # type: ignore[attr-defined]
        if prepare is not None:
            await prepare(pilot)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        if then is not None:
            await then(pilot)
        await settle(pilot)

    return run_before


def fake_fetch(app: object) -> Callable[..., Awaitable[FetchResult]]:
    """No internet edge in snapshots: a request gets the page the instance would serve, at a fixed 3 ms."""
    cloud = app.cloud  # type: ignore[attr-defined]

    async def fetch(url: str, **_: object) -> FetchResult:
        host = url.split("/")[2]
        instance = cloud.ec2.instance_by_public_address(host)
        body = instance.os.fs.read_bytes("/var/www/html/index.html")
        headers = {"Server": "Apache/2.4.62 ()", "Content-Type": "text/html; charset=UTF-8",
                   "Content-Length": str(len(body))}
        return FetchResult(200, headers, body, elapsed=0.003)

    return fetch


# -- the main pages, both languages ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_dashboard(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SIZE, run_before=scenario())


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_instances(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SIZE, run_before=scenario(["2"]))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_security_groups(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SIZE, run_before=scenario(["3", "down", "down"]))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_launch_wizard(snap_compare, lang: str) -> None:
    assert snap_compare(demo_app(lang), terminal_size=SIZE, run_before=scenario(["2", "l"]))


# -- detail tabs, wizards and tools -----------------------------------------------------------------


def click_tab(tab: str) -> Step:
    async def then(pilot: Pilot[int]) -> None:
        await pilot.click(f"#--content-tab-{tab}")

    return then


def test_instance_security_tab(snap_compare) -> None:
    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=scenario(["2"], click_tab("tab-security")))


def test_instance_user_data_tab_ko(snap_compare) -> None:
    assert snap_compare(demo_app("ko"), terminal_size=SIZE, run_before=scenario(["2"], click_tab("tab-user-data")))


def test_launch_wizard_with_user_data(snap_compare) -> None:
    async def fill(pilot: Pilot[int]) -> None:
        screen = pilot.app.screen
        screen.query_one("#name", Input).value = "server-3"
        screen.query_one("#advanced CollapsibleTitle").focus()
        await pilot.press("enter")  # opens Advanced details
        screen.query_one("#user_data").focus()
        await pilot.pause()
        pilot.app.post_message(events.Paste(LAB_USER_DATA))
        await wait_for(pilot, lambda: screen.form.user_data == LAB_USER_DATA)  # type: ignore[attr-defined]
        screen.query_one("#advanced").scroll_visible(animate=False, top=True)

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=scenario(["2", "l"], fill))


def test_create_security_group(snap_compare) -> None:
    async def fill(pilot: Pilot[int]) -> None:
        screen = pilot.app.screen
        screen.query_one("#name", Input).value = "demo-sg-load-balancer"
        screen.query_one("#description", Input).value = "SG for ALB"
        await pilot.click("#inbound .rule-add")
        await pilot.pause()
        await pilot.press("enter", *["down"] * 7, "enter")  # HTTP
        await pilot.press("tab", "enter", "down", "enter")  # Anywhere-IPv4
        pilot.app.screen.query_one("#sg-form").scroll_home(animate=False)

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=scenario(["3", "c"], fill))


def test_confirm_stop_ko(snap_compare) -> None:
    assert snap_compare(demo_app("ko"), terminal_size=SIZE, run_before=scenario(["2", "x"]))


def test_connect(snap_compare) -> None:
    async def commands(pilot: Pilot[int]) -> None:
        command = pilot.app.screen.query_one("#command", Input)
        for line in ("hostname -f", "cat /var/www/html/index.html", "sudo systemctl is-active httpd"):
            command.value = line
            await pilot.press("enter")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: not screen.busy)  # type: ignore[attr-defined]  # the guest ran them

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=scenario(["2", "c"], commands))


def test_system_log(snap_compare) -> None:
    # Caught while cloud-init is still starting: the lines it writes later carry the host's
    # wall-clock time until the cloud gives InstanceOS its clock, which no snapshot can hold.
    async def booting(pilot: Pilot[int]) -> None:
        cloud = pilot.app.cloud  # type: ignore[attr-defined]
        await cloud.ec2.run_instances(name="server-1", user_data=LAB_USER_DATA)
        await cloud.clock.advance(12)
        await pilot.press("2", "g")

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=scenario(then=booting, populated=False))


def test_browser_send_requests(snap_compare) -> None:
    async def browse(pilot: Pilot[int]) -> None:
        pilot.app.cloud.fetch = fake_fetch(pilot.app)  # type: ignore[attr-defined]
        await pilot.press("2", "b")
        browser = pilot.app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: browser.result is not None and not browser.fetching)
        await pilot.press("h", "n")
        await wait_for(pilot, lambda: len(browser.tally.hosts) == browser.tally.wanted)

    assert snap_compare(demo_app("en"), terminal_size=SIZE, run_before=scenario(then=browse))


def test_help_ko(snap_compare) -> None:
    assert snap_compare(demo_app("ko"), terminal_size=SIZE, run_before=scenario(["2", "question_mark"]))
