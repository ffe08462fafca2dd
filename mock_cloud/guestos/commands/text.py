"""Text filters: head, tail, wc, sort, uniq, cut, tr, basename, dirname, seq.

Pipelines in user data and in the Connect shell are built from these; numbers in their arguments
are bounded and their output capped, so no argument can make them allocate without bound.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from mock_cloud.guestos.commands.printing import backslash_escapes, parse_number
from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, split_flags, text_lines
from mock_cloud.guestos.shell.limits import MAX_BUFFER
from mock_cloud.guestos.shell.numbers import bounded, legal_number

if TYPE_CHECKING:
    from collections.abc import Callable


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
        ctx.out.write(join_lines(pick(text_lines(text), count, from_start)))
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
        lines += text_lines(text)
    if "n" in flags:
        lines.sort(key=lambda line: parse_number(line.split()[0] if line.split() else "", float))
    else:
        lines.sort()
    if "r" in flags:
        lines.reverse()
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    ctx.out.write(join_lines(lines))
    return 0


@command("uniq")
def _uniq(ctx: Ctx) -> int:
    flags, _values, files = split_flags(ctx.args)
    text = ctx.read(files[0] if files else "-")
    if text is None:
        return 1
    groups: list[list[str]] = []
    for line in text_lines(text):
        if groups and groups[-1][0] == line:
            groups[-1].append(line)
        else:
            groups.append([line])
    ctx.out.write(join_lines(f"{len(g):7d} {g[0]}" if "c" in flags else g[0] for g in groups
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
        for line in text_lines(text):
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
    spec = backslash_escapes(spec)[0]
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
    ctx.out.write(join_lines(str(v) for v in values[: MAX_BUFFER // 8]))
    return 0
