"""The shell interpreter: runs source text command by command, and control flow, pipelines and
subshells over the syntax tree.

Nothing reaches the host: there is no subprocess, no host path and no Python eval. Expansion,
arithmetic, redirection, command lookup and the builtins are mixins in their own modules.
"""

from __future__ import annotations

import fnmatch
import logging
from typing import TYPE_CHECKING

from mock_cloud.guestos.shell.arithmetic import Arithmetic
from mock_cloud.guestos.shell.builtins import Builtins
from mock_cloud.guestos.shell.errors import ArithError, ExpansionError, FunctionReturn, LoopControl, ShellExit
from mock_cloud.guestos.shell.expansion import Expansion
from mock_cloud.guestos.shell.launchers import Launchers
from mock_cloud.guestos.shell.limits import MAX_BUFFER, MAX_CALL_DEPTH, Budget, ShellAbort
from mock_cloud.guestos.shell.lookup import ProgramLookup
from mock_cloud.guestos.shell.parser import Parser
from mock_cloud.guestos.shell.quoting import trace_quote
from mock_cloud.guestos.shell.redirection import Redirection
from mock_cloud.guestos.shell.streams import IO, Capture, Discard, Input, Sink
from mock_cloud.guestos.shell.syntax import (
    AndOr,
    Case,
    For,
    FuncDef,
    Group,
    If,
    Loop,
    Node,
    Pipeline,
    Redirected,
    Seq,
    Simple,
)
from mock_cloud.guestos.shell.tokens import ParseError

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS

_log = logging.getLogger(__name__)


class Interp(Expansion, Arithmetic, Redirection, ProgramLookup, Builtins, Launchers):
    """One shell process: variables, functions, the current user and directory, and the run's budget."""

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

    def fork(self) -> Interp:
        """A subshell: a copy of the state that shares the budget and the instance."""
        if self.call_depth >= MAX_CALL_DEPTH:
            raise ShellAbort(f"more than {MAX_CALL_DEPTH} nested subshells or function calls; script stopped")
        child = object.__new__(Interp)
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
        except ShellExit as done:
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
        except ArithError as error:
            io.err.write(f"{self._prefix()}{error.message}\n")
            self.status = 1
            return 1

    def run_node(self, node: Node, io: IO) -> int:
        self.err = io.err
        try:
            status = self._dispatch(node, io)
        except ArithError:
            raise
        except ExpansionError as error:
            self.shell_error(error.message)
            if error.fatal and not self.interactive:
                raise ShellExit(1) from None
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
            raise ShellExit(status)
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
            io.err.write("+" * self.trace_level + " " + " ".join(trace_quote(a) for a in shown) + "\n")
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
            except ShellExit as done:
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
                except LoopControl as control:
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
                except LoopControl as control:
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
        except ShellExit as done:
            return done.status

    def _call(self, name: str, args: list[str], io: IO) -> int:
        if self.call_depth >= MAX_CALL_DEPTH:
            raise ShellAbort(f"more than {MAX_CALL_DEPTH} nested subshells or function calls; script stopped")
        saved_args, self.positional = self.positional, args
        self.locals.append({})
        self.call_depth += 1
        try:
            return self.run_node(self.functions[name], io)
        except FunctionReturn as returned:
            return returned.status
        finally:
            self.call_depth -= 1
            for var, old in self.locals.pop().items():
                self._restore(var, old, var in self.exported)
            self.positional = saved_args


def run_guarded(interp: Interp, text: str, io: IO) -> int:
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
