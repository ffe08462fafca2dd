"""Where the guided labs meet the console: what the app does at start and exit, and the console's Lab key.

    tui/app.py              on_mount: start_labs(app, lab_id) · on_unmount: stop_labs(app)
    tui/screens/console.py  composes a LabPanel beside the page · the L key: toggle_lab_panel(screen)
"""

from __future__ import annotations

from textual.app import App
from textual.screen import Screen

from labs import ProgressStore
from tui.widgets.lab_panel import LabPanel, focus_console, open_lab, pick_lab
from tui.widgets.lab_state import open_lab_of, set_open_lab


async def start_labs(app: App[object], lab_id: str | None = None) -> None:
    """`lblab lab ID` opens that lab; otherwise the lab open last resumes, or a learner starting
    afresh chooses one. A cloud that saves nothing (the demo, tests) has no learner to ask."""
    cloud = app.cloud  # type: ignore[attr-defined]
    store = ProgressStore.for_cloud(cloud)
    if store.error:
        app.notify(store.error, severity="warning", timeout=15)
    chosen = lab_id or store.active
    if chosen is not None:
        await open_lab(app, chosen)
    elif cloud.store is not None:
        pick_lab(app)


async def stop_labs(app: App[object]) -> None:
    """Save the open lab's progress (time spent included) before the cloud goes."""
    lab = open_lab_of(app)
    if lab is not None:
        set_open_lab(app, None)
        await lab.close()


def toggle_lab_panel(screen: Screen[object]) -> None:
    """The Lab key: show the panel and move to it; from the panel, hide it. With no lab open: the picker."""
    app = screen.app
    lab = open_lab_of(app)
    if lab is None:
        pick_lab(app)
        return
    panel = screen.query_one(LabPanel)
    hide = lab.visible and panel.has_focus_within
    if hide:
        focus_console(screen)
    lab.visible = not hide
    panel.refresh_lab()
    if not hide:
        panel.focus_panel()
