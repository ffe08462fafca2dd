"""The lab picker: every guided lab with its time, size and the learner's progress; Enter opens one.

A lab file that does not load is listed too, greyed out, with the loader's error (file, line, what
was expected), so a typo in a lab never hides it or crashes the console. The screen dismisses with
the chosen lab's id (None: explore the console on your own).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from labs import LabInfo, ProgressStore, list_labs
from tui.format import tone_style
from tui.localize import Localized
from tui.typed_app import app_of
from tui.widgets.lab_state import open_lab_of


class LabPickerScreen(Localized, ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "key.close")]

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        with Vertical(id="lab-picker", classes="dialog"):
            yield Label(t("lab.picker.title"), classes="dialog-title")
            yield Static(t("lab.picker.intro"), classes="dialog-body")
            yield OptionList(*self._options(), id="lab-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("button.close"), id="lab-close", compact=True)
                yield Button(t("lab.key.start"), id="lab-start", variant="primary", compact=True)

    async def composed(self) -> None:
        options = self.query_one("#lab-list", OptionList)
        options.focus()
        opened = open_lab_of(self.app)
        if opened is not None and opened.session.lab.id in {o.id for o in options.options}:
            options.highlighted = options.get_option_index(opened.session.lab.id)

    def _options(self) -> list[Option]:
        store = ProgressStore.for_cloud(app_of(self).cloud)
        return [Option(self._prompt(number, info, store), id=info.id, disabled=info.broken)
                for number, info in enumerate(list_labs(), 1)]

    def _prompt(self, number: int, info: LabInfo, store: ProgressStore) -> Text:
        t, lang = app_of(self).t, app_of(self).t.lang
        if info.broken:
            prompt = Text(f"{number}. {info.id} — {t('lab.picker.broken')}",
                          style=f"bold {tone_style(self.app, 'error')}")
            prompt.append(f"\n{info.error}\n", style="dim")
            return prompt
        prompt = Text(f"{number}. {info.title.get(lang)}", style="bold")
        status = [t("lab.picker.meta", minutes=info.estimated_minutes, steps=info.step_count)]
        progress = store.get(info.id)
        opened = open_lab_of(self.app)
        if progress.finished:
            status.append(t("lab.picker.done"))
        elif progress.elapsed > 0:
            status.append(t("lab.picker.in_progress", number=progress.step + 1, count=info.step_count))
        if opened is not None and opened.session.lab.id == info.id:
            status.append(t("lab.picker.open"))
        prompt.append("\n" + " · ".join(status), style=tone_style(self.app, "accent"))
        prompt.append(f"\n{info.description.get(lang)}\n")
        return prompt

    @on(OptionList.OptionSelected, "#lab-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Button.Pressed, "#lab-start")
    def _start(self) -> None:
        options = self.query_one("#lab-list", OptionList)
        option = options.highlighted_option
        if option is None or option.disabled:
            self.app.bell()
            return
        self.dismiss(option.id)

    @on(Button.Pressed, "#lab-close")
    def _close(self) -> None:
        self.dismiss(None)
