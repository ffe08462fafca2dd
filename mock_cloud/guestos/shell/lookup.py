"""How a command name is found and run: functions, shell builtins, programs, scripts on PATH,
and what bash says when a name is not found (or its package is not installed).
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from mock_cloud.guestos.commands.registry import COMMANDS, Ctx, read_vfs_file, reason
from mock_cloud.guestos.packages.catalogue import CATALOGUE, SBIN_COMMANDS, TOOLS, command_packages
from mock_cloud.guestos.shell.builtins import BUILTINS
from mock_cloud.guestos.shell.launchers import PROGRAMS
from mock_cloud.guestos.shell.limits import MAX_CALL_DEPTH, ShellAbort
from mock_cloud.guestos.shell.numbers import legal_number
from mock_cloud.guestos.shell.process import ShellProcess
from mock_cloud.guestos.vfs import VfsError, normalize

if TYPE_CHECKING:
    from mock_cloud.guestos.shell.streams import IO

_BASH_BUILTINS = frozenset({"echo", "printf", "pwd", "test", "[", "[[", "true", "false", ":"})
_BIN_DIRS = frozenset({"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"})
SHEBANG_SHELLS = re.compile(r"#!\s*(?:/usr)?/bin/(?:env\s+)?(?:ba|da)?sh\b(.*)")


class ProgramLookup(ShellProcess):
    """Resolves and runs argv (a mixin of `interpreter.Interp`)."""

    def run_argv(self, argv: list[str], io: IO) -> int:
        name = argv[0]
        if name in self.functions:
            return self._call(name, argv[1:], io)
        status = self._builtin(name, argv[1:], io)
        return self._program(argv, io) if status is None else status

    def _program(self, argv: list[str], io: IO) -> int:
        """A program on the PATH (or given by path): emulated, a script in the VFS, or not emulated."""
        name = argv[0]
        if "/" in name:
            path = normalize(name, self.cwd)
            if posixpath.dirname(path) not in _BIN_DIRS:
                return self._run_file(name, argv[1:], io)
            name = posixpath.basename(path)
            if not self._known(name) and not self.os.fs.exists(path):
                self.shell_error(f"{argv[0]}: No such file or directory")
                return 127
        if not self._available(name):
            self.shell_error(f"{name}: command not found")
            return 127
        status = self._launch(name, argv[1:], io)
        if status is not None:
            return status
        command = COMMANDS.get(name)
        if command is not None:
            env = {k: v for k, v in self.vars.items() if k in self.exported}
            label = self._prefix() + name if name in _BASH_BUILTINS else name
            try:
                return command(Ctx(self.os, self.user, self.cwd, env, name, argv[1:], io.stdin, io.out,
                                   io.err, self.interactive, self.budget, label))
            except VfsError as error:  # e.g. the disk filled up half-way through a copy
                io.err.write(f"{label}: {error}\n")
                return 1
        io.err.write(f"lblab: '{name}' is not emulated; skipped\n")
        return 127

    def _known(self, name: str) -> bool:
        distro = self.os.distro
        return (name in COMMANDS or name in PROGRAMS or name in TOOLS[distro]
                or bool(command_packages(distro, name)))

    def _available(self, name: str) -> bool:
        """False when the command does not exist on this distro, or its package is not installed."""
        distro = self.os.distro
        if any(name in tools for tools in TOOLS.values()) and name not in TOOLS[distro]:
            return False
        if name == "chkconfig" and distro == "ubuntu":
            return False
        providers = command_packages(distro, name)
        if providers:
            return any(p in self.os.packages for p in providers)
        # A command packaged only on other distros (apache2 on Amazon Linux) does not exist here.
        return not any(name in p.commands for c in CATALOGUE.values() for p in c.values())

    def _read_script(self, name: str) -> str | None:
        try:
            return read_vfs_file(self.os, self.user, normalize(name, self.cwd), self.budget)
        except VfsError as error:
            self.shell_error(f"{name}: {reason(error)}")
            return None

    def _run_file(self, name: str, args: list[str], io: IO) -> int:
        path = normalize(name, self.cwd)
        fs = self.os.fs
        if not fs.exists(path):
            self.shell_error(f"{name}: No such file or directory")
            return 127
        if fs.is_dir(path):
            self.shell_error(f"{name}: Is a directory")
            return 126
        if not self.os.allowed(path, self.user, "x") or not fs.mode(path) & 0o111:
            self.shell_error(f"{name}: Permission denied")
            return 126
        text = self._read_script(name)
        if text is None:
            return 126
        first = text.split("\n", 1)[0]
        if first.startswith("#!") and not SHEBANG_SHELLS.match(first):
            io.err.write(f"lblab: '{name}' is a {first[2:].strip()} script, which is not emulated; skipped\n")
            return 127
        return self._new_process(name, args).run_source(text, io)

    def _new_process(self, name: str, args: list[str]) -> ShellProcess:
        """A child bash: exported variables only, no functions, no options, not interactive."""
        child = self.fork()
        child.vars = {k: v for k, v in self.vars.items() if k in self.exported}
        child.functions = {}
        child.locals = []
        child.errexit = child.xtrace = child.pipefail = child.nounset = False
        child.interactive = False
        child.script_name = name
        child.positional = list(args)
        return child

    def _enter(self) -> None:
        if self.call_depth >= MAX_CALL_DEPTH:
            raise ShellAbort(f"more than {MAX_CALL_DEPTH} nested subshells or function calls; script stopped")
        self.call_depth += 1

    def _status_arg(self, args: list[str], name: str) -> int:
        if not args:
            return self.status
        number = legal_number(args[0])
        if number is not None:
            return number & 255
        self.shell_error(f"{name}: {args[0]}: numeric argument required")
        return 2

    def _switch_user(self, target: str, login: bool, io: IO) -> int:
        if not self.interactive:
            return 0  # a script's `sudo su` starts a shell that reads no input and ends at once
        self.user_stack.append((self.user, self.cwd, self.vars, self.exported))
        self._login(target, self.os.home_of(target) if login else self.cwd)
        return 0

    def _describe(self, name: str) -> str:
        """'function', 'builtin', a program's path, or '' when bash would not find it."""
        if name in self.functions:
            return "function"
        if name in BUILTINS or name in _BASH_BUILTINS:
            return "builtin"
        if self._known(name) and self._available(name):
            return f"/usr/{'sbin' if name in SBIN_COMMANDS else 'bin'}/{name}"
        return ""
