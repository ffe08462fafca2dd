"""The console's strings: `t(key, **values)` over the one text catalogue (phrasebook/*.yaml).

`t(key, **values)` formats with `str.format` (write a literal brace as `{{`); an unknown key
comes back as itself, so a missing string shows up on screen instead of crashing the console.
Korean particles after a value are fields too: `{name:을}` reads `demo-tg를` or `trouble-web-1을`
(labs/josa.py), never both forms in brackets.
"""

from __future__ import annotations

from labs.josa import fill
from phrasebook import LANGUAGES, Entry, load_strings, template


class _KeepMissing(dict[str, object]):
    """A placeholder with no value stays visible ("{name}") rather than raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    def __init__(self, lang: str, strings: dict[str, Entry] | None = None) -> None:
        self.strings = load_strings() if strings is None else strings
        self.lang = lang

    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        self._lang = value if value in LANGUAGES else "en"

    def __call__(self, key: str, **values: object) -> str:
        entry = self.strings.get(key)
        if entry is None:
            return key
        return fill(template(entry, self._lang), _KeepMissing(values))

    def has(self, key: str) -> bool:
        return key in self.strings

    @property
    def other_lang(self) -> str:
        return "en" if self._lang == "ko" else "ko"
