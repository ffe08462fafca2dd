"""What the interpreter's parts expect of one another: one shell process's state, and the steps that
one part calls in another.

`interpreter.Interp` is assembled from mixins, one module per concern (expansion, arithmetic,
redirection, lookup, builtins, launchers). Each subclasses this base so that the type checker knows
what `self` offers; `Interp` sets the attributes and the mixins and `Interp` implement the abstract
methods (an `Interp` missing one could not be created).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS
    from mock_cloud.guestos.shell.limits import Budget
    from mock_cloud.guestos.shell.streams import IO, Sink
    from mock_cloud.guestos.shell.syntax import Node, Redirect, Word


class ShellProcess(ABC):
    os: InstanceOS
    user: str
    interactive: bool
    script_name: str
    budget: Budget
    cwd: str
    vars: dict[str, str]
    exported: set[str]
    functions: dict[str, Node]
    positional: list[str]
    locals: list[dict[str, str | None]]  # one frame per function call: the values `local` shadowed
    status: int
    errexit: bool
    xtrace: bool
    pipefail: bool
    nounset: bool
    cond_depth: int
    loop_depth: int
    call_depth: int
    trace_level: int
    line: int
    err: Sink
    exec_io: IO | None
    subst_status: int | None
    user_stack: list[tuple[str, str, dict[str, str], set[str]]]  # `sudo -i` / `su -`: who to return to
    closed: bool

    # -- interpreter ----------------------------------------------------------------------------------
    @abstractmethod
    def fork(self) -> ShellProcess: ...
    @abstractmethod
    def run_source(self, text: str, io: IO) -> int: ...
    @abstractmethod
    def run_command(self, node: Node, io: IO) -> int: ...
    @abstractmethod
    def run_node(self, node: Node, io: IO) -> int: ...
    @abstractmethod
    def shell_error(self, message: str) -> None: ...
    @abstractmethod
    def _prefix(self) -> str: ...
    @abstractmethod
    def _login(self, user: str, cwd: str) -> None: ...
    @abstractmethod
    def _run_in_place(self, text: str, io: IO) -> int: ...
    @abstractmethod
    def _assign(self, name: str, value: str, append: bool = False) -> None: ...
    @abstractmethod
    def _restore(self, name: str, old: str | None, exported: bool) -> None: ...
    @abstractmethod
    def _call(self, name: str, args: list[str], io: IO) -> int: ...

    # -- expansion, arithmetic, redirection -----------------------------------------------------------
    @abstractmethod
    def _expand_words(self, words: list[Word]) -> list[str]: ...
    @abstractmethod
    def _expand_str(self, word: Word) -> str: ...
    @abstractmethod
    def _expand_pattern(self, word: Word) -> str: ...
    @abstractmethod
    def _arith(self, text: str) -> int: ...
    @abstractmethod
    def _redirect(self, redirects: list[Redirect], io: IO) -> IO | None: ...

    # -- lookup ---------------------------------------------------------------------------------------
    @abstractmethod
    def run_argv(self, argv: list[str], io: IO) -> int: ...
    @abstractmethod
    def _program(self, argv: list[str], io: IO) -> int: ...
    @abstractmethod
    def _known(self, name: str) -> bool: ...
    @abstractmethod
    def _available(self, name: str) -> bool: ...
    @abstractmethod
    def _read_script(self, name: str) -> str | None: ...
    @abstractmethod
    def _new_process(self, name: str, args: list[str]) -> ShellProcess: ...
    @abstractmethod
    def _enter(self) -> None: ...
    @abstractmethod
    def _status_arg(self, args: list[str], name: str) -> int: ...
    @abstractmethod
    def _switch_user(self, target: str, login: bool, io: IO) -> int: ...
    @abstractmethod
    def _describe(self, name: str) -> str: ...

    # -- builtins and launchers -----------------------------------------------------------------------
    @abstractmethod
    def _builtin(self, name: str, args: list[str], io: IO) -> int | None: ...
    @abstractmethod
    def _launch(self, name: str, args: list[str], io: IO) -> int | None: ...
