"""EC2 › Instances: the table, the instance actions and the Details / Security / Networking / Storage /
User data tabs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Button

from mock_cloud import IMAGES, USER_DATA_LIMIT, AttributeChange, Instance
from tui.format import cloud_time, plain, state_text
from tui.screens.page import Column, Page, PageAction, Row
from tui.typed_app import app_of
from tui.widgets.action_menu import ActionMenu, MenuItem
from tui.widgets.details import field_grid, note, rules_table, script_text, section

RUNNING = "running"


@dataclass(frozen=True)
class Menu:
    name: str  # the button's id is `menu-<name>`
    label_key: str
    groups: tuple[tuple[str | None, tuple[str, ...]], ...]  # (heading's i18n key or None, action names)

    @property
    def actions(self) -> set[str]:
        return {name for _, names in self.groups for name in names}


class InstancesPage(Page):
    TITLE_KEY = "nav.instances"
    EVENT_KINDS = ("instance.", "security_group.", "tags.")
    FILTER_KEY = "instances.filter"
    EMPTY_KEY = "instances.empty"
    COLUMNS = (
        Column("name", "col.name"),
        Column("instance_id", "col.instance_id"),
        Column("state", "col.instance_state"),
        Column("status_check", "col.status_check"),
        Column("type", "col.instance_type"),
        Column("az", "col.availability_zone"),
        Column("public_ip", "col.public_ipv4_short"),
        Column("private_ip", "col.private_ipv4_short"),
    )
    ACTIONS = (
        PageAction("launch", "l", "action.launch", needs_selection=False, variant="primary"),
        PageAction("connect", "c", "action.connect"),
        PageAction("browse", "b", "action.browse", short_key="short.browse"),
        # The rest live in the two menus (MENUS); their keys still work, off the footer so that it keeps to
        # what fits at 120 columns.
        PageAction("system_log", "g", "action.system_log", short_key="short.system_log", in_footer=False),
        PageAction("start", "s", "action.start", short_key="short.start", in_footer=False),
        PageAction("stop", "x", "action.stop", confirm_key="confirm.stop", short_key="short.stop", in_footer=False),
        PageAction("reboot", "R", "action.reboot", confirm_key="confirm.reboot", short_key="short.reboot",
                   in_footer=False),
        PageAction("terminate", "delete", "action.terminate", confirm_key="confirm.terminate",
                   short_key="short.terminate", in_footer=False),
        PageAction("protection", "p", "action.termination_protection", short_key="short.termination_protection",
                   in_footer=False),
        PageAction("change_type", "T", "action.change_instance_type", short_key="short.change_instance_type",
                   in_footer=False),
        PageAction("change_groups", "G", "action.change_security_groups", short_key="short.change_security_groups",
                   in_footer=False),
        PageAction("edit_user_data", "U", "action.edit_user_data", in_footer=False),
        # lblab-only (no such EC2 action), for failure labs: the instance's guest process is killed, or hangs
        # (alive, answering nothing).
        PageAction("simulate_failure", "F", "action.simulate_failure", confirm_key="confirm.simulate_failure",
                   short_key="short.simulate_failure", in_footer=False),
        PageAction("simulate_hang", "H", "action.simulate_hang", confirm_key="confirm.simulate_hang",
                   in_footer=False),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "menu('state')", "menu.instance_state"),
        Binding("a", "menu('actions')", "menu.actions"),
    ]
    # The AWS console's two menus: (menu, its label, then (sub-group heading or None, its actions)).
    MENUS: ClassVar[tuple[Menu, ...]] = (
        Menu("state", "menu.instance_state", ((None, ("stop", "start", "reboot", "terminate")),)),
        Menu("actions", "menu.actions", (
            (None, ("connect",)),
            ("menu.security", ("change_groups",)),
            ("menu.instance_settings", ("change_type", "protection", "edit_user_data")),
            ("menu.monitor", ("system_log",)),
            ("action.simulate_failure", ("simulate_failure", "simulate_hang")),
        )),
    )
    # A menu item's label where it differs from the action's own (which the palette and dialogs show).
    MENU_LABELS: ClassVar[dict[str, str]] = {
        "start": "menu.start",
        "simulate_failure": "menu.failure_kill",
        "simulate_hang": "menu.failure_hang",
    }
    DETAIL_TABS = ("tab.details", "tab.security", "tab.networking", "tab.storage", "tab.user_data")

    def instances(self) -> list[Instance]:
        return self.cloud.ec2.describe_instances()

    def instance(self, key: str) -> Instance | None:
        return self.cloud.ec2.instances.get(key)

    def rows(self) -> Iterable[Row]:
        for i in self.instances():
            yield Row(i.instance_id, (
                plain(i.name),
                plain(i.instance_id),
                state_text(self.app, i.state, self.t(f"state.{i.state}")),
                self._status_check(i),
                plain(i.instance_type),
                plain(i.availability_zone),
                plain(i.public_ip),
                plain(i.private_ip),
            ))

    def describe(self, key: str) -> str:
        instance = self.instance(key)
        return f"{key} ({instance.name})" if instance and instance.name else key

    def can(self, action: str, key: str | None) -> bool:
        instance = self.instance(key) if key else None
        if instance is None:
            return action == "launch"
        state = instance.state
        return {
            "connect": state == RUNNING,
            "browse": bool(instance.public_ip),
            "start": state == "stopped",
            "stop": state in (RUNNING, "pending"),
            "reboot": state == RUNNING,
            "simulate_failure": state == RUNNING and instance.impaired_since is None,
            "simulate_hang": state == RUNNING and instance.impaired_since is None,
            "terminate": state not in ("shutting-down", "terminated"),
            "protection": state != "terminated",
            "change_type": state == "stopped",  # the type changes only while the instance is stopped
            "change_groups": state not in ("shutting-down", "terminated"),
            "edit_user_data": state != "terminated",
        }.get(action, True)

    # -- the menus ------------------------------------------------------------------------
    async def composed(self) -> None:
        await super().composed()
        in_menus = set().union(*(menu.actions for menu in self.MENUS)) - {"connect"}  # Connect is both, as on AWS
        for name in in_menus:
            self.query_one(f"#action-{name}", Button).display = False
        await self.query_one(".page-actions").mount_all(
            ActionMenu(self.t(menu.label_key), partial(self._menu_items, menu), id=f"menu-{menu.name}")
            for menu in self.MENUS)

    def _menu_items(self, menu: Menu) -> list[MenuItem]:
        key = self.selected_key
        items: list[MenuItem] = []
        for heading, names in menu.groups:
            if heading is not None:
                items.append(MenuItem(self.t(heading)))
            for name in names:
                action = self._action(name)
                assert action is not None
                label = self.t(self.MENU_LABELS.get(name, action.label_key))
                items.append(MenuItem(label, name, self._allowed(action, key), depth=int(heading is not None)))
        return items

    def action_menu(self, name: str) -> None:
        self.query_one(f"#menu-{name}", ActionMenu).press()

    @on(ActionMenu.Chosen)
    def _chosen(self, event: ActionMenu.Chosen) -> None:
        self.action_run(event.name)

    # -- actions ------------------------------------------------------------------------
    def perform_launch(self, key: str | None) -> None:
        from tui.screens.ec2.launch_wizard import open_launch_wizard

        open_launch_wizard(self.app)

    def perform_connect(self, key: str | None) -> None:
        from tui.screens.ec2.connect import ConnectScreen

        assert key is not None
        self.app.push_screen(ConnectScreen(key))

    def perform_browse(self, key: str | None) -> None:
        instance = self.instance(key or "")
        if instance is not None and instance.public_ip:
            app_of(self).open_browser(f"http://{instance.public_ip}/")

    def perform_system_log(self, key: str | None) -> None:
        from tui.screens.ec2.system_log import SystemLogScreen

        assert key is not None
        self.app.push_screen(SystemLogScreen(key))

    def perform_start(self, key: str | None) -> None:
        self._change_state(key, self.cloud.ec2.start_instances, "done.start")

    def perform_stop(self, key: str | None) -> None:
        self._change_state(key, self.cloud.ec2.stop_instances, "done.stop")

    def perform_reboot(self, key: str | None) -> None:
        self._change_state(key, self.cloud.ec2.reboot_instances, "done.reboot")

    def perform_terminate(self, key: str | None) -> None:
        self._change_state(key, self.cloud.ec2.terminate_instances, "done.terminate")

    def perform_protection(self, key: str | None) -> None:
        """Actions › Instance settings › Change termination protection: on if it was off, and back."""
        instance = self.instance(key or "")
        if instance is None:
            return
        protect = not instance.disable_api_termination
        change = AttributeChange(disable_api_termination=protect)
        self.call_cloud(lambda: self.cloud.ec2.modify_instance_attribute(instance.instance_id, change),
                        "done.protection_on" if protect else "done.protection_off", id=instance.instance_id)

    def perform_change_type(self, key: str | None) -> None:
        from tui.screens.ec2.instance_settings import ChangeInstanceTypeScreen

        self._setting(key, ChangeInstanceTypeScreen, lambda value: AttributeChange(instance_type=value),
                      "done.type_changed")

    def perform_change_groups(self, key: str | None) -> None:
        from tui.screens.ec2.instance_settings import ChangeSecurityGroupsScreen

        self._setting(key, ChangeSecurityGroupsScreen, lambda value: AttributeChange(group_ids=value),
                      "done.groups_changed")

    def perform_edit_user_data(self, key: str | None) -> None:
        from tui.screens.ec2.instance_settings import EditUserDataScreen

        self._setting(key, EditUserDataScreen, lambda value: AttributeChange(user_data=value.encode()),
                      "done.user_data_changed")

    def _setting(self, key: str | None, dialog: Callable[[Instance], Screen[Any]],
                 change: Callable[[Any], AttributeChange], done_key: str) -> None:
        """Ask in `dialog`, then ModifyInstanceAttribute with what was chosen (a CloudError is shown)."""
        instance = self.instance(key or "")
        if instance is None:
            return

        def chosen(value: Any) -> None:
            if value is not None:
                self.call_cloud(lambda: self.cloud.ec2.modify_instance_attribute(instance.instance_id, change(value)),
                                done_key, id=instance.instance_id)

        self.app.push_screen(dialog(instance), chosen)

    def perform_simulate_failure(self, key: str | None) -> None:
        self._simulate(key, "kill", "done.simulate_kill")

    def perform_simulate_hang(self, key: str | None) -> None:
        self._simulate(key, "hang", "done.simulate_hang")

    def _simulate(self, key: str | None, mode: str, done_key: str) -> None:
        assert key is not None
        self.call_cloud(lambda: self.cloud.ec2.simulate_instance_failure(key, mode), done_key, id=key)

    def _status_check(self, i: Instance) -> Text:
        """The console's Status check column: two checks (system, instance); a dead or hung guest fails one."""
        if i.state != RUNNING:
            return plain("–")
        if i.impaired_since is not None:
            return state_text(self.app, "unhealthy", self.t("status_check.one_failed"))
        return state_text(self.app, "healthy", self.t("status_check.passed"))

    def _change_state(self, key: str | None, change: Callable[[list[str]], Awaitable[object]], done_key: str) -> None:
        assert key is not None
        self.call_cloud(lambda: change([key]), done_key, id=key)

    # -- detail tabs ------------------------------------------------------------------------
    def detail(self, tab: str, key: str) -> RenderableType:
        instance = self.instance(key)
        if instance is None:
            return ""
        render = {
            "tab.details": self._details,
            "tab.security": self._security,
            "tab.networking": self._networking,
            "tab.storage": self._storage,
            "tab.user_data": self._user_data,
        }[tab]
        return render(instance)

    def _details(self, i: Instance) -> RenderableType:
        t = self.t
        image = IMAGES.get(i.image_id)
        reason = i.state_transition_reason or ""
        return field_grid([
            (t("col.instance_id"), i.instance_id),
            (t("col.public_ipv4"), i.public_ip),
            (t("col.instance_state"), t(f"state.{i.state}")),
            (t("col.private_ipv4"), i.private_ip),
            (t("col.instance_type"), i.instance_type),
            (t("field.public_dns"), i.public_dns_name),
            (t("field.ami_id"), i.image_id),
            (t("field.private_dns"), i.private_dns_name),
            (t("field.ami_name"), image.name if image else ""),
            (t("field.key_pair"), i.key_name),
            (t("field.launch_time"), cloud_time(i.launch_time)),
            (t("field.state_reason"), reason),
            (t("field.termination_protection"), t("enabled" if i.disable_api_termination else "disabled")),
        ], columns=2)

    def _security(self, i: Instance) -> RenderableType:
        t = self.t
        groups = self.cloud.ec2.security_groups
        attached = [groups[g] for g in i.security_group_ids if g in groups]
        names = ", ".join(f"{g.group_id} ({g.group_name})" for g in attached)
        inbound = [rule for g in attached for rule in g.ingress]
        outbound = [rule for g in attached for rule in g.egress]
        return Group(
            field_grid([(t("field.security_groups"), names)], columns=1),
            section(t("sg.inbound_rules"), rules_table(t, inbound, groups, egress=False)),
            section(t("sg.outbound_rules"), rules_table(t, outbound, groups, egress=True)),
        )

    def _networking(self, i: Instance) -> RenderableType:
        t = self.t
        fields = field_grid([
            (t("col.public_ipv4"), i.public_ip),
            (t("col.private_ipv4"), i.private_ip),
            (t("field.public_dns"), i.public_dns_name),
            (t("field.private_dns"), i.private_dns_name),
            (t("field.vpc_id"), i.vpc_id),
            (t("field.subnet_id"), i.subnet_id),
            (t("col.availability_zone"), i.availability_zone),
            (t("field.auto_public_ip"), t("enabled" if i.associate_public_ip else "disabled")),
        ], columns=2)
        hint = note(t("instances.browse_hint", ip=i.public_ip)) if i.public_ip else note(t("instances.no_public_ip"))
        return Group(fields, hint)

    def _storage(self, i: Instance) -> RenderableType:
        t = self.t
        image = IMAGES.get(i.image_id)
        root = field_grid([
            (t("field.root_device_name"), image.root_device_name if image else ""),
            (t("field.root_device_type"), "EBS"),
        ], columns=2)
        volumes = self.cloud.ec2.volumes_of(i.instance_id)
        if not volumes:
            return Group(section(t("storage.root_device"), root), Text(t("storage.no_volumes"), style="dim"))
        table = Table(expand=True, box=None, header_style="bold", pad_edge=False)
        for key in ("col.volume_id", "col.device_name", "col.volume_size", "col.attachment_status",
                    "col.attachment_time", "col.encrypted", "col.delete_on_termination"):
            table.add_column(t(key), no_wrap=key in ("col.volume_id", "col.device_name"))
        for v in volumes:
            table.add_row(v.volume_id, v.device, f"{v.size} ({v.volume_type})", t("storage.attached"),
                          cloud_time(v.attach_time or v.create_time), t("storage.not_encrypted"),
                          t("storage.yes" if v.delete_on_termination else "storage.no"))
        return Group(section(t("storage.root_device"), root), section(t("storage.block_devices"), table))

    def _user_data(self, i: Instance) -> RenderableType:
        t = self.t
        if not i.user_data:
            return Text(t("instances.no_user_data"), style="dim")
        size = len(i.user_data.encode("utf-8"))
        return Group(
            note(t("instances.user_data_note", size=size, limit=USER_DATA_LIMIT)),
            Text(""),
            script_text(i.user_data),
        )
