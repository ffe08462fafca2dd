"""grep, egrep and fgrep, on the bounded matcher of `regex`.

Learners check their pages and logs with grep; Python's `re` could be made to backtrack for
seconds by one pattern, so matching goes through `regex.Regex` and its step budget.
"""

from __future__ import annotations

from mock_cloud.guestos.commands.regex import Regex, RegexError, literal_pattern
from mock_cloud.guestos.commands.registry import Ctx, command, read_vfs_file, split_flags, text_lines
from mock_cloud.guestos.vfs import VfsError


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
        pattern, extended = literal_pattern(pattern), False
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
    return [(number, line) for number, line in enumerate(text_lines(text), 1)
            if any(m.search(line) is not None for m in matchers) != invert]
