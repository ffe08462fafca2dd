"""Every console string exists in Korean and English, and the code only asks for strings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_cloud.ec2.security_group import SgRule
from phrasebook import LocaleError, load_strings
from tests.support.paths import ROOT
from tui.i18n import Translator
from tui.rules import RULE_TYPES, RuleDraft, rule_changes
from tui.screens.ec2.instances import InstancesPage
from tui.screens.ec2.security_groups import SecurityGroupsPage
from tui.widgets.nav import NAV_ITEMS

TUI = ROOT / "tui"
# A quoted dotted key such as "launch.title" in the console's code (module paths excluded below).
KEY = re.compile(r'"([a-z_]+(?:\.[a-z0-9_-]+)+)"')
NOT_KEYS = re.compile(r"^(tui|app|instance|security_group|lb|target|tags|tg)\.|\.(tcss|py|yaml|json|svg|png)$")
# The load balancing pages' files: their strings live in phrasebook/elb.yaml, checked with them.
ELB_FILES = re.compile(r"^(elb_|target_groups|load_balancers)")


def console_sources() -> list[Path]:
    return [path for path in TUI.rglob("*.py")
            if not ELB_FILES.match(path.name) and path.parent != TUI / "screens" / "elb"]


def test_every_string_has_both_languages() -> None:
    strings = load_strings()
    missing = [key for key, entry in strings.items() if not entry.get("ko") or not entry.get("en")]
    assert not missing


def test_every_key_the_code_uses_exists() -> None:
    strings = load_strings()
    used = {key for path in console_sources() for key in KEY.findall(path.read_text(encoding="utf-8"))}
    wanted = {key for key in used if not NOT_KEYS.search(key)}
    wanted |= {f"state.{s}" for s in ("pending", "running", "stopping", "stopped", "shutting-down", "terminated")}
    wanted |= {f"rule_type.{rule_type.key}" for rule_type in RULE_TYPES}
    wanted |= {f"launch.allow_{kind}" for kind in ("ssh", "https", "http")}
    wanted |= {item.label_key for item in NAV_ITEMS}
    for page in (InstancesPage, SecurityGroupsPage):
        wanted |= {a.label_key for a in page.ACTIONS} | {a.button_key for a in page.ACTIONS}
        wanted |= {c.label_key for c in page.COLUMNS} | set(page.DETAIL_TABS)
    assert sorted(wanted - set(strings)) == []


def test_translator_formats_and_falls_back() -> None:
    t = Translator("ko")
    assert t("nav.instances") == "인스턴스"
    assert t("done.stop", id="i-1") == "i-1을 중지했습니다"
    assert t("done.stop") == "{id}를 중지했습니다"  # a missing value stays visible
    assert t("no.such.key") == "no.such.key"
    t.lang = "fr"
    assert t.lang == "en" and t("nav.instances") == "Instances"


def test_a_key_defined_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: {en: A, ko: 가}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("x: {en: B, ko: 나}\n", encoding="utf-8")
    with pytest.raises(LocaleError, match="already defined"):
        load_strings(tmp_path)


def test_the_parsed_catalogue_is_kept_and_never_used_once_a_file_changed(tmp_path: Path) -> None:
    catalogue = tmp_path / "a.yaml"
    catalogue.write_text("x: {en: A, ko: 가}\n", encoding="utf-8")
    assert load_strings.__wrapped__(tmp_path) == {"x": {"en": "A", "ko": "가"}}
    [kept] = (tmp_path / "__pycache__").glob("phrasebook.*.marshal")
    catalogue.write_text("x: {en: Bee, ko: 나}\n", encoding="utf-8")  # a different size, whatever the mtime
    assert load_strings.__wrapped__(tmp_path)["x"] == {"en": "Bee", "ko": "나"}
    kept.write_bytes(kept.read_bytes()[:40])  # torn, as by a crash mid-write of an older lblab
    assert load_strings.__wrapped__(tmp_path)["x"]["en"] == "Bee"
    (tmp_path / "b.yaml").write_text("y: {en: C}\n", encoding="utf-8")  # a file added
    assert set(load_strings.__wrapped__(tmp_path)) == {"x", "y"}


def test_aws_console_words() -> None:
    ko = Translator("ko")
    assert [ko(k) for k in ("nav.security_groups", "nav.target_groups", "nav.load_balancers", "action.launch",
                            "action.stop", "sg.inbound_rules", "col.availability_zone")] == [
        "보안 그룹", "대상 그룹", "로드 밸런서", "인스턴스 시작", "인스턴스 중지", "인바운드 규칙", "가용 영역"]


# -- rule editing: what "Save rules" sends to the cloud -------------------------------------------------


def test_rule_changes_keeps_unchanged_rules_and_modifies_edited_ones_in_place() -> None:
    http = SgRule("sgr-1", False, "tcp", 80, 80, cidr_ipv4="0.0.0.0/0")
    ssh = SgRule("sgr-2", False, "tcp", 22, 22, cidr_ipv4="0.0.0.0/0")
    drafts = [RuleDraft.from_rule(http), RuleDraft.from_rule(ssh)]
    assert drafts[0].type_key == "http" and drafts[0].source_kind == "anywhere"
    assert drafts[1].rule_id == "sgr-2"
    assert not rule_changes([http, ssh], drafts)
    drafts[1].source_kind, drafts[1].source = "custom", "10.0.0.0/8"
    changes = rule_changes([http, ssh], drafts)
    assert (changes.new, changes.revoked) == ([], [])
    assert [(rule_id, s.from_port, s.cidr_ipv4) for rule_id, s in changes.modified.items()] == [
        ("sgr-2", 22, "10.0.0.0/8")]
    assert rule_changes([http, ssh], []).revoked == ["sgr-1", "sgr-2"]
    custom = RuleDraft("custom_tcp", "8000 - 8080", "custom", "sg-0123456789abcdef0")
    [spec] = rule_changes([], [custom]).new
    assert (spec.from_port, spec.to_port, spec.source_group_id, spec.cidr_ipv4) == (8000, 8080, "sg-0123456789abcdef0",
                                                                                    None)


def test_a_custom_source_names_a_group_by_name_or_id_as_the_console_lets_one_pick_it() -> None:
    groups = {"trouble-lb-sg": "sg-0123456789abcdef0"}
    by_name = RuleDraft("http", "", "custom", "trouble-lb-sg")
    [spec] = rule_changes([], [by_name], groups).new
    assert (spec.source_group_id, spec.cidr_ipv4) == ("sg-0123456789abcdef0", None)
    [spec] = rule_changes([], [RuleDraft("http", "", "custom", "10.0.0.0/8")], groups).new
    assert (spec.source_group_id, spec.cidr_ipv4) == (None, "10.0.0.0/8")
    referenced = SgRule("sgr-3", False, "tcp", 80, 80, referenced_group_id="sg-0123456789abcdef0")
    assert not rule_changes([referenced], [RuleDraft.from_rule(referenced)], groups)
