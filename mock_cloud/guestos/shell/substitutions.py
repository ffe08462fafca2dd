"""Reading the `$` forms of a word: parameters, `${...}`, `$(...)`, `$((...))`, backticks, `$'...'`.

A command substitution's body is parsed in place by the grammar (`parser.Parser`, the subclass),
sharing the position, so its depth is bounded here (MAX_SUBST_DEPTH).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mock_cloud.guestos.shell.lexer import Lexer
from mock_cloud.guestos.shell.syntax import Arith, CmdSub, Lit, Node, Param, Part, Word
from mock_cloud.guestos.shell.tokens import (
    ANSI_ESCAPES,
    MAX_SUBST_DEPTH,
    NAME,
    PARAM_OPS,
    SPECIAL_PARAM,
    ParseError,
    Tok,
)

if TYPE_CHECKING:
    from collections.abc import Callable


class Substitutions(Lexer):
    """The lexer with its `$` forms; `parser.Parser` adds the grammar that `$(...)` bodies need."""

    # The grammar's, for a command substitution's body parsed in place (see `parser.Parser`).
    def parse_all(self) -> Node:
        raise NotImplementedError

    def _compound_list(self, closers: frozenset[str], allow_empty: bool = False) -> Node:
        raise NotImplementedError

    def _unexpected(self, tok: Tok) -> ParseError:
        raise NotImplementedError

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
        name = NAME.match(src, p + 1) or (SPECIAL_PARAM.match(src, p + 1) if nxt else None)
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
        return CmdSub(type(self)("".join(buf), line=line, depth=self.depth + 1).parse_all(), quoted)

    def _read_braced(self, quoted: bool) -> Part:
        src = self.src
        p = self.pos + 2
        length = src.startswith("#", p) and not src.startswith("#}", p)
        if length:
            p += 1
        name = NAME.match(src, p) or SPECIAL_PARAM.match(src, p)
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
        op = next((o for o in PARAM_OPS if src.startswith(o, p)), None)
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
                out.append(ANSI_ESCAPES.get(esc, "\\" + esc))
                p += 2
            else:
                out.append(c)
                p += 1
        self.pos = p + 1
        return Lit("".join(out), quoted=True)
