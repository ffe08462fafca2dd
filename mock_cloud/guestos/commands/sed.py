"""sed: addresses, s///, d, p, a/i/c, q and in-place editing (-i).

User data edits configs with `sed -i` (httpd's Listen port, nginx's root); the regular
expressions go through `regex.Regex` so a hostile pattern stays bounded.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from mock_cloud.guestos.commands.regex import Regex, RegexError
from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, text_lines
from mock_cloud.guestos.shell.limits import LINE_CAP, MAX_BUFFER
from mock_cloud.guestos.shell.numbers import bounded


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
        return bounded(match.group(), LINE_CAP), match.end()  # type: ignore[union-attr]
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
            cmd.occurrence = bounded(digits, LINE_CAP) if digits else 1
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
    lines = text_lines(text)
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
    return join_lines(out) if text.endswith("\n") or not out else "\n".join(out)


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
