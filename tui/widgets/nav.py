"""The console's left navigation: sections and pages, as in the EC2 console's side menu."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.typed_app import app_of


@dataclass(frozen=True)
class NavItem:
    page_id: str  # a console page, or "browser" (a screen)
    label_key: str
    section_key: str | None = None  # the heading printed above this item, if it starts a section


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("dashboard", "nav.dashboard"),
    NavItem("instances", "nav.instances", "nav.section.instances"),
    NavItem("security_groups", "nav.security_groups", "nav.section.network"),
    NavItem("load_balancers", "nav.load_balancers", "nav.section.load_balancing"),
    NavItem("target_groups", "nav.target_groups"),
    NavItem("certificates", "nav.certificates"),
    NavItem("browser", "nav.browser", "nav.section.tools"),
)


class Navigation(OptionList):
    def __init__(self) -> None:
        super().__init__(id="nav")

    def on_mount(self) -> None:
        t = app_of(self).t
        indent = ""
        for item in NAV_ITEMS:
            if item.section_key:
                self.add_option(Option(Text(t(item.section_key), style="bold"), disabled=True))
                indent = "  "  # pages under a section heading
            self.add_option(Option(Text(indent + t(item.label_key)), id=item.page_id))

    def mark(self, page_id: str) -> None:
        """Highlight the page shown. Only the two lines that change are drawn again: setting `highlighted`
        redraws every line of the list (the console's full height), a sixth of a page switch's frame."""
        old, new = self.highlighted, self.get_option_index(page_id)
        if old == new:
            return
        self.set_reactive(OptionList.highlighted, new)
        lines = self._index_to_line
        if not lines:  # not drawn yet: its first frame draws every line anyway
            self.refresh()
            return
        for index in (old, new):
            if index is not None:
                self.refresh_lines(lines[index], self._heights[index])
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if not top <= lines[new] < top + height:
            self.scroll_to_highlight()
