"""Bilingual text: every string a learner reads exists in Korean and English.

The labs' own sentences live in the text catalogue (phrasebook/*.yaml) beside the console's;
`Text.of(key)` is one entry in both languages, and `phrase(key, **params)` fills it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from labs.josa import fill
from phrasebook import load_strings, template

Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")


@dataclass(frozen=True)
class Text:
    ko: str
    en: str

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en

    def format(self, **params: Any) -> Text:
        """Fill `{name}` fields per language; a Text parameter contributes its own language.

        `{name:을}` is the value followed by the particle its last sound takes (labs/josa.py)."""
        return Text(*(fill(template, _Localized(params, lang)) for template, lang in
                      ((self.ko, "ko"), (self.en, "en"))))

    @staticmethod
    def of(key: str) -> Text:
        """The catalogue's entry `key` as a template in both languages (a missing key is a KeyError: a bug)."""
        entry = load_strings()[key]
        return Text(template(entry, "ko"), template(entry, "en"))

    @staticmethod
    def same(text: str) -> Text:
        """Text that reads the same in both languages (names, numbers, code)."""
        return Text(text, text)

    @staticmethod
    def join(parts: Iterable[Text], separator: str = " ") -> Text:
        items = list(parts)
        return Text(separator.join(p.ko for p in items), separator.join(p.en for p in items))


def phrase(key: str, **params: Any) -> Text:
    """The catalogue's entry `key` in both languages, its fields filled from `params`."""
    return Text.of(key).format(**params)


class _Localized(dict[str, Any]):
    """format_map view of the parameters in one language: Text picks its language, lists are joined."""

    def __init__(self, params: Mapping[str, Any], lang: str) -> None:
        super().__init__(params)
        self.lang = lang

    def __getitem__(self, key: str) -> Any:
        return localize(super().__getitem__(key), self.lang)

    def __missing__(self, key: str) -> str:
        # A template must never crash a check: an unknown field shows as itself.
        return "{" + key + "}"


def localize(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return value.get(lang)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(localize(v, lang)) for v in value)
    return value
