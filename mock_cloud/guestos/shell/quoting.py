"""Quoting a value back the way bash prints it: `set -x` traces, `set`'s listing, cloud-init's runcmd script.

Shared by the interpreter, the builtins and cloud-init, which must all quote alike.
"""

from __future__ import annotations

import re

_SAFE_TRACE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def trace_quote(arg: str) -> str:
    if _SAFE_TRACE.fullmatch(arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"
