"""The console frame: header, navigation, the current page, footer; cloud events fan out to pages."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import ContentSwitcher, OptionList

from mock_cloud import Event
from tui.screens.lab_hooks import WorkScreen
from tui.screens.page import BasePage, Page, ViewState
from tui.tasks import follow_events
from tui.typed_app import app_of
from tui.widgets.footer import ConsoleFooter
from tui.widgets.header import ConsoleHeader
from tui.widgets.lab_panel import LabPanel
from tui.widgets.nav import NAV_ITEMS, Navigation

PageFactory = Callable[[ViewState], BasePage]

# Each page's module is imported when the learner first opens it, so the console starts with the dashboard's only.
PAGES = {
    "dashboard": ("tui.screens.dashboard", "DashboardPage"),
    "instances": ("tui.screens.ec2.instances", "InstancesPage"),
    "security_groups": ("tui.screens.ec2.security_groups", "SecurityGroupsPage"),
    "target_groups": ("tui.screens.elb.target_groups", "TargetGroupsPage"),
    "load_balancers": ("tui.screens.elb.load_balancers", "LoadBalancersPage"),
    "certificates": ("tui.screens.elb.certificates", "CertificatesPage"),
}


# Seconds after the first page is shown before the others are built: past the start-up's own work (the first
# frame written out, the AWS API started, a lab's first checks), which they would only delay.
READY_AFTER = 1.0


def page_factory(page_id: str) -> PageFactory:
    module_name, class_name = PAGES[page_id]
    return getattr(importlib.import_module(module_name), class_name)


class ConsoleScreen(WorkScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back", show=False),
        *(Binding(str(n), f"show_page('{item.page_id}')", item.label_key, show=False)
          for n, item in enumerate(NAV_ITEMS, start=1)),
    ]

    def __init__(self, first_page: str = "dashboard", ready_pages: bool = False) -> None:
        """`ready_pages`: after the first frame, mount every page hidden, so that none is built on its
        first visit (the `lblab` command; tests leave it off and build only the pages they open)."""
        super().__init__()
        self.page_id = first_page
        self.history: list[str] = []
        self.views: dict[str, ViewState] = {}
        self.ready_pages = ready_pages
        self._readying = False
        self._mounting = asyncio.Lock()  # one page mounted at a time: the learner's or the next hidden one

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        with Horizontal(id="body"):
            yield Navigation()
            yield ContentSwitcher(id="main")
            yield LabPanel()
        yield ConsoleFooter(compact=True)

    def on_mount(self) -> None:
        follow_events(self, (), self._cloud_changed)
        # State colours are baked into the table cells: redraw them in the new theme's colours.
        self.watch(self.app, "theme", self._theme_changed, init=False)

    async def composed(self) -> None:
        await self.show_page(self.page_id, remember=False)
        if self.ready_pages and not self._readying:
            self._readying = True
            self.set_timer(READY_AFTER, lambda: self.run_worker(self._ready_pages(), group="ready-pages"))

    async def recompose(self) -> None:
        async with self._mounting:  # no page is half-mounted into the switcher this replaces
            await super().recompose()

    async def _ready_pages(self) -> None:
        # Until every page is there: a language switch meanwhile composes the console anew, without them.
        while missing := [page_id for page_id in PAGES if not self._has_page(page_id)]:
            async with self._mounting:
                await self._page(missing[0], current=False)
            await asyncio.sleep(0)  # keys typed meanwhile come first
        self._readying = False
        # Then the screen the learner opens first, kept built (hidden) until its key.
        from tui.screens.ec2.launch_wizard import ready_launch_wizard

        await ready_launch_wizard(self.app)

    def _has_page(self, page_id: str) -> bool:
        return any(page.id == f"page-{page_id}" for page in self._pages())

    def _theme_changed(self) -> None:
        for page in self._pages():
            page.stale = True
        if self.current_page is not None:
            self.current_page.refresh_page()

    def _pages(self) -> list[BasePage]:
        return list(self.query_one("#main", ContentSwitcher).query_children(BasePage))

    def select(self, page_id: str, key: str) -> None:
        """Have `page_id` select the resource `key` when it is shown next."""
        self.views.setdefault(page_id, ViewState()).selected = key
        for page in self._pages():
            if page.id == f"page-{page_id}":
                page.stale = True

    @property
    def current_page(self) -> BasePage | None:
        switcher = self.query_one("#main", ContentSwitcher)
        return switcher.visible_content if isinstance(switcher.visible_content, BasePage) else None

    async def show_page(self, page_id: str, remember: bool = True) -> None:
        if page_id == "browser":
            app_of(self).open_browser()
            return
        if remember and page_id != self.page_id:
            self.history.append(self.page_id)
        self.page_id = page_id
        async with self._mounting:
            page, mounted = await self._page(page_id, current=True)
        if not mounted:
            self.query_one("#main", ContentSwitcher).current = page.id
            if page.stale:  # hidden, it only noted the events that concern it: it catches up now
                page.stale = False
                page.refresh_page()
        self._arrived(page_id, page)

    async def _page(self, page_id: str, current: bool) -> tuple[BasePage, bool]:
        """The page `page_id`, and whether it was mounted just now (shown if `current`, else hidden)."""
        switcher = self.query_one("#main", ContentSwitcher)
        widget_id = f"page-{page_id}"
        try:
            return switcher.get_child_by_id(widget_id, BasePage), False
        except NoMatches:
            pass
        page = page_factory(page_id)(self.views.setdefault(page_id, ViewState()))
        page.id = widget_id
        await switcher.add_content(page, set_current=current)
        return page, True

    def _arrived(self, page_id: str, page: BasePage) -> None:
        t = app_of(self).t
        title = t(page.title_key)
        self.query_one(ConsoleHeader).set_location(title if title.startswith("EC2") else f"EC2 › {title}")
        self.query_one(Navigation).mark(page_id)
        if isinstance(page, Page):
            # After the page's first frame: moving the focus restyles both tables and draws the new one again
            # (a third of that frame's CPU). Keys typed meanwhile wait for it (tui/typeahead.py).
            self.call_after_refresh(page.table.focus)
        elif self.focused is None or not self.focused.is_attached:
            self.query_one(Navigation).focus()

    async def action_show_page(self, page_id: str) -> None:
        await self.show_page(page_id)

    async def action_back(self) -> None:
        if self.history:
            await self.show_page(self.history.pop(), remember=False)

    @on(OptionList.OptionSelected, "#nav")
    async def _nav_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.show_page(event.option.id)

    @on(BasePage.Navigate)
    async def _navigate(self, event: BasePage.Navigate) -> None:
        await self.show_page(event.page_id)

    def _cloud_changed(self, batch: list[Event]) -> None:
        kinds = {event.kind for event in batch}
        current = self.current_page
        for page in self._pages():
            if not page.wants(kinds) or not page.is_mounted:  # one being mounted reads the cloud once it is
                continue
            if page is current:
                page.refresh_page()
            else:
                page.stale = True
