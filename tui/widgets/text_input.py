"""The console's one-line text field: Textual's Input, without a layout of the whole screen per keystroke.

Input keeps its virtual size at the width of its text (so that it can scroll), and sets it on every change
of its value. Textual declares `virtual_size` as a reactive that asks for a layout, so each key typed into a
field laid out the whole screen again: ~18 ms of CPU per character in the launch wizard, most of what a key
cost. A field's virtual size decides its size only when it is sized by its content (`width: auto`), and Input
already asks for a layout itself in that case; every field of the console has a width of its own.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class TextInput(Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
