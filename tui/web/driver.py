"""The driver a tab's console draws through: Textual's web driver, plus two things a tab needs to know."""

from __future__ import annotations

from typing import ClassVar

from textual import messages
from textual.drivers.web_driver import WebDriver


class TabDriver(WebDriver):
    """Named in TEXTUAL_DRIVER by the server's tab command (server.DRIVER_PATH); Textual imports it from there."""

    # Whether any app of this process has drawn: a console that ended before it did left its
    # tab blank, and the tab then shows why (tab.py).
    started: ClassVar[bool] = False

    def start_application_mode(self) -> None:
        TabDriver.started = True
        super().start_application_mode()

    def run_input_thread(self) -> None:
        super().run_input_thread()
        if not self.exit_event.is_set():
            # Our stdin closed while the app still runs: the web server is gone (even killed), so the
            # console ends (and saves) instead of living on with nobody to draw for.
            self._app.post_message(messages.ExitApp())
