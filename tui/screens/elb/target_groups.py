"""EC2 › Target groups: the list, create / register / deregister / edit, and the Targets, Monitoring,
Health checks and Attributes tabs (targets' health follows `target.health` events as they come)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.text import Text

from mock_cloud import (
    DRAINING,
    HEALTHY,
    INITIAL,
    METRIC_NOTE,
    THRESHOLD_NOTE,
    TRAFFIC_PORT,
    UNHEALTHY,
    UNUSED,
    TargetGroup,
)
from tui.format import DASH, plain, tone_style
from tui.screens.elb.attributes import TG_ATTRIBUTES, AttributesScreen, attributes_table
from tui.screens.page import Column, Page, PageAction, Row
from tui.typed_app import app_of
from tui.widgets.details import field_grid, note
from tui.widgets.elb_charts import metric_table, minute_values
from tui.widgets.elb_format import arn_field, arn_tail, cloud_note, health_details, health_text
from tui.widgets.lab_state import report_view
from tui.widgets.wide_table import DetailsTable

HEALTH_STATES = (HEALTHY, UNHEALTHY, UNUSED, INITIAL, DRAINING)
# Charted on the Monitoring tab: (CloudWatch metric, unit).
TG_CHARTS = (("HealthyHostCount", ""), ("UnHealthyHostCount", ""), ("RequestCount", ""),
             ("RequestCountPerTarget", ""), ("HTTPCode_Target_2XX_Count", ""), ("HTTPCode_Target_5XX_Count", ""),
             ("TargetConnectionErrorCount", ""), ("TargetResponseTime", " s"))


class TargetGroupsPage(Page):
    TITLE_KEY = "nav.target_groups"
    EVENT_KINDS = ("target_group.", "target.health", "lb.", "listener.", "rule.", "instance.", "elbv2.metrics")
    FILTER_KEY = "tg.filter"
    EMPTY_KEY = "tg.empty"
    COLUMNS = (
        Column("name", "tg.col.name"),
        Column("arn", "tg.col.arn", width=34),
        Column("port", "tg.col.port"),
        Column("protocol", "tg.col.protocol"),
        Column("target_type", "tg.col.target_type"),
        Column("load_balancer", "tg.col.load_balancer"),
        Column("vpc_id", "field.vpc_id"),
    )
    ACTIONS = (
        PageAction("create", "c", "tg.create", needs_selection=False, variant="primary"),
        PageAction("register", "g", "tg.register_targets", short_key="tg.short.register"),
        PageAction("deregister", "d", "tg.deregister"),
        PageAction("edit_health", "e", "tg.edit_health", short_key="tg.short.edit_health"),
        PageAction("edit_attributes", "a", "tg.edit_attributes", short_key="tg.short.attributes"),
        PageAction("delete", "delete", "tg.delete", confirm_key="tg.confirm_delete", short_key="short.delete"),
    )
    DETAIL_TABS = ("tg.tab.details", "tg.tab.targets", "tg.tab.monitoring", "tg.tab.health_checks",
                   "tg.tab.attributes")

    def group(self, key: str | None) -> TargetGroup | None:
        return self.cloud.elbv2.target_groups.get(key or "")

    def balancer_names(self, group: TargetGroup) -> str:
        balancers = self.cloud.elbv2.load_balancers
        return ", ".join(balancers[a].name for a in group.load_balancer_arns if a in balancers)

    def rows(self) -> Iterable[Row]:
        t = self.t
        for g in self.cloud.elbv2.describe_target_groups():
            yield Row(g.arn, (
                plain(g.name),
                plain(arn_tail(g.arn)),
                plain(g.port),
                plain(g.protocol),
                plain(t(f"tg.type.{g.target_type}")),
                plain(self.balancer_names(g) or t("tg.no_balancer")),
                plain(g.vpc_id),
            ))

    def describe(self, key: str) -> str:
        group = self.group(key)
        return group.name if group else key

    def can(self, action: str, key: str | None) -> bool:
        group = self.group(key)
        if action == "deregister":
            return group is not None and bool(group.targets)
        return True

    # -- actions ------------------------------------------------------------------------------------
    def perform_create(self, key: str | None) -> None:
        from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen

        self.app.push_screen(CreateTargetGroupScreen(), self._show)

    def perform_register(self, key: str | None) -> None:
        from tui.screens.elb.targets import RegisterTargetsScreen

        self._edit(key, RegisterTargetsScreen)

    def perform_deregister(self, key: str | None) -> None:
        from tui.screens.elb.targets import DeregisterTargetsScreen

        self._edit(key, DeregisterTargetsScreen)

    def perform_edit_health(self, key: str | None) -> None:
        from tui.screens.elb.targets import EditHealthChecksScreen

        self._edit(key, EditHealthChecksScreen)

    def perform_edit_attributes(self, key: str | None) -> None:
        group = self.group(key)
        if group is None:
            return
        elbv2 = self.cloud.elbv2
        screen = AttributesScreen(group.name, TG_ATTRIBUTES, elbv2.describe_target_group_attributes(group.arn),
                                  lambda changes: elbv2.modify_target_group_attributes(group.arn, changes))
        self.app.push_screen(screen)

    def perform_delete(self, key: str | None) -> None:
        group = self.group(key)
        if group is not None:
            self.call_cloud(lambda: self.cloud.elbv2.delete_target_group(group.arn), "tg.deleted", name=group.name)

    def _edit(self, key: str | None, screen: type) -> None:
        group = self.group(key)
        if group is not None:
            self.app.push_screen(screen(group))

    async def _show(self, arn: str | None) -> None:
        if arn:
            await app_of(self).show_resource("target_groups", arn)

    # -- detail tabs ------------------------------------------------------------------------------------
    def detail(self, tab: str, key: str) -> RenderableType:
        group = self.group(key)
        if group is None:
            return ""
        render = {
            "tg.tab.details": self._details,
            "tg.tab.targets": self._targets,
            "tg.tab.monitoring": self._monitoring,
            "tg.tab.health_checks": self._health_checks,
            "tg.tab.attributes": self._attributes,
        }[tab]
        return render(group)

    def _counts(self, group: TargetGroup) -> Counter[str]:
        return Counter(t.health.state for t in group.targets.values())

    def _details(self, g: TargetGroup) -> RenderableType:
        t = self.t
        counts = self._counts(g)
        return Group(arn_field(t("tg.arn"), g.arn), field_grid([
            (t("tg.col.name"), g.name),
            (t("tg.col.target_type"), t(f"tg.type.{g.target_type}")),
            (t("tg.protocol_port"), f"{g.protocol}: {g.port}"),
            (t("tg.protocol_version"), g.protocol_version),
            (t("field.vpc_id"), g.vpc_id),
            (t("tg.ip_type"), t("tg.ipv4")),
            (t("tg.col.load_balancer"), self.balancer_names(g) or t("tg.no_balancer")),
        ], columns=2), self._count_line(counts, len(g.targets)))

    def _count_line(self, counts: Counter[str], total: int) -> Text:
        t = self.t
        line = Text.assemble((t("tg.total_targets"), "bold"), f" {total}")
        for state in HEALTH_STATES:
            line.append("   ")
            line.append_text(health_text(self.app, t, state))
            line.append(f" {counts.get(state, 0)}")
        return line

    def _targets(self, g: TargetGroup) -> RenderableType:
        t = self.t
        if self.display:
            report_view(self.app, "targets_tab", g.name)
        rows = self.cloud.elbv2.describe_target_health(g.arn)
        if not rows:
            return Group(Text(t("tg.no_targets"), style="dim"), note(t("tg.register_hint")))
        instances = self.cloud.ec2.instances
        headings = [t(heading) for heading in ("picker.col.instance", "picker.col.name", "picker.col.port",
                                                "picker.col.zone", "tg.health_status", "tg.health_details")]
        cells = []
        for row in rows:
            instance = instances.get(row.target_id)
            # The reason code first: what the learner looks up and what the lab's hints name.
            details = Text.assemble((row.reason, "bold") if row.reason else "",
                                    ("\n" if row.reason else "") + health_details(t, row.reason, row.description))
            cells.append((row.target_id, instance.name if instance and instance.name else DASH, str(row.port),
                          row.availability_zone or DASH, health_text(self.app, t, row.state), details))
        table = DetailsTable(headings, cells)
        return Group(self._count_line(Counter(r.state for r in rows), len(rows)), Text(""), table)

    def _monitoring(self, g: TargetGroup) -> RenderableType:
        t = self.t
        elbv2, now = self.cloud.elbv2, self.cloud.clock.now()
        series = [(name, minute_values(elbv2.metrics({"TargetGroup": g.dimension}, name, 30), now), unit)
                  for name, unit in TG_CHARTS]
        headings = (t("mon.metric"), t("mon.last_30"), t("mon.latest"), t("mon.highest"))
        return Group(metric_table(series, headings, tone_style(self.app, "accent")),
                     Text(""), cloud_note(t, METRIC_NOTE))

    def _health_checks(self, g: TargetGroup) -> RenderableType:
        t = self.t
        hc = g.health_check
        port = t("hc.traffic_port") if hc.port == TRAFFIC_PORT else hc.port
        return Group(field_grid([
            (t("hc.protocol"), hc.protocol),
            (t("hc.path"), hc.path),
            (t("hc.port"), port),
            (t("hc.healthy_threshold"), hc.healthy_threshold_count),
            (t("hc.unhealthy_threshold"), hc.unhealthy_threshold_count),
            (t("hc.timeout"), t("unit.seconds", n=hc.timeout_seconds)),
            (t("hc.interval"), t("unit.seconds", n=hc.interval_seconds)),
            (t("hc.success_codes"), hc.matcher),
        ], columns=2), cloud_note(t, THRESHOLD_NOTE), note(t("tg.edit_health_hint")))

    def _attributes(self, g: TargetGroup) -> RenderableType:
        t = self.t
        return Group(attributes_table(t, TG_ATTRIBUTES, g.attributes), Text(""),
                     note(t("tg.edit_attributes_hint")))
