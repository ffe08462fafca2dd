"""The console frame: header, navigation, the current page, footer; cloud events fan out to pages."""

from __future__ import annotations

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
    "instances": ("tui.screens.instances", "InstancesPage"),
    "security_groups": ("tui.screens.security_groups", "SecurityGroupsPage"),
    "target_groups": ("tui.screens.target_groups", "TargetGroupsPage"),
    "load_balancers": ("tui.screens.load_balancers", "LoadBalancersPage"),
    "certificates": ("tui.screens.elb_certificates", "CertificatesPage"),
}


def page_factory(page_id: str) -> PageFactory:
    module_name, class_name = PAGES[page_id]
    return getattr(importlib.import_module(module_name), class_name)


class ConsoleScreen(WorkScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back", show=False),
        *(Binding(str(n), f"show_page('{item.page_id}')", item.label_key, show=False)
          for n, item in enumerate(NAV_ITEMS, start=1)),
    ]

    def __init__(self, first_page: str = "dashboard") -> None:
        super().__init__()
        self.page_id = first_page
        self.history: list[str] = []
        self.views: dict[str, ViewState] = {}

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
        switcher = self.query_one("#main", ContentSwitcher)
        widget_id = f"page-{page_id}"
        try:
            page: BasePage | None = switcher.get_child_by_id(widget_id, BasePage)
        except NoMatches:
            page = None
        if page is None:
            page = page_factory(page_id)(self.views.setdefault(page_id, ViewState()))
            page.id = widget_id
            await switcher.add_content(page, set_current=True)
        else:
            switcher.current = widget_id
            if page.stale:  # hidden, it only noted the events that concern it: it catches up now
                page.stale = False
                page.refresh_page()
        self._arrived(page_id, page)

    def _arrived(self, page_id: str, page: BasePage) -> None:
        t = app_of(self).t
        title = t(page.title_key)
        self.query_one(ConsoleHeader).set_location(title if title.startswith("EC2") else f"EC2 › {title}")
        self.query_one(Navigation).mark(page_id)
        if isinstance(page, Page):
            page.table.focus()
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
            if page is current and page.wants(kinds):
                page.refresh_page()
            elif page.wants(kinds):
                page.stale = True
