"""Saving and restoring the cloud's state, atomically.

A save writes a temp file beside the state file, fsyncs it, renames it over the old one
and fsyncs the directory: a crash at any moment leaves either the old state or the new,
never a mix. A file that cannot be read is moved aside (never overwritten) and reported.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, NoReturn

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
        tmp = self._temp_path(os.getpid())
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)  # a temp file left by an earlier process keeps its old mode
                _write_all(fd, payload.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            # Disk full, a signal ...: the old state stays, and no half-written temp file is left behind.
            tmp.unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.saves += 1

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none yet."""
        self._remove_stale_temp_files()
        if not self.path.exists():
            return None
        try:
            document = json.loads(self.path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
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
        """Remove the state file, its temp files and the data directory; a symbolic link in there is
        removed as a link, never followed: nothing outside is touched."""
        self.path.unlink(missing_ok=True)
        if self.path.parent.is_dir():
            for tmp in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
                tmp.unlink(missing_ok=True)
        if self.data_dir.is_symlink():
            self.data_dir.unlink()
        elif self.data_dir.exists():
            shutil.rmtree(self.data_dir)

    def _temp_path(self, pid: int) -> Path:
        return self.path.with_name(f".{self.path.name}.{pid}.tmp")

    def _remove_stale_temp_files(self) -> None:
        """Temp files of saves that a crash (SIGKILL, power loss) cut short: never renamed, never needed.
        A live process's temp file is left alone: it may be saving this very moment."""
        if not self.path.parent.is_dir():
            return
        for tmp in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            pid_text = tmp.name[len(self.path.name) + 2 : -len(".tmp")]
            if pid_text.isascii() and pid_text.isdigit() and not _alive(int(pid_text)):
                tmp.unlink(missing_ok=True)

    def reject(self, reason: str) -> NoReturn:
        """Set aside a state file that loaded but cannot be used; raises StateError."""
        self._quarantine(reason)

    def _quarantine(self, reason: str) -> NoReturn:
        moved = self.path.with_name(f"{self.path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        for n in range(2, 1000):  # bounded; a second bad file in the same second must not replace the first
            if not moved.exists():
                break
            moved = moved.with_name(f"{self.path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        os.replace(self.path, moved)
        raise StateError(f"{reason}. It was moved to {moved}; lblab starts with a fresh cloud.", moved)


def _write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked (a signal, a nearly full disk): loop until all is out."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(f"could not write the state file ({written} bytes written)")
        view = view[written:]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True
