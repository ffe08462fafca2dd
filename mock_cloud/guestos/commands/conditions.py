"""test, [ and [[: file tests, string and integer comparisons.

User data guards nearly every step with them (`if [ -f ... ]`), so their errors and exit codes
follow bash's builtin `test` exactly; they are a family of their own because of their small grammar.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from mock_cloud.guestos.commands.registry import Ctx, command
from mock_cloud.guestos.shell.numbers import legal_number
from mock_cloud.guestos.vfs import normalize

if TYPE_CHECKING:
    from collections.abc import Callable

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
