"""How a running command leaves its normal path: `exit`/`return`, `break`/`continue`, and
expansion or arithmetic errors (each abandons a different amount of the script, as in bash).
"""

from __future__ import annotations


class ShellExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class FunctionReturn(ShellExit):
    pass


class LoopControl(Exception):
    def __init__(self, kind: str, count: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.count = count


class ExpansionError(Exception):
    """A word could not be expanded: the command is not run (and a script stops if `fatal`)."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.fatal = fatal


class ArithError(ExpansionError):
    """An error inside `$(( ))`: as in bash, the whole command being run is abandoned (status 1) and the
    script goes on with the next one; a subshell or command substitution abandons only its own."""
