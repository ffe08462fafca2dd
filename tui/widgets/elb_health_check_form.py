"""A target group's health check settings, as the create wizard and "Edit health check settings" show them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Select

from mock_cloud import TARGET_GROUP_PROTOCOLS as PROTOCOLS
from mock_cloud import TRAFFIC_PORT
from tui.typed_app import app_of
from tui.widgets.elb_drafts import HealthCheckDraft
from tui.widgets.form import BoundForm, field
from tui.widgets.text_input import TextInput

# Advanced settings: (draft field, label key, hint key), all whole numbers but the success codes.
ADVANCED = (
    ("healthy_threshold", "hc.healthy_threshold", "hc.healthy_threshold_hint"),
    ("unhealthy_threshold", "hc.unhealthy_threshold", "hc.unhealthy_threshold_hint"),
    ("health_timeout", "hc.timeout", "hc.timeout_hint"),
    ("health_interval", "hc.interval", "hc.interval_hint"),
)


class HealthCheckForm(BoundForm, Vertical):
    """Edits a HealthCheckDraft in place (its widget ids are the draft's field names)."""

    def __init__(self, draft: HealthCheckDraft, advanced_open: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="health-check-form")
        self.form = draft
        self.advanced_open = advanced_open

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        draft = self.form
        yield from field(t("hc.protocol"), Select([(p, p) for p in PROTOCOLS], value=draft.health_protocol,
                                                  allow_blank=False, id="health_protocol", compact=True))
        yield from field(t("hc.path"), TextInput(draft.health_path, id="health_path", compact=True),
                         hint=t("hc.path_hint"))
        with Collapsible(title=t("hc.advanced"), collapsed=not self.advanced_open, id="hc-advanced"):
            yield from field(t("hc.port"), Select(
                [(t("hc.traffic_port"), TRAFFIC_PORT), (t("hc.override"), "override")],
                value=draft.health_port_mode, allow_blank=False, id="health_port_mode", compact=True),
                hint=t("hc.port_hint"))
            yield TextInput(draft.health_port, placeholder="1-65535", id="health_port", type="integer", max_length=5,
                            compact=True)
            for name, label, hint in ADVANCED:
                yield from field(t(label), TextInput(getattr(draft, name), id=name, type="integer", max_length=3,
                                                     compact=True, classes="short-input"), hint=t(hint))
            yield from field(t("hc.success_codes"), TextInput(draft.success_codes, id="success_codes", compact=True,
                                                              classes="short-input"), hint=t("hc.success_codes_hint"))

    def on_mount(self) -> None:
        self.form_changed("health_port_mode")

    def form_changed(self, name: str) -> None:
        if name == "health_port_mode":
            self.query_one("#health_port", TextInput).display = self.form.health_port_mode != TRAFFIC_PORT
