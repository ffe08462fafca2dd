"""Redirections: `<`, `>`, `>>`, here-documents and here-strings, `2>&1`, `&>`, on the VirtualFS.

Writing a file through `>` checks the same permissions a command would, so
`echo hi > /var/www/html/index.html` without sudo fails as on a real instance.
"""

from __future__ import annotations

from mock_cloud.guestos.commands.registry import read_vfs_file, reason, write_problem
from mock_cloud.guestos.shell.process import ShellProcess
from mock_cloud.guestos.shell.streams import IO, Discard, FileSink, Input, Sink
from mock_cloud.guestos.shell.syntax import ProcSub, Redirect, Word
from mock_cloud.guestos.vfs import VfsError, normalize


class Redirection(ShellProcess):
    """Opens a command's redirections (a mixin of `interpreter.Interp`)."""

    def _redirect(self, redirects: list[Redirect], io: IO) -> IO | None:
        stdin, out, err = io.stdin, io.out, io.err
        for r in redirects:
            if r.heredoc is not None:
                stdin = Input(self._expand_str(r.heredoc.body))
                continue
            target = self._expand_str(r.target or Word([]))
            if r.target and any(isinstance(p, ProcSub) for p in r.target.parts):
                continue  # reported while expanding; the stream stays where it was
            if r.op == "<<<":
                stdin = Input(target + "\n")
            elif r.op in (">&", "<&") and (target.isdigit() or target == "-"):
                source = {"1": out, "2": err}.get(target, Discard())
                if r.fd == 1:
                    out = source
                elif r.fd == 2:
                    err = source
            elif r.op in ("<", "<>"):
                text = self._read_redirect(target)
                if text is None:
                    return None
                if r.fd == 0:
                    stdin = Input(text)
            else:
                sink = self._open_write(target, r.op in (">>", "&>>"), out, err)
                if sink is None:
                    return None
                if r.op in ("&>", "&>>", ">&"):
                    out = err = sink
                elif r.fd == 1:
                    out = sink
                elif r.fd == 2:
                    err = sink
        return IO(stdin, out, err)

    def _read_redirect(self, target: str) -> str | None:
        if target == "/dev/null":
            return ""
        try:
            return read_vfs_file(self.os, self.user, normalize(target, self.cwd), self.budget)
        except VfsError as error:
            self.shell_error(f"{target}: {reason(error)}")
            return None

    def _open_write(self, target: str, append: bool, out: Sink, err: Sink) -> Sink | None:
        devices: dict[str, Sink] = {"/dev/null": Discard(), "/dev/stdout": out, "/dev/tty": out,
                                    "/dev/console": out, "/dev/stderr": err}
        if target in devices:
            return devices[target]
        if not target:
            self.shell_error("ambiguous redirect")
            return None
        path = normalize(target, self.cwd)
        fs = self.os.fs
        problem = write_problem(self.os, self.user, path)
        if problem:
            self.shell_error(f"{target}: {problem}")
            return None
        created = not fs.exists(path)
        try:
            if created or not append:
                fs.write_bytes(path, b"")
        except VfsError as error:
            self.shell_error(f"{target}: {reason(error)}")
            return None
        if created:
            self.os.note_created(path, self.user)
        return FileSink(self.os.fs, path, self.budget)
