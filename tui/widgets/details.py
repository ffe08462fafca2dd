"""Detail-tab content: label/value grids and rule tables, as Rich renderables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from mock_cloud import SecurityGroup, SgRule
from tui.format import DASH
from tui.rules import peer_text, port_text, protocol_text, rule_type_of

Translate = Callable[..., str]


def field_grid(fields: Iterable[tuple[str, object]], columns: int = 2) -> Table:
    """Label above value, `columns` fields side by side, like the console's detail panels."""
    grid = Table.grid(padding=(0, 3), expand=True)
    for _ in range(columns):
        grid.add_column(ratio=1)
    cells = [
        Text.assemble((label, "bold"), "\n", Text(DASH if value in (None, "") else str(value)), "\n")
        for label, value in fields
    ]
    for start in range(0, len(cells), columns):
        row = cells[start : start + columns]
        grid.add_row(*row, *([""] * (columns - len(row))))
    return grid


def section(title: str, *body: RenderableType) -> Group:
    return Group(Text(title, style="bold underline"), *body, Text(""))


def rules_table(
    t: Translate, rules: Sequence[SgRule], groups: dict[str, SecurityGroup], egress: bool
) -> RenderableType:
    if not rules:
        return Text(t("sg.no_rules"), style="dim")
    table = Table(expand=True, box=None, header_style="bold", pad_edge=False)
    for key in ("col.rule_id", "col.type", "col.protocol", "col.port_range",
                "col.destination" if egress else "col.source", "col.description"):
        table.add_column(t(key), overflow="fold")
    for rule in rules:
        table.add_row(
            rule.rule_id,
            t(f"rule_type.{rule_type_of(rule).key}"),
            t("all") if rule.protocol == "-1" else protocol_text(rule.protocol),
            t("all") if rule.from_port == -1 else port_text(rule),
            peer_text(rule, groups),
            rule.description or DASH,
        )
    return table


def note(text: str) -> Text:
    return Text(text, style="dim italic")


def script_text(script: str) -> Text:
    """A shell script with its comments dimmed (theme-neutral: no fixed colours)."""
    text = Text()
    for line in script.splitlines(keepends=True):
        text.append(line, style="dim" if line.lstrip().startswith("#") else "")
    return text
