"""Text that changes in place (a clock, elapsed time, a count): redrawn without laying the screen out.

Textual lays the whole screen out again on every `Static.update`, in case the text's size changed: for a
clock ticking every second beside a 160x45 console that is most of an idle console's work. A text that
keeps its shape (only digits changed, each one cell wide) keeps its size, and is only redrawn.
"""

from __future__ import annotations

import re

from textual.widgets import Static

_DIGIT = re.compile(r"\d")


def show(widget: Static, text: str) -> None:
    """Have `widget` show `text`: nothing when it already does, a redraw alone when only digits changed."""
    shown = str(widget.content)
    if shown != text:
        widget.update(text, layout=_DIGIT.sub("0", shown) != _DIGIT.sub("0", text))
