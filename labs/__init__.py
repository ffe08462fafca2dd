"""Guided labs: lab scripts (`labs/*.yaml`) and the engine that walks a learner through them.

The public API (what the TUI and the CLI use):

- `list_labs()`, `load_lab(id)`, `format_lab_list(lang)` — finding and reading labs (labs/loader.py)
- `LabSession(cloud, lab, lang)` — one learner in one lab (labs/engine.py)
- `Text` — every learner-facing string, in Korean and English (labs/text.py)
"""

from labs.engine import (
    CheckReport,
    CriterionResult,
    LabSession,
    Progress,
    SessionEvent,
    SolveResult,
)
from labs.loader import LabLoadError, format_lab_list, list_labs, load_lab
from labs.model import Lab, LabInfo, Step
from labs.progress import ProgressStore
from labs.text import Text

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
    "format_lab_list",
    "list_labs",
    "load_lab",
]
