"""The safety limits of a run (commands, output, buffers, file I/O, wall time) and its budget.

Hostile input costs a bounded amount: when a limit is hit the whole run stops with `ShellAbort`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MAX_STEPS = 10_000  # commands (and loop rounds) per script or per Connect-shell line
MAX_OUTPUT = 256 * 1024  # characters a run may print to the console
MAX_BUFFER = 1024 * 1024  # characters in a pipe, a command substitution or a variable
LINE_CAP = MAX_BUFFER + 1  # a line number or count no text here can reach
MAX_IO = 256 * 1024 * 1024  # bytes read or written through the VFS per run
MAX_SECONDS = 5.0  # wall time per run: the last line of defence
MAX_PATH = 4096  # Linux's PATH_MAX
MAX_DEPTH = 64  # directory depth a command may create (deeper trees would exhaust Python's stack)
MAX_REGEX_WORK = 2_000_000  # matcher steps per grep/sed pattern (a few seconds at worst)


MAX_CALL_DEPTH = 24  # functions, subshells, eval, source and scripts inside each other, while running


class ShellAbort(Exception):
    """A safety limit was hit: the whole run stops."""


@dataclass
class Budget:
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)
    steps: int = 0
    io: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ShellAbort(f"more than {MAX_STEPS} commands ran; script stopped")
        if time.monotonic() > self.deadline:
            raise ShellAbort(f"the script ran for more than {MAX_SECONDS:.0f} seconds; stopped")

    def charge(self, size: int) -> None:
        self.io += size
        if self.io > MAX_IO:
            raise ShellAbort(f"more than {MAX_IO // (1024 * 1024)} MB of file I/O; script stopped")
