"""lblab's one text catalogue: every sentence the console and the labs show, in Korean and English.

Each `phrasebook/*.yaml` maps a key to its translations, side by side:

    instances: {en: Instances, ko: 인스턴스}
    launched: {en: "Launched {instance_id}", ko: "{instance_id} 시작됨"}

Files are merged in name order; a key defined twice is an error (two pages would fight over it).
Templates are `str.format` fields (a literal brace is `{{`); a Korean particle after a value is a
field too, `{name:을}`, filled by labs/josa.py. This package only reads the catalogue, so it stays
free of lblab's other packages: the console (tui) and the labs both read it, and the cloud
(mock_cloud) hands out its keys without importing it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

LANGUAGES = ("ko", "en")
# libyaml's loader when PyYAML has it: the pure-Python one costs a tenth of a second at start-up.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CATALOGUE_DIR = Path(__file__).parent

Entry = dict[str, str]


class LocaleError(ValueError):
    """A catalogue file is malformed or repeats another file's key."""


@functools.cache
def load_strings(directory: Path = CATALOGUE_DIR) -> dict[str, Entry]:
    """Every entry of every catalogue file (read once per process; treat the result as read-only)."""
    strings: dict[str, Entry] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        if not isinstance(data, dict):
            raise LocaleError(f"{path.name}: expected a mapping of keys to {{en: ..., ko: ...}}")
        for key, entry in data.items():
            if key in strings:
                raise LocaleError(f"{path.name}: key {key!r} is already defined in another catalogue file")
            if not isinstance(entry, dict) or "en" not in entry:
                raise LocaleError(f"{path.name}: {key!r} needs at least an 'en' text")
            strings[str(key)] = {lang: str(text) for lang, text in entry.items()}
    return strings


def template(entry: Entry, lang: str) -> str:
    """The entry's text in `lang`, or its English where that language is missing."""
    return entry.get(lang) or entry["en"]
