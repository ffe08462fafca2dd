"""The console app, typed, for the screens and widgets that use its own attributes.

Textual types `node.app` as a plain `App`; the console's own attributes (`cloud`, `t`, `edge_url`,
`show_resource`…) are reached through `app_of(node)`, which says which app it is (Posting's
`cast("Posting", self.app)`), so the type checker follows every use instead of being told to look away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.app import App

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from tui.app import LblabApp


def app_of(node: MessagePump) -> LblabApp:
    """The console app `node` runs in (`node` itself when it is the app)."""
    app: App[Any] = node if isinstance(node, App) else node.app
    return cast("LblabApp", app)
