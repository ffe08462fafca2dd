"""A small browser on the learner's side of the internet edge: open a public address, see the
status, headers and body, and send a batch of requests to see which host answers each.

Extension point for the ELB pages: if `tui/screens/elb/request_trace.py` defines
`RequestTraceScreen(url: str, result: FetchResult)`, `ctrl+t` opens it for the last request
(it can read the hop-by-hop trace from `cloud.elbv2.traces()`).
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from mock_cloud import Event, FetchResult
from tui.format import human_bytes, tone_style
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import follow_events
from tui.typed_app import app_of
from tui.widgets.header import ConsoleHeader
from tui.widgets.html_text import html_to_text, is_html
from tui.widgets.text_input import TextInput

HELLO = re.compile(r"Hello World from ([^<\s]+)")
MAX_REQUESTS = 200
BAR_WIDTH = 24
TRACE_SCREEN = ("tui.screens.elb.request_trace", "RequestTraceScreen")


def answered_by(result: FetchResult) -> str:
    """Who answered: the host a lab page names, else a short hash of the body (same body, same host)."""
    if result.error:
        return "error"
    match = HELLO.search(result.text)
    if match:
        return match.group(1)
    return f"{result.status} body#{hashlib.sha1(result.body).hexdigest()[:8]}"


def normalize_url(text: str) -> str:
    text = text.strip()
    return text if "://" in text or not text else f"http://{text}"


def _trace_screen() -> Callable[[str, FetchResult], Screen[None]] | None:
    module_name, class_name = TRACE_SCREEN
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except ModuleNotFoundError as missing:
        if missing.name != module_name:
            raise
        return None


@dataclass
class Tally:
    """Answers to "send N requests", in arrival order."""

    hosts: list[str] = field(default_factory=list)
    wanted: int = 0

    def counts(self) -> Counter[str]:
        return Counter(self.hosts)


class BrowserScreen(WorkScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "key.back"),
        Binding("r", "reload", "browser.key.reload"),
        Binding("h", "toggle_headers", "browser.key.headers"),
        Binding("v", "toggle_source", "browser.key.source"),
        Binding("n", "send_batch", "browser.key.send"),
        Binding("ctrl+t", "trace", "browser.key.trace"),
    ]

    def __init__(self, url: str | None = None) -> None:
        super().__init__()
        self.url = url or ""
        self.result: FetchResult | None = None
        self.fetching = False
        self.show_headers = False
        self.show_source = False
        self.batch_size = "10"
        self.tally = Tally()

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        yield ConsoleHeader(t("browser.title"))
        with Horizontal(id="url-bar"):
            yield Label(t("browser.address"), classes="field-label")
            yield TextInput(self.url, placeholder=t("browser.placeholder"), id="url", compact=True,
                            suggester=SuggestFromList(self._addresses(), case_sensitive=False))
            yield Button(t("browser.go"), id="go", variant="primary", compact=True)
        yield Static(id="status", markup=False)
        with Horizontal(id="browser-body"):
            with VerticalScroll(id="page-view"):
                yield Static(id="headers")
                yield Static(id="body")
            with Vertical(id="browser-side"):
                yield Label(t("browser.known"), classes="section-title")
                yield OptionList(id="addresses", compact=True)
                yield Label(t("browser.batch_title"), classes="section-title")
                with Horizontal(classes="batch-row"):
                    yield TextInput(self.batch_size, id="count", compact=True, type="integer", max_length=3)
                    yield Button(t("browser.send"), id="send", compact=True)
                yield Static(id="tally")
        yield from self.footer()

    def on_mount(self) -> None:
        follow_events(self, ("instance.", "lb."), self._cloud_changed)
        if self.url:
            self.action_reload()

    async def composed(self) -> None:
        self._render_all()
        if not self.fetching:
            self.query_one("#url", TextInput).focus()

    # -- addresses ----------------------------------------------------------------------------
    def _addresses(self) -> list[str]:
        cloud = app_of(self).cloud
        found = [f"http://{i.public_ip}/" for i in cloud.ec2.describe_instances() if i.public_ip]
        elbv2 = getattr(cloud, "elbv2", None)
        if elbv2 is not None:
            found += [f"http://{lb.dns_name}/" for lb in elbv2.describe_load_balancers()]
        return found

    def _address_options(self) -> list[Option]:
        cloud = app_of(self).cloud
        options = [
            Option(f"{i.name or i.instance_id}  http://{i.public_ip}/", id=f"http://{i.public_ip}/")
            for i in cloud.ec2.describe_instances() if i.public_ip
        ]
        elbv2 = getattr(cloud, "elbv2", None)
        if elbv2 is not None:
            options += [Option(f"{lb.name}  {lb.dns_name}", id=f"http://{lb.dns_name}/")
                        for lb in elbv2.describe_load_balancers()]
        return options

    def _cloud_changed(self, batch: list[Event]) -> None:
        self._render_addresses()

    # -- loading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self.url = normalize_url(self.query_one("#url", TextInput).value or self.url)
        if not self.url:
            return
        self.query_one("#url", TextInput).value = self.url
        self.fetching = True
        self._render_page()
        self.run_worker(self._load(self.url), group="browser", exclusive=True)

    async def _load(self, url: str) -> None:
        self.result = await app_of(self).cloud.fetch(url)
        self.fetching = False
        self._render_page()
        # Like a browser after loading: the page has the keys (r refreshes, h shows headers).
        self.query_one("#page-view").focus()

    def action_toggle_headers(self) -> None:
        self.show_headers = not self.show_headers
        self._render_page()

    def action_toggle_source(self) -> None:
        self.show_source = not self.show_source
        self._render_page()

    def action_send_batch(self) -> None:
        self.url = normalize_url(self.query_one("#url", TextInput).value or self.url)
        text = self.query_one("#count", TextInput).value
        self.batch_size = text
        count = int(text) if text.isdigit() else 0
        if not self.url or not 1 <= count <= MAX_REQUESTS:
            self.notify(app_of(self).t("browser.bad_count", max=MAX_REQUESTS), severity="warning")
            return
        self.tally = Tally(wanted=count)
        self._render_tally()
        self.run_worker(self._send(self.url, count), group="batch", exclusive=True)

    async def _send(self, url: str, count: int) -> None:
        for _ in range(count):
            result = await app_of(self).cloud.fetch(url)
            self.tally.hosts.append(answered_by(result))
            self.result = result
            self._render_tally()
        self._render_page()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "trace":
            return _trace_screen() is not None and self.result is not None
        return True

    def action_trace(self) -> None:
        screen = _trace_screen()
        if screen is not None and self.result is not None:
            self.app.push_screen(screen(self.url, self.result))

    # -- widgets ---------------------------------------------------------------------------------
    @on(TextInput.Submitted, "#url")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        self.action_reload()

    @on(TextInput.Submitted, "#count")
    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send_batch()

    @on(OptionList.OptionSelected, "#addresses")
    def _address_chosen(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#url", TextInput).value = event.option.id or ""
        self.action_reload()

    # -- rendering -----------------------------------------------------------------------------------
    def _render_all(self) -> None:
        self._render_addresses()
        self._render_page()
        self._render_tally()

    def _render_addresses(self) -> None:
        addresses = self.query_one("#addresses", OptionList)
        addresses.clear_options()
        options = self._address_options()
        if options:
            addresses.add_options(options)
        else:
            addresses.add_option(Option(app_of(self).t("browser.no_addresses"), disabled=True))

    def _render_page(self) -> None:
        t = app_of(self).t
        status, headers, body = self.query_one("#status", Static), self.query_one("#headers", Static), \
            self.query_one("#body", Static)
        result = self.result
        # Textual's loading indicator over the page while a request is out (a dropped packet
        # takes a while to time out).
        self.query_one("#page-view").loading = self.fetching
        if self.fetching:
            status.update(t("browser.loading", url=self.url))
        elif result is None:
            status.update(t("browser.hint"))
        else:
            status.update(self._status_line(result))
        headers.display = self.show_headers and result is not None
        if result is not None:
            headers.update(self._headers(result))
            body.update(self._body(result))
        else:
            body.update("")

    def _body(self, result: FetchResult) -> Text:
        """HTML drawn as a text browser draws it (v shows its source); text and JSON as they came."""
        if result.error:
            return Text(result.error)
        if not self.show_source and is_html(result.headers.get("Content-Type", ""), result.text):
            return html_to_text(result.text)
        return Text(result.text)

    def _status_line(self, result: FetchResult) -> Text:
        t = app_of(self).t
        if result.error:
            return Text(t("browser.failed", error=result.error), style=tone_style(self.app, "error"))
        tone = "success" if result.status < 400 else "error"
        kind = result.headers.get("Content-Type", "").split(";")[0] or "–"
        return Text.assemble(
            (f"HTTP {result.status} {_reason(result.status)}", f"bold {tone_style(self.app, tone)}"),
            f"  {kind} · {human_bytes(len(result.body))} · {result.elapsed * 1000:.0f} ms   ",
            (t("browser.headers_hint"), "dim"),
        )

    def _headers(self, result: FetchResult) -> RenderableType:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for name, value in result.headers.items():
            table.add_row(f"{name}:", value)
        return Group(table, Text(""))

    def _render_tally(self) -> None:
        t = app_of(self).t
        tally, static = self.tally, self.query_one("#tally", Static)
        if not tally.wanted:
            static.update(Text(t("browser.batch_hint"), style="dim"))
            return
        counts = tally.counts()
        top = max(counts.values(), default=1)
        hosts = list(counts)
        lines = [Text(t("browser.progress", done=len(tally.hosts), total=tally.wanted), style="bold")]
        for number, (host, count) in enumerate(counts.items(), start=1):
            bar = "█" * max(1, round(BAR_WIDTH * count / top))
            lines.append(Text.assemble((f"[{number}] ", "bold"), host))
            lines.append(Text.assemble("    ", (bar, tone_style(self.app, "success")), f" {count}"))
        order = " ".join(str(hosts.index(host) + 1) for host in tally.hosts[-60:])
        lines.append(Text(t("browser.order", order=order), style="dim"))
        static.update(Group(*lines))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
