"""Shell builtins: the commands that change the shell itself (cd, export, set, read, eval, ...).

`BUILTINS` is their registry; each entry is called with the interpreter, the arguments and the streams.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mock_cloud.guestos.shell.errors import FunctionReturn, LoopControl, ShellExit
from mock_cloud.guestos.shell.numbers import legal_number
from mock_cloud.guestos.shell.process import ShellProcess
from mock_cloud.guestos.shell.quoting import trace_quote
from mock_cloud.guestos.shell.streams import IO
from mock_cloud.guestos.shell.tokens import NAME
from mock_cloud.guestos.vfs import normalize


class Builtins(ShellProcess):
    """The builtins as methods (a mixin of `interpreter.Interp`)."""

    def _b_cd(self, args: list[str], io: IO) -> int:
        args = [a for a in args if a not in ("-L", "-P", "--")]
        target = args[0] if args else self.vars.get("HOME", "/")
        if target == "-":
            target = self.vars.get("OLDPWD", self.cwd)
            io.out.write(target + "\n")
        path = normalize(target, self.cwd)
        fs = self.os.fs
        if not fs.exists(path):
            problem = "No such file or directory"
        elif not fs.is_dir(path):
            problem = "Not a directory"
        else:
            problem = "" if self.os.allowed(path, self.user, "x") else "Permission denied"
        if problem:
            self.shell_error(f"cd: {target}: {problem}")
            return 1
        self.vars["OLDPWD"], self.cwd, self.vars["PWD"] = self.cwd, path, path
        return 0

    def _b_export(self, args: list[str], io: IO) -> int:
        names = [a for a in args if not a.startswith("-")]
        if not names:
            for name in sorted(self.exported & set(self.vars)):
                io.out.write(f'declare -x {name}="{self.vars[name]}"\n')
            return 0
        status = 0
        for arg in names:
            name, eq, value = arg.partition("=")
            if not NAME.fullmatch(name):
                self.shell_error(f"export: `{arg}': not a valid identifier")
                status = 1
                continue
            if eq:
                self._assign(name, value)
            if "-n" in args:
                self.exported.discard(name)
            else:
                self.exported.add(name)
        return status

    def _b_declare(self, args: list[str], io: IO) -> int:
        export = any(a.startswith("-") and "x" in a for a in args)
        for arg in args:
            name, eq, value = arg.partition("=")
            if NAME.fullmatch(name):
                if eq:
                    self._assign(name, value)
                if export:
                    self.exported.add(name)
        return 0

    def _b_local(self, args: list[str], io: IO) -> int:
        if not self.locals:
            self.shell_error("local: can only be used in a function")
            return 1
        for arg in args:
            name, _eq, value = arg.partition("=")
            if NAME.fullmatch(name):
                self.locals[-1].setdefault(name, self.vars.get(name))
                self._assign(name, value)
        return 0

    def _b_unset(self, args: list[str], io: IO) -> int:
        for name in (a for a in args if not a.startswith("-")):
            if "-f" in args:
                self.functions.pop(name, None)
            else:
                self.vars.pop(name, None)
                self.exported.discard(name)
        return 0

    def _b_set(self, args: list[str], io: IO) -> int:
        if not args:
            io.out.write("".join(f"{k}={trace_quote(v)}\n" for k, v in sorted(self.vars.items())))
            return 0
        options = {"errexit": "errexit", "xtrace": "xtrace", "nounset": "nounset", "pipefail": "pipefail",
                   "e": "errexit", "x": "xtrace", "u": "nounset"}
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                self.positional = rest
                return 0
            if arg[:1] not in ("-", "+") or len(arg) < 2:
                self.positional = [arg, *rest]
                return 0
            on = arg[0] == "-"
            for flag in arg[1:]:
                name = rest.pop(0) if flag == "o" and rest else flag
                if name in options:
                    setattr(self, options[name], on)
                elif flag == "o":
                    self.shell_error(f"set: {name}: invalid option name")
                    return 1
        return 0

    def _b_shift(self, args: list[str], io: IO) -> int:
        count = legal_number(args[0]) if args else 1
        if count is None or count < 0:
            problem = "numeric argument required" if count is None else "shift count out of range"
            self.shell_error(f"shift: {args[0]}: {problem}")
            return 1
        if count > len(self.positional):
            return 1
        self.positional = self.positional[count:]
        return 0

    def _b_exit(self, args: list[str], io: IO) -> int:
        raise ShellExit(self._status_arg(args, "exit"))

    def _b_return(self, args: list[str], io: IO) -> int:
        if not self.locals and not self.vars.get("BASH_SOURCE"):
            self.shell_error("return: can only `return' from a function or sourced script")
            return 1
        raise FunctionReturn(self._status_arg(args, "return"))

    def _b_break(self, args: list[str], io: IO, kind: str = "break") -> int:
        if self.loop_depth == 0:
            self.shell_error(f"{kind}: only meaningful in a `for', `while', or `until' loop")
            return 0
        count = legal_number(args[0]) if args else 1
        if count is None:
            # bash treats this as a fatal usage error: a script stops with status 128
            self.shell_error(f"{kind}: {args[0]}: numeric argument required")
            if not self.interactive:
                raise ShellExit(128)
            return 128
        raise LoopControl(kind, min(max(count, 1), self.loop_depth))

    def _b_continue(self, args: list[str], io: IO) -> int:
        return self._b_break(args, io, "continue")

    def _b_source(self, args: list[str], io: IO) -> int:
        if not args:
            self.shell_error("source: filename argument required")
            return 2
        text = self._read_script(args[0])
        if text is None:
            return 1
        saved = self.positional, self.vars.get("BASH_SOURCE")
        self.positional = args[1:] or self.positional
        self.vars["BASH_SOURCE"] = args[0]
        self._enter()
        try:
            return self._run_in_place(text, io)
        except FunctionReturn as returned:
            return returned.status
        finally:
            self.call_depth -= 1
            self.positional = saved[0]
            self._restore("BASH_SOURCE", saved[1], False)

    def _b_eval(self, args: list[str], io: IO) -> int:
        self._enter()
        try:
            return self._run_in_place(" ".join(args), io)
        finally:
            self.call_depth -= 1

    def _b_exec(self, args: list[str], io: IO) -> int:
        if args:
            raise ShellExit(self.run_argv(args, io))
        self.exec_io = io
        return 0

    def _b_read(self, args: list[str], io: IO) -> int:
        names: list[str] = []
        raw = False
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "-r":
                raw = True
            elif arg in ("-p", "-t", "-n", "-N", "-d", "-u", "-a") and rest:
                prompt = rest.pop(0)
                if arg == "-p" and self.interactive:
                    io.err.write(prompt)
            elif not arg.startswith("-"):
                names.append(arg)
        names = names or ["REPLY"]
        line = io.stdin.read_line()
        if not raw and line is not None:
            line = re.sub(r"\\(.)", r"\1", line)
        if len(names) > 1:
            values = re.split(r"[ \t]+", (line or "").strip(" \t"), maxsplit=len(names) - 1)
        else:
            values = [line or ""]
        for i, name in enumerate(names):
            self._assign(name, values[i] if i < len(values) else "")
        return 1 if line is None else 0

    def _b_type(self, args: list[str], io: IO) -> int:
        status = 0
        for name in (a for a in args if not a.startswith("-")):
            kind = self._describe(name)
            if kind in ("function", "builtin"):
                io.out.write(f"{name} is a {'function' if kind == 'function' else 'shell builtin'}\n")
            elif kind:
                io.out.write(f"{name} is {kind}\n")
            else:
                self.shell_error(f"type: {name}: not found")
                status = 1
        return status

    def _b_command(self, args: list[str], io: IO) -> int:
        if args[:1] in (["-v"], ["-V"]):
            found = [(name, self._describe(name)) for name in args[1:]]
            shown = [kind if kind.startswith("/") else name for name, kind in found if kind]
            io.out.write("".join(line + "\n" for line in shown))
            return 0 if found and all(kind for _n, kind in found) else 1
        if not args:
            return 0
        status = self._builtin(args[0], args[1:], io)
        return self._program(args, io) if status is None else status

    def _builtin(self, name: str, args: list[str], io: IO) -> int | None:
        """Run the builtin `name`; None when there is none by that name."""
        builtin = BUILTINS.get(name)
        return None if builtin is None else builtin(self, args, io)

    def _b_noop(self, args: list[str], io: IO) -> int:
        return 0

    def _b_not_emulated(self, args: list[str], io: IO) -> int:
        io.err.write("lblab: this shell builtin is not emulated; skipped\n")
        return 0


Builtin = Callable[[Builtins, list[str], IO], int]

BUILTINS: dict[str, Builtin] = {
    "cd": Builtins._b_cd, "export": Builtins._b_export, "declare": Builtins._b_declare,
    "typeset": Builtins._b_declare, "readonly": Builtins._b_declare, "local": Builtins._b_local,
    "unset": Builtins._b_unset, "set": Builtins._b_set, "shift": Builtins._b_shift, "exit": Builtins._b_exit,
    "logout": Builtins._b_exit, "return": Builtins._b_return, "break": Builtins._b_break,
    "continue": Builtins._b_continue, "source": Builtins._b_source, ".": Builtins._b_source,
    "eval": Builtins._b_eval,
    "exec": Builtins._b_exec, "read": Builtins._b_read, "type": Builtins._b_type, "command": Builtins._b_command,
    "wait": Builtins._b_noop, "hash": Builtins._b_noop, "shopt": Builtins._b_noop, "umask": Builtins._b_noop,
    "alias": Builtins._b_not_emulated, "unalias": Builtins._b_noop, "trap": Builtins._b_not_emulated,
    "ulimit": Builtins._b_not_emulated, "let": Builtins._b_not_emulated, "history": Builtins._b_not_emulated,
}
