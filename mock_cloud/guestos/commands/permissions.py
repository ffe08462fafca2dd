"""Modes, owners and listings: chmod, chown/chgrp, ls.

Kept together because they share the mode-string and ownership helpers; `ls -l` is how learners
see what chmod and chown did, with the SELinux dot where the distro has it.
"""

from __future__ import annotations

import math
import posixpath
import re
from typing import TYPE_CHECKING

from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, split_flags

if TYPE_CHECKING:
    from mock_cloud.guestos.vfs import VirtualFS


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
    return (f"total {blocks}\n" if total else "") + join_lines(lines)
