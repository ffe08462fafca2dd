"""Guided labs: lab scripts (`labs/*.yaml`) and the engine that walks a learner through them.

The public API (what the TUI and the CLI use):

- `list_labs()`, `load_lab(id)`, `format_lab_list(lang)` — finding and reading labs (labs/loader.py)
- `lab_catalog()`, `format_catalog(infos, lang)` — the lab list read quickly, unchecked (labs/catalog.py)
- `LabSession(cloud, lab, lang)` — one learner in one lab (labs/engine.py)
- `Text` — every learner-facing string, in Korean and English (labs/text.py)

Each name is imported from its module when first used: checking a lab imports the cloud, and
`lblab labs` must not wait for that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labs.catalog import format_catalog, lab_catalog
    from labs.engine import CheckReport, CriterionResult, LabSession, Progress, SessionEvent, SolveResult
    from labs.loader import LabLoadError, format_lab_list, list_labs, load_lab
    from labs.model import Lab, LabInfo, Step
    from labs.progress import ProgressStore
    from labs.text import Text

_MODULES = {
    "labs.catalog": ("format_catalog", "lab_catalog"),
    "labs.engine": ("CheckReport", "CriterionResult", "LabSession", "Progress", "SessionEvent", "SolveResult"),
    "labs.loader": ("LabLoadError", "format_lab_list", "list_labs", "load_lab"),
    "labs.model": ("Lab", "LabInfo", "Step"),
    "labs.progress": ("ProgressStore",),
    "labs.text": ("Text",),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "CheckReport",
    "CriterionResult",
    "Lab",
    "LabInfo",
    "LabLoadError",
    "LabSession",
    "Progress",
    "ProgressStore",
    "SessionEvent",
    "SolveResult",
    "Step",
    "Text",
    "format_catalog",
    "format_lab_list",
    "lab_catalog",
    "list_labs",
    "load_lab",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'labs' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
