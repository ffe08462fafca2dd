"""Health checks, listener rules and actions as lab files write them, shared by checks and solutions.

A lab says `conditions: {path: [/api/*]}` and `action: {forward: api-tg}`; the engine turns that
into the ELBv2 API's RuleCondition and Action to create a rule, or compares it with the rule the
learner made in the console, in one normalized shape.
"""

from __future__ import annotations

from typing import Any

from labs.resources import target_group_name, target_group_named
from labs.schema import Field, Int, ListOf, Record, Str, StrMap
from mock_cloud import (
    FIXED_RESPONSE,
    FORWARD,
    HOST_HEADER,
    HTTP_HEADER,
    HTTP_REQUEST_METHOD,
    PATH_PATTERN,
    QUERY_STRING,
    REDIRECT,
    SOURCE_IP,
    Action,
    Cloud,
    CloudError,
    FixedResponseConfig,
    HttpHeaderConfig,
    RedirectConfig,
    RuleCondition,
)

_STRINGS = ListOf(Str(), min_items=1, single=True)

CONDITIONS = Record({
    "path": Field(_STRINGS),
    "host": Field(_STRINGS),
    "header": Field(Record({"name": Field(Str(), required=True), "values": Field(_STRINGS, required=True)},
                           name="header condition")),
    "query": Field(StrMap()),
    "source_ip": Field(_STRINGS),
    "method": Field(_STRINGS),
}, name="rule conditions", any_of=("path", "host", "header", "query", "source_ip", "method"))

_REDIRECT = Record({
    "protocol": Field(Str(choices=("HTTP", "HTTPS", "#{protocol}"))),
    "port": Field(Str()),
    "host": Field(Str()),
    "path": Field(Str()),
    "query": Field(Str()),
    "status_code": Field(Str(choices=("HTTP_301", "HTTP_302")), required=True),
}, name="redirect")

_FIXED = Record({
    "status_code": Field(Str(pattern=r"[245]\d\d", pattern_text="an HTTP status code (2xx, 4xx or 5xx)"),
                         required=True),
    "content_type": Field(Str(), default="text/plain"),
    "message_body": Field(Str()),
}, name="fixed response")

HEALTH_CHECK = Record({
    "protocol": Field(Str(choices=("HTTP", "HTTPS"))),
    "port": Field(Str()),
    "path": Field(Str(pattern=r"/.*", pattern_text="a path starting with /")),
    "interval_seconds": Field(Int(5, 300)),
    "timeout_seconds": Field(Int(2, 120)),
    "healthy_threshold_count": Field(Int(2, 10)),
    "unhealthy_threshold_count": Field(Int(2, 10)),
    "matcher": Field(Str()),
}, name="health check")

ACTION = Record({
    "forward": Field(Str()),
    "redirect": Field(_REDIRECT),
    "fixed_response": Field(_FIXED),
}, one_of=("forward", "redirect", "fixed_response"), name="action")

_FIELD_NAMES = {"path": PATH_PATTERN, "host": HOST_HEADER, "source_ip": SOURCE_IP, "method": HTTP_REQUEST_METHOD}


# -- to the API ---------------------------------------------------------------------------------------


def to_conditions(spec: dict[str, Any]) -> list[RuleCondition]:
    conditions = []
    if spec["path"]:
        conditions.append(RuleCondition(PATH_PATTERN, path_pattern_config=list(spec["path"])))
    if spec["host"]:
        conditions.append(RuleCondition(HOST_HEADER, host_header_config=list(spec["host"])))
    if spec["header"]:
        header = spec["header"]
        conditions.append(RuleCondition(HTTP_HEADER, http_header_config=HttpHeaderConfig(header["name"],
                                                                                         list(header["values"]))))
    if spec["query"]:
        conditions.append(RuleCondition(QUERY_STRING, query_string_config=list(spec["query"].items())))
    if spec["source_ip"]:
        conditions.append(RuleCondition(SOURCE_IP, source_ip_config=list(spec["source_ip"])))
    if spec["method"]:
        conditions.append(RuleCondition(HTTP_REQUEST_METHOD, http_request_method_config=list(spec["method"])))
    return conditions


def to_action(cloud: Cloud, spec: dict[str, Any]) -> Action:
    if spec["forward"]:
        group = target_group_named(cloud, spec["forward"])
        if group is None:
            raise CloudError("TargetGroupNotFound", f"There is no target group named {spec['forward']}")
        return Action(FORWARD, target_group_arn=group.arn)
    if spec["redirect"]:
        given = {k: v for k, v in spec["redirect"].items() if v is not None}
        return Action(REDIRECT, redirect_config=RedirectConfig(**given))
    fixed = spec["fixed_response"]
    return Action(FIXED_RESPONSE, fixed_response_config=FixedResponseConfig(
        fixed["status_code"], fixed["content_type"], fixed["message_body"]))


# -- comparing with what the learner made ----------------------------------------------------------------


def conditions_shape(conditions: list[RuleCondition]) -> dict[str, Any]:
    """Conditions in one comparable shape, whichever API form (legacy Values or *Config) carried them."""
    shape: dict[str, Any] = {}
    for condition in conditions:
        if condition.field == HTTP_HEADER and condition.http_header_config is not None:
            config = condition.http_header_config
            shape["header"] = (config.name.lower(), sorted(config.values))
        elif condition.field == QUERY_STRING:
            shape["query"] = sorted((k or "", v) for k, v in condition.query_string_config or [])
        else:
            key = next((k for k, v in _FIELD_NAMES.items() if v == condition.field), condition.field)
            values = condition.patterns()
            shape[key] = sorted(v.lower() for v in values) if key == "host" else sorted(values)
    return shape


def spec_shape(spec: dict[str, Any]) -> dict[str, Any]:
    return conditions_shape(to_conditions(spec))


def action_shape(cloud: Cloud, action: Action) -> dict[str, Any]:
    if action.type == FORWARD:
        arns = ([action.target_group_arn] if action.target_group_arn else
                [t.arn for t in action.forward_config.target_groups] if action.forward_config else [])
        return {"forward": ", ".join(target_group_name(cloud, a) for a in arns)}
    if action.type == REDIRECT and action.redirect_config is not None:
        r = action.redirect_config
        return {"redirect": {"protocol": r.protocol, "port": r.port, "host": r.host, "path": r.path,
                             "query": r.query, "status_code": r.status_code}}
    if action.fixed_response_config is not None:
        f = action.fixed_response_config
        return {"fixed_response": {"status_code": f.status_code, "content_type": f.content_type,
                                   "message_body": f.message_body}}
    return {action.type: {}}


def action_matches(cloud: Cloud, action: Action, spec: dict[str, Any]) -> bool:
    """Does `action` do what `spec` asks? Settings the spec leaves out may be anything."""
    actual = action_shape(cloud, action)
    kind = next(k for k in ("forward", "redirect", "fixed_response") if spec[k])
    if kind not in actual:
        return False
    if kind == "forward":
        return bool(actual[kind] == spec[kind])
    return all(actual[kind].get(k) == v for k, v in spec[kind].items() if v is not None)


def describe_shape(shape: dict[str, Any]) -> str:
    """An action_shape() or conditions_shape() for a message: `forward demo-tg`, `path ['/api/*']`."""
    return "; ".join(f"{key} {value}" for key, value in shape.items()) or "-"


def describe_action(spec: dict[str, Any]) -> str:
    if spec["forward"]:
        return f"forward → {spec['forward']}"
    if spec["redirect"]:
        given = ", ".join(f"{k}={v}" for k, v in spec["redirect"].items() if v is not None)
        return f"redirect ({given})"
    fixed = spec["fixed_response"]
    return f"fixed response {fixed['status_code']}"


def describe_conditions(spec: dict[str, Any]) -> str:
    return describe_shape(spec_shape(spec))
