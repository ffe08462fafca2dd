"""true, false, echo and printf, with bash's backslash escapes and printf's format specs.

The output commands every script uses; the escape reader and number parsing here are shared with
the text filters and curl's `-w`.
"""

from __future__ import annotations

import re

from mock_cloud.guestos.commands.registry import Ctx, command
from mock_cloud.guestos.shell.numbers import bounded


def backslash_escapes(text: str) -> tuple[str, bool]:
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
        text, stopped = backslash_escapes(text)
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
        out.append(backslash_escapes(fmt[pos : match.start()])[0])
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
            out.append((spec + "s") % (backslash_escapes(arg)[0] if conv == "b" else arg))
        elif conv == "c":
            out.append(arg[:1])
        else:
            out.append((spec + conv.replace("u", "d")) % parse_number(arg, float if conv in "eEfgG" else int))
    out.append(backslash_escapes(fmt[pos:])[0])
    return "".join(out), used


def parse_number(text: str, kind: type) -> float | int:
    try:
        if kind is int:
            return int(text, 0) if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text) else int(text or "0")
        return float(text or "0")
    except ValueError:
        return 0
