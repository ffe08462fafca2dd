"""File commands: cat, tee, pwd, mkdir, rmdir, touch, rm, cp, mv.

They change the instance's VirtualFS as the logged-in user, with GNU coreutils' messages for
every refusal, because "Permission denied" without sudo is one of the things labs teach.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, split_flags, text_lines, write_problem
from mock_cloud.guestos.shell.limits import MAX_DEPTH, Budget

if TYPE_CHECKING:
    from mock_cloud.guestos.vfs import VirtualFS


@command("cat")
def _cat(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args)
    status = 0
    for name in files or ["-"]:
        text = ctx.read(name)
        if text is None:
            status = 1
        elif "n" in flags:
            ctx.out.write(join_lines(f"{i:6d}\t{line}" for i, line in enumerate(text_lines(text), 1)))
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
