"""EC2 › Security Groups: the list, create / edit rules / delete, and the rule tabs."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType

from mock_cloud import SecurityGroup
from tui.format import plain
from tui.screens.page import Column, Page, PageAction, Row
from tui.widgets.details import field_grid, rules_table


class SecurityGroupsPage(Page):
    TITLE_KEY = "nav.security_groups"
    EVENT_KINDS = ("security_group.", "instance.launched", "instance.removed", "tags.")
    FILTER_KEY = "sg.filter"
    EMPTY_KEY = "sg.empty"
    COLUMNS = (
        Column("group_id", "col.group_id"),
        Column("group_name", "col.group_name"),
        Column("vpc_id", "field.vpc_id"),
        Column("description", "col.description", width=30),
        Column("inbound", "col.inbound_short"),
        Column("outbound", "col.outbound_short"),
    )
    ACTIONS = (
        PageAction("create", "c", "action.create_sg", needs_selection=False, variant="primary"),
        PageAction("edit_inbound", "i", "action.edit_inbound", short_key="short.edit_inbound"),
        PageAction("edit_outbound", "o", "action.edit_outbound", short_key="short.edit_outbound"),
        PageAction("delete", "delete", "action.delete_sg", confirm_key="confirm.delete_sg", short_key="short.delete"),
    )
    DETAIL_TABS = ("tab.details", "tab.inbound", "tab.outbound")

    def group(self, key: str) -> SecurityGroup | None:
        return self.cloud.ec2.security_groups.get(key)

    def rows(self) -> Iterable[Row]:
        for g in self.cloud.ec2.describe_security_groups():
            yield Row(g.group_id, (
                plain(g.group_id),
                plain(g.group_name),
                plain(g.vpc_id),
                plain(g.description),
                plain(len(g.ingress)),
                plain(len(g.egress)),
            ))

    def describe(self, key: str) -> str:
        group = self.group(key)
        return f"{key} ({group.group_name})" if group else key

    def can(self, action: str, key: str | None) -> bool:
        if action == "delete":
            group = self.group(key or "")
            return group is not None and group.group_name != "default"
        return True

    def perform_create(self, key: str | None) -> None:
        from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen

        self.app.push_screen(SecurityGroupEditorScreen.create())

    def perform_edit_inbound(self, key: str | None) -> None:
        self._edit(key, egress=False)

    def perform_edit_outbound(self, key: str | None) -> None:
        self._edit(key, egress=True)

    def _edit(self, key: str | None, egress: bool) -> None:
        from tui.screens.ec2.sg_editor import SecurityGroupEditorScreen

        group = self.group(key or "")
        if group is not None:
            self.app.push_screen(SecurityGroupEditorScreen.edit(group, egress))

    def perform_delete(self, key: str | None) -> None:
        assert key is not None
        self.call_cloud(lambda: self.cloud.ec2.delete_security_group(key), "done.delete_sg", id=key)

    def detail(self, tab: str, key: str) -> RenderableType:
        group = self.group(key)
        if group is None:
            return ""
        t, groups = self.t, self.cloud.ec2.security_groups
        if tab == "tab.inbound":
            return rules_table(t, group.ingress, groups, egress=False)
        if tab == "tab.outbound":
            return rules_table(t, group.egress, groups, egress=True)
        users = [i.instance_id for i in self.cloud.ec2.describe_instances() if key in i.security_group_ids]
        return field_grid([
            (t("col.group_name"), group.group_name),
            (t("col.group_id"), group.group_id),
            (t("col.description"), group.description),
            (t("field.vpc_id"), group.vpc_id),
            (t("col.inbound_count"), len(group.ingress)),
            (t("col.outbound_count"), len(group.egress)),
            (t("field.used_by"), ", ".join(users)),
        ], columns=2)
