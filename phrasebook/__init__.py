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
import marshal
import os
import sys
from pathlib import Path
from typing import Any

LANGUAGES = ("ko", "en")
CATALOGUE_DIR = Path(__file__).parent

Entry = dict[str, str]
# (file name, mtime in ns, size) of each catalogue file: a cache made from other files is not used.
Stamp = list[tuple[str, int, int]]


class LocaleError(ValueError):
    """A catalogue file is malformed or repeats another file's key."""


@functools.cache
def load_strings(directory: Path = CATALOGUE_DIR) -> dict[str, Entry]:
    """Every entry of every catalogue file (read once per process; treat the result as read-only).

    Parsed once and kept, as Python keeps bytecode, in `__pycache__/` beside the files, as long as they are
    unchanged: parsing the YAML (and importing PyYAML) was ~50 ms of every start, half of `lblab labs`."""
    paths = sorted(directory.glob("*.yaml"))
    stats = [(path.name, path.stat()) for path in paths]
    stamp: Stamp = [(name, info.st_mtime_ns, info.st_size) for name, info in stats]
    cache = directory / "__pycache__" / f"phrasebook.{sys.implementation.cache_tag}.marshal"
    kept = _read_cache(cache, stamp)
    if kept is not None:
        return kept
    strings = _parse(paths)
    _write_cache(cache, stamp, strings)
    return strings


def _parse(paths: list[Path]) -> dict[str, Entry]:
    import yaml  # only when the cache is missing or stale

    # libyaml's loader when PyYAML has it: the pure-Python one costs a tenth of a second.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    strings: dict[str, Entry] = {}
    for path in paths:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        if not isinstance(data, dict):
            raise LocaleError(f"{path.name}: expected a mapping of keys to {{en: ..., ko: ...}}")
        for key, entry in data.items():
            if key in strings:
                raise LocaleError(f"{path.name}: key {key!r} is already defined in another catalogue file")
            if not isinstance(entry, dict) or "en" not in entry:
                raise LocaleError(f"{path.name}: {key!r} needs at least an 'en' text")
            strings[str(key)] = {lang: str(text) for lang, text in entry.items()}
    return strings


def _read_cache(cache: Path, stamp: Stamp) -> dict[str, Entry] | None:
    try:
        kept: Any = marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # none yet, unreadable, torn, another Python's
        return None
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == stamp and isinstance(kept[1], dict):
        return kept[1]
    return None


def _write_cache(cache: Path, stamp: Stamp, strings: dict[str, Entry]) -> None:
    """Atomically, or not at all: a read-only install parses at every start, as before."""
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        temporary.write_bytes(marshal.dumps((stamp, strings)))
        os.replace(temporary, cache)
    except OSError:
        temporary.unlink(missing_ok=True)


def template(entry: Entry, lang: str) -> str:
    """The entry's text in `lang`, or its English where that language is missing."""
    return entry.get(lang) or entry["en"]
