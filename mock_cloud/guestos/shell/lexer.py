"""The shell's lexer: tokens, words, quoting and here-documents.

Words are read in place with their parts (literal text, parameters, substitutions) so the
interpreter never re-scans text; `$...` forms are read by `substitutions.Substitutions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from mock_cloud.guestos.shell.syntax import HereDoc, Lit, Part, ProcSub, Word
from mock_cloud.guestos.shell.tokens import IO_NUMBER, MAX_NESTING, META, OPERATORS, ParseError, Tok

if TYPE_CHECKING:
    from collections.abc import Callable

    from mock_cloud.guestos.shell.syntax import Node


class Lexer:
    """Reads tokens from `src`, tracking line numbers for bash-style messages."""

    def __init__(self, src: str, *, line: int = 1, depth: int = 0, nesting: int = 0) -> None:
        self.src = src
        self.pos = 0
        self.depth = depth  # command-substitution depth
        self.nesting = nesting  # compound commands, ${...} and $((...)) inside each other
        self.warnings: list[str] = []
        self._line_base = line
        self._line_pos = 0
        self._line_no = line
        self._peeked: Tok | None = None
        self._heredocs: list[HereDoc] = []

    # The `$` forms, read by `substitutions.Substitutions` (the subclass).
    def _read_dollar(self, quoted: bool) -> Part:
        raise NotImplementedError

    def _read_backtick(self, quoted: bool) -> Part:
        raise NotImplementedError

    def _read_subst_body(self, build: Callable[[Node], Part]) -> Part:
        raise NotImplementedError

    def _child(self, text: str) -> Self:
        """A lexer (parser) of its own for text taken from this one: a here-document, a `${...}` word."""
        self._nest()
        return type(self)(text, line=self._line(), depth=self.depth, nesting=self.nesting)

    def _nest(self) -> None:
        if self.nesting >= MAX_NESTING:
            raise self._error(f"lblab: commands nested more than {MAX_NESTING} levels deep")
        self.nesting += 1

    def line_number(self) -> int:
        return self._line()

    def line_text(self, line: int) -> str:
        lines = self.src.split("\n")
        index = line - self._line_base
        return lines[index] if 0 <= index < len(lines) else ""

    def _line(self) -> int:
        if self.pos >= self._line_pos:
            self._line_no += self.src.count("\n", self._line_pos, self.pos)
        else:
            self._line_no = self._line_base + self.src.count("\n", 0, self.pos)
        self._line_pos = self.pos
        return self._line_no

    def _error(self, message: str, incomplete: bool = False) -> ParseError:
        return ParseError(message, self._line(), incomplete)

    def _peek(self) -> Tok:
        if self._peeked is None:
            self._peeked = self._lex()
        return self._peeked

    def _next(self) -> Tok:
        tok = self._peek()
        self._peeked = None
        return tok

    def _lex(self) -> Tok:
        src = self.src
        while True:
            while self.pos < len(src) and src[self.pos] in " \t\r":
                self.pos += 1
            if src.startswith("\\\n", self.pos):
                self.pos += 2
            elif src.startswith("#", self.pos):
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
            else:
                break
        line = self._line()
        if self.pos >= len(src):
            if self._heredocs:
                self._read_heredocs()
            return Tok("eof", line=line)
        if src[self.pos] == "\n":
            self.pos += 1
            self._read_heredocs()
            return Tok("newline", "newline", line=line)
        if src.startswith(("<(", ">("), self.pos):
            return Tok("word", word=self._read_word(), line=line)
        fd = None
        match = IO_NUMBER.match(src, self.pos)
        if match:
            fd = int(match.group(1))
            self.pos = match.end()
        for op in OPERATORS:
            if src.startswith(op, self.pos):
                self.pos += len(op)
                return Tok("op", op, fd=fd, line=line)
        return Tok("word", word=self._read_word(), line=line)

    def _read_word(self) -> Word:
        src = self.src
        parts: list[Part] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                parts.append(Lit("".join(buf)))
                buf.clear()

        start = self.pos
        while self.pos < len(src):
            c = src[self.pos]
            if c in "<>" and self.pos == start and src.startswith("(", self.pos + 1):
                self.pos += 1
                parts.append(self._read_subst_body(lambda _body: ProcSub()))
                continue
            if c in META:
                break
            if c == "\\":
                nxt = src[self.pos + 1 : self.pos + 2]
                self.pos += 2
                if nxt != "\n":
                    flush()
                    parts.append(Lit(nxt or "\\", quoted=True))
            elif c == "'":
                flush()
                end = src.find("'", self.pos + 1)
                if end < 0:
                    raise self._error("unexpected EOF while looking for matching `''", incomplete=True)
                parts.append(Lit(src[self.pos + 1 : end], quoted=True))
                self.pos = end + 1
            elif c == '"':
                flush()
                self.pos += 1
                parts.extend(self._read_dq('"'))
            elif c == "$":
                flush()
                parts.append(self._read_dollar(quoted=False))
            elif c == "`":
                flush()
                parts.append(self._read_backtick(quoted=False))
            else:
                buf.append(c)
                self.pos += 1
        flush()
        return Word(parts)

    def _read_dq(self, closer: str | None, heredoc: bool = False) -> list[Part]:
        """Double-quoted text up to `closer` (None: to the end, for heredocs and $((...)))."""
        src = self.src
        escapable = "$`\\\n" if heredoc else '$`"\\\n'
        parts: list[Part] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                parts.append(Lit("".join(buf), quoted=True))
                buf.clear()

        while True:
            if self.pos >= len(src):
                if closer is None:
                    break
                raise self._error("unexpected EOF while looking for matching `\"'", incomplete=True)
            c = src[self.pos]
            if c == closer:
                self.pos += 1
                break
            if c == "\\" and src[self.pos + 1 : self.pos + 2] in tuple(escapable):
                if src[self.pos + 1] != "\n":
                    buf.append(src[self.pos + 1])
                self.pos += 2
            elif c == "$":
                flush()
                parts.append(self._read_dollar(quoted=True))
            elif c == "`":
                flush()
                parts.append(self._read_backtick(quoted=True))
            else:
                buf.append(c)
                self.pos += 1
        flush()
        return parts or [Lit("", quoted=True)]

    def _read_heredocs(self) -> None:
        src = self.src
        pending, self._heredocs = self._heredocs, []
        for doc in pending:
            start_line = self._line()
            lines: list[str] = []
            while True:
                if self.pos >= len(src):
                    self.warnings.append(f"warning: here-document at line {start_line - 1} delimited by "
                                         f"end-of-file (wanted `{doc.delim}')")
                    break
                end = src.find("\n", self.pos)
                end = len(src) if end < 0 else end
                raw = src[self.pos : end]
                self.pos = min(end + 1, len(src))
                text = raw.lstrip("\t") if doc.strip_tabs else raw
                if text.rstrip("\r") == doc.delim:
                    break
                lines.append(text + "\n")
            body = "".join(lines)
            if doc.expand:
                doc.body = Word(self._child(body)._read_dq(None, heredoc=True))
            else:
                doc.body = Word([Lit(body, True)])
