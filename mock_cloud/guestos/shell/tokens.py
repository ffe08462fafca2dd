"""The lexer's vocabulary: tokens, operators, the patterns of names and assignments, and parse errors.

Shared by the lexer, the `$`-forms reader and the grammar, so none of them imports another for a constant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mock_cloud.guestos.shell.syntax import Word

MAX_SUBST_DEPTH = 16  # $(...) and `...` inside each other
MAX_NESTING = 64  # compound commands and parentheses inside each other, while parsing


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


OPERATORS = ("&&", "||", ";;", "&>>", "&>", "<<<", "<<-", "<<", ">>", ">&", "<&", ">|", "<>",
              ";", "&", "|", "(", ")", "<", ">")
REDIRECT_OPS = frozenset({"<", ">", ">>", "<<", "<<-", "<<<", ">&", "<&", ">|", "<>", "&>", "&>>"})
META = frozenset(" \t\n;&|<>()")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SIGNED_CONSTANT = re.compile(r"([+-]?)([0-9][0-9A-Za-z_@#]*)")
SPECIAL_PARAM = re.compile(r"[0-9]+|[@*#?$!-]")
IO_NUMBER = re.compile(r"([0-9]{1,2})(?=[<>])")
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=", re.DOTALL)
PARAM_OPS = (":-", ":=", ":+", ":?", "-", "=", "+", "?", "##", "#", "%%", "%")
CLOSERS_AFTER_IF = frozenset({"elif", "else", "fi"})
NOT_COMMANDS = frozenset({"then", "else", "elif", "fi", "do", "done", "esac", "}"})
ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v",
                 "\\": "\\", "'": "'", '"': '"'}
