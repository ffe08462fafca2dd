"""Application Load Balancer listener rules: the model, AWS's validation, and request matching.

Pure code, no I/O: the Query API, the TUI and the proxy all build the same dataclasses and
call the same validators, so a learner sees one set of rules and errors everywhere.

Shapes and names follow the ELBv2 API (RuleCondition, Action, Rule). Limits and wording come
from the ELBv2 API reference, the ALB user guide and errors AWS is known to return; where AWS
publishes no wording, the message follows moto or the nearest AWS message of the same family.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from mock_cloud.errors import CloudError, validation

MIN_PRIORITY = 1
MAX_PRIORITY = 50000
MAX_ACTION_ORDER = 50000
MAX_CONDITION_VALUES_PER_RULE = 5
MAX_WILDCARDS_PER_RULE = 5
MAX_TARGET_GROUPS_PER_ACTION = 5
MAX_TARGET_GROUP_WEIGHT = 999
MAX_STICKINESS_SECONDS = 604800
MAX_MESSAGE_BODY = 1024
MAX_PATTERN_LENGTH = 128
MAX_HEADER_NAME_LENGTH = 40
MAX_METHOD_LENGTH = 40

HOST_HEADER = "host-header"
PATH_PATTERN = "path-pattern"
HTTP_HEADER = "http-header"
QUERY_STRING = "query-string"
HTTP_REQUEST_METHOD = "http-request-method"
SOURCE_IP = "source-ip"

# Order as moto's error message lists them.
CONDITION_FIELDS = (PATH_PATTERN, HOST_HEADER, HTTP_HEADER, HTTP_REQUEST_METHOD, QUERY_STRING, SOURCE_IP)
# AWS: zero or one of each of these per rule; http-header and query-string may repeat.
SINGLE_USE_FIELDS = frozenset({HOST_HEADER, PATH_PATTERN, HTTP_REQUEST_METHOD, SOURCE_IP})
_LEGACY_VALUES_FIELDS = frozenset({HOST_HEADER, PATH_PATTERN})
_CONFIG_KEYS = {
    HOST_HEADER: "HostHeaderConfig",
    PATH_PATTERN: "PathPatternConfig",
    HTTP_HEADER: "HttpHeaderConfig",
    QUERY_STRING: "QueryStringConfig",
    HTTP_REQUEST_METHOD: "HttpRequestMethodConfig",
    SOURCE_IP: "SourceIpConfig",
}

FORWARD = "forward"
REDIRECT = "redirect"
FIXED_RESPONSE = "fixed-response"
ACTION_TYPES = (FORWARD, REDIRECT, FIXED_RESPONSE)

REDIRECT_STATUS_CODES = ("HTTP_301", "HTTP_302")
FIXED_RESPONSE_CONTENT_TYPES = (
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
)
# Protocol, host, port and path left as the request had them.
_REDIRECT_TO_SELF = ("#{protocol}", "#{host}", "#{port}", "/#{path}")
_REDIRECT_PROTOCOL_RE = re.compile(r"^(HTTPS?|#\{protocol\})$")
_FIXED_STATUS_RE = re.compile(r"^(2|4|5)\d\d$")
# Character sets from the RuleCondition "Values" documentation.
_HOST_CHARS_RE = re.compile(r"[A-Za-z0-9.\-*?]+")
_HOST_TLD_RE = re.compile(r"\.[A-Za-z]+")
_PATH_CHARS_RE = re.compile(r"[A-Za-z0-9_\-.$/~\"'@:+&*?]+")
_METHOD_RE = re.compile(r"[A-Z_-]+")
# RFC 7230 token characters, which is what AWS allows in HttpHeaderName.
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

Priority = int | Literal["default"]


# --------------------------------------------------------------------------- model


@dataclass
class HttpHeaderConfig:
    name: str
    values: list[str]


@dataclass
class RuleCondition:
    """One condition; exactly one of the configs (or legacy `values`) matches `field`."""

    field: str
    # The pre-2019 form, still accepted for host-header and path-pattern only.
    values: list[str] = dataclasses.field(default_factory=list)
    host_header_config: list[str] | None = None
    path_pattern_config: list[str] | None = None
    http_header_config: HttpHeaderConfig | None = None
    # (key, value); a None key matches the value under any key.
    query_string_config: list[tuple[str | None, str]] | None = None
    http_request_method_config: list[str] | None = None
    source_ip_config: list[str] | None = None

    def patterns(self) -> list[str]:
        """The strings this condition compares, whichever form carried them."""
        if self.field == HOST_HEADER:
            return self.host_header_config if self.host_header_config is not None else self.values
        if self.field == PATH_PATTERN:
            return self.path_pattern_config if self.path_pattern_config is not None else self.values
        if self.field == HTTP_HEADER:
            return self.http_header_config.values if self.http_header_config else []
        if self.field == QUERY_STRING:
            return [_query_display(k, v) for k, v in self.query_string_config or []]
        if self.field == HTTP_REQUEST_METHOD:
            return self.http_request_method_config or []
        if self.field == SOURCE_IP:
            return self.source_ip_config or []
        return []

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Field": self.field}
        if self.values:
            out["Values"] = list(self.values)
        if self.host_header_config is not None:
            out["HostHeaderConfig"] = {"Values": list(self.host_header_config)}
        if self.path_pattern_config is not None:
            out["PathPatternConfig"] = {"Values": list(self.path_pattern_config)}
        if self.http_header_config is not None:
            out["HttpHeaderConfig"] = {
                "HttpHeaderName": self.http_header_config.name,
                "Values": list(self.http_header_config.values),
            }
        if self.query_string_config is not None:
            pairs = [
                {"Value": v} if k is None else {"Key": k, "Value": v} for k, v in self.query_string_config
            ]
            out["QueryStringConfig"] = {"Values": pairs}
        if self.http_request_method_config is not None:
            out["HttpRequestMethodConfig"] = {"Values": list(self.http_request_method_config)}
        if self.source_ip_config is not None:
            out["SourceIpConfig"] = {"Values": list(self.source_ip_config)}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleCondition:
        def config_values(key: str) -> list[str] | None:
            config = data.get(key)
            return None if config is None else [str(v) for v in config.get("Values", [])]

        header = data.get("HttpHeaderConfig")
        query = data.get("QueryStringConfig")
        return cls(
            field=str(data.get("Field", "")),
            values=[str(v) for v in data.get("Values", [])],
            host_header_config=config_values("HostHeaderConfig"),
            path_pattern_config=config_values("PathPatternConfig"),
            http_header_config=None
            if header is None
            else HttpHeaderConfig(
                name=str(header.get("HttpHeaderName", "")),
                values=[str(v) for v in header.get("Values", [])],
            ),
            query_string_config=None
            if query is None
            else [(pair.get("Key"), str(pair.get("Value", ""))) for pair in query.get("Values", [])],
            http_request_method_config=config_values("HttpRequestMethodConfig"),
            source_ip_config=config_values("SourceIpConfig"),
        )


@dataclass
class TargetGroupTuple:
    arn: str
    weight: int | None = None


@dataclass
class Stickiness:
    enabled: bool
    duration_seconds: int | None = None


@dataclass
class ForwardConfig:
    target_groups: list[TargetGroupTuple]
    stickiness: Stickiness | None = None


@dataclass
class RedirectConfig:
    """Unset components keep their request values, which is what the placeholders mean."""

    status_code: str
    protocol: str = "#{protocol}"
    port: str = "#{port}"
    host: str = "#{host}"
    path: str = "/#{path}"
    query: str = "#{query}"

    @property
    def http_status(self) -> int:
        return 301 if self.status_code == "HTTP_301" else 302


@dataclass
class FixedResponseConfig:
    status_code: str
    content_type: str | None = None
    message_body: str | None = None

    @property
    def http_status(self) -> int:
        return int(self.status_code)


@dataclass
class Action:
    type: str
    order: int | None = None
    target_group_arn: str | None = None
    forward_config: ForwardConfig | None = None
    redirect_config: RedirectConfig | None = None
    fixed_response_config: FixedResponseConfig | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Type": self.type}
        if self.order is not None:
            out["Order"] = self.order
        if self.target_group_arn is not None:
            out["TargetGroupArn"] = self.target_group_arn
        if self.forward_config is not None:
            forward: dict[str, Any] = {
                "TargetGroups": [
                    {"TargetGroupArn": tg.arn}
                    if tg.weight is None
                    else {"TargetGroupArn": tg.arn, "Weight": tg.weight}
                    for tg in self.forward_config.target_groups
                ]
            }
            # AWS echoes the stickiness config even when none was given: {Enabled: false}.
            sticky = self.forward_config.stickiness or Stickiness(enabled=False)
            forward["TargetGroupStickinessConfig"] = {"Enabled": sticky.enabled}
            if sticky.duration_seconds is not None:
                forward["TargetGroupStickinessConfig"]["DurationSeconds"] = sticky.duration_seconds
            out["ForwardConfig"] = forward
        if self.redirect_config is not None:
            r = self.redirect_config
            out["RedirectConfig"] = {
                "Protocol": r.protocol,
                "Port": r.port,
                "Host": r.host,
                "Path": r.path,
                "Query": r.query,
                "StatusCode": r.status_code,
            }
        if self.fixed_response_config is not None:
            f = self.fixed_response_config
            fixed: dict[str, Any] = {"StatusCode": f.status_code}
            if f.content_type is not None:
                fixed["ContentType"] = f.content_type
            if f.message_body is not None:
                fixed["MessageBody"] = f.message_body
            out["FixedResponseConfig"] = fixed
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        forward = data.get("ForwardConfig")
        redirect = data.get("RedirectConfig")
        fixed = data.get("FixedResponseConfig")
        return cls(
            type=str(data.get("Type", "")),
            order=_optional_int(data.get("Order"), "Order"),
            target_group_arn=data.get("TargetGroupArn"),
            forward_config=None if forward is None else _forward_from_dict(forward),
            redirect_config=None
            if redirect is None
            else RedirectConfig(
                status_code=str(redirect.get("StatusCode", "")),
                protocol=str(redirect.get("Protocol", "#{protocol}")),
                port=str(redirect.get("Port", "#{port}")),
                host=str(redirect.get("Host", "#{host}")),
                path=str(redirect.get("Path", "/#{path}")),
                query=str(redirect.get("Query", "#{query}")),
            ),
            fixed_response_config=None
            if fixed is None
            else FixedResponseConfig(
                status_code=str(fixed.get("StatusCode", "")),
                content_type=fixed.get("ContentType"),
                message_body=fixed.get("MessageBody"),
            ),
        )


@dataclass
class Rule:
    arn: str
    priority: Priority
    conditions: list[RuleCondition]
    actions: list[Action]
    is_default: bool = False

    def to_dict(self) -> dict[str, Any]:
        # AWS's Rule shape carries Priority as a string ("default" or digits).
        return {
            "RuleArn": self.arn,
            "Priority": str(self.priority),
            "Conditions": [c.to_dict() for c in self.conditions],
            "Actions": [a.to_dict() for a in self.actions],
            "IsDefault": self.is_default,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        raw = data.get("Priority", "default")
        priority: Priority = "default" if raw == "default" else _as_int(raw, "Priority")
        return cls(
            arn=str(data.get("RuleArn", "")),
            priority=priority,
            conditions=[RuleCondition.from_dict(c) for c in data.get("Conditions", [])],
            actions=[Action.from_dict(a) for a in data.get("Actions", [])],
            is_default=bool(data.get("IsDefault", priority == "default")),
        )


def _forward_from_dict(data: Mapping[str, Any]) -> ForwardConfig:
    sticky = data.get("TargetGroupStickinessConfig")
    return ForwardConfig(
        target_groups=[
            TargetGroupTuple(
                arn=str(tg.get("TargetGroupArn", "")), weight=_optional_int(tg.get("Weight"), "Weight")
            )
            for tg in data.get("TargetGroups", [])
        ],
        stickiness=None
        if sticky is None
        else Stickiness(
            enabled=_as_bool(sticky.get("Enabled", False)),
            duration_seconds=_optional_int(sticky.get("DurationSeconds"), "DurationSeconds"),
        ),
    )


def _as_int(value: Any, name: str) -> int:
    # The Query API hands every scalar over as a string; the TUI passes Python values.
    bad = validation(f"Invalid value '{str(value)[:100]}' for {name}; it must be an integer")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise bad  # int() would drop a fraction, or raise OverflowError for infinity
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise bad from None


def _optional_int(value: Any, name: str) -> int | None:
    return None if value is None else _as_int(value, name)


def _as_bool(value: Any) -> bool:
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _query_display(key: str | None, value: str) -> str:
    return value if key is None else f"{key}={value}"


# --------------------------------------------------------------------------- validation


def _constraint(value: object, where: str, constraint: str) -> CloudError:
    """AWS's wording for a request that breaks its API model (ranges, patterns, enums)."""
    return validation(
        f"1 validation error detected: Value '{value}' at '{where}' "
        f"failed to satisfy constraint: {constraint}"
    )


def _check_range(value: int, where: str, low: int, high: int) -> None:
    if value < low:
        raise _constraint(value, where, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise _constraint(value, where, f"Member must have value less than or equal to {high}")


def _check_length(value: str, where: str, low: int, high: int) -> None:
    if len(value) < low:
        raise _constraint(value, where, f"Member must have length greater than or equal to {low}")
    if len(value) > high:
        raise _constraint(value, where, f"Member must have length less than or equal to {high}")


def validate_priority(priority: int) -> None:
    _check_range(priority, "priority", MIN_PRIORITY, MAX_PRIORITY)


def validate_conditions(conditions: Sequence[RuleCondition]) -> None:
    """Everything AWS checks about a rule's conditions, in isolation from the listener."""
    if not conditions:
        raise validation("A rule must have at least one condition")
    seen: set[str] = set()
    for cond in conditions:
        _validate_condition(cond)
        if cond.field in SINGLE_USE_FIELDS and cond.field in seen:
            raise validation(f"A rule can only have one '{cond.field}' condition")
        seen.add(cond.field)
    values = sum(len(c.patterns()) for c in conditions)
    if values > MAX_CONDITION_VALUES_PER_RULE:
        raise validation(f"A rule can only have '{MAX_CONDITION_VALUES_PER_RULE}' condition values")
    wildcards = sum(_condition_wildcards(c) for c in conditions)
    if wildcards > MAX_WILDCARDS_PER_RULE:
        raise validation(f"A rule can only have '{MAX_WILDCARDS_PER_RULE}' wildcards")


def _validate_condition(cond: RuleCondition) -> None:
    if cond.field not in CONDITION_FIELDS:
        raise validation(f"Condition field '{cond.field}' must be one of '[{','.join(CONDITION_FIELDS)}]'")
    if cond.values and cond.field not in _LEGACY_VALUES_FIELDS:
        raise validation(f"The 'Values' field is not compatible with '{cond.field}'")
    _VALIDATORS[cond.field](cond)


def _validate_host_or_path(
    cond: RuleCondition, config: list[str] | None, check: Callable[[str], None]
) -> None:
    config_key = _CONFIG_KEYS[cond.field]
    if cond.values and config is not None:
        raise validation(
            f"You cannot provide both Values and '{config_key}' for a condition of type '{cond.field}'"
        )
    if cond.values and len(cond.values) > 1:
        raise validation(f"The '{cond.field}' field contains too many values; the limit is '1'")
    values = config if config is not None else cond.values
    if not values:
        raise validation("A condition value must be specified")
    for value in values:
        if len(value) > MAX_PATTERN_LENGTH:
            raise validation(f"The '{cond.field}' value is too long; the limit is '{MAX_PATTERN_LENGTH}'")
        check(value)


def _check_host_value(value: str) -> None:
    if not _HOST_CHARS_RE.fullmatch(value):
        raise validation(
            f"The 'host-header' value '{value}' is invalid; "
            "the allowed characters are A-Z, a-z, 0-9, '-', '.', '*' and '?'"
        )
    # API reference: at least one '.', and only letters after the final one.
    tld_at = value.rfind(".")
    if tld_at < 0 or not _HOST_TLD_RE.fullmatch(value[tld_at:]):
        raise validation(
            f"The 'host-header' value '{value}' is invalid; it must contain a '.' and only alphabetical "
            "characters after the final '.'"
        )


def _check_path_value(value: str) -> None:
    if not _PATH_CHARS_RE.fullmatch(value):
        raise validation(
            f"The 'path-pattern' value '{value}' is invalid; the allowed characters are A-Z, a-z, 0-9, "
            "_ - . $ / ~ \" ' @ : + & * ?"
        )


def _validate_host_header(cond: RuleCondition) -> None:
    _validate_host_or_path(cond, cond.host_header_config, _check_host_value)


def _validate_path_pattern(cond: RuleCondition) -> None:
    _validate_host_or_path(cond, cond.path_pattern_config, _check_path_value)


def _missing_condition_config(cond: RuleCondition) -> CloudError:
    return validation(f"A '{_CONFIG_KEYS[cond.field]}' must be specified with '{cond.field}'")


def _validate_http_header(cond: RuleCondition) -> None:
    config = cond.http_header_config
    if config is None:
        raise _missing_condition_config(cond)
    if not config.name:
        raise validation("A 'HttpHeaderName' must be specified with 'http-header'")
    if len(config.name) > MAX_HEADER_NAME_LENGTH:
        raise validation(f"The 'HttpHeaderName' value is too long; the limit is '{MAX_HEADER_NAME_LENGTH}'")
    if not _HEADER_NAME_RE.fullmatch(config.name):
        raise validation(
            f"The 'HttpHeaderName' value '{config.name}' contains characters not allowed by RFC 7230"
        )
    if config.name.lower() == "host":
        raise validation("You cannot use an 'http-header' condition for the host header; use 'host-header'")
    if not config.values:
        raise validation("A condition value must be specified")
    for value in config.values:
        if len(value) > MAX_PATTERN_LENGTH:
            raise validation(f"The 'http-header' value is too long; the limit is '{MAX_PATTERN_LENGTH}'")


def _validate_query_string(cond: RuleCondition) -> None:
    if cond.query_string_config is None:
        raise _missing_condition_config(cond)
    if not cond.query_string_config:
        raise validation("A condition value must be specified")
    for key, value in cond.query_string_config:
        if not value:
            raise validation("A 'Value' must be specified in 'QueryStringKeyValuePair'")
        if key is not None and len(key) > MAX_PATTERN_LENGTH:
            raise validation(f"The 'Key' value is too long; the limit is '{MAX_PATTERN_LENGTH}'")
        if len(value) > MAX_PATTERN_LENGTH:
            raise validation(f"The 'Value' value is too long; the limit is '{MAX_PATTERN_LENGTH}'")


def _validate_http_request_method(cond: RuleCondition) -> None:
    if cond.http_request_method_config is None:
        raise _missing_condition_config(cond)
    if not cond.http_request_method_config:
        raise validation("A condition value must be specified")
    for value in cond.http_request_method_config:
        if len(value) > MAX_METHOD_LENGTH:
            raise validation(
                f"The 'http-request-method' value is too long; the limit is '{MAX_METHOD_LENGTH}'"
            )
        if not _METHOD_RE.fullmatch(value):
            raise validation(
                "The 'http-request-method' value is invalid; "
                "the allowed characters are A-Z, hyphen and underscore"
            )


def _validate_source_ip(cond: RuleCondition) -> None:
    if cond.source_ip_config is None:
        raise _missing_condition_config(cond)
    if not cond.source_ip_config:
        raise validation("A 'source-ip' value must be specified")
    for value in cond.source_ip_config:
        # AWS wants CIDR notation, so a bare address (which ipaddress would accept) is refused.
        if "/" not in value or _network(value) is None:
            raise validation(f"The 'source-ip' value '{value}' is not a valid IPv4 or IPv6 CIDR block")


_VALIDATORS: dict[str, Callable[[RuleCondition], None]] = {
    HOST_HEADER: _validate_host_header,
    PATH_PATTERN: _validate_path_pattern,
    HTTP_HEADER: _validate_http_header,
    QUERY_STRING: _validate_query_string,
    HTTP_REQUEST_METHOD: _validate_http_request_method,
    SOURCE_IP: _validate_source_ip,
}


def _count_wildcards(pattern: str, escapes: bool = False) -> int:
    if escapes:
        pattern = pattern.replace("\\*", "").replace("\\?", "")
    return pattern.count("*") + pattern.count("?")


def _condition_wildcards(cond: RuleCondition) -> int:
    if cond.field == QUERY_STRING:
        return sum(
            _count_wildcards(value, True) + _count_wildcards(key or "", True)
            for key, value in cond.query_string_config or []
        )
    if cond.field in (HOST_HEADER, PATH_PATTERN, HTTP_HEADER):
        return sum(_count_wildcards(p) for p in cond.patterns())
    return 0


def validate_actions(actions: Sequence[Action], known_target_groups: Container[str] | None = None) -> None:
    """AWS's checks on a rule's (or listener's default) actions.

    `known_target_groups`, when given, is what exists in the account, for TargetGroupNotFound.
    """
    if not actions:
        raise validation("A rule must have at least one action")
    for index, action in enumerate(actions, start=1):
        _validate_action(action, index, known_target_groups)
    # AWS: exactly one forward/redirect/fixed-response action, performed last. lblab has no
    # authenticate-* actions, so that leaves room for exactly one action.
    if len(actions) > 1:
        raise CloudError(
            "InvalidLoadBalancerAction",
            "A rule must have exactly one action of type 'forward', 'redirect' or 'fixed-response', "
            "and it must be the last action",
        )


def _validate_action(action: Action, index: int, known_target_groups: Container[str] | None) -> None:
    where = f"actions.{index}.member"
    if action.type not in ACTION_TYPES:
        raise _constraint(
            action.type, f"{where}.type", f"Member must satisfy enum value set: [{', '.join(ACTION_TYPES)}]"
        )
    if action.order is not None:
        _check_range(action.order, f"{where}.order", 1, MAX_ACTION_ORDER)
    if action.type == FORWARD:
        _validate_forward(action, known_target_groups)
    elif action.type == REDIRECT:
        _validate_redirect(action.redirect_config, where)
    else:
        _validate_fixed_response(action.fixed_response_config, where)


def _missing_config(action_type: str, fields: str) -> CloudError:
    return CloudError(
        "InvalidLoadBalancerAction",
        f"For actions of type '{action_type}', you must specify the following fields: {fields}",
    )


def _validate_forward(action: Action, known_target_groups: Container[str] | None) -> None:
    config = action.forward_config
    if config is None and action.target_group_arn is None:
        raise _missing_config(FORWARD, "'TargetGroupArn' or 'ForwardConfig'")
    arns = [action.target_group_arn] if action.target_group_arn is not None else []
    if config is not None:
        groups = config.target_groups
        if not groups:
            raise validation("A 'ForwardConfig' must specify at least one target group")
        if len(groups) > MAX_TARGET_GROUPS_PER_ACTION:
            raise validation(f"A forward action can only have '{MAX_TARGET_GROUPS_PER_ACTION}' target groups")
        # API reference: with both set, ForwardConfig holds just that one target group.
        if action.target_group_arn is not None and [tg.arn for tg in groups] != [action.target_group_arn]:
            raise CloudError(
                "InvalidLoadBalancerAction",
                "If you specify both 'TargetGroupArn' and 'ForwardConfig', 'ForwardConfig' must contain only "
                "the target group specified in 'TargetGroupArn'",
            )
        for tg in groups:
            if tg.weight is not None and not 0 <= tg.weight <= MAX_TARGET_GROUP_WEIGHT:
                raise validation(
                    f"Target group weight '{tg.weight}' must be between 0 and {MAX_TARGET_GROUP_WEIGHT}"
                )
        sticky = config.stickiness
        duration = sticky.duration_seconds if sticky is not None else None
        if duration is not None and not 1 <= duration <= MAX_STICKINESS_SECONDS:
            raise validation(
                f"Target group stickiness duration '{duration}' must be between 1 and "
                f"{MAX_STICKINESS_SECONDS} seconds"
            )
        arns = [tg.arn for tg in groups]
    if known_target_groups is not None and any(arn not in known_target_groups for arn in arns):
        raise CloudError("TargetGroupNotFound", "One or more target groups not found")


def _validate_redirect(config: RedirectConfig | None, where: str) -> None:
    if config is None:
        raise _missing_config(REDIRECT, "'RedirectConfig'")
    where = f"{where}.redirectConfig"
    if config.status_code not in REDIRECT_STATUS_CODES:
        raise _constraint(
            config.status_code,
            f"{where}.statusCode",
            f"Member must satisfy enum value set: [{', '.join(REDIRECT_STATUS_CODES)}]",
        )
    if not _REDIRECT_PROTOCOL_RE.fullmatch(config.protocol):
        raise _constraint(
            config.protocol,
            f"{where}.protocol",
            f"Member must satisfy regular expression pattern: {_REDIRECT_PROTOCOL_RE.pattern}",
        )
    _check_length(config.host, f"{where}.host", 1, 128)
    _check_length(config.path, f"{where}.path", 1, 128)
    _check_length(config.query, f"{where}.query", 0, 128)
    if config.port != "#{port}" and not (config.port.isascii() and config.port.isdigit()
                                          and 1 <= int(config.port) <= 65535):
        raise validation(f"The redirect port '{config.port}' must be a number from 1 to 65535 or '#{{port}}'")
    if not config.path.startswith("/"):
        raise validation(f"The redirect path '{config.path}' must start with '/'")
    # AWS: at least one of protocol, host, port or path must change, or the client loops.
    if (config.protocol, config.host, config.port, config.path) == _REDIRECT_TO_SELF:
        raise CloudError(
            "InvalidLoadBalancerAction", "The redirect configuration is not valid because it creates a loop."
        )


def _validate_fixed_response(config: FixedResponseConfig | None, where: str) -> None:
    if config is None:
        raise _missing_config(FIXED_RESPONSE, "'FixedResponseConfig'")
    where = f"{where}.fixedResponseConfig"
    if not _FIXED_STATUS_RE.fullmatch(config.status_code):
        raise _constraint(
            config.status_code,
            f"{where}.statusCode",
            f"Member must satisfy regular expression pattern: {_FIXED_STATUS_RE.pattern}",
        )
    if config.content_type is not None and config.content_type not in FIXED_RESPONSE_CONTENT_TYPES:
        raise CloudError(
            "InvalidLoadBalancerAction",
            "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', "
            "'text/css', 'text/plain'",
        )
    if config.message_body is not None:
        _check_length(config.message_body, f"{where}.messageBody", 0, MAX_MESSAGE_BODY)


def validate_rule(rule: Rule, known_target_groups: Container[str] | None = None) -> None:
    """A whole rule; the default rule has no priority and no conditions, only actions."""
    if rule.is_default:
        if rule.conditions:
            raise CloudError("OperationNotPermitted", "The default rule cannot have conditions")
    else:
        if rule.priority == "default":
            raise validation("Only the default rule can have the priority 'default'")
        validate_priority(rule.priority)
        validate_conditions(rule.conditions)
    validate_actions(rule.actions, known_target_groups)


def _priority_in_use(priority: Priority) -> CloudError:
    return CloudError("PriorityInUse", f"Priority '{priority}' is currently in use")


def check_priority_available(rules: Iterable[Rule], priority: int, ignore_arn: str | None = None) -> None:
    """CreateRule's check: no other rule on the listener holds `priority`."""
    for rule in rules:
        if rule.priority == priority and rule.arn != ignore_arn:
            raise _priority_in_use(priority)


def validate_listener_rules(rules: Sequence[Rule]) -> None:
    """The listener-wide invariant: no two rules share a priority."""
    seen: set[Priority] = set()
    for rule in rules:
        if rule.is_default:
            continue
        if rule.priority in seen:
            raise _priority_in_use(rule.priority)
        seen.add(rule.priority)


def set_priorities(rules: Sequence[Rule], changes: Sequence[tuple[str, int]]) -> list[Rule]:
    """SetRulePriorities: returns every rule of the listener, the named ones re-prioritised.

    As AWS documents, rules not named keep their priority, and conflicts are judged on the new
    order, so two rules may swap priorities in one call.
    """
    by_arn = {rule.arn: rule for rule in rules}
    requested: set[int] = set()
    for arn, priority in changes:
        validate_priority(priority)
        if priority in requested:
            raise validation(f"Priority '{priority}' was provided multiple times")
        requested.add(priority)
        rule = by_arn.get(arn)
        if rule is None:
            raise CloudError("RuleNotFound", "The specified rule does not exist.")
        if rule.is_default:
            raise CloudError("OperationNotPermitted", "The priority of the default rule cannot be changed")
    new_priority = dict(changes)
    updated = [
        dataclasses.replace(rule, priority=new_priority[rule.arn]) if rule.arn in new_priority else rule
        for rule in rules
    ]
    validate_listener_rules(updated)
    return updated


# --------------------------------------------------------------------------- matching


@dataclass
class RequestInfo:
    """What a listener rule can see of one request.

    `host` is the raw Host header (the port, if any, is ignored when matching); `query` holds
    percent-decoded (key, value) pairs in request order; `headers` may repeat names.
    """

    method: str
    host: str | None
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Sequence[tuple[str, str]] = ()
    source_ip: str = ""
    hostname: str | None = dataclasses.field(init=False, repr=False, compare=False)
    _headers_by_name: dict[str, list[str]] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once per request, since every rule on the listener may look at them.
        self.hostname = _strip_port(self.host) if self.host else None
        index: dict[str, list[str]] = {}
        for name, value in self.headers:
            index.setdefault(name.lower(), []).append(value)
        self._headers_by_name = index

    def header_values(self, name: str) -> list[str]:
        return self._headers_by_name.get(name.lower(), [])


def _strip_port(host: str) -> str:
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    name, sep, port = host.rpartition(":")
    return name if sep and port.isascii() and port.isdigit() and ":" not in name else host


def parse_query(raw: str) -> list[tuple[str, str]]:
    """Split a raw query string into percent-decoded pairs, keeping order and repeats.

    Only %XX escapes are decoded: RFC 3986, which AWS cites, gives '+' no special meaning.
    """
    pairs = []
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool, escapes: bool = False) -> re.Pattern[str]:
    """Compile an ELB pattern ('*' = any run, '?' = one character) once; rules are matched per request."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escapes and ch == "\\" and pattern[i + 1 : i + 2] in ("*", "?"):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@lru_cache(maxsize=1024)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


# A hit is (the configured pattern, the request value it matched), for explain_match.
_Hit = tuple[str, str]


def _hit_host(cond: RuleCondition, req: RequestInfo) -> _Hit | None:
    if req.hostname is None:
        return None
    for pattern in cond.patterns():
        if _wildcard(pattern, True).fullmatch(req.hostname):
            return pattern, req.hostname
    return None


def _hit_path(cond: RuleCondition, req: RequestInfo) -> _Hit | None:
    for pattern in cond.patterns():
        if _wildcard(pattern, False).fullmatch(req.path):
            return pattern, req.path
    return None


def _hit_header(cond: RuleCondition, req: RequestInfo) -> _Hit | None:
    config = cond.http_header_config
    if config is None:
        return None
    # AWS searches repeated headers in order until one matches.
    for actual in req.header_values(config.name):
        for pattern in config.values:
            if _wildcard(pattern, True).fullmatch(actual):
                return pattern, actual
    return None


def _hit_query(cond: RuleCondition, req: RequestInfo) -> _Hit | None:
    for key_pattern, value_pattern in cond.query_string_config or []:
        value_re = _wildcard(value_pattern, True, True)
        key_re = None if key_pattern is None else _wildcard(key_pattern, True, True)
        for key, value in req.query:
            if (key_re is None or key_re.fullmatch(key)) and value_re.fullmatch(value):
                return _query_display(key_pattern, value_pattern), f"{key}={value}"
    return None


def _hit_method(cond: RuleCondition, req: RequestInfo) -> _Hit | None:
    if req.method in (cond.http_request_method_config or []):
        return req.method, req.method
    return None


def _hit_source_ip(cond: RuleCondition, req: RequestInfo) -> _Hit | None:
    address = _address(req.source_ip)
    if address is None:
        return None
    for cidr in cond.source_ip_config or []:
        network = _network(cidr)
        if network is not None and network.version == address.version and address in network:
            return cidr, req.source_ip
    return None


_FINDERS: dict[str, Callable[[RuleCondition, RequestInfo], _Hit | None]] = {
    HOST_HEADER: _hit_host,
    PATH_PATTERN: _hit_path,
    HTTP_HEADER: _hit_header,
    QUERY_STRING: _hit_query,
    HTTP_REQUEST_METHOD: _hit_method,
    SOURCE_IP: _hit_source_ip,
}


def match_condition(cond: RuleCondition, req: RequestInfo) -> bool:
    """True if any of the condition's values matches (AWS ORs the values of one condition)."""
    finder = _FINDERS.get(cond.field)
    return finder is not None and finder(cond, req) is not None


def match_rule(rule: Rule, req: RequestInfo) -> bool:
    """True if every condition matches (AWS ANDs conditions); the default rule always matches."""
    return all(match_condition(cond, req) for cond in rule.conditions)


def sort_rules(rules: Iterable[Rule]) -> list[Rule]:
    """Evaluation order: ascending priority, the default rule last."""
    return sorted(rules, key=lambda r: (1, 0) if r.is_default else (0, r.priority))


def select_rule(rules: Iterable[Rule], req: RequestInfo) -> Rule | None:
    """The rule whose actions handle `req`; None only if `rules` lacks a default rule."""
    for rule in sort_rules(rules):
        if match_rule(rule, req):
            return rule
    return None


def _label(cond: RuleCondition) -> str:
    if cond.field == HTTP_HEADER and cond.http_header_config is not None:
        return f"http-header '{cond.http_header_config.name}'"
    return cond.field


def _request_side(cond: RuleCondition, req: RequestInfo) -> str:
    if cond.field == HOST_HEADER:
        return f"'{req.hostname}'" if req.hostname else "(no Host header)"
    if cond.field == PATH_PATTERN:
        return f"'{req.path}'"
    if cond.field == HTTP_HEADER and cond.http_header_config is not None:
        values = req.header_values(cond.http_header_config.name)
        return ", ".join(f"'{v}'" for v in values) if values else "(header absent)"
    if cond.field == QUERY_STRING:
        if not req.query:
            return "(empty query string)"
        return "'" + "&".join(f"{k}={v}" for k, v in req.query) + "'"
    if cond.field == HTTP_REQUEST_METHOD:
        return f"'{req.method}'"
    return f"'{req.source_ip}'"


def explain_match(rule: Rule, req: RequestInfo) -> list[str]:
    """One human-readable line per condition, saying whether and why it matched."""
    if rule.is_default:
        return ["default rule: no conditions, matches every request"]
    lines = []
    for cond in rule.conditions:
        finder = _FINDERS.get(cond.field)
        hit = finder(cond, req) if finder is not None else None
        label = _label(cond)
        if hit is None:
            expected = ", ".join(f"'{p}'" for p in cond.patterns())
            lines.append(f"{label} did not match {_request_side(cond, req)} (expected one of: {expected})")
        elif cond.field == SOURCE_IP:
            lines.append(f"source-ip '{hit[0]}' contains '{hit[1]}'")
        else:
            lines.append(f"{label} '{hit[0]}' matched '{hit[1]}'")
    return lines


# --------------------------------------------------------------------------- redirects


def render_redirect(
    cfg: RedirectConfig, req_proto: str, host: str, port: int | str, path: str, query: str
) -> str:
    """The Location URL of a redirect action for one request.

    `host` is the request's host name without port, `path` starts with '/', `query` is the raw
    query string without '?'. Every placeholder is available in every component.
    """
    values = {
        "#{protocol}": req_proto.lower(),
        "#{host}": host,
        "#{port}": str(port),
        # AWS: "#{path} (the leading '/' is removed)".
        "#{path}": path[1:] if path.startswith("/") else path,
        "#{query}": query,
    }

    def fill(template: str) -> str:
        for placeholder, value in values.items():
            template = template.replace(placeholder, value)
        return template

    url = f"{fill(cfg.protocol).lower()}://{fill(cfg.host)}:{fill(cfg.port)}{fill(cfg.path)}"
    rendered_query = fill(cfg.query)
    return f"{url}?{rendered_query}" if rendered_query else url
