"""The ELB pages' plain parts: every string they ask for exists in both languages, the forms' drafts
become the cloud objects AWS's validators accept, and the charts read CloudWatch's gaps right."""

from __future__ import annotations

import re

from mock_cloud.elbv2 import health
from mock_cloud.elbv2.exchange import HOP_ACTION
from mock_cloud.elbv2.listener_rules import (
    ACTION_TYPES,
    CONDITION_FIELDS,
    RequestInfo,
    Rule,
    explain_match,
    validate_rule,
)
from mock_cloud.elbv2.load_balancer import SCHEMES
from mock_cloud.elbv2.target_group import TARGET_TYPES, HealthCheckSettings, apply_health_check
from mock_cloud.elbv2.trace import Hop, RequestTrace
from phrasebook import load_strings
from tests.support.paths import ROOT
from tui.i18n import Translator
from tui.screens.elb.attributes import LB_ATTRIBUTES, TG_ATTRIBUTES
from tui.screens.elb.certificates import CertificatesPage
from tui.screens.elb.lb_wizard import IP_TYPES, LB_TYPES
from tui.screens.elb.listeners import ListenersPage, RulesPage
from tui.screens.elb.load_balancers import LoadBalancersPage
from tui.screens.elb.request_trace import FORWARD_PATH, HOP_KEYS, trace_path
from tui.screens.elb.target_groups import TargetGroupsPage
from tui.widgets.elb_charts import minute_values, sparkline
from tui.widgets.elb_drafts import ActionDraft, ConditionDraft, HealthCheckDraft, WeightedGroup
from tui.widgets.elb_format import action_text, conditions_text

TUI = ROOT / "tui"
MINE = [*TUI.glob("screens/elb/*.py"),
        *TUI.glob("widgets/elb_*.py")]
KEY = re.compile(r'"([a-z_]+(?:\.[a-z0-9_-]+)+)"')
# Quoted dotted strings that are not i18n keys: event kinds, attribute keys, module paths, examples.
NOT_KEYS = re.compile(r"^(lb|listener|rule|target_group|target|certificate|elbv2|app)\.$|"
                      r"^(access_logs|deletion_protection|deregistration_delay|idle_timeout|load_balancing|routing|"
                      r"slow_start|stickiness|app|www|target)\.")


def dynamic_keys() -> set[str]:
    """Keys the pages build from cloud values."""
    keys = {f"health.{s}" for s in (health.INITIAL, health.HEALTHY, health.UNHEALTHY, health.UNUSED, health.DRAINING)}
    keys |= {f"lb.state.{s}" for s in ("provisioning", "active", "active_impaired", "failed")}
    keys |= {f"lb.type.{t}" for t in LB_TYPES} | {f"lb.type.{t}_long" for t in LB_TYPES}
    keys |= {f"lb.type.{t}_about" for t in LB_TYPES}
    keys |= {f"lb.scheme.{s}" for s in SCHEMES} | {f"lb.ip.{i}" for i in IP_TYPES}
    keys |= {f"tg.type.{t}" for t in TARGET_TYPES} | {f"tg.{step}" for step in ("step-1", "step-2")}
    keys |= {f"cond.{f}" for f in CONDITION_FIELDS} | {f"cond.example.{f}" for f in CONDITION_FIELDS}
    keys |= {f"act.type.{a}" for a in ACTION_TYPES} | {"acm.status.ISSUED", "map.priority"}
    keys |= set(HOP_KEYS.values())
    keys |= {a.note for a in (*TG_ATTRIBUTES, *LB_ATTRIBUTES) if a.note}
    keys |= {a.label_key for a in (*TG_ATTRIBUTES, *LB_ATTRIBUTES)}
    for page in (TargetGroupsPage, LoadBalancersPage, ListenersPage, RulesPage, CertificatesPage):
        keys |= {a.label_key for a in page.ACTIONS} | {a.button_key for a in page.ACTIONS}
        keys |= {c.label_key for c in page.COLUMNS} | set(page.DETAIL_TABS) | {page.TITLE_KEY, page.FILTER_KEY,
                                                                               page.EMPTY_KEY}
    return keys


def test_every_elb_string_exists_in_korean_and_english() -> None:
    strings = load_strings()
    used = {key for path in MINE for key in KEY.findall(path.read_text(encoding="utf-8"))}
    wanted = {key for key in used if not NOT_KEYS.match(key) and not key.endswith((".tcss", ".py"))}
    wanted |= dynamic_keys()
    assert sorted(wanted - set(strings)) == []
    mine = [k for k in wanted if k in strings]
    assert [k for k in mine if not strings[k].get("ko") or not strings[k].get("en")] == []


def test_console_words_and_notes() -> None:
    ko, en = Translator("ko"), Translator("en")
    words = {
        "picker.include": "아래에 보류 중인 것으로 포함", "lb.scheme.internet-facing": "인터넷 경계",
        "lb.tab.listeners": "리스너 및 규칙", "tg.tab.health_checks": "상태 검사", "tg.register_targets": "대상 등록",
        "lb.tab.resource_map": "리소스 맵", "lb.col.dns_name": "DNS 이름", "nav.target_groups": "대상 그룹",
    }
    assert {key: ko(key) for key in words} == words
    # The cloud hands out the note's key; the catalogue holds its sentence in both languages.
    assert en(health.THRESHOLD_NOTE).startswith("A newly registered (initial) target turns healthy")
    assert ko(health.THRESHOLD_NOTE).startswith("새로 등록된(초기) 대상은")


def test_drafts_become_what_aws_validators_accept() -> None:
    fields = HealthCheckDraft(health_path="/health", success_codes="200-399", health_interval="10").fields()
    settings = apply_health_check(HealthCheckSettings(), fields)
    assert (settings.path, settings.matcher, settings.interval_seconds, settings.port) == (
        "/health", "200-399", 10, "traffic-port")
    assert HealthCheckDraft.of(settings).fields() == {**fields, "interval_seconds": "10"}

    weighted = ActionDraft(groups=[WeightedGroup("arn:a", "3"), WeightedGroup("arn:b", "1")]).to_action()
    assert [(g.arn, g.weight) for g in weighted.forward_config.target_groups] == [("arn:a", 3), ("arn:b", 1)]
    assert ActionDraft.of(weighted).groups == [WeightedGroup("arn:a", "3"), WeightedGroup("arn:b", "1")]
    fixed = ActionDraft("fixed-response", fixed_code="503", fixed_body="Down").to_action()
    conditions = [ConditionDraft("path-pattern", "/api/*, /v1/*").to_condition(),
                  ConditionDraft("http-header", "on", "X-Beta").to_condition(),
                  ConditionDraft("query-string", "version=v1, debug").to_condition()]
    rule = Rule("arn:rule", 1, conditions, [fixed])
    validate_rule(rule)
    request = RequestInfo("GET", "example.com", "/api/x", [("version", "v1")], [("X-Beta", "on")], "203.0.113.10")
    assert all("matched" in line for line in explain_match(rule, request))
    assert [ConditionDraft.of(c) for c in conditions][2].values == "version=v1, debug"


def test_rules_read_as_the_console_writes_them() -> None:
    t = Translator("en")
    condition = ConditionDraft("path-pattern", "/api/*, /v1/*").to_condition()
    assert conditions_text(t, [condition]) == "Path is /api/* or /v1/*"
    redirect = ActionDraft("redirect", redirect_protocol="HTTPS", redirect_port="443").to_action()
    assert action_text(t, redirect, {}) == "Redirect to HTTPS://#{host}:443/#{path}?#{query} (HTTP_301)"


def test_charts_leave_minutes_without_data_empty() -> None:
    points = [(600, 2.0), (720, 4.0)]
    values = minute_values(points, now=779.0, minutes=4)
    assert values == [None, 2.0, None, 4.0]
    assert sparkline(values).plain == "·▅·█"
    assert sparkline([0.0, 0.0]).plain == "▁▁"


def test_a_stopped_request_lists_the_hops_it_never_reached_before_its_status() -> None:
    passed = [Hop(name, True, "") for name in FORWARD_PATH[:6]]
    stopped = Hop("instance security group", False, "no inbound rule", "Target.Timeout")
    status = Hop("status", False, "HTTP 504 from the load balancer")
    trace = RequestTrace(0.0, "arn:lb", "GET http://lb/", "203.0.113.10:1", 504, [*passed, stopped, status])
    assert trace_path(trace) == [*passed, stopped, "web server", status]
    served = RequestTrace(0.0, "arn:lb", "GET http://lb/", "203.0.113.10:1", 200, passed)
    assert trace_path(served) == passed
    assert {*FORWARD_PATH, HOP_ACTION} == set(HOP_KEYS)
