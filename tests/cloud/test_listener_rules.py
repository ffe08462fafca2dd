"""ALB listener rules: matching semantics, AWS validation (codes and messages), (de)serialisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from mock_cloud.elbv2 import listener_rules as lr
from mock_cloud.elbv2.listener_rules import (
    Action,
    FixedResponseConfig,
    ForwardConfig,
    HttpHeaderConfig,
    RedirectConfig,
    RequestInfo,
    Rule,
    RuleCondition,
    Stickiness,
    TargetGroupTuple,
    check_priority_available,
    explain_match,
    match_rule,
    parse_query,
    render_redirect,
    select_rule,
    set_priorities,
    validate_actions,
    validate_conditions,
    validate_listener_rules,
    validate_priority,
    validate_rule,
)
from mock_cloud.errors import CloudError

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
FWD = Action("forward", target_group_arn=TG)


def raises(code: str, message: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with pytest.raises(CloudError) as info:
        fn(*args, **kwargs)
    assert (info.value.code, info.value.message, info.value.status) == (code, message, 400)


def req(
    method: str = "GET",
    host: str | None = "www.example.com",
    path: str = "/",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    source_ip: str = "203.0.113.7",
) -> RequestInfo:
    return RequestInfo(method, host, path, parse_query(query), headers or [], source_ip)


def rule(*conditions: RuleCondition, priority: int = 10, arn: str = "arn:rule/1") -> Rule:
    return Rule(arn, priority, list(conditions), [FWD])


def host(*values: str) -> RuleCondition:
    return RuleCondition("host-header", host_header_config=list(values))


def path(*values: str) -> RuleCondition:
    return RuleCondition("path-pattern", path_pattern_config=list(values))


def header(name: str, *values: str) -> RuleCondition:
    return RuleCondition("http-header", http_header_config=HttpHeaderConfig(name, list(values)))


def query(*pairs: tuple[str | None, str]) -> RuleCondition:
    return RuleCondition("query-string", query_string_config=list(pairs))


def method(*values: str) -> RuleCondition:
    return RuleCondition("http-request-method", http_request_method_config=list(values))


def source(*values: str) -> RuleCondition:
    return RuleCondition("source-ip", source_ip_config=list(values))


def matches(cond: RuleCondition, request: RequestInfo) -> bool:
    return match_rule(rule(cond), request)


# --------------------------------------------------------------------------- matching


class TestHostHeader:
    def test_case_insensitive_and_port_ignored(self) -> None:
        assert matches(host("www.example.com"), req(host="WWW.Example.COM:8080"))

    def test_wildcards(self) -> None:
        assert matches(host("*.example.com"), req(host="api.example.com"))
        assert not matches(host("*.example.com"), req(host="example.com"))
        assert matches(host("api-?.example.com"), req(host="api-1.example.com"))
        assert not matches(host("api-?.example.com"), req(host="api-12.example.com"))

    def test_whole_name_must_match(self) -> None:
        assert not matches(host("example.com"), req(host="www.example.com"))

    def test_ipv6_literal_port_stripped(self) -> None:
        assert matches(host("*"), req(host="[2001:db8::1]:80"))
        assert req(host="[2001:db8::1]:80").hostname == "2001:db8::1"

    def test_missing_host_never_matches(self) -> None:
        assert not matches(host("*"), req(host=None))

    def test_legacy_values_form(self) -> None:
        assert matches(RuleCondition("host-header", values=["a.example.com"]), req(host="a.example.com"))


class TestPathPattern:
    def test_case_sensitive(self) -> None:
        assert matches(path("/api/*"), req(path="/api/users"))
        assert not matches(path("/api/*"), req(path="/API/users"))

    def test_wildcards_are_whole_path(self) -> None:
        assert not matches(path("/api/*"), req(path="/api"))
        assert matches(path("/img/?.png"), req(path="/img/a.png"))
        assert not matches(path("/img/?.png"), req(path="/img/ab.png"))
        assert matches(path("*.jpg"), req(path="/a/b/c.jpg"))

    def test_query_string_is_not_part_of_the_path(self) -> None:
        request = req(path="/search", query="q=/api/x")
        assert matches(path("/search"), request)
        assert not matches(path("*q=*"), request)

    def test_regex_metacharacters_are_literal(self) -> None:
        assert matches(path("/a+b.html"), req(path="/a+b.html"))
        assert not matches(path("/a+b.html"), req(path="/aab.html"))
        assert not matches(path("/a.html"), req(path="/aXhtml"))


class TestHttpHeader:
    def test_name_and_value_case_insensitive(self) -> None:
        request = req(headers=[("user-agent", "Mozilla/5.0 (iPhone) MOBILE")])
        assert matches(header("User-Agent", "*mobile*"), request)

    def test_repeated_header_searched_in_order(self) -> None:
        request = req(headers=[("X-Env", "dev"), ("x-env", "prod")])
        assert matches(header("X-Env", "prod"), request)

    def test_absent_or_different_value(self) -> None:
        assert not matches(header("X-Env", "prod"), req())
        assert not matches(header("X-Env", "prod"), req(headers=[("X-Env", "production")]))


class TestQueryString:
    def test_key_value_case_insensitive_with_wildcards(self) -> None:
        assert matches(query(("Version", "V1*")), req(query="version=v1.2"))
        assert not matches(query(("version", "v1*")), req(query="release=v1.2"))

    def test_key_is_optional(self) -> None:
        assert matches(query((None, "*example*")), req(query="a=1&site=my-example-site"))

    def test_values_are_percent_decoded(self) -> None:
        assert parse_query("name=John%20Doe&flag&a=%2A") == [("name", "John Doe"), ("flag", ""), ("a", "*")]
        assert matches(query(("name", "john doe")), req(query="name=John%20Doe"))

    def test_plus_is_not_a_space(self) -> None:
        assert not matches(query(("name", "john doe")), req(query="name=john+doe"))

    def test_escaped_wildcards_are_literal(self) -> None:
        assert matches(query(("q", "a\\*b")), req(query="q=a%2Ab"))
        assert not matches(query(("q", "a\\*b")), req(query="q=axxb"))
        assert matches(query(("q", "a*b")), req(query="q=axxb"))


class TestMethodAndSourceIp:
    def test_method_is_exact_and_case_sensitive(self) -> None:
        assert matches(method("GET", "HEAD"), req(method="HEAD"))
        assert not matches(method("GET"), req(method="get"))
        assert not matches(method("GET"), req(method="GETX"))

    def test_source_ip_cidr(self) -> None:
        assert matches(source("203.0.113.0/24"), req(source_ip="203.0.113.7"))
        assert not matches(source("198.51.100.0/24"), req(source_ip="203.0.113.7"))
        assert matches(source("2001:db8::/32"), req(source_ip="2001:db8::5"))
        assert not matches(source("0.0.0.0/0"), req(source_ip="2001:db8::5"))
        assert not matches(source("0.0.0.0/0"), req(source_ip="not-an-ip"))


class TestCombining:
    def test_values_of_one_condition_are_ored(self) -> None:
        assert matches(path("/a", "/b"), req(path="/b"))

    def test_conditions_are_anded(self) -> None:
        both = rule(host("api.example.com"), path("/v1/*"))
        assert match_rule(both, req(host="api.example.com", path="/v1/x"))
        assert not match_rule(both, req(host="api.example.com", path="/v2/x"))
        assert not match_rule(both, req(host="www.example.com", path="/v1/x"))

    def test_default_rule_matches_everything(self) -> None:
        assert match_rule(Rule("arn:default", "default", [], [FWD], True), req())

    def test_patterns_are_compiled_once(self) -> None:
        cond = path("/cached/*")
        matches(cond, req(path="/cached/a"))
        before = lr._wildcard.cache_info()
        matches(cond, req(path="/cached/b"))
        after = lr._wildcard.cache_info()
        assert (after.hits, after.misses) == (before.hits + 1, before.misses)


class TestSelectRule:
    rules: ClassVar[list[Rule]] = [
        Rule("arn:default", "default", [], [FWD], True),
        rule(path("/api/*"), priority=20, arn="arn:api"),
        rule(path("/api/admin/*"), priority=5, arn="arn:admin"),
        rule(path("/static/*"), priority=50000, arn="arn:static"),
    ]

    def selected(self, request_path: str) -> str | None:
        chosen = select_rule(self.rules, req(path=request_path))
        return chosen.arn if chosen else None

    def test_lowest_priority_wins_whatever_the_list_order(self) -> None:
        assert self.selected("/api/admin/x") == "arn:admin"
        assert self.selected("/api/x") == "arn:api"

    def test_default_rule_is_last(self) -> None:
        assert self.selected("/other") == "arn:default"
        assert [r.arn for r in lr.sort_rules(self.rules)] == [
            "arn:admin",
            "arn:api",
            "arn:static",
            "arn:default",
        ]

    def test_no_default_rule_no_match(self) -> None:
        assert select_rule(self.rules[1:], req(path="/other")) is None


class TestExplainMatch:
    def test_reasons_for_matches_and_misses(self) -> None:
        r = rule(path("/api/*"), host("a.example.com", "b.example.com"), source("10.0.0.0/8"))
        lines = explain_match(r, req(host="c.example.com", path="/api/users", source_ip="10.1.2.3"))
        assert lines == [
            "path-pattern '/api/*' matched '/api/users'",
            "host-header did not match 'c.example.com' (expected one of: 'a.example.com', 'b.example.com')",
            "source-ip '10.0.0.0/8' contains '10.1.2.3'",
        ]

    def test_header_and_query_reasons(self) -> None:
        r = rule(header("X-Env", "prod"), query(("v", "1")))
        assert explain_match(r, req(query="v=1")) == [
            "http-header 'X-Env' did not match (header absent) (expected one of: 'prod')",
            "query-string 'v=1' matched 'v=1'",
        ]

    def test_default_rule(self) -> None:
        default = Rule("arn:default", "default", [], [FWD], True)
        assert explain_match(default, req()) == ["default rule: no conditions, matches every request"]


# --------------------------------------------------------------------------- redirects


class TestRenderRedirect:
    def test_http_to_https_keeps_host_path_and_query(self) -> None:
        cfg = RedirectConfig("HTTP_301", protocol="HTTPS", port="443")
        url = render_redirect(cfg, "HTTP", "www.example.com", 80, "/a/b", "x=1&y=2")
        assert url == "https://www.example.com:443/a/b?x=1&y=2"
        assert cfg.http_status == 301

    def test_documented_placeholder_examples(self) -> None:
        cfg = RedirectConfig(
            "HTTP_302", host="example.#{host}", path="/new/#{path}", query="#{query}&value=xyz"
        )
        url = render_redirect(cfg, "HTTPS", "shop", 443, "/cart", "id=7")
        assert url == "https://example.shop:443/new/cart?id=7&value=xyz"
        assert cfg.http_status == 302

    def test_empty_query_drops_question_mark(self) -> None:
        cfg = RedirectConfig("HTTP_301", host="new.example.com")
        assert (
            render_redirect(cfg, "HTTP", "old.example.com", 8080, "/", "") == "http://new.example.com:8080/"
        )

    def test_path_may_use_host_and_port(self) -> None:
        cfg = RedirectConfig("HTTP_301", path="/#{host}/#{port}/#{path}")
        assert (
            render_redirect(cfg, "HTTP", "h.example.com", 80, "/p", "")
            == "http://h.example.com:80/h.example.com/80/p"
        )


# --------------------------------------------------------------------------- validation


class TestPriority:
    @pytest.mark.parametrize("priority", [1, 50000])
    def test_bounds_accepted(self, priority: int) -> None:
        validate_priority(priority)

    def test_too_low(self) -> None:
        raises(
            "ValidationError",
            "1 validation error detected: Value '0' at 'priority' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
            validate_priority,
            0,
        )

    def test_too_high(self) -> None:
        raises(
            "ValidationError",
            "1 validation error detected: Value '50001' at 'priority' failed to satisfy constraint: "
            "Member must have value less than or equal to 50000",
            validate_priority,
            50001,
        )


VALID_CONDITIONS = [
    host("*.example.com"),
    path("/api/*"),
    header("X-Env", "prod"),
    query(("v", "1"), (None, "x")),
]


class TestConditionValidation:
    def test_valid_conditions_pass(self) -> None:
        validate_conditions(VALID_CONDITIONS)
        validate_conditions([method("GET", "CUSTOM_VERB-X"), source("10.0.0.0/8", "2001:db8::/32")])

    @pytest.mark.parametrize(
        ("cond", "code", "message"),
        [
            (
                RuleCondition("cookie", values=["a"]),
                "ValidationError",
                "Condition field 'cookie' must be one of "
                "'[path-pattern,host-header,http-header,http-request-method,query-string,source-ip]'",
            ),
            (
                RuleCondition("source-ip", values=["10.0.0.0/8"]),
                "ValidationError",
                "The 'Values' field is not compatible with 'source-ip'",
            ),
            (
                RuleCondition("path-pattern", values=["/a"], path_pattern_config=["/b"]),
                "ValidationError",
                "You cannot provide both Values and 'PathPatternConfig' "
                "for a condition of type 'path-pattern'",
            ),
            (
                RuleCondition("host-header", values=["a.example.com", "b.example.com"]),
                "ValidationError",
                "The 'host-header' field contains too many values; the limit is '1'",
            ),
            (host(), "ValidationError", "A condition value must be specified"),
            (RuleCondition("path-pattern"), "ValidationError", "A condition value must be specified"),
            (
                host("a" * 125 + ".com"),
                "ValidationError",
                "The 'host-header' value is too long; the limit is '128'",
            ),
            (
                host("a_b.example.com"),
                "ValidationError",
                "The 'host-header' value 'a_b.example.com' is invalid; "
                "the allowed characters are A-Z, a-z, 0-9, '-', '.', '*' and '?'",
            ),
            (
                host("localhost"),
                "ValidationError",
                "The 'host-header' value 'localhost' is invalid; it must contain a '.' and only alphabetical "
                "characters after the final '.'",
            ),
            (
                host("10.0.0.1"),
                "ValidationError",
                "The 'host-header' value '10.0.0.1' is invalid; it must contain a '.' and only alphabetical "
                "characters after the final '.'",
            ),
            (
                path("/" + "a" * 128),
                "ValidationError",
                "The 'path-pattern' value is too long; the limit is '128'",
            ),
            (
                path("/a b"),
                "ValidationError",
                "The 'path-pattern' value '/a b' is invalid; the allowed characters are A-Z, a-z, 0-9, "
                "_ - . $ / ~ \" ' @ : + & * ?",
            ),
            (
                RuleCondition("http-header"),
                "ValidationError",
                "A 'HttpHeaderConfig' must be specified with 'http-header'",
            ),
            (header("", "x"), "ValidationError", "A 'HttpHeaderName' must be specified with 'http-header'"),
            (
                header("X" * 41, "x"),
                "ValidationError",
                "The 'HttpHeaderName' value is too long; the limit is '40'",
            ),
            (
                header("X Env", "x"),
                "ValidationError",
                "The 'HttpHeaderName' value 'X Env' contains characters not allowed by RFC 7230",
            ),
            (
                header("Host", "a.example.com"),
                "ValidationError",
                "You cannot use an 'http-header' condition for the host header; use 'host-header'",
            ),
            (header("X-Env"), "ValidationError", "A condition value must be specified"),
            (
                header("X-Env", "v" * 129),
                "ValidationError",
                "The 'http-header' value is too long; the limit is '128'",
            ),
            (
                RuleCondition("query-string"),
                "ValidationError",
                "A 'QueryStringConfig' must be specified with 'query-string'",
            ),
            (query(), "ValidationError", "A condition value must be specified"),
            (
                query(("k", "")),
                "ValidationError",
                "A 'Value' must be specified in 'QueryStringKeyValuePair'",
            ),
            (query(("k" * 129, "v")), "ValidationError", "The 'Key' value is too long; the limit is '128'"),
            (query(("k", "v" * 129)), "ValidationError", "The 'Value' value is too long; the limit is '128'"),
            (
                RuleCondition("http-request-method"),
                "ValidationError",
                "A 'HttpRequestMethodConfig' must be specified with 'http-request-method'",
            ),
            (method(), "ValidationError", "A condition value must be specified"),
            (
                method("A" * 41),
                "ValidationError",
                "The 'http-request-method' value is too long; the limit is '40'",
            ),
            (
                method("get"),
                "ValidationError",
                "The 'http-request-method' value is invalid; "
                "the allowed characters are A-Z, hyphen and underscore",
            ),
            (
                RuleCondition("source-ip"),
                "ValidationError",
                "A 'SourceIpConfig' must be specified with 'source-ip'",
            ),
            (source(), "ValidationError", "A 'source-ip' value must be specified"),
            (
                source("10.0.0.300/8"),
                "ValidationError",
                "The 'source-ip' value '10.0.0.300/8' is not a valid IPv4 or IPv6 CIDR block",
            ),
            (
                source("10.0.0.1"),
                "ValidationError",
                "The 'source-ip' value '10.0.0.1' is not a valid IPv4 or IPv6 CIDR block",
            ),
        ],
    )
    def test_invalid_condition(self, cond: RuleCondition, code: str, message: str) -> None:
        raises(code, message, validate_conditions, [cond])

    def test_at_least_one_condition(self) -> None:
        raises("ValidationError", "A rule must have at least one condition", validate_conditions, [])

    def test_single_use_fields_may_not_repeat(self) -> None:
        raises(
            "ValidationError",
            "A rule can only have one 'host-header' condition",
            validate_conditions,
            [host("a.example.com"), host("b.example.com")],
        )

    def test_http_header_and_query_string_may_repeat(self) -> None:
        validate_conditions([header("A", "1"), header("B", "2"), query(("a", "1")), query(("b", "2"))])

    def test_five_condition_values_per_rule(self) -> None:
        validate_conditions([path("/a", "/b", "/c"), query(("a", "1"), ("b", "2"))])
        raises(
            "ValidationError",
            "A rule can only have '5' condition values",
            validate_conditions,
            [path("/a", "/b", "/c", "/d", "/e", "/f")],
        )
        raises(
            "ValidationError",
            "A rule can only have '5' condition values",
            validate_conditions,
            [path("/a", "/b"), header("X", "1", "2"), query(("a", "1"), (None, "2"))],
        )

    def test_five_wildcards_per_rule(self) -> None:
        validate_conditions([host("*.example.com"), path("/a/*/b/?"), query(("k*", "v?"))])
        raises(
            "ValidationError",
            "A rule can only have '5' wildcards",
            validate_conditions,
            [host("*.example.com"), path("/*/*/*/*/*")],
        )

    def test_escaped_query_wildcards_are_not_counted(self) -> None:
        validate_conditions([path("/*/*/*/*"), query(("q", "\\*\\?x*"))])


def fixed(status: str = "404", content_type: str | None = "text/plain", body: str | None = None) -> Action:
    return Action("fixed-response", fixed_response_config=FixedResponseConfig(status, content_type, body))


def redirect(**kwargs: str) -> Action:
    kwargs.setdefault("status_code", "HTTP_301")
    return Action("redirect", redirect_config=RedirectConfig(**kwargs))


def forward(
    *groups: TargetGroupTuple, stickiness: Stickiness | None = None, arn: str | None = None
) -> Action:
    return Action("forward", target_group_arn=arn, forward_config=ForwardConfig(list(groups), stickiness))


INVALID_LB_ACTION = "InvalidLoadBalancerAction"


class TestActionValidation:
    @pytest.mark.parametrize(
        "action",
        [
            FWD,
            Action("forward", order=1, target_group_arn=TG),
            forward(
                TargetGroupTuple(TG, 0), TargetGroupTuple(TG + "2", 999), stickiness=Stickiness(True, 604800)
            ),
            forward(TargetGroupTuple(TG, 10), arn=TG),
            redirect(protocol="HTTPS", port="443"),
            redirect(host="new.example.com"),
            redirect(path="/new/#{path}"),
            redirect(port="8443", query=""),
            fixed("200"),
            fixed("503", "application/json", "x" * 1024),
            fixed("418", None, None),
        ],
    )
    def test_valid(self, action: Action) -> None:
        validate_actions([action])

    @pytest.mark.parametrize(
        ("action", "code", "message"),
        [
            (
                Action("authenticate-oidc"),
                "ValidationError",
                "1 validation error detected: Value 'authenticate-oidc' at 'actions.1.member.type' failed to "
                "satisfy constraint: Member must satisfy enum value set: [forward, redirect, fixed-response]",
            ),
            (
                Action("forward", order=0, target_group_arn=TG),
                "ValidationError",
                "1 validation error detected: Value '0' at 'actions.1.member.order' failed to satisfy "
                "constraint: Member must have value greater than or equal to 1",
            ),
            (
                Action("forward", order=50001, target_group_arn=TG),
                "ValidationError",
                "1 validation error detected: Value '50001' at 'actions.1.member.order' failed to satisfy "
                "constraint: Member must have value less than or equal to 50000",
            ),
            (
                Action("forward"),
                INVALID_LB_ACTION,
                "For actions of type 'forward', you must specify the following fields: "
                "'TargetGroupArn' or 'ForwardConfig'",
            ),
            (forward(), "ValidationError", "A 'ForwardConfig' must specify at least one target group"),
            (
                forward(*(TargetGroupTuple(f"{TG}{i}", 1) for i in range(6))),
                "ValidationError",
                "A forward action can only have '5' target groups",
            ),
            (
                forward(TargetGroupTuple(TG, 1000)),
                "ValidationError",
                "Target group weight '1000' must be between 0 and 999",
            ),
            (
                forward(TargetGroupTuple(TG, -1)),
                "ValidationError",
                "Target group weight '-1' must be between 0 and 999",
            ),
            (
                forward(TargetGroupTuple(TG, 1), stickiness=Stickiness(True, 0)),
                "ValidationError",
                "Target group stickiness duration '0' must be between 1 and 604800 seconds",
            ),
            (
                forward(TargetGroupTuple(TG, 1), stickiness=Stickiness(True, 604801)),
                "ValidationError",
                "Target group stickiness duration '604801' must be between 1 and 604800 seconds",
            ),
            (
                forward(TargetGroupTuple(TG + "other", 1), arn=TG),
                INVALID_LB_ACTION,
                "If you specify both 'TargetGroupArn' and 'ForwardConfig', 'ForwardConfig' must contain only "
                "the target group specified in 'TargetGroupArn'",
            ),
            (
                Action("redirect"),
                INVALID_LB_ACTION,
                "For actions of type 'redirect', you must specify the following fields: 'RedirectConfig'",
            ),
            (
                redirect(status_code="HTTP_303", protocol="HTTPS"),
                "ValidationError",
                "1 validation error detected: Value 'HTTP_303' at "
                "'actions.1.member.redirectConfig.statusCode' failed to satisfy constraint: "
                "Member must satisfy enum value set: [HTTP_301, HTTP_302]",
            ),
            (
                redirect(protocol="https"),
                "ValidationError",
                "1 validation error detected: Value 'https' at 'actions.1.member.redirectConfig.protocol' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "^(HTTPS?|#\\{protocol\\})$",
            ),
            (
                redirect(host=""),
                "ValidationError",
                "1 validation error detected: Value '' at 'actions.1.member.redirectConfig.host' failed to "
                "satisfy constraint: Member must have length greater than or equal to 1",
            ),
            (
                redirect(path="/" + "p" * 128),
                "ValidationError",
                f"1 validation error detected: Value '/{'p' * 128}' at "
                "'actions.1.member.redirectConfig.path' failed to satisfy constraint: "
                "Member must have length less than or equal to 128",
            ),
            (
                redirect(host="a.example.com", query="q" * 129),
                "ValidationError",
                f"1 validation error detected: Value '{'q' * 129}' at "
                "'actions.1.member.redirectConfig.query' failed to satisfy constraint: "
                "Member must have length less than or equal to 128",
            ),
            (
                redirect(port="0"),
                "ValidationError",
                "The redirect port '0' must be a number from 1 to 65535 or '#{port}'",
            ),
            (
                redirect(port="https"),
                "ValidationError",
                "The redirect port 'https' must be a number from 1 to 65535 or '#{port}'",
            ),
            (
                redirect(path="new"),
                "ValidationError",
                "The redirect path 'new' must start with '/'",
            ),
            (
                redirect(),
                INVALID_LB_ACTION,
                "The redirect configuration is not valid because it creates a loop.",
            ),
            (
                redirect(query="#{query}&x=1"),
                INVALID_LB_ACTION,
                "The redirect configuration is not valid because it creates a loop.",
            ),
            (
                Action("fixed-response"),
                INVALID_LB_ACTION,
                "For actions of type 'fixed-response', you must specify the following fields: "
                "'FixedResponseConfig'",
            ),
            (
                fixed("301"),
                "ValidationError",
                "1 validation error detected: Value '301' at "
                "'actions.1.member.fixedResponseConfig.statusCode' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$",
            ),
            (
                fixed("2000"),
                "ValidationError",
                "1 validation error detected: Value '2000' at "
                "'actions.1.member.fixedResponseConfig.statusCode' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$",
            ),
            (
                fixed("200", "application/xml"),
                INVALID_LB_ACTION,
                "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', "
                "'text/css', 'text/plain'",
            ),
            (
                fixed("200", "text/plain", "x" * 1025),
                "ValidationError",
                f"1 validation error detected: Value '{'x' * 1025}' at "
                "'actions.1.member.fixedResponseConfig.messageBody' failed to satisfy constraint: "
                "Member must have length less than or equal to 1024",
            ),
        ],
    )
    def test_invalid(self, action: Action, code: str, message: str) -> None:
        raises(code, message, validate_actions, [action])

    def test_index_in_message_is_one_based(self) -> None:
        raises(
            "ValidationError",
            "1 validation error detected: Value '99' at 'actions.2.member.fixedResponseConfig.statusCode' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$",
            validate_actions,
            [Action("forward", order=1, target_group_arn=TG), fixed("99")],
        )

    def test_at_least_one_action(self) -> None:
        raises("ValidationError", "A rule must have at least one action", validate_actions, [])

    def test_exactly_one_terminal_action(self) -> None:
        raises(
            INVALID_LB_ACTION,
            "A rule must have exactly one action of type 'forward', 'redirect' or 'fixed-response', "
            "and it must be the last action",
            validate_actions,
            [
                Action("forward", order=1, target_group_arn=TG),
                Action("forward", order=2, target_group_arn=TG),
            ],
        )

    def test_unknown_target_group(self) -> None:
        validate_actions([FWD], known_target_groups={TG})
        raises(
            "TargetGroupNotFound",
            "One or more target groups not found",
            validate_actions,
            [forward(TargetGroupTuple(TG, 1), TargetGroupTuple("arn:missing", 1))],
            known_target_groups={TG},
        )


class TestRuleValidation:
    def test_valid_rule_and_default_rule(self) -> None:
        validate_rule(rule(path("/a")), known_target_groups={TG})
        validate_rule(Rule("arn:default", "default", [], [fixed("404")], True))

    def test_default_rule_has_no_conditions(self) -> None:
        raises(
            "OperationNotPermitted",
            "The default rule cannot have conditions",
            validate_rule,
            Rule("arn:default", "default", [path("/a")], [FWD], True),
        )

    def test_only_default_rule_has_default_priority(self) -> None:
        raises(
            "ValidationError",
            "Only the default rule can have the priority 'default'",
            validate_rule,
            Rule("arn:r", "default", [path("/a")], [FWD], False),
        )

    def test_rule_priority_checked(self) -> None:
        raises(
            "ValidationError",
            "1 validation error detected: Value '0' at 'priority' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
            validate_rule,
            rule(path("/a"), priority=0),
        )


# --------------------------------------------------------------------------- listener-wide


def listener() -> list[Rule]:
    return [
        rule(path("/a"), priority=10, arn="arn:a"),
        rule(path("/b"), priority=20, arn="arn:b"),
        rule(path("/c"), priority=30, arn="arn:c"),
        Rule("arn:default", "default", [], [FWD], True),
    ]


class TestPriorities:
    def test_priority_in_use(self) -> None:
        raises("PriorityInUse", "Priority '10' is currently in use", check_priority_available, listener(), 10)
        check_priority_available(listener(), 11)
        check_priority_available(listener(), 10, ignore_arn="arn:a")

    def test_listener_rules_unique(self) -> None:
        validate_listener_rules(listener())
        clash = [*listener(), rule(path("/d"), priority=20, arn="arn:d")]
        raises("PriorityInUse", "Priority '20' is currently in use", validate_listener_rules, clash)

    def test_set_priorities_swaps_in_one_call(self) -> None:
        updated = set_priorities(listener(), [("arn:a", 20), ("arn:b", 10)])
        assert {r.arn: r.priority for r in updated} == {
            "arn:a": 20,
            "arn:b": 10,
            "arn:c": 30,
            "arn:default": "default",
        }

    def test_set_priorities_leaves_input_untouched(self) -> None:
        rules = listener()
        set_priorities(rules, [("arn:a", 15)])
        assert rules[0].priority == 10

    def test_set_priorities_conflict_with_rule_not_named(self) -> None:
        raises(
            "PriorityInUse", "Priority '30' is currently in use", set_priorities, listener(), [("arn:a", 30)]
        )

    def test_set_priorities_duplicate_in_request(self) -> None:
        raises(
            "ValidationError",
            "Priority '40' was provided multiple times",
            set_priorities,
            listener(),
            [("arn:a", 40), ("arn:b", 40)],
        )

    def test_set_priorities_unknown_rule(self) -> None:
        raises(
            "RuleNotFound", "The specified rule does not exist.", set_priorities, listener(), [("arn:x", 40)]
        )

    def test_set_priorities_default_rule(self) -> None:
        raises(
            "OperationNotPermitted",
            "The priority of the default rule cannot be changed",
            set_priorities,
            listener(),
            [("arn:default", 40)],
        )

    def test_set_priorities_range(self) -> None:
        raises(
            "ValidationError",
            "1 validation error detected: Value '50001' at 'priority' failed to satisfy constraint: "
            "Member must have value less than or equal to 50000",
            set_priorities,
            listener(),
            [("arn:a", 50001)],
        )


# --------------------------------------------------------------------------- serialisation


class TestSerialisation:
    def test_condition_round_trip_every_type(self) -> None:
        conditions = [
            *VALID_CONDITIONS,
            method("GET"),
            source("10.0.0.0/8"),
            RuleCondition("path-pattern", values=["/legacy"]),
        ]
        for cond in conditions:
            assert RuleCondition.from_dict(cond.to_dict()) == cond

    def test_condition_uses_aws_field_names(self) -> None:
        assert header("X-Env", "prod").to_dict() == {
            "Field": "http-header",
            "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["prod"]},
        }
        assert query(("v", "1"), (None, "x")).to_dict() == {
            "Field": "query-string",
            "QueryStringConfig": {"Values": [{"Key": "v", "Value": "1"}, {"Value": "x"}]},
        }

    def test_action_round_trip_every_type(self) -> None:
        actions = [
            FWD,
            forward(
                TargetGroupTuple(TG, 80), TargetGroupTuple(TG + "2", 20), stickiness=Stickiness(True, 3600)
            ),
            redirect(protocol="HTTPS", port="443"),
            fixed("503", "text/html", "<h1>down</h1>"),
            Action("forward", order=1, target_group_arn=TG),
        ]
        for action in actions:
            assert Action.from_dict(action.to_dict()) == action

    def test_action_uses_aws_field_names(self) -> None:
        weighted = forward(TargetGroupTuple(TG, 80), stickiness=Stickiness(True, 60))
        assert weighted.to_dict() == {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": TG, "Weight": 80}],
                "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60},
            },
        }
        assert redirect(protocol="HTTPS").to_dict()["RedirectConfig"] == {
            "Protocol": "HTTPS",
            "Port": "#{port}",
            "Host": "#{host}",
            "Path": "/#{path}",
            "Query": "#{query}",
            "StatusCode": "HTTP_301",
        }

    def test_query_api_strings_are_coerced(self) -> None:
        action = Action.from_dict(
            {
                "Type": "forward",
                "Order": "1",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": TG, "Weight": "50"}],
                    "TargetGroupStickinessConfig": {"Enabled": "true", "DurationSeconds": "300"},
                },
            }
        )
        assert action == Action(
            "forward",
            order=1,
            forward_config=ForwardConfig([TargetGroupTuple(TG, 50)], Stickiness(True, 300)),
        )

    def test_non_integer_is_a_validation_error(self) -> None:
        raises(
            "ValidationError",
            "Invalid value 'first' for Order; it must be an integer",
            Action.from_dict,
            {"Type": "forward", "Order": "first"},
        )

    def test_redirect_defaults_fill_missing_components(self) -> None:
        parsed = Action.from_dict(
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_302"}}
        )
        assert parsed.redirect_config == RedirectConfig("HTTP_302", protocol="HTTPS")

    def test_rule_round_trip(self) -> None:
        original = Rule("arn:r", 7, [host("a.example.com"), path("/x/*")], [FWD])
        data = original.to_dict()
        assert data["Priority"] == "7" and data["IsDefault"] is False
        assert Rule.from_dict(data) == original
        default = Rule("arn:default", "default", [], [fixed("404")], True)
        assert default.to_dict()["Priority"] == "default"
        assert Rule.from_dict(default.to_dict()) == default
