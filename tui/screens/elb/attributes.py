"""Attributes tabs and "Edit attributes" for target groups and load balancers.

The console groups a handful of attributes per resource; these lists say which, how each is
edited, and which lblab simplification note goes with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Select, Static

from mock_cloud import (
    ACCESS_LOG_NOTE,
    ALGORITHMS,
    LOAD_BALANCER_ATTRIBUTE_NOTES,
    SLOW_START_NOTE,
    TARGET_GROUP_ATTRIBUTE_NOTES,
)
from tui.screens.elb.editor import ElbEditorScreen
from tui.typed_app import app_of
from tui.widgets.elb_format import Translate
from tui.widgets.form import Section, field
from tui.widgets.text_input import TextInput
from tui.widgets.toggles import Checkbox

BOOL, NUMBER, CHOICE, TEXT = "bool", "number", "choice", "text"


@dataclass(frozen=True)
class AttrField:
    key: str  # the AWS attribute key
    label_key: str
    kind: str = BOOL
    choices: tuple[str, ...] = ()
    note: str = ""  # the catalogue key of the cloud's simplification note, shown under the value


TG_ATTRIBUTES = (
    AttrField("deregistration_delay.timeout_seconds", "attr.deregistration_delay", NUMBER),
    AttrField("load_balancing.algorithm.type", "attr.algorithm", CHOICE, ALGORITHMS),
    AttrField("slow_start.duration_seconds", "attr.slow_start", NUMBER, note=SLOW_START_NOTE),
    AttrField("stickiness.enabled", "attr.stickiness"),
    AttrField("stickiness.type", "attr.stickiness_type", CHOICE, ("lb_cookie", "app_cookie")),
    AttrField("stickiness.lb_cookie.duration_seconds", "attr.stickiness_duration", NUMBER),
    AttrField("load_balancing.cross_zone.enabled", "attr.tg_cross_zone", CHOICE,
              ("use_load_balancer_configuration", "true", "false"),
              TARGET_GROUP_ATTRIBUTE_NOTES["load_balancing.cross_zone.enabled"]),
)
LB_ATTRIBUTES = (
    AttrField("deletion_protection.enabled", "attr.deletion_protection"),
    AttrField("idle_timeout.timeout_seconds", "attr.idle_timeout", NUMBER),
    AttrField("routing.http2.enabled", "attr.http2", note=LOAD_BALANCER_ATTRIBUTE_NOTES["routing.http2.enabled"]),
    AttrField("routing.http.drop_invalid_header_fields.enabled", "attr.drop_invalid_headers"),
    AttrField("routing.http.preserve_host_header.enabled", "attr.preserve_host"),
    AttrField("routing.http.xff_header_processing.mode", "attr.xff_mode", CHOICE, ("append", "preserve", "remove")),
    AttrField("routing.http.desync_mitigation_mode", "attr.desync", CHOICE, ("monitor", "defensive", "strictest"),
              LOAD_BALANCER_ATTRIBUTE_NOTES["routing.http.desync_mitigation_mode"]),
    AttrField("access_logs.s3.enabled", "attr.access_logs", note=ACCESS_LOG_NOTE),
    AttrField("access_logs.s3.bucket", "attr.access_logs_bucket", TEXT),
    AttrField("access_logs.s3.prefix", "attr.access_logs_prefix", TEXT),
)


def shown_value(t: Translate, spec: AttrField, value: str) -> str:
    if spec.kind == BOOL:
        return t("enabled" if value == "true" else "disabled")
    return value or "–"


def attributes_table(t: Translate, specs: tuple[AttrField, ...], values: Mapping[str, str]) -> Table:
    """The Attributes tab: each attribute, its value, and lblab's note where it simplifies."""
    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    table.add_column(t("attr.name"), no_wrap=True, ratio=1)
    table.add_column(t("attr.value"), ratio=2)
    for spec in specs:
        value = Text(shown_value(t, spec, values.get(spec.key, "")))
        if spec.note:
            value.append("\n" + t(spec.note), style="dim italic")
        table.add_row(Text(t(spec.label_key), style="bold"), value)
    return table


class AttributesScreen(ElbEditorScreen):
    """Edit attributes: saves only what changed, through `apply(changes)`."""

    INTRO_KEY = "attr.intro"
    TITLE_KEY = "attr.edit"
    SAVE_KEY = "attr.save"
    DONE_KEY = "attr.saved"

    def __init__(self, name: str, specs: tuple[AttrField, ...], values: Mapping[str, str],
                 apply: Callable[[dict[str, str]], Awaitable[Any]]) -> None:
        super().__init__()
        self.resource_name = name
        self.specs = specs
        self.original = dict(values)
        self.values = dict(values)
        self.apply = apply

    def heading(self) -> str:
        t = app_of(self).t
        return f"{t('attr.edit')} › {self.resource_name}"

    def body(self) -> ComposeResult:
        t = app_of(self).t
        widgets: list[Widget] = []
        for index, spec in enumerate(self.specs):
            widgets += field(t(spec.label_key), self._editor(index, spec))
            if spec.note:
                widgets.append(Static(t(spec.note), classes="field-hint",
                                      markup=False))
        yield Section(t("attr.section"), *widgets)

    def _editor(self, index: int, spec: AttrField) -> Widget:
        value = self.values.get(spec.key, "")
        widget_id = f"attr-{index}"
        if spec.kind == BOOL:
            return Checkbox(app_of(self).t("enabled"), value == "true", id=widget_id, compact=True,
                            classes="attr")
        if spec.kind == CHOICE:
            return Select([(c, c) for c in spec.choices], value=value, allow_blank=False, id=widget_id,
                          compact=True, classes="attr")
        return TextInput(value, id=widget_id, type="integer" if spec.kind == NUMBER else "text", compact=True,
                         classes="attr")

    def _set(self, widget: Widget, value: str) -> None:
        self.values[self.specs[int((widget.id or "").removeprefix("attr-"))].key] = value

    @on(Checkbox.Changed, ".attr")
    def _checked(self, event: Checkbox.Changed) -> None:
        self._set(event.checkbox, "true" if event.value else "false")

    @on(Select.Changed, ".attr")
    def _chosen(self, event: Select.Changed) -> None:
        self._set(event.select, str(event.value))

    @on(TextInput.Changed, ".attr")
    def _typed(self, event: TextInput.Changed) -> None:
        self._set(event.input, event.value)

    async def save(self) -> dict[str, str]:
        changes = {k: v for k, v in self.values.items() if v != self.original.get(k)}
        if changes:
            await self.apply(changes)
        return changes

    def done_name(self, result: Any) -> str:
        return self.resource_name
