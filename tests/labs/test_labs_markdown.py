"""Lab instructions and hints are Markdown (the lab panel renders them): every emphasis must close.

CommonMark closes `**` only where it is right-flanking: after a parenthesis it must be followed by a space
or punctuation, which Korean particles are not. `**정상(healthy)**인지` showed its asterisks to the learner;
`**정상**(healthy)인지` reads the same and renders bold.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt

from labs import Text, list_labs, load_lab

PARSER = MarkdownIt("commonmark")


def _markdown(lab_id: str) -> Iterator[tuple[str, Text]]:
    for step in load_lab(lab_id).steps:
        yield f"{step.id} instructions", step.instructions
        for n, hint in enumerate(step.hints, 1):
            yield f"{step.id} hint {n}", hint


def _stray_markers(markdown: str) -> list[str]:
    """Text the learner would see with `**` or `__` still in it (code spans and blocks are left alone)."""
    texts = [child.content for token in PARSER.parse(markdown) if token.type == "inline"
             for child in token.children or () if child.type == "text"]
    return [text for text in texts if "**" in text or "__" in text]


@pytest.mark.parametrize("lab_id", [info.id for info in list_labs() if not info.broken])
def test_every_emphasis_in_a_lab_closes_in_both_languages(lab_id: str) -> None:
    stray = {(where, lang): found for where, text in _markdown(lab_id) for lang in ("ko", "en")
             if (found := _stray_markers(text.get(lang)))}
    assert stray == {}
