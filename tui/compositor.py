"""Wide characters (Korean) under and inside overlays drawn whole.

Textual's compositor cuts every screen line at every widget's edge, including the edges of widgets
hidden under a toast, a tooltip or a menu, and splits each widget's line at all those cuts with
`Segment.divide`. A double-width character that straddles a cut cannot be halved, so Rich replaces it
with two spaces: a toast over the lab panel lost the `그` of `보안 그룹` to the panel's edges, though both
halves belonged to the toast (Textualize/textual#6357, open for Textual 8.x).

Here a widget's line is cut only where the owner of the cells changes: consecutive pieces that the
same, frontmost widget wins are drawn as one piece, and the cuts inside it get an empty piece, so that
nothing behind claims them. Partial updates render the whole width of their lines, because a merged
piece may now run past the updated region and must be written out in full, never cropped mid-character.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import cast

import textual.screen
from rich.console import Console, ConsoleOptions, RenderResult
from rich.control import Control
from rich.segment import Segment
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip

_EMPTY = Strip([], 0)
Chops = list[dict[int, Strip | None]]


def _runs(line: Mapping[int, Strip | None], cuts: list[int]) -> Iterator[tuple[int, int, list[int]]]:
    """(start, end, inner cuts) of each run of consecutive pieces still free on a line."""
    start: int | None = None
    inner: list[int] = []
    for cut in cuts[:-1]:
        if line.get(cut) is not None:
            if start is not None:
                yield start, cut, inner
            start, inner = None, []
        elif start is None:
            start = cut
        else:
            inner.append(cut)
    if start is not None:
        yield start, cuts[-1], inner


class WholeCharChopsUpdate(ChopsUpdate):
    """Writes every piece that touches an updated span whole: a piece may be wider than its cut."""

    def _pieces(self) -> Iterator[tuple[int, int, Strip] | None]:
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            for x, strip in self.chops[y].items():
                if strip is not None and strip.cell_length and x < x2 and x + strip.cell_length > x1:
                    yield x, y, strip
            if y != last_y:
                yield None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for piece in self._pieces():
            if piece is None:
                yield Segment.line()
                continue
            x, y, strip = piece
            yield Control.move_to(x, y).segment
            yield from strip

    def render_segments(self, console: Console) -> str:
        out: list[str] = []
        for piece in self._pieces():
            if piece is None:
                out.append("\n")
                continue
            x, y, strip = piece
            out.append(Control.move_to(x, y).segment.text)
            out.append(strip.render(console))
        return "".join(out)


class WholeCharCompositor(Compositor):
    def _render_chops(self, crop: Region, is_rendered_line: Callable[[int], bool]) -> Sequence[Mapping[int, Strip]]:
        cuts = self.cuts
        chops: Chops = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        # Front to back: the first widget to claim a piece wins it.
        for region, clip, strips in self._get_renders(crop):
            render_region = region.intersection(clip)
            render_x = render_region.x
            first_cut, last_cut = render_region.column_span
            for y, strip in zip(render_region.line_range, strips, strict=False):
                if not is_rendered_line(y):
                    continue
                line = chops[y]
                line_cuts = [cut for cut in cuts[y] if first_cut <= cut <= last_cut]
                for start, end, inner in _runs(line, line_cuts):
                    line[start] = strip.crop(start - render_x, end - render_x)
                    line.update(dict.fromkeys(inner, _EMPTY))
        return cast("Sequence[Mapping[int, Strip]]", chops)

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        screen = self.size.region
        dirty = Region.from_union(list(update_regions)).intersection(screen)
        # The full width of the dirty lines, so that every piece on them is drawn by its true owner.
        crop = Region(0, dirty.y, screen.width, dirty.height)
        spans = list(self._regions_to_spans(update_regions))
        if not spans:
            return None
        chops = self._render_chops(crop, {y for y, _, _ in spans}.__contains__)
        return WholeCharChopsUpdate(chops, spans, [cut_set[1:] for cut_set in self.cuts])


def install() -> None:
    """Every screen (Textual's own too: the command palette, dialogs) composes with WholeCharCompositor."""
    textual.screen.Compositor = WholeCharCompositor  # type: ignore[misc]

