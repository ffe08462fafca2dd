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
        self.highlighted = self.get_option_index(page_id)
