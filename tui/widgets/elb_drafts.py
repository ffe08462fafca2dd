"""What the ELB forms hold while the learner fills them in, and the cloud objects they become.

Every field is kept as typed (text), so a language switch or a failed try loses nothing, and
what does not parse goes to the cloud as is, to be rejected in AWS's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_cloud import (
    FIXED_RESPONSE,
    FORWARD,
    HTTP_HEADER,
    HTTP_REQUEST_METHOD,
    PATH_PATTERN,
    QUERY_STRING,
    REDIRECT,
    SOURCE_IP,
    TRAFFIC_PORT,
    Action,
    FixedResponseConfig,
    ForwardConfig,
    HealthCheckSettings,
    HttpHeaderConfig,
    RedirectConfig,
    RuleCondition,
    TargetGroupTuple,
)
from tui.widgets.elb_format import forward_shares

# The console preselects this policy for a new HTTPS listener; the API's default is older
# (ELBSecurityPolicy-2016-08), which is what lblab applies when no policy is sent.
CONSOLE_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def split_values(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _query_pair(text: str) -> tuple[str | None, str]:
    """`key=value`, or a bare `value` that matches under any key."""
    key, equals, value = text.partition("=")
    return (key.strip() or None, value.strip()) if equals else (None, text)


@dataclass
class HealthCheckDraft:
    """A target group's health check settings; field names are the form's widget ids."""

    health_protocol: str = "HTTP"
    health_path: str = "/"
    health_port_mode: str = TRAFFIC_PORT  # or "override"
    health_port: str = ""
    healthy_threshold: str = "5"
    unhealthy_threshold: str = "2"
    health_timeout: str = "5"
    health_interval: str = "30"
    success_codes: str = "200"

    @classmethod
    def of(cls, settings: HealthCheckSettings) -> HealthCheckDraft:
        override = settings.port != TRAFFIC_PORT
        return cls(settings.protocol, settings.path, "override" if override else TRAFFIC_PORT,
                   settings.port if override else "", str(settings.healthy_threshold_count),
                   str(settings.unhealthy_threshold_count), str(settings.timeout_seconds),
                   str(settings.interval_seconds), settings.matcher)

    def fields(self) -> dict[str, Any]:
        """HealthCheckSettings field names, as create_target_group and modify_target_group take them."""
        return {
            "protocol": self.health_protocol,
            "path": self.health_path,
            "port": TRAFFIC_PORT if self.health_port_mode == TRAFFIC_PORT else self.health_port.strip(),
            "healthy_threshold_count": self.healthy_threshold.strip(),
            "unhealthy_threshold_count": self.unhealthy_threshold.strip(),
            "timeout_seconds": self.health_timeout.strip(),
            "interval_seconds": self.health_interval.strip(),
            "matcher": self.success_codes.strip(),
        }


@dataclass
class WeightedGroup:
    arn: str = ""
    weight: str = "1"


@dataclass
class ActionDraft:
    """A forward, redirect or fixed-response action; field names are the form's widget ids."""

    action_type: str = FORWARD
    groups: list[WeightedGroup] = field(default_factory=lambda: [WeightedGroup()])
    redirect_protocol: str = "#{protocol}"
    redirect_port: str = "#{port}"
    redirect_host: str = "#{host}"
    redirect_path: str = "/#{path}"
    redirect_query: str = "#{query}"
    redirect_code: str = "HTTP_301"
    fixed_code: str = "200"
    fixed_content_type: str = "text/plain"
    fixed_body: str = ""

    @classmethod
    def of(cls, action: Action) -> ActionDraft:
        draft = cls(action.type)
        shares = forward_shares(action)
        if shares:
            draft.groups = [WeightedGroup(arn, "1" if weight is None else str(weight)) for arn, weight in shares]
        if action.redirect_config is not None:
            r = action.redirect_config
            draft.redirect_protocol, draft.redirect_port, draft.redirect_host = r.protocol, r.port, r.host
            draft.redirect_path, draft.redirect_query, draft.redirect_code = r.path, r.query, r.status_code
        if action.fixed_response_config is not None:
            f = action.fixed_response_config
            draft.fixed_code, draft.fixed_content_type = f.status_code, f.content_type or "text/plain"
            draft.fixed_body = f.message_body or ""
        return draft

    def to_action(self) -> Action:
        if self.action_type == REDIRECT:
            return Action(REDIRECT, redirect_config=RedirectConfig(
                self.redirect_code, self.redirect_protocol.strip(), self.redirect_port.strip(),
                self.redirect_host.strip(), self.redirect_path.strip(), self.redirect_query.strip()))
        if self.action_type == FIXED_RESPONSE:
            return Action(FIXED_RESPONSE, fixed_response_config=FixedResponseConfig(
                self.fixed_code.strip(), self.fixed_content_type, self.fixed_body))
        chosen = [g for g in self.groups if g.arn]
        if len(chosen) == 1:
            return Action(FORWARD, target_group_arn=chosen[0].arn)
        if not chosen:
            return Action(FORWARD)  # the cloud says what is missing
        tuples = [TargetGroupTuple(g.arn, int(g.weight) if g.weight.strip().isdigit() else None) for g in chosen]
        return Action(FORWARD, forward_config=ForwardConfig(tuples))


@dataclass
class ConditionDraft:
    """One rule condition: its type, its values (comma-separated) and, for http-header, the header name."""

    field: str = PATH_PATTERN
    values: str = ""
    header_name: str = ""

    @classmethod
    def of(cls, condition: RuleCondition) -> ConditionDraft:
        name = condition.http_header_config.name if condition.http_header_config else ""
        return cls(condition.field, ", ".join(condition.patterns()), name)

    def to_condition(self) -> RuleCondition:
        values = split_values(self.values)
        if self.field == HTTP_HEADER:
            return RuleCondition(HTTP_HEADER, http_header_config=HttpHeaderConfig(self.header_name.strip(), values))
        if self.field == QUERY_STRING:
            return RuleCondition(QUERY_STRING, query_string_config=[_query_pair(v) for v in values])
        if self.field == HTTP_REQUEST_METHOD:
            return RuleCondition(HTTP_REQUEST_METHOD, http_request_method_config=values)
        if self.field == SOURCE_IP:
            return RuleCondition(SOURCE_IP, source_ip_config=values)
        if self.field == PATH_PATTERN:
            return RuleCondition(PATH_PATTERN, path_pattern_config=values)
        return RuleCondition(self.field, host_header_config=values)


@dataclass
class ListenerDraft:
    """A listener as the wizard and the listener editor fill it in; field names are widget ids."""

    listener_protocol: str = "HTTP"
    listener_port: str = "80"
    certificate_arn: str = ""
    ssl_policy: str = CONSOLE_SSL_POLICY
    action: ActionDraft = field(default_factory=ActionDraft)

    def certificates(self) -> list[str] | None:
        if self.listener_protocol != "HTTPS":
            return None
        return [self.certificate_arn] if self.certificate_arn else []

    def policy(self) -> str | None:
        return self.ssl_policy if self.listener_protocol == "HTTPS" else None
