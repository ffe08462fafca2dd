"""Manage rules › Add rule / Edit rule: priority, conditions (If) and the action (Then).

The default rule has no priority and no conditions: editing it changes only its action.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from textual.app import ComposeResult

from mock_cloud import MAX_PRIORITY, Listener, Rule
from tui.screens.elb.section_host import SectionHostScreen
from tui.typed_app import app_of
from tui.widgets.elb_action_form import ActionForm
from tui.widgets.elb_condition_editor import ConditionEditor
from tui.widgets.elb_drafts import ActionDraft, ConditionDraft
from tui.widgets.elb_format import listener_name
from tui.widgets.form import Section, field
from tui.widgets.text_input import TextInput


@dataclass
class RuleForm:
    priority: str = ""
    conditions: list[ConditionDraft] = dataclass_field(default_factory=list)
    action: ActionDraft = dataclass_field(default_factory=ActionDraft)


def next_priority(listener: Listener) -> int:
    used = [r.priority for r in listener.rules if isinstance(r.priority, int)]
    return min(max(used, default=0) + 1, MAX_PRIORITY)


class RuleEditorScreen(SectionHostScreen):
    INTRO_KEY = "lrule.intro"
    DONE_KEY = "lrule.saved"
    AUTO_FOCUS = "#priority, Select"

    def __init__(self, listener: Listener, rule: Rule | None = None) -> None:
        super().__init__()
        self.listener = listener
        self.rule = rule
        if rule is None:
            self.form = RuleForm(str(next_priority(listener)), [ConditionDraft()])
        else:
            self.form = RuleForm(str(rule.priority), [ConditionDraft.of(c) for c in rule.conditions],
                                 ActionDraft.of(rule.actions[0]))

    @property
    def is_default(self) -> bool:
        return self.rule is not None and self.rule.is_default

    def heading(self) -> str:
        t = app_of(self).t
        return f"{listener_name(self.listener)} › {t('lrule.add' if self.rule is None else 'lrule.edit')}"

    def save_label(self) -> str:
        return app_of(self).t("lrule.add" if self.rule is None else "key.save")

    def body(self) -> ComposeResult:
        t = app_of(self).t
        if not self.is_default:
            yield Section(t("lrule.priority"), *field(t("lrule.priority"), TextInput(
                self.form.priority, id="priority", type="integer", max_length=5, compact=True, classes="short-input"),
                hint=t("lrule.priority_hint")))
            yield Section(t("lrule.conditions"), ConditionEditor(self.form.conditions))
        yield Section(t("lrule.actions"), ActionForm(self.form.action))

    async def save(self) -> str:
        elbv2, form = app_of(self).cloud.elbv2, self.form
        conditions = [c.to_condition() for c in form.conditions]
        actions = [form.action.to_action()]
        if self.rule is None:
            rule = await elbv2.create_rule(self.listener.arn, form.priority.strip(), conditions, actions)
            return rule.arn
        await elbv2.modify_rule(self.rule.arn, None if self.is_default else conditions, actions)
        if not self.is_default and form.priority.strip() != str(self.rule.priority):
            await elbv2.set_rule_priorities([(self.rule.arn, form.priority.strip())])
        return self.rule.arn

    def done_name(self, result: Any) -> str:
        t, listener = app_of(self).t, listener_name(self.listener)
        if self.is_default:
            return t("lrule.where_default", listener=listener)
        return t("lrule.where", listener=listener, priority=self.form.priority.strip())
