"""Word expansion: tilde, parameters, command substitution, field splitting, globbing, quote removal.

The step between parsing and running where most shell surprises live (unquoted variables
splitting, globs on the VirtualFS), so it follows bash's order and limits the words' size.
"""

from __future__ import annotations

import fnmatch
import posixpath
import random
import re

from mock_cloud.guestos.shell.errors import ExpansionError, ShellExit
from mock_cloud.guestos.shell.limits import MAX_BUFFER, ShellAbort
from mock_cloud.guestos.shell.numbers import bounded
from mock_cloud.guestos.shell.parser import split_assignment
from mock_cloud.guestos.shell.process import ShellProcess
from mock_cloud.guestos.shell.streams import IO, Capture, Input
from mock_cloud.guestos.shell.syntax import Arith, CmdSub, Lit, Node, Param, Part, ProcSub, Word
from mock_cloud.guestos.vfs import normalize


class _Fields:
    """Builds the fields of one word: unquoted expansions split on whitespace, quoted text never does."""

    def __init__(self) -> None:
        self.fields: list[list[tuple[str, bool]]] = []
        self.current: list[tuple[str, bool]] | None = None
        self.size = 0

    def add(self, text: str, quoted: bool) -> None:
        self.size += len(text)
        if self.size > MAX_BUFFER:
            raise ShellAbort("a word grew beyond 1 MB; script stopped")
        if self.current is None:
            self.current = []
        self.current.append((text, quoted))

    def add_split(self, text: str) -> None:
        if not text:
            return
        if text[0] in " \t\n":
            self.end_field()
        for i, piece in enumerate(p for p in re.split(r"[ \t\n]+", text) if p):
            if i:
                self.end_field()
            self.add(piece, False)
        if text[-1] in " \t\n":
            self.end_field()

    def end_field(self) -> None:
        if self.current is not None:
            self.fields.append(self.current)
            self.current = None

    def finish(self) -> list[list[tuple[str, bool]]]:
        self.end_field()
        return self.fields


_DECLARATIONS = frozenset({"export", "local", "declare", "typeset", "readonly"})


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _trim(value: str, pattern: str, op: str) -> str:
    """${x#p}, ${x##p}, ${x%p}, ${x%%p} with glob patterns (long values: literal patterns only)."""
    literal = not _has_glob(pattern)
    if literal or len(value) > 4096:
        plain = re.sub(r"\[([*?\[])\]", r"\1", pattern) if not literal else pattern
        if op.startswith("#"):
            return value[len(plain) :] if value.startswith(plain) else value
        return value[: len(value) - len(plain)] if plain and value.endswith(plain) else value
    ends = range(len(value) + 1)
    if op in ("#", "##"):
        for i in ends if op == "#" else reversed(ends):
            if fnmatch.fnmatchcase(value[:i], pattern):
                return value[i:]
    else:
        for i in reversed(ends) if op == "%" else ends:
            if fnmatch.fnmatchcase(value[i:], pattern):
                return value[:i]
    return value


class Expansion(ShellProcess):
    """Expands words against the interpreter's variables (a mixin of `interpreter.Interp`)."""

    def _expand_words(self, words: list[Word]) -> list[str]:
        out: list[str] = []
        for i, word in enumerate(words):
            if i and out and out[0] in _DECLARATIONS and split_assignment(word) is not None:
                out.append(self._expand_str(word))  # export X=$(cmd) is one word, as in bash
            else:
                out.extend(self._expand_fields(word))
        return out

    def _expand_fields(self, word: Word) -> list[str]:
        fields = _Fields()
        for index, part in enumerate(word.parts):
            self._expand_part(part, fields, first=index == 0)
        result: list[str] = []
        for segments in fields.finish():
            text = "".join(t for t, _q in segments)
            if any(not quoted and _has_glob(t) for t, quoted in segments):
                pattern = "".join(t if not quoted else _glob_escape(t) for t, quoted in segments)
                result.extend(self._glob(pattern) or [text])
            else:
                result.append(text)
        return result

    def _expand_str(self, word: Word) -> str:
        """One string, no splitting or globbing (assignments, redirection targets, heredocs)."""
        fields = _Fields()
        for index, part in enumerate(word.parts):
            self._expand_part(part, fields, first=index == 0, split=False)
        return " ".join("".join(t for t, _q in segments) for segments in fields.finish())

    def _expand_pattern(self, word: Word) -> str:
        fields = _Fields()
        for index, part in enumerate(word.parts):
            self._expand_part(part, fields, first=index == 0)
        return "".join(t if not q else _glob_escape(t) for segments in fields.finish() for t, q in segments)

    def _expand_part(self, part: Part, fields: _Fields, *, first: bool, split: bool = True) -> None:
        match part:
            case Lit(text, quoted):
                if not quoted and first and text.startswith("~"):
                    text = self._tilde(text)
                fields.add(text, quoted)
            case Param():
                self._expand_param(part, fields, split and not part.quoted)
            case CmdSub(body, quoted):
                self._add(fields, self._command_substitution(body).rstrip("\n"), split and not quoted)
            case Arith(expr, quoted):
                self._add(fields, str(self._arith(self._expand_str(expr))), split and not quoted)
            case ProcSub():
                self.err.write("lblab: process substitution <(...) / >(...) is not emulated\n")
                fields.add("/dev/null", True)

    @staticmethod
    def _add(fields: _Fields, text: str, split: bool) -> None:
        if split:
            fields.add_split(text)
        else:
            fields.add(text, True)

    def _tilde(self, text: str) -> str:
        head, sep, rest = text.partition("/")
        if head == "~":
            home = self.vars.get("HOME", self.os.home_of(self.user))
        elif head[1:] in self.os.passwd():
            home = self.os.home_of(head[1:])
        else:
            return text
        return home + sep + rest

    def _param_value(self, name: str) -> str | None:
        if name.isascii() and name.isdigit():
            index = bounded(name, len(self.positional) + 1)
            if index == 0:
                return self.script_name
            return self.positional[index - 1] if index <= len(self.positional) else None
        special = {"?": str(self.status), "$": str(self.os.fake_pid("bash")), "#": str(len(self.positional)),
                   "-": "hB" + ("e" if self.errexit else "") + ("x" if self.xtrace else ""),
                   "PWD": self.cwd, "UID": "0" if self.user == "root" else "1000",
                   "RANDOM": str(random.randrange(32768))}
        if name in special:
            return special[name]
        return self.vars.get(name)

    def _expand_param(self, part: Param, fields: _Fields, split: bool) -> None:
        name, op = part.name, part.op
        if name in ("@", "*") and not op:
            if not split and name == "@" and part.quoted:
                for i, arg in enumerate(self.positional):
                    if i:
                        fields.end_field()
                    fields.add(arg, True)
            else:
                self._add(fields, " ".join(self.positional), split)
            return
        if op == "bad":
            raise ExpansionError(f"{name}: bad substitution (lblab emulates ${{x}}, ${{x:-y}}, ${{#x}}, "
                                  "${x#p} and ${x%p} forms)")
        value = self._param_value(name)
        if op == "len":
            value = str(len(value or ""))
        elif op:
            value = self._param_op(name, op, value, part.arg or Word([]))
        elif value is None and self.nounset and name not in ("@", "*", "!"):
            raise ExpansionError(f"{name}: unbound variable", fatal=True)
        self._add(fields, value or "", split)

    def _param_op(self, name: str, op: str, value: str | None, arg: Word) -> str | None:
        missing = value is None or (op.startswith(":") and value == "")
        kind = op.lstrip(":")
        if kind == "-":
            return self._expand_str(arg) if missing else value
        if kind == "=":
            if missing:
                value = self._expand_str(arg)
                self._assign(name, value)
            return value
        if kind == "+":
            return "" if missing else self._expand_str(arg)
        if kind == "?":
            if missing:
                message = self._expand_str(arg) or "parameter null or not set"
                raise ExpansionError(f"{name}: {message}", fatal=True)
            return value
        return _trim(value or "", self._expand_pattern(arg), op)

    def _command_substitution(self, body: Node) -> str:
        child = self.fork()
        child.trace_level += 1
        out = Capture()
        try:
            status = child.run_command(body, IO(Input(""), out, self.err))
        except ShellExit as done:
            status = done.status
        self.subst_status = status
        return out.text()

    def _glob(self, pattern: str) -> list[str]:
        fs = self.os.fs
        parts = [p for p in pattern.split("/") if p]
        bases = ["/"] if pattern.startswith("/") else [""]
        only_dirs = pattern.endswith("/")
        for part in parts:
            found: list[str] = []
            for base in bases:
                directory = normalize(base or ".", self.cwd)
                if not _has_glob(part):
                    candidate = posixpath.join(base, part) if base else part
                    if fs.exists(normalize(candidate, self.cwd)):
                        found.append(candidate)
                    continue
                if not fs.is_dir(directory) or not self.os.allowed(directory, self.user, "r"):
                    continue
                for name in fs.listdir(directory):
                    if (not name.startswith(".") or part.startswith(".")) and fnmatch.fnmatchcase(name, part):
                        found.append(posixpath.join(base, name) if base else name)
            bases = found[:10_000]
        if only_dirs:
            bases = [b + "/" for b in bases if fs.is_dir(normalize(b, self.cwd))]
        return sorted(bases)
