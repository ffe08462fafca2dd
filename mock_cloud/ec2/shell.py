"""The instance's shell: user data and the Connect terminal, interpreted and never executed.

A hand-written lexer and parser turn the sh/bash subset that labs use into a small syntax
tree; the interpreter walks it against the instance's VirtualFS and InstanceOS. Nothing
reaches the host: there is no subprocess, no host path and no Python eval. Hostile input is
bounded: commands run per script, nesting, output, word sizes, I/O and wall time are all
capped (see shell_commands), and anything unknown is skipped with an `lblab:` note.

Sections: syntax tree, parser, interpreter (expansion, redirection, control flow, shell
builtins), cloud-init (user data), and the public API (`Shell`, `run_user_data`).
"""

from __future__ import annotations

import fnmatch
import logging
import posixpath
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from mock_cloud.ec2 import packages
from mock_cloud.ec2.instance_os import InstanceOS
from mock_cloud.ec2.packages import SBIN_COMMANDS
from mock_cloud.ec2.shell_commands import (
    COMMANDS,
    IO,
    MAX_BUFFER,
    Budget,
    Capture,
    Ctx,
    Discard,
    FileSink,
    Input,
    ShellAbort,
    Sink,
    Terminal,
    read_vfs_file,
    reason,
    write_problem,
)
from mock_cloud.ec2.shell_numbers import ArithConstantError, arith_constant, bounded, legal_number, wrap64
from mock_cloud.ec2.vfs import VfsError, normalize

_log = logging.getLogger(__name__)

MAX_SUBST_DEPTH = 16  # $(...) and `...` inside each other
MAX_NESTING = 64  # compound commands and parentheses inside each other, while parsing
MAX_CALL_DEPTH = 24  # functions, subshells, eval, source and scripts inside each other, while running
MAX_LINE = 64 * 1024  # one Connect-shell input
USER_DATA_LIMIT = 16 * 1024  # what EC2 accepts (before base64)
SCRIPT_PATH = "/var/lib/cloud/instance/scripts/part-001"


# == syntax tree ===============================================================================


@dataclass
class Lit:
    text: str
    quoted: bool = False  # quoted text is neither split into fields nor globbed


@dataclass
class Param:
    name: str
    op: str = ""  # "", ":-", "-", ":=", "=", ":+", "+", ":?", "?", "#", "##", "%", "%%", "len", "bad"
    arg: Word | None = None
    quoted: bool = False


@dataclass
class CmdSub:
    body: Node
    quoted: bool = False


@dataclass
class Arith:
    expr: Word
    quoted: bool = False


@dataclass
class ProcSub:
    """<(...) or >(...): parsed so scripts using it still run; the substitution itself is not emulated."""


Part = Lit | Param | CmdSub | Arith | ProcSub


@dataclass
class Word:
    parts: list[Part]

    def plain(self) -> str | None:
        """The text of a single unquoted literal (how reserved words are recognised)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Lit) and not self.parts[0].quoted:
            return self.parts[0].text
        return None


@dataclass
class HereDoc:
    delim: str
    strip_tabs: bool
    expand: bool
    body: Word = field(default_factory=lambda: Word([]))


@dataclass
class Redirect:
    fd: int
    op: str
    target: Word | None = None
    heredoc: HereDoc | None = None


@dataclass
class Simple:
    assigns: list[tuple[str, bool, Word]]  # name, append (+=), value
    words: list[Word]
    redirects: list[Redirect]
    line: int


@dataclass
class Pipeline:
    commands: list[Node]
    negate: bool = False


@dataclass
class AndOr:
    first: Node
    rest: list[tuple[str, Node]]


@dataclass
class Seq:
    items: list[tuple[Node, bool]]  # node, ran with `&`


@dataclass
class If:
    clauses: list[tuple[Node, Node]]
    orelse: Node | None


@dataclass
class Loop:
    cond: Node
    body: Node
    until: bool


@dataclass
class For:
    var: str
    items: list[Word] | None
    body: Node


@dataclass
class Case:
    subject: Word
    arms: list[tuple[list[Word], Node]]


@dataclass
class Group:
    body: Node
    subshell: bool


@dataclass
class FuncDef:
    name: str
    body: Node


@dataclass
class Redirected:
    node: Node
    redirects: list[Redirect]


Node = Simple | Pipeline | AndOr | Seq | If | Loop | For | Case | Group | FuncDef | Redirected


# == parser ======================================================================================


class ParseError(Exception):
    def __init__(self, message: str, line: int, incomplete: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.incomplete = incomplete


@dataclass
class Tok:
    kind: str  # "word" | "op" | "newline" | "eof"
    text: str = ""
    word: Word | None = None
    fd: int | None = None
    line: int = 0


_OPERATORS = ("&&", "||", ";;", "&>>", "&>", "<<<", "<<-", "<<", ">>", ">&", "<&", ">|", "<>",
              ";", "&", "|", "(", ")", "<", ">")
_REDIRECT_OPS = frozenset({"<", ">", ">>", "<<", "<<-", "<<<", ">&", "<&", ">|", "<>", "&>", "&>>"})
_META = frozenset(" \t\n;&|<>()")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIGNED_CONSTANT = re.compile(r"([+-]?)([0-9][0-9A-Za-z_@#]*)")
_SPECIAL_PARAM = re.compile(r"[0-9]+|[@*#?$!-]")
_IO_NUMBER = re.compile(r"([0-9]{1,2})(?=[<>])")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=", re.DOTALL)
_PARAM_OPS = (":-", ":=", ":+", ":?", "-", "=", "+", "?", "##", "#", "%%", "%")
_CLOSERS_AFTER_IF = frozenset({"elif", "else", "fi"})
_NOT_COMMANDS = frozenset({"then", "else", "elif", "fi", "do", "done", "esac", "}"})
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v",
                 "\\": "\\", "'": "'", '"': '"'}


class Parser:
    """Reads one complete command at a time, so a script runs up to its first syntax error, as bash does."""

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

    # -- public ----------------------------------------------------------------------------------
    def parse_next(self) -> Node | None:
        self._skip_newlines()
        if self._peek().kind == "eof":
            return None
        node = self._line_list()
        tok = self._peek()
        if tok.kind == "newline":
            self._next()
        elif tok.kind != "eof":
            raise self._unexpected(tok)
        return node

    def parse_all(self) -> Node:
        items: list[tuple[Node, bool]] = []
        while (node := self.parse_next()) is not None:
            items.append((node, False))
        return Seq(items)

    def line_number(self) -> int:
        return self._line()

    def line_text(self, line: int) -> str:
        lines = self.src.split("\n")
        index = line - self._line_base
        return lines[index] if 0 <= index < len(lines) else ""

    # -- lexer ------------------------------------------------------------------------------------
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
        match = _IO_NUMBER.match(src, self.pos)
        if match:
            fd = int(match.group(1))
            self.pos = match.end()
        for op in _OPERATORS:
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
            if c in _META:
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

    def _read_dollar(self, quoted: bool) -> Part:
        src, p = self.src, self.pos
        nxt = src[p + 1 : p + 2]
        if src.startswith("$((", p):
            end = self._arith_end(p + 3)
            if end is not None:
                sub = self._child(src[p + 3 : end])
                self.pos = end + 2
                return Arith(Word(sub._read_dq(None)), quoted)
        if nxt == "(":
            self.pos += 1
            return self._read_subst_body(lambda body: CmdSub(body, quoted))
        if nxt == "{":
            return self._read_braced(quoted)
        if nxt == "'" and not quoted:
            return self._read_ansi_c()
        name = _NAME.match(src, p + 1) or (_SPECIAL_PARAM.match(src, p + 1) if nxt else None)
        if name is None:
            self.pos += 1
            return Lit("$", quoted)
        text = name.group()
        if text[0].isdigit():
            text = text[0]  # $10 is ${1}0
        self.pos = p + 1 + len(text)
        return Param(text, quoted=quoted)

    def _arith_end(self, start: int) -> int | None:
        depth = 0
        for i in range(start, len(self.src)):
            c = self.src[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    return i if self.src.startswith("))", i) else None
                depth -= 1
        return None

    def _child(self, text: str) -> Parser:
        self._nest()
        return Parser(text, line=self._line(), depth=self.depth, nesting=self.nesting)

    def _nest(self) -> None:
        if self.nesting >= MAX_NESTING:
            raise self._error(f"lblab: commands nested more than {MAX_NESTING} levels deep")
        self.nesting += 1

    def _read_subst_body(self, build: Callable[[Node], Part]) -> Part:
        """`(list)` after `$`, `<` or `>`: parsed in place, sharing this parser's position."""
        if self.depth >= MAX_SUBST_DEPTH:
            raise self._error(f"lblab: command substitution nested more than {MAX_SUBST_DEPTH} levels deep")
        self.pos += 1  # the "("
        self.depth += 1
        body = self._compound_list(frozenset({")"}), allow_empty=True)
        tok = self._next()
        if tok.kind != "op" or tok.text != ")":
            raise self._unexpected(tok)
        self.depth -= 1
        return build(body)

    def _read_backtick(self, quoted: bool) -> Part:
        src = self.src
        p = self.pos + 1
        buf: list[str] = []
        escapable = '$`\\"' if quoted else "$`\\"
        while True:
            if p >= len(src):
                raise self._error("unexpected EOF while looking for matching ``'", incomplete=True)
            c = src[p]
            if c == "`":
                break
            if c == "\\" and src[p + 1 : p + 2] and src[p + 1] in escapable:
                buf.append(src[p + 1])
                p += 2
            else:
                buf.append(c)
                p += 1
        line = self._line()
        self.pos = p + 1
        if self.depth >= MAX_SUBST_DEPTH:
            raise self._error(f"lblab: command substitution nested more than {MAX_SUBST_DEPTH} levels deep")
        return CmdSub(Parser("".join(buf), line=line, depth=self.depth + 1).parse_all(), quoted)

    def _read_braced(self, quoted: bool) -> Part:
        src = self.src
        p = self.pos + 2
        length = src.startswith("#", p) and not src.startswith("#}", p)
        if length:
            p += 1
        name = _NAME.match(src, p) or _SPECIAL_PARAM.match(src, p)
        if name is None:
            return self._bad_substitution(quoted)
        p = name.end()
        if length:
            if not src.startswith("}", p):
                return self._bad_substitution(quoted)
            self.pos = p + 1
            return Param(name.group(), "len", quoted=quoted)
        if src.startswith("}", p):
            self.pos = p + 1
            return Param(name.group(), quoted=quoted)
        op = next((o for o in _PARAM_OPS if src.startswith(o, p)), None)
        if op is None:
            return self._bad_substitution(quoted)
        self.pos = p + len(op)
        self._nest()
        arg = self._read_brace_arg(quoted)
        self.nesting -= 1
        return Param(name.group(), op, arg, quoted)

    def _bad_substitution(self, quoted: bool) -> Part:
        end = self.src.find("}", self.pos)
        if end < 0:
            raise self._error("unexpected EOF while looking for matching `}'", incomplete=True)
        text = self.src[self.pos : end + 1]
        self.pos = end + 1
        return Param(text, "bad", quoted=quoted)

    def _read_brace_arg(self, quoted: bool) -> Word:
        src = self.src
        parts: list[Part] = []
        buf: list[str] = []
        depth = 0
        while True:
            if self.pos >= len(src):
                raise self._error("unexpected EOF while looking for matching `}'", incomplete=True)
            c = src[self.pos]
            if c == "}" and depth == 0:
                self.pos += 1
                break
            if c in "$`'\"\\" and buf:
                parts.append(Lit("".join(buf), quoted))
                buf.clear()
            if c == "$":
                parts.append(self._read_dollar(quoted))
            elif c == "`":
                parts.append(self._read_backtick(quoted))
            elif c == "'" and not quoted:
                end = src.find("'", self.pos + 1)
                if end < 0:
                    raise self._error("unexpected EOF while looking for matching `''", incomplete=True)
                parts.append(Lit(src[self.pos + 1 : end], True))
                self.pos = end + 1
            elif c == '"':
                self.pos += 1
                parts.extend(self._read_dq('"'))
            elif c == "\\":
                parts.append(Lit(src[self.pos + 1 : self.pos + 2], True))
                self.pos += 2
            else:
                depth += {"{": 1, "}": -1}.get(c, 0)
                buf.append(c)
                self.pos += 1
        if buf:
            parts.append(Lit("".join(buf), quoted))
        return Word(parts)

    def _read_ansi_c(self) -> Part:
        src = self.src
        p = self.pos + 2
        out: list[str] = []
        while True:
            if p >= len(src):
                raise self._error("unexpected EOF while looking for matching `''", incomplete=True)
            c = src[p]
            if c == "'":
                break
            if c == "\\" and p + 1 < len(src):
                esc = src[p + 1]
                hexa = re.match(r"x([0-9A-Fa-f]{1,2})", src[p + 1 : p + 4])
                if hexa:
                    out.append(chr(int(hexa.group(1), 16)))
                    p += 1 + len(hexa.group())
                    continue
                out.append(_ANSI_ESCAPES.get(esc, "\\" + esc))
                p += 2
            else:
                out.append(c)
                p += 1
        self.pos = p + 1
        return Lit("".join(out), quoted=True)

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

    # -- grammar ----------------------------------------------------------------------------------
    def _skip_newlines(self) -> None:
        while self._peek().kind == "newline":
            self._next()

    def _unexpected(self, tok: Tok) -> ParseError:
        if tok.kind == "eof":
            return ParseError("syntax error: unexpected end of file", tok.line, incomplete=True)
        text = tok.text if tok.kind != "word" else (tok.word.plain() if tok.word else None) or "word"
        return ParseError(f"syntax error near unexpected token `{text}'", tok.line)

    def _is_keyword(self, tok: Tok, words: frozenset[str] | set[str]) -> bool:
        return tok.kind == "word" and tok.word is not None and tok.word.plain() in words

    def _at_closer(self, tok: Tok, closers: frozenset[str]) -> bool:
        return (tok.kind == "op" and tok.text in closers) or self._is_keyword(tok, closers)

    def _expect(self, keyword: str) -> None:
        tok = self._next()
        if not self._is_keyword(tok, {keyword}):
            raise self._unexpected(tok)

    def _line_list(self) -> Node:
        items: list[tuple[Node, bool]] = [(self._and_or(), False)]
        while True:
            tok = self._peek()
            if tok.kind != "op" or tok.text not in (";", "&"):
                break
            self._next()
            items[-1] = (items[-1][0], tok.text == "&")
            if self._peek().kind in ("newline", "eof"):
                break
            items.append((self._and_or(), False))
        return items[0][0] if len(items) == 1 and not items[0][1] else Seq(items)

    def _compound_list(self, closers: frozenset[str], allow_empty: bool = False) -> Node:
        items: list[tuple[Node, bool]] = []
        self._skip_newlines()
        while not self._at_closer(self._peek(), closers):
            if self._peek().kind == "eof":
                raise self._unexpected(self._peek())
            node = self._and_or()
            tok = self._peek()
            background = tok.kind == "op" and tok.text == "&"
            if (tok.kind == "op" and tok.text in (";", "&")) or tok.kind == "newline":
                self._next()
                self._skip_newlines()
            elif not self._at_closer(tok, closers):
                raise self._unexpected(tok)
            items.append((node, background))
        if not items and not allow_empty:
            raise self._unexpected(self._peek())
        return Seq(items)

    def _and_or(self) -> Node:
        first = self._pipeline()
        rest: list[tuple[str, Node]] = []
        while (tok := self._peek()).kind == "op" and tok.text in ("&&", "||"):
            self._next()
            self._skip_newlines()
            rest.append((tok.text, self._pipeline()))
        return AndOr(first, rest) if rest else first

    def _pipeline(self) -> Node:
        negate = self._is_keyword(self._peek(), {"!"})
        if negate:
            self._next()
        commands = [self._command()]
        while (tok := self._peek()).kind == "op" and tok.text == "|":
            self._next()
            self._skip_newlines()
            commands.append(self._command())
        return Pipeline(commands, negate) if negate or len(commands) > 1 else commands[0]

    def _command(self) -> Node:
        self._nest()
        try:
            tok = self._peek()
            keyword = tok.word.plain() if tok.kind == "word" and tok.word else None
            compound: dict[str, Callable[[], Node]] = {
                "if": self._if, "while": self._loop, "until": self._loop, "for": self._for,
                "case": self._case, "{": self._brace_group, "function": self._function_keyword,
            }
            if keyword in compound:
                node = compound[keyword]()
            elif keyword in _NOT_COMMANDS:
                raise self._unexpected(tok)
            elif tok.kind == "op" and tok.text == "(":
                self._next()
                body = self._compound_list(frozenset({")"}))
                self._next()
                node = Group(body, subshell=True)
            elif tok.kind == "word" or (tok.kind == "op" and tok.text in _REDIRECT_OPS):
                return self._simple()
            else:
                raise self._unexpected(tok)
            if isinstance(node, FuncDef):
                return node
            redirects: list[Redirect] = []
            while (tok := self._peek()).kind == "op" and tok.text in _REDIRECT_OPS:
                redirects.append(self._redirect())
            return Redirected(node, redirects) if redirects else node
        finally:
            self.nesting -= 1

    def _simple(self) -> Node:
        assigns: list[tuple[str, bool, Word]] = []
        words: list[Word] = []
        redirects: list[Redirect] = []
        line = self._peek().line
        while True:
            tok = self._peek()
            if tok.kind == "word" and tok.word is not None:
                self._next()
                assignment = _assignment(tok.word) if not words else None
                if assignment is not None:
                    assigns.append(assignment)
                else:
                    words.append(tok.word)
            elif tok.kind == "op" and tok.text in _REDIRECT_OPS:
                redirects.append(self._redirect())
            elif tok.kind == "op" and tok.text == "(" and len(words) == 1 and not assigns and not redirects:
                return self._function_body(words[0].plain())
            elif tok.kind == "op" and tok.text == "(" and assigns and not words and not assigns[-1][2].parts:
                raise self._error("lblab: bash arrays, name=(...), are not emulated")
            else:
                break
        if not (assigns or words or redirects):
            raise self._unexpected(self._peek())
        return Simple(assigns, words, redirects, line)

    def _function_body(self, name: str | None) -> Node:
        self._next()  # (
        tok = self._next()
        if tok.kind != "op" or tok.text != ")":
            raise self._unexpected(tok)
        if not name:
            raise self._unexpected(tok)
        self._skip_newlines()
        return FuncDef(name, self._command())

    def _function_keyword(self) -> Node:
        self._next()  # function
        tok = self._next()
        name = tok.word.plain() if tok.kind == "word" and tok.word else None
        if not name:
            raise self._unexpected(tok)
        if (nxt := self._peek()).kind == "op" and nxt.text == "(":
            return self._function_body(name)
        self._skip_newlines()
        return FuncDef(name, self._command())

    def _redirect(self) -> Redirect:
        tok = self._next()
        op = tok.text
        target = self._next()
        if target.kind != "word" or target.word is None:
            raise self._unexpected(target)
        fd = tok.fd if tok.fd is not None else (0 if op[0] == "<" else 1)
        if op in ("<<", "<<-"):
            delim = "".join(p.text for p in target.word.parts if isinstance(p, Lit))
            quoted = any(not isinstance(p, Lit) or p.quoted for p in target.word.parts)
            doc = HereDoc(delim, strip_tabs=op == "<<-", expand=not quoted)
            self._heredocs.append(doc)
            return Redirect(fd, op, None, doc)
        return Redirect(fd, op, target.word)

    def _if(self) -> Node:
        self._next()
        clauses: list[tuple[Node, Node]] = []
        orelse: Node | None = None
        while True:
            cond = self._compound_list(frozenset({"then"}))
            self._expect("then")
            clauses.append((cond, self._compound_list(_CLOSERS_AFTER_IF)))
            keyword = self._next().word
            word = keyword.plain() if keyword else None
            if word == "elif":
                continue
            if word == "else":
                orelse = self._compound_list(frozenset({"fi"}))
                self._expect("fi")
            return If(clauses, orelse)

    def _loop(self) -> Node:
        until = self._next().word.plain() == "until"  # type: ignore[union-attr]
        cond = self._compound_list(frozenset({"do"}))
        self._expect("do")
        body = self._compound_list(frozenset({"done"}))
        self._expect("done")
        return Loop(cond, body, until)

    def _for(self) -> Node:
        self._next()
        tok = self._next()
        name = tok.word.plain() if tok.kind == "word" and tok.word else None
        if not name or not _NAME.fullmatch(name):
            if tok.kind == "op" and tok.text == "(":
                raise self._error("lblab: arithmetic for loops `for ((...))` are not emulated")
            raise self._unexpected(tok)
        items: list[Word] | None = None
        self._skip_newlines()
        if self._is_keyword(self._peek(), {"in"}):
            self._next()
            items = []
            while (tok := self._peek()).kind == "word" and tok.word is not None:
                items.append(self._next().word)  # type: ignore[arg-type]
        if (tok := self._peek()).kind == "op" and tok.text == ";":
            self._next()
        self._skip_newlines()
        self._expect("do")
        body = self._compound_list(frozenset({"done"}))
        self._expect("done")
        return For(name, items, body)

    def _case(self) -> Node:
        self._next()
        subject = self._next()
        if subject.kind != "word" or subject.word is None:
            raise self._unexpected(subject)
        self._skip_newlines()
        self._expect("in")
        arms: list[tuple[list[Word], Node]] = []
        self._skip_newlines()
        while not self._is_keyword(self._peek(), {"esac"}):
            if (tok := self._peek()).kind == "op" and tok.text == "(":
                self._next()
            patterns: list[Word] = []
            while True:
                tok = self._next()
                if tok.kind != "word" or tok.word is None:
                    raise self._unexpected(tok)
                patterns.append(tok.word)
                sep = self._next()
                if sep.kind == "op" and sep.text == ")":
                    break
                if sep.kind != "op" or sep.text != "|":
                    raise self._unexpected(sep)
            arms.append((patterns, self._compound_list(frozenset({";;", "esac"}), allow_empty=True)))
            if (tok := self._peek()).kind == "op" and tok.text == ";;":
                self._next()
                self._skip_newlines()
        self._next()
        return Case(subject.word, arms)

    def _brace_group(self) -> Node:
        self._next()
        body = self._compound_list(frozenset({"}"}))
        self._next()
        return Group(body, subshell=False)


def _assignment(word: Word) -> tuple[str, bool, Word] | None:
    first = word.parts[0] if word.parts else None
    if not isinstance(first, Lit) or first.quoted:
        return None
    match = _ASSIGNMENT.match(first.text)
    if match is None:
        return None
    rest: list[Part] = [Lit(first.text[match.end() :])] if match.end() < len(first.text) else []
    return match.group(1), bool(match.group(2)), Word(rest + word.parts[1:])


# == interpreter =================================================================================


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Return(_Exit):
    pass


class _LoopControl(Exception):
    def __init__(self, kind: str, count: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.count = count


class _ExpansionError(Exception):
    """A word could not be expanded: the command is not run (and a script stops if `fatal`)."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.fatal = fatal


class _ArithError(_ExpansionError):
    """An error inside `$(( ))`: as in bash, the whole command being run is abandoned (status 1) and the
    script goes on with the next one; a subshell or command substitution abandons only its own."""


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
_BASH_BUILTINS = frozenset({"echo", "printf", "pwd", "test", "[", "[[", "true", "false", ":"})
_BIN_DIRS = frozenset({"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"})
_SHEBANG_SHELLS = re.compile(r"#!\s*(?:/usr)?/bin/(?:env\s+)?(?:ba|da)?sh\b(.*)")
_SAFE_TRACE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_ARITH_TOKEN = re.compile(r"\s*(?:([0-9][0-9A-Za-z_@#]*)|([A-Za-z_][A-Za-z0-9_]*)|"
                          r"(\*\*|<=|>=|==|!=|&&|\|\||<<|>>|[-+*/%()<>!~&|^]))")
_ARITH_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"),
    ("*", "/", "%"),
)


def _trace_quote(arg: str) -> str:
    if _SAFE_TRACE.fullmatch(arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


class _Interp:
    def __init__(self, os: InstanceOS, user: str, *, interactive: bool, script_name: str, cwd: str) -> None:
        self.os = os
        self.user = user
        self.interactive = interactive
        self.script_name = script_name
        self.budget = Budget()
        self.cwd = cwd
        self.vars: dict[str, str] = {}
        self.exported: set[str] = set()
        self.functions: dict[str, Node] = {}
        self.positional: list[str] = []
        self.locals: list[dict[str, str | None]] = []
        self.status = 0
        self.errexit = self.xtrace = self.pipefail = self.nounset = False
        self.cond_depth = 0
        self.loop_depth = 0
        self.call_depth = 0
        self.trace_level = 1
        self.line = 0
        self.err: Sink = Discard()  # the current command's stderr, for expansion errors
        self.exec_io: IO | None = None  # set by `exec >file`: where later commands write
        self.subst_status: int | None = None
        self.user_stack: list[tuple[str, str, dict[str, str], set[str]]] = []
        self.closed = False
        self._login(user, cwd)

    def _login(self, user: str, cwd: str) -> None:
        home = self.os.home_of(user)
        if self.os.distro == "ubuntu":
            path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin"
        elif user == "root":
            path = "/root/.local/bin:/root/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
        else:
            path = f"{home}/.local/bin:{home}/bin:/usr/local/bin:/usr/bin:/usr/local/sbin:/usr/sbin"
        env = {"HOME": home, "USER": user, "LOGNAME": user, "SHELL": "/bin/bash", "PATH": path, "PWD": cwd,
               "LANG": "C.UTF-8", "HOSTNAME": self.os.hostname, "TERM": "xterm-256color"}
        self.vars = dict(env)
        self.exported = set(env)
        self.user = user
        self.cwd = cwd

    def fork(self) -> _Interp:
        """A subshell: a copy of the state that shares the budget and the instance."""
        if self.call_depth >= MAX_CALL_DEPTH:
            raise ShellAbort(f"more than {MAX_CALL_DEPTH} nested subshells or function calls; script stopped")
        child = object.__new__(_Interp)
        child.__dict__.update(self.__dict__)
        child.vars = dict(self.vars)
        child.exported = set(self.exported)
        child.functions = dict(self.functions)
        child.positional = list(self.positional)
        child.locals = [dict(frame) for frame in self.locals]
        child.user_stack = []
        child.call_depth = self.call_depth + 1
        return child

    # -- messages -------------------------------------------------------------------------------
    def _prefix(self) -> str:
        return "-bash: " if self.interactive else f"{self.script_name}: line {self.line}: "

    def shell_error(self, message: str) -> None:
        self.err.write(f"{self._prefix()}{message}\n")

    # -- running source text ----------------------------------------------------------------------
    def run_source(self, text: str, io: IO) -> int:
        """Parse and run `text` one complete command at a time; `exit` ends it."""
        try:
            status = self._run_in_place(text, io)
        except _Exit as done:
            status = done.status
            if self.interactive:
                self._logout(io)
        self.status = status
        return status

    def _run_in_place(self, text: str, io: IO) -> int:
        parser = Parser(text)
        status = 0
        while True:
            try:
                node = parser.parse_next()
            except ParseError as error:
                self._report_parse_error(error, parser, io)
                return 2
            finally:
                if parser.warnings:
                    self.line = parser.line_number()
                for warning in parser.warnings:
                    io.err.write(f"{self._prefix()}{warning}\n")
                parser.warnings.clear()
            if node is None:
                return status
            status = self.run_command(node, self.exec_io or io)

    def _report_parse_error(self, error: ParseError, parser: Parser, io: IO) -> None:
        if error.message.startswith("lblab:"):
            io.err.write(error.message + "\n")
            return
        self.line = error.line
        io.err.write(f"{self._prefix()}{error.message}\n")
        if "near unexpected token" in error.message and not self.interactive:
            io.err.write(f"{self._prefix()}`{parser.line_text(error.line)}'\n")
        elif error.incomplete and "matching" in error.message:
            io.err.write(f"{self._prefix()}syntax error: unexpected end of file\n")

    def _logout(self, io: IO) -> None:
        if self.user_stack:
            self.user, self.cwd, self.vars, self.exported = self.user_stack.pop()
            io.out.write("logout\n")
        else:
            io.out.write("logout\n")
            self.closed = True

    # -- nodes ----------------------------------------------------------------------------------------
    def run_command(self, node: Node, io: IO) -> int:
        """One complete command of the input, or a subshell's body: an arithmetic error abandons all of it."""
        try:
            return self.run_node(node, io)
        except _ArithError as error:
            io.err.write(f"{self._prefix()}{error.message}\n")
            self.status = 1
            return 1

    def run_node(self, node: Node, io: IO) -> int:
        self.err = io.err
        try:
            status = self._dispatch(node, io)
        except _ArithError:
            raise
        except _ExpansionError as error:
            self.shell_error(error.message)
            if error.fatal and not self.interactive:
                raise _Exit(1) from None
            status = 1
        self.status = status
        return status

    def _dispatch(self, node: Node, io: IO) -> int:
        match node:
            case Simple():
                return self._errexit(self._simple(node, io))
            case Pipeline():
                return self._pipeline(node, io)
            case AndOr():
                return self._and_or(node, io)
            case Seq():
                status = 0
                for item, background in node.items:
                    status = self.run_node(item, io)
                    if background:
                        self.vars["!"] = str(self.os.fake_pid("background"))
                        status = 0
                return status
            case If():
                for cond, body in node.clauses:
                    if self._condition(cond, io) == 0:
                        return self.run_node(body, io)
                return self.run_node(node.orelse, io) if node.orelse is not None else 0
            case Loop():
                return self._loop(node, io)
            case For():
                return self._for(node, io)
            case Case():
                return self._case(node, io)
            case Group(subshell=True):
                return self._errexit(self._subshell(node.body, io))
            case Group():
                return self.run_node(node.body, io)
            case FuncDef():
                self.functions[node.name] = node.body
                return 0
            case Redirected():
                redirected = self._redirect(node.redirects, io)
                return 1 if redirected is None else self.run_node(node.node, redirected)
        raise AssertionError(node)

    def _errexit(self, status: int) -> int:
        if status and self.errexit and self.cond_depth == 0:
            raise _Exit(status)
        return status

    def _condition(self, node: Node, io: IO) -> int:
        self.cond_depth += 1
        try:
            return self.run_node(node, io)
        finally:
            self.cond_depth -= 1

    def _simple(self, node: Simple, io: IO) -> int:
        self.budget.step()
        self.line = node.line
        self.subst_status = None
        argv = self._expand_words(node.words)
        values = [(name, append, self._expand_str(word)) for name, append, word in node.assigns]
        redirected = self._redirect(node.redirects, io)
        if redirected is None:
            return 1
        if not argv:
            for name, append, value in values:
                self._assign(name, value, append)
            return self.subst_status or 0
        if self.xtrace:
            shown = [f"{n}={v}" for n, _a, v in values] + argv
            io.err.write("+" * self.trace_level + " " + " ".join(_trace_quote(a) for a in shown) + "\n")
        saved = {name: (self.vars.get(name), name in self.exported) for name, _a, _v in values}
        for name, append, value in values:
            self._assign(name, value, append)
            self.exported.add(name)
        try:
            return self.run_argv(argv, redirected)
        finally:
            for name, (old, was_exported) in saved.items():
                self._restore(name, old, was_exported)

    def _restore(self, name: str, old: str | None, exported: bool) -> None:
        if old is None:
            self.vars.pop(name, None)
        else:
            self.vars[name] = old
        if not exported:
            self.exported.discard(name)

    def _assign(self, name: str, value: str, append: bool = False) -> None:
        if append:
            value = self.vars.get(name, "") + value
        if len(value) > MAX_BUFFER:
            raise ShellAbort(f"variable {name} grew beyond 1 MB; script stopped")
        self.vars[name] = value

    def _pipeline(self, node: Pipeline, io: IO) -> int:
        if node.negate:
            inner = Pipeline(node.commands) if len(node.commands) > 1 else node.commands[0]
            return 0 if self._condition(inner, io) else 1
        stdin = io.stdin
        statuses: list[int] = []
        for i, command in enumerate(node.commands):
            last = i == len(node.commands) - 1
            out: Sink = io.out if last else Capture()
            child = self.fork()
            try:
                statuses.append(child.run_command(command, IO(stdin, out, io.err)))
            except _Exit as done:
                statuses.append(done.status)
            if isinstance(out, Capture):
                stdin = Input(out.text())
        status = next((s for s in reversed(statuses) if s), 0) if self.pipefail else statuses[-1]
        return self._errexit(status)

    def _and_or(self, node: AndOr, io: IO) -> int:
        status = self._condition(node.first, io)
        for i, (op, right) in enumerate(node.rest):
            if (op == "&&") == (status == 0):
                last = i == len(node.rest) - 1
                status = self.run_node(right, io) if last else self._condition(right, io)
        return status

    def _loop(self, node: Loop, io: IO) -> int:
        status = 0
        self.loop_depth += 1
        try:
            while True:
                if (self._condition(node.cond, io) == 0) == node.until:
                    return status
                try:
                    status = self.run_node(node.body, io)
                except _LoopControl as control:
                    if control.count > 1:
                        control.count -= 1
                        raise
                    if control.kind == "break":
                        return 0
        finally:
            self.loop_depth -= 1

    def _for(self, node: For, io: IO) -> int:
        items = self._expand_words(node.items) if node.items is not None else list(self.positional)
        status = 0
        self.loop_depth += 1
        try:
            for item in items:
                self._assign(node.var, item)
                try:
                    status = self.run_node(node.body, io)
                except _LoopControl as control:
                    if control.count > 1:
                        control.count -= 1
                        raise
                    if control.kind == "break":
                        break
        finally:
            self.loop_depth -= 1
        return status

    def _case(self, node: Case, io: IO) -> int:
        subject = self._expand_str(node.subject)
        for patterns, body in node.arms:
            for pattern in patterns:
                if fnmatch.fnmatchcase(subject, self._expand_pattern(pattern)):
                    return self.run_node(body, io)
        return 0

    def _subshell(self, body: Node, io: IO) -> int:
        try:
            return self.fork().run_command(body, io)
        except _Exit as done:
            return done.status

    def _call(self, name: str, args: list[str], io: IO) -> int:
        if self.call_depth >= MAX_CALL_DEPTH:
            raise ShellAbort(f"more than {MAX_CALL_DEPTH} nested subshells or function calls; script stopped")
        saved_args, self.positional = self.positional, args
        self.locals.append({})
        self.call_depth += 1
        try:
            return self.run_node(self.functions[name], io)
        except _Return as returned:
            return returned.status
        finally:
            self.call_depth -= 1
            for var, old in self.locals.pop().items():
                self._restore(var, old, var in self.exported)
            self.positional = saved_args

    # -- expansion --------------------------------------------------------------------------------------
    def _expand_words(self, words: list[Word]) -> list[str]:
        out: list[str] = []
        for i, word in enumerate(words):
            if i and out and out[0] in _DECLARATIONS and _assignment(word) is not None:
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
            raise _ExpansionError(f"{name}: bad substitution (lblab emulates ${{x}}, ${{x:-y}}, ${{#x}}, "
                                  "${x#p} and ${x%p} forms)")
        value = self._param_value(name)
        if op == "len":
            value = str(len(value or ""))
        elif op:
            value = self._param_op(name, op, value, part.arg or Word([]))
        elif value is None and self.nounset and name not in ("@", "*", "!"):
            raise _ExpansionError(f"{name}: unbound variable", fatal=True)
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
                raise _ExpansionError(f"{name}: {message}", fatal=True)
            return value
        return _trim(value or "", self._expand_pattern(arg), op)

    def _command_substitution(self, body: Node) -> str:
        child = self.fork()
        child.trace_level += 1
        out = Capture()
        try:
            status = child.run_command(body, IO(Input(""), out, self.err))
        except _Exit as done:
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

    def _arith(self, text: str) -> int:
        tokens: list[str] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _ARITH_TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                token = text[pos:]
                raise _ArithError(f'{text}: syntax error: operand expected (error token is "{token}")')
            tokens.append(match.group().strip())
            pos = match.end()
        value, rest = self._arith_binary(tokens, 0, text)
        if rest:
            raise _ArithError(f"{text}: syntax error in expression (error token is \"{' '.join(rest)}\")")
        return value

    def _arith_binary(self, tokens: list[str], level: int, text: str) -> tuple[int, list[str]]:
        if level == len(_ARITH_LEVELS):
            return self._arith_unary(tokens, text)
        left, tokens = self._arith_binary(tokens, level + 1, text)
        while tokens and tokens[0] in _ARITH_LEVELS[level]:
            op = tokens[0]
            right, tokens = self._arith_binary(tokens[1:], level + 1, text)
            left = wrap64(_arith_apply(op, left, right, text))
        return left, tokens

    def _arith_unary(self, tokens: list[str], text: str) -> tuple[int, list[str]]:
        if not tokens:
            raise _ArithError(f"{text}: syntax error: operand expected")
        head, rest = tokens[0], tokens[1:]
        if head in ("-", "+", "!", "~"):
            value, rest = self._arith_unary(rest, text)
            return wrap64({"-": -value, "+": value, "!": int(not value), "~": ~value}[head]), rest
        if head == "(":
            value, rest = self._arith_binary(rest, 0, text)
            if not rest or rest[0] != ")":
                raise _ArithError(f"{text}: missing `)'")
            rest = rest[1:]
        elif head[0].isascii() and head[0].isdigit():
            value = _constant(head, text)
        elif _NAME.fullmatch(head):
            value = self._arith_variable(head)
        else:
            raise _ArithError(f"{text}: syntax error: operand expected (error token is \"{head}\")")
        if rest and rest[0] == "**":
            exponent, rest = self._arith_unary(rest[1:], text)
            if exponent < 0:
                raise _ArithError(f"{text}: exponent less than 0")
            value = wrap64(pow(value, exponent, 1 << 64))
        return wrap64(value), rest

    def _arith_variable(self, name: str) -> int:
        """A variable's value in arithmetic: bash evaluates it in its turn, so `x=08` fails as `08` does."""
        raw = self.vars.get(name, "0").strip() or "0"
        number = _SIGNED_CONSTANT.fullmatch(raw)
        if number is None:
            return 0
        value = _constant(number.group(2), raw)
        return wrap64(-value) if number.group(1) == "-" else value

    # -- redirection --------------------------------------------------------------------------------------
    def _redirect(self, redirects: list[Redirect], io: IO) -> IO | None:
        stdin, out, err = io.stdin, io.out, io.err
        for r in redirects:
            if r.heredoc is not None:
                stdin = Input(self._expand_str(r.heredoc.body))
                continue
            target = self._expand_str(r.target or Word([]))
            if r.target and any(isinstance(p, ProcSub) for p in r.target.parts):
                continue  # reported while expanding; the stream stays where it was
            if r.op == "<<<":
                stdin = Input(target + "\n")
            elif r.op in (">&", "<&") and (target.isdigit() or target == "-"):
                source = {"1": out, "2": err}.get(target, Discard())
                if r.fd == 1:
                    out = source
                elif r.fd == 2:
                    err = source
            elif r.op in ("<", "<>"):
                text = self._read_redirect(target)
                if text is None:
                    return None
                if r.fd == 0:
                    stdin = Input(text)
            else:
                sink = self._open_write(target, r.op in (">>", "&>>"), out, err)
                if sink is None:
                    return None
                if r.op in ("&>", "&>>", ">&"):
                    out = err = sink
                elif r.fd == 1:
                    out = sink
                elif r.fd == 2:
                    err = sink
        return IO(stdin, out, err)

    def _read_redirect(self, target: str) -> str | None:
        if target == "/dev/null":
            return ""
        try:
            return read_vfs_file(self.os, self.user, normalize(target, self.cwd), self.budget)
        except VfsError as error:
            self.shell_error(f"{target}: {reason(error)}")
            return None

    def _open_write(self, target: str, append: bool, out: Sink, err: Sink) -> Sink | None:
        devices: dict[str, Sink] = {"/dev/null": Discard(), "/dev/stdout": out, "/dev/tty": out,
                                    "/dev/console": out, "/dev/stderr": err}
        if target in devices:
            return devices[target]
        if not target:
            self.shell_error("ambiguous redirect")
            return None
        path = normalize(target, self.cwd)
        fs = self.os.fs
        problem = write_problem(self.os, self.user, path)
        if problem:
            self.shell_error(f"{target}: {problem}")
            return None
        created = not fs.exists(path)
        try:
            if created or not append:
                fs.write_bytes(path, b"")
        except VfsError as error:
            self.shell_error(f"{target}: {reason(error)}")
            return None
        if created:
            self.os.note_created(path, self.user)
        return FileSink(self.os.fs, path, self.budget)

    # -- commands ---------------------------------------------------------------------------------------
    def run_argv(self, argv: list[str], io: IO) -> int:
        name = argv[0]
        if name in self.functions:
            return self._call(name, argv[1:], io)
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin(self, argv[1:], io)
        return self._program(argv, io)

    def _program(self, argv: list[str], io: IO) -> int:
        """A program on the PATH (or given by path): emulated, a script in the VFS, or not emulated."""
        name = argv[0]
        if "/" in name:
            path = normalize(name, self.cwd)
            if posixpath.dirname(path) not in _BIN_DIRS:
                return self._run_file(name, argv[1:], io)
            name = posixpath.basename(path)
            if not self._known(name) and not self.os.fs.exists(path):
                self.shell_error(f"{argv[0]}: No such file or directory")
                return 127
        if not self._available(name):
            self.shell_error(f"{name}: command not found")
            return 127
        program = _PROGRAMS.get(name)
        if program is not None:
            return program(self, argv[1:], io)
        command = COMMANDS.get(name)
        if command is not None:
            env = {k: v for k, v in self.vars.items() if k in self.exported}
            label = self._prefix() + name if name in _BASH_BUILTINS else name
            try:
                return command(Ctx(self.os, self.user, self.cwd, env, name, argv[1:], io.stdin, io.out,
                                   io.err, self.interactive, self.budget, label))
            except VfsError as error:  # e.g. the disk filled up half-way through a copy
                io.err.write(f"{label}: {error}\n")
                return 1
        io.err.write(f"lblab: '{name}' is not emulated; skipped\n")
        return 127

    def _known(self, name: str) -> bool:
        distro = self.os.distro
        return (name in COMMANDS or name in _PROGRAMS or name in packages.TOOLS[distro]
                or bool(packages.command_packages(distro, name)))

    def _available(self, name: str) -> bool:
        """False when the command does not exist on this distro, or its package is not installed."""
        distro = self.os.distro
        if any(name in tools for tools in packages.TOOLS.values()) and name not in packages.TOOLS[distro]:
            return False
        if name == "chkconfig" and distro == "ubuntu":
            return False
        providers = packages.command_packages(distro, name)
        if providers:
            return any(p in self.os.packages for p in providers)
        # A command packaged only on other distros (apache2 on Amazon Linux) does not exist here.
        return not any(name in p.commands for c in packages.CATALOGUE.values() for p in c.values())

    def _read_script(self, name: str) -> str | None:
        try:
            return read_vfs_file(self.os, self.user, normalize(name, self.cwd), self.budget)
        except VfsError as error:
            self.shell_error(f"{name}: {reason(error)}")
            return None

    def _run_file(self, name: str, args: list[str], io: IO) -> int:
        path = normalize(name, self.cwd)
        fs = self.os.fs
        if not fs.exists(path):
            self.shell_error(f"{name}: No such file or directory")
            return 127
        if fs.is_dir(path):
            self.shell_error(f"{name}: Is a directory")
            return 126
        if not self.os.allowed(path, self.user, "x") or not fs.mode(path) & 0o111:
            self.shell_error(f"{name}: Permission denied")
            return 126
        text = self._read_script(name)
        if text is None:
            return 126
        first = text.split("\n", 1)[0]
        if first.startswith("#!") and not _SHEBANG_SHELLS.match(first):
            io.err.write(f"lblab: '{name}' is a {first[2:].strip()} script, which is not emulated; skipped\n")
            return 127
        return self._new_process(name, args).run_source(text, io)

    def _new_process(self, name: str, args: list[str]) -> _Interp:
        """A child bash: exported variables only, no functions, no options, not interactive."""
        child = self.fork()
        child.vars = {k: v for k, v in self.vars.items() if k in self.exported}
        child.functions = {}
        child.locals = []
        child.errexit = child.xtrace = child.pipefail = child.nounset = False
        child.interactive = False
        child.script_name = name
        child.positional = list(args)
        return child

    def _enter(self) -> None:
        if self.call_depth >= MAX_CALL_DEPTH:
            raise ShellAbort(f"more than {MAX_CALL_DEPTH} nested subshells or function calls; script stopped")
        self.call_depth += 1

    def _status_arg(self, args: list[str], name: str) -> int:
        if not args:
            return self.status
        number = legal_number(args[0])
        if number is not None:
            return number & 255
        self.shell_error(f"{name}: {args[0]}: numeric argument required")
        return 2

    def _switch_user(self, target: str, login: bool, io: IO) -> int:
        if not self.interactive:
            return 0  # a script's `sudo su` starts a shell that reads no input and ends at once
        self.user_stack.append((self.user, self.cwd, self.vars, self.exported))
        self._login(target, self.os.home_of(target) if login else self.cwd)
        return 0

    def _describe(self, name: str) -> str:
        """'function', 'builtin', a program's path, or '' when bash would not find it."""
        if name in self.functions:
            return "function"
        if name in _BUILTINS or name in _BASH_BUILTINS:
            return "builtin"
        if self._known(name) and self._available(name):
            return f"/usr/{'sbin' if name in SBIN_COMMANDS else 'bin'}/{name}"
        return ""

    # -- shell builtins (they change the shell itself) ---------------------------------------------------
    def _b_cd(self, args: list[str], io: IO) -> int:
        args = [a for a in args if a not in ("-L", "-P", "--")]
        target = args[0] if args else self.vars.get("HOME", "/")
        if target == "-":
            target = self.vars.get("OLDPWD", self.cwd)
            io.out.write(target + "\n")
        path = normalize(target, self.cwd)
        fs = self.os.fs
        if not fs.exists(path):
            problem = "No such file or directory"
        elif not fs.is_dir(path):
            problem = "Not a directory"
        else:
            problem = "" if self.os.allowed(path, self.user, "x") else "Permission denied"
        if problem:
            self.shell_error(f"cd: {target}: {problem}")
            return 1
        self.vars["OLDPWD"], self.cwd, self.vars["PWD"] = self.cwd, path, path
        return 0

    def _b_export(self, args: list[str], io: IO) -> int:
        names = [a for a in args if not a.startswith("-")]
        if not names:
            for name in sorted(self.exported & set(self.vars)):
                io.out.write(f'declare -x {name}="{self.vars[name]}"\n')
            return 0
        status = 0
        for arg in names:
            name, eq, value = arg.partition("=")
            if not _NAME.fullmatch(name):
                self.shell_error(f"export: `{arg}': not a valid identifier")
                status = 1
                continue
            if eq:
                self._assign(name, value)
            if "-n" in args:
                self.exported.discard(name)
            else:
                self.exported.add(name)
        return status

    def _b_declare(self, args: list[str], io: IO) -> int:
        export = any(a.startswith("-") and "x" in a for a in args)
        for arg in args:
            name, eq, value = arg.partition("=")
            if _NAME.fullmatch(name):
                if eq:
                    self._assign(name, value)
                if export:
                    self.exported.add(name)
        return 0

    def _b_local(self, args: list[str], io: IO) -> int:
        if not self.locals:
            self.shell_error("local: can only be used in a function")
            return 1
        for arg in args:
            name, _eq, value = arg.partition("=")
            if _NAME.fullmatch(name):
                self.locals[-1].setdefault(name, self.vars.get(name))
                self._assign(name, value)
        return 0

    def _b_unset(self, args: list[str], io: IO) -> int:
        for name in (a for a in args if not a.startswith("-")):
            if "-f" in args:
                self.functions.pop(name, None)
            else:
                self.vars.pop(name, None)
                self.exported.discard(name)
        return 0

    def _b_set(self, args: list[str], io: IO) -> int:
        if not args:
            io.out.write("".join(f"{k}={_trace_quote(v)}\n" for k, v in sorted(self.vars.items())))
            return 0
        options = {"errexit": "errexit", "xtrace": "xtrace", "nounset": "nounset", "pipefail": "pipefail",
                   "e": "errexit", "x": "xtrace", "u": "nounset"}
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                self.positional = rest
                return 0
            if arg[:1] not in ("-", "+") or len(arg) < 2:
                self.positional = [arg, *rest]
                return 0
            on = arg[0] == "-"
            for flag in arg[1:]:
                name = rest.pop(0) if flag == "o" and rest else flag
                if name in options:
                    setattr(self, options[name], on)
                elif flag == "o":
                    self.shell_error(f"set: {name}: invalid option name")
                    return 1
        return 0

    def _b_shift(self, args: list[str], io: IO) -> int:
        count = legal_number(args[0]) if args else 1
        if count is None or count < 0:
            problem = "numeric argument required" if count is None else "shift count out of range"
            self.shell_error(f"shift: {args[0]}: {problem}")
            return 1
        if count > len(self.positional):
            return 1
        self.positional = self.positional[count:]
        return 0

    def _b_exit(self, args: list[str], io: IO) -> int:
        raise _Exit(self._status_arg(args, "exit"))

    def _b_return(self, args: list[str], io: IO) -> int:
        if not self.locals and not self.vars.get("BASH_SOURCE"):
            self.shell_error("return: can only `return' from a function or sourced script")
            return 1
        raise _Return(self._status_arg(args, "return"))

    def _b_break(self, args: list[str], io: IO, kind: str = "break") -> int:
        if self.loop_depth == 0:
            self.shell_error(f"{kind}: only meaningful in a `for', `while', or `until' loop")
            return 0
        count = legal_number(args[0]) if args else 1
        if count is None:
            # bash treats this as a fatal usage error: a script stops with status 128
            self.shell_error(f"{kind}: {args[0]}: numeric argument required")
            if not self.interactive:
                raise _Exit(128)
            return 128
        raise _LoopControl(kind, min(max(count, 1), self.loop_depth))

    def _b_continue(self, args: list[str], io: IO) -> int:
        return self._b_break(args, io, "continue")

    def _b_source(self, args: list[str], io: IO) -> int:
        if not args:
            self.shell_error("source: filename argument required")
            return 2
        text = self._read_script(args[0])
        if text is None:
            return 1
        saved = self.positional, self.vars.get("BASH_SOURCE")
        self.positional = args[1:] or self.positional
        self.vars["BASH_SOURCE"] = args[0]
        self._enter()
        try:
            return self._run_in_place(text, io)
        except _Return as returned:
            return returned.status
        finally:
            self.call_depth -= 1
            self.positional = saved[0]
            self._restore("BASH_SOURCE", saved[1], False)

    def _b_eval(self, args: list[str], io: IO) -> int:
        self._enter()
        try:
            return self._run_in_place(" ".join(args), io)
        finally:
            self.call_depth -= 1

    def _b_exec(self, args: list[str], io: IO) -> int:
        if args:
            raise _Exit(self.run_argv(args, io))
        self.exec_io = io
        return 0

    def _b_read(self, args: list[str], io: IO) -> int:
        names: list[str] = []
        raw = False
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "-r":
                raw = True
            elif arg in ("-p", "-t", "-n", "-N", "-d", "-u", "-a") and rest:
                prompt = rest.pop(0)
                if arg == "-p" and self.interactive:
                    io.err.write(prompt)
            elif not arg.startswith("-"):
                names.append(arg)
        names = names or ["REPLY"]
        line = io.stdin.read_line()
        if not raw and line is not None:
            line = re.sub(r"\\(.)", r"\1", line)
        if len(names) > 1:
            values = re.split(r"[ \t]+", (line or "").strip(" \t"), maxsplit=len(names) - 1)
        else:
            values = [line or ""]
        for i, name in enumerate(names):
            self._assign(name, values[i] if i < len(values) else "")
        return 1 if line is None else 0

    def _b_type(self, args: list[str], io: IO) -> int:
        status = 0
        for name in (a for a in args if not a.startswith("-")):
            kind = self._describe(name)
            if kind in ("function", "builtin"):
                io.out.write(f"{name} is a {'function' if kind == 'function' else 'shell builtin'}\n")
            elif kind:
                io.out.write(f"{name} is {kind}\n")
            else:
                self.shell_error(f"type: {name}: not found")
                status = 1
        return status

    def _b_command(self, args: list[str], io: IO) -> int:
        if args[:1] in (["-v"], ["-V"]):
            found = [(name, self._describe(name)) for name in args[1:]]
            shown = [kind if kind.startswith("/") else name for name, kind in found if kind]
            io.out.write("".join(line + "\n" for line in shown))
            return 0 if found and all(kind for _n, kind in found) else 1
        if not args:
            return 0
        builtin = _BUILTINS.get(args[0])
        return builtin(self, args[1:], io) if builtin is not None else self._program(args, io)

    def _b_noop(self, args: list[str], io: IO) -> int:
        return 0

    def _b_not_emulated(self, args: list[str], io: IO) -> int:
        io.err.write("lblab: this shell builtin is not emulated; skipped\n")
        return 0

    # -- programs that re-enter the interpreter ------------------------------------------------------------
    def _p_bash(self, args: list[str], io: IO) -> int:
        flags = ""
        rest = list(args)
        command: str | None = None
        while rest and rest[0].startswith("-") and rest[0] != "-":
            arg = rest.pop(0)
            if arg == "-c":
                command = rest.pop(0) if rest else ""
                break
            if not arg.startswith("--"):
                flags += arg[1:]
        if command is not None:
            child = self._new_process(rest[0] if rest else "bash", rest[1:])
        elif rest:
            text = self._read_script(rest[0])
            if text is None:
                return 127
            child, command = self._new_process(rest[0], rest[1:]), text
        else:
            command = io.stdin.read_all()
            if self.interactive and not command:
                io.err.write("lblab: nested interactive shells are not emulated "
                             "(try `sudo -i` to become root)\n")
                return 0
            child = self._new_process("bash", [])
        child.errexit, child.xtrace = "e" in flags, "x" in flags
        return child.run_source(command, io)

    def _p_sudo(self, args: list[str], io: IO) -> int:
        target, login, shell = "root", False, False
        rest = list(args)
        while rest and rest[0].startswith("-"):
            arg = rest.pop(0)
            if arg == "--":
                break
            if arg == "-u":
                target = rest.pop(0) if rest else ""
            elif arg.startswith("-u"):
                target = arg[2:]
            elif arg in ("-i", "--login"):
                login = True
            elif arg in ("-s", "--shell"):
                shell = True
            elif arg == "-l":
                io.out.write(f"User {self.user} may run the following commands on {self.os.short_hostname}:\n"
                             "    (ALL) NOPASSWD: ALL\n")
                return 0
        if target not in self.os.passwd():
            io.err.write(f"sudo: unknown user {target}\n"
                         "sudo: error initializing audit plugin sudoers_audit\n")
            return 1
        if not rest:
            if login or shell:
                return self._switch_user(target, login, io)
            io.err.write("usage: sudo -h | -K | -k | -V\n"
                         "usage: sudo [-ABbEHknPS] [-u user] [command [arg ...]]\n")
            return 1
        if rest[0] in _BUILTINS or rest[0] in self.functions:
            io.err.write(f"sudo: {rest[0]}: command not found\n")
            return 1
        previous, self.user = self.user, target
        depth = len(self.user_stack)
        try:
            return self._program(rest, io)
        finally:
            if len(self.user_stack) == depth:
                self.user = previous
            else:  # `sudo su -` switched users for good: `exit` must come back to the user who ran sudo
                _user, cwd, env, exported = self.user_stack[-1]
                self.user_stack[-1] = (previous, cwd, env, exported)

    def _p_su(self, args: list[str], io: IO) -> int:
        login = any(a in ("-", "-l", "--login") for a in args)
        command: str | None = None
        names: list[str] = []
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg in ("-c", "--command"):
                command = rest.pop(0) if rest else ""
            elif not arg.startswith("-"):
                names.append(arg)
        target = names[0] if names else "root"
        if target not in self.os.passwd():
            io.err.write(f"su: user {target} does not exist or the user entry does not contain all the "
                         "required fields\n")
            return 1
        if self.user != "root":
            io.err.write("Password: \nsu: Authentication failure\n")
            return 1
        if command is not None:
            child = self._new_process("bash", [])
            child._login(target, self.os.home_of(target) if login else self.cwd)
            return child.run_source(command, io)
        return self._switch_user(target, login, io)

    def _p_env(self, args: list[str], io: IO) -> int:
        rest = list(args)
        clear = False
        overrides: dict[str, str] = {}
        while rest and (rest[0] in ("-i", "-") or _ASSIGNMENT.match(rest[0])):
            arg = rest.pop(0)
            if arg in ("-i", "-"):
                clear = True
            else:
                name, _eq, value = arg.partition("=")
                overrides[name] = value
        if not rest:
            env = {} if clear else {k: v for k, v in self.vars.items() if k in self.exported}
            env.update(overrides)
            io.out.write("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
            return 0
        saved = {name: (self.vars.get(name), name in self.exported) for name in overrides}
        for name, value in overrides.items():
            self._assign(name, value)
            self.exported.add(name)
        try:
            return self._program(rest, io)
        finally:
            for name, (old, exported) in saved.items():
                self._restore(name, old, exported)

    def _p_nohup(self, args: list[str], io: IO) -> int:
        if not args:
            io.err.write("nohup: missing operand\n")
            return 125
        return self._program(args, io)

    def _p_timeout(self, args: list[str], io: IO) -> int:
        rest = list(args)
        while rest and rest[0].startswith("-"):
            if rest.pop(0) in ("-s", "-k", "--signal", "--kill-after") and rest:
                rest.pop(0)
        if len(rest) < 2:
            io.err.write("timeout: missing operand\n")
            return 125
        return self._program(rest[1:], io)

    def _p_which(self, args: list[str], io: IO) -> int:
        status = 0
        for name in (a for a in args if not a.startswith("-")):
            if self._known(name) and self._available(name):
                io.out.write(f"/usr/{'sbin' if name in SBIN_COMMANDS else 'bin'}/{name}\n")
                continue
            status = 1
            if self.os.distro != "ubuntu":
                io.err.write(f"/usr/bin/which: no {name} in ({self.vars.get('PATH', '')})\n")
        return status


_Builtin = Callable[[_Interp, list[str], IO], int]

_BUILTINS: dict[str, _Builtin] = {
    "cd": _Interp._b_cd, "export": _Interp._b_export, "declare": _Interp._b_declare,
    "typeset": _Interp._b_declare, "readonly": _Interp._b_declare, "local": _Interp._b_local,
    "unset": _Interp._b_unset, "set": _Interp._b_set, "shift": _Interp._b_shift, "exit": _Interp._b_exit,
    "logout": _Interp._b_exit, "return": _Interp._b_return, "break": _Interp._b_break,
    "continue": _Interp._b_continue, "source": _Interp._b_source, ".": _Interp._b_source,
    "eval": _Interp._b_eval,
    "exec": _Interp._b_exec, "read": _Interp._b_read, "type": _Interp._b_type, "command": _Interp._b_command,
    "wait": _Interp._b_noop, "hash": _Interp._b_noop, "shopt": _Interp._b_noop, "umask": _Interp._b_noop,
    "alias": _Interp._b_not_emulated, "unalias": _Interp._b_noop, "trap": _Interp._b_not_emulated,
    "ulimit": _Interp._b_not_emulated, "let": _Interp._b_not_emulated, "history": _Interp._b_not_emulated,
}

_PROGRAMS: dict[str, _Builtin] = {
    "bash": _Interp._p_bash, "sh": _Interp._p_bash, "sudo": _Interp._p_sudo, "su": _Interp._p_su,
    "env": _Interp._p_env, "nohup": _Interp._p_nohup, "timeout": _Interp._p_timeout,
    "which": _Interp._p_which,
}


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


def _constant(token: str, text: str) -> int:
    try:
        return arith_constant(token)
    except ArithConstantError as error:
        raise _ArithError(f"{text}: {error}") from None


def _arith_apply(op: str, left: int, right: int, text: str) -> int:
    if op in ("/", "%"):
        if right == 0:
            raise _ArithError(f"{text}: division by 0 (error token is \"{right}\")")
        quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)  # C truncates
        return quotient if op == "/" else left - right * quotient
    if op in ("<<", ">>"):
        return left << (right & 63) if op == "<<" else left >> (right & 63)
    table: dict[str, Callable[[int, int], int]] = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "<": lambda a, b: int(a < b), ">": lambda a, b: int(a > b), "<=": lambda a, b: int(a <= b),
        ">=": lambda a, b: int(a >= b), "==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b),
        "&&": lambda a, b: int(bool(a) and bool(b)), "||": lambda a, b: int(bool(a) or bool(b)),
        "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    }
    return table[op](left, right)


def _run_guarded(interp: _Interp, text: str, io: IO) -> int:
    """Run to the end or to a safety limit; a limit stops the script with an `lblab:` note."""
    try:
        return interp.run_source(text, io)
    except ShellAbort as stop:
        io.err.write(f"lblab: {stop}\n")
    except RecursionError:
        io.err.write("lblab: the script nests too deeply for this emulator; stopped\n")
    except Exception as exc:
        # The last line of defence: a gap in the emulator stops this script, reported in its
        # output (the instance's log), and never takes the instance's boot or the console down.
        _log.exception("shell emulator failure")
        io.err.write(f"lblab: the shell emulator failed on this script ({type(exc).__name__}: {exc}); "
                     "stopped. This is a bug in lblab.\n")
    return 1


# == cloud-init ===================================================================================

_UNEMULATED_KINDS = (("#include", "#include"), ("#cloud-boothook", "#cloud-boothook"),
                     ("#part-handler", "#part-handler"), ("#upstart-job", "#upstart-job"),
                     ("content-type: multipart", "MIME multi-part"), ("<powershell>", "Windows PowerShell"))
_CLOUD_CONFIG_KEYS = ("write_files", "package_update", "package_upgrade", "packages", "runcmd")
_PACKAGE_TOOL = {"al2023": "dnf", "al2": "yum", "ubuntu": "apt-get"}


class _CloudLog:
    """What cloud-init writes to /var/log/cloud-init-output.log: stage banners, warnings, script output."""

    def __init__(self, os: InstanceOS) -> None:
        self.os = os
        self.chunks: list[str] = []

    def stage(self, name: str, uptime: float) -> None:
        self.line(f"Cloud-init v. {self.os.spec.cloud_init} running '{name}' at {self._stamp()}. "
                  f"Up {uptime:.2f} seconds.")

    def finished(self, uptime: float) -> None:
        self.line(f"Cloud-init v. {self.os.spec.cloud_init} finished at {self._stamp()}. "
                  f"Datasource DataSourceEc2Local.  Up {uptime:.2f} seconds")

    def warn(self, module: str, message: str) -> None:
        now = self.os.now()
        self.line(f"{now:%Y-%m-%d %H:%M:%S},{now.microsecond // 1000:03d} - {module}[WARNING]: {message}")

    def note(self, message: str) -> None:
        self.line(f"lblab: {message}")

    def line(self, text: str) -> None:
        self.output(text + "\n")

    def output(self, text: str) -> None:
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.chunks.append("\n")
        self.chunks.append(text)

    def text(self) -> str:
        return "".join(self.chunks)

    def _stamp(self) -> str:
        return self.os.now().strftime("%a, %d %b %Y %H:%M:%S +0000")


def _classify(text: str) -> str:
    stripped = text.lstrip()
    if not stripped:
        return "empty"
    if stripped.startswith("#!"):
        return "script"
    head = stripped[:64].lower()
    if head.startswith("#cloud-config"):
        return "cloud-config"
    return next((kind for prefix, kind in _UNEMULATED_KINDS if head.startswith(prefix)), "unhandled")


def _excerpt(text: str) -> str:
    """How cloud-init quotes unhandled user data: the first line (24 characters at most), escaped."""
    start = text.split("\n", 1)[0][:24]
    return f"'{start.encode('unicode_escape')!s}...'"


def _save(os: InstanceOS, path: str, text: str, mode: int) -> None:
    try:
        os.fs.mkdir(posixpath.dirname(path), parents=True)
        os.fs.write_text(path, text)
        os.fs.chmod(path, mode)
    except VfsError:
        pass  # a disk the script filled or wiped keeps no copy, as on a real host


def _append_log(os: InstanceOS, path: str, text: str) -> None:
    try:
        os.fs.mkdir(posixpath.dirname(path), parents=True)
        os.fs.write_text(path, text, append=True)
    except VfsError:
        pass


def _script_failed(os: InstanceOS, log: _CloudLog, path: str, code: str) -> None:
    runner = "util.py" if os.distro == "al2" else "subp.py"
    log.warn(runner, f"Failed running {path} [{code}]")
    log.warn("cc_scripts_user.py",
             "Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)")
    log.warn("util.py", f"Running module scripts-user (<module 'cloudinit.config.cc_scripts_user' from "
                        f"'{os.spec.cloud_init_module}'>) failed")


def _run_script_part(os: InstanceOS, text: str, log: _CloudLog, path: str = SCRIPT_PATH) -> None:
    _save(os, path, text, 0o700)
    first = text.split("\n", 1)[0]
    if not text.startswith("#!"):
        _script_failed(os, log, path, "-")
        log.note("the script must start with #! on its very first line, with nothing before it (not even "
                 "a blank line or a space); the kernel refused to run it ('Exec format error')")
        return
    if first.endswith("\r"):
        _script_failed(os, log, path, "-")
        log.note(f"the script has Windows (CRLF) line endings, so the kernel looked for the interpreter "
                 f"'{first[2:].strip()}\\r', which does not exist; save it with LF line endings")
        return
    shell = _SHEBANG_SHELLS.match(first)
    if shell is None:
        log.note(f"'{first}' scripts are not emulated (only sh and bash); nothing ran")
        return
    interp = _Interp(os, "root", interactive=False, script_name=path, cwd="/")
    options = "".join(arg[1:] for arg in shell.group(1).split() if arg.startswith("-"))
    interp.errexit, interp.xtrace = "e" in options, "x" in options
    term = Terminal()
    status = _run_guarded(interp, text, IO(Input(""), term, term))
    log.output(term.text())
    if status:
        _script_failed(os, log, path, str(status))


def _cloud_config(text: str, log: _CloudLog) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        log.warn("util.py", f"Failed loading yaml blob. {str(error).splitlines()[0]}")
        return {}
    if not isinstance(data, dict):
        log.warn("util.py", "Failed loading yaml blob. Yaml load allows (<class 'dict'>,) root types, but "
                            f"got {type(data).__name__} instead")
        return {}
    for key in data:
        if key not in _CLOUD_CONFIG_KEYS:
            log.note(f"cloud-config key '{key}' is not emulated; skipped")
    return data


def _cloud_config_stage(os: InstanceOS, data: dict, log: _CloudLog) -> None:
    """modules:config: write_files, then package_update/package_upgrade/packages."""
    for entry in data.get("write_files") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            log.note("a write_files entry without a path was skipped")
            continue
        content = entry.get("content", "")
        mode = entry.get("permissions", "0644")
        try:
            path = normalize(entry["path"])
            os.fs.mkdir(posixpath.dirname(path), parents=True)
            os.fs.write_text(path, content if isinstance(content, str) else str(content),
                             append=bool(entry.get("append")))
            os.fs.chmod(path, int(str(mode), 8))
        except (VfsError, ValueError) as error:
            log.warn("cc_write_files.py", f"Failed to write {entry['path']}: {error}")
    tool = _PACKAGE_TOOL[os.distro]
    names = [p for p in data.get("packages") or [] if isinstance(p, str)]
    refresh = ["update" if os.distro == "ubuntu" else "makecache"]
    steps = [refresh] if data.get("package_update") or names else []
    steps += [["upgrade", "-y"]] if data.get("package_upgrade") else []
    steps += [["install", "-y", *names]] if names else []
    for args in steps:
        result = packages.run_package_manager(os, tool, args, root=True, interactive=False)
        log.output(result.out + result.err)
        if result.status:
            log.warn("cc_package_update_upgrade_install.py", "Failed to install packages: " + " ".join(names))


def _cloud_config_final(os: InstanceOS, data: dict, log: _CloudLog) -> None:
    """modules:final: runcmd, written as a shell script and run like user-data scripts."""
    lines = []
    for item in data.get("runcmd") or []:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, list) and all(isinstance(arg, str) for arg in item):
            lines.append(" ".join(_trace_quote(arg) for arg in item))
        else:
            log.note("a runcmd entry that is neither a string nor a list of strings was skipped")
    if lines:
        script = "#!/bin/sh\n" + "\n".join(lines) + "\n"
        _run_script_part(os, script, log, "/var/lib/cloud/instance/scripts/runcmd")


def run_user_data(os: InstanceOS, user_data: str | bytes) -> str:
    """cloud-init on first boot: run the user data once and log it the way cloud-init does.

    Returns the text appended to /var/log/cloud-init-output.log (the caller also shows it in
    the console output). A script runs only if it starts with `#!`; `#cloud-config` handles
    write_files, packages and runcmd.
    """
    if os.user_data_ran:
        return ""
    os.user_data_ran = True
    raw = user_data.encode("utf-8") if isinstance(user_data, str) else bytes(user_data)
    text = raw.decode("utf-8", errors="replace")
    kind = _classify(text) if len(raw) <= USER_DATA_LIMIT else "too-large"
    log = _CloudLog(os)
    log.stage("init", 8.02)
    if kind not in ("empty", "too-large"):
        _save(os, "/var/lib/cloud/instance/user-data.txt", text, 0o600)
    if kind == "unhandled":
        log.warn("__init__.py", f"Unhandled non-multipart (text/x-not-multipart) userdata: {_excerpt(text)}")
        log.note("the user data does not start with '#!' (for example #!/bin/bash) or '#cloud-config', so "
                 "cloud-init did not run it")
    config = _cloud_config(text, log) if kind == "cloud-config" else {}
    log.stage("modules:config", 10.31)
    _cloud_config_stage(os, config, log)
    log.stage("modules:final", 12.85)
    if kind == "script":
        _run_script_part(os, text, log)
    elif kind == "cloud-config":
        _cloud_config_final(os, config, log)
    elif kind == "too-large":
        log.note(f"the user data is {len(raw)} bytes; EC2 accepts at most {USER_DATA_LIMIT} bytes, "
                 "so it did not run")
    elif kind not in ("empty", "unhandled"):
        log.note(f"{kind} user data is not emulated; nothing ran")
    log.finished(27.64)
    output = log.text()
    _append_log(os, "/var/log/cloud-init-output.log", output)
    return output


# == the Connect terminal ============================================================================


@dataclass
class ShellResult:
    output: str
    exit_code: int
    closed: bool = False  # `exit` at the login shell: the Connect session is over


class Shell:
    """The EC2 Instance Connect terminal: cwd, variables and user persist between lines.

    It logs in as the AMI's default user (ec2-user, or ubuntu), so root-only commands need
    `sudo`, and `sudo -i` / `sudo su -` switch to root until `exit`.
    """

    def __init__(self, os: InstanceOS, user: str | None = None) -> None:
        self.os = os
        user = user or os.login_user
        home = os.home_of(user)
        self._interp = _Interp(os, user, interactive=True, script_name="-bash",
                               cwd=home if os.fs.is_dir(home) else "/")

    @property
    def user(self) -> str:
        return self._interp.user

    @property
    def cwd(self) -> str:
        return self._interp.cwd

    @property
    def prompt(self) -> str:
        """What bash shows before the cursor: `[ec2-user@ip-172-31-5-10 ~]$ ` (Ubuntu: `ubuntu@ip-…:~$ `)."""
        interp = self._interp
        home = interp.vars.get("HOME", "")
        sign = "#" if interp.user == "root" else "$"
        host = self.os.short_hostname
        if self.os.distro == "ubuntu":
            under_home = home and (interp.cwd + "/").startswith(home + "/")
            shown = "~" + interp.cwd[len(home) :] if under_home else interp.cwd
            return f"{interp.user}@{host}:{shown}{sign} "
        shown = "~" if interp.cwd == home else posixpath.basename(interp.cwd) or "/"
        return f"[{interp.user}@{host} {shown}]{sign} "

    def run(self, line: str) -> ShellResult:
        """Run one line (or a pasted block) typed at the prompt."""
        if self._interp.closed:
            return ShellResult("", 0, closed=True)
        term = Terminal()
        if len(line) > MAX_LINE:
            return ShellResult(f"lblab: input longer than {MAX_LINE} characters; ignored\n", 1)
        self._interp.budget = Budget()
        status = _run_guarded(self._interp, line, IO(Input(""), term, term))
        return ShellResult(term.text(), status, self._interp.closed)
