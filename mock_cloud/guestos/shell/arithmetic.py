"""`$(( ))`: bash's 64-bit integer arithmetic, with its error messages.

A small precedence-climbing evaluator over the interpreter's variables; never Python's eval.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mock_cloud.guestos.shell.errors import ArithError
from mock_cloud.guestos.shell.numbers import ArithConstantError, arith_constant, wrap64
from mock_cloud.guestos.shell.process import ShellProcess
from mock_cloud.guestos.shell.tokens import NAME, SIGNED_CONSTANT

if TYPE_CHECKING:
    from collections.abc import Callable

_ARITH_TOKEN = re.compile(r"\s*(?:([0-9][0-9A-Za-z_@#]*)|([A-Za-z_][A-Za-z0-9_]*)|"
                          r"(\*\*|<=|>=|==|!=|&&|\|\||<<|>>|[-+*/%()<>!~&|^]))")
_ARITH_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"),
    ("*", "/", "%"),
)


class Arithmetic(ShellProcess):
    """Evaluates `$(( ))` against the interpreter's variables (a mixin of `interpreter.Interp`)."""

    def _arith(self, text: str) -> int:
        tokens: list[str] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _ARITH_TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                token = text[pos:]
                raise ArithError(f'{text}: syntax error: operand expected (error token is "{token}")')
            tokens.append(match.group().strip())
            pos = match.end()
        value, rest = self._arith_binary(tokens, 0, text)
        if rest:
            raise ArithError(f"{text}: syntax error in expression (error token is \"{' '.join(rest)}\")")
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
            raise ArithError(f"{text}: syntax error: operand expected")
        head, rest = tokens[0], tokens[1:]
        if head in ("-", "+", "!", "~"):
            value, rest = self._arith_unary(rest, text)
            return wrap64({"-": -value, "+": value, "!": int(not value), "~": ~value}[head]), rest
        if head == "(":
            value, rest = self._arith_binary(rest, 0, text)
            if not rest or rest[0] != ")":
                raise ArithError(f"{text}: missing `)'")
            rest = rest[1:]
        elif head[0].isascii() and head[0].isdigit():
            value = _constant(head, text)
        elif NAME.fullmatch(head):
            value = self._arith_variable(head)
        else:
            raise ArithError(f"{text}: syntax error: operand expected (error token is \"{head}\")")
        if rest and rest[0] == "**":
            exponent, rest = self._arith_unary(rest[1:], text)
            if exponent < 0:
                raise ArithError(f"{text}: exponent less than 0")
            value = wrap64(pow(value, exponent, 1 << 64))
        return wrap64(value), rest

    def _arith_variable(self, name: str) -> int:
        """A variable's value in arithmetic: bash evaluates it in its turn, so `x=08` fails as `08` does."""
        raw = self.vars.get(name, "0").strip() or "0"
        number = SIGNED_CONSTANT.fullmatch(raw)
        if number is None:
            return 0
        value = _constant(number.group(2), raw)
        return wrap64(-value) if number.group(1) == "-" else value


def _constant(token: str, text: str) -> int:
    try:
        return arith_constant(token)
    except ArithConstantError as error:
        raise ArithError(f"{text}: {error}") from None


def _arith_apply(op: str, left: int, right: int, text: str) -> int:
    if op in ("/", "%"):
        if right == 0:
            raise ArithError(f"{text}: division by 0 (error token is \"{right}\")")
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
