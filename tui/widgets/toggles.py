"""Check boxes, radio buttons and ticked lists whose state reads without colour.

Textual draws a ticked and an unticked box both as `X`, both radio options as `●`, and only the colour
tells them apart: lost in 16 colours, in monochrome and to colour-blind eyes. These draw `[x]`/`[ ]` and
`(*)`/`( )`. ASCII on purpose: ☐ ☑ ○ ● are East Asian Ambiguous width, two cells wide in a Korean
terminal set to draw them wide, which would shift every row after them (tests check each glyph's width).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox as TextualCheckbox
from textual.widgets import RadioButton as TextualRadioButton
from textual.widgets import SelectionList as TextualSelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType

CHECK_GLYPHS = ("[ ]", "[x]")  # (off, on)
RADIO_GLYPHS = ("( )", "(*)")


class _Glyph:
    """The toggle's button as one of two glyphs, in the button's colours."""

    GLYPHS: ClassVar[tuple[str, str]]
    value: bool

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")  # type: ignore[attr-defined]
        return Content.styled(self.GLYPHS[self.value], style)


class Checkbox(_Glyph, TextualCheckbox):
    GLYPHS = CHECK_GLYPHS


class RadioButton(_Glyph, TextualRadioButton):
    GLYPHS = RADIO_GLYPHS


class SelectionList(TextualSelectionList[SelectionType]):
    """Each row's box drawn `[x]`/`[ ]` in place of Textual's three-cell button (same width)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        glyph = CHECK_GLYPHS[selection.value in self._selected]
        # Textual's button is the first three segments (left edge, inside, right edge): keep their styles.
        button = [Segment(char, segments[1].style if i == 1 else segments[0].style)
                  for i, char in enumerate(glyph)]
        return Strip(button + segments[3:], strip.cell_length)
