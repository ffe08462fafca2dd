"""A console drop-down menu ("Instance state ▾", "Actions ▾"): a button that opens a list of items under it.

Like the AWS console's menus, a menu groups items under sub-group headings (Actions › Instance settings ›
Change instance type) and greys out what does not apply to the selection. It is walked by keys only: the
button opens it (Enter, a click, or the page's key for it), Up/Down move over the items that apply, Enter
chooses, Escape closes. The menu does nothing itself: it posts `ActionMenu.Chosen` and the page acts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Click
from textual.geometry import Region
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList
from textual.widgets.option_list import Option

INDENT = "  "


@dataclass(frozen=True)
class MenuItem:
    label: str  # already in the learner's language
    name: str | None = None  # what `Chosen` carries; None for a sub-group's heading, which is never chosen
    enabled: bool = True
    depth: int = 0  # 1 for an item under a heading

    @property
    def prompt(self) -> Content:
        """The item's line; a heading in bold and in the text's own colour, not the grey of an item that does
        not apply (both are options nobody can choose)."""
        if self.name is None:
            return Content.styled(self.label, "bold $foreground")
        return Content(INDENT * self.depth + self.label)


class ActionMenu(Button):
    """The menu's button; `items` says what the menu holds at the moment it opens (the selection may have
    changed since the last time)."""

    class Chosen(Message):
        def __init__(self, menu: ActionMenu, name: str) -> None:
            super().__init__()
            self.menu = menu
            self.name = name

        @property
        def control(self) -> ActionMenu:
            return self.menu

    def __init__(self, label: str, items: Callable[[], Sequence[MenuItem]], *, id: str) -> None:
        super().__init__(f"{label} ▾", id=id, compact=True)
        self._items = items

    def press(self) -> ActionMenu:
        """Open the menu under the button (instead of posting Button.Pressed)."""
        if self.disabled or not self.display:
            return self

        def chosen(name: str | None) -> None:
            if name is not None:
                self.post_message(self.Chosen(self, name))

        self.app.push_screen(MenuPopup(list(self._items()), self.region), chosen)
        return self


class MenuPopup(ModalScreen[str | None]):
    """The open menu, drawn over the page under its button; the rest of the screen stays as it was."""

    DEFAULT_CSS = """
    MenuPopup > OptionList {
        width: auto;
        height: auto;
        max-height: 100%;
        border: round $primary;
        padding: 0 1 0 0;
        background: $surface;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", show=False)]

    def __init__(self, items: list[MenuItem], under: Region) -> None:
        super().__init__()
        self.items = items
        self.under = under

    def compose(self) -> ComposeResult:
        yield OptionList(*(Option(item.prompt, id=item.name, disabled=item.name is None or not item.enabled)
                           for item in self.items))

    def on_mount(self) -> None:
        # Inline: the app's stylesheet centres every modal screen (dialogs) and outranks DEFAULT_CSS.
        self.styles.align = ("left", "top")
        self.styles.background = "transparent"
        menu = self.query_one(OptionList)
        longest = max((cell_len(INDENT * item.depth + item.label) for item in self.items), default=0)
        width = longest + 4  # the borders, the padding and a spare cell
        height = len(self.items) + 2
        screen = self.size
        # Under the button, kept on the screen: a menu near the right edge opens leftwards, as in a browser.
        x = max(0, min(self.under.x, screen.width - width))
        y = max(0, min(self.under.bottom, screen.height - height))
        menu.styles.width = width
        menu.styles.offset = (x, y)
        menu.highlighted = next((i for i, item in enumerate(self.items) if item.name and item.enabled), None)
        menu.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_click(self, event: Click) -> None:
        if event.widget is self:  # a click beside the menu closes it, as in a browser
            self.dismiss(None)
