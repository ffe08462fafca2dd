"""One listener: protocol, port, default action and, for HTTPS, the certificate and security policy.

Used by the create wizard ("Listeners and routing") and by Add listener / Edit listener.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Select, Static

from mock_cloud import ACTION_TYPES, DEFAULT_POLICY, list_policies
from mock_cloud import LISTENER_PROTOCOLS as PROTOCOLS
from tui.typed_app import app_of
from tui.widgets.elb_action_form import ActionForm
from tui.widgets.elb_drafts import CONSOLE_SSL_POLICY, ListenerDraft
from tui.widgets.form import BoundForm, field
from tui.widgets.text_input import TextInput

DEFAULT_PORTS = {"HTTP": "80", "HTTPS": "443"}


class RequestCertificateRequested(Message):
    """"Request new certificate" in the listener section editing `draft`: the screen opens the request on top
    and hands the new certificate to whichever ListenerForm edits `draft` by then (`certificate_requested`)."""

    def __init__(self, draft: ListenerDraft) -> None:
        super().__init__()
        self.draft = draft


def certificate_options(app: App[Any]) -> list[tuple[str, str]]:
    store = app_of(app).cloud.elbv2.certificates
    return [(f"{c.domain_name} · {c.id}", c.arn) for c in store.list()]


class ListenerForm(BoundForm, Vertical):
    """Edits a ListenerDraft in place; `removable` adds a Remove button (the wizard's extra listeners)."""

    def __init__(self, draft: ListenerDraft, kinds: tuple[str, ...] = ACTION_TYPES, weighted: bool = True,
                 removable: bool = False) -> None:
        super().__init__(classes="listener-form")
        self.form = draft
        self.kinds = kinds
        self.weighted = weighted
        self.removable = removable

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        draft = self.form
        with Horizontal(classes="listener-head"):
            yield Label(t("listener.protocol"), classes="inline-label")
            yield Select([(p, p) for p in PROTOCOLS], value=draft.listener_protocol, allow_blank=False,
                         id="listener_protocol", compact=True)
            yield Label(t("listener.port"), classes="inline-label")
            yield TextInput(draft.listener_port, id="listener_port", type="integer", max_length=5, compact=True)
            if self.removable:
                yield Button(t("listener.remove"), compact=True, classes="listener-remove")
        yield Label(t("listener.default_action"), classes="field-label")
        yield ActionForm(draft.action, self.kinds, self.weighted)
        with Vertical(classes="secure-settings"):
            yield from field(t("listener.policy"), Select(
                [(p.name, p.name) for p in list_policies()], value=draft.ssl_policy, allow_blank=False,
                id="ssl_policy", compact=True),
                hint=t("listener.policy_hint", console=CONSOLE_SSL_POLICY, api=DEFAULT_POLICY))
            yield Label(t("listener.certificate"), classes="field-label")
            with Horizontal(classes="inline-buttons"):
                yield Select(certificate_options(self.app), value=draft.certificate_arn or Select.NULL,
                             prompt=t("listener.pick_certificate"), id="certificate_arn", compact=True)
                yield Button(t("listener.request_certificate"), compact=True, classes="certificate-request")
                yield Button("↻", compact=True, classes="certificate-refresh", tooltip=t("key.refresh"))
            yield Static(t("listener.certificate_hint"), classes="field-hint", markup=False)

    def on_mount(self) -> None:
        self._show_secure()

    def form_changed(self, name: str) -> None:
        if name == "listener_protocol":
            port = self.query_one("#listener_port", TextInput)
            if port.value in DEFAULT_PORTS.values():  # the console follows the protocol's usual port
                port.value = DEFAULT_PORTS[self.form.listener_protocol]
            self._show_secure()

    def _show_secure(self) -> None:
        self.query_one(".secure-settings").display = self.form.listener_protocol == "HTTPS"

    def refresh_certificates(self, select: str | None = None) -> None:
        picker = self.query_one("#certificate_arn", Select)
        picker.set_options(certificate_options(self.app))
        if select:
            picker.value = select

    @on(Button.Pressed, ".certificate-refresh")
    def _refresh(self, event: Button.Pressed) -> None:
        event.stop()
        self.refresh_certificates()

    @on(Button.Pressed, ".certificate-request")
    def _request(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(RequestCertificateRequested(self.form))

    def certificate_requested(self, arn: str | None) -> None:
        if arn:
            self.form.certificate_arn = arn
            self.refresh_certificates(select=arn)
