"""The resource table every console page shows: keyed rows updated in place, a filter, sorting."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from tui.typed_app import app_of


@dataclass(frozen=True)
class Column:
    key: str  # the column's key; its heading is the i18n key `label_key`
    label_key: str
    width: int | None = None  # cells longer than this are cut (free text such as descriptions)


@dataclass(frozen=True)
class Row:
    key: str  # the resource ID: the row keeps its place and the cursor follows it
    cells: tuple[Text, ...]

    def matches(self, needle: str) -> bool:
        return not needle or any(needle in cell.plain.lower() for cell in self.cells)


@dataclass
class ViewState:
    """What the learner set on a page (filter, sort, selection, detail tab); kept by the console so it
    survives a language switch, which composes the page anew."""

    filter: str = ""
    sort_column: str | None = None
    sort_reverse: bool = False
    selected: str | None = None
    tab: str | None = None


def natural_key(cell: object) -> tuple[object, ...]:
    """Sort '172.31.5.20' before '172.31.16.4' and 'web-2' before 'web-10'."""
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.lower()))


class ResourceTable(DataTable[Text]):
    def __init__(self, columns: Iterable[Column], view: ViewState, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.column_specs = tuple(columns)
        self.view = view
        self._rows: list[Row] = []

    def on_mount(self) -> None:
        self._add_columns()

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, rows: Iterable[Row]) -> None:
        """Bring the table in line with `rows`, touching only the cells that changed."""
        self._rows = list(rows)
        wanted = self.view.selected
        visible = [row for row in self._rows if row.matches(self.view.filter.lower())]
        keys = {row.key for row in visible}
        changed = False
        for row_key in list(self.rows):
            if row_key.value not in keys:
                self.remove_row(row_key)
                changed = True
        for row in visible:
            if row.key in self.rows:
                changed = self._update_row(row) or changed
            else:
                self.add_row(*row.cells, key=row.key)
                changed = True
        if changed:  # a sort draws every line anew, even one that leaves the order as it was
            self._sort()
        self._follow(wanted)

    def set_filter(self, text: str) -> None:
        self.view.filter = text
        self.show(self._rows)

    def sort_by(self, column_key: str) -> None:
        """Sort by a column; choosing the same column again reverses the order."""
        view = self.view
        view.sort_reverse = not view.sort_reverse if view.sort_column == column_key else False
        view.sort_column = column_key
        wanted = self.view.selected
        self.clear(columns=True)
        self._add_columns()
        self.show(self._rows)
        self._follow(wanted)

    def next_sort(self) -> None:
        keys = [column.key for column in self.column_specs]
        current = self.view.sort_column
        self.sort_by(keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0])

    def reverse_sort(self) -> None:
        self.sort_by(self.view.sort_column or self.column_specs[0].key)

    def _add_columns(self) -> None:
        t = app_of(self).t
        for column in self.column_specs:
            arrow = ""
            if column.key == self.view.sort_column:
                arrow = " ▼" if self.view.sort_reverse else " ▲"
            self.add_column(Text(t(column.label_key) + arrow, no_wrap=True), key=column.key, width=column.width)

    def _update_row(self, row: Row) -> bool:
        """Update the cells of `row` that changed; whether any did."""
        changed = False
        for column, cell in zip(self.column_specs, row.cells, strict=True):
            if self.get_cell(row.key, column.key) != cell:
                self.update_cell(row.key, column.key, cell)
                changed = True
        return changed

    def _sort(self) -> None:
        if self.view.sort_column is not None and self.row_count:
            self.sort(self.view.sort_column, key=natural_key, reverse=self.view.sort_reverse)

    def _follow(self, key: str | None) -> None:
        """Keep the cursor on the same resource, wherever sorting and filtering moved it."""
        if key is not None and key in self.rows:
            self.move_cursor(row=self.get_row_index(key), animate=False, scroll=True)
        self.view.selected = self.selected_key

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.view.selected = event.row_key.value

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))
