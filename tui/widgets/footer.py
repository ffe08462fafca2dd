"""The footer of every console screen: Textual's Footer, redrawn only where its keys changed."""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# What a footer key shows and does; two keys with the same tuple look and act the same.
KeyLook = tuple[str, str, str, str, bool, str, str]
STATE_CLASSES = ("-disabled", "-command-palette")


def _consumes_nothing(key: str, character: str | None) -> bool:
    return False


def reachable_bindings(screen: Screen[object], active: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    """`Screen.active_bindings` as they are when no field takes printable keys. While an Input has the focus,
    Textual drops the bindings of the keys it types (`?` Help, `L` Lab): the footer shows them dimmed where
    they were, rather than shifting every key after them, which redrew the footer and laid out the whole
    screen again on 26 of 40 Tabs through the launch wizard (BENCHMARKS.md). `active`: the screen's
    `active_bindings`, which are these when nothing has the focus."""
    focused = screen.focused
    if focused is None:
        return active
    nodes = list(focused.ancestors_with_self)
    for node in nodes:  # what Screen._binding_chain asks each node of the chain; put back at once
        node.check_consume_key = _consumes_nothing  # type: ignore[method-assign]
    try:
        return screen.active_bindings
    finally:
        for node in nodes:
            del node.check_consume_key


def look(key: FooterKey) -> KeyLook:
    classes = " ".join(name for name in STATE_CLASSES if name in key.classes)
    return key.key, key.key_display, key.description, key.action, key._disabled, str(key.tooltip or ""), classes


class KeySpec(NamedTuple):
    """A footer key as the screen's bindings want it, before (and without) a widget for it."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    palette: bool = False  # the command palette's key

    @property
    def classes(self) -> tuple[str, ...]:
        states = {"-disabled": self.disabled, "-command-palette": self.palette}
        return tuple(name for name in STATE_CLASSES if states[name])

    def look(self) -> KeyLook:
        return (self.key, self.key_display, self.description, self.action, self.disabled, self.tooltip,
                " ".join(self.classes))

    def widget(self) -> SteadyKey:
        # `-compact` is the class of FooterKey's default, compact: given here, mounting does not restyle the key
        # to add it (a bound footer that is not compact takes it away).
        key = SteadyKey(self.key, self.key_display, self.description, self.action, disabled=self.disabled,
                        tooltip=self.tooltip, classes="-compact -command-palette" if self.palette else "-compact")
        return key if self.palette else key.data_bind(compact=Footer.compact)


class SteadyKey(FooterKey):
    """A footer key whose new width costs one layout of the screen, not two."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # A widget whose size changed sets its `virtual_size`, which lays the whole screen out once more;
        # a key never scrolls, so that size is only noted.
        return super()._size_updated(size, virtual_size, container_size, layout=False)


class ConsoleFooter(Footer):
    """Textual's footer composes all its keys anew whenever the screen's bindings are refreshed: on every
    focus change and every `refresh_bindings` (the clock's tick, a row highlighted), twenty-odd widgets are
    mounted and the whole screen laid out again, half the work of a page switch and most of an idle
    console's. This one compares the keys first, as plain `KeySpec`s (making key widgets only to compare them
    was a third of the footer's CPU), and, when they differ, gives the key widgets it has the new keys,
    hiding the ones left over and mounting only those missing: one more layout, after the frame that shows
    what changed. (Taking the keys before that frame, in the same layout, saved it, but a key restyled
    meanwhile kept its old width.)"""

    def compose(self) -> ComposeResult:
        # Footer.compose without its key groups (the console has none) and without setting the grid's
        # column count, which lays out every key again though a footer is no grid.
        for spec in self._wanted():
            yield spec.widget()

    def _wanted(self) -> list[KeySpec]:
        if not self._bindings_ready:
            return []
        active = self.screen.active_bindings
        actions: set[str] = set()
        wanted: list[KeySpec] = []
        for key_name, (_, binding, enabled, tooltip) in reachable_bindings(self.screen, active).items():
            if binding.show and binding.action not in actions:  # the first key of an action stands for all
                actions.add(binding.action)
                wanted.append(KeySpec(binding.key, self.app.get_key_display(binding), binding.description,
                                      binding.action, not enabled or key_name not in active, tooltip or ""))
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            _, binding, enabled, _ = palette
            wanted.append(KeySpec(binding.key, self.app.get_key_display(binding), binding.description,
                                  binding.action, not enabled, binding.tooltip or binding.description, palette=True))
        return wanted

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._update_keys)  # after the frame that shows what changed

    async def _update_keys(self) -> None:
        if not self.is_attached:  # its screen closed meanwhile
            return
        wanted = self._wanted()
        shown = list(self.query_children(FooterKey))
        if len(shown) != len(list(self.children)):
            await self.recompose()
            return
        for old, new in zip(shown, wanted, strict=False):
            old.display = True
            if look(old) != new.look():
                _take(old, new)
        for spare in shown[len(wanted):]:
            spare.display = False  # kept for the next screen of keys: hiding costs no mount, no prune
        if len(wanted) > len(shown):
            await self.mount_all([spec.widget() for spec in wanted[len(shown):]])


def _take(old: FooterKey, new: KeySpec) -> None:
    """Make the mounted key `old` show and do what `new` says: laid out again only if its width changes (a key
    dimmed or lit keeps its place)."""
    width = _text_width(old)
    old.key, old.key_display, old.description, old.action = new.key, new.key_display, new.description, new.action
    old._disabled = new.disabled
    old.tooltip = new.tooltip or None
    for name in STATE_CLASSES:
        old.set_class(name in new.classes, name)
    old.refresh(layout=_text_width(old) != width)


def _text_width(key: FooterKey) -> int:
    return cell_len(key.key_display) + cell_len(key.description)
