"""Console strings in Korean and English, loaded from every `tui/locale/*.yaml`.

Each file maps a key to its translations, side by side:

    instances: {en: Instances, ko: 인스턴스}
    launched: {en: "Launched {instance_id}", ko: "{instance_id} 시작됨"}

Files are merged in name order; a key defined twice is an error (two pages would fight over
it). `t(key, **values)` formats with `str.format` (write a literal brace as `{{`); an unknown key
comes back as itself, so a missing string shows up on screen instead of crashing the console.
Korean particles after a value are fields too: `{name:을}` reads `demo-tg를` or `trouble-web-1을`
(labs/josa.py), never both forms in brackets.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from labs.josa import fill

LANGUAGES = ("ko", "en")
# libyaml's loader when PyYAML has it: the pure-Python one costs a tenth of a second at start-up.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LOCALE_DIR = Path(__file__).with_name("locale")


class LocaleError(ValueError):
    """A locale file is malformed or repeats another file's key."""


@functools.cache
def load_strings(directory: Path = LOCALE_DIR) -> dict[str, dict[str, str]]:
    """Every string of every locale file (read once per process; treat the result as read-only)."""
    strings: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        if not isinstance(data, dict):
            raise LocaleError(f"{path.name}: expected a mapping of keys to {{en: ..., ko: ...}}")
        for key, entry in data.items():
            if key in strings:
                raise LocaleError(f"{path.name}: key {key!r} is already defined in another locale file")
            if not isinstance(entry, dict) or "en" not in entry:
                raise LocaleError(f"{path.name}: {key!r} needs at least an 'en' text")
            strings[str(key)] = {lang: str(text) for lang, text in entry.items()}
    return strings


class _KeepMissing(dict[str, object]):
    """A placeholder with no value stays visible ("{name}") rather than raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    def __init__(self, lang: str, strings: dict[str, dict[str, str]] | None = None) -> None:
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
        text = entry.get(self._lang) or entry["en"]
        return fill(text, _KeepMissing(values))

    def has(self, key: str) -> bool:
        return key in self.strings

    @property
    def other_lang(self) -> str:
        return "en" if self._lang == "ko" else "ko"
