"""The one text catalogue (phrasebook/*.yaml): every key in both languages with the same fields, every key
used, and the console, the labs and the cloud's notes reading the same words."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from labs.codes import HEALTH_STATES, INSTANCE_STATES, Diagnosis, state_names
from labs.criteria import CRITERIA
from labs.text import Text
from mock_cloud.elbv2 import health, listener, load_balancer, target_group
from phrasebook import LANGUAGES, load_strings
from tui.i18n import Translator

ROOT = Path(__file__).resolve().parents[2]
# Where keys are asked for: the code of the three packages and the web page's template.
SOURCES = [path for package in ("mock_cloud", "labs", "tui") for pattern in ("*.py", "*.html")
           for path in (ROOT / package).rglob(pattern)]
QUOTED = re.compile(r"""["']([A-Za-z0-9_.\-]+)["']""")
# A key built from a prefix and a value: f"state.{state}" or "trace.hop." + hop.
_DOTTED = r"[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*\."
PREFIX = re.compile(rf"""f["']({_DOTTED})\{{|["']({_DOTTED})["']\s*\+""")
# health_reason.*: English shows AWS's own description (the cloud's words, passed in as {description});
# Korean shows the Korean console's sentence, which has no use for it.
AWS_ENGLISH = "{description}"


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_key_reads_in_both_languages_with_the_same_fields() -> None:
    strings = load_strings()
    missing = [key for key, entry in strings.items() if any(not entry.get(lang) for lang in LANGUAGES)]
    assert missing == []
    differ = {key: (fields(entry["en"]), fields(entry["ko"])) for key, entry in strings.items()
              if entry["en"] != AWS_ENGLISH and fields(entry["en"]) != fields(entry["ko"])}
    assert differ == {}


@pytest.mark.parametrize("path", sorted((ROOT / "phrasebook").glob("*.yaml")), ids=lambda path: path.name)
def test_no_key_is_written_twice_in_one_file(path: Path) -> None:
    """YAML keeps the last of two equal keys without a word, so an edit can silently lose a sentence
    (action.edit_user_data was written twice when two branches met)."""
    keys = re.findall(r"^([A-Za-z_][\w.-]*):", path.read_text(encoding="utf-8"), flags=re.M)
    assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_every_key_is_used() -> None:
    code = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    quoted = set(QUOTED.findall(code))
    prefixes = tuple({a or b for a, b in PREFIX.findall(code)})
    unused = [key for key in load_strings() if key not in quoted and not key.startswith(prefixes)]
    assert unused == []


def test_the_cloud_hands_out_keys_and_no_sentence_is_forwarded() -> None:
    strings = load_strings()
    notes = [health.THRESHOLD_NOTE, listener.LISTENER_QUOTA_NOTE, load_balancer.PROVISIONING_NOTE,
             target_group.TARGET_TYPE_NOTE, *load_balancer.ATTRIBUTE_NOTES.values(),
             *target_group.ATTRIBUTE_NOTES.values()]
    assert [note for note in notes if note not in strings] == []
    assert [key for key, entry in strings.items() if entry["en"] == "{note}"] == []
    en, ko = Translator("en"), Translator("ko")
    assert en(health.THRESHOLD_NOTE).startswith("A newly registered (initial) target turns healthy")
    # The quota numbers are written out in both languages: they must be the cloud's.
    for t in (en, ko):
        quota = t(listener.LISTENER_QUOTA_NOTE)
        assert str(listener.MAX_LISTENERS_PER_ALB) in quota and str(listener.MAX_RULES_PER_ALB) in quota


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_labs_name_states_as_the_console_does(lang: str) -> None:
    """The old drift: the labs said "pending" and "healthy" where the console says "Pending" and "Healthy"."""
    t = Translator(lang)
    assert {state: text.get(lang) for state, text in INSTANCE_STATES.items()} == {
        state: t(f"state.{state}") for state in INSTANCE_STATES}
    assert {state: text.get(lang) for state, text in HEALTH_STATES.items()} == {
        state: t(f"health.{state}") for state in HEALTH_STATES}
    message = Diagnosis("INSTANCE_NOT_RUNNING", {"name": "web-1", "state": INSTANCE_STATES["pending"]}).message
    assert t("state.pending") in message.get(lang)
    label = CRITERIA["target_health"].label.format(**state_names({"target_group": "demo-tg", "state": "unused"}))
    assert label.get(lang).endswith(t("health.unused"))


def test_the_english_console_words_for_states() -> None:
    assert INSTANCE_STATES["pending"].en == "Pending" and HEALTH_STATES["healthy"].en == "Healthy"
    assert INSTANCE_STATES["pending"].ko == "대기 중" and HEALTH_STATES["healthy"].ko == "정상"


def test_a_lab_phrase_fills_particles_in_korean() -> None:
    text = Text.of("diagnosis.TARGET_STOPPED").format(names=["web-server-2"])
    assert text.ko.startswith("web-server-2는") and text.en.startswith("web-server-2 are unused")
