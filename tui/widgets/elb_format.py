"""How ELB resources read on screen: health, balancer states, rule conditions and actions, notes.

Shared by the ELB pages, editors, the resource map and the request trace, so a rule or a target's
health reads the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from labs.codes import health_reason
from mock_cloud import FIXED_RESPONSE, FORWARD, REDIRECT, Action, Rule, RuleCondition
from tui.format import DASH, state_text

if TYPE_CHECKING:
    from textual.app import App

    from mock_cloud import Listener, TargetGroup

Translate = Callable[..., str]


def arn_tail(arn: str) -> str:
    """What follows the account and region: `targetgroup/demo-tg/0123…`, `loadbalancer/app/…`."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else arn


def arn_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def arn_field(label: str, arn: str) -> Text:
    """A label over a whole ARN, folded rather than cut (the learner copies it)."""
    return Text.assemble((label, "bold"), "\n", arn, "\n", overflow="fold")


def health_text(app: App, t: Translate, state: str) -> Text:
    return state_text(app, state, t(f"health.{state}"))


def health_details(t: Translate, reason: str | None, description: str | None) -> str:
    """A target's health status details in the console's language (the cloud speaks AWS's English)."""
    if not description:
        return DASH
    key, fields = health_reason(reason, description)
    return t(key, **fields)


def lb_state_text(app: App, t: Translate, state: str) -> Text:
    return state_text(app, state, t(f"lb.state.{state}"))


def cloud_note(t: Translate, key: str) -> Text:
    """A simplification note the cloud hands out by its catalogue key (mock_cloud's `*_NOTE` constants)."""
    return Text(t(key), style="dim italic")


def listener_name(listener: Listener) -> str:
    return f"{listener.protocol}:{listener.port}"


def condition_text(t: Translate, condition: RuleCondition) -> str:
    """As the console lists a condition: `Path Pattern is /api/* or /v1/*`."""
    label = t(f"cond.{condition.field}")
    if condition.field == "http-header" and condition.http_header_config is not None:
        label = f"{label} {condition.http_header_config.name}"
    values = f" {t('lrule.or')} ".join(condition.patterns())
    return f"{label} {t('lrule.is')} {values}"


def conditions_text(t: Translate, conditions: list[RuleCondition]) -> str:
    if not conditions:
        return t("lrule.no_conditions")
    return f"\n{t('lrule.and')} ".join(condition_text(t, c) for c in conditions)


def forward_shares(action: Action) -> list[tuple[str, int | None]]:
    """(target group ARN, weight) of a forward action, whichever form it was given in."""
    if action.forward_config is not None:
        return [(tg.arn, tg.weight) for tg in action.forward_config.target_groups]
    return [(action.target_group_arn, None)] if action.target_group_arn else []


def action_text(t: Translate, action: Action, groups: Mapping[str, TargetGroup]) -> str:
    if action.type == FORWARD:
        shares = forward_shares(action)
        total = sum(1 if w is None else w for _, w in shares) or 1
        names = [groups[arn].name if arn in groups else arn_id(arn) for arn, _ in shares]
        if not shares:
            return t("action.forward_none")
        if len(shares) == 1:
            return t("action.forward_one", group=names[0])
        parts = [f"{name} ({100 * (1 if w is None else w) / total:.0f}%)" for name, (_, w) in
                 zip(names, shares, strict=True)]
        return t("action.forward_many", groups=", ".join(parts))
    if action.type == REDIRECT and action.redirect_config is not None:
        r = action.redirect_config
        return t("action.redirect_to", url=f"{r.protocol}://{r.host}:{r.port}{r.path}?{r.query}",
                 code=r.status_code)
    if action.type == FIXED_RESPONSE and action.fixed_response_config is not None:
        f = action.fixed_response_config
        return t("action.fixed", code=f.status_code, type=f.content_type or DASH)
    return action.type


def actions_text(t: Translate, actions: list[Action], groups: Mapping[str, TargetGroup]) -> str:
    return "\n".join(action_text(t, a, groups) for a in actions) or DASH


def listener_rules_table(t: Translate, rules: list[Rule], groups: Mapping[str, TargetGroup]) -> Table:
    """A listener's rules in evaluation order: priority, conditions (If), actions (Then)."""
    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    table.add_column(t("lrule.col.priority"), no_wrap=True)
    table.add_column(t("lrule.col.conditions"), ratio=1, overflow="fold")
    table.add_column(t("lrule.col.actions"), ratio=1, overflow="fold")
    for rule in rules:
        if rule.is_default:
            table.add_row(t("lrule.default"), t("lrule.default_conditions"), actions_text(t, rule.actions, groups))
        else:
            table.add_row(str(rule.priority), conditions_text(t, rule.conditions),
                          actions_text(t, rule.actions, groups))
    return table
