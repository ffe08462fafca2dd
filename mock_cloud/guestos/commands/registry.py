"""The registry of the instance's programs (`COMMANDS`, filled by `@command`) and what each gets.

A command gets a `Ctx` (arguments, user, directory, streams, budget) and works only on the
instance's VirtualFS and InstanceOS, checking permissions the way Linux would for that user.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_cloud.guestos.shell.limits import MAX_DEPTH, MAX_PATH, Budget
from mock_cloud.guestos.shell.streams import Discard, Input, Sink
from mock_cloud.guestos.vfs import VfsError, VirtualFS, normalize

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS


def reason(error: VfsError) -> str:
    return str(error).rpartition(": ")[2]


def read_vfs_file(os: InstanceOS, user: str, path: str, budget: Budget) -> str:
    """A file's text as `user` may read it; VfsError carries the Linux reason."""
    if path == "/dev/null":
        return ""
    if not os.allowed(path, user, "r"):
        raise VfsError(f"{path}: Permission denied")
    data = os.fs.read_bytes(path)
    budget.charge(len(data))
    return data.decode("utf-8", errors="replace")


def write_problem(os: InstanceOS, user: str, path: str) -> str:
    """Why `user` cannot create or overwrite file `path` ("" when they can)."""
    fs = os.fs
    parent = posixpath.dirname(path)
    if len(path) > MAX_PATH:
        return "File name too long"
    if fs.is_dir(path):
        return "Is a directory"
    if not os.allowed(parent, user, "x"):
        return "Permission denied"
    if not fs.is_dir(parent):
        return "Not a directory" if fs.exists(parent) else "No such file or directory"
    if fs.exists(path):
        return "" if os.allowed(path, user, "w") else "Permission denied"
    return "" if os.may_create(path, user) else "Permission denied"


def split_flags(args: list[str], with_value: str = "") -> tuple[set[str], dict[str, str], list[str]]:
    """Short options (clustered like -rf), options taking a value, and operands; `--` ends options."""
    flags: set[str] = set()
    values: dict[str, str] = {}
    operands: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            operands += args[i + 1 :]
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if eq:
                values[name] = value
            else:
                flags.add(name)
        elif arg.startswith("-") and len(arg) > 1:
            for j, ch in enumerate(arg[1:], 1):
                if ch in with_value:
                    if j + 1 < len(arg):
                        values[ch] = arg[j + 1 :]
                    else:
                        i += 1
                        values[ch] = args[i] if i < len(args) else ""
                    break
                flags.add(ch)
        else:
            operands.append(arg)
        i += 1
    return flags, values, operands


@dataclass
class Ctx:
    os: InstanceOS
    user: str
    cwd: str
    env: dict[str, str]
    name: str
    args: list[str]
    stdin: Input
    out: Sink
    err: Sink
    interactive: bool
    budget: Budget
    label: str = ""  # how errors name the command: bash builtins say "-bash: [" rather than "["

    @property
    def fs(self) -> VirtualFS:
        return self.os.fs

    @property
    def root(self) -> bool:
        return self.user == "root"

    def path(self, name: str) -> str:
        path = normalize(name, self.cwd)
        if len(path) > MAX_PATH or path.count("/") > MAX_DEPTH:
            raise VfsError(f"{name[:60]}: File name too long")
        return path

    def error(self, message: str, status: int = 1) -> int:
        self.err.write(f"{self.label or self.name}: {message}\n")
        return status

    def read(self, name: str) -> str | None:
        """A file's text ("-" is stdin), or None after printing the error."""
        if name == "-":
            return self.stdin.read_all()
        try:
            return read_vfs_file(self.os, self.user, self.path(name), self.budget)
        except VfsError as error:
            self.error(f"{name}: {reason(error)}")
            return None

    def write(self, name: str, text: str, append: bool = False) -> bool:
        devices: dict[str, Sink] = {"/dev/null": Discard(), "/dev/stdout": self.out, "/dev/stderr": self.err}
        if name in devices:
            devices[name].write(text)
            return True
        path = self.path(name)
        problem = write_problem(self.os, self.user, path)
        if problem:
            self.error(f"{name}: {problem}")
            return False
        created = not self.fs.exists(path)
        data = text.encode("utf-8")
        self.budget.charge(len(data))
        self.fs.write_bytes(path, data, append=append)
        if created:
            self.os.note_created(path, self.user)
        return True

    def now_stamp(self) -> str:
        """`ls -l` style time."""
        now = self.os.now()
        return f"{now:%b} {now.day:2d} {now:%H:%M}"


CommandFn = Callable[[Ctx], int]
COMMANDS: dict[str, CommandFn] = {}


def command(*names: str) -> Callable[[CommandFn], CommandFn]:
    def register(fn: CommandFn) -> CommandFn:
        for name in names:
            COMMANDS[name] = fn
        return fn

    return register


def text_lines(text: str) -> list[str]:
    """Lines without their newlines (a final newline does not start another line)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def join_lines(lines: Iterable[str]) -> str:
    return "".join(line + "\n" for line in lines)
