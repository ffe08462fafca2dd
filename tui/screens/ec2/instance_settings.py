"""Instance settings dialogs: Actions › Security › Change security groups and Actions › Instance settings ›
Change instance type / Edit user data. Each dismisses with the new value (None when cancelled, or when it
could only be viewed); the page applies it."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label, Select, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from mock_cloud import IMAGES, INSTANCE_TYPES, Instance
from tui.localize import Localized
from tui.typed_app import app_of

T = TypeVar("T")


class SettingDialog(Localized, ModalScreen[T | None], Generic[T]):
    """A title, a note, one input and Cancel / Save."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "key.cancel")]
    TITLE_KEY: ClassVar[str] = ""
    NOTE_KEY: ClassVar[str] = ""

    def __init__(self, instance: Instance) -> None:
        super().__init__()
        self.instance = instance

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        name = self.instance.name or self.instance.instance_id
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"{t(self.TITLE_KEY)} › {name}", classes="dialog-title", markup=False)
            yield Static(t(self.note_key(), id=self.instance.instance_id), classes="dialog-body", markup=False)
            yield self.input()
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("button.cancel"), id="cancel", compact=True)
                yield Button(t("settings.save"), id="save", variant="primary", compact=True,
                             disabled=not self.editable())

    def note_key(self) -> str:
        return self.NOTE_KEY

    def editable(self) -> bool:
        return True

    def input(self) -> Widget:
        raise NotImplementedError

    def value(self) -> T:
        raise NotImplementedError

    async def composed(self) -> None:
        self.query_one("#setting").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.value() if event.button.id == "save" else None)


class ChangeInstanceTypeScreen(SettingDialog[str]):
    """The types the instance's AMI can run (the console greys out the others)."""

    TITLE_KEY = "action.change_instance_type"
    NOTE_KEY = "settings.type_note"

    def input(self) -> Widget:
        image = IMAGES.get(self.instance.image_id)
        architecture = image.architecture if image else "x86_64"
        options = [(f"{it.name} · {it.vcpus} vCPU · {it.memory_mib / 1024:g} GiB", it.name)
                   for it in INSTANCE_TYPES.values() if it.architecture == architecture]
        return Select(options, value=self.instance.instance_type, allow_blank=False, id="setting", compact=True)

    def value(self) -> str:
        return str(self.query_one("#setting", Select).value)


class ChangeSecurityGroupsScreen(SettingDialog[list[str]]):
    """The groups of the instance's VPC, the current ones ticked."""

    TITLE_KEY = "action.change_security_groups"
    NOTE_KEY = "settings.groups_note"

    def input(self) -> Widget:
        ec2: Any = app_of(self).cloud.ec2
        groups = [g for g in ec2.describe_security_groups() if g.vpc_id == self.instance.vpc_id]
        return SelectionList[str](*(Selection(f"{g.group_name} · {g.group_id}", g.group_id,
                                              g.group_id in self.instance.security_group_ids) for g in groups),
                                  id="setting", compact=True)

    def value(self) -> list[str]:
        return list(self.query_one("#setting", SelectionList).selected)


class EditUserDataScreen(SettingDialog[str]):
    """The user data as typed (the console decodes it): read-only unless the instance is stopped, as on AWS."""

    TITLE_KEY = "action.edit_user_data"

    def editable(self) -> bool:
        return self.instance.state == "stopped"

    def note_key(self) -> str:
        return "settings.user_data_note" if self.editable() else "settings.user_data_running_note"

    def input(self) -> Widget:
        return TextArea(self.instance.user_data, id="setting", language=None, soft_wrap=False,
                        read_only=not self.editable(), show_line_numbers=False, classes="user-data-editor")

    def value(self) -> str:
        return self.query_one("#setting", TextArea).text
