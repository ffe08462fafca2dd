"""Register targets: tick instances, set their port, "Include as pending below", review, remove.

The create wizard's second step and the Targets tab's "Register targets" both use it; the
screen registers `pending` when the learner is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Static
from textual.widgets.selection_list import Selection

from mock_cloud import Instance, TargetSpec
from tui.format import DASH, state_text
from tui.typed_app import app_of
from tui.widgets.text_input import TextInput
from tui.widgets.toggles import SelectionList

# (heading key, width) of the two lists' columns; the last one takes the rest of the line.
AVAILABLE_COLUMNS = (("picker.col.instance", 20), ("picker.col.name", 0), ("picker.col.state", 12),
                     ("picker.col.zone", 17), ("picker.col.groups", 0))
PENDING_COLUMNS = (("picker.col.instance", 20), ("picker.col.name", 0), ("picker.col.port", 6),
                   ("picker.col.zone", 17), ("picker.col.health", 0))
# The instance list draws a checkbox before each row; headings above it start that much later.
CHECKBOX_CELLS = 4


@dataclass
class PendingTarget:
    instance_id: str
    port: str

    def spec(self) -> TargetSpec:
        port = self.port.strip()
        return TargetSpec(self.instance_id, int(port) if port.isdigit() else None)


def padded(text: Text | str, width: int) -> Text:
    """`text` cut or padded to `width` cells (Korean names take two cells a character); 0: as is."""
    cell = Text(text) if isinstance(text, str) else text.copy()
    if width:
        cell.truncate(width - 1, overflow="ellipsis")
        cell.pad_right(width - cell_len(cell.plain))
    return cell


def fitted(columns: tuple[tuple[str, int], ...], app: App[Any]) -> tuple[tuple[str, int], ...]:
    """`columns` with the name column as wide as the longest name: names are never cut."""
    t, instances = app_of(app).t, app_of(app).cloud.ec2.describe_instances()
    width = max([cell_len(t("picker.col.name"))] + [cell_len(i.name or DASH) for i in instances]) + 2
    return tuple((key, width if key == "picker.col.name" else size) for key, size in columns)


def row_text(cells: tuple[Text | str, ...], columns: tuple[tuple[str, int], ...]) -> Text:
    return Text.assemble(*(padded(cell, width) for cell, (_, width) in zip(cells, columns, strict=True)))


class PendingRow(Horizontal):
    def __init__(self, target: PendingTarget, instance: Instance | None) -> None:
        super().__init__(classes="pending-row")
        self.target = target
        self.instance = instance

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        i = self.instance
        row = row_text((self.target.instance_id, i.name if i and i.name else DASH, self.target.port or DASH,
                        i.availability_zone if i else DASH, state_text(self.app, "initial", t("picker.pending"))),
                       fitted(PENDING_COLUMNS, self.app))
        yield Label(row, classes="pending-text")
        yield Button("✕", compact=True, classes="pending-remove", tooltip=t("picker.remove"))


class TargetPicker(Vertical):
    """Edits the `pending` list in place; posts `Changed` whenever it changes."""

    class Changed(Message):
        pass

    def __init__(self, pending: list[PendingTarget], default_port: str, id: str | None = None) -> None:
        super().__init__(id=id, classes="target-picker")
        self.pending = pending
        self.default_port = default_port

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        instances = self._instances()
        yield Label(t("picker.available", count=len(instances)), classes="field-label")
        yield Label(self._heading(fitted(AVAILABLE_COLUMNS, self.app), CHECKBOX_CELLS), classes="picker-head")
        yield SelectionList[str](*(Selection(self._instance_row(i), i.instance_id) for i in instances),
                                 id="available", compact=True)
        with Horizontal(classes="inline-buttons"):
            yield Label(t("picker.port"), classes="inline-label")
            yield TextInput(self.default_port, id="pick_port", type="integer", max_length=5, compact=True)
            yield Button(t("picker.include"), id="include", variant="primary", compact=True)
        yield Label(id="review-title", classes="field-label")
        yield Label(self._heading(fitted(PENDING_COLUMNS, self.app)), classes="picker-head")
        yield Vertical(*(PendingRow(p, self._instance(p.instance_id)) for p in self.pending), id="pending")
        yield Static(t("picker.none_pending"), id="none-pending", classes="field-hint", markup=False)
        yield Button(t("picker.remove_all"), id="remove-all", compact=True)

    def on_mount(self) -> None:
        self._show_count()

    def _instances(self) -> list[Instance]:
        return [i for i in app_of(self).cloud.ec2.describe_instances()
                if i.state not in ("terminated", "shutting-down")]

    def _instance(self, instance_id: str) -> Instance | None:
        return app_of(self).cloud.ec2.instances.get(instance_id)

    def _heading(self, columns: tuple[tuple[str, int], ...], indent: int = 0) -> Text:
        t = app_of(self).t
        return Text.assemble(" " * indent, row_text(tuple(t(key) for key, _ in columns), columns), style="bold")

    def _instance_row(self, i: Instance) -> Text:
        t = app_of(self).t
        groups = app_of(self).cloud.ec2.security_groups
        names = ", ".join(groups[g].group_name for g in i.security_group_ids if g in groups)
        return row_text((i.instance_id, i.name or DASH, state_text(self.app, i.state, t(f"state.{i.state}")),
                         i.availability_zone, names or DASH), fitted(AVAILABLE_COLUMNS, self.app))

    def _show_count(self) -> None:
        t = app_of(self).t
        self.query_one("#review-title", Label).update(t("picker.review", count=len(self.pending)))
        self.query_one("#none-pending").display = not self.pending
        self.query_one("#remove-all").display = bool(self.pending)

    def _changed(self) -> None:
        self._show_count()
        self.post_message(self.Changed())

    @on(Button.Pressed, "#include")
    async def _include(self, event: Button.Pressed) -> None:
        """The ticked instances join the pending list at the port typed (each instance and port once)."""
        event.stop()
        available = self.query_one("#available", SelectionList)
        port = self.query_one("#pick_port", TextInput).value
        known = {(p.instance_id, p.port) for p in self.pending}
        added = [PendingTarget(i, port) for i in available.selected if (i, port) not in known]
        self.pending.extend(added)
        await self.query_one("#pending").mount_all(PendingRow(p, self._instance(p.instance_id)) for p in added)
        available.deselect_all()
        self._changed()

    @on(Button.Pressed, ".pending-remove")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = next(a for a in event.button.ancestors if isinstance(a, PendingRow))
        self.pending[:] = [p for p in self.pending if p is not row.target]
        await row.remove()
        self._changed()

    @on(Button.Pressed, "#remove-all")
    async def _remove_all(self, event: Button.Pressed) -> None:
        event.stop()
        self.pending.clear()
        await self.query_one("#pending").remove_children()
        self._changed()
