"""Certificate Manager (ACM): the certificates of the local CA, Request certificate, and where the CA file
is, so `curl --cacert` (or a browser) trusts the HTTPS listeners that use them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from mock_cloud import CA_NAME, ISSUANCE_NOTE, Certificate
from tui.format import plain
from tui.screens.elb.editor import ElbEditorScreen
from tui.screens.page import Column, Page, PageAction, Row
from tui.typed_app import app_of
from tui.widgets.details import field_grid, note
from tui.widgets.elb_drafts import split_values
from tui.widgets.elb_format import arn_field, cloud_note, listener_name
from tui.widgets.form import Section, field
from tui.widgets.text_input import TextInput

DATE = "%Y-%m-%d %H:%M UTC"


@dataclass
class CertificateForm:
    domain_name: str = ""
    other_names: str = ""  # comma-separated


class CertificatesPage(Page):
    TITLE_KEY = "acm.title"
    EVENT_KINDS = ("certificate.", "listener.", "lb.")
    FILTER_KEY = "acm.filter"
    EMPTY_KEY = "acm.empty"
    COLUMNS = (
        Column("id", "acm.col.id"),
        Column("domain", "acm.col.domain"),
        Column("type", "acm.col.type"),
        Column("status", "acm.col.status"),
        Column("in_use", "acm.col.in_use"),
        Column("expires", "acm.col.expires"),
    )
    ACTIONS = (
        PageAction("request", "c", "acm.request", needs_selection=False, variant="primary"),
        PageAction("delete", "delete", "acm.delete", confirm_key="acm.confirm_delete", short_key="short.delete"),
    )
    DETAIL_TABS = ("acm.tab.details", "acm.tab.trust")

    def certificates(self) -> list[Certificate]:
        return self.cloud.elbv2.certificates.list()

    def certificate(self, key: str | None) -> Certificate | None:
        return next((c for c in self.certificates() if c.arn == key), None)

    def users(self, arn: str) -> list[str]:
        """"In use by": the listeners (and their balancers) that present the certificate."""
        elbv2 = self.cloud.elbv2
        balancers = elbv2.load_balancers
        return [f"{balancers[x.load_balancer_arn].name} {listener_name(x)}" for x in elbv2.listeners.values()
                if arn in x.certificates and x.load_balancer_arn in balancers]

    def rows(self) -> Iterable[Row]:
        t = self.t
        for c in self.certificates():
            yield Row(c.arn, (
                plain(c.id),
                plain(c.domain_name),
                plain(t("acm.type.issued")),
                plain(t(f"acm.status.{c.status}")),
                plain(t("acm.yes") if self.users(c.arn) else t("acm.no")),
                plain(c.not_after.strftime(DATE)),
            ))

    def describe(self, key: str) -> str:
        certificate = self.certificate(key)
        return f"{certificate.domain_name} ({certificate.id})" if certificate else key

    def can(self, action: str, key: str | None) -> bool:
        if action == "delete":
            return key is not None and not self.users(key)
        return True

    def perform_request(self, key: str | None) -> None:
        self.app.push_screen(RequestCertificateScreen())

    def perform_delete(self, key: str | None) -> None:
        certificate = self.certificate(key)
        if certificate is not None:
            self.call_cloud(lambda: self.cloud.elbv2.delete_certificate(certificate.arn), "acm.deleted",
                            name=certificate.domain_name)

    def detail(self, tab: str, key: str) -> RenderableType:
        c = self.certificate(key)
        if c is None:
            return ""
        t = self.t
        if tab == "acm.tab.trust":
            return self._trust(c)
        return Group(arn_field(t("acm.arn"), c.arn), field_grid([
            (t("acm.col.status"), t(f"acm.status.{c.status}")),
            (t("acm.col.domain"), c.domain_name),
            (t("acm.names"), ", ".join(c.subject_alternative_names)),
            (t("acm.in_use_by"), "\n".join(self.users(c.arn)) or t("acm.not_in_use")),
            (t("acm.issuer"), CA_NAME),
            (t("acm.not_before"), c.not_before.strftime(DATE)),
            (t("acm.col.expires"), c.not_after.strftime(DATE)),
            (t("acm.key_algorithm"), "RSA-2048"),
            (t("acm.serial"), c.serial),
        ], columns=2), cloud_note(t, ISSUANCE_NOTE))

    def _trust(self, c: Certificate) -> RenderableType:
        t = self.t
        ca = str(self.cloud.elbv2.certificates.ca_pem_path)
        edge = app_of(self).edge_url or "<edge>"
        return Group(
            Text(t("acm.ca_file"), style="bold"), Text(ca), Text(""),
            note(t("acm.curl_how")),
            Text(f"  curl --cacert {ca} -x {edge} https://{c.domain_name}/"),
            Text(""), note(t("acm.use_hint")),
        )


class RequestCertificateScreen(ElbEditorScreen):
    """Request a public certificate; dismisses with its ARN (issued at once by the local CA)."""

    TITLE_KEY = "acm.request"
    INTRO_KEY = "acm.request_intro"
    SAVE_KEY = "acm.request"
    DONE_KEY = "acm.issued"
    AUTO_FOCUS = "#domain_name"

    def __init__(self) -> None:
        super().__init__()
        self.form = CertificateForm()

    def body(self) -> ComposeResult:
        t = app_of(self).t
        yield Section(
            t("acm.domain_names"),
            *field(t("acm.fqdn"), TextInput(self.form.domain_name, placeholder="www.example.com", id="domain_name",
                                            compact=True), hint=t("acm.fqdn_hint")),
            *field(t("acm.other_names"), TextInput(self.form.other_names, placeholder="example.com, *.example.com",
                                                   id="other_names", compact=True), hint=t("acm.other_names_hint")),
            Static(cloud_note(t, ISSUANCE_NOTE)),
        )

    async def save(self) -> str:
        form = self.form
        return await app_of(self).cloud.elbv2.request_certificate(
            form.domain_name.strip(), split_values(form.other_names))

    def done_name(self, result: Any) -> str:
        return self.form.domain_name.strip()
