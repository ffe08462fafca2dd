"""The EC2 Instance Connect terminal: a login shell whose state persists between lines.

The guest keeps one per open Connect screen (see `mock_cloud.guest`); cwd, variables and
`sudo -i` carry over from line to line, and the prompt is bash's for the distro.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_cloud.guestos.shell.interpreter import Interp, run_guarded
from mock_cloud.guestos.shell.limits import Budget
from mock_cloud.guestos.shell.streams import IO, Input, Terminal

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS

MAX_LINE = 64 * 1024  # one Connect-shell input


@dataclass
class ShellResult:
    output: str
    exit_code: int
    closed: bool = False  # `exit` at the login shell: the Connect session is over


class Shell:
    """The EC2 Instance Connect terminal: cwd, variables and user persist between lines.

    It logs in as the AMI's default user (ec2-user, or ubuntu), so root-only commands need
    `sudo`, and `sudo -i` / `sudo su -` switch to root until `exit`.
    """

    def __init__(self, os: InstanceOS, user: str | None = None) -> None:
        self.os = os
        user = user or os.login_user
        home = os.home_of(user)
        self._interp = Interp(os, user, interactive=True, script_name="-bash",
                               cwd=home if os.fs.is_dir(home) else "/")

    @property
    def user(self) -> str:
        return self._interp.user

    @property
    def cwd(self) -> str:
        return self._interp.cwd

    @property
    def prompt(self) -> str:
        """What bash shows before the cursor: `[ec2-user@ip-172-31-5-10 ~]$ ` (Ubuntu: `ubuntu@ip-…:~$ `)."""
        interp = self._interp
        home = interp.vars.get("HOME", "")
        sign = "#" if interp.user == "root" else "$"
        host = self.os.short_hostname
        if self.os.distro == "ubuntu":
            under_home = home and (interp.cwd + "/").startswith(home + "/")
            shown = "~" + interp.cwd[len(home) :] if under_home else interp.cwd
            return f"{interp.user}@{host}:{shown}{sign} "
        shown = "~" if interp.cwd == home else posixpath.basename(interp.cwd) or "/"
        return f"[{interp.user}@{host} {shown}]{sign} "

    def run(self, line: str) -> ShellResult:
        """Run one line (or a pasted block) typed at the prompt."""
        if self._interp.closed:
            return ShellResult("", 0, closed=True)
        term = Terminal()
        if len(line) > MAX_LINE:
            return ShellResult(f"lblab: input longer than {MAX_LINE} characters; ignored\n", 1)
        self._interp.budget = Budget()
        status = run_guarded(self._interp, line, IO(Input(""), term, term))
        return ShellResult(term.text(), status, self._interp.closed)
