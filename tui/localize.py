"""Key bindings and screens in the learner's language, switchable while the console runs.

`BINDINGS` descriptions are i18n keys (e.g. `Binding("x", "run('stop')", "action.stop")`).
Textual copies a class's bindings into each node when it is created; `localize_bindings`
swaps that copy for one whose descriptions are translated, so the footer, the help screen
and the command palette all speak the current language. Screens re-render themselves from
their own state when the language changes (`Localized.relocalize`), so a screen must
keep what the learner typed in attributes, not only in its widgets.

Textual has no public way to change a binding's description: this writes `_merged_bindings`'s copy into
the node's `_bindings`. pyproject.toml pins Textual's major version, and tests/tui/test_tui_localize_internals.py
fails if a release moves either.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.widget import Widget

from tui.typed_app import app_of

if TYPE_CHECKING:
    from tui.i18n import Translator


def localize_bindings(node: DOMNode, t: Translator) -> None:
    source = type(node)._merged_bindings
    if source is None:
        return
    node._bindings = BindingsMap.from_keys(
        {key: [_translated(binding, t) for binding in bindings] for key, bindings in source.key_to_bindings.items()}
    )


def is_console_binding(node: DOMNode, binding: Binding, t: Translator) -> bool:
    """Whether `binding` is one of ours (its class declared it with an i18n key), not one of the
    keys Textual's own widgets bring (cursor moves, copy…)."""
    source = type(node)._merged_bindings
    declared = source.key_to_bindings.get(binding.key, []) if source else []
    return any(b.action == binding.action and t.has(b.description) for b in declared)


def _translated(binding: Binding, t: Translator) -> Binding:
    return replace(binding, description=t(binding.description), tooltip=t(binding.tooltip) if binding.tooltip else "")


# Screens and widgets mix this in: to the type checker it is a widget (Screen is one too).
if TYPE_CHECKING:
    _Node = Widget
else:
    _Node = object


class Localized(_Node):
    """Mixin for screens and widgets whose BINDINGS carry i18n keys.

    Put what `compose` alone does not set up (live values, focus, replayed output) in
    `composed()`: it runs once mounted (after the class's own on_mount) and again after the
    recompose a language switch does. One-time setup (event subscriptions) stays in on_mount.
    """

    composing = True  # until mounted, and again while a language switch composes it anew

    def on_mount(self) -> Awaitable[None] | None:
        # Not `async def`: a subclass's own on_mount, plain or async, then overrides it in good type order.
        # Textual calls every class's on_mount along the MRO and awaits what a handler returns.
        return self._localized_mount()

    async def _localized_mount(self) -> None:
        self.composing = False  # Textual mounts a widget once its composed children are
        if not settled(self):  # the app closed while it was being mounted (a page built hidden at start)
            return
        localize_bindings(self, app_of(self).t)
        await self.composed()

    async def composed(self) -> None:
        """Bring freshly composed widgets up to date with the screen's state."""

    async def recompose(self) -> None:
        self.composing = True
        try:
            await super().recompose()
        finally:
            self.composing = False

    async def relocalize(self) -> None:
        """After a language switch: translate the bindings and compose again from state."""
        localize_bindings(self, app_of(self).t)
        await self.recompose()
        await self.composed()
        self.refresh_bindings()


def settled(node: DOMNode) -> bool:
    """Whether the widgets `node` composed are all there, for a callback that reaches into them (a clock
    tick, a cloud event, a lab's progress). Not before they are mounted, nor while a language switch composes
    them anew, nor while Textual removes the node: it takes the children first, and the node's own timers
    and workers run in between. Nor once the app is closing: the screens it keeps aside (the launch wizard)
    are closed one widget at a time, never marked as removed."""
    if not node.is_attached or node._pruning or node._closing or not node.app.is_running:
        return False
    return not (isinstance(node, Localized) and node.composing)
