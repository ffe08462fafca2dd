"""Korean particles (조사) chosen by how the word before them ends, as a Korean engineer reads it aloud.

`josa("demo-tg", "을")` is "를" (지), `josa("trouble-web-1", "은")` is "은" (일), `josa("ec2-user", "로")`
is "로" (유저), `josa("/index.htm", "이")` is "이" (엠). Templates write `{name:을}`, never both
forms in brackets; `fill` formats them. Stdlib only: the console formats every toast through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Each particle's two forms: after a final consonant (받침), after a vowel.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("으로", "로"), ("이라는", "라는"), ("이나", "나"),
)
PARTICLES: dict[str, tuple[str, str]] = {form: pair for pair in _PAIRS for form in pair}

# Sentinels for the final consonant: none, ㄹ (which takes 로, not 으로), any other.
NONE, RIEUL, OTHER = 0, 1, 2
# Letters by their Korean names (에이, 비, 씨 … 엘, 엠, 엔 … 알): which end in a consonant.
_LETTER_FINAL = {"l": RIEUL, "r": RIEUL, "m": OTHER, "n": OTHER}
# Digits by their Sino-Korean reading: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGIT_FINAL = (OTHER, RIEUL, NONE, OTHER, NONE, NONE, OTHER, RIEUL, RIEUL, NONE)
_VOWELS = set("aeiou")
# English words read as loanwords whose last sound differs from the last letter's name.
_WORD_FINALS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"[aeiou]r$"), NONE),  # user 유저, server 서버, balancer 밸런서
    (re.compile(r"le$"), RIEUL),                       # table 테이블, file 파일
    (re.compile(r"ng$|[mn]e$|[ie]t$|[aeiou](p+|b)$"), OTHER),  # 체킹, 홈, 라인, 이닛, 타깃, 그룹, 집, 웹, 랩
)
_TOKEN = re.compile(r"([가-힣])$|(?<![0-9A-Za-z])([A-Za-z]+[0-9])$|([0-9]+)$|([A-Za-z]+)$")
# A digit right after letters is read in English (S3 에스쓰리, EC2 이씨투): 원, 투, 쓰리 … 세븐, 에잇, 나인.
_ENGLISH_DIGIT_FINAL = (NONE, OTHER, NONE, NONE, NONE, NONE, NONE, OTHER, OTHER, OTHER)
_IGNORED_TAIL = re.compile(r"[^가-힣0-9A-Za-z]+$")


def final_sound(word: str) -> int:
    """NONE, RIEUL or OTHER: how `word` ends when read aloud (trailing brackets and punctuation skipped)."""
    match = _TOKEN.search(_IGNORED_TAIL.sub("", word))
    if match is None:
        return NONE
    syllable, product, digits, letters = match.groups()
    if syllable:
        final = (ord(syllable) - 0xAC00) % 28
        return NONE if final == 0 else RIEUL if final == 8 else OTHER
    if product:
        return _ENGLISH_DIGIT_FINAL[int(product[-1])]
    if digits:
        return _number_final(digits)
    return _letters_final(letters)


def _number_final(digits: str) -> int:
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0 or zeros == len(digits):
        return _DIGIT_FINAL[int(digits[-1])]
    # Read by its last place: 십 (ㅂ), 백 (ㄱ), 천 (ㄴ), 만 (ㄴ): a consonant, never ㄹ.
    return OTHER


def _letters_final(letters: str) -> int:
    lower = letters.lower()
    # An abbreviation (ALB, tg, htm) is spelled out; a word (user, balancer) is read as a loanword.
    is_word = len(lower) >= 3 and not letters.isupper() and bool(_VOWELS & set(lower))
    if is_word:
        for pattern, final in _WORD_FINALS:
            if pattern.search(lower):
                return final
    return _LETTER_FINAL.get(lower[-1], NONE)


def josa(word: str, particle: str) -> str:
    """The form of `particle` (either form, e.g. "을" or "를") that follows `word`."""
    after_consonant, after_vowel = PARTICLES[particle]
    final = final_sound(word)
    if after_consonant == "으로":
        return after_vowel if final in (NONE, RIEUL) else after_consonant
    return after_vowel if final == NONE else after_consonant


def attach(word: str, particle: str) -> str:
    return word + josa(word, particle)


# `{name:을}`: a format field whose spec is a particle.
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):(" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + r")\}")


def fill(template: str, values: Mapping[str, object]) -> str:
    """`template.format_map(values)`, where a `{name:을}` field is the value followed by its particle."""
    if ":" in template:
        template = _FIELD.sub(lambda m: _literal(attach(str(values[m.group(1)]), m.group(2))), template)
    return template.format_map(values)


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")
