"""The shell's grammar: lists, and-or lists, pipelines, simple and compound commands.

Recursive descent over the lexer's tokens, one complete command at a time, so a script runs up
to its first syntax error, as bash does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_cloud.guestos.shell.substitutions import Substitutions
from mock_cloud.guestos.shell.syntax import (
    AndOr,
    Case,
    For,
    FuncDef,
    Group,
    HereDoc,
    If,
    Lit,
    Loop,
    Node,
    Part,
    Pipeline,
    Redirect,
    Redirected,
    Seq,
    Simple,
    Word,
)
from mock_cloud.guestos.shell.tokens import (
    ASSIGNMENT,
    CLOSERS_AFTER_IF,
    NAME,
    NOT_COMMANDS,
    REDIRECT_OPS,
    ParseError,
    Tok,
)

if TYPE_CHECKING:
    from collections.abc import Callable


class Parser(Substitutions):
    """Reads one complete command at a time, so a script runs up to its first syntax error, as bash does."""

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
            elif keyword in NOT_COMMANDS:
                raise self._unexpected(tok)
            elif tok.kind == "op" and tok.text == "(":
                self._next()
                body = self._compound_list(frozenset({")"}))
                self._next()
                node = Group(body, subshell=True)
            elif tok.kind == "word" or (tok.kind == "op" and tok.text in REDIRECT_OPS):
                return self._simple()
            else:
                raise self._unexpected(tok)
            if isinstance(node, FuncDef):
                return node
            redirects: list[Redirect] = []
            while (tok := self._peek()).kind == "op" and tok.text in REDIRECT_OPS:
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
                assignment = split_assignment(tok.word) if not words else None
                if assignment is not None:
                    assigns.append(assignment)
                else:
                    words.append(tok.word)
            elif tok.kind == "op" and tok.text in REDIRECT_OPS:
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
            clauses.append((cond, self._compound_list(CLOSERS_AFTER_IF)))
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
        if not name or not NAME.fullmatch(name):
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


def split_assignment(word: Word) -> tuple[str, bool, Word] | None:
    first = word.parts[0] if word.parts else None
    if not isinstance(first, Lit) or first.quoted:
        return None
    match = ASSIGNMENT.match(first.text)
    if match is None:
        return None
    rest: list[Part] = [Lit(first.text[match.end() :])] if match.end() < len(first.text) else []
    return match.group(1), bool(match.group(2)), Word(rest + word.parts[1:])
