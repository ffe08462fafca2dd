"""EC2 › Instances › Launch an instance: the console's one-page launch form and its summary."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Collapsible,
    Label,
    RadioSet,
    Select,
    Static,
    TextArea,
)

from mock_cloud import (
    DEFAULT_IMAGE_ID,
    DEFAULT_INSTANCE_TYPE,
    IMAGES,
    INSTANCE_TYPES,
    USER_DATA_LIMIT,
    CloudError,
    Instance,
)
from tui.format import iso_time, tone_style
from tui.offscreen import prepare
from tui.rules import RuleDraft
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import run_cloud
from tui.typed_app import app_of
from tui.widgets.form import BoundForm, ErrorLine, NumberInput, Section, field
from tui.widgets.header import ConsoleHeader
from tui.widgets.text_input import TextInput
from tui.widgets.toggles import Checkbox, RadioButton, SelectionList

NO_KEY_PAIR = "none"
COSMETIC_KEY_PAIR = "lblab-key"
NO_PREFERENCE = "any"
# What the summary panel shows (other fields change nothing there).
SUMMARY_FIELDS = {"image_id", "instance_type", "create_group", "existing_groups", "user_data"}
# "Create security group" checkboxes and the rule each adds (from anywhere), as in the console.
FIREWALL_PRESETS = (("allow_ssh", "ssh"), ("allow_https", "https"), ("allow_http", "http"))
# The one wizard an app keeps (installed under this name) and opens again with its fields reset.
SCREEN_NAME = "launch-wizard"
# Changed messages a reset would send: the form is already reset, and a late one could undo a key typed meanwhile.
RESET_QUIET = (TextInput.Changed, Select.Changed, Checkbox.Changed, TextArea.Changed, SelectionList.SelectedChanged)


def open_launch_wizard(app: App[Any]) -> None:
    """Push the launch wizard. Composing and styling its ~190 widgets costs ~0.7 s of CPU, so the first
    one is installed and kept, and each later opening resets its fields instead (a new one after a
    language switch, which only reaches the screens on the stack)."""
    if app.is_screen_installed(SCREEN_NAME):
        wizard = app.get_screen(SCREEN_NAME)
        if isinstance(wizard, LaunchWizardScreen) and wizard.lang == app_of(app).t.lang:
            wizard.reset()
            app.push_screen(wizard)
            return
        app.uninstall_screen(SCREEN_NAME)
        wizard.remove()
    wizard = LaunchWizardScreen()
    app.install_screen(wizard, SCREEN_NAME)
    app.push_screen(wizard)


async def ready_launch_wizard(app: App[Any]) -> None:
    """Build the kept wizard hidden (mounted, laid out, drawn unseen), so that its first opening only resets it too."""
    if app.is_screen_installed(SCREEN_NAME):
        return
    wizard = LaunchWizardScreen()
    app.install_screen(wizard, SCREEN_NAME)
    await prepare(app, wizard)


@dataclass
class LaunchForm:
    name: str = ""
    image_id: str = DEFAULT_IMAGE_ID
    instance_type: str = DEFAULT_INSTANCE_TYPE
    key_pair: str = NO_KEY_PAIR
    subnet_id: str = NO_PREFERENCE
    public_ip: str = "enable"
    create_group: bool = True
    allow_ssh: bool = True
    allow_https: bool = False
    allow_http: bool = False
    existing_groups: list[str] = dataclass_field(default_factory=list)
    user_data: str = ""
    count: str = "1"
    # A group this form already created on an earlier, failed try: reused rather than made again.
    created_group_id: str | None = None
    error: CloudError | str | None = None

    def user_data_size(self) -> int:
        return len(self.user_data.encode("utf-8"))

    def firewall_rules(self) -> list[RuleDraft]:
        return [RuleDraft.preset(kind) for flag, kind in FIREWALL_PRESETS if getattr(self, flag)]


class LaunchWizardScreen(WorkScreen[None], BoundForm):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "button.cancel"),
        Binding("ctrl+s", "launch", "launch.launch"),
    ]
    # No focus from Textual: `_show_fields` gives it to the name once the fields are set. Textual's default, the
    # first focusable widget, is the form itself: focusing it and then the name restyled its ~70 widgets twice,
    # a quarter of the CPU of building the wizard.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self.form = LaunchForm()
        self.launching = False
        self.lang = ""

    # -- composition ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = app_of(self).t
        self.lang = t.lang
        yield ConsoleHeader(t("launch.title"))
        with Horizontal(id="wizard"):
            with VerticalScroll(id="wizard-form"):
                yield Static(t("launch.intro"), classes="screen-note", markup=False)
                yield from self._name_section()
                yield from self._image_section()
                yield from self._type_section()
                yield from self._key_section()
                yield from self._network_section()
                yield Section(t("launch.storage"), Label(t("launch.storage_value"), classes="field-value"))
                yield from self._advanced_section()
            with Vertical(id="wizard-summary", classes="form-section") as summary:
                summary.border_title = t("launch.summary")
                yield from field(t("launch.count"), NumberInput(self.form.count, max_length=2, id="count"))
                yield Static(id="summary-text")
                yield ErrorLine(id="error")
                with Horizontal(classes="form-buttons"):
                    yield Button(t("button.cancel"), id="cancel", compact=True)
                    yield Button(t("launch.launch"), id="launch", variant="primary", compact=True)
        yield from self.footer()

    def _name_section(self) -> ComposeResult:
        t = app_of(self).t
        yield Section(t("launch.name_tags"), *field(t("col.name"), TextInput(
            self.form.name, placeholder=t("launch.name_placeholder"), id="name", compact=True)))

    def _image_section(self) -> ComposeResult:
        t = app_of(self).t
        options = [(image.description, image.image_id) for image in IMAGES.values()]
        yield Section(
            t("launch.ami"),
            *field(t("launch.ami_pick"), Select(options, value=self.form.image_id, allow_blank=False,
                                               id="image_id", compact=True)),
            Label(id="image-info", classes="field-hint", markup=False),
        )

    def _type_section(self) -> ComposeResult:
        t = app_of(self).t
        options = [
            (t("launch.type_option", name=it.name, vcpus=it.vcpus, memory=f"{it.memory_mib / 1024:g}")
             + (f" · {t('launch.free_tier')}" if it.free_tier else ""), it.name)
            for it in INSTANCE_TYPES.values()
        ]
        yield Section(t("col.instance_type"), Select(options, value=self.form.instance_type, allow_blank=False,
                                                     id="instance_type", compact=True))

    def _key_section(self) -> ComposeResult:
        t = app_of(self).t
        options = [(t("launch.no_key_pair"), NO_KEY_PAIR), (COSMETIC_KEY_PAIR, COSMETIC_KEY_PAIR)]
        yield Section(t("launch.key_pair"), *field(
            t("launch.key_pair_name"),
            Select(options, value=self.form.key_pair, allow_blank=False, id="key_pair", compact=True),
            hint=t("launch.key_pair_hint"),
        ))

    def _network_section(self) -> ComposeResult:
        t = app_of(self).t
        vpc = app_of(self).cloud.ec2.default_vpc
        yield Section(
            t("launch.network"),
            *field(t("field.vpc_id"), Label(t("launch.vpc_value", vpc=vpc.vpc_id, cidr=vpc.cidr_block),
                                            classes="field-value")),
            *field(t("launch.subnet"), Select(self._subnet_options(), value=self.form.subnet_id, allow_blank=False,
                                              id="subnet_id", compact=True)),
            *field(t("field.auto_public_ip"), Select(
                [(t("enable"), "enable"), (t("disable"), "disable")], value=self.form.public_ip,
                allow_blank=False, id="public_ip", compact=True)),
            Label(t("launch.firewall"), classes="field-label"),
            RadioSet(
                RadioButton(t("launch.create_sg"), value=self.form.create_group, id="firewall-create"),
                RadioButton(t("launch.existing_sg"), value=not self.form.create_group, id="firewall-existing"),
                id="firewall", compact=True,
            ),
            Vertical(
                Label(self._create_group_note(), classes="field-hint", markup=False, id="create-group-note"),
                *(Checkbox(t(f"launch.{flag}"), getattr(self.form, flag), id=flag, compact=True)
                  for flag, _ in FIREWALL_PRESETS),
                Label(t("launch.anywhere_warning"), classes="field-hint", markup=False),
                id="create-group",
            ),
            SelectionList[str](*self._group_options(), id="existing_groups", compact=True),
        )

    def _subnet_options(self) -> list[tuple[str, str]]:
        ec2 = app_of(self).cloud.ec2
        return [(app_of(self).t("launch.no_preference"), NO_PREFERENCE)] + [
            (f"{s.subnet_id} · {s.availability_zone} · {s.cidr_block}", s.subnet_id)
            for s in ec2.subnets_of(ec2.default_vpc.vpc_id)
        ]

    def _group_options(self) -> list[tuple[str, str, bool]]:
        return [(f"{g.group_name} · {g.group_id}", g.group_id, g.group_id in self.form.existing_groups)
                for g in app_of(self).cloud.ec2.describe_security_groups()]

    def _create_group_note(self) -> str:
        return app_of(self).t("launch.create_sg_note", name=self._new_group_name())

    def _advanced_section(self) -> ComposeResult:
        t = app_of(self).t
        yield Collapsible(
            *field(t("launch.user_data"), TextArea(self.form.user_data, id="user_data", language=None,
                                                   soft_wrap=False, show_line_numbers=True),
                   hint=t("launch.user_data_hint")),
            Label(id="user-data-size", classes="field-hint"),
            title=t("launch.advanced"), collapsed=not self.form.user_data, id="advanced",
        )

    def reset(self) -> None:
        """Opened again: every field as a new wizard composes it, from the cloud as it is now."""
        self.form, self.launching = LaunchForm(), False
        form = self.form
        with self.prevent(*RESET_QUIET):
            self.query_one("#name", TextInput).value = form.name
            self.query_one("#count", TextInput).value = form.count
            self.query_one("#subnet_id", Select).set_options(self._subnet_options())
            for select_id in ("image_id", "instance_type", "key_pair", "subnet_id", "public_ip"):
                self.query_one(f"#{select_id}", Select).value = getattr(form, select_id)
            for flag, _ in FIREWALL_PRESETS:
                self.query_one(f"#{flag}", Checkbox).value = getattr(form, flag)
            self.query_one("#firewall-create", RadioButton).value = form.create_group
            groups = self.query_one("#existing_groups", SelectionList)
            groups.clear_options()
            groups.add_options(self._group_options())
            self.query_one("#user_data", TextArea).load_text(form.user_data)
        self.query_one("#advanced", Collapsible).collapsed = not form.user_data
        self.query_one("#create-group-note", Label).update(self._create_group_note())
        self.query_one("#launch", Button).disabled = False
        self.query_one("#wizard-form", VerticalScroll).scroll_home(animate=False)
        self._show_fields()

    # -- live parts ------------------------------------------------------------------------------
    async def composed(self) -> None:
        self._show_fields()

    def _show_fields(self) -> None:
        for name in ("image_id", "create_group", "user_data", "error"):
            self.form_changed(name)
        self.query_one("#name", TextInput).focus()

    def form_changed(self, name: str) -> None:
        if name == "image_id":
            image = IMAGES[self.form.image_id]
            self.query_one("#image-info", Label).update(f"{image.image_id} · {image.name} · {image.owner_id}")
        if name == "create_group":
            self.query_one("#create-group").display = self.form.create_group
            self.query_one("#existing_groups").display = not self.form.create_group
        if name == "user_data":
            self._show_user_data_size()
        if name == "error":
            self.query_one("#error", ErrorLine).show_error(self.form.error)
        if name in SUMMARY_FIELDS:
            self._show_summary()

    @on(RadioSet.Changed, "#firewall")
    def _firewall(self, event: RadioSet.Changed) -> None:
        self.form.create_group = event.pressed.id == "firewall-create"
        self.form_changed("create_group")

    def _show_user_data_size(self) -> None:
        t = app_of(self).t
        size = self.form.user_data_size()
        label = Text(t("launch.user_data_size", size=f"{size:,}", limit=f"{USER_DATA_LIMIT:,}"))
        if size > USER_DATA_LIMIT:
            label.stylize(tone_style(self.app, "error"))
        self.query_one("#user-data-size", Label).update(label)

    def _show_summary(self) -> None:
        t = app_of(self).t
        form = self.form
        if form.create_group:
            firewall = t("launch.summary_new_sg", name=self._new_group_name())
        else:
            firewall = ", ".join(self._group_names(form.existing_groups)) or t("launch.summary_no_sg")
        lines = [
            (t("launch.summary_image"), IMAGES[form.image_id].description),
            (t("launch.summary_type"), form.instance_type),
            (t("launch.summary_firewall"), firewall),
            (t("launch.summary_storage"), t("launch.summary_storage_value")),
            (t("launch.user_data"), t("launch.user_data_size", size=f"{form.user_data_size():,}",
                                      limit=f"{USER_DATA_LIMIT:,}") if form.user_data else "–"),
        ]
        text = Text()
        for label, value in lines:
            text.append(f"{label}\n", style="bold")
            text.append(f"{value}\n\n")
        self.query_one("#summary-text", Static).update(text)

    def _group_names(self, group_ids: list[str]) -> list[str]:
        groups = app_of(self).cloud.ec2.security_groups
        return [groups[g].group_name if g in groups else g for g in group_ids]

    def _new_group_name(self) -> str:
        if self.form.created_group_id:
            group = app_of(self).cloud.ec2.security_groups.get(self.form.created_group_id)
            if group is not None:
                return group.group_name
        taken = {g.group_name for g in app_of(self).cloud.ec2.describe_security_groups()}
        number = 1
        while f"launch-wizard-{number}" in taken:
            number += 1
        return f"launch-wizard-{number}"

    # -- launching --------------------------------------------------------------------------------
    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#launch")
    def _launch_pressed(self) -> None:
        self.action_launch()

    def action_launch(self) -> None:
        if self.launching:
            return
        self.launching = True
        self.query_one("#launch", Button).disabled = True
        self.form.error = None
        self.form_changed("error")
        run_cloud(self, self._launch, self._launched, self._failed)

    async def _launch(self) -> list[Instance]:
        form, ec2 = self.form, app_of(self).cloud.ec2
        count = int(form.count) if form.count.isdigit() else 0
        groups = [await self._firewall_group()] if form.create_group else form.existing_groups
        return await ec2.run_instances(
            form.image_id, form.instance_type, count,
            name=form.name.strip() or None,
            subnet_id=None if form.subnet_id == NO_PREFERENCE else form.subnet_id,
            security_group_ids=groups or None,
            user_data=form.user_data,
            key_name=None if form.key_pair == NO_KEY_PAIR else form.key_pair,
            associate_public_ip=form.public_ip == "enable",
        )

    async def _firewall_group(self) -> str:
        """The console creates the wizard's group (and its rules) just before it launches."""
        ec2 = app_of(self).cloud.ec2
        if self.form.created_group_id in ec2.security_groups:
            return self.form.created_group_id
        name = self._new_group_name()
        created = iso_time(app_of(self).cloud.clock.now())
        group = await ec2.create_security_group(name, f"{name} created {created}")
        self.form.created_group_id = group.group_id
        rules = self.form.firewall_rules()
        if rules:
            await ec2.authorize(group.group_id, [rule.to_spec() for rule in rules])
        return group.group_id

    def _launched(self, instances: list[Instance]) -> None:
        t = app_of(self).t
        ids = ", ".join(i.instance_id for i in instances)
        self.app.notify(t("launch.done", ids=ids), title=t("notify.success"))
        self.app.pop_screen()
        app_of(self).call_later(app_of(self).show_resource, "instances", instances[0].instance_id)

    def _failed(self, error: CloudError) -> None:
        self.launching = False
        self.query_one("#launch", Button).disabled = False
        self.form.error = error
        self.form_changed("error")
