"""A listener's default action or a rule's action: forward (to weighted target groups), redirect, fixed response.

"Create target group" opens the target group wizard on top and comes back with the new group
selected, as the console's "Create target group" link does in a new tab.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Select, TextArea

from mock_cloud import (
    ACTION_TYPES,
    FIXED_RESPONSE,
    FIXED_RESPONSE_CONTENT_TYPES,
    FORWARD,
    MAX_TARGET_GROUPS_PER_ACTION,
    REDIRECT,
    REDIRECT_STATUS_CODES,
)
from tui.typed_app import app_of
from tui.widgets.elb_drafts import ActionDraft, WeightedGroup
from tui.widgets.form import BoundForm, field
from tui.widgets.text_input import TextInput

REDIRECT_PROTOCOLS = ("#{protocol}", "HTTP", "HTTPS")
# Redirect parts typed as text: (draft field, label key).
REDIRECT_PARTS = (("redirect_port", "act.port"), ("redirect_host", "act.host"), ("redirect_path", "act.path"),
                  ("redirect_query", "act.query"))


class CreateTargetGroupRequested(Message):
    """"Create target group" in the section editing `draft`: the screen opens the wizard on top and hands the
    new group to whichever ActionForm edits `draft` by then (`group_created`). A language switch rebuilds the
    sections meanwhile, and the section that asked may no longer exist."""

    def __init__(self, draft: ActionDraft) -> None:
        super().__init__()
        self.draft = draft


def group_options(app: App[Any]) -> list[tuple[str, str]]:
    groups = app_of(app).cloud.elbv2.describe_target_groups()
    return [(f"{g.name} · {g.protocol}:{g.port}", g.arn) for g in groups]


class GroupRow(Horizontal):
    """One target group of a forward action, with its weight (its events go on up: a wizard's summary
    follows them; no form binds these widgets by id)."""

    def __init__(self, share: WeightedGroup, options: list[tuple[str, str]], weighted: bool) -> None:
        super().__init__(classes="group-row")
        self.share = share
        self.options = options
        self.weighted = weighted

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        known = {arn for _, arn in self.options}
        yield Select(self.options, value=self.share.arn if self.share.arn in known else Select.NULL,
                     prompt=t("act.pick_group"), compact=True, classes="group-pick")
        if self.weighted:
            yield Label(t("act.weight"), classes="inline-label")
            yield TextInput(self.share.weight, type="integer", max_length=3, compact=True, classes="group-weight")
            yield Button("✕", compact=True, classes="group-remove", tooltip=t("act.remove_group"))

    def set_options(self, options: list[tuple[str, str]]) -> None:
        self.options = options
        pick = self.query_one(".group-pick", Select)
        pick.set_options(options)
        if self.share.arn in {arn for _, arn in options}:
            pick.value = self.share.arn

    @on(Select.Changed, ".group-pick")
    def _picked(self, event: Select.Changed) -> None:
        self.share.arn = "" if event.value is Select.NULL else str(event.value)

    @on(TextInput.Changed, ".group-weight")
    def _weight(self, event: TextInput.Changed) -> None:
        self.share.weight = event.value


class ActionForm(BoundForm, Vertical):
    """Edits an ActionDraft in place. `kinds`: the action types offered; `weighted`: several target
    groups with weights (rules and listeners), or one (the create wizard, as in the console)."""

    def __init__(self, draft: ActionDraft, kinds: tuple[str, ...] = ACTION_TYPES, weighted: bool = True) -> None:
        super().__init__(classes="action-form")
        self.form = draft
        self.kinds = kinds
        self.weighted = weighted

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        draft = self.form
        if len(self.kinds) > 1:
            yield from field(t("act.type"), Select([(t(f"act.type.{kind}"), kind) for kind in self.kinds],
                                                  value=draft.action_type, allow_blank=False, id="action_type",
                                                  compact=True))
        options = group_options(self.app)
        with Vertical(id="forward", classes="action-part"):
            yield Label(t("act.forward_to"), classes="field-label")
            with Vertical(classes="group-rows"):
                for share in draft.groups:
                    yield GroupRow(share, options, self.weighted)
            with Horizontal(classes="inline-buttons"):
                if self.weighted:
                    yield Button(t("act.add_group"), compact=True, classes="group-add")
                yield Button(t("act.create_group"), compact=True, classes="group-create")
                yield Button("↻", compact=True, classes="group-refresh", tooltip=t("key.refresh"))
        with Vertical(id="redirect", classes="action-part"):
            yield from field(t("act.protocol"), Select([(p, p) for p in REDIRECT_PROTOCOLS],
                                                       value=draft.redirect_protocol, allow_blank=False,
                                                       id="redirect_protocol", compact=True))
            for name, label in REDIRECT_PARTS:
                yield from field(t(label), TextInput(getattr(draft, name), id=name, compact=True))
            yield from field(t("act.status_code"), Select([(t(f"act.status.{c}"), c) for c in REDIRECT_STATUS_CODES],
                                                          value=draft.redirect_code, allow_blank=False,
                                                          id="redirect_code", compact=True),
                             hint=t("act.redirect_hint"))
        with Vertical(id="fixed", classes="action-part"):
            yield from field(t("act.response_code"), TextInput(draft.fixed_code, id="fixed_code", max_length=3,
                                                               type="integer", compact=True, classes="short-input"))
            yield from field(t("act.content_type"), Select([(c, c) for c in FIXED_RESPONSE_CONTENT_TYPES],
                                                           value=draft.fixed_content_type, allow_blank=False,
                                                           id="fixed_content_type", compact=True))
            yield from field(t("act.body"), TextArea(draft.fixed_body, id="fixed_body", soft_wrap=True,
                                                     language=None), hint=t("act.body_hint"))

    def on_mount(self) -> None:
        self.form_changed("action_type")

    def form_changed(self, name: str) -> None:
        if name == "action_type":
            kind = self.form.action_type
            self.query_one("#forward").display = kind == FORWARD
            self.query_one("#redirect").display = kind == REDIRECT
            self.query_one("#fixed").display = kind == FIXED_RESPONSE

    def refresh_groups(self, select: str | None = None) -> None:
        """Re-read the target groups (the console's refresh button); `select` one in the first empty row."""
        if select:
            empty = next((share for share in self.form.groups if not share.arn), None)
            if empty is None:
                empty = self.form.groups[-1]
            empty.arn = select
        options = group_options(self.app)
        for row in self.query(GroupRow):
            row.set_options(options)

    @on(Button.Pressed, ".group-refresh")
    def _refresh(self, event: Button.Pressed) -> None:
        event.stop()
        self.refresh_groups()

    @on(Button.Pressed, ".group-create")
    def _create_group(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(CreateTargetGroupRequested(self.form))

    def group_created(self, arn: str | None) -> None:
        if arn:
            self.refresh_groups(select=arn)

    @on(Button.Pressed, ".group-add")
    async def _add_group(self, event: Button.Pressed) -> None:
        event.stop()
        if len(self.form.groups) >= MAX_TARGET_GROUPS_PER_ACTION:
            self.app.bell()
            return
        share = WeightedGroup()
        self.form.groups.append(share)
        await self.query_one(".group-rows").mount(GroupRow(share, group_options(self.app), self.weighted))

    @on(Button.Pressed, ".group-remove")
    async def _remove_group(self, event: Button.Pressed) -> None:
        event.stop()
        row = next(a for a in event.button.ancestors if isinstance(a, GroupRow))
        if len(self.form.groups) > 1:
            self.form.groups[:] = [share for share in self.form.groups if share is not row.share]
            await row.remove()
