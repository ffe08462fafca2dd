"""A bounded POSIX regular-expression matcher (basic and extended) for grep and sed.

Python's `re` would backtrack without limit on hostile patterns; this one counts its steps.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from mock_cloud.guestos.shell.limits import MAX_REGEX_WORK
from mock_cloud.guestos.shell.numbers import bounded

if TYPE_CHECKING:
    from collections.abc import Callable

# A parsed node or a compiled instruction: ("lit", c), ("rep", node, low, high), ("save", n), ...
Op = tuple[Any, ...]

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
        program: list[Op] = [("save", 0)]
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

    def _alternation(self) -> Op:
        branches = [self._sequence()]
        while self._at_alternation():
            self._pos += 1 if self._ext else 2
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def _sequence(self) -> Op:
        items: list[Op] = []
        while self._pos < len(self._src) and not self._at_alternation() and not self._at_close():
            items.append(self._quantified(self._atom(start=not items)))
        return ("cat", items)

    def _atom(self, start: bool) -> Op:
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

    def _group(self, closer: str) -> Op:
        self._depth += 1
        self.groups += 1
        index = self.groups
        inner = self._alternation()
        if not self._peek(closer):
            raise RegexError("Unmatched ( or \\(")
        self._pos += len(closer)
        self._depth -= 1
        return ("group", index, inner)

    def _escape(self) -> Op:
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

    def _bracket(self) -> Op:
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

    def _quantified(self, atom: Op) -> Op:
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
                valid = bounds is not None and bool(bounds.group(1) or bounds.group(3))
                if bounds is None or not valid or not src.startswith(closer, bounds.end()):
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
    def _emit(self, node: Op, program: list[Op]) -> None:
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

    def _add(self, threads: list[tuple[int, tuple[int, ...]]], seen: set[int], pc: int, caps: tuple[int, ...], i: int,
             text: str) -> None:
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

    def _accepts(self, op: Op, char: str) -> bool:
        kind = op[0]
        if kind == "any":
            return char != "\n"
        if kind == "lit":
            return char == op[1] or (self.icase and char.lower() == op[1].lower())
        _kind, negate, chars, ranges, names = op
        candidates = {char, char.lower(), char.upper()} if self.icase else {char}
        hit = any(c in chars or any(lo <= c <= hi for lo, hi in ranges) or any(_CLASSES[n](c) for n in names)
                  for c in candidates)
        return hit != bool(negate)


def literal_pattern(text: str) -> str:
    """A fixed string (grep -F) as a basic regular expression."""
    return re.sub(r"([.\[\]*^$\\])", r"\\\1", text)
