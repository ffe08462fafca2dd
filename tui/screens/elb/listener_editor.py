"""Listeners and rules › Add listener / Edit listener: protocol, port, default action, certificate, policy."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult

from mock_cloud import Listener, LoadBalancer
from tui.screens.elb.section_host import SectionHostScreen
from tui.typed_app import app_of
from tui.widgets.elb_drafts import CONSOLE_SSL_POLICY, ActionDraft, ListenerDraft
from tui.widgets.elb_listener_form import ListenerForm
from tui.widgets.form import Section


class ListenerEditorScreen(SectionHostScreen):
    INTRO_KEY = "listener.intro"
    DONE_KEY = "listener.saved"
    AUTO_FOCUS = "#listener_port"

    def __init__(self, lb: LoadBalancer, draft: ListenerDraft, listener: Listener | None = None) -> None:
        super().__init__()
        self.lb = lb
        self.draft = draft
        self.listener = listener

    @classmethod
    def add(cls, lb: LoadBalancer) -> ListenerEditorScreen:
        return cls(lb, ListenerDraft())

    @classmethod
    def edit(cls, lb: LoadBalancer, listener: Listener) -> ListenerEditorScreen:
        draft = ListenerDraft(listener.protocol, str(listener.port),
                              listener.certificates[0] if listener.certificates else "",
                              listener.ssl_policy or CONSOLE_SSL_POLICY, ActionDraft.of(listener.default_actions[0]))
        return cls(lb, draft, listener)

    def save_label(self) -> str:
        return app_of(self).t("listener.add" if self.listener is None else "key.save")

    def heading(self) -> str:
        t = app_of(self).t
        key = "listener.add" if self.listener is None else "listener.edit"
        return f"{self.lb.name} › {t(key)}"

    def body(self) -> ComposeResult:
        yield Section(app_of(self).t("listener.details"), ListenerForm(self.draft))

    async def save(self) -> str:
        elbv2, draft = app_of(self).cloud.elbv2, self.draft
        actions = [draft.action.to_action()]
        if self.listener is None:
            listener = await elbv2.create_listener(self.lb.arn, draft.listener_protocol, draft.listener_port.strip(),
                                                   actions, draft.certificates(), draft.policy())
        else:
            listener = await elbv2.modify_listener(self.listener.arn, draft.listener_port.strip(),
                                                   draft.listener_protocol, actions, draft.certificates(),
                                                   draft.policy())
        return listener.arn

    def done_name(self, result: Any) -> str:
        return f"{self.draft.listener_protocol}:{self.draft.listener_port}"
