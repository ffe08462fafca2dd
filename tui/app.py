"""The lblab console app: owns the cloud for its lifetime, the language, the clock controls and
the command palette; the screens do the rest."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.screen import Screen

from mock_cloud import Cloud, CloudConfig
from tui import compositor
from tui.i18n import Translator
from tui.localize import Localized, localize_bindings
from tui.ports import port_is_free
from tui.screens.console import ConsoleScreen
from tui.screens.lab_hooks import start_labs, stop_labs
from tui.screens.page import Page
from tui.typeahead import KeyRouter
from tui.widgets.header import SCALES
from tui.widgets.nav import NAV_ITEMS

if TYPE_CHECKING:
    from mock_cloud import ApiServer

compositor.install()  # Korean under toasts, tooltips and menus drawn whole (tui/compositor.py)

# What the "step" control moves a paused clock by, in cloud seconds: enough to see a state
# change (an instance boots in 10 s) without skipping past it.
STEP_SECONDS = 5.0


class LblabApp(App[int]):
    # Every screen's styles, read at start: a screen bringing its own stylesheet made Textual parse all of them
    # again and restyle every widget of the console when it first opened (~40 ms at the first ELB screen).
    CSS_PATH: ClassVar[list[str | PurePath]] = ["styles/app.tcss", "styles/elb.tcss", "styles/lab_picker.tcss"]
    TITLE = "lblab"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "key.quit", priority=True),
        # Declared here (Textual would add it itself) so that its description is translated too.
        Binding("ctrl+p", "command_palette", "key.palette", show=False, priority=True),
        Binding("question_mark", "help", "key.help"),
        Binding("ctrl+l", "toggle_language", "key.language"),
        Binding("t", "cycle_scale", "key.clock", show=False),
        Binding("full_stop", "step_clock", "key.step", show=False),
    ]
    # Bumped whenever the header's clock should be redrawn (a tick, a scale change, a step).
    clock_version = reactive(0, init=False)
    # The AWS API endpoint's URL, once the console serves one; the header keeps a slot for it.
    api_url: str | None = None

    def __init__(self, config: CloudConfig, lang: str = "en", lab_id: str | None = None,
                 first_page: str = "dashboard", api_port: int | None = None, ready_pages: bool = False,
                 draw_first: bool = False) -> None:
        """`api_port`: serve the AWS API while the console runs (the `lblab` command asks for
        4566; tests leave it off so that nothing on screen depends on a port). `ready_pages`: build
        every page after the first frame, hidden, then the launch wizard (see ConsoleScreen).
        `draw_first`: the console's first frame reaches the terminal before the cloud resumes and the
        lab opens (the `lblab` command); without it they are done when the app has started, as a test's
        pilot expects."""
        super().__init__()
        self.cloud = Cloud(config)
        self.t = Translator(lang)
        self.lab_id = lab_id
        self.first_page = first_page
        self.api_port = api_port
        self.ready_pages = ready_pages
        self.draw_first = draw_first
        self.api: ApiServer | None = None
        self.keys = KeyRouter(self, super().on_event)

    async def on_event(self, event: events.Event) -> None:
        # Keys and pastes from the terminal go through the type-ahead router (tui/typeahead.py); the
        # keys it forwards come back here, bubbling up from the widgets, and take Textual's way.
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            await self.keys.route(event)
        else:
            await super().on_event(event)

    async def on_mount(self) -> None:
        localize_bindings(self, self.t)
        notices = self._claim_edge_port()
        await self.cloud.open()  # enough to draw the cloud as it was saved
        self.cloud.clock.on_change(self._clock_changed)
        self.set_interval(1.0, self._tick)
        for notice in notices + ([self.cloud.restore_error] if self.cloud.restore_error else []):
            self.notify(notice, severity="warning", timeout=15)
        await self.push_screen(ConsoleScreen(self.first_page, self.ready_pages))
        if self.draw_first:
            # Textual writes no frame until on_mount has returned: the cloud's guests (an OS process each,
            # which would take the CPU from that frame), the lab (its engine, its Markdown) and the API
            # come after the first one.
            self.call_after_refresh(lambda: self.run_worker(self._finish_start(), group="start", exclusive=True))
        else:
            await self._finish_start()

    async def _finish_start(self) -> None:
        await self.cloud.resume()
        await start_labs(self, self.lab_id)  # after resume: the lab's checks probe what it serves
        if self.api_port is not None:
            # After the first frame: importing and starting aiohttp's server takes ~0.2 s.
            self.call_after_refresh(self._serve_api, self.api_port)

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        # Textual restyles a node (and its subtree) whenever a class of it changes, also before it is in the
        # DOM: a Button sets its variant's classes in its constructor. Mounting styles it anyway, so until
        # then the work is thrown away (~430 restyles in the keys-only alb-basics walk, ~3 % of its CPU).
        if node is self or node._parent is not None:
            super().update_styles(node, animate)

    async def on_unmount(self) -> None:
        await self.keys.close()
        await stop_labs(self)
        if self.api is not None:
            await self.api.stop()
        await self.cloud.close()

    # -- endpoints ----------------------------------------------------------------------------
    def _claim_edge_port(self) -> list[str]:
        """A console must start even when another lblab holds the usual port: take a free one."""
        config = self.cloud.config
        if not config.edge_port or port_is_free(config.edge_host, config.edge_port):
            return []
        busy, config.edge_port = config.edge_port, 0
        return [self.t("notice.port_busy", what=self.t("notice.edge"), port=busy)]

    async def _serve_api(self, port: int) -> None:
        for notice in await self._start_api(port):
            self.notify(notice, severity="warning", timeout=15)
        self.clock_version += 1  # the header shows the API's URL

    async def _start_api(self, port: int) -> list[str]:
        from mock_cloud import ApiServer

        notices = []
        if port and not port_is_free("127.0.0.1", port):
            notices.append(self.t("notice.port_busy", what="AWS API", port=port))
            port = 0
        self.api = ApiServer(self.cloud, port=port)
        await self.api.start()
        self.api_url = self.api.url
        return notices

    @property
    def edge_url(self) -> str | None:
        return self.cloud.edge_url if self.cloud.edge is not None else None

    # -- the clock ------------------------------------------------------------------------
    def _tick(self) -> None:
        if not self.cloud.clock.manual:
            self.clock_version += 1

    def _clock_changed(self) -> None:
        self.clock_version += 1

    def action_set_scale(self, scale: float) -> None:
        self.cloud.clock.set_scale(scale)

    def action_cycle_scale(self) -> None:
        scales = [scale for _, scale in SCALES]
        current = self.cloud.clock.scale
        self.action_set_scale(scales[(scales.index(current) + 1) % len(scales)] if current in scales else 0.0)

    def action_step_clock(self) -> None:
        if self.cloud.clock.manual:
            self.run_worker(self.cloud.clock.advance(STEP_SECONDS), group="clock", exclusive=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step_clock":
            return True if self.cloud.clock.manual else None
        return True

    # -- language, help, browser ----------------------------------------------------------------
    async def action_toggle_language(self) -> None:
        self.t.lang = self.t.other_lang
        localize_bindings(self, self.t)
        for screen in self.screen_stack:
            if isinstance(screen, Localized):
                await screen.relocalize()
        self.clock_version += 1

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def open_browser(self, url: str | None = None) -> None:
        """The Browser screen, optionally opening `url` at once (pages call this)."""
        from tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen(url))

    async def go_to_page(self, page_id: str) -> None:
        if page_id == "browser":
            self.open_browser()
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, ConsoleScreen):
            self.pop_screen()
        if isinstance(self.screen, ConsoleScreen):
            await self.screen.show_page(page_id)

    async def show_resource(self, page_id: str, key: str) -> None:
        """Open a page with `key`'s row selected (after a wizard created it)."""
        console = next((s for s in self.screen_stack if isinstance(s, ConsoleScreen)), None)
        if console is not None:
            console.select(page_id, key)
            await self.go_to_page(page_id)

    # -- the command palette ------------------------------------------------------------------------
    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]  # it asks for App[object]; ours is App[int]
            self.push_screen(CommandPalette(id="--command-palette", placeholder=self.t("palette.placeholder")))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        t = self.t
        for item in NAV_ITEMS:
            yield SystemCommand(t("palette.go", page=t(item.label_key)), t("palette.go_help"),
                                partial(self.go_to_page, item.page_id))
        if isinstance(screen, ConsoleScreen) and isinstance(screen.current_page, Page):
            page = screen.current_page
            for action in page.ACTIONS:
                yield SystemCommand(f"{t(page.title_key)}: {t(action.label_key)}", t("palette.action_help"),
                                    partial(page.action_run, action.name))
        for label, scale in SCALES:
            yield SystemCommand(t("palette.clock", scale=label), t("palette.clock_help"),
                                partial(self.action_set_scale, scale))
        yield SystemCommand(t("palette.step", seconds=f"{STEP_SECONDS:g}"), t("clock.step_tip"), self.action_step_clock)
        yield SystemCommand(t("palette.language"), t("palette.language_help"), self.action_toggle_language)
        yield SystemCommand(t("key.help"), t("palette.help_help"), self.action_help)
        yield SystemCommand(t("palette.theme"), t("palette.theme_help"), self.action_change_theme)
        yield SystemCommand(t("key.quit"), t("palette.quit_help"), self.exit)
