"""The Korean console and labs use the AWS Korean console's words and read as a Korean engineer writes."""

from __future__ import annotations

import re

from labs import list_labs, load_lab
from labs.placeholders import render
from labs.text import Text
from mock_cloud.cloud import Cloud
from phrasebook import load_strings
from tui.i18n import Translator
from tui.widgets.elb_format import health_details

# Words a Korean console never shows: English for "every protocol/port", "영역" alone for an
# Availability Zone, a second form of the default VPC label, "대상에게는" for the backend protocol.
FORBIDDEN_KO = re.compile(r"\bAll\b|^영역$|\(기본\)|대상에게는|Request timed out|Health checks failed")


def lab_texts(lang: str, cloud: Cloud) -> list[str]:
    texts: list[Text] = []
    for info in list_labs():
        lab = load_lab(info.id)
        texts += [lab.title, lab.description, lab.finish]
        for step in lab.steps:
            texts += [step.title, step.instructions, *step.hints]
            texts += [criterion.label for criterion in step.check if criterion.label is not None]
    return [render(text.get(lang), lang, cloud) for text in texts]


CODE = re.compile(r"```.*?```|`[^`]*`", re.S)


def nested_brackets(text: str) -> bool:
    """Brackets inside brackets in prose (code blocks and spans are code, not prose)."""
    depth = 0
    for char in CODE.sub("", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth > 1:
            return True
    return False


def test_the_korean_catalogue_uses_the_console_words() -> None:
    strings = load_strings()
    wrong = {key: entry["ko"] for key, entry in strings.items() if FORBIDDEN_KO.search(entry.get("ko", ""))}
    assert wrong == {}
    t = Translator("ko")
    assert t("all") == "전체" and t("lb.zone") == "가용 영역" and t("picker.col.zone") == "가용 영역"
    assert t("lab.key.reset_step") == "이 단계 다시 하기"
    assert "(기본값)" in t("launch.vpc_value", vpc="vpc-1", cidr="172.31.0.0/16") and t("sg.default_vpc") == "기본값"
    assert "대상과는 항상 HTTP/1.1로 통신하며" in t("note.protocol_version")
    assert t("sg.edit_intro", name="web-sg") != "web-sg의 규칙입니다. 저장하면 변경하거나 삭제한 규칙이 바뀝니다."


def test_health_details_read_as_the_korean_console_shows_them() -> None:
    ko, en = Translator("ko"), Translator("en")
    mismatch = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")
    assert health_details(ko, *mismatch) == "상태 확인이 다음 코드로 실패했습니다: [404]"
    assert health_details(en, *mismatch) == "Health checks failed with these codes: [404]"
    assert health_details(ko, "Target.Timeout", "Request timed out") == "요청 시간이 초과되었습니다"
    assert health_details(ko, "Target.InvalidState", "Target is in the stopped state") == "대상이 중지됨 상태입니다"


async def test_lab_texts_have_no_brackets_inside_brackets(cloud: Cloud) -> None:
    for lang in ("ko", "en"):
        nested = [text for text in lab_texts(lang, cloud) if nested_brackets(text)]
        assert nested == []
    assert not [text for text in lab_texts("ko", cloud) if FORBIDDEN_KO.search(text)]
