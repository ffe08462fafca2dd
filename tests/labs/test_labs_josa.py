"""Korean particles follow the word's last sound as a Korean engineer reads it, never both forms in brackets."""

from __future__ import annotations

import re

import pytest

from labs.josa import attach, fill, josa
from labs.text import Text
from tests.support.paths import ROOT
from tui.i18n import Translator

# The two-form particles a template writes when it does not know the word: the forms we replace.
BOTH_FORMS = re.compile(r"을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|와\(과\)|과\(와\)|\(으\)로")


@pytest.mark.parametrize(("word", "particle", "expected"), [
    ("인스턴스", "을", "인스턴스를"), ("보안 그룹", "이", "보안 그룹이"), ("실습", "는", "실습은"),
    ("서울", "으로", "서울로"), ("부산", "로", "부산으로"), ("바다", "과", "바다와"),
])
def test_hangul_by_its_final_consonant(word: str, particle: str, expected: str) -> None:
    assert attach(word, particle) == expected


@pytest.mark.parametrize(("word", "particle", "expected"), [
    ("demo-tg", "을", "demo-tg를"), ("DemoALB", "을", "DemoALB를"), ("trouble-lb-sg", "이", "trouble-lb-sg가"),
    ("ec2-user", "으로", "ec2-user로"), ("ec2-user", "을", "ec2-user를"), ("/index.htm", "이", "/index.htm이"),
    ("/index.html", "로", "/index.html로"), ("demo-sg-load-balancer", "을", "demo-sg-load-balancer를"),
    ("api.example.com", "을", "api.example.com을"), ("Elb.InitialHealthChecking", "은", "Elb.InitialHealthChecking은"),
    ("web", "을", "web을"), ("HTTP", "로", "HTTP로"),
])
def test_latin_letters_as_read_aloud(word: str, particle: str, expected: str) -> None:
    assert attach(word, particle) == expected


@pytest.mark.parametrize(("word", "particle", "expected"), [
    ("web-server-2", "을", "web-server-2를"), ("trouble-web-1", "은", "trouble-web-1은"), ("TCP 80", "을", "TCP 80을"),
    ("443", "이", "443이"), ("HTTP/1.1", "로", "HTTP/1.1로"), ("i-0abc7", "로", "i-0abc7로"), ("6", "과", "6과"),
    ("200", "는", "200은"), ("0", "를", "0을"), ("9", "이", "9가"), ("sg-0a1b3", "로", "sg-0a1b3으로"),
])
def test_digits_by_their_korean_reading(word: str, particle: str, expected: str) -> None:
    assert attach(word, particle) == expected


def test_trailing_brackets_and_quotes_are_skipped() -> None:
    assert josa("보안 그룹(sg-0a1b2c3d)", "이") == "가"
    assert josa("대상 [web-server-1]", "을") == "을"
    assert josa("'SG for ALB'", "를") == "를"


def test_templates_take_a_particle_field_in_both_catalogues() -> None:
    assert fill("{name:을} 삭제했습니다 {{literal}}", {"name": "demo-tg"}) == "demo-tg를 삭제했습니다 {literal}"
    text = Text("{name:이} 생성되었습니다", "{name} created").format(name="web-server-2")
    assert text.ko == "web-server-2가 생성되었습니다" and text.en == "web-server-2 created"
    t = Translator("ko")
    assert t("done.stop", id="i-0abc1") == "i-0abc1을 중지했습니다"
    assert t("done.stop", id="i-0abc2") == "i-0abc2를 중지했습니다"
    assert "{id}" in t("done.stop")  # a missing value stays visible


def test_no_two_form_particle_is_left_in_the_code_or_catalogues() -> None:
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for package in ("tui", "labs", "mock_cloud")
             for path in sorted((ROOT / package).rglob("*"))
             if path.suffix in (".py", ".yaml", ".md", ".tcss")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if BOTH_FORMS.search(line) and path.name != "josa.py"]
    assert found == []


@pytest.mark.parametrize(("word", "particle", "expected"), [
    ("lblab", "은", "lblab은"), ("cloud-init", "이", "cloud-init이"), ("/home", "이", "/home이"),
    ("gzip", "로", "gzip으로"), ("S3", "로", "S3로"), ("EC2", "을", "EC2를"),
    ("subjectAltName", "이", "subjectAltName이"),
])
def test_loanwords_and_product_names(word: str, particle: str, expected: str) -> None:
    assert attach(word, particle) == expected
