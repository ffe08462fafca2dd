"""Saving and restoring the cloud's state, atomically.

A save writes a temp file beside the state file, fsyncs it, renames it over the old one
and fsyncs the directory: a crash at any moment leaves either the old state or the new,
never a mix. A file that cannot be read is moved aside (never overwritten) and reported.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

STATE_VERSION = 1
STATE_ENV = "LBLAB_STATE"


class StateError(Exception):
    """The state file is corrupt or from an unknown version; it has been moved aside."""

    def __init__(self, message: str, moved_to: Path) -> None:
        super().__init__(message)
        self.moved_to = moved_to


def default_state_path() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("lblab", appauthor=False)) / "state.json"


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.saves = 0

    @property
    def data_dir(self) -> Path:
        """Where files that belong with this state live (certificates, access logs)."""
        return self.path.with_name(self.path.stem + ".d")

    def save(self, state: dict[str, Any]) -> None:
        payload = json.dumps({"version": STATE_VERSION, "state": state}, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.saves += 1

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none yet."""
        if not self.path.exists():
            return None
        try:
            document = json.loads(self.path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._quarantine(f"the state file {self.path} is corrupt ({exc})")
        if not isinstance(document, dict) or not isinstance(document.get("state"), dict):
            self._quarantine(f"the state file {self.path} is not an lblab state file")
        if document.get("version") != STATE_VERSION:
            self._quarantine(
                f"the state file {self.path} has version {document.get('version')!r}; "
                f"this lblab reads version {STATE_VERSION}"
            )
        return document["state"]

    def wipe(self) -> None:
        for path in (self.path,):
            path.unlink(missing_ok=True)
        if self.data_dir.exists():
            for child in sorted(self.data_dir.rglob("*"), reverse=True):
                child.rmdir() if child.is_dir() else child.unlink()
            self.data_dir.rmdir()

    def _quarantine(self, reason: str) -> None:
        moved = self.path.with_name(f"{self.path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(self.path, moved)
        raise StateError(f"{reason}. It was moved to {moved}; lblab starts with a fresh cloud.", moved)
