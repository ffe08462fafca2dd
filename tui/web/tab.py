"""The program each browser tab runs: `python -m tui.web.tab CONSOLE-ARGS`, where CONSOLE-ARGS are `lblab`'s own.

It runs the console. A console that refuses to start (its cloud open in another tab or terminal, say) says why on
stderr and exits before drawing anything, which would leave the tab blank: the tab then shows that message instead,
until a key is pressed.
"""

from __future__ import annotations

import contextlib
import io
import sys
import traceback
from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui import cli
from tui.i18n import Translator
from tui.web.driver import TabDriver


class RefusedTab(App[None]):
    """The tab of a console that did not start: its own message, and what the learner can do."""

    CSS: ClassVar[str] = """
    Screen { align: center middle; }
    #refused { width: 90; height: auto; border: heavy $error; padding: 1 2; }
    #refused Static { margin-bottom: 1; }
    #title { text-style: bold; color: $error; }
    #message { color: $warning; }
    #key { color: $text-muted; margin-bottom: 0; }
    """

    def __init__(self, message: str, t: Translator) -> None:
        super().__init__()
        self.message = message
        self.t = t

    def compose(self) -> ComposeResult:
        with Vertical(id="refused"):
            yield Static(self.t("web.refused.title"), id="title")
            yield Static(self.message, id="message", markup=False)
            yield Static(self.t("web.refused.hint"), id="hint")
            yield Static(self.t("web.refused.key"), id="key")

    def on_key(self, event: events.Key) -> None:
        self.exit()


def main(argv: list[str]) -> int:
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        try:
            code = cli.main(argv)
        except Exception as exc:  # a console that crashes before its first frame: its tab says so too
            traceback.print_exc(file=sys.__stderr__)
            print(f"lblab: {type(exc).__name__}: {exc}", file=captured)
            code = 1
    message = captured.getvalue().strip()
    if message:
        print(message, file=sys.stderr)  # lblab web's log keeps it too
    if code and not TabDriver.started:
        lang = cli.build_parser().parse_args(argv).lang or cli.default_lang()
        RefusedTab(message or f"lblab exited with status {code}", Translator(lang)).run()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
