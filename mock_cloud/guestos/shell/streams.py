"""A command's standard streams: stdin text, and sinks for output (terminal, pipe, file, /dev/null).

Every sink is bounded, so a command printing forever fills a capped buffer, never memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_cloud.guestos.shell.limits import MAX_BUFFER, MAX_OUTPUT, Budget
from mock_cloud.guestos.vfs import VfsError, VirtualFS


class Sink:
    is_terminal = False

    def write(self, text: str) -> None:
        raise NotImplementedError


class Capture(Sink):
    """Collects output (a pipe, a command substitution) up to a limit; the rest is dropped."""

    def __init__(self, limit: int = MAX_BUFFER) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.truncated = False

    def write(self, text: str) -> None:
        room = self.limit - self.size
        if len(text) > room:
            text = text[: max(room, 0)]
            self._overflow()
        if text:
            self.parts.append(text)
            self.size += len(text)

    def _overflow(self) -> None:
        self.truncated = True

    def text(self) -> str:
        return "".join(self.parts)


class Terminal(Capture):
    is_terminal = True

    def __init__(self) -> None:
        super().__init__(MAX_OUTPUT)

    def _overflow(self) -> None:
        if not self.truncated:
            self.truncated = True
            self.parts.append(f"\nlblab: output truncated after {MAX_OUTPUT // 1024} KB\n")


class Discard(Sink):
    def write(self, text: str) -> None:
        pass


class FileSink(Sink):
    def __init__(self, fs: VirtualFS, path: str, budget: Budget) -> None:
        self.fs = fs
        self.path = path
        self.budget = budget
        self.failed = False

    def write(self, text: str) -> None:
        if not text or self.failed:
            return
        data = text.encode("utf-8")
        # Appending copies the file in the VFS, so the I/O budget counts the whole file.
        existing = len(self.fs.read_bytes(self.path)) if self.fs.is_file(self.path) else 0
        self.budget.charge(len(data) + existing)
        try:
            self.fs.write_bytes(self.path, data, append=True)
        except VfsError:
            self.failed = True  # disk full or file removed meanwhile: later output is lost, as on Linux


class Input:
    """A command's stdin; `read` consumes it line by line, other commands take the rest."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.pos = 0

    def read_all(self) -> str:
        rest = self.text[self.pos :]
        self.pos = len(self.text)
        return rest

    def read_line(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end
        line = self.text[self.pos : end]
        self.pos = end + 1
        return line


@dataclass
class IO:
    stdin: Input
    out: Sink
    err: Sink
