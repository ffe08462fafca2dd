"""How cloud values read on screen: states with the theme's colours, cloud time, sizes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from textual.app import App

DASH = "–"

# Which theme colour a resource state is drawn in (AWS: green running, red stopped, …).
STATE_TONES = {
    "running": "success",
    "available": "success",
    "active": "success",
    "healthy": "success",
    "pending": "warning",
    "stopping": "warning",
    "shutting-down": "warning",
    "provisioning": "warning",
    "initial": "warning",
    "draining": "warning",
    "stopped": "error",
    "unhealthy": "error",
    "failed": "error",
    "terminated": "muted",
    "unused": "muted",
}


def tone_style(app: App, tone: str) -> str:
    """A Rich style for a tone in the current theme (text-* colours keep contrast in light themes)."""
    if tone == "muted":
        return "dim"
    return app.get_css_variables().get(f"text-{tone}", "")


def state_text(app: App, state: str, label: str) -> Text:
    tone = STATE_TONES.get(state, "")
    return Text.assemble(("● ", tone_style(app, tone) if tone else ""), label)


def cloud_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def iso_time(epoch: float) -> str:
    """AWS's timestamp form, e.g. in the launch wizard's group description."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def plain(value: object) -> Text:
    """A table cell that is never parsed as markup (names may contain '[')."""
    return Text(DASH if value in (None, "") else str(value), no_wrap=True)


def human_bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KiB"
