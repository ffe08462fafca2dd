"""What a console page is: the contract every page in the main area follows.

A page lives in the console's main area, between the navigation on the left and the footer.
The console creates it when the learner first opens it (`PageClass(view)`), keeps it while
the console runs, tells it about cloud events, and composes it anew after a language switch
(so everything it shows must come from `self.t(...)` in `compose`/`refresh_page`, and what
the learner set lives in `self.view`, not only in widgets).

Two kinds:

`BasePage` — anything in the main area (the EC2 Dashboard, a "coming soon" panel).
    TITLE_KEY: ClassVar[str]              i18n key of the page title (also the nav label).
    EVENT_KINDS: ClassVar[tuple[str, ...]] cloud event kind prefixes that change what the page
                                          shows, e.g. ("lb.", "target_group.", "target.health").
    compose() -> ComposeResult            the widgets; read strings with `self.t(key, **values)`.
    refresh_page() -> None                re-read the cloud (`self.cloud`) and update widgets.
                                          Called once composed (also after a language switch),
                                          on every burst of matching events while shown, and
                                          when shown again if such events came while it was
                                          hidden (pages stay mounted). Must be cheap and never
                                          await the cloud: mutations go through
                                          `self.call_cloud(...)` (a worker).
    Screens a page opens (wizards, editors) subclass `Localized, Screen` (tui/localize.py): BINDINGS
    descriptions are i18n keys, and `composed()` re-applies live state after a recompose.

`Page(BasePage)` — a resource page: heading with action buttons, `/` filter, a resource table
(keyed rows updated in place, cursor kept, `>`/`<` or a header click to sort) and detail tabs
for the selected row. A subclass declares:
    COLUMNS: ClassVar[tuple[Column, ...]]     Column(key, label_key, width=None), in display order
                                              (width cuts long free text, e.g. descriptions).
    ACTIONS: ClassVar[tuple[PageAction, ...]] buttons + footer keys + command palette entries:
        PageAction(name, key, label_key, needs_selection=True, confirm_key=None, variant="default",
                   short_key=None)   (short_key: a shorter label for the button and the footer)
        Pressing the key or button runs `perform_<name>(key)` (key = the selected row's key, or
        None when needs_selection is False). With `confirm_key`, the learner first confirms in a
        dialog titled `t(label_key)` asking `t(confirm_key, name=self.describe(key))`.
    DETAIL_TABS: ClassVar[tuple[str, ...]]    i18n keys of the tabs under the table.
    FILTER_KEY / EMPTY_KEY: ClassVar[str]     i18n keys of the filter placeholder and the
                                              "nothing here yet" text.
and implements:
    rows() -> Iterable[Row]               Row(key=resource id, cells=tuple of rich Text, one
                                          per column); use `plain(value)` and
                                          `state_text(self.app, state, label)` for cells.
    detail(tab: str, key: str) -> RenderableType   the content of detail tab `tab` (one of
                                          DETAIL_TABS) for the resource `key`.
    describe(key: str) -> str             how a confirmation names the resource ("i-0ab… (web-1)").
    can(action: str, key: str | None) -> bool      whether an action applies to the selection
                                          (disabled buttons and greyed-out footer keys otherwise).
    perform_<name>(key) -> None           the action. Cloud calls:
                                          `self.call_cloud(lambda: self.cloud.elbv2.delete_…(arn),
                                          done_key="…")` shows `t(done_key, id=key)` on success
                                          and `Code: message` on a CloudError.
Useful from a page: `self.app.open_browser(url)` (the Browser screen),
`self.app.push_screen(SomeScreen(...))` for wizards, `self.t`, `self.cloud`, `self.selected_key`.

Example (the ELB engineer's `tui/screens/elb/target_groups.py` follows this shape):

    class TargetGroupsPage(Page):
        TITLE_KEY = "nav.target_groups"
        EVENT_KINDS = ("target_group.", "target.health", "lb.")
        COLUMNS = (Column("name", "tg.col.name"), Column("arn", "tg.col.arn"), ...)
        ACTIONS = (PageAction("create", "c", "tg.action.create", needs_selection=False, variant="primary"),
                   PageAction("delete", "delete", "tg.action.delete", confirm_key="tg.confirm.delete"))
        DETAIL_TABS = ("tg.tab.details", "tg.tab.targets", "tg.tab.health_checks")
        FILTER_KEY, EMPTY_KEY = "tg.filter", "tg.empty"

        def rows(self): ...
        def detail(self, tab, key): ...
        def describe(self, key): ...
        def perform_create(self, key): self.app.push_screen(CreateTargetGroupScreen())
        def perform_delete(self, key): self.call_cloud(lambda: self.cloud.elbv2.delete_target_group(key),
                                                       done_key="tg.deleted")

Strings go in `phrasebook/elb.yaml` (`key: {en: ..., ko: ...}`); the console loads every
`phrasebook/*.yaml`, and a key defined in two files stops it at start-up (LocaleError), so
prefix new keys with the page's own namespace (`tg.`, `lb.`, `elb.`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Label, Static, TabbedContent, TabPane

from mock_cloud import CloudError
from tui.localize import Localized
from tui.screens.confirm import ConfirmScreen
from tui.tasks import run_cloud
from tui.typed_app import app_of
from tui.widgets.live_text import show
from tui.widgets.resource_table import Column, ResourceTable, Row, ViewState
from tui.widgets.text_input import TextInput

if TYPE_CHECKING:
    from mock_cloud import Cloud
    from tui.i18n import Translator

__all__ = ["BasePage", "Column", "Page", "PageAction", "Row", "ViewState"]


@dataclass(frozen=True)
class PageAction:
    name: str  # runs `perform_<name>`; also the button's id (`action-<name>`)
    key: str  # the keyboard key, shown in the footer
    label_key: str  # i18n key of the full label (command palette, confirmation title)
    needs_selection: bool = True
    confirm_key: str | None = None  # destructive: the confirmation question's i18n key
    variant: str = "default"  # the button's look: "primary" for a page's main action
    short_key: str | None = None  # i18n key of the button and footer label, if shorter than label_key
    in_footer: bool = True  # False keeps a less common action to its button and the command palette

    @property
    def button_key(self) -> str:
        return self.short_key or self.label_key


class BasePage(Localized, Vertical):
    TITLE_KEY: ClassVar[str] = ""
    EVENT_KINDS: ClassVar[tuple[str, ...]] = ()

    class Navigate(Message):
        """Ask the console to show another page (by its navigation id, e.g. "instances")."""

        def __init__(self, page_id: str) -> None:
            super().__init__()
            self.page_id = page_id

    def __init__(self, view: ViewState | None = None) -> None:
        super().__init__(classes="page")
        self.view = view or ViewState()
        # Whether cloud events that concern the page came while it was hidden (the console keeps this).
        self.stale = False

    @property
    def title_key(self) -> str:
        return self.TITLE_KEY

    @property
    def t(self) -> Translator:
        return app_of(self).t

    @property
    def cloud(self) -> Cloud:
        return app_of(self).cloud

    async def composed(self) -> None:
        self.refresh_page()

    def refresh_page(self) -> None:
        """Re-read the cloud and update what is shown."""

    def go(self, page_id: str) -> None:
        self.post_message(self.Navigate(page_id))

    def wants(self, kinds: set[str]) -> bool:
        return any(kind.startswith(prefix) for kind in kinds for prefix in self.EVENT_KINDS)

    def call_cloud(
        self,
        call: Callable[[], Awaitable[Any]],
        done_key: str | None = None,
        on_error: Callable[[CloudError], Any] | None = None,
        **values: object,
    ) -> None:
        """Run a cloud call in a worker; say `t(done_key, **values)` when it succeeds."""

        def done(_: object) -> None:
            if done_key:
                self.notify(self.t(done_key, **values), title=self.t("notify.success"))

        run_cloud(self, call, done, on_error)


class Page(BasePage):
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    ACTIONS: ClassVar[tuple[PageAction, ...]] = ()
    DETAIL_TABS: ClassVar[tuple[str, ...]] = ()
    FILTER_KEY: ClassVar[str] = "page.filter"
    EMPTY_KEY: ClassVar[str] = "page.empty"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "key.filter"),
        Binding("greater_than_sign", "next_sort", "key.sort", show=False),
        Binding("less_than_sign", "reverse_sort", "key.reverse_sort", show=False),
        Binding("r", "refresh_page", "key.refresh", show=False),
        # Escape clears a filter first; with none, it falls through to the console's "back".
        Binding("escape", "clear_filter", "key.clear_filter", show=False),
    ]

    def __init__(self, view: ViewState | None = None) -> None:
        super().__init__(view)
        self._allowed_now: frozenset[str] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Each declared action becomes a key binding (footer, help screen) that runs it.
        if "ACTIONS" in cls.__dict__:
            own = list(cls.__dict__.get("BINDINGS", []))
            cls.BINDINGS = own + [Binding(a.key, f"run('{a.name}')", a.button_key, show=a.in_footer)
                                  for a in cls.ACTIONS]
        super().__init_subclass__(**kwargs)

    # -- what a subclass provides --------------------------------------------------
    def rows(self) -> Iterable[Row]:
        return ()

    def detail(self, tab: str, key: str) -> RenderableType:
        return ""

    def describe(self, key: str) -> str:
        return key

    def can(self, action: str, key: str | None) -> bool:
        return True

    # -- composition -----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = self.t
        with Horizontal(classes="page-head"):
            yield Label(t(self.title_key), classes="page-title", id="page-title")
            yield TextInput(self.view.filter, placeholder=t(self.FILTER_KEY), id="filter", compact=True,
                            classes="page-filter")
        with Horizontal(classes="page-actions"):
            yield Button("↻", id="action-refresh", compact=True, tooltip=t("key.refresh"))
            for action in self.ACTIONS:
                yield Button(t(action.button_key), id=f"action-{action.name}", compact=True,
                             variant=action.variant, tooltip=t(action.label_key))  # type: ignore[arg-type]
        yield ResourceTable(self.COLUMNS, self.view, id="table")
        yield Static(id="empty", classes="page-empty")
        with TabbedContent(id="details", initial=self.view.tab or ""):
            for tab in self.DETAIL_TABS:
                with TabPane(t(tab), id=_tab_id(tab)), VerticalScroll(classes="detail-scroll"):
                    yield Static(id=f"detail-{_tab_id(tab)}", classes="detail")

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#table", ResourceTable)

    @property
    def selected_key(self) -> str | None:
        return self.table.selected_key

    # -- refreshing ----------------------------------------------------------------------
    def refresh_page(self) -> None:
        table = self.table
        table.show(self.rows())
        total = len(table._rows)
        show(self.query_one("#page-title", Label), f"{self.t(self.title_key)} ({total})")
        empty = self.query_one("#empty", Static)
        empty.display = table.row_count == 0
        show(empty, self.t("page.no_match" if total else self.EMPTY_KEY))
        self._refresh_selection()

    def _refresh_selection(self) -> None:
        key = self.selected_key
        allowed = frozenset(action.name for action in self.ACTIONS if self._allowed(action, key))
        if allowed != self._allowed_now:
            # Only when something changed: the footer rebuilds itself on every refresh_bindings.
            self._allowed_now = allowed
            for action in self.ACTIONS:
                self.query_one(f"#action-{action.name}", Button).disabled = action.name not in allowed
            self.refresh_bindings()
        self._refresh_detail(key)

    def _refresh_detail(self, key: str | None) -> None:
        if not self.DETAIL_TABS:
            return
        tabs = self.query_one("#details", TabbedContent)
        tab = next((tab for tab in self.DETAIL_TABS if _tab_id(tab) == tabs.active), self.DETAIL_TABS[0])
        content: RenderableType = Text(self.t("page.select_row"), style="dim")
        if key is not None:
            content = self.detail(tab, key)
        self.query_one(f"#detail-{_tab_id(tab)}", Static).update(content)

    def _allowed(self, action: PageAction, key: str | None) -> bool:
        if action.needs_selection and key is None:
            return False
        return self.can(action.name, key)

    # -- actions ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run" and parameters:
            found = self._action(str(parameters[0]))
            return None if found is None or not self._allowed(found, self.selected_key) else True
        if action == "clear_filter":
            filter_input = self.query_one("#filter", TextInput)
            return filter_input.has_focus or bool(filter_input.value)
        return True

    def _action(self, name: str) -> PageAction | None:
        return next((a for a in self.ACTIONS if a.name == name), None)

    def action_run(self, name: str) -> None:
        action = self._action(name)
        key = self.selected_key
        if action is None or not self._allowed(action, key):
            self.app.bell()
            return
        perform: Callable[[str | None], None] = getattr(self, f"perform_{name}")
        if action.confirm_key is None:
            perform(key if action.needs_selection else None)
            return
        assert key is not None
        dialog = ConfirmScreen(action.label_key, action.confirm_key, action.label_key, name=self.describe(key))
        self.app.push_screen(dialog, lambda yes: perform(key) if yes else None)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", TextInput).focus()

    def action_next_sort(self) -> None:
        self.table.next_sort()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()

    def action_refresh_page(self) -> None:
        self.refresh_page()

    # -- events from the widgets ---------------------------------------------------------------
    @on(Button.Pressed, ".page-actions Button")
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("action-")
        if name == "refresh":
            self.refresh_page()
        else:
            self.action_run(name)

    @on(TextInput.Changed, "#filter")
    def _filter(self, event: TextInput.Changed) -> None:
        self.table.set_filter(event.value)
        self.refresh_page()

    @on(TextInput.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", TextInput).value = ""
        self.table.focus()

    @on(DataTable.RowHighlighted, "#table")
    def _highlighted(self) -> None:
        self._refresh_selection()

    @on(TabbedContent.TabActivated, "#details")
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        self.view.tab = event.pane.id
        self._refresh_detail(self.selected_key)


def _tab_id(tab_key: str) -> str:
    """A widget id for a tab's i18n key: "tab.user_data" -> "tab-user-data"."""
    return re.sub(r"[^a-z0-9]+", "-", tab_key.lower())
