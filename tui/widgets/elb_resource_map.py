"""A load balancer's Resource map: listeners → rules → target groups → targets, coloured by health.

One row per target (or per rule that answers by itself); a cell repeats nothing its row above
already said, so each column reads as the console's boxes do, joined by arrows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from mock_cloud import FORWARD, Rule
from tui.widgets.elb_format import (
    action_text,
    arn_id,
    conditions_text,
    forward_shares,
    health_details,
    health_text,
    listener_name,
)

if TYPE_CHECKING:
    from textual.app import App

    from mock_cloud import Instance, Listener, TargetGroup

Translate = Callable[..., str]
ARROW = "─▶"


@dataclass(frozen=True)
class MapRow:
    listener: str
    rule: str
    group: str
    target: str  # "instance:port", or "" when the rule answers itself


def rule_label(t: Translate, rule: Rule) -> str:
    if rule.is_default:
        return t("map.default_rule")
    return f"{t('map.priority', priority=rule.priority)}: {conditions_text(t, rule.conditions)}"


def map_rows(listeners: list[Listener], groups: Mapping[str, TargetGroup]) -> Iterator[MapRow]:
    for listener in listeners:
        for rule in listener.rules:
            for action in rule.actions:
                if action.type != FORWARD:
                    yield MapRow(listener.arn, rule.arn, "", "")
                    continue
                for arn, _ in forward_shares(action):
                    targets = groups[arn].targets.values() if arn in groups else []
                    if not targets:
                        yield MapRow(listener.arn, rule.arn, arn, "")
                    for target in targets:
                        yield MapRow(listener.arn, rule.arn, arn, f"{target.id}:{target.port}")


def resource_map(app: App, t: Translate, listeners: list[Listener], groups: Mapping[str, TargetGroup],
                 instances: Mapping[str, Instance]) -> Table | Text:
    if not listeners:
        return Text(t("map.no_listeners"), style="dim")
    rules = {rule.arn: rule for listener in listeners for rule in listener.rules}
    rows = list(map_rows(listeners, groups))
    used = {r.group for r in rows if r.group}
    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    table.add_column(t("map.listeners", count=len(listeners)), no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column(t("map.rules", count=len(rules)), ratio=3, overflow="fold")
    table.add_column("", no_wrap=True)
    table.add_column(t("map.groups", count=len(used)), ratio=2, overflow="fold")
    table.add_column("", no_wrap=True)
    table.add_column(t("map.targets", count=len({r.target for r in rows if r.target})), ratio=4, overflow="fold")
    by_arn = {listener.arn: listener for listener in listeners}
    previous = MapRow("", "", "", "")
    for row in rows:
        rule = rules[row.rule]
        new_listener = row.listener != previous.listener
        new_rule = new_listener or row.rule != previous.rule
        new_group = new_rule or row.group != previous.group
        group_cell: Text | str = ""
        if new_group:
            group_cell = _group_cell(t, groups.get(row.group), row.group) if row.group else \
                Text(action_text(t, rule.actions[0], groups), style="italic")
        table.add_row(
            Text(listener_name(by_arn[row.listener]), style="bold") if new_listener else "",
            ARROW if new_listener else "",
            rule_label(t, rule) if new_rule else "",
            ARROW if new_group else "",
            group_cell,
            ARROW if row.target else "",
            _target_cell(app, t, groups.get(row.group), row.target, instances) if row.group else "",
        )
        previous = row
    return table


def _group_cell(t: Translate, group: TargetGroup | None, arn: str) -> Text:
    if group is None:
        return Text(arn_id(arn), style="dim")
    return Text.assemble((group.name, "bold"), f"\n{group.protocol}:{group.port}")


def _target_cell(app: App, t: Translate, group: TargetGroup | None, key: str,
                 instances: Mapping[str, Instance]) -> Text:
    if group is None or not key:
        return Text(t("map.no_targets"), style="dim")
    instance_id, _, port = key.rpartition(":")
    target = group.targets.get((instance_id, int(port)))
    instance = instances.get(instance_id)
    name = f" ({instance.name})" if instance and instance.name else ""
    cell = Text(f"{key}{name}\n")
    if target is None:
        return cell
    cell.append_text(health_text(app, t, target.health.state))
    if target.health.description:
        cell.append(f": {health_details(t, target.health.reason, target.health.description)}", style="dim")
    return cell
