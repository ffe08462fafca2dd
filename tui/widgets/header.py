"""The console's header: where you are, the region, the cloud clock with its controls, the endpoints."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label

from tui.format import cloud_time
from tui.typed_app import app_of
from tui.widgets.live_text import show

# Clock buttons: (label, time scale); 0 pauses.
SCALES = (("||", 0.0), ("×1", 1.0), ("×10", 10.0), ("×30", 30.0))


class ConsoleHeader(Vertical):
    def __init__(self, location: str = "") -> None:
        super().__init__(id="header")
        self.location = location

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        with Horizontal(id="header-top"):
            yield Label("▣ lblab", id="brand")
            yield Label(self.location, id="location")
            yield Label(t("header.region", region=app_of(self).cloud.region), id="region")
        with Horizontal(id="header-clock"):
            yield Label(id="clock")
            for label, scale in SCALES:
                yield _control(label, f"scale-{scale:g}", f"app.set_scale({scale})",
                               t("clock.scale_tip", scale=f"{scale:g}"))
            yield _control(t("clock.step"), "step", "app.step_clock", t("clock.step_tip"))
            yield Label(id="endpoints")

    def on_mount(self) -> None:
        self.watch(self.app, "clock_version", self._show_clock)

    def set_location(self, location: str) -> None:
        self.location = location
        self.query_one("#location", Label).update(location)

    def _show_clock(self) -> None:
        t = app_of(self).t
        clock = app_of(self).cloud.clock
        state = t("clock.paused") if clock.manual else t("clock.running", scale=f"{clock.scale:g}")
        show(self.query_one("#clock", Label), f"{cloud_time(clock.now())} · {state}")
        for _, scale in SCALES:
            self.query_one(f"#scale-{scale:g}", Button).variant = "primary" if clock.scale == scale else "default"
        self.query_one("#step", Button).disabled = not clock.manual
        app = app_of(self)
        endpoints = self.query_one("#endpoints", Label)
        show(endpoints, self._endpoints())
        tooltip = " · ".join(url for url in (app.edge_url, app.api_url) if url)
        if endpoints.tooltip != tooltip:
            endpoints.tooltip = tooltip

    def _endpoints(self) -> str:
        """Both endpoints as host:port: what a learner copies at 120 columns too (both speak plain HTTP,
        the full URLs are in the tooltip)."""
        t = app_of(self).t
        edge = _address(app_of(self).edge_url) or t("edge.off")
        api = _address(app_of(self).api_url) or "–"
        return f"{t('header.edge')} {edge} · {t('header.api')} {api}"


def _address(url: str | None) -> str:
    return (url or "").removeprefix("http://")


def _control(label: str, id: str, action: str, tooltip: str) -> Button:
    """A clock button: clickable, but never takes the keyboard focus away from the page."""
    button = Button(label, id=id, action=action, compact=True, tooltip=tooltip)
    button.can_focus = False
    return button
