"""The footer of every console screen: Textual's Footer, redrawn only where its keys changed, and laid
out with the screen's own changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# What a footer key shows and does; two keys with the same tuple look and act the same.
KeyLook = tuple[str, str, str, str, bool, str, str]
STATE_CLASSES = ("-disabled", "-command-palette")


def look(key: FooterKey) -> KeyLook:
    classes = " ".join(name for name in STATE_CLASSES if name in key.classes)
    return key.key, key.key_display, key.description, key.action, key._disabled, str(key.tooltip or ""), classes


class SteadyKey(FooterKey):
    """A footer key that takes new keys in place and whose new width costs no layout of its own."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # A widget whose size changed sets its `virtual_size`, which lays the whole screen out once more;
        # a key never scrolls, so that size is only noted.
        return super()._size_updated(size, virtual_size, container_size, layout=False)

    def take(self, new: FooterKey) -> None:
        """Show and do what `new` does (the footer asks for the layout)."""
        self.display = True
        self.key, self.key_display, self.description, self.action = \
            new.key, new.key_display, new.description, new.action
        self._disabled = new._disabled
        self.tooltip = new.tooltip
        for name in STATE_CLASSES:
            self.set_class(name in new.classes, name)
        self._layout_updates += 1  # its cached width is stale
        self.refresh()


class ConsoleFooter(Footer):
    """Textual's footer composes all its keys anew whenever the screen's bindings are refreshed: on every
    focus change and every `refresh_bindings` (the clock's tick, a row highlighted), twenty-odd widgets are
    mounted and, after the frame that showed what changed, the whole screen is laid out again (twice: the
    keys' widths, then their sizes). This one compares the keys first and, when they differ, gives the key
    widgets it has the new keys at once, hiding the ones left over and mounting only those missing, so that
    a page and its keys are laid out and drawn together, once."""

    def compose(self) -> ComposeResult:
        # Footer.compose without its key groups (the console has none) and without setting the grid's
        # column count, which lays out every key again though a footer is no grid.
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        actions: set[str] = set()
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in actions:  # the first key of an action stands for all
                actions.add(binding.action)
                key = SteadyKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                                disabled=not enabled, tooltip=tooltip)
                yield key.data_bind(compact=Footer.compact)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            _, binding, enabled, _ = palette
            yield SteadyKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            classes="-command-palette", disabled=not enabled,
                            tooltip=binding.tooltip or binding.description)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            return
        shown = list(self.query_children(SteadyKey))
        if not all(key.is_mounted for key in shown):  # a key not mounted yet would keep its first width
            self.call_after_refresh(self.bindings_changed, screen)
            return
        # At once, so that the layout the keys need is the one the screen does for what changed them.
        wanted = list(self.compose())
        changed = False
        for old, new in zip(shown, wanted, strict=False):
            if look(old) != look(new) or not old.display:
                old.take(new)
                changed = True
        for spare in shown[len(wanted):]:
            if spare.display:
                spare.display = False  # kept for the next screen of keys: hiding costs no mount, no prune
                changed = True
        if changed:
            # One layout of the footer stands for the keys' own: each key's request would reach the screen
            # only after the frame that shows the page, and lay the whole screen out a second time.
            for key in shown:
                key._layout_required = False
            self._clear_arrangement_cache()
            self.refresh(layout=True)
        if len(wanted) > len(shown):
            self.call_next(self.mount_all, wanted[len(shown):])
