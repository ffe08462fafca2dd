"""EC2 Dashboard: resource counts, the region and its zones, and how to reach the cloud from a shell."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.widgets import Button, Label, Static

from tui.screens.page import BasePage
from tui.typed_app import app_of
from tui.widgets.details import field_grid, note

# Count buttons: (page to open, i18n label key).
COUNTS = (
    ("instances", "dashboard.running_instances"),
    ("instances", "dashboard.instances"),
    ("security_groups", "dashboard.security_groups"),
    ("load_balancers", "dashboard.load_balancers"),
    ("target_groups", "dashboard.target_groups"),
)


class DashboardPage(BasePage):
    TITLE_KEY = "nav.dashboard"
    EVENT_KINDS = ("instance.", "security_group.", "lb.", "target_group.")

    def compose(self) -> ComposeResult:
        t = self.t
        with VerticalScroll(classes="dashboard"):
            yield Label(t("nav.dashboard"), classes="page-title")
            yield Label(t("dashboard.resources", region=self.cloud.region), classes="section-title")
            with Grid(id="counts"):
                for index, (_, label_key) in enumerate(COUNTS):
                    yield Button(t(label_key), id=f"count-{index}", classes="count", compact=True)
            yield Button(t("action.launch"), id="dashboard-launch", variant="primary", compact=True)
            yield Label(t("dashboard.region_title"), classes="section-title")
            yield Static(id="zones")
            yield Label(t("dashboard.edge_title"), classes="section-title")
            yield Static(id="edge")

    def refresh_page(self) -> None:
        t = self.t
        for index, ((_, label_key), count) in enumerate(zip(COUNTS, self._counts(), strict=True)):
            self.query_one(f"#count-{index}", Button).label = f"{t(label_key)}  {'–' if count is None else count}"
        self.query_one("#zones", Static).update(self._zones())
        self.query_one("#edge", Static).update(self._edge())

    def _counts(self) -> list[int | None]:
        """In COUNTS order; None where the service is not installed."""
        ec2 = self.cloud.ec2
        instances = [i for i in ec2.describe_instances() if i.state != "terminated"]
        elbv2 = getattr(self.cloud, "elbv2", None)
        return [
            sum(i.state == "running" for i in instances),
            len(instances),
            len(ec2.describe_security_groups()),
            len(elbv2.describe_load_balancers()) if elbv2 else None,
            len(elbv2.describe_target_groups()) if elbv2 else None,
        ]

    def _zones(self) -> Group:
        t = self.t
        subnets = {s.availability_zone: s for s in self.cloud.ec2.subnets.values()}
        rows = [
            (f"{zone} ({subnet.availability_zone_id})", t("dashboard.zone_ok", cidr=subnet.cidr_block))
            for zone, subnet in sorted(subnets.items())
        ]
        return Group(field_grid([(t("field.region"), t("region.name", region=self.cloud.region))], 1),
                     field_grid(rows, columns=2))

    def _edge(self) -> Group:
        t = self.t
        edge_url = app_of(self).edge_url
        if edge_url is None:
            return Group(note(t("edge.off_explained")))
        running = [i for i in self.cloud.ec2.describe_instances() if i.public_ip and i.state == "running"]
        target = running[0].public_ip if running else "<public-ip>"
        return Group(
            Text(edge_url, style="bold"),
            note(t("dashboard.edge_how")),
            Text(f"  curl -x {edge_url} http://{target}/"),
            Text(f"  export http_proxy={edge_url}; curl http://{target}/"),
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        if button_id == "dashboard-launch":
            from tui.screens.ec2.launch_wizard import open_launch_wizard

            open_launch_wizard(self.app)
        elif button_id.startswith("count-"):
            self.go(COUNTS[int(button_id.removeprefix("count-"))][0])
