"""Editors whose sections open a screen on top: "Create target group" in an action and "Request new
certificate" in an HTTPS listener, as the console opens them in a new tab.

A section (a widget) only posts what it wants; this screen opens the screen on top and hands the result
back to whichever section edits the same draft by then.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TypeVar

from textual import on

from tui.screens.elb.certificates import RequestCertificateScreen
from tui.screens.elb.editor import ElbEditorScreen
from tui.screens.elb.target_group_wizard import CreateTargetGroupScreen
from tui.widgets.elb_action_form import ActionForm, CreateTargetGroupRequested
from tui.widgets.elb_drafts import ActionDraft, ListenerDraft
from tui.widgets.elb_listener_form import ListenerForm, RequestCertificateRequested
from tui.widgets.form import BoundForm

Section = TypeVar("Section", bound=BoundForm)


class SectionHostScreen(ElbEditorScreen):
    @on(CreateTargetGroupRequested)
    def _create_target_group(self, message: CreateTargetGroupRequested) -> None:
        message.stop()
        self.app.push_screen(CreateTargetGroupScreen(), partial(self._hand_target_group, message.draft))

    def _hand_target_group(self, draft: ActionDraft, arn: str | None) -> None:
        for section in self._editing(ActionForm, draft):
            section.group_created(arn)

    @on(RequestCertificateRequested)
    def _request_certificate(self, message: RequestCertificateRequested) -> None:
        message.stop()
        self.app.push_screen(RequestCertificateScreen(), partial(self._hand_certificate, message.draft))

    def _hand_certificate(self, draft: ListenerDraft, arn: str | None) -> None:
        for section in self._editing(ListenerForm, draft):
            section.certificate_requested(arn)

    def _editing(self, kind: type[Section], draft: object) -> Iterator[Section]:
        """The sections of `kind` that edit `draft` now (a language switch may have rebuilt them)."""
        return (section for section in self.query(kind) if section.form is draft)
