"""What the learner reads and where the keys go (issue 12): Korean drawn whole under toasts, toasts clear of
the lab panel, the panel last in the Tab order, its irreversible keys asked first, states readable without
colour."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static
from textual.widgets._footer import FooterKey
from textual.widgets._markdown import MarkdownFence
from textual.widgets._toast import Toast

from mock_cloud.scenarios import healthy_lab, populate
from tests.support.learner import Learner, lab_app, steady_texts
from tests.support.tui import SIZE, app_with_edge, choose, click, elb_app, select_row, shown, tick, type_text, wait_for
from tui.app import LblabApp
from tui.screens.browser import BrowserScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.ec2.launch_wizard import LaunchWizardScreen
from tui.screens.elb.lb_wizard import CreateLoadBalancerScreen
from tui.screens.elb.listeners import RulesPage
from tui.screens.elb.rule_editor import RuleEditorScreen
from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen
from tui.widgets.footer import ConsoleFooter
from tui.widgets.html_text import html_to_text, is_html
from tui.widgets.lab_panel import LabPanel, code_items
from tui.widgets.toggles import CHECK_GLYPHS, RADIO_GLYPHS

WIDE = (160, 45)


@pytest.fixture(autouse=True)
def steady() -> Iterator[None]:
    with steady_texts():
        yield


def drawn(app: LblabApp, widget: Widget) -> str:
    """What the terminal gets in `widget`'s cells, line by line, blanks squeezed out."""
    x, y, width, height = widget.region
    strips = app.screen._compositor.render_strips()[y:y + height]
    return "".join(squeezed(segment.text) for strip in strips for segment in strip.crop(x, x + width))


def squeezed(text: str) -> str:
    return "".join(text.split())


async def notified(pilot: Pilot[int], message: str, title: str) -> None:
    pilot.app.notify(message, title=title)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


# -- toasts ----------------------------------------------------------------------------------------------


KOREAN_TOAST = "보안 그룹(sg-0a1b2c3d4e5f60718)이 생성되었습니다. 애플리케이션 로드 밸런서 대상 그룹 인스턴스"


async def test_a_korean_toast_over_the_lab_panel_keeps_every_character(tmp_path: Path) -> None:
    """Textual cut a toast's line at the edges of the widgets under it and a wide character on a cut became
    two spaces (`보안   룹`, the title `성공` as `성`)."""
    app = lab_app(tmp_path, "ko", "alb-basics")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await Learner(pilot).start()
        await notified(pilot, KOREAN_TOAST, "성공")
        [toast] = app.screen.query(Toast)
        assert drawn(app, toast).replace("▌", "") == "성공" + squeezed(KOREAN_TOAST)  # ▌: its left edge


class Terminal:
    """Cells as a terminal keeps them: what the console writes (cursor moves and text) lands on them."""

    MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
    ESCAPES = re.compile(r"(\x1b\[[0-9;]*[A-Za-z])")

    def __init__(self, width: int, height: int) -> None:
        self.cells = [[" "] * width for _ in range(height)]

    def write(self, output: str) -> None:
        x = y = 0
        for part in self.ESCAPES.split(output):
            if move := self.MOVE.fullmatch(part):
                y, x = int(move[1]) - 1, int(move[2]) - 1
            elif not part.startswith("\x1b"):
                for char in part.replace("\n", ""):
                    self.cells[y][x] = char
                    if cell_len(char) == 2:
                        self.cells[y][x + 1] = ""  # the right half of a wide character
                    x += cell_len(char)

    def text(self, widget: Widget) -> str:
        x, y, width, height = widget.region
        return "".join(squeezed("".join(row[x:x + width])) for row in self.cells[y:y + height])


async def test_a_korean_toast_stays_whole_when_the_panel_under_it_is_drawn_again(tmp_path: Path) -> None:
    """The lab panel redraws every second (the time spent): each partial update must write the toast whole."""
    app = lab_app(tmp_path, "ko", "alb-basics")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await Learner(pilot).start()
        await notified(pilot, KOREAN_TOAST, "성공")
        compositor, console = app.screen._compositor, app.console
        terminal = Terminal(*WIDE)
        terminal.write(compositor.render_update(full=True).render_segments(console))
        partial = 0
        for widget in (*app.screen.query_one(LabPanel).query("*"), app.screen.query_one(LabPanel)):
            if not widget.region:
                continue
            compositor._dirty_regions.add(widget.region)  # what a repaint of the widget marks
            update = compositor.render_update()
            if isinstance(update, ChopsUpdate):
                partial += 1
                terminal.write(update.render_segments(console))
        [toast] = app.screen.query(Toast)
        assert partial
        assert terminal.text(toast).replace("▌", "") == "성공" + squeezed(KOREAN_TOAST)


async def test_toasts_stay_left_of_the_lab_panel(tmp_path: Path) -> None:
    app = lab_app(tmp_path, "en", "alb-basics")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        learner = Learner(pilot)
        await learner.start()
        for number in range(3):  # three at once, as after creating a load balancer
            await notified(pilot, f"Notification {number} that is long enough to wrap over two lines", "Success")
        panel = learner.panel
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 3 and all(toast.region.right <= panel.region.x for toast in toasts)
        panel_x = panel.region.x
        await learner.press("L")
        await learner.press("L")  # the panel hidden: the toasts take the right edge again
        await pilot.pause()
        assert not panel.display and all(toast.region.right > panel_x for toast in app.screen.query(Toast))


# -- the lab panel's keys -------------------------------------------------------------------------------------


@asynccontextmanager
async def learner_at(tmp_path: Path, lang: str) -> AsyncIterator[Learner]:
    """A learner at the console at 160×45, the ALB lab open beside it."""
    app = lab_app(tmp_path, lang, "alb-basics")
    async with app.run_test(size=WIDE) as pilot:
        learner = Learner(pilot)
        await learner.start()
        yield learner


async def open_wizard(learner: Learner, keys: tuple[str, ...], screen: type[Widget]) -> None:
    await learner.press(*keys)
    await learner.wait(lambda: isinstance(learner.app.screen, screen))
    await learner.idle()


@pytest.mark.parametrize(("keys", "screen"), [(("2", "l"), LaunchWizardScreen),
                                              (("5", "c"), CreateTargetGroupScreen),
                                              (("4", "c", "enter"), CreateLoadBalancerScreen)])
async def test_tab_reaches_a_wizards_buttons_before_the_lab_panel(keys: tuple[str, ...], screen: type[Widget],
                                                                   tmp_path: Path) -> None:
    async with learner_at(tmp_path, "en") as learner:
        app = learner.app
        await open_wizard(learner, keys, screen)
        chain = app.screen.focus_chain
        in_panel = [learner.panel in widget.ancestors for widget in chain]
        assert any(in_panel) and in_panel.index(True) == len(chain) - in_panel.count(True)  # the panel is last
        assert {"cancel"} <= {widget.id for widget in chain[:in_panel.index(True)]}


@pytest.mark.parametrize(("key", "asked"), [("s", "solve"), ("r", "reset_step"), ("R", "reset_lab")])
async def test_the_panels_keys_that_change_the_work_ask_first(key: str, asked: str, tmp_path: Path) -> None:
    async with learner_at(tmp_path, "ko") as learner:
        app, pilot = learner.app, learner.pilot
        await learner.request("hint")
        learner.panel.focus_panel()  # where a Tab too many used to get
        await pilot.pause()
        assert learner.panel.has_focus_within
        await learner.press(key)
        assert isinstance(app.screen, ConfirmScreen)
        await learner.press("escape")
        await learner.idle()
        assert learner.lab.solved is None and learner.session.hints_shown  # nothing done
        if asked == "solve":
            assert str(learner.panel.query_one("#lab-solve", Button).label) == "대신 해 주기"


# -- state without colour -------------------------------------------------------------------------------------


def test_state_glyphs_are_one_cell_wide_in_every_terminal() -> None:
    """Ambiguous-width glyphs (☐ ☑ ○ ●) take two cells in an East Asian terminal and shift the row."""
    glyphs = "".join(CHECK_GLYPHS + RADIO_GLYPHS)
    assert all(unicodedata.east_asian_width(char) in ("Na", "N", "H") for char in glyphs)
    assert len(set(CHECK_GLYPHS)) == len(set(RADIO_GLYPHS)) == 2


async def shown_at(pilot: Pilot[int], selector: str) -> str:
    widget = pilot.app.screen.query_one(selector)
    widget.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    return drawn(pilot.app, widget)  # type: ignore[arg-type]


async def test_ticked_and_unticked_read_apart_without_colour(tmp_path: Path) -> None:
    async with learner_at(tmp_path, "en") as learner:
        pilot = learner.pilot
        await open_wizard(learner, ("2", "l"), LaunchWizardScreen)
        assert (await shown_at(pilot, "#allow_ssh")).startswith("[x]")
        assert (await shown_at(pilot, "#allow_http")).startswith("[]")  # blanks squeezed out
        assert (await shown_at(pilot, "#firewall-create")).startswith("(*)")
        assert (await shown_at(pilot, "#firewall-existing")).startswith("()")
        await learner.press("escape")
        await open_wizard(learner, ("4", "c", "enter"), CreateLoadBalancerScreen)
        assert (await shown_at(pilot, "#security_groups")).startswith("[x]default")


# -- the Browser -----------------------------------------------------------------------------------------------


async def test_the_browser_draws_the_seed_page_and_shows_its_source_on_a_key() -> None:
    app = app_with_edge()
    async with app.run_test(size=SIZE) as pilot:
        await populate(app.cloud)
        await pilot.press("2")
        instance = app.cloud.ec2.instance(await select_row(pilot, "server-2"))
        await pilot.press("b")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: browser.result is not None)
        heading = f"Hello World from {instance.private_dns_name}"
        body = browser.query_one("#body", Static)
        assert shown(body).strip() == heading and "<h1>" not in shown(body)  # the page, as a browser shows it
        assert isinstance(body.content, Text) and "bold" in str(body.content.spans[0].style)  # a heading
        await pilot.press("v")
        assert f"<h1>{heading}</h1>" in shown(body)  # its source
        await pilot.press("v")
        assert "<h1>" not in shown(body)


def test_html_reads_as_in_a_text_browser() -> None:
    page = html_to_text(
        "<html><head><title>Test</title><script>alert(1)</script></head><body><h2>It works!</h2>"
        "<p>A  <a href='/docs'>manual</a>\n and more.</p><ul><li>one</li><li>two</li></ul>"
        "<ol><li>first</li></ol><pre>  kept\n    as is</pre></body></html>").plain
    assert page.split("\n") == ["Test", "", "It works!", "", "A manual[1] and more.", "", "• one", "• two", "",
                                "1. first", "", "  kept", "    as is", "", "Links:", "[1] /docs"]
    assert not is_html("application/json", "<html>") and is_html("text/html; charset=UTF-8", "")


# -- words and small refusals -----------------------------------------------------------------------------------


async def test_a_refused_paste_into_the_instance_count_says_why(tmp_path: Path) -> None:
    async with learner_at(tmp_path, "en") as learner:
        app = learner.app
        await open_wizard(learner, ("2", "l"), LaunchWizardScreen)
        await learner.replace("#count", " 2\n")  # blanks around a pasted number are dropped
        assert app.screen.query_one("#count", Input).value == "2"
        await learner.paste("two")
        assert app.screen.query_one("#count", Input).value == "2"
        assert {n.message for n in app._notifications} == {"Not taken: this field takes a whole number of up to 2 "
                                                            "digits."}


async def test_the_launch_summary_names_the_chosen_groups(tmp_path: Path) -> None:
    async with learner_at(tmp_path, "en") as learner:
        app, pilot = learner.app, learner.pilot
        await open_wizard(learner, ("2", "l"), LaunchWizardScreen)
        await learner.click("#firewall-existing")
        summary = app.screen.query_one("#summary-text", Static)
        assert "none selected (the VPC's default group is used)" in shown(summary)
        await tick(pilot, "#existing_groups", ["default"])
        assert "Firewall (security group) default Storage" in shown(summary) and "sg-" not in shown(summary)


async def test_the_rule_editor_speaks_as_the_console(tmp_path: Path) -> None:
    app = elb_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await healthy_lab(app.cloud)
        await pilot.press("4", "m")
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.query(RulesPage))
        await pilot.press("a")
        editor = app.screen
        assert isinstance(editor, RuleEditorScreen)
        await click(pilot, ".condition-values")
        await type_text(pilot, "/old/*")
        await choose(pilot, "#action_type", "Redirect to URL")
        codes = editor.query_one("#redirect_code", Select)
        assert [str(label) for label, _ in codes._options] == ["301 - Permanently moved", "302 - Found"]
        editor.query_one("#redirect_path", Input).value = "/new/#{path}"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not editor)
        assert any(n.message == "Rule saved: priority 1 on listener HTTP:80" for n in app._notifications)


async def test_the_panel_never_breaks_a_command_and_y_copies_each_whole(tmp_path: Path) -> None:
    async with learner_at(tmp_path, "en") as learner:
        app, pilot = learner.app, learner.pilot
        items = code_items(learner.panel._instructions or "")
        script = next(item for item in items if item.startswith("#!/bin/bash"))
        fence = learner.panel.query_one(MarkdownFence)
        longest = max(cell_len(line) for line in script.splitlines())
        assert fence.query_one(Label).size.width >= longest  # scrolls sideways, not wrapped mid-argument
        learner.panel.focus_panel()
        await pilot.pause()
        for item in items:
            await learner.press("y")
            assert app.clipboard == item
        await learner.press("y")  # round again
        assert app.clipboard == items[0]


async def test_help_language_and_lab_keys_lead_the_footer(tmp_path: Path) -> None:
    app = lab_app(tmp_path, "en", "alb-basics")
    async with app.run_test(size=(120, 35)) as pilot:
        await Learner(pilot).start()
        await pilot.press("2")
        await pilot.pause()
        shown_keys = [active.binding.key for active in app.screen.active_bindings.values() if active.binding.show]
        assert shown_keys[:3] == ["question_mark", "ctrl+l", "L"]


async def test_the_footer_keeps_its_keys_in_place_when_a_field_takes_the_focus(tmp_path: Path) -> None:
    """In a field, `?` and `L` type themselves: the footer shows them dimmed where they were instead of dropping
    them and moving every other key."""
    async with learner_at(tmp_path, "en") as learner:
        app = learner.app
        await open_wizard(learner, ("2", "l"), LaunchWizardScreen)

        def footer() -> list[tuple[str, bool]]:
            keys = app.screen.query_one(ConsoleFooter).query_children(FooterKey)
            return [(key.key, key._disabled) for key in keys if key.display]

        assert isinstance(app.focused, Input)  # the Name field
        await learner.wait(lambda: footer()[:3] == [("question_mark", True), ("ctrl+l", False), ("L", True)])
        typing = footer()
        await learner.press("tab")  # to the image's drop-down, which types nothing
        assert isinstance(app.focused, Select)
        await learner.wait(lambda: footer()[0] == ("question_mark", False))
        assert [key for key, _ in footer()] == [key for key, _ in typing]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("size", [(120, 35), (160, 45)], ids=["120x35", "160x45"])
async def test_the_summarys_buttons_read_whole_beside_the_lab_panel(size: tuple[int, int], lang: str,
                                                                   tmp_path: Path) -> None:
    """The summary column is 34-44 columns wide: "Launch instance" was cut to "Launch i" at 120x35."""
    app = lab_app(tmp_path, lang, "alb-basics")
    async with app.run_test(size=size) as pilot:
        learner = Learner(pilot)
        await learner.start()
        await open_wizard(learner, ("2", "l"), LaunchWizardScreen)
        row = app.screen.query_one("#wizard-summary .form-buttons")
        for button in row.query(Button):
            assert button.region.width >= cell_len(str(button.label)) + 2  # the label and its two spaces
            assert row.region.contains_region(button.region), str(button.label)
