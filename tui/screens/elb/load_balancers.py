"""EC2 › Load balancers: the list, Create load balancer, and the Details, Listeners and rules, Network
mapping, Resource map, Security, Monitoring and Attributes tabs (all following the cloud's events)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tab, TabbedContent

from mock_cloud import (
    LISTENER_QUOTA_NOTE,
    METRIC_NOTE,
    NODE_NOTE,
    PROVISIONING,
    PROVISIONING_NOTE,
    TIMES_NOTE,
    LoadBalancer,
)
from tui.format import DASH, cloud_time, plain, tone_style
from tui.screens.elb.attributes import LB_ATTRIBUTES, AttributesScreen, attributes_table
from tui.screens.page import Column, Page, PageAction, Row
from tui.typed_app import app_of
from tui.widgets.details import field_grid, note, rules_table, section
from tui.widgets.elb_charts import metric_table, minute_values
from tui.widgets.elb_format import arn_field, arn_id, cloud_note, lb_state_text, listener_name, listener_rules_table
from tui.widgets.elb_resource_map import resource_map

# Charted on the Monitoring tab: (CloudWatch metric, unit).
LB_CHARTS = (("RequestCount", ""), ("HTTPCode_Target_2XX_Count", ""), ("HTTPCode_Target_5XX_Count", ""),
             ("HTTPCode_ELB_4XX_Count", ""), ("HTTPCode_ELB_5XX_Count", ""), ("TargetResponseTime", " s"),
             ("ActiveConnectionCount", ""), ("NewConnectionCount", ""))
ACCESS_LOG_LINES = 8


class LoadBalancersPage(Page):
    TITLE_KEY = "nav.load_balancers"
    EVENT_KINDS = ("lb.", "listener.", "rule.", "target_group.", "target.health", "elbv2.metrics", "certificate.",
                   "security_group.", "instance.")
    FILTER_KEY = "lb.filter"
    EMPTY_KEY = "lb.empty"
    COLUMNS = (
        Column("name", "lb.col.name"),
        Column("dns_name", "lb.col.dns_name"),
        Column("state", "lb.col.state"),
        Column("vpc_id", "field.vpc_id"),
        Column("zones", "lb.col.zones"),
        Column("type", "lb.col.type"),
        Column("created", "lb.col.created"),
    )
    ACTIONS = (
        PageAction("create", "c", "lb.create", needs_selection=False, variant="primary"),
        PageAction("browse", "b", "lb.browse", short_key="lb.short.browse"),
        PageAction("copy_dns", "y", "lb.copy_dns", short_key="lb.short.copy_dns"),
        PageAction("listeners", "m", "lb.listeners_and_rules", short_key="lb.short.listeners"),
        PageAction("trace", "T", "trace.title", short_key="lb.short.trace"),
        PageAction("edit_attributes", "e", "lb.edit_attributes", short_key="tg.short.attributes"),
        PageAction("delete", "delete", "lb.delete", confirm_key="lb.confirm_delete", short_key="short.delete"),
    )
    # The console's "Add listener" sits in the Listeners and rules tab; here it is a key (no room for a button),
    # which that tab's hint and the help screen name (nor room in the footer).
    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "add_listener", "listener.add", show=False)]
    DETAIL_TABS = ("lb.tab.details", "lb.tab.listeners", "lb.tab.network", "lb.tab.resource_map", "lb.tab.security",
                   "lb.tab.monitoring", "lb.tab.attributes")

    # Where the seven tabs do not fit on one line (English beside the lab panel at 160 columns), the two longest
    # go by their first word, so that Monitoring and Attributes stay in sight instead of scrolled off.
    SHORT_TABS: ClassVar[dict[str, str]] = {"lb.tab.listeners": "lb.tab.listeners_short",
                                            "lb.tab.network": "lb.tab.network_short"}

    async def composed(self) -> None:
        await super().composed()
        self._fit_tabs()

    def on_resize(self) -> None:
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        tabs = self.query_one("#details", TabbedContent)
        room = tabs.size.width  # 0 until laid out: the first resize comes back here
        wanted = sum(cell_len(self.t(key)) + 2 for key in self.DETAIL_TABS)  # a tab pads its label by 1 each side
        short = 0 < room < wanted
        for key, tab in zip(self.DETAIL_TABS, tabs.query(Tab), strict=True):
            label = self.t(self.SHORT_TABS.get(key, key) if short else key)
            if tab.label.plain != label:
                tab.label = label

    def balancer(self, key: str | None) -> LoadBalancer | None:
        return self.cloud.elbv2.load_balancers.get(key or "")

    def rows(self) -> Iterable[Row]:
        t = self.t
        for lb in self.cloud.elbv2.describe_load_balancers():
            yield Row(lb.arn, (
                plain(lb.name),
                plain(lb.dns_name),
                lb_state_text(self.app, t, lb.state),
                plain(lb.vpc_id),
                plain(t("lb.zone_count", count=len(lb.availability_zones))),
                plain(t(f"lb.type.{lb.type}")),
                plain(cloud_time(lb.created_time)),
            ))

    def describe(self, key: str) -> str:
        lb = self.balancer(key)
        return lb.name if lb else key

    # -- actions --------------------------------------------------------------------------------------
    def perform_create(self, key: str | None) -> None:
        from tui.screens.elb.lb_wizard import LoadBalancerTypeScreen

        self.app.push_screen(LoadBalancerTypeScreen())

    def perform_browse(self, key: str | None) -> None:
        lb = self.balancer(key)
        if lb is not None:
            app_of(self).open_browser(f"http://{lb.dns_name}/")

    def perform_copy_dns(self, key: str | None) -> None:
        lb = self.balancer(key)
        if lb is not None:
            self.app.copy_to_clipboard(lb.dns_name)
            self.notify(self.t("lb.copied", dns=lb.dns_name), title=self.t("notify.success"))

    def perform_listeners(self, key: str | None) -> None:
        from tui.screens.elb.listeners import listeners_screen

        lb = self.balancer(key)
        if lb is not None:
            self.app.push_screen(listeners_screen(lb))

    def action_add_listener(self) -> None:
        from tui.screens.elb.listener_editor import ListenerEditorScreen

        lb = self.balancer(self.selected_key)
        if lb is not None:
            self.app.push_screen(ListenerEditorScreen.add(lb))

    def perform_trace(self, key: str | None) -> None:
        from tui.screens.elb.request_trace import RequestTraceScreen

        lb = self.balancer(key)
        if lb is not None:
            self.app.push_screen(RequestTraceScreen(f"http://{lb.dns_name}/", load_balancer_arn=lb.arn))

    def perform_edit_attributes(self, key: str | None) -> None:
        lb = self.balancer(key)
        if lb is None:
            return
        elbv2 = self.cloud.elbv2
        screen = AttributesScreen(lb.name, LB_ATTRIBUTES, elbv2.describe_load_balancer_attributes(lb.arn),
                                  lambda changes: elbv2.modify_load_balancer_attributes(lb.arn, changes))
        self.app.push_screen(screen)

    def perform_delete(self, key: str | None) -> None:
        lb = self.balancer(key)
        if lb is not None:
            self.call_cloud(lambda: self.cloud.elbv2.delete_load_balancer(lb.arn), "lb.deleted", name=lb.name)

    # -- detail tabs ----------------------------------------------------------------------------------------
    def detail(self, tab: str, key: str) -> RenderableType:
        lb = self.balancer(key)
        if lb is None:
            return ""
        render = {
            "lb.tab.details": self._details,
            "lb.tab.listeners": self._listeners,
            "lb.tab.network": self._network,
            "lb.tab.resource_map": self._resource_map,
            "lb.tab.security": self._security,
            "lb.tab.monitoring": self._monitoring,
            "lb.tab.attributes": self._attributes,
        }[tab]
        return render(lb)

    def _details(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        dns = Text.assemble((t("lb.dns_name"), "bold"), "\n", (lb.dns_name, f"bold {tone_style(self.app, 'accent')}"),
                            "\n", (t("lb.dns_hint"), "dim"), "\n")
        grid = field_grid([
            (t("lb.col.type"), t(f"lb.type.{lb.type}")),
            (t("lb.col.state"), lb_state_text(self.app, t, lb.state)),
            (t("lb.scheme"), t(f"lb.scheme.{lb.scheme}")),
            (t("lb.hosted_zone"), lb.canonical_hosted_zone_id),
            (t("field.vpc_id"), lb.vpc_id),
            (t("lb.ip_type"), t(f"lb.ip.{lb.ip_address_type}")),
            (t("lb.zones"), "\n".join(f"{zone} ({subnet})" for zone, subnet in lb.availability_zones)),
            (t("lb.col.created"), cloud_time(lb.created_time)),
        ], columns=2)
        parts: list[RenderableType] = [dns, grid, arn_field(t("lb.arn"), lb.arn)]
        if lb.state == PROVISIONING:
            parts.append(cloud_note(t, PROVISIONING_NOTE))
        return Group(*parts)

    def _listeners(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        elbv2 = self.cloud.elbv2
        listeners = elbv2.describe_listeners(lb.arn)
        parts: list[RenderableType] = []
        if not listeners:
            parts.append(Text(t("lb.no_listeners"), style="dim"))
        for listener in listeners:
            summary = t("listener.summary", rules=len(listener.rules) - 1)
            if listener.certificates:
                summary += " · " + t("listener.summary_tls", policy=listener.ssl_policy,
                                     certificate=arn_id(listener.certificates[0]))
            parts.append(section(f"{listener_name(listener)}  {summary}",
                                 listener_rules_table(t, listener.rules, elbv2.target_groups)))
        parts += [cloud_note(t, LISTENER_QUOTA_NOTE), note(t("lb.listeners_hint"))]
        return Group(*parts)

    def _network(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        subnets = self.cloud.ec2.subnets
        table = Table(box=None, header_style="bold", pad_edge=False)
        for heading in ("lb.zone", "field.subnet_id", "lb.subnet_cidr", "lb.node_ip"):
            table.add_column(t(heading), no_wrap=True)
        for zone, subnet_id in lb.availability_zones:
            subnet = subnets.get(subnet_id)
            table.add_row(zone, subnet_id, subnet.cidr_block if subnet else DASH, lb.node_ips.get(subnet_id, DASH))
        return Group(field_grid([(t("field.vpc_id"), lb.vpc_id), (t("lb.ip_type"), t(f"lb.ip.{lb.ip_address_type}"))],
                                columns=2), table, Text(""), cloud_note(t, NODE_NOTE))

    def _resource_map(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        elbv2 = self.cloud.elbv2
        return Group(resource_map(self.app, t, elbv2.describe_listeners(lb.arn), elbv2.target_groups,
                                  self.cloud.ec2.instances), Text(""), note(t("map.hint")))

    def _security(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        groups = self.cloud.ec2.security_groups
        parts: list[RenderableType] = [note(t("lb.security_hint"))]
        for group_id in lb.security_groups:
            group = groups.get(group_id)
            if group is not None:
                title = f"{group.group_id} ({group.group_name}) · {t('sg.inbound_rules')}"
                parts.append(section(title, rules_table(t, group.ingress, groups, egress=False)))
        return Group(*parts)

    def _monitoring(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        elbv2, now = self.cloud.elbv2, self.cloud.clock.now()
        series = [(name, minute_values(elbv2.metrics({"LoadBalancer": lb.dimension}, name, 30), now), unit)
                  for name, unit in LB_CHARTS]
        headings = (t("mon.metric"), t("mon.last_30"), t("mon.latest"), t("mon.highest"))
        lines = elbv2.access_log(lb.arn, limit=ACCESS_LOG_LINES)
        log = Text("\n".join(lines), style="dim", no_wrap=True, overflow="ellipsis") if lines else \
            Text(t("mon.no_requests"), style="dim")
        return Group(
            metric_table(series, headings, tone_style(self.app, "accent")),
            cloud_note(t, METRIC_NOTE), Text(""),
            Text(t("mon.access_log", count=ACCESS_LOG_LINES), style="bold underline"), log,
            cloud_note(t, TIMES_NOTE), note(t("mon.trace_hint")),
        )

    def _attributes(self, lb: LoadBalancer) -> RenderableType:
        t = self.t
        return Group(attributes_table(t, LB_ATTRIBUTES, lb.attributes), Text(""), note(t("lb.edit_attributes_hint")))
