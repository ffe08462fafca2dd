"""Saving and restoring the cloud's state, atomically.

A save writes a temp file beside the state file, fsyncs it, renames it over the old one
and fsyncs the directory: a crash at any moment leaves either the old state or the new,
never a mix. A file that cannot be read is moved aside (never overwritten) and reported.

One process at a time: `StateLock` holds an OS lock on `<state>.lock` beside the state file while
a cloud uses it, and writes its holder (PID and command) into it, so a second process is refused
with a message naming the first. The kernel drops the lock when its holder dies, even by SIGKILL:
a lock is never stale.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

STATE_VERSION = 1
STATE_ENV = "LBLAB_STATE"


class StateError(Exception):
    """The state file is corrupt or from an unknown version; it has been moved aside."""

    def __init__(self, message: str, moved_to: Path) -> None:
        super().__init__(message)
        self.moved_to = moved_to


class StateInUse(Exception):
    """Another process holds the state file; nothing was read or changed."""

    def __init__(self, path: Path, pid: int | None, command: str) -> None:
        holder = f"{command or 'another process'} (PID {pid})" if pid else "another lblab process"
        super().__init__(
            f"the state file {path} is in use by {holder}. Stop it first, or pass another --state "
            "(two processes on one state file would overwrite each other's changes)."
        )
        self.path, self.pid, self.command = path, pid, command


class StateLock:
    """An OS lock on `<state>.lock`, which also names its holder.

    The lock file outlives its holders (see `release`): deleted while in use, a process that opened
    it just before would lock a file nobody else can see, and two would hold "the" lock at once.
    """

    def __init__(self, state_path: Path) -> None:
        self.state_path = Path(state_path)
        self.path = self.state_path.with_name(self.state_path.name + ".lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, command: str) -> StateLock:
        """Take the lock (at once, never waiting) or raise StateInUse naming the holder."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_file(fd)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK, errno.EDEADLK):
                raise
            pid, holder = self._holder()
            raise StateInUse(self.state_path, pid, holder) from None
        os.ftruncate(fd, 0)
        _write_all(fd, f"{os.getpid()}\n{command}\n".encode())
        self._fd = fd
        return self

    def release(self, delete: bool = False) -> None:
        """`delete`: remove the lock file too, for `lblab reset` once the state is gone. Safe only
        then: a process that opened this file before the removal is refused (the lock is still
        held), and one that comes after finds nothing left to share."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if delete:
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(fd, 0)  # no holder any more; the next one writes itself in
        finally:
            os.close(fd)  # closing drops the lock

    def _holder(self) -> tuple[int | None, str]:
        """Who holds the lock, as it wrote itself in (it may not have yet: then unknown)."""
        try:
            text = self.path.read_text("utf-8", errors="replace")
        except OSError:
            return None, ""
        pid_text, _, command = text.partition("\n")
        pid = int(pid_text) if pid_text.isascii() and pid_text.isdigit() else None
        return pid, command.strip()[:200]


# Windows locks a byte range, and a locked range cannot be read by others: lock one byte far past
# the holder's note, so that a refused process can still read who holds it.
_WINDOWS_LOCK_OFFSET = 1 << 30


def _lock_file(fd: int) -> None:
    """A non-blocking exclusive lock; OSError (EACCES/EAGAIN/EWOULDBLOCK) when another holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise OSError(errno.EACCES, str(exc)) from exc
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
    else:
        import fcntl

        # flock, not lockf: a POSIX record lock belongs to the process and any close() of the file
        # drops it; flock belongs to this open file, so a second Cloud in the same process is refused too.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


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

    def save(self, state: dict[str, Any], encode: Callable[[dict[str, Any]], str] | None = None) -> None:
        """`encode`: the state as JSON (the cloud reuses what it encoded before; default: json.dumps)."""
        payload = f'{{"version":{STATE_VERSION},"state":{(encode or compact_json)(state)}}}'
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
            document = json.loads(self.path.read_text("utf-8"), parse_constant=_not_json)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            self._quarantine(f"the state file {self.path} is corrupt ({exc})")
        if not isinstance(document, dict) or not isinstance(document.get("state"), dict):
            self._quarantine(f"the state file {self.path} is not an lblab state file")
        if document.get("version") != STATE_VERSION:
            self._quarantine(
                f"the state file {self.path} has version {document.get('version')!r}; "
                f"this lblab reads version {STATE_VERSION}"
            )
        state: dict[str, Any] = document["state"]
        return state

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


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _not_json(name: str) -> NoReturn:
    """Python's json reads NaN and Infinity; JSON has no such numbers, and lblab never writes them."""
    raise ValueError(f"{name} is not a JSON number")


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
