"""tui/localize.py translates key bindings by writing two of Textual's private attributes: the class's
`_merged_bindings` (what BINDINGS became) and the node's own copy `_bindings`. Textual has no public
way to change a binding's description, so pyproject.toml pins Textual's major version and this test
fails the day a Textual release moves them, before a learner sees untranslated footers."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.widgets import Static

from tui.i18n import Translator
from tui.localize import is_console_binding, localize_bindings


class Probe(Static, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "noop", "button.cancel")]

    def action_noop(self) -> None:
        """The binding needs an action to be shown."""


class ProbeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Probe("probe")


def test_textual_still_keeps_a_class_s_bindings_where_localize_reads_them() -> None:
    merged = Probe._merged_bindings
    assert isinstance(merged, BindingsMap)
    assert [b.description for b in merged.key_to_bindings["x"]] == ["button.cancel"]


async def test_swapping_a_node_s_bindings_changes_what_the_footer_shows() -> None:
    t = Translator("ko")
    app = ProbeApp()
    async with app.run_test() as pilot:
        probe = app.query_one(Probe)
        probe.focus()
        await pilot.pause()
        localize_bindings(probe, t)
        probe.refresh_bindings()
        await pilot.pause()
        shown = app.screen.active_bindings["x"].binding
        assert shown.description == t("button.cancel") != "button.cancel"
        assert is_console_binding(probe, shown, t)
        # The class's own bindings stay untouched: a node created later starts from the keys again.
        assert Probe._merged_bindings is not None
        assert Probe._merged_bindings.key_to_bindings["x"][0].description == "button.cancel"
