"""Request trace (lblab's own): one request's path through the cloud, hop by hop.

internet edge → load balancer security group → listener → rule → target group → target →
instance security group → web server → status, with each hop's timing, and for a request that
failed, the hop that stopped it and AWS's reason code. Opened from the Browser (`ctrl+t`, for the
request just sent) and from a load balancer (its latest requests).
"""

from __future__ import annotations

import time
from typing import ClassVar
from urllib.parse import urlsplit

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from mock_cloud import (
    HOP_ACTION,
    HOP_EDGE,
    HOP_HTTPD,
    HOP_INSTANCE_SG,
    HOP_LB_SG,
    HOP_LISTENER,
    HOP_RULE,
    HOP_STATUS,
    HOP_TARGET,
    HOP_TARGET_GROUP,
    SG_TIMEOUT_NOTE,
    Event,
    FetchResult,
    Hop,
    LoadBalancer,
    RequestTrace,
)
from tui.format import tone_style
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import follow_events
from tui.typed_app import app_of
from tui.widgets.elb_format import cloud_note
from tui.widgets.header import ConsoleHeader

# The hops of a forwarded request, in order: what a stopped request did not reach.
FORWARD_PATH = (HOP_EDGE, HOP_LB_SG, HOP_LISTENER, HOP_RULE, HOP_TARGET_GROUP, HOP_TARGET, HOP_INSTANCE_SG, HOP_HTTPD,
                HOP_STATUS)
HOP_KEYS = {hop: "trace.hop." + hop.replace(" ", "_") for hop in (*FORWARD_PATH, HOP_ACTION)}
TRACE_LIMIT = 50


def clock_time(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(epoch))


def trace_path(trace: RequestTrace) -> list[Hop | str]:
    """The trace's hops, with the names of those the request never reached right after the one that
    stopped it (the final status, when the balancer answered, still comes last)."""
    stopped = trace.stopped_at
    if stopped is None or stopped.name not in FORWARD_PATH:
        return list(trace.hops)
    at = trace.hops.index(stopped) + 1
    seen = {hop.name for hop in trace.hops}
    missed = [name for name in FORWARD_PATH[FORWARD_PATH.index(stopped.name) + 1:] if name not in seen]
    return [*trace.hops[:at], *missed, *trace.hops[at:]]


class RequestTraceScreen(WorkScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "key.back"),
        Binding("r", "reload", "key.refresh"),
    ]

    def __init__(self, url: str = "", result: FetchResult | None = None,
                 load_balancer_arn: str | None = None) -> None:
        super().__init__()
        self.url = url
        self.result = result
        self.load_balancer_arn = load_balancer_arn
        self.traces: list[RequestTrace] = []
        self.chosen: RequestTrace | None = None  # None: the newest, whatever arrives

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        lb = self.balancer()
        yield ConsoleHeader(f"{t('trace.title')} › {lb.name}" if lb else t("trace.title"))
        yield Static(t("trace.intro"), classes="screen-note", markup=False)
        if self.result is not None:
            answer = f"HTTP {self.result.status}" if not self.result.error else self.result.error
            yield Static(t("trace.browser_answer", answer=answer), classes="screen-note", markup=False)
        with Horizontal(id="trace-body"):
            with Vertical(id="trace-side"):
                yield Label(t("trace.recent"), classes="section-title")
                yield OptionList(id="traces", compact=True)
            with VerticalScroll(id="trace-view"):
                yield Static(id="trace-hops")
        yield from self.footer()

    def on_mount(self) -> None:
        follow_events(self, ("elbv2.metrics", "lb."), self._changed)
        self.action_reload()
        self.query_one("#traces").focus()

    async def relocalize(self) -> None:
        await super().relocalize()
        self.action_reload()

    def balancer(self) -> LoadBalancer | None:
        """The balancer asked for, or the one whose DNS name the Browser's address names."""
        balancers = app_of(self).cloud.elbv2.load_balancers
        if self.load_balancer_arn in balancers:
            return balancers[self.load_balancer_arn]
        host = (urlsplit(self.url).hostname or "").lower()
        return next((lb for lb in balancers.values() if lb.dns_name.lower() == host), None)

    # -- the list of requests ---------------------------------------------------------------------
    def action_reload(self) -> None:
        lb = self.balancer()
        elbv2 = app_of(self).cloud.elbv2
        self.traces = list(reversed(elbv2.traces(TRACE_LIMIT, lb.arn))) if lb else []
        options = self.query_one("#traces", OptionList)
        options.clear_options()
        if self.traces:
            options.add_options([Option(self._line(trace), id=str(i)) for i, trace in enumerate(self.traces)])
            # The request the learner is reading stays highlighted while newer ones arrive above it.
            options.highlighted = self.traces.index(self.chosen) if self.chosen in self.traces else 0
        self._show()

    def _changed(self, batch: list[Event]) -> None:
        self.action_reload()

    def _line(self, trace: RequestTrace) -> Text:
        """`12:00:31 200 GET /api/x` (a dropped request has no method and no status)."""
        status = str(trace.status) if trace.status is not None else "✗"
        tone = "success" if trace.ok else "error"
        method, _, url = trace.request.rpartition(" ")
        parts = urlsplit(url)
        path = parts.path or "/"
        return Text.assemble(f"{clock_time(trace.time)} ", (f"{status:>3}", tone_style(self.app, tone)),
                             f" {method or '–'} {path}{'?' + parts.query if parts.query else ''}")

    @on(OptionList.OptionHighlighted, "#traces")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = int(event.option.id or 0)
        self.chosen = self.traces[index] if index else None
        self._show()

    # -- one request, hop by hop ---------------------------------------------------------------------
    def _show(self) -> None:
        t = app_of(self).t
        view = self.query_one("#trace-hops", Static)
        if not self.traces:
            key = "trace.no_balancer" if self.balancer() is None else "trace.none"
            view.update(Text(t(key), style="dim"))
            return
        view.update(self.render_trace(self.chosen if self.chosen in self.traces else self.traces[0]))

    def render_trace(self, trace: RequestTrace) -> RenderableType:
        t = app_of(self).t
        head = Text.assemble((trace.request, "bold"), "\n", (t("trace.client", client=trace.client), "dim"))
        table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
        table.add_column("", no_wrap=True)
        table.add_column(t("trace.col.hop"), no_wrap=True)
        table.add_column(t("trace.col.detail"), ratio=1, overflow="fold")
        table.add_column(t("trace.col.time"), no_wrap=True, justify="right")
        for number, hop in enumerate(trace_path(trace), start=1):
            if isinstance(hop, Hop):
                table.add_row(*self._hop_cells(number, hop))
            else:
                table.add_row(Text(f"· {number}", style="dim"), Text(t(HOP_KEYS[hop]), style="dim"),
                              Text(t("trace.not_reached"), style="dim"), "")
        notes = [cloud_note(t, SG_TIMEOUT_NOTE)] if self._stopped_by_group(trace) else []
        return Group(head, Text(""), table, Text(""), self._verdict(trace), *notes)

    def _hop_cells(self, number: int, hop: Hop) -> tuple[Text, Text, Text, str]:
        t = app_of(self).t
        style = tone_style(self.app, "success" if hop.ok else "error")
        detail = Text(hop.detail or "–")
        if hop.reason_code:
            detail.append(f"  [{hop.reason_code}]", style=f"bold {style}")
        elapsed = f"{hop.elapsed_ms:.1f} ms" if hop.elapsed_ms is not None else ""
        return (Text(f"{'✓' if hop.ok else '✗'} {number}", style=style),
                Text(t(HOP_KEYS.get(hop.name, hop.name)), style="bold" if hop.ok else f"bold {style}"), detail, elapsed)

    def _stopped_by_group(self, trace: RequestTrace) -> bool:
        stopped = trace.stopped_at
        return stopped is not None and stopped.name == HOP_INSTANCE_SG

    def _verdict(self, trace: RequestTrace) -> Text:
        t = app_of(self).t
        stopped = trace.stopped_at
        if stopped is None:
            return Text(t("trace.answered", status=trace.status), style=f"bold {tone_style(self.app, 'success')}")
        hop = t(HOP_KEYS.get(stopped.name, stopped.name))
        if trace.status is None:
            text = t("trace.dropped", hop=hop)
        else:
            text = t("trace.stopped", hop=hop, status=trace.status, code=stopped.reason_code or "–")
        return Text(text, style=f"bold {tone_style(self.app, 'error')}")
