"""The Monitoring tabs' charts: one sparkline per CloudWatch metric, one bar per minute of cloud time."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
NO_DATA = "·"
MINUTES = 30


def minute_values(points: Sequence[tuple[int, float]], now: float, minutes: int = MINUTES) -> list[float | None]:
    """The last `minutes` minutes ending at `now`, oldest first; None where CloudWatch has no datapoint."""
    last = int(now // 60) * 60
    known = dict(points)
    return [known.get(last - 60 * (minutes - 1 - i)) for i in range(minutes)]


def sparkline(values: Sequence[float | None], style: str = "") -> Text:
    """Bars scaled from zero (a steady 2 healthy hosts is a full bar, not an empty one)."""
    top = max((v for v in values if v is not None), default=0.0)
    text = Text()
    for value in values:
        if value is None:
            text.append(NO_DATA, style="dim")
        else:
            level = round(value / top * (len(BARS) - 1)) if top > 0 else 0
            text.append(BARS[level], style=style)
    return text


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    shown = f"{value:.0f}" if value == int(value) else f"{value:.3g}"
    return f"{shown}{unit}"


def metric_table(rows: Sequence[tuple[str, Sequence[float | None], str]], headings: tuple[str, str, str, str],
                 style: str = "") -> Table:
    """(metric name, per-minute values, unit) rows: name, sparkline, latest value, highest value."""
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    for index, heading in enumerate(headings):
        table.add_column(heading, no_wrap=True, justify="right" if index >= 2 else "left")
    for name, values, unit in rows:
        known = [v for v in values if v is not None]
        table.add_row(name, sparkline(values, style), number(known[-1] if known else None, unit),
                      number(max(known) if known else None, unit))
    return table
