"""Programs that run other programs and so re-enter the interpreter: bash/sh, sudo, su, env,
nohup, timeout, which. `PROGRAMS` is their registry.
"""

from __future__ import annotations

from collections.abc import Callable

from mock_cloud.guestos.packages.catalogue import SBIN_COMMANDS
from mock_cloud.guestos.shell.builtins import BUILTINS
from mock_cloud.guestos.shell.process import ShellProcess
from mock_cloud.guestos.shell.streams import IO
from mock_cloud.guestos.shell.tokens import ASSIGNMENT


class Launchers(ShellProcess):
    """The launchers as methods (a mixin of `interpreter.Interp`)."""

    def _launch(self, name: str, args: list[str], io: IO) -> int | None:
        """Run the launcher `name`; None when there is none by that name."""
        launcher = PROGRAMS.get(name)
        return None if launcher is None else launcher(self, args, io)

    def _p_bash(self, args: list[str], io: IO) -> int:
        flags = ""
        rest = list(args)
        command: str | None = None
        while rest and rest[0].startswith("-") and rest[0] != "-":
            arg = rest.pop(0)
            if arg == "-c":
                command = rest.pop(0) if rest else ""
                break
            if not arg.startswith("--"):
                flags += arg[1:]
        if command is not None:
            child = self._new_process(rest[0] if rest else "bash", rest[1:])
        elif rest:
            text = self._read_script(rest[0])
            if text is None:
                return 127
            child, command = self._new_process(rest[0], rest[1:]), text
        else:
            command = io.stdin.read_all()
            if self.interactive and not command:
                io.err.write("lblab: nested interactive shells are not emulated "
                             "(try `sudo -i` to become root)\n")
                return 0
            child = self._new_process("bash", [])
        child.errexit, child.xtrace = "e" in flags, "x" in flags
        return child.run_source(command, io)

    def _p_sudo(self, args: list[str], io: IO) -> int:
        target, login, shell = "root", False, False
        rest = list(args)
        while rest and rest[0].startswith("-"):
            arg = rest.pop(0)
            if arg == "--":
                break
            if arg == "-u":
                target = rest.pop(0) if rest else ""
            elif arg.startswith("-u"):
                target = arg[2:]
            elif arg in ("-i", "--login"):
                login = True
            elif arg in ("-s", "--shell"):
                shell = True
            elif arg == "-l":
                io.out.write(f"User {self.user} may run the following commands on {self.os.short_hostname}:\n"
                             "    (ALL) NOPASSWD: ALL\n")
                return 0
        if target not in self.os.passwd():
            io.err.write(f"sudo: unknown user {target}\n"
                         "sudo: error initializing audit plugin sudoers_audit\n")
            return 1
        if not rest:
            if login or shell:
                return self._switch_user(target, login, io)
            io.err.write("usage: sudo -h | -K | -k | -V\n"
                         "usage: sudo [-ABbEHknPS] [-u user] [command [arg ...]]\n")
            return 1
        if rest[0] in BUILTINS or rest[0] in self.functions:
            io.err.write(f"sudo: {rest[0]}: command not found\n")
            return 1
        previous, self.user = self.user, target
        depth = len(self.user_stack)
        try:
            return self._program(rest, io)
        finally:
            if len(self.user_stack) == depth:
                self.user = previous
            else:  # `sudo su -` switched users for good: `exit` must come back to the user who ran sudo
                _user, cwd, env, exported = self.user_stack[-1]
                self.user_stack[-1] = (previous, cwd, env, exported)

    def _p_su(self, args: list[str], io: IO) -> int:
        login = any(a in ("-", "-l", "--login") for a in args)
        command: str | None = None
        names: list[str] = []
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg in ("-c", "--command"):
                command = rest.pop(0) if rest else ""
            elif not arg.startswith("-"):
                names.append(arg)
        target = names[0] if names else "root"
        if target not in self.os.passwd():
            io.err.write(f"su: user {target} does not exist or the user entry does not contain all the "
                         "required fields\n")
            return 1
        if self.user != "root":
            io.err.write("Password: \nsu: Authentication failure\n")
            return 1
        if command is not None:
            child = self._new_process("bash", [])
            child._login(target, self.os.home_of(target) if login else self.cwd)
            return child.run_source(command, io)
        return self._switch_user(target, login, io)

    def _p_env(self, args: list[str], io: IO) -> int:
        rest = list(args)
        clear = False
        overrides: dict[str, str] = {}
        while rest and (rest[0] in ("-i", "-") or ASSIGNMENT.match(rest[0])):
            arg = rest.pop(0)
            if arg in ("-i", "-"):
                clear = True
            else:
                name, _eq, value = arg.partition("=")
                overrides[name] = value
        if not rest:
            env = {} if clear else {k: v for k, v in self.vars.items() if k in self.exported}
            env.update(overrides)
            io.out.write("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
            return 0
        saved = {name: (self.vars.get(name), name in self.exported) for name in overrides}
        for name, value in overrides.items():
            self._assign(name, value)
            self.exported.add(name)
        try:
            return self._program(rest, io)
        finally:
            for name, (old, exported) in saved.items():
                self._restore(name, old, exported)

    def _p_nohup(self, args: list[str], io: IO) -> int:
        if not args:
            io.err.write("nohup: missing operand\n")
            return 125
        return self._program(args, io)

    def _p_timeout(self, args: list[str], io: IO) -> int:
        rest = list(args)
        while rest and rest[0].startswith("-"):
            if rest.pop(0) in ("-s", "-k", "--signal", "--kill-after") and rest:
                rest.pop(0)
        if len(rest) < 2:
            io.err.write("timeout: missing operand\n")
            return 125
        return self._program(rest[1:], io)

    def _p_which(self, args: list[str], io: IO) -> int:
        status = 0
        for name in (a for a in args if not a.startswith("-")):
            if self._known(name) and self._available(name):
                io.out.write(f"/usr/{'sbin' if name in SBIN_COMMANDS else 'bin'}/{name}\n")
                continue
            status = 1
            if self.os.distro != "ubuntu":
                io.err.write(f"/usr/bin/which: no {name} in ({self.vars.get('PATH', '')})\n")
        return status


Launcher = Callable[[Launchers, list[str], IO], int]

PROGRAMS: dict[str, Launcher] = {
    "bash": Launchers._p_bash, "sh": Launchers._p_bash, "sudo": Launchers._p_sudo, "su": Launchers._p_su,
    "env": Launchers._p_env, "nohup": Launchers._p_nohup, "timeout": Launchers._p_timeout,
    "which": Launchers._p_which,
}
