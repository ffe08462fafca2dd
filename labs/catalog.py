"""The lab list as `lblab labs` prints it, read in milliseconds: each file's id, title, size and
order, parsed with libyaml and not checked. Checking a lab (labs/loader.py) imports the actions and
criteria, and through them the cloud, which costs more than the listing itself; a file that cannot
even be listed is checked in full, so that its entry names the problem as `lblab lab ID` would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from labs.model import LabInfo
from labs.text import Text, phrase

LABS_DIR = Path(__file__).parent
MAX_FILE_BYTES = 512 * 1024
DEFAULT_ORDER = 100
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def lab_catalog(directory: Path | None = None) -> list[LabInfo]:
    """Every lab file, in the intended order, broken ones last (as `list_labs`), without checking them."""
    infos = [_entry(path, directory) for path in sorted((directory or LABS_DIR).glob("*.yaml"))]
    return sorted(infos, key=lambda info: (info.broken, info.order, info.id))


def _entry(path: Path, directory: Path | None) -> LabInfo:
    try:
        if path.stat().st_size <= MAX_FILE_BYTES:
            values = yaml.load(path.read_text("utf-8"), Loader=SafeLoader)
            if isinstance(values, dict) and values.get("id") == path.stem:
                return LabInfo(path.stem, path, _text(values["title"]), _text(values["description"]),
                               int(values["estimated_minutes"]), len(values["steps"]),
                               order=int(values.get("order", DEFAULT_ORDER)))
    except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError):
        pass
    return _checked(path, directory)


def _text(value: Any) -> Text:
    if isinstance(value, dict):
        return Text(str(value["ko"]), str(value["en"]))
    return Text.same(str(value))


def _checked(path: Path, directory: Path | None) -> LabInfo:
    from labs.loader import lab_info

    return lab_info(path, directory)


def format_catalog(infos: list[LabInfo], lang: str) -> str:
    """The plain-text list `lblab labs` prints."""
    if not infos:
        return Text.of("catalog.none").get(lang)
    width = max(len(info.id) for info in infos)
    lines = []
    for number, info in enumerate(infos, 1):
        if info.broken:
            broken = phrase("catalog.broken", error=info.error)
            lines.append(f" !  {info.id:<{width}}  {broken.get(lang)}")
            continue
        size = phrase("catalog.size", steps=info.step_count, minutes=info.estimated_minutes)
        lines.append(f"{number:>2}. {info.id:<{width}}  {info.title.get(lang)}  ({size.get(lang)})")
    lines.append("")
    lines.append(Text.of("catalog.open").get(lang))
    return "\n".join(lines)
