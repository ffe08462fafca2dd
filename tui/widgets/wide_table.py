"""A table whose last column moves under its rows when the table is narrow.

The Targets tab's "Health status details" is what a learner reads to find out why a target is unhealthy
(`Target.InvalidState`, `Target.Timeout`). Squeezed beside five fixed columns it was six characters wide,
one word per line and the reason code cut. When it cannot have `min_width` columns beside the others, each
row's details are drawn on their own full-width line under the row instead, never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tui.format import DASH


def _plain(cell: str | Text) -> str:
    return cell if isinstance(cell, str) else cell.plain


def _width(cell: str | Text) -> int:
    return Text(_plain(cell)).cell_len


@dataclass
class DetailsTable:
    """`rows` of `headings` (the last heading and cell are the details)."""

    headings: Sequence[str]
    rows: Sequence[Sequence[str | Text]]
    min_width: int = 30

    def _table(self, widths: Sequence[int] | None = None, header: bool = True) -> Table:
        """The fixed columns (at `widths`, to line up with other such tables), without the details."""
        table = Table(box=None, header_style="bold", pad_edge=False, show_header=header)
        for number, heading in enumerate(self.headings[:-1]):
            table.add_column(heading, no_wrap=True, width=widths[number] if widths else None)
        return table

    def _side_by_side(self) -> Table:
        table = self._table()
        table.expand = True
        table.add_column(self.headings[-1], ratio=1, min_width=self.min_width, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def _stacked(self) -> Group:
        """Each row as a table of the fixed columns, lined up, and its details indented under it."""
        columns = zip(*(row[:-1] for row in self.rows), strict=True)
        widths = [max(_width(heading), *map(_width, column))
                  for heading, column in zip(self.headings[:-1], columns, strict=True)]
        parts: list[Table | Padding] = []
        for number, (*fixed, details) in enumerate(self.rows):
            table = self._table(widths, header=number == 0)
            table.add_row(*fixed)
            parts.append(table)
            if _plain(details).strip() not in ("", DASH):
                parts.append(Padding(details, (0, 0, 0, 2)))
        return Group(*parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self._table()
        for row in self.rows:
            table.add_row(*row[:-1])
        fits = Measurement.get(console, options, table).maximum + 2 + self.min_width <= options.max_width
        yield self._side_by_side() if fits else self._stacked()
