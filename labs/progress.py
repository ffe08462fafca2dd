"""Lab progress, saved beside the cloud's state so a learner resumes where they were after a restart.

`labs.json` lives in the cloud's data directory (`state.d/`), so `lblab reset` wipes it with the
cloud, and is written like the state file: temp file, fsync, rename, fsync of the directory.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mock_cloud import Cloud

FILE_NAME = "labs.json"
VERSION = 1


@dataclass
class LabProgress:
    step: int = 0  # index of the current step
    completed: list[str] = field(default_factory=list)  # ids of the steps passed, in order
    hints: dict[str, int] = field(default_factory=dict)  # step id -> hints revealed
    elapsed: float = 0.0  # real seconds spent with the lab open
    setup_done: bool = False
    finished: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabProgress:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class ProgressStore:
    """Every lab's progress, and which lab was open last. `path` None keeps it in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.error: str | None = None  # why a saved file could not be read (it is then ignored)
        self.active: str | None = None
        self._labs: dict[str, LabProgress] = {}
        self._load()

    @classmethod
    def for_cloud(cls, cloud: Cloud) -> ProgressStore:
        return cls(cloud.store.data_dir / FILE_NAME if cloud.store is not None else None)

    def get(self, lab_id: str) -> LabProgress:
        saved = self._labs.get(lab_id)
        return LabProgress.from_dict(asdict(saved)) if saved is not None else LabProgress()

    def put(self, lab_id: str, progress: LabProgress, active: bool = True) -> None:
        self._labs[lab_id] = LabProgress.from_dict(asdict(progress))
        if active:
            self.active = lab_id
        self._save()

    def forget(self, lab_id: str) -> None:
        self._labs.pop(lab_id, None)
        if self.active == lab_id:
            self.active = None
        self._save()

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            document = json.loads(self.path.read_text("utf-8"))
            if document.get("version") != VERSION:
                raise ValueError(f"version {document.get('version')!r}, expected {VERSION}")
            self._labs = {k: LabProgress.from_dict(v) for k, v in document["labs"].items()}
            self.active = document.get("active")
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            # Progress is a convenience: a bad file means starting the labs afresh, never failing to start.
            self.error = f"lab progress in {self.path} could not be read ({exc}); starting afresh"
            self._labs, self.active = {}, None

    def _save(self) -> None:
        if self.path is None:
            return
        payload = json.dumps({"version": VERSION, "active": self.active,
                              "labs": {k: asdict(v) for k, v in self._labs.items()}}, ensure_ascii=False, indent=1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        with contextlib.suppress(OSError):  # some filesystems cannot fsync a directory
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
