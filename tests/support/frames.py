"""Frames that no terminal shows are not painted.

Under Pilot the console runs headless: Textual lays every frame out and renders it to strips, then its headless
driver throws the result away (`App._display` writes nothing when headless). Rendering those frames was ~28 % of
the CPU of a keys-only lab walk. Here the top screen's refresh keeps everything but the painting: the dirty
regions and widgets are let go and the mouse-over state is updated, as after a real frame. A test that looks at
the screen still sees it painted, whole: a screenshot (`export_screenshot`, the snapshot tests) renders every line
again, and the tests of partial updates call the compositor themselves (`test_tui_reads_right.py`). A test that
watches the frames themselves go out paints them, inside `painted()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.screen import Screen

_paint = Screen._compositor_refresh
_painting = False


def _refresh_unseen(self: Screen[object]) -> None:
    app = self.app
    if not _painting and app.is_headless and not app.is_inline and self is app.screen:
        self._compositor._dirty_regions.clear()
        self._dirty_widgets.clear()
        app._update_mouse_over(self)
        return
    _paint(self)


@contextmanager
def painted() -> Iterator[None]:
    """Every frame rendered and handed to `App._display`, as a terminal's console does."""
    global _painting
    _painting = True
    try:
        yield
    finally:
        _painting = False


def install() -> None:
    Screen._compositor_refresh = _refresh_unseen  # type: ignore[method-assign]
