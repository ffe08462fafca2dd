"""Numbers as bash reads them: arithmetic constants and the numeric arguments of builtins.

Bash computes in 64-bit integers and wraps silently on overflow, so a 5000-digit constant is a
number (`$((99…9))` is -1), never an error. Python's `int()` refuses decimal strings of more
than 4300 digits, and its digit rules differ from bash's (`int("08", 8)` fails, `int("1_0")`
succeeds), so nothing in the emulator converts a script's text with `int()` directly: it goes
through these functions, whose errors are bash's own words.
"""

from __future__ import annotations

import re

_MASK = (1 << 64) - 1
_CHUNK = 4000  # digits per int() call: under Python's 4300-digit limit for decimal strings
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_"
_LEGAL = re.compile(r"\s*([+-]?)([0-9]+)\s*")
INT64_MAX = (1 << 63) - 1


class ArithConstantError(ValueError):
    """A constant bash's arithmetic refuses; the message is bash's, without the expression."""


def wrap64(value: int) -> int:
    value &= _MASK
    return value - (1 << 64) if value > INT64_MAX else value


def _digit(char: str, base: int) -> int:
    value = _DIGITS.find(char)
    # Up to base 36 letters are case-insensitive; above it, A-Z are the digits 36 to 61.
    return _DIGITS.find(char.lower()) if base <= 36 and char.isalpha() else value


def _accumulate(digits: str, base: int, token: str) -> int:
    if base in (8, 10, 16) and digits.isascii() and digits.isalnum():
        checked = all(0 <= _digit(c, base) < base for c in digits)
        if checked:
            value = 0
            for start in range(0, len(digits), _CHUNK):
                chunk = digits[start:start + _CHUNK]
                value = (value * base ** len(chunk) + int(chunk, base)) & _MASK
            return value
    value = 0
    for char in digits:
        digit = _digit(char, base)
        if not 0 <= digit < base:
            raise ArithConstantError(f'value too great for base (error token is "{token}")')
        value = (value * base + digit) & _MASK
    return value


def arith_constant(token: str) -> int:
    """An integer constant of `$(( ))`: `0x1f`, `017`, `2#101`, `64#@_` or decimal, wrapped to 64 bits."""
    if token[:2].lower() == "0x":
        return wrap64(_accumulate(token[2:], 16, token)) if len(token) > 2 else 0
    base_text, hash_, digits = token.partition("#")
    if hash_:
        base = int(base_text) if base_text.isdigit() and len(base_text) <= 2 else 0
        if not 2 <= base <= 64:
            raise ArithConstantError(f'invalid arithmetic base (error token is "{token}")')
        return wrap64(_accumulate(digits, base, token))
    if token.startswith("0"):
        return wrap64(_accumulate(token[1:], 8, token))
    return wrap64(_accumulate(token, 10, token))


def legal_number(text: str) -> int | None:
    """A builtin's numeric argument (`exit 3`, `[ 5 -eq 5 ]`): decimal, in 64 bits, else None."""
    match = _LEGAL.fullmatch(text)
    if match is None:
        return None
    digits = match.group(2).lstrip("0") or "0"
    if len(digits) > 19:
        return None
    value = int(digits) * (-1 if match.group(1) == "-" else 1)
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else None


def bounded(digits: str, cap: int) -> int:
    """A count or width written in decimal digits, at most `cap` (a longer number is as good as infinite)."""
    significant = digits.lstrip("0") or "0"
    return cap if len(significant) > len(str(cap)) else min(int(significant), cap)
