"""Load balancer › Listeners and rules (add / edit / delete listeners) and a listener's Manage rules
(add / edit / delete / reprioritise rules).

Both are console pages in their own screen: the same table, buttons, keys and detail tabs as
every resource page, over the balancer's listeners or the listener's rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from mock_cloud import LISTENER_QUOTA_NOTE, LOCAL_PORT_NOTE, Event, Listener, LoadBalancer, Rule
from tui.format import plain
from tui.screens.lab_hooks import WorkScreen
from tui.screens.page import Column, Page, PageAction, Row, ViewState
from tui.tasks import follow_events
from tui.typed_app import app_of
from tui.widgets.details import field_grid, note
from tui.widgets.elb_format import (
    actions_text,
    arn_field,
    arn_id,
    arn_tail,
    cloud_note,
    conditions_text,
    listener_name,
    listener_rules_table,
)
from tui.widgets.header import ConsoleHeader


class ListenersPage(Page):
    TITLE_KEY = "lb.listeners_and_rules"
    EVENT_KINDS = ("lb.", "listener.", "rule.", "target_group.", "certificate.")
    FILTER_KEY = "listener.filter"
    EMPTY_KEY = "lb.no_listeners"
    COLUMNS = (
        Column("listener", "listener.col.listener"),
        # Narrow enough that the certificate column fits beside the lab panel at 160 columns; the whole action
        # and certificate ARN are in the Details tab.
        Column("default_action", "listener.col.default_action", width=22),
        Column("rules", "listener.col.rules"),
        Column("policy", "listener.col.policy"),
        Column("certificate", "listener.col.certificate"),
    )
    ACTIONS = (
        PageAction("add", "a", "listener.add", needs_selection=False, variant="primary"),
        PageAction("edit", "e", "listener.edit"),
        PageAction("rules", "m", "listener.manage_rules"),
        PageAction("delete", "delete", "listener.delete", confirm_key="listener.confirm_delete",
                   short_key="short.delete"),
    )
    DETAIL_TABS = ("listener.tab.rules", "listener.tab.details")

    def __init__(self, load_balancer_arn: str, view: ViewState | None = None) -> None:
        super().__init__(view)
        self.load_balancer_arn = load_balancer_arn
        # A listener added later joins the table in port order, not at its end.
        self.view.sort_column = self.view.sort_column or "listener"

    def listener(self, key: str | None) -> Listener | None:
        return self.cloud.elbv2.listeners.get(key or "")

    def rows(self) -> Iterable[Row]:
        elbv2 = self.cloud.elbv2
        if self.load_balancer_arn not in elbv2.load_balancers:
            return
        for listener in elbv2.describe_listeners(self.load_balancer_arn):
            yield Row(listener.arn, (
                plain(listener_name(listener)),
                plain(actions_text(self.t, listener.default_actions, elbv2.target_groups)),
                plain(len(listener.rules)),
                plain(listener.ssl_policy),
                plain(_short_id(listener.certificates[0]) if listener.certificates else None),
            ))

    def describe(self, key: str) -> str:
        listener = self.listener(key)
        return listener_name(listener) if listener else key

    def perform_add(self, key: str | None) -> None:
        from tui.screens.elb.listener_editor import ListenerEditorScreen

        lb = self.cloud.elbv2.load_balancers.get(self.load_balancer_arn)
        if lb is not None:
            self.app.push_screen(ListenerEditorScreen.add(lb))

    def perform_edit(self, key: str | None) -> None:
        from tui.screens.elb.listener_editor import ListenerEditorScreen

        listener = self.listener(key)
        lb = self.cloud.elbv2.load_balancers.get(self.load_balancer_arn)
        if listener is not None and lb is not None:
            self.app.push_screen(ListenerEditorScreen.edit(lb, listener))

    def perform_rules(self, key: str | None) -> None:
        listener = self.listener(key)
        if listener is not None:
            self.app.push_screen(PageScreen(lambda view: RulesPage(listener.arn, view), listener_name(listener),
                                            "listener.manage_rules"))

    def perform_delete(self, key: str | None) -> None:
        listener = self.listener(key)
        if listener is not None:
            self.call_cloud(lambda: self.cloud.elbv2.delete_listener(listener.arn), "listener.deleted",
                            name=listener_name(listener))

    def detail(self, tab: str, key: str) -> RenderableType:
        listener = self.listener(key)
        if listener is None:
            return ""
        t = self.t
        if tab == "listener.tab.rules":
            return Group(listener_rules_table(t, listener.rules, self.cloud.elbv2.target_groups), Text(""),
                         note(t("listener.rules_hint")))
        local = str(listener.local_port) if listener.local_port else t("listener.not_serving")
        return Group(arn_field(t("listener.arn"), listener.arn), field_grid([
            (t("listener.col.listener"), listener_name(listener)),
            (t("listener.col.policy"), listener.ssl_policy),
            (t("listener.col.certificate"), "\n".join(listener.certificates)),
            (t("listener.local_port"), local),
        ], columns=2), cloud_note(t, LOCAL_PORT_NOTE),
            cloud_note(t, LISTENER_QUOTA_NOTE))


class RulesPage(Page):
    TITLE_KEY = "listener.manage_rules"
    EVENT_KINDS = ("listener.", "rule.", "target_group.", "lb.")
    FILTER_KEY = "lrule.filter"
    EMPTY_KEY = "lrule.empty"
    COLUMNS = (
        Column("priority", "lrule.col.priority"),
        Column("conditions", "lrule.col.conditions", width=50),
        Column("actions", "lrule.col.actions", width=40),
        Column("arn", "lrule.col.arn"),
    )
    ACTIONS = (
        PageAction("add", "a", "lrule.add", needs_selection=False, variant="primary"),
        PageAction("edit", "e", "lrule.edit"),
        PageAction("up", "u", "lrule.move_up"),
        PageAction("down", "n", "lrule.move_down"),
        PageAction("delete", "delete", "lrule.delete", confirm_key="lrule.confirm_delete", short_key="short.delete"),
    )
    DETAIL_TABS = ("lrule.tab.details",)

    def __init__(self, listener_arn: str, view: ViewState | None = None) -> None:
        super().__init__(view)
        self.listener_arn = listener_arn
        # Evaluation order, whatever order the rules were added in (the default rule sorts last).
        self.view.sort_column = self.view.sort_column or "priority"

    @property
    def listener(self) -> Listener | None:
        return self.cloud.elbv2.listeners.get(self.listener_arn)

    def rule(self, key: str | None) -> Rule | None:
        listener = self.listener
        return next((r for r in listener.rules if r.arn == key), None) if listener else None

    def rows(self) -> Iterable[Row]:
        t, listener = self.t, self.listener
        if listener is None:
            return
        groups = self.cloud.elbv2.target_groups
        for rule in listener.rules:
            yield Row(rule.arn, (
                plain(t("lrule.default") if rule.is_default else rule.priority),
                plain(conditions_text(t, rule.conditions).replace("\n", " ") if not rule.is_default
                      else t("lrule.default_conditions")),
                plain(actions_text(t, rule.actions, groups)),
                plain(arn_tail(rule.arn)),
            ))

    def describe(self, key: str) -> str:
        rule = self.rule(key)
        return self.t("lrule.named", priority=rule.priority) if rule else key

    def can(self, action: str, key: str | None) -> bool:
        rule = self.rule(key)
        if action in ("up", "down"):
            return rule is not None and self._neighbour(rule, action) is not None
        if action == "delete":
            return rule is not None and not rule.is_default
        return True

    def _neighbour(self, rule: Rule, direction: str) -> Rule | None:
        """The rule just above or below, to swap priorities with (the default rule always stays last)."""
        ordered = [r for r in (self.listener.rules if self.listener else []) if not r.is_default]
        if rule not in ordered:
            return None
        index = ordered.index(rule) + (-1 if direction == "up" else 1)
        return ordered[index] if 0 <= index < len(ordered) else None

    def perform_add(self, key: str | None) -> None:
        from tui.screens.elb.rule_editor import RuleEditorScreen

        if self.listener is not None:
            self.app.push_screen(RuleEditorScreen(self.listener))

    def perform_edit(self, key: str | None) -> None:
        from tui.screens.elb.rule_editor import RuleEditorScreen

        rule = self.rule(key)
        if self.listener is not None and rule is not None:
            self.app.push_screen(RuleEditorScreen(self.listener, rule))

    def perform_up(self, key: str | None) -> None:
        self._swap(key, "up")

    def perform_down(self, key: str | None) -> None:
        self._swap(key, "down")

    def _swap(self, key: str | None, direction: str) -> None:
        rule = self.rule(key)
        other = self._neighbour(rule, direction) if rule else None
        if rule is None or other is None:
            return
        changes = [(rule.arn, other.priority), (other.arn, rule.priority)]
        self.call_cloud(lambda: self.cloud.elbv2.set_rule_priorities(changes), "lrule.reprioritised")

    def perform_delete(self, key: str | None) -> None:
        rule = self.rule(key)
        if rule is not None:
            self.call_cloud(lambda: self.cloud.elbv2.delete_rule(rule.arn), "lrule.deleted",
                            name=self.describe(rule.arn))

    def detail(self, tab: str, key: str) -> RenderableType:
        rule = self.rule(key)
        if rule is None:
            return ""
        t = self.t
        return Group(arn_field(t("lrule.col.arn"), rule.arn), field_grid([
            (t("lrule.col.priority"), t("lrule.default") if rule.is_default else rule.priority),
            (t("lrule.col.conditions"), conditions_text(t, rule.conditions) if not rule.is_default
             else t("lrule.default_conditions")),
            (t("lrule.col.actions"), actions_text(t, rule.actions, self.cloud.elbv2.target_groups)),
        ], columns=2))


class PageScreen(WorkScreen[None]):
    """A console page on a screen of its own, following the cloud events it wants."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "key.back")]

    def __init__(self, make_page: Callable[[ViewState], Page], owner: str, title_key: str) -> None:
        super().__init__()
        self.make_page = make_page
        self.owner = owner  # what the page belongs to: "DemoALB", "HTTP:80"
        self.title_key = title_key
        self.view = ViewState()  # kept across a language switch, which builds the page anew

    def compose(self) -> ComposeResult:
        yield ConsoleHeader(f"{self.owner} › {app_of(self).t(self.title_key)}")
        yield self.make_page(self.view)
        yield from self.footer()

    def on_mount(self) -> None:
        page = self.query_one(Page)
        follow_events(self, page.EVENT_KINDS, self._changed)
        page.table.focus()

    def _changed(self, batch: list[Event]) -> None:
        self.query_one(Page).refresh_page()


def listeners_screen(lb: LoadBalancer) -> PageScreen:
    return PageScreen(lambda view: ListenersPage(lb.arn, view), lb.name, "lb.listeners_and_rules")


def _short_id(arn: str) -> str:
    """A certificate's ID as far as the table has room: its first 8 characters (they tell certificates apart)."""
    return arn_id(arn)[:8] + "…"
