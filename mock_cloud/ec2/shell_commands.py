"""The programs of the instance shell: coreutils, text tools, systemctl, package managers, curl.

Each command gets a Ctx (arguments, the current user and directory, stdin/stdout/stderr)
and works only on the instance's VirtualFS and InstanceOS, checking permissions the way
Linux would for that user. Messages copy GNU coreutils, systemd and curl, so what a learner
sees here is what they will see on a real instance.

Sections: limits and streams, helpers, files, text, regular expressions (grep, sed), system
(systemctl, users, logs), packages, network (curl, wget, instance metadata).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mock_cloud.ec2 import packages
from mock_cloud.ec2.httpd import render
from mock_cloud.ec2.instance_os import InstanceOS
from mock_cloud.ec2.shell_numbers import bounded, legal_number
from mock_cloud.ec2.vfs import VfsError, VirtualFS, normalize
from mock_cloud.http1 import reason_phrase

MAX_STEPS = 10_000  # commands (and loop rounds) per script or per Connect-shell line
MAX_OUTPUT = 256 * 1024  # characters a run may print to the console
MAX_BUFFER = 1024 * 1024  # characters in a pipe, a command substitution or a variable
_LINE_CAP = MAX_BUFFER + 1  # a line number or count no text here can reach
MAX_IO = 256 * 1024 * 1024  # bytes read or written through the VFS per run
MAX_SECONDS = 5.0  # wall time per run: the last line of defence
MAX_PATH = 4096  # Linux's PATH_MAX
MAX_DEPTH = 64  # directory depth a command may create (deeper trees would exhaust Python's stack)
MAX_REGEX_WORK = 2_000_000  # matcher steps per grep/sed pattern (a few seconds at worst)



class ShellAbort(Exception):
    """A safety limit was hit: the whole run stops."""


@dataclass
class Budget:
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)
    steps: int = 0
    io: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ShellAbort(f"more than {MAX_STEPS} commands ran; script stopped")
        if time.monotonic() > self.deadline:
            raise ShellAbort(f"the script ran for more than {MAX_SECONDS:.0f} seconds; stopped")

    def charge(self, size: int) -> None:
        self.io += size
        if self.io > MAX_IO:
            raise ShellAbort(f"more than {MAX_IO // (1024 * 1024)} MB of file I/O; script stopped")


# == streams ========================================================================================


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


# == helpers ========================================================================================


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


def _backslash_escapes(text: str) -> tuple[str, bool]:
    """echo -e / printf escapes; the flag tells that \\c stopped the output."""
    simple = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "r": "\r",
              "v": "\v"}
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "c":
            return "".join(out), True
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "x" and (m := re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2 : i + 4])):
            out.append(chr(int(m.group(), 16)))
            i += 2 + len(m.group())
        elif nxt == "0":
            m = re.match(r"[0-7]{0,3}", text[i + 2 : i + 5])
            digits = m.group() if m else ""
            out.append(chr(int(digits or "0", 8)))
            i += 2 + len(digits)
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out), False


def _text_lines(text: str) -> list[str]:
    """Lines without their newlines (a final newline does not start another line)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _join_lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


# == files ===========================================================================================


@command("true", ":")
def _true(ctx: Ctx) -> int:
    return 0


@command("false")
def _false(ctx: Ctx) -> int:
    return 1


@command("echo")
def _echo(ctx: Ctx) -> int:
    args = ctx.args
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, stopped = _backslash_escapes(text)
        newline = newline and not stopped
    ctx.out.write(text + ("\n" if newline else ""))
    return 0


_PRINTF_SPEC = re.compile(r"%([-+ #0]*)(\d*)(?:\.(\d*))?([sdiouxXeEfgGcb%])")


@command("printf")
def _printf(ctx: Ctx) -> int:
    if not ctx.args:
        return ctx.error("usage: printf [-v var] format [arguments]", 2)
    fmt, args = ctx.args[0], ctx.args[1:]
    while True:
        text, used = _format(fmt, args)
        ctx.out.write(text)
        args = args[used:]
        if not args or not used:
            return 0


def _format(fmt: str, args: list[str]) -> tuple[str, int]:
    out: list[str] = []
    used = 0
    pos = 0
    for match in _PRINTF_SPEC.finditer(fmt):
        out.append(_backslash_escapes(fmt[pos : match.start()])[0])
        pos = match.end()
        flags, width, precision, conv = match.groups()
        if conv == "%":
            out.append("%")
            continue
        arg = args[used] if used < len(args) else ""
        used += 1
        spec = f"%{flags}{bounded(width or '0', 1000) or ''}" + (f".{bounded(precision or '0', 1000)}"
                                                               if precision is not None else "")
        if conv in "sb":
            out.append((spec + "s") % (_backslash_escapes(arg)[0] if conv == "b" else arg))
        elif conv == "c":
            out.append(arg[:1])
        else:
            out.append((spec + conv.replace("u", "d")) % _number(arg, float if conv in "eEfgG" else int))
    out.append(_backslash_escapes(fmt[pos:])[0])
    return "".join(out), used


def _number(text: str, kind: type) -> float | int:
    try:
        if kind is int:
            return int(text, 0) if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text) else int(text or "0")
        return float(text or "0")
    except ValueError:
        return 0


@command("cat")
def _cat(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args)
    status = 0
    for name in files or ["-"]:
        text = ctx.read(name)
        if text is None:
            status = 1
        elif "n" in flags:
            ctx.out.write(_join_lines(f"{i:6d}\t{line}" for i, line in enumerate(_text_lines(text), 1)))
        else:
            ctx.out.write(text)
    return status


@command("tee")
def _tee(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args)
    text = ctx.stdin.read_all()
    status = 0
    for name in files:
        if not ctx.write(name, text, append="a" in flags or "--append" in flags):
            status = 1
    ctx.out.write(text)
    return status


@command("pwd")
def _pwd(ctx: Ctx) -> int:
    ctx.out.write(ctx.cwd + "\n")
    return 0


@command("mkdir")
def _mkdir(ctx: Ctx) -> int:
    flags, values, names = split_flags(ctx.args, "m")
    mode = int(values["m"], 8) if re.fullmatch(r"[0-7]{3,4}", values.get("m", "")) else 0o755
    if not names:
        return ctx.error("missing operand\nTry 'mkdir --help' for more information.")
    status = 0
    for name in names:
        path = ctx.path(name)
        chain = [path]
        if "p" in flags:
            chain = [p for p in [*_ancestors(path), path] if not ctx.fs.is_dir(p)]
        for target in chain:
            problem = ("File exists" if ctx.fs.exists(target) else write_problem(ctx.os, ctx.user, target))
            if problem:
                status = ctx.error(f"cannot create directory ‘{name}’: {problem}")
                break
            ctx.fs.mkdir(target, mode=mode)
            ctx.os.note_created(target, ctx.user)
    return status


def _ancestors(path: str) -> list[str]:
    """/a/b/c -> ["/a", "/a/b"]."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


@command("rmdir")
def _rmdir(ctx: Ctx) -> int:
    _flags, _values, names = split_flags(ctx.args)
    status = 0
    for name in names:
        path = ctx.path(name)
        problem = ("No such file or directory" if not ctx.fs.exists(path) else
                   "Not a directory" if not ctx.fs.is_dir(path) else
                   "Directory not empty" if ctx.fs.listdir(path) else
                   "" if ctx.os.may_remove(path, ctx.user) else "Permission denied")
        if problem:
            status = ctx.error(f"failed to remove '{name}': {problem}")
        else:
            ctx.fs.remove(path, recursive=True)
            ctx.os.forget(path)
    return status


@command("touch")
def _touch(ctx: Ctx) -> int:
    _flags, _values, names = split_flags(ctx.args)
    status = 0
    for name in names:
        path = ctx.path(name)
        if ctx.fs.exists(path):
            if not ctx.os.allowed(path, ctx.user, "w") and ctx.os.owner_of(path) != ctx.user:
                status = ctx.error(f"cannot touch '{name}': Permission denied")
            continue
        problem = write_problem(ctx.os, ctx.user, path)
        if problem:
            status = ctx.error(f"cannot touch '{name}': {problem}")
            continue
        ctx.fs.write_bytes(path, b"")
        ctx.os.note_created(path, ctx.user)
    return status


@command("rm")
def _rm(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    recursive = bool(flags & {"r", "R", "--recursive"})
    force = bool(flags & {"f", "--force"})
    if not names and not force:
        return ctx.error("missing operand\nTry 'rm --help' for more information.")
    status = 0
    for name in names:
        path = ctx.path(name)
        if posixpath.basename(name.rstrip("/")) in (".", ".."):
            status = ctx.error(f"refusing to remove '.' or '..' directory: skipping '{name}'")
        elif path == "/":
            status = _rm_root(ctx, recursive, "--no-preserve-root" in flags)
        elif not ctx.fs.exists(path):
            if not force:
                status = ctx.error(f"cannot remove '{name}': No such file or directory")
        elif ctx.fs.is_dir(path) and not recursive:
            status = ctx.error(f"cannot remove '{name}': Is a directory")
        elif not ctx.os.may_remove(path, ctx.user) or (
                ctx.fs.is_dir(path) and ctx.fs.listdir(path) and not ctx.os.allowed(path, ctx.user, "w")):
            status = ctx.error(f"cannot remove '{name}': Permission denied")
        else:
            ctx.fs.remove(path, recursive=True)
            ctx.os.forget(path)
    return status


def _rm_root(ctx: Ctx, recursive: bool, no_preserve: bool) -> int:
    if not recursive:
        return ctx.error("cannot remove '/': Is a directory")
    if not no_preserve:
        return ctx.error("it is dangerous to operate recursively on '/'\n"
                         "rm: use --no-preserve-root to override this failsafe")
    if not ctx.root:
        for child in ctx.fs.listdir("/"):
            ctx.error(f"cannot remove '/{child}': Permission denied")
        return 1
    ctx.fs.clear()  # only the instance's disk: the host is never reachable from here
    ctx.os.owners.clear()
    return 0


@command("cp")
def _cp(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    if len(names) < 2:
        return _missing_operand(ctx, names)
    *sources, dest = names
    dest_path = ctx.path(dest)
    into = ctx.fs.is_dir(dest_path)
    if len(sources) > 1 and not into:
        return ctx.error(f"target '{dest}': Not a directory")
    recursive = bool(flags & {"r", "R", "a", "--recursive", "--archive"})
    status = 0
    for name in sources:
        src = ctx.path(name)
        target = posixpath.join(dest_path, posixpath.basename(src)) if into else dest_path
        status |= _copy(ctx, name, src, target, recursive)
    return status


def _missing_operand(ctx: Ctx, names: list[str]) -> int:
    if names:
        return ctx.error(f"missing destination file operand after '{names[0]}'")
    return ctx.error("missing file operand")


def _copy(ctx: Ctx, name: str, src: str, dst: str, recursive: bool) -> int:
    fs, os = ctx.fs, ctx.os
    if not fs.exists(src):
        return ctx.error(f"cannot stat '{name}': No such file or directory")
    if not os.allowed(src, ctx.user, "r"):
        return ctx.error(f"cannot open '{name}' for reading: Permission denied")
    if dst.count("/") > MAX_DEPTH:
        return ctx.error(f"cannot create '{dst[:60]}...': File name too long")
    if not fs.is_dir(src):
        problem = write_problem(os, ctx.user, dst)
        if problem:
            return ctx.error(f"cannot create regular file '{dst}': {problem}")
        data = fs.read_bytes(src)
        ctx.budget.charge(len(data))
        created = not fs.exists(dst)
        fs.write_bytes(dst, data)
        if created:
            fs.chmod(dst, fs.mode(src))
            os.note_created(dst, ctx.user)
        return 0
    if not recursive:
        return ctx.error(f"-r not specified; omitting directory '{name}'")
    if dst == src or dst.startswith(src.rstrip("/") + "/"):
        return ctx.error(f"cannot copy a directory, '{name}', into itself, '{dst}'")
    if not fs.exists(dst):
        problem = write_problem(os, ctx.user, dst)
        if problem:
            return ctx.error(f"cannot create directory '{dst}': {problem}")
        fs.mkdir(dst, mode=fs.mode(src))
        os.note_created(dst, ctx.user)
    elif not fs.is_dir(dst):
        return ctx.error(f"cannot overwrite non-directory '{dst}' with directory '{name}'")
    status = 0
    for child in fs.listdir(src):
        shown = f"{name.rstrip('/')}/{child}"
        status |= _copy(ctx, shown, posixpath.join(src, child), posixpath.join(dst, child), True)
    return status


@command("mv")
def _mv(ctx: Ctx) -> int:
    _flags, _values, names = split_flags(ctx.args)
    if len(names) < 2:
        return _missing_operand(ctx, names)
    *sources, dest = names
    dest_path = ctx.path(dest)
    into = ctx.fs.is_dir(dest_path)
    if len(sources) > 1 and not into:
        return ctx.error(f"target '{dest}': Not a directory")
    status = 0
    for name in sources:
        src = ctx.path(name)
        target = posixpath.join(dest_path, posixpath.basename(src)) if into else dest_path
        status |= _move(ctx, name, src, target)
    return status


def _move(ctx: Ctx, name: str, src: str, dst: str) -> int:
    fs, os = ctx.fs, ctx.os
    if not fs.exists(src):
        return ctx.error(f"cannot stat '{name}': No such file or directory")
    if dst == src:
        return ctx.error(f"'{name}' and '{dst}' are the same file")
    if dst.startswith(src.rstrip("/") + "/"):
        return ctx.error(f"cannot move '{name}' to a subdirectory of itself, '{dst}'")
    if dst.count("/") + _depth(fs, src) > MAX_DEPTH:
        return ctx.error(f"cannot move '{name}': File name too long")
    problem = "" if os.may_remove(src, ctx.user) else "Permission denied"
    if fs.is_dir(dst):
        problem = problem or ("Directory not empty" if fs.listdir(dst) else
                              "" if fs.is_dir(src) else "Is a directory")
    problem = problem or ("" if fs.exists(dst) and os.allowed(posixpath.dirname(dst), ctx.user, "w")
                          else write_problem(os, ctx.user, dst))
    if problem:
        return ctx.error(f"cannot move '{name}' to '{dst}': {problem}")
    if fs.exists(dst):
        fs.remove(dst, recursive=True)
    _clone(fs, src, dst, ctx.budget)
    fs.remove(src, recursive=True)
    os.move_owners(src, dst)
    return 0


def _depth(fs: VirtualFS, path: str) -> int:
    if not fs.is_dir(path):
        return 0
    return 1 + max((_depth(fs, posixpath.join(path, c)) for c in fs.listdir(path)), default=0)


def _clone(fs: VirtualFS, src: str, dst: str, budget: Budget) -> None:
    if fs.is_dir(src):
        fs.mkdir(dst, mode=fs.mode(src))
        for child in fs.listdir(src):
            _clone(fs, posixpath.join(src, child), posixpath.join(dst, child), budget)
        return
    data = fs.read_bytes(src)
    budget.charge(len(data))
    fs.write_bytes(dst, data)
    fs.chmod(dst, fs.mode(src))


def _chmod_mode(spec: str, old: int, is_dir: bool) -> int | None:
    if re.fullmatch(r"[0-7]{1,4}", spec):
        return int(spec, 8)
    mode = old
    for clause in spec.split(","):
        match = re.fullmatch(r"([ugoa]*)([-+=])([rwxXst]*)", clause)
        if match is None:
            return None
        who, op, perms = match.groups()
        mask = 0
        for w in who or "a":
            mask |= {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}[w]
        bits = 0
        for p in perms:
            execute = is_dir or old & 0o111
            bits |= {"r": 0o444, "w": 0o222, "x": 0o111, "X": 0o111 if execute else 0, "s": 0o6000,
                     "t": 0o1000}[p]
        chosen = bits & mask
        mode = mode | chosen if op == "+" else mode & ~chosen if op == "-" else (mode & ~mask) | chosen
    return mode


@command("chmod")
def _chmod(ctx: Ctx) -> int:
    recursive = any(a in ("-R", "--recursive") for a in ctx.args)
    rest = [a for a in ctx.args if a not in ("-R", "--recursive", "-v", "-f", "-c")]
    if len(rest) < 2:
        return ctx.error(f"missing operand after ‘{rest[0]}’" if rest else "missing operand")
    spec, names = rest[0], rest[1:]
    status = 0
    for name in names:
        path = ctx.path(name)
        if not ctx.fs.exists(path):
            status = ctx.error(f"cannot access '{name}': No such file or directory")
            continue
        targets = [path] + (_walk(ctx.fs, path) if recursive else [])
        for target in targets:
            if not ctx.root and ctx.os.owner_of(target) != ctx.user:
                status = ctx.error(f"changing permissions of '{target}': Operation not permitted")
                continue
            mode = _chmod_mode(spec, ctx.fs.mode(target), ctx.fs.is_dir(target))
            if mode is None:
                return ctx.error(f"invalid mode: ‘{spec}’")
            ctx.fs.chmod(target, mode)
    return status


def _walk(fs: VirtualFS, path: str) -> list[str]:
    """Everything below directory `path` (not `path` itself)."""
    found: list[str] = []
    pending = [path]
    while pending:
        current = pending.pop()
        if fs.is_dir(current):
            for child in fs.listdir(current):
                child_path = posixpath.join(current, child)
                found.append(child_path)
                pending.append(child_path)
    return found


@command("chown", "chgrp")
def _chown(ctx: Ctx) -> int:
    recursive = any(a in ("-R", "--recursive") for a in ctx.args)
    rest = [a for a in ctx.args if not a.startswith("-")]
    if len(rest) < 2:
        return ctx.error(f"missing operand after ‘{rest[0]}’" if rest else "missing operand")
    spec, names = rest[0], rest[1:]
    owner = "" if ctx.name == "chgrp" else re.split(r"[:.]", spec, maxsplit=1)[0]
    if owner and owner not in ctx.os.passwd():
        return ctx.error(f"invalid user: ‘{spec}’")
    status = 0
    for name in names:
        path = ctx.path(name)
        if not ctx.fs.exists(path):
            status = ctx.error(f"cannot access '{name}': No such file or directory")
        elif not ctx.root:
            status = ctx.error(f"changing {'group' if ctx.name == 'chgrp' else 'ownership'} of '{name}': "
                               "Operation not permitted")
        elif owner:
            ctx.os.chown(path, owner, recursive)
    return status


def _mode_string(is_dir: bool, mode: int) -> str:
    chars = ["d" if is_dir else "-"]
    for shift, special, letter in ((6, 0o4000, "s"), (3, 0o2000, "s"), (0, 0o1000, "t")):
        bits = mode >> shift & 7
        chars += ["r" if bits & 4 else "-", "w" if bits & 2 else "-"]
        execute = "x" if bits & 1 else "-"
        if mode & special:
            execute = letter if bits & 1 else letter.upper()
        chars.append(execute)
    return "".join(chars)


@command("ls")
def _ls(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    fs, os = ctx.fs, ctx.os
    status = 0
    files: list[tuple[str, str]] = []
    dirs: list[tuple[str, str]] = []
    for name in names or ["."]:
        path = ctx.path(name)
        if not os.allowed(posixpath.dirname(path), ctx.user, "x"):
            status = ctx.error(f"cannot access '{name}': Permission denied", 2)
        elif not fs.exists(path):
            status = ctx.error(f"cannot access '{name}': No such file or directory", 2)
        elif fs.is_dir(path) and "d" not in flags:
            dirs.append((name, path))
        else:
            files.append((name, path))
    blocks = [_ls_block(ctx, files, flags, total=False)] if files else []
    for name, path in dirs:
        if not os.allowed(path, ctx.user, "r"):
            status = ctx.error(f"cannot open directory '{name}': Permission denied", 2)
            continue
        entries = [(e, posixpath.join(path, e)) for e in fs.listdir(path)
                   if not e.startswith(".") or flags & {"a", "A"}]
        if "a" in flags:
            entries = [(".", path), ("..", posixpath.dirname(path)), *entries]
        header = f"{name}:\n" if len(files) + len(dirs) > 1 else ""
        blocks.append(header + _ls_block(ctx, entries, flags, total=True))
    ctx.out.write("\n".join(blocks))
    return status


def _ls_block(ctx: Ctx, entries: list[tuple[str, str]], flags: set[str], total: bool) -> str:
    fs = ctx.fs
    if "l" not in flags:
        if not entries:
            return ""
        separator = "\n" if "1" in flags or not ctx.out.is_terminal else "  "
        return separator.join(name for name, _path in entries) + "\n"
    rows: list[tuple[str, ...]] = []
    blocks = 0
    dot = "." if ctx.os.spec.selinux else ""
    for name, path in entries:
        is_dir = fs.is_dir(path)
        size = 4096 if is_dir else len(fs.read_bytes(path))
        blocks += math.ceil(size / 4096) * 4
        owner = ctx.os.owner_of(path)
        mode = _mode_string(is_dir, fs.mode(path)) + dot
        rows.append((mode, "2" if is_dir else "1", owner, owner, str(size), ctx.now_stamp(), name))
    if not rows:
        return "total 0\n" if total else ""
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = [" ".join([row[0], row[1].rjust(widths[1]), row[2].ljust(widths[2]), row[3].ljust(widths[3]),
                       row[4].rjust(widths[4]), row[5], row[6]]) for row in rows]
    return (f"total {blocks}\n" if total else "") + _join_lines(lines)


# == text and identity =================================================================================


@command("hostname")
def _hostname(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    os = ctx.os
    ip = os.metadata.get("local-ipv4", "")
    if names:
        return ctx.error("you must be root to change the host name" if not ctx.root
                         else "lblab: changing the hostname is not emulated (use hostnamectl set-hostname)")
    if flags & {"I", "--all-ip-addresses"}:
        ctx.out.write(f"{ip} \n")
    elif flags & {"i", "--ip-address"}:
        ctx.out.write(f"{ip}\n")
    elif flags & {"f", "A", "--fqdn", "--long", "--all-fqdns"}:
        ctx.out.write(os.hostname + "\n")
    elif flags & {"s", "--short"}:
        ctx.out.write(os.short_hostname + "\n")
    elif flags & {"d", "--domain"}:
        ctx.out.write(os.hostname.partition(".")[2] + "\n")
    else:
        ctx.out.write((os.hostname if os.spec.full_hostname else os.short_hostname) + "\n")
    return 0


@command("hostnamectl")
def _hostnamectl(ctx: Ctx) -> int:
    args = [a for a in ctx.args if not a.startswith("-")]
    if args[:1] == ["set-hostname"] and len(args) == 2:
        if not ctx.root:
            return ctx.error("Could not set static hostname: Access denied")
        ctx.os.hostname = args[1]
        ctx.fs.write_text("/etc/hostname", args[1] + "\n")
        return 0
    if args and args[0] != "status":
        return ctx.error(f"lblab: 'hostnamectl {args[0]}' is not emulated")
    pretty = re.search(r'PRETTY_NAME="([^"]*)"', ctx.os.spec.os_release)
    ctx.out.write(f" Static hostname: {ctx.os.hostname}\n       Icon name: computer-vm\n"
                  f"         Chassis: vm\n  Virtualization: amazon\n"
                  f"Operating System: {pretty.group(1) if pretty else ''}\n"
                  f"          Kernel: Linux {ctx.os.spec.kernel}\n    Architecture: x86-64\n"
                  "Hardware Vendor: Amazon EC2\n")
    return 0


@command("whoami")
def _whoami(ctx: Ctx) -> int:
    ctx.out.write(ctx.user + "\n")
    return 0


@command("id")
def _id(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    user = names[0] if names else ctx.user
    entry = ctx.os.passwd().get(user)
    if entry is None:
        return ctx.error(f"‘{user}’: no such user")
    uid, gid = entry[2], entry[3]
    if flags & {"u", "g"}:
        number = uid if "u" in flags else gid
        ctx.out.write((user if "n" in flags else number) + "\n")
        return 0
    groups = ctx.os.spec.groups if user == ctx.os.login_user else f"{gid}({user})"
    selinux = ctx.os.spec.selinux and not names
    context = " context=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023" if selinux else ""
    ctx.out.write(f"uid={uid}({user}) gid={gid}({user}) groups={groups}{context}\n")
    return 0


@command("groups")
def _groups(ctx: Ctx) -> int:
    user = ctx.args[0] if ctx.args else ctx.user
    if user not in ctx.os.passwd():
        return ctx.error(f"‘{user}’: no such user")
    names = re.findall(r"\(([^)]*)\)", ctx.os.spec.groups) if user == ctx.os.login_user else [user]
    ctx.out.write(("" if not ctx.args else f"{user} : ") + " ".join(names) + "\n")
    return 0


@command("sleep")
def _sleep(ctx: Ctx) -> int:
    # Nothing waits: the emulator's clock does not need to pass for scripts to make progress.
    if not ctx.args:
        return ctx.error("missing operand\nTry 'sleep --help' for more information.")
    for arg in ctx.args:
        if not re.fullmatch(r"[0-9]*\.?[0-9]+[smhd]?|infinity", arg):
            return ctx.error(f"invalid time interval ‘{arg}’")
    return 0


@command("printenv")
def _printenv(ctx: Ctx) -> int:
    if not ctx.args:
        ctx.out.write("".join(f"{k}={v}\n" for k, v in sorted(ctx.env.items())))
        return 0
    found = [ctx.env[name] for name in ctx.args if name in ctx.env]
    ctx.out.write(_join_lines(found))
    return 0 if len(found) == len(ctx.args) else 1


@command("uname")
def _uname(ctx: Ctx) -> int:
    flags, _values, _names = split_flags(ctx.args)
    spec = ctx.os.spec
    node = ctx.os.hostname if spec.full_hostname else ctx.os.short_hostname
    fields = {"s": "Linux", "n": node, "r": spec.kernel, "v": spec.kernel_build, "m": "x86_64", "p": "x86_64",
              "i": "x86_64", "o": "GNU/Linux"}
    wanted = "snrvmpio" if flags & {"a", "--all"} else "".join(f for f in "snrvmpio" if f in flags) or "s"
    ctx.out.write(" ".join(fields[f] for f in wanted) + "\n")
    return 0


@command("date")
def _date(ctx: Ctx) -> int:
    now = ctx.os.now()
    formats = [a[1:] for a in ctx.args if a.startswith("+")]
    if formats:
        fmt = formats[0].replace("%e", f"{now.day:2d}").replace("%N", f"{now.microsecond * 1000:09d}")
        try:
            text = now.strftime(fmt)
        except ValueError:
            text = fmt
    elif any(a in ("-R", "--rfc-email") for a in ctx.args):
        text = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
    elif any(a.startswith(("-I", "--iso-8601")) for a in ctx.args):
        text = now.strftime("%Y-%m-%d")
    else:
        text = f"{now:%a %b} {now.day:2d} {now:%H:%M:%S} UTC {now:%Y}"
    ctx.out.write(text + "\n")
    return 0


def _count_option(ctx: Ctx, default: int = 10) -> tuple[int, bool, bool, list[str]]:
    """head/tail: (count, count from the start (tail -n +N), follow, files)."""
    count, from_start, follow = default, False, False
    files: list[str] = []
    args = list(ctx.args)
    while args:
        arg = args.pop(0)
        value = None
        if arg in ("-n", "--lines") and args:
            value = args.pop(0)
        elif arg.startswith("--lines="):
            value = arg.partition("=")[2]
        elif re.fullmatch(r"-n[+-]?[0-9]+", arg):
            value = arg[2:]
        elif re.fullmatch(r"-[0-9]+", arg):
            value = arg[1:]
        elif arg in ("-f", "-F", "--follow"):
            follow = True
        elif not arg.startswith("-") or arg == "-":
            files.append(arg)
        if value is not None:
            if not re.fullmatch(r"[+-]?[0-9]+", value):
                raise ValueError(value)
            from_start = value.startswith("+")
            count = int(value)
    return count, from_start, follow, files


def _head_tail(ctx: Ctx, pick: Callable[[list[str], int, bool], list[str]]) -> int:
    try:
        count, from_start, follow, files = _count_option(ctx)
    except ValueError as bad:
        return ctx.error(f"invalid number of lines: ‘{bad}’")
    status = 0
    for i, name in enumerate(files or ["-"]):
        text = ctx.read(name)
        if text is None:
            status = 1
            continue
        if len(files) > 1:
            ctx.out.write(("\n" if i else "") + f"==> {name} <==\n")
        ctx.out.write(_join_lines(pick(_text_lines(text), count, from_start)))
    if follow:
        ctx.err.write(f"lblab: {ctx.name} -f shows the file once; following it is not emulated\n")
    return status


@command("head")
def _head(ctx: Ctx) -> int:
    return _head_tail(ctx, lambda lines, n, _start: lines[:n])


@command("tail")
def _tail(ctx: Ctx) -> int:
    def pick(lines: list[str], count: int, from_start: bool) -> list[str]:
        if from_start:
            return lines[max(count - 1, 0) :]
        return lines[-abs(count) :] if count else []

    return _head_tail(ctx, pick)


@command("wc")
def _wc(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args)
    wanted = [f for f in "lwcm" if f in flags] or ["l", "w", "c"]
    status = 0
    rows: list[tuple[list[int], str]] = []
    for name in files or ["-"]:
        text = ctx.read(name)
        if text is None:
            status = 1
            continue
        counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode("utf-8")),
                  "m": len(text)}
        rows.append(([counts[f] for f in wanted], "" if name == "-" else name))
    if len(rows) > 1:
        rows.append(([sum(col) for col in zip(*(r[0] for r in rows), strict=True)], "total"))
    width = max((len(str(n)) for r in rows for n in r[0]), default=1)
    if len(wanted) == 1 and len(rows) == 1:
        width = 1
    if not files and len(wanted) > 1:
        width = 7
    for numbers, name in rows:
        ctx.out.write(" ".join(str(n).rjust(width) for n in numbers) + (f" {name}" if name else "") + "\n")
    return status


@command("sort")
def _sort(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args, "tk")
    lines: list[str] = []
    for name in files or ["-"]:
        text = ctx.read(name)
        if text is None:
            return 2
        lines += _text_lines(text)
    if "n" in flags:
        lines.sort(key=lambda line: _number(line.split()[0] if line.split() else "", float))
    else:
        lines.sort()
    if "r" in flags:
        lines.reverse()
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    ctx.out.write(_join_lines(lines))
    return 0


@command("uniq")
def _uniq(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args)
    text = ctx.read(files[0] if files else "-")
    if text is None:
        return 1
    groups: list[list[str]] = []
    for line in _text_lines(text):
        if groups and groups[-1][0] == line:
            groups[-1].append(line)
        else:
            groups.append([line])
    ctx.out.write(_join_lines(f"{len(g):7d} {g[0]}" if "c" in flags else g[0] for g in groups
                              if not ("d" in flags and len(g) < 2)))
    return 0


_FIELD_CAP = 1 << 62  # past any line's length: a larger field number selects the same nothing


@command("cut")
def _cut(ctx: Ctx) -> int:
    _flags, values, files = split_flags(ctx.args, "dfc")
    spec = values.get("f") or values.get("c")
    if not spec:
        return ctx.error("you must specify a list of bytes, characters, or fields")
    # Ranges, not a set of positions: `cut -f 1-99999999999` must not build a set that large.
    wanted: list[tuple[int, int]] = []
    for piece in spec.split(","):
        lo, dash, hi = piece.partition("-")
        if not re.fullmatch(r"[0-9]*", lo + hi) or (not lo and not hi):
            return ctx.error(f"invalid field value ‘{piece}’")
        first = bounded(lo or "1", _FIELD_CAP)
        wanted.append((first, _FIELD_CAP if dash and not hi else bounded(hi or lo, _FIELD_CAP)))
    delimiter = values.get("d", "\t")[:1] or "\t"
    status = 0
    for name in files or ["-"]:
        text = ctx.read(name)
        if text is None:
            status = 1
            continue
        for line in _text_lines(text):
            items = list(line) if "c" in values else line.split(delimiter)
            if "f" in values and delimiter not in line:
                ctx.out.write(line + "\n")
                continue
            chosen = [x for i, x in enumerate(items, 1) if any(lo <= i <= hi for lo, hi in wanted)]
            ctx.out.write(("" if "c" in values else delimiter).join(chosen) + "\n")
    return status


def _tr_set(spec: str) -> str:
    classes = {"[:upper:]": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "[:lower:]": "abcdefghijklmnopqrstuvwxyz",
               "[:digit:]": "0123456789", "[:space:]": " \t\n\r\f\v", "[:blank:]": " \t"}
    for name, chars in classes.items():
        spec = spec.replace(name, chars)
    spec = _backslash_escapes(spec)[0]
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-" and spec[i] <= spec[i + 2]:
            out += [chr(c) for c in range(ord(spec[i]), min(ord(spec[i + 2]), ord(spec[i]) + 4096) + 1)]
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


@command("tr")
def _tr(ctx: Ctx) -> int:
    flags, _values, sets = split_flags(ctx.args)
    text = ctx.stdin.read_all()
    if "d" in flags and sets:
        ctx.out.write(text.translate({ord(c): None for c in _tr_set(sets[0])}))
        return 0
    if len(sets) < 2:
        return ctx.error("missing operand\nTry 'tr --help' for more information.")
    source, target = _tr_set(sets[0]), _tr_set(sets[1])
    target = (target + target[-1:] * len(source))[: len(source)]
    ctx.out.write(text.translate({ord(a): b for a, b in zip(source, target, strict=True)}))
    return 0


@command("basename")
def _basename(ctx: Ctx) -> int:
    if not ctx.args:
        return ctx.error("missing operand")
    name = posixpath.basename(ctx.args[0].rstrip("/")) or "/"
    if len(ctx.args) > 1 and name.endswith(ctx.args[1]) and name != ctx.args[1]:
        name = name[: -len(ctx.args[1])]
    ctx.out.write(name + "\n")
    return 0


@command("dirname")
def _dirname(ctx: Ctx) -> int:
    if not ctx.args:
        return ctx.error("missing operand")
    ctx.out.write((posixpath.dirname(ctx.args[0].rstrip("/")) or ".") + "\n")
    return 0


@command("seq")
def _seq(ctx: Ctx) -> int:
    parsed = [legal_number(a) for a in ctx.args]  # bash's decimal rules: no `1_0`, no 5000-digit int()
    numbers = [n for n in parsed if n is not None]
    if len(numbers) != len(parsed):
        return ctx.error(f"invalid argument: ‘{' '.join(ctx.args)}’")
    if not numbers:
        return ctx.error("missing operand")
    first, step, last = {1: (1, 1, numbers[0]), 2: (numbers[0], 1, numbers[-1]),
                         3: tuple(numbers)}.get(len(numbers), (0, 0, 0))
    if not step:
        return ctx.error("invalid Zero increment value: ‘0’")
    values = range(first, last + (1 if step > 0 else -1), step)
    ctx.out.write(_join_lines(str(v) for v in values[: MAX_BUFFER // 8]))
    return 0


_TEST_BINARY = {"=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "<", ">"}
_TEST_UNARY = {"-e", "-f", "-d", "-s", "-r", "-w", "-x", "-z", "-n", "-L", "-h", "-a"}


class _TestError(Exception):
    pass


@command("test", "[", "[[")
def _test(ctx: Ctx) -> int:
    args = ctx.args
    closer = {"[": "]", "[[": "]]"}.get(ctx.name)
    if closer:
        if not args or args[-1] != closer:
            return ctx.error(f"missing `{closer}'", 2)
        args = args[:-1]
    try:
        value, rest = _test_or(ctx, args) if args else (False, [])
        if rest:
            raise _TestError(f"{rest[0]}: unexpected operator" if len(rest) == 1 else "too many arguments")
    except _TestError as error:
        return ctx.error(str(error), 2)
    return 0 if value else 1


def _test_or(ctx: Ctx, args: list[str]) -> tuple[bool, list[str]]:
    value, rest = _test_and(ctx, args)
    while rest[:1] in (["-o"], ["||"]):
        right, rest = _test_and(ctx, rest[1:])
        value = value or right
    return value, rest


def _test_and(ctx: Ctx, args: list[str]) -> tuple[bool, list[str]]:
    value, rest = _test_not(ctx, args)
    while rest[:1] in (["-a"], ["&&"]):
        right, rest = _test_not(ctx, rest[1:])
        value = value and right
    return value, rest


def _test_not(ctx: Ctx, args: list[str]) -> tuple[bool, list[str]]:
    if args and args[0] == "!" and len(args) > 1:
        value, rest = _test_not(ctx, args[1:])
        return not value, rest
    return _test_primary(ctx, args)


def _test_primary(ctx: Ctx, args: list[str]) -> tuple[bool, list[str]]:
    if not args:
        raise _TestError("argument expected")
    if args[0] == "(" and len(args) > 1:
        value, rest = _test_or(ctx, args[1:])
        if rest[:1] != [")"]:
            raise _TestError("`)' expected")
        return value, rest[1:]
    if len(args) >= 3 and args[1] in _TEST_BINARY:
        return _test_binary(args[0], args[1], args[2]), args[3:]
    if args[0] in _TEST_UNARY and len(args) >= 2:
        return _test_unary(ctx, args[0], args[1]), args[2:]
    return args[0] != "", args[1:]


def _test_binary(left: str, op: str, right: str) -> bool:
    if op in ("=", "=="):
        return left == right
    if op == "!=":
        return left != right
    if op in ("<", ">"):
        return left < right if op == "<" else left > right
    a, b = legal_number(left), legal_number(right)
    if a is None or b is None:
        raise _TestError(f"{left if a is None else right}: integer expression expected")
    return {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[op]


def _test_unary(ctx: Ctx, op: str, arg: str) -> bool:
    if op in ("-z", "-n"):
        return (arg == "") == (op == "-z")
    path = normalize(arg, ctx.cwd)
    fs, os = ctx.fs, ctx.os
    if not arg or not os.allowed(posixpath.dirname(path), ctx.user, "x"):
        return False
    checks: dict[str, Callable[[], bool]] = {
        "-e": lambda: fs.exists(path), "-a": lambda: fs.exists(path), "-f": lambda: fs.is_file(path),
        "-d": lambda: fs.is_dir(path), "-s": lambda: fs.is_file(path) and bool(fs.read_bytes(path)),
        "-r": lambda: fs.exists(path) and os.allowed(path, ctx.user, "r"),
        "-w": lambda: fs.exists(path) and os.allowed(path, ctx.user, "w"),
        "-x": lambda: fs.exists(path) and bool(fs.mode(path) & 0o111) and os.allowed(path, ctx.user, "x"),
        "-L": lambda: False, "-h": lambda: False,  # the VFS has no symbolic links
    }
    return checks[op]()


# == regular expressions (grep, sed) =====================================================================

_CLASSES: dict[str, Callable[[str], bool]] = {
    "alpha": str.isalpha, "digit": str.isdigit, "alnum": str.isalnum, "upper": str.isupper,
    "lower": str.islower, "space": str.isspace, "blank": lambda c: c in " \t",
    "punct": lambda c: c.isprintable() and not c.isalnum() and not c.isspace(),
    "xdigit": lambda c: c in "0123456789abcdefABCDEF", "print": str.isprintable,
    "cntrl": lambda c: ord(c) < 32 or ord(c) == 127, "graph": lambda c: c.isprintable() and not c.isspace(),
}
_ASSERTIONS = frozenset({"bol", "eol", "wordb", "nwordb", "wstart", "wend"})
_MAX_PROGRAM = 5000


class RegexError(Exception):
    pass


def _is_word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


class Regex:
    """POSIX basic or extended regular expressions, run on a Pike VM.

    Python's `re` backtracks, so a pattern like (a*)*b could freeze the app; a Pike VM
    takes time proportional to pattern size times input size, whatever the pattern.
    Back-references are not supported (they cannot be matched in linear time).
    """

    def __init__(self, pattern: str, extended: bool = False, icase: bool = False,
                 deadline: float | None = None) -> None:
        self.icase = icase
        self.deadline = deadline  # the run's Budget deadline: a long search stops with the run
        self.groups = 0
        self.work = 0
        self._src = pattern
        self._pos = 0
        self._ext = extended
        self._depth = 0
        tree = self._alternation()
        if self._pos < len(pattern):
            raise RegexError("Unmatched ) or \\)")
        program: list[tuple] = [("save", 0)]
        self._emit(tree, program)
        program += [("save", 1), ("match",)]
        self.program = program
        self.anchored = tree[0] == "cat" and bool(tree[1]) and tree[1][0] == ("bol",)
        branches = tree[1] if tree[0] == "alt" else [tree]
        plain = all(b[0] == "cat" and b[1] and all(n[0] == "lit" for n in b[1]) for b in branches)
        # Plain strings (grep error, grep -E 'error|warn') are searched with str.find, much faster.
        self.literals = ["".join(n[1] for n in b[1]) for b in branches] if plain else None

    # -- parsing ---------------------------------------------------------------------------------------
    def _peek(self, text: str) -> bool:
        return self._src.startswith(text, self._pos)

    def _at_alternation(self) -> bool:
        return self._peek("|") if self._ext else self._peek("\\|")

    def _at_close(self) -> bool:
        return self._depth > 0 and (self._peek(")") if self._ext else self._peek("\\)"))

    def _alternation(self) -> tuple:
        branches = [self._sequence()]
        while self._at_alternation():
            self._pos += 1 if self._ext else 2
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def _sequence(self) -> tuple:
        items: list[tuple] = []
        while self._pos < len(self._src) and not self._at_alternation() and not self._at_close():
            items.append(self._quantified(self._atom(start=not items)))
        return ("cat", items)

    def _atom(self, start: bool) -> tuple:
        src, pos = self._src, self._pos
        c = src[pos]
        self._pos += 1
        if c == "^" and (self._ext or start):
            return ("bol",)
        if c == "$" and (self._ext or self._pos == len(src) or self._at_close() or self._at_alternation()):
            return ("eol",)
        if c == ".":
            return ("any",)
        if c == "[":
            self._pos = pos
            return self._bracket()
        if self._ext and c == "(":
            return self._group(")")
        if c == "\\":
            return self._escape()
        return ("lit", c)

    def _group(self, closer: str) -> tuple:
        self._depth += 1
        self.groups += 1
        index = self.groups
        inner = self._alternation()
        if not self._peek(closer):
            raise RegexError("Unmatched ( or \\(")
        self._pos += len(closer)
        self._depth -= 1
        return ("group", index, inner)

    def _escape(self) -> tuple:
        if self._pos >= len(self._src):
            raise RegexError("Trailing backslash")
        c = self._src[self._pos]
        self._pos += 1
        if not self._ext and c == "(":
            return self._group("\\)")
        if c.isdigit() and c != "0":
            raise RegexError("back-references (\\1) are not emulated")
        space = " \t\n\r\f\v"
        classes = {"w": (False, "_", ("alnum",)), "W": (True, "_", ("alnum",)), "s": (False, space, ()),
                   "S": (True, space, ())}
        if c in classes:
            negate, chars, names = classes[c]
            return ("set", negate, frozenset(chars), (), names)
        anchors = {"b": "wordb", "B": "nwordb", "<": "wstart", ">": "wend", "`": "bol", "'": "eol"}
        if c in anchors:
            return (anchors[c],)
        return ("lit", {"n": "\n", "t": "\t"}.get(c, c))

    def _bracket(self) -> tuple:
        src = self._src
        pos = self._pos + 1
        negate = src.startswith("^", pos)
        pos += negate
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        names: list[str] = []
        first = True
        while True:
            if pos >= len(src):
                raise RegexError("Unmatched [, [^, [:, [., or [=")
            c = src[pos]
            if c == "]" and not first:
                pos += 1
                break
            first = False
            if src.startswith("[:", pos):
                end = src.find(":]", pos + 2)
                if end < 0 or src[pos + 2 : end] not in _CLASSES:
                    raise RegexError("Invalid character class name")
                names.append(src[pos + 2 : end])
                pos = end + 2
            elif pos + 2 < len(src) and src[pos + 1] == "-" and src[pos + 2] != "]":
                if c > src[pos + 2]:
                    raise RegexError("Invalid range end")
                ranges.append((c, src[pos + 2]))
                pos += 3
            else:
                chars.add(c)
                pos += 1
        self._pos = pos
        return ("set", negate, frozenset(chars), tuple(ranges), tuple(names))

    def _quantified(self, atom: tuple) -> tuple:
        src = self._src
        while self._pos < len(src):
            if src[self._pos] == "*":
                self._pos += 1
                atom = ("rep", atom, 0, None)
            elif (self._ext and src[self._pos] in "+?") or (
                    not self._ext and (self._peek("\\+") or self._peek("\\?"))):
                op = src[self._pos + (0 if self._ext else 1)]
                self._pos += 1 if self._ext else 2
                atom = ("rep", atom, 1, None) if op == "+" else ("rep", atom, 0, 1)
            elif self._peek("{" if self._ext else "\\{"):
                bounds = re.compile(r"([0-9]*)(,?)([0-9]*)").match(src, self._pos + (1 if self._ext else 2))
                closer = "}" if self._ext else "\\}"
                valid = bounds is not None and (bounds.group(1) or bounds.group(3))
                if not valid or not src.startswith(closer, bounds.end()):  # type: ignore[union-attr]
                    if self._ext:
                        break
                    raise RegexError("Unmatched \\{")
                low = bounded(bounds.group(1) or "0", 256)
                high = low if not bounds.group(2) else bounded(bounds.group(3), 256) if bounds.group(3) else None
                if low > 255 or (high is not None and (high > 255 or high < low)):
                    raise RegexError("Invalid content of \\{\\}")
                self._pos = bounds.end() + len(closer)
                atom = ("rep", atom, low, high)
            else:
                break
        return atom

    # -- compiling ------------------------------------------------------------------------------------------
    def _emit(self, node: tuple, program: list[tuple]) -> None:
        if len(program) > _MAX_PROGRAM:
            raise RegexError("Regular expression too big")
        kind = node[0]
        if kind == "cat":
            for item in node[1]:
                self._emit(item, program)
        elif kind == "alt":
            jumps: list[int] = []
            for branch in node[1][:-1]:
                split = len(program)
                program.append(("split", 0, 0))
                self._emit(branch, program)
                jumps.append(len(program))
                program.append(("jmp", 0))
                program[split] = ("split", split + 1, len(program))
            self._emit(node[1][-1], program)
            for jump in jumps:
                program[jump] = ("jmp", len(program))
        elif kind == "group":
            program.append(("save", 2 * node[1]))
            self._emit(node[2], program)
            program.append(("save", 2 * node[1] + 1))
        elif kind == "rep":
            _kind, item, low, high = node
            for _ in range(low):
                self._emit(item, program)
            if high is None:
                loop = len(program)
                program.append(("split", 0, 0))
                self._emit(item, program)
                program.append(("jmp", loop))
                program[loop] = ("split", loop + 1, len(program))
            for _ in range(0 if high is None else high - low):
                split = len(program)
                program.append(("split", 0, 0))
                self._emit(item, program)
                program[split] = ("split", split + 1, len(program))
        else:
            program.append(node)

    # -- matching -------------------------------------------------------------------------------------------
    def search(self, text: str, start: int = 0) -> tuple[int, ...] | None:
        """Spans of the leftmost match at or after `start`: (start, end, group1 start, group1 end, ...)."""
        if self.literals is not None and (not self.icase or text.isascii()):
            return self._find_literal(text, start)
        empty = (-1,) * (2 * self.groups + 2)
        current: list[tuple[int, tuple[int, ...]]] = []
        seen: set[int] = set()
        matched: tuple[int, ...] | None = None
        for i in range(start, len(text) + 1):
            self.work += len(current) + 1
            if self.work > MAX_REGEX_WORK or (
                    not i & 1023 and self.deadline is not None and time.monotonic() > self.deadline):
                raise RegexError("lblab: the input is too large for this pattern (emulator limit)")
            if matched is None and (not self.anchored or i == 0 or text[i - 1] == "\n"):
                self._add(current, seen, 0, empty, i, text)
            if not current:
                if matched is not None or (self.anchored and "\n" not in text[i:]):
                    break
                seen = set()  # the next position starts afresh
                continue
            following: list[tuple[int, tuple[int, ...]]] = []
            following_seen: set[int] = set()
            char = text[i] if i < len(text) else ""
            for pc, caps in current:
                op = self.program[pc]
                if op[0] == "match":
                    matched = caps
                    break
                if char and self._accepts(op, char):
                    self._add(following, following_seen, pc + 1, caps, i + 1, text)
            current, seen = following, following_seen
        return matched

    def _find_literal(self, text: str, start: int) -> tuple[int, ...] | None:
        haystack = text.lower() if self.icase else text
        best: tuple[int, int] | None = None
        for literal in self.literals or []:
            found = haystack.find(literal.lower() if self.icase else literal, start)
            if found >= 0 and (best is None or found < best[0]):  # ties: the first alternative wins
                best = (found, found + len(literal))
        return best

    def _add(self, threads: list, seen: set[int], pc: int, caps: tuple[int, ...], i: int, text: str) -> None:
        stack = [(pc, caps)]
        while stack:
            pc, caps = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = self.program[pc]
            kind = op[0]
            if kind == "jmp":
                stack.append((op[1], caps))
            elif kind == "split":
                stack.append((op[2], caps))
                stack.append((op[1], caps))
            elif kind == "save":
                stack.append((pc + 1, (*caps[:op[1]], i, *caps[op[1] + 1:])))
            elif kind in _ASSERTIONS:
                if self._holds(kind, text, i):
                    stack.append((pc + 1, caps))
            else:
                threads.append((pc, caps))

    @staticmethod
    def _holds(kind: str, text: str, i: int) -> bool:
        before, after = _is_word(text, i - 1), _is_word(text, i)
        return {"bol": i == 0 or text[i - 1] == "\n", "eol": i == len(text) or text[i] == "\n",
                "wordb": before != after, "nwordb": before == after, "wstart": after and not before,
                "wend": before and not after}[kind]

    def _accepts(self, op: tuple, char: str) -> bool:
        kind = op[0]
        if kind == "any":
            return char != "\n"
        if kind == "lit":
            return char == op[1] or (self.icase and char.lower() == op[1].lower())
        _kind, negate, chars, ranges, names = op
        candidates = {char, char.lower(), char.upper()} if self.icase else {char}
        hit = any(c in chars or any(lo <= c <= hi for lo, hi in ranges) or any(_CLASSES[n](c) for n in names)
                  for c in candidates)
        return hit != negate


def _literal_pattern(text: str) -> str:
    """A fixed string (grep -F) as a basic regular expression."""
    return re.sub(r"([.\[\]*^$\\])", r"\\\1", text)


@command("grep", "egrep", "fgrep")
def _grep(ctx: Ctx) -> int:
    flags, values, operands = split_flags(ctx.args, "emABC")
    if "e" in values:
        patterns = values["e"].split("\n")
    elif operands:
        patterns = operands.pop(0).split("\n")
    else:
        return ctx.error("Usage: grep [OPTION]... PATTERNS [FILE]...\n"
                         "Try 'grep --help' for more information.", 2)
    extended = "E" in flags or ctx.name == "egrep"
    fixed = "F" in flags or ctx.name == "fgrep"
    try:
        deadline = ctx.budget.deadline
        matchers = [_grep_regex(p, extended and not fixed, fixed, flags, deadline) for p in patterns]
    except RegexError as error:
        return ctx.error(str(error), 2)
    files = operands or ["-"]
    named = ("H" in flags or len(files) > 1) and "h" not in flags
    found, failed = False, False
    for name in files:
        text = ctx.read(name) if "s" not in flags else _quiet_read(ctx, name)
        if text is None:
            failed = True
            continue
        try:
            hits = _grep_lines(text, matchers, invert="v" in flags)
        except RegexError as error:
            return ctx.error(str(error), 2)
        found = found or bool(hits)
        if "q" in flags and found:
            return 0
        label = "(standard input)" if name == "-" else name
        if "l" in flags:
            ctx.out.write(f"{label}\n" if hits else "")
        elif "c" in flags:
            ctx.out.write(f"{label}:{len(hits)}\n" if named else f"{len(hits)}\n")
        else:
            for number, line in hits:
                prefix = (f"{label}:" if named else "") + (f"{number}:" if "n" in flags else "")
                shown = _matches(line, matchers) if "o" in flags and "v" not in flags else [line]
                ctx.out.write("".join(f"{prefix}{part}\n" for part in shown))
    return 0 if found else 2 if failed else 1


def _grep_regex(pattern: str, extended: bool, fixed: bool, flags: set[str], deadline: float) -> Regex:
    if fixed:
        pattern, extended = _literal_pattern(pattern), False
    if "x" in flags:
        pattern = f"^({pattern})$" if extended else f"^\\({pattern}\\)$"
    elif "w" in flags:
        pattern = f"\\<({pattern})\\>" if extended else f"\\<\\({pattern}\\)\\>"
    return Regex(pattern, extended, icase="i" in flags, deadline=deadline)


def _quiet_read(ctx: Ctx, name: str) -> str | None:
    try:
        if name == "-":
            return ctx.stdin.read_all()
        return read_vfs_file(ctx.os, ctx.user, ctx.path(name), ctx.budget)
    except VfsError:
        return None


def _matches(line: str, matchers: list[Regex]) -> list[str]:
    """grep -o: every non-empty match of the first pattern that matches, left to right."""
    for matcher in matchers:
        found: list[str] = []
        pos = 0
        while pos <= len(line) and (spans := matcher.search(line, pos)) is not None:
            if spans[1] > spans[0]:
                found.append(line[spans[0] : spans[1]])
            pos = max(spans[1], spans[0] + 1)
        if found:
            return found
    return []


def _grep_lines(text: str, matchers: list[Regex], invert: bool) -> list[tuple[int, str]]:
    return [(number, line) for number, line in enumerate(_text_lines(text), 1)
            if any(m.search(line) is not None for m in matchers) != invert]


@dataclass
class _SedCommand:
    address: tuple[object, object | None] | None  # (first, last): line number, "$" or Regex
    negate: bool
    name: str  # s d p a i c q
    regex: Regex | None = None
    replacement: str = ""
    global_: bool = False
    occurrence: int = 1
    print_: bool = False
    text: str = ""
    active: bool = False  # inside an address range


def _sed_delimited(script: str, pos: int, delim: str) -> tuple[str, int]:
    """Text up to an unescaped `delim`; `\\delim` stands for the delimiter itself."""
    out: list[str] = []
    while pos < len(script):
        c = script[pos]
        if c == "\\" and pos + 1 < len(script):
            out.append(delim if script[pos + 1] == delim else c + script[pos + 1])
            pos += 2
        elif c == delim:
            return "".join(out), pos + 1
        else:
            out.append(c)
            pos += 1
    raise RegexError(f"-e expression #1, char {pos}: unterminated `s' command")


def _sed_address(script: str, pos: int, extended: bool, deadline: float) -> tuple[object | None, int]:
    if pos < len(script) and script[pos] in "0123456789":
        match = re.compile(r"[0-9]+").match(script, pos)
        return bounded(match.group(), _LINE_CAP), match.end()  # type: ignore[union-attr]
    if script.startswith("$", pos):
        return "$", pos + 1
    if script.startswith("/", pos):
        text, end = _sed_delimited(script, pos + 1, "/")
        return Regex(text, extended, deadline=deadline), end
    return None, pos


def _parse_sed(script: str, extended: bool, deadline: float) -> list[_SedCommand]:
    commands: list[_SedCommand] = []
    pos = 0
    while pos < len(script):
        while pos < len(script) and script[pos] in " \t\n;":
            pos += 1
        if pos >= len(script):
            break
        first, pos = _sed_address(script, pos, extended, deadline)
        last = None
        if first is not None and script.startswith(",", pos):
            last, pos = _sed_address(script, pos + 1, extended, deadline)
        negate = script.startswith("!", pos)
        pos += negate
        if pos >= len(script):
            raise RegexError("-e expression #1, char 0: missing command")
        cmd = _SedCommand((first, last) if first is not None else None, negate, script[pos])
        pos += 1
        if cmd.name == "s":
            delim = script[pos : pos + 1]
            if not delim or delim in "\\\n":
                raise RegexError("-e expression #1, char 2: unterminated `s' command")
            pattern, pos = _sed_delimited(script, pos + 1, delim)
            cmd.replacement, pos = _sed_delimited(script, pos, delim)
            flags = re.compile(r"[gpiI0-9]*").match(script, pos).group()  # type: ignore[union-attr]
            pos += len(flags)
            cmd.global_, cmd.print_ = "g" in flags, "p" in flags
            digits = "".join(c for c in flags if c in "0123456789")
            cmd.occurrence = bounded(digits, _LINE_CAP) if digits else 1
            cmd.regex = Regex(pattern, extended, icase="i" in flags or "I" in flags, deadline=deadline)
        elif cmd.name in "aic":
            end = script.find("\n", pos)
            end = len(script) if end < 0 else end
            cmd.text = script[pos:end].lstrip()
            cmd.text = cmd.text[1:].lstrip("\n") if cmd.text.startswith("\\") else cmd.text
            pos = end
        elif cmd.name not in "dpq=":
            raise RegexError(f"-e expression #1, char {pos}: unknown command: `{cmd.name}'")
        commands.append(cmd)
    return commands


def _sed_selects(cmd: _SedCommand, number: int, line: str, last_line: bool) -> bool:
    def hit(address: object) -> bool:
        if address == "$":
            return last_line
        if isinstance(address, Regex):
            return address.search(line) is not None
        return number == address

    if cmd.address is None:
        chosen = True
    else:
        first, last = cmd.address
        if last is None:
            chosen = hit(first)
        elif cmd.active:
            chosen = True
            cmd.active = not (hit(last) or (isinstance(last, int) and number >= last))
        else:
            chosen = hit(first)
            cmd.active = chosen and not (isinstance(last, int) and number >= last)
    return chosen != cmd.negate


def _sed_replace(cmd: _SedCommand, line: str) -> tuple[str, bool]:
    assert cmd.regex is not None
    out: list[str] = []
    pos = search = count = 0
    changed = False
    while search <= len(line):
        spans = cmd.regex.search(line, search)
        if spans is None:
            break
        start, end = spans[0], spans[1]
        count += 1
        if count >= cmd.occurrence:
            out += [line[pos:start], _sed_expand(cmd.replacement, line, spans)]
            pos, changed = end, True
            if not cmd.global_:
                break
        search = end + 1 if end == start else end
        if len(out) > MAX_BUFFER:
            break
    out.append(line[pos:])
    return "".join(out), changed


def _sed_expand(replacement: str, line: str, spans: tuple[int, ...]) -> str:
    out: list[str] = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "&":
            out.append(line[spans[0] : spans[1]])
        elif c == "\\" and i + 1 < len(replacement):
            i += 1
            c = replacement[i]
            if c in "0123456789" and 2 * int(c) + 1 < len(spans) and spans[2 * int(c)] >= 0:
                out.append(line[spans[2 * int(c)] : spans[2 * int(c) + 1]])
            elif c not in "0123456789":
                out.append({"n": "\n", "t": "\t"}.get(c, c))
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _sed_run(commands: list[_SedCommand], text: str, quiet: bool) -> str:
    lines = _text_lines(text)
    out: list[str] = []
    size = 0
    for number, line in enumerate(lines, 1):
        last_line = number == len(lines)
        before: list[str] = []
        after: list[str] = []
        deleted = quit_now = False
        for cmd in commands:
            if not _sed_selects(cmd, number, line, last_line):
                continue
            if cmd.name == "s":
                line, changed = _sed_replace(cmd, line)
                if changed and cmd.print_:
                    before.append(line)
            elif cmd.name == "p":
                before.append(line)
            elif cmd.name == "=":
                before.append(str(number))
            elif cmd.name in "ai":
                (after if cmd.name == "a" else before).append(cmd.text)
            elif cmd.name in "dc":
                if cmd.name == "c":
                    before.append(cmd.text)
                deleted = True
                break
            elif cmd.name == "q":
                quit_now = True
                break
        chunk = before + ([] if deleted or quiet else [line]) + after
        out += chunk
        size += sum(len(c) + 1 for c in chunk)
        if size > MAX_BUFFER:
            raise RegexError("lblab: the output grew beyond 1 MB (emulator limit)")
        if quit_now:
            break
    return _join_lines(out) if text.endswith("\n") or not out else "\n".join(out)


@command("sed")
def _sed(ctx: Ctx) -> int:
    scripts: list[str] = []
    files: list[str] = []
    quiet = extended = False
    in_place: str | None = None
    args = list(ctx.args)
    while args:
        arg = args.pop(0)
        if arg in ("-e", "--expression") and args:
            scripts.append(args.pop(0))
        elif arg.startswith("--expression="):
            scripts.append(arg.partition("=")[2])
        elif arg.startswith(("-i", "--in-place")):
            in_place = arg[2:] if arg.startswith("-i") else arg.partition("=")[2]
        elif arg in ("-n", "--quiet", "--silent"):
            quiet = True
        elif arg in ("-E", "-r", "--regexp-extended"):
            extended = True
        elif re.fullmatch(r"-[nEr]+", arg):
            quiet, extended = quiet or "n" in arg, extended or bool(set(arg) & {"E", "r"})
        elif arg.startswith("-") and arg != "-":
            return ctx.error(f"lblab: option {arg} is not emulated")
        elif not scripts and not files:
            scripts.append(arg)
        else:
            files.append(arg)
    if not scripts:
        return ctx.error("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...", 1)
    try:
        commands = _parse_sed("\n".join(scripts), extended, ctx.budget.deadline)
    except RegexError as error:
        return ctx.error(str(error))
    if in_place is not None:
        return _sed_in_place(ctx, commands, files, quiet)
    status = 0
    for name in files or ["-"]:
        text = ctx.read(name)
        if text is None:
            status = 2
            continue
        try:
            ctx.out.write(_sed_run(commands, text, quiet))
        except RegexError as error:
            return ctx.error(str(error), 4)
    return status


def _sed_in_place(ctx: Ctx, commands: list[_SedCommand], files: list[str], quiet: bool) -> int:
    if not files:
        return ctx.error("no input files", 4)
    for name in files:
        path = ctx.path(name)
        text = ctx.read(name)
        if text is None:
            return 2
        if not ctx.os.may_create(posixpath.join(posixpath.dirname(path), "sedtmp"), ctx.user):
            temporary = f"{posixpath.dirname(path)}/sedAb12Cd"
            return ctx.error(f"couldn't open temporary file {temporary}: Permission denied", 4)
        try:
            result = _sed_run(commands, text, quiet)
        except RegexError as error:
            return ctx.error(str(error), 4)
        ctx.fs.write_text(path, result)
    return 0


# == system: services, users, logs =========================================================================

_MANAGE = {"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
           "daemon-reload", "mask", "unmask"}


def _unit(name: str) -> str:
    return name.removesuffix(".service")


def _polkit_refusal(ctx: Ctx, verb: str, unit: str) -> int:
    """What a non-root systemctl gets from polkit in a terminal: a password prompt ec2-user cannot answer."""
    entry = ctx.os.passwd().get(ctx.user)
    gecos = entry[4] if entry and entry[4] else ctx.user
    files = verb in ("enable", "disable", "daemon-reload", "mask", "unmask")
    action = "manage-unit-files" if files else "manage-units"
    what = "manage system service or unit files" if files else f"{verb} '{unit}.service'"
    failure = (f"Failed to {verb} unit: Access denied" if files else
               f"Failed to {verb} {unit}.service: Access denied\n"
               f"See system logs and 'systemctl status {unit}.service' for details.")
    ctx.err.write(f"==== AUTHENTICATING FOR org.freedesktop.systemd1.{action} ====\n"
                  f"Authentication is required to {what}.\n"
                  f"Authenticating as: {gecos} ({ctx.user})\nPassword: \n"
                  "polkit-agent-helper-1: pam_authenticate failed: Authentication failure\n"
                  f"==== AUTHENTICATION FAILED ====\n{failure}\n")
    return 1


def _start(ctx: Ctx, unit: str, verb: str = "start") -> int:
    result = ctx.os.start_service(unit)
    if result == "not-found":
        return ctx.error(f"Failed to {verb} {unit}.service: Unit {unit}.service not found.", 5)
    if result == "failed":
        journal = "journalctl -xe" if ctx.os.distro == "al2" else f"journalctl -xeu {unit}.service"
        ctx.err.write(f"Job for {unit}.service failed because the control process exited with error code.\n"
                      f"See \"systemctl status {unit}.service\" and \"{journal}\" for details.\n")
        return 1
    return 0


def _enable(ctx: Ctx, unit: str, now: bool) -> int:
    if not ctx.os.has_unit(unit):
        return ctx.error(f"Failed to enable unit: Unit file {unit}.service does not exist.")
    if ctx.os.enable_service(unit):
        ctx.err.write(f"Created symlink /etc/systemd/system/multi-user.target.wants/{unit}.service → "
                      f"/usr/lib/systemd/system/{unit}.service.\n")
    return _start(ctx, unit) if now else 0


def _disable(ctx: Ctx, unit: str, now: bool) -> int:
    if not ctx.os.has_unit(unit):
        return ctx.error(f"Failed to disable unit: Unit file {unit}.service does not exist.")
    if ctx.os.disable_service(unit):
        link = f"/etc/systemd/system/multi-user.target.wants/{unit}.service"
        ctx.err.write(f"Removed symlink {link}.\n" if ctx.os.distro == "al2" else f'Removed "{link}".\n')
    if now:
        ctx.os.stop_service(unit)
    return 0


def _status(ctx: Ctx, unit: str) -> int:
    os = ctx.os
    if not os.has_unit(unit):
        return ctx.error(f"Unit {unit}.service could not be found.", 4)
    state = os.services.get(unit)
    enabled = "enabled" if state and state.enabled else "disabled"
    preset = "enabled" if os.distro == "ubuntu" else "disabled"
    path = f"/usr/lib/systemd/system/{unit}.service"
    if state and state.active:
        dot, active = "●", "active (running)"
    elif state and state.failed:
        dot, active = "×", "failed (Result: exit-code)"
    else:
        dot, active = "○", "inactive (dead)"
    if os.distro == "al2":
        ctx.out.write(f"● {unit}.service - {os.unit_description(unit)}\n"
                      f"   Loaded: loaded ({path}; {enabled}; vendor preset: {preset})\n"
                      f"   Active: {active}\n")
    else:
        ctx.out.write(f"{dot} {unit}.service - {os.unit_description(unit)}\n"
                      f"     Loaded: loaded ({path}; {enabled}; preset: {preset})\n     Active: {active}\n")
    if state and state.active:
        indent = "  " if os.distro == "al2" else "   "
        ctx.out.write(f"{indent}Main PID: {os.fake_pid(unit)} ({unit})\n")
    return 0 if state and state.active else 3


@command("systemctl")
def _systemctl(ctx: Ctx) -> int:
    flags, _values, operands = split_flags(ctx.args)
    verb, units = (operands[0], [_unit(u) for u in operands[1:]]) if operands else ("list-units", [])
    now, quiet = "--now" in flags, bool(flags & {"q", "--quiet"})
    if verb in _MANAGE and not ctx.root:
        return _polkit_refusal(ctx, verb, units[0] if units else "")
    if verb in ("start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
                "is-active", "is-enabled", "is-failed", "mask", "unmask") and not units:
        return ctx.error("Too few arguments.")
    status = 0
    for unit in units:
        status = _systemctl_one(ctx, verb, unit, now, quiet) or status
    if verb == "daemon-reload":
        return 0
    if verb in ("list-units", "list-unit-files"):
        rows = [f"{n + '.service':<40} loaded active running {ctx.os.unit_description(n)}"
                for n, s in sorted(ctx.os.services.items()) if s.active and ctx.os.has_unit(n)]
        ctx.out.write("  UNIT                                     LOAD   ACTIVE SUB     DESCRIPTION\n"
                      + _join_lines(f"  {row}" for row in rows) + f"\n{len(rows)} loaded units listed.\n")
    elif verb == "status" and not units:
        ctx.out.write(f"● {ctx.os.short_hostname}\n    State: running\n")
    elif verb not in _MANAGE | {"status", "is-active", "is-enabled", "is-failed"}:
        return ctx.error(f"Unknown command verb '{verb}'.")
    return status


def _systemctl_one(ctx: Ctx, verb: str, unit: str, now: bool, quiet: bool) -> int:
    os = ctx.os
    state = os.services.get(unit)
    if verb == "start":
        return _start(ctx, unit)
    if verb in ("restart", "reload-or-restart", "try-restart", "reload"):
        if not os.has_unit(unit):
            return ctx.error(f"Failed to {verb} {unit}.service: Unit {unit}.service not found.", 5)
        if verb == "try-restart" and not (state and state.active):
            return 0
        if verb == "reload" and not (state and state.active):
            return ctx.error(f"Job for {unit}.service invalid.", 1)
        os.stop_service(unit)
        return _start(ctx, unit, verb)
    if verb == "stop":
        if not os.has_unit(unit):
            return ctx.error(f"Failed to stop {unit}.service: Unit {unit}.service not loaded.", 5)
        os.stop_service(unit)
        return 0
    if verb == "enable":
        return _enable(ctx, unit, now)
    if verb == "disable":
        return _disable(ctx, unit, now)
    if verb == "status":
        return _status(ctx, unit)
    if verb == "is-active":
        word = "active" if state and state.active else "failed" if state and state.failed else "inactive"
        ctx.out.write("" if quiet else word + "\n")
        return 0 if word == "active" else 3
    if verb == "is-enabled":
        if not os.has_unit(unit):
            return ctx.error(f"Failed to get unit file state for {unit}.service: No such file or directory")
        word = "enabled" if state and state.enabled else "disabled"
        ctx.out.write("" if quiet else word + "\n")
        return 0 if word == "enabled" else 1
    if verb == "is-failed":
        failed = bool(state and state.failed)
        word = "failed" if failed else "active" if state and state.active else "inactive"
        ctx.out.write("" if quiet else word + "\n")
        return 0 if failed else 1
    return ctx.error(f"lblab: 'systemctl {verb}' is not emulated")


@command("service")
def _service(ctx: Ctx) -> int:
    if len(ctx.args) < 2:
        return ctx.error("Usage: service < option > | --status-all | "
                         "[ service_name [ command | --full-restart ] ]")
    name, action = _unit(ctx.args[0]), ctx.args[1]
    if ctx.os.distro != "ubuntu":
        ctx.err.write(f"Redirecting to /bin/systemctl {action} {name}.service\n")
    return _systemctl(Ctx(**{**ctx.__dict__, "name": "systemctl", "args": [action, name]}))


@command("chkconfig")
def _chkconfig(ctx: Ctx) -> int:
    if len(ctx.args) != 2 or ctx.args[1] not in ("on", "off"):
        return ctx.error("lblab: only 'chkconfig NAME on|off' is emulated")
    name = _unit(ctx.args[0])
    verb = "enable" if ctx.args[1] == "on" else "disable"
    ctx.err.write(f"Note: Forwarding request to 'systemctl {verb} {name}.service'.\n")
    return _systemctl(Ctx(**{**ctx.__dict__, "name": "systemctl", "args": [verb, name]}))


@command("journalctl")
def _journalctl(ctx: Ctx) -> int:
    flags, values, _operands = split_flags(ctx.args, "unp")
    path = ctx.os.spec.syslog
    lines = _text_lines(ctx.fs.read_text(path)) if ctx.fs.is_file(path) else []
    unit = _unit(values.get("u", values.get("--unit", "")))
    if unit:
        description = ctx.os.unit_description(unit)
        lines = [line for line in lines if f" {unit}[" in line or f"{unit}.service" in line
                 or (ctx.os.distro == "al2" and description in line)]
    count = values.get("n", values.get("--lines"))
    if count and count.isascii() and count.isdigit():
        lines = lines[-bounded(count, len(lines)) :] if lines else lines
    elif flags & {"e", "--pager-end"}:
        lines = lines[-1000:]
    ctx.out.write(_join_lines(lines) if lines else "-- No entries --\n")
    if flags & {"f", "--follow"}:
        ctx.err.write("lblab: journalctl -f shows the log once; following it is not emulated\n")
    return 0


@command("logger")
def _logger(ctx: Ctx) -> int:
    flags, values, words = split_flags(ctx.args, "tpi")
    tag = values.get("t") or ctx.user
    message = " ".join(words) if words else ctx.stdin.read_all().strip()
    ctx.os.log_system(tag, message)
    if "s" in flags:
        ctx.err.write(f"{tag}: {message}\n")
    return 0


@command("useradd", "adduser", "usermod", "groupadd", "userdel")
def _users(ctx: Ctx) -> int:
    if not ctx.root:
        return ctx.error(f"Permission denied.\n{ctx.name}: cannot lock /etc/passwd; try again later.")
    flags, _values, names = split_flags(ctx.args, "sGgcduk")
    if not names:
        return ctx.error(f"Usage: {ctx.name} [options] LOGIN", 2)
    name = names[-1]
    users = ctx.os.passwd()
    if ctx.name in ("usermod", "userdel") and name not in users:
        return ctx.error(f"user '{name}' does not exist", 6)
    if ctx.name in ("useradd", "adduser") and name in users:
        return ctx.error(f"user '{name}' already exists", 9)
    if ctx.name in ("useradd", "adduser"):
        uid = max([1000, *(int(e[2]) for e in users.values() if int(e[2]) < 60000)]) + 1
        home = f"/home/{name}"
        ctx.fs.write_text("/etc/passwd", f"{name}:x:{uid}:{uid}::{home}:/bin/bash\n", append=True)
        if "m" in flags or ctx.name == "adduser" or ctx.os.distro != "ubuntu":
            if not ctx.fs.exists(home):
                ctx.fs.mkdir(home, mode=0o700)
            ctx.os.chown(home, name)
    return 0


# == packages ================================================================================================


@command("dnf", "yum", "rpm", "amazon-linux-extras", "apt", "apt-get")
def _package_manager(ctx: Ctx) -> int:
    result = packages.run_package_manager(ctx.os, ctx.name, ctx.args, root=ctx.root,
                                          interactive=ctx.interactive, now=ctx.os.now())
    ctx.err.write(result.notice)
    ctx.out.write(result.out)
    ctx.err.write(result.err)
    prompted = re.search(r"Operation aborted|Abort\.|Exiting on user", result.out)
    if result.status and ctx.interactive and prompted:
        ctx.err.write("lblab: answering prompts is not emulated; run the command again with -y\n")
    return result.status


# == network: curl, wget and the instance metadata service ============================================

IMDS_HOST = "169.254.169.254"
_IMDS_PAGE = """<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>{status} - {reason}</title>
 </head>
 <body>
  <h1>{status} - {reason}</h1>
 </body>
</html>
"""
@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class _NetError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _NotEmulated(Exception):
    pass


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-with-query); a URL without scheme is http, as curl assumes."""
    match = re.match(r"(?:([a-zA-Z][a-zA-Z0-9+.-]*)://)?(\[[^\]]*\]|[^/:?#]*)(?::([0-9]*))?([^#]*)", url)
    assert match is not None  # the pattern matches every string
    scheme = (match.group(1) or "http").lower()
    port = bounded(match.group(3), 1 << 16) if match.group(3) else (443 if scheme == "https" else 80)
    return scheme, match.group(2).lower(), port, match.group(4) or "/"


def _local_names(os: InstanceOS) -> set[str]:
    return {"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1", os.hostname, os.short_hostname,
            os.metadata.get("local-ipv4", ""), os.metadata.get("local-hostname", "")} - {""}


def _request(ctx: Ctx, method: str, url: str, headers: dict[str, str]) -> _Reply:
    scheme, host, port, path = _split_url(url)
    if scheme not in ("http", "https"):
        raise _NetError(1, f'Protocol "{scheme}" not supported')
    if host == IMDS_HOST:
        return _imds(ctx.os, method, path, headers)
    if host not in _local_names(ctx.os):
        raise _NotEmulated(host)
    server = next((s for s in ctx.os.web_servers() if s.port == port and scheme == "http"), None)
    if server is None:
        raise _NetError(7, f"Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server")
    if ctx.os.http_handler is not None:
        status, reply_headers, body = ctx.os.http_handler(method, path)
        return _Reply(status, reply_headers, body)
    # The same renderer as the instance's real listener, so `curl localhost` matches the browser.
    response = render(ctx.fs, server.flavor, server.docroot, method, path,
                      {"Host": host, "User-Agent": "curl/8.5.0", "Accept": "*/*", **headers})
    return _Reply(response.status, response.headers, response.body)


def _imds_token(os: InstanceOS) -> str:
    digest = hashlib.sha256(("lblab-imds:" + os.metadata.get("instance-id", os.hostname)).encode()).digest()
    return "AQAEA" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _imds(os: InstanceOS, method: str, path: str, headers: dict[str, str]) -> _Reply:
    """The instance metadata service (IMDSv1 and v2) answered from InstanceOS.metadata."""
    path = path.split("?", 1)[0]
    lowered = {k.lower(): v for k, v in headers.items()}

    def page(status: int) -> _Reply:
        body = _IMDS_PAGE.format(status=status, reason=reason_phrase(status)).encode()
        return _Reply(status, {"Content-Type": "text/html"}, body)

    def text(value: str) -> _Reply:
        return _Reply(200, {"Content-Type": "text/plain"}, value.encode())

    if path == "/latest/api/token":
        if method != "PUT":
            return page(405)
        if "x-aws-ec2-metadata-token-ttl-seconds" not in lowered:
            return page(400)
        return text(_imds_token(os))
    if os.http_tokens == "required" and not lowered.get("x-aws-ec2-metadata-token"):
        return page(401)
    metadata = os.metadata
    if path in ("", "/"):
        return text("latest")
    if path.rstrip("/") == "/latest":
        return text("dynamic\nmeta-data\nuser-data")
    if path == "/latest/user-data":
        stored = "/var/lib/cloud/instance/user-data.txt"
        return text(os.fs.read_text(stored)) if os.fs.is_file(stored) else page(404)
    if path.rstrip("/") == "/latest/dynamic/instance-identity/document":
        zone = metadata.get("placement/availability-zone", "")
        document = {"accountId": "123456789012", "architecture": "x86_64", "availabilityZone": zone,
                    "imageId": metadata.get("ami-id", ""), "instanceId": metadata.get("instance-id", ""),
                    "instanceType": metadata.get("instance-type", ""),
                    "privateIp": metadata.get("local-ipv4", ""),
                    "region": metadata.get("placement/region", zone[:-1]), "version": "2017-09-30"}
        return text(json.dumps(document, indent=2))
    prefix = "/latest/meta-data"
    if not (path + "/").startswith(prefix + "/"):
        return page(404)
    key = path[len(prefix) :].strip("/")
    if key in metadata and not path.endswith("/"):
        return text(metadata[key])
    below = [k[len(key) + 1 :] if key else k for k in metadata if not key or k.startswith(key + "/")]
    children = sorted({rest.split("/", 1)[0] + ("/" if "/" in rest else "") for rest in below})
    return text("\n".join(children)) if children else page(404)


@dataclass
class _CurlOptions:
    method: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    output: str | None = None
    remote_name: bool = False
    write_out: str = ""
    silent: bool = False
    show_error: bool = False
    fail: bool = False
    follow: bool = False
    head: bool = False
    include: bool = False
    data: str | None = None
    urls: list[str] = field(default_factory=list)


_CURL_VALUE = {"-o": "output", "--output": "output", "-w": "write_out", "--write-out": "write_out",
               "-X": "method", "--request": "method", "-d": "data", "--data": "data", "--data-raw": "data",
               "--data-binary": "data", "-H": "header", "--header": "header"}
_CURL_IGNORED_VALUE = {"-m", "--max-time", "--connect-timeout", "--retry", "--retry-delay", "-A",
                       "--user-agent", "-u", "--user", "-e", "--referer", "-b", "--cookie", "-c",
                       "--cookie-jar"}
_CURL_PROGRESS = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
                  "                                 Dload  Upload   Total   Spent    Left  Speed\n")
_CURL_FLAGS = {"s": "silent", "S": "show_error", "f": "fail", "L": "follow", "I": "head", "i": "include",
               "O": "remote_name"}
_CURL_IGNORED_FLAGS = set("kv46#gN") | {"--insecure", "--compressed", "--silent", "--show-error", "--fail",
                                        "--location", "--head", "--include", "--remote-name", "--verbose",
                                        "--progress-bar", "--no-progress-meter", "-sS", "--http1.1"}
_CURL_LONG_FLAGS = {"--silent": "silent", "--show-error": "show_error", "--fail": "fail",
                    "--location": "follow", "--head": "head", "--include": "include",
                    "--remote-name": "remote_name",
                    "--no-progress-meter": "silent"}


def _curl_options(args: list[str]) -> _CurlOptions | str:
    """Parsed options, or the name of an option curl would reject."""
    opts = _CurlOptions()
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in _CURL_VALUE or arg in _CURL_IGNORED_VALUE:
            value = rest.pop(0) if rest else ""
            target = _CURL_VALUE.get(arg)
            if target == "header":
                name, _sep, content = value.partition(":")
                opts.headers[name.strip()] = content.strip()
            elif target is not None:
                setattr(opts, target, value)
        elif arg in _CURL_LONG_FLAGS:
            setattr(opts, _CURL_LONG_FLAGS[arg], True)
        elif arg.startswith("--"):
            if arg not in _CURL_IGNORED_FLAGS:
                return arg
        elif arg.startswith("-") and len(arg) > 1:
            for i, ch in enumerate(arg[1:], 1):
                if f"-{ch}" in _CURL_VALUE or f"-{ch}" in _CURL_IGNORED_VALUE:
                    rest.insert(0, f"-{ch}")
                    if arg[i + 1 :]:
                        rest.insert(1, arg[i + 1 :])
                    break
                if ch in _CURL_FLAGS:
                    setattr(opts, _CURL_FLAGS[ch], True)
                elif ch not in _CURL_IGNORED_FLAGS:
                    return f"-{ch}"
        else:
            opts.urls.append(arg)
    return opts


def _curl_failure(ctx: Ctx, opts: _CurlOptions, code: int, message: str) -> int:
    if not opts.silent or opts.show_error:
        ctx.err.write(f"curl: ({code}) {message}\n")
    return code


@command("curl")
def _curl(ctx: Ctx) -> int:
    opts = _curl_options(ctx.args)
    if isinstance(opts, str):
        return ctx.error(f"option {opts}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more "
                         "information", 2)
    if not opts.urls:
        return ctx.error("no URL specified!\n"
                         "curl: try 'curl --help' or 'curl --manual' for more information", 2)
    method = opts.method or ("HEAD" if opts.head else "POST" if opts.data is not None else "GET")
    status = 0
    for url in opts.urls:
        status = _curl_one(ctx, opts, method, url)
    return status


def _curl_one(ctx: Ctx, opts: _CurlOptions, method: str, url: str) -> int:
    try:
        reply = _request(ctx, method, url, opts.headers)
        for _hop in range(5):
            location = reply.headers.get("Location")
            if not (opts.follow and reply.status in (301, 302, 303, 307, 308) and location):
                break
            url = location
            reply = _request(ctx, method, url, opts.headers)
    except _NetError as error:
        return _curl_failure(ctx, opts, error.code, error.message)
    except _NotEmulated as host:
        ctx.err.write(f"lblab: curl to '{host}' is not emulated (lblab instances have no internet access; "
                      "try http://localhost/ or the metadata service at http://169.254.169.254/); skipped\n")
        return 127
    if opts.fail and reply.status >= 400:
        return _curl_failure(ctx, opts, 22, f"The requested URL returned error: {reply.status}")
    head = f"HTTP/1.1 {reply.status} {reason_phrase(reply.status)}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in reply.headers.items()) + "\r\n"
    body = reply.body.decode("utf-8", errors="replace")
    shown = head if method == "HEAD" or opts.head else (head if opts.include else "") + body
    if opts.output is not None or opts.remote_name:
        name = opts.output or posixpath.basename(_split_url(url)[3].split("?")[0])
        if not name:
            return _curl_failure(ctx, opts, 23, "Remote file name has no length!")
        if name != "-":
            if not ctx.write(name, shown):
                return 23
            if not opts.silent:
                size = len(reply.body)
                speed = size * 100
                ctx.err.write(_CURL_PROGRESS + f"100 {size:>5}  100 {size:>5}    0     0   {speed:>5}      0 "
                              f"--:--:-- --:--:-- --:--:-- {speed:>5}\n")
            shown = ""
    ctx.out.write(shown)
    if opts.write_out:
        values = {"http_code": str(reply.status), "response_code": str(reply.status),
                  "size_download": str(len(reply.body)), "url_effective": url,
                  "content_type": reply.headers.get("Content-Type", "")}
        written = re.sub(r"%\{([a-z_]+)\}", lambda m: values.get(m.group(1), ""), opts.write_out)
        ctx.out.write(_backslash_escapes(written)[0])
    return 0


@command("wget")
def _wget(ctx: Ctx) -> int:
    flags, values, urls = split_flags(ctx.args, "OT")
    quiet = "q" in flags or "--quiet" in flags
    if not urls:
        return ctx.error("missing URL\nUsage: wget [OPTION]... [URL]...", 1)
    url = urls[0]
    _scheme, host, port, path = _split_url(url)
    stamp = ctx.os.now().strftime("%Y-%m-%d %H:%M:%S")
    log = [f"--{stamp}--  {url}"]
    if host == IMDS_HOST:
        log.append(f"Connecting to {host}:{port}... connected.")
    else:
        log += [f"Resolving {host} ({host})... 127.0.0.1",
                f"Connecting to {host} ({host})|127.0.0.1|:{port}... "]
    try:
        reply = _request(ctx, "GET", url, {})
    except _NetError:
        log[-1] += "failed: Connection refused."
        ctx.err.write("" if quiet else _join_lines(log))
        return 4
    except _NotEmulated:
        ctx.err.write(f"lblab: wget to '{host}' is not emulated (lblab instances have no internet access); "
                      "skipped\n")
        return 127
    if host != IMDS_HOST:
        log[-1] += "connected."
    log.append(f"HTTP request sent, awaiting response... {reply.status} {reason_phrase(reply.status)}")
    if reply.status >= 400:
        log.append(f"{stamp} ERROR {reply.status}: {reason_phrase(reply.status)}.")
        ctx.err.write("" if quiet else _join_lines(log))
        return 8
    target = values.get("O") or posixpath.basename(path.split("?")[0]) or "index.html"
    if target != "-" and "O" not in values:
        base, n = target, 1
        while ctx.fs.exists(ctx.path(target)):
            target, n = f"{base}.{n}", n + 1
    body = reply.body.decode("utf-8", errors="replace")
    size = len(reply.body)
    log += [f"Length: {size} [{reply.headers.get('Content-Type', 'text/html')}]",
            f"Saving to: ‘{'STDOUT' if target == '-' else target}’", ""]
    ctx.err.write("" if quiet else _join_lines(log))
    if target == "-":
        ctx.out.write(body)
    elif not ctx.write(target, body):
        return 3
    if not quiet:
        ctx.err.write(f"\n{stamp} (1.00 MB/s) - ‘{'written to stdout' if target == '-' else target}’ saved "
                      f"[{size}/{size}]\n\n")
    return 0
