"""EC2 Instance Connect: a terminal on the instance, running the cloud's safe shell interpreter."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, RichLog

from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.shell import Shell
from mock_cloud.events import Event
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import follow_events
from tui.widgets.header import ConsoleHeader


class HistoryInput(Input):
    """The command line: up/down walk through what was typed before, like bash."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", show=False),
        Binding("down", "history(1)", show=False),
    ]

    def __init__(self, history: list[str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history = history
        self.position = len(history)

    def remember(self, line: str) -> None:
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self.position = len(self.history)

    def action_history(self, step: int) -> None:
        self.position = min(max(self.position + step, 0), len(self.history))
        self.value = self.history[self.position] if self.position < len(self.history) else ""
        self.cursor_position = len(self.value)


class ConnectScreen(WorkScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "connect.key.close")]

    def __init__(self, instance_id: str) -> None:
        super().__init__()
        self.instance_id = instance_id
        self.scrollback: list[Text] = []
        self.history: list[str] = []
        self.closed = False
        self._shell: Shell | None = None

    @property
    def instance(self) -> Instance:
        return self.app.cloud.ec2.instances[self.instance_id]  # type: ignore[attr-defined,no-any-return]

    @property
    def shell(self) -> Shell:
        """One login session for the screen's life (cwd, variables and `sudo -i` persist)."""
        if self._shell is None:
            self._shell = Shell(self.instance.os)
        return self._shell

    def compose(self) -> ComposeResult:
        t = self.app.t  # type: ignore[attr-defined]
        instance = self.instance
        title = f"{instance.instance_id} ({instance.name})" if instance.name else instance.instance_id
        yield ConsoleHeader(t("connect.title", instance=title))
        yield RichLog(id="scrollback", wrap=True, markup=False, highlight=False)
        with Horizontal(id="command-line"):
            yield Label(self.shell.prompt, id="prompt", markup=False)
            yield HistoryInput(self.history, id="command", compact=True, disabled=self.closed)
        yield from self.footer()

    def on_mount(self) -> None:
        banner = self.app.t("connect.banner", ip=self.instance.private_ip, user=self.shell.user)  # type: ignore[attr-defined]
        self.scrollback.append(Text(banner, style="dim"))
        follow_events(self, ("instance.state", "instance.removed"), self._instance_changed)

    async def composed(self) -> None:
        log = self.query_one("#scrollback", RichLog)
        for line in self.scrollback:
            log.write(line, expand=True)
        self.query_one("#command", HistoryInput).focus()

    @on(Input.Submitted, "#command")
    def _submitted(self, event: Input.Submitted) -> None:
        command = self.query_one("#command", HistoryInput)
        line = event.value
        command.value = ""
        command.remember(line)
        self._write(Text.assemble((self.shell.prompt, "bold"), line))
        if line.strip() == "clear":  # a terminal's job, not the shell's
            self.scrollback.clear()
            self.query_one("#scrollback", RichLog).clear()
            return
        # The interpreter is synchronous and bounded (it never touches the host), so a line runs
        # here, in order; only bringing the instance's servers in line with it awaits the cloud.
        result = self.shell.run(line)
        if result.output:
            self._write(Text(result.output.rstrip("\n")))
        self.query_one("#prompt", Label).update(self.shell.prompt)
        self.run_worker(self._after(result.closed), group="shell")

    async def _after(self, closed: bool) -> None:
        await self.app.cloud.ec2.after_shell(self.instance)  # type: ignore[attr-defined]
        if closed:  # `exit` at the login shell ends the session, as in the real console
            self.app.pop_screen()

    def _instance_changed(self, batch: list[Event]) -> None:
        if self.closed or not any(event.resource_id == self.instance_id for event in batch):
            return
        instance = self.app.cloud.ec2.instances.get(self.instance_id)  # type: ignore[attr-defined]
        if instance is None or instance.state != "running":
            self.closed = True
            self._write(Text(self.app.t("connect.closed"), style="bold"))  # type: ignore[attr-defined]
            self.query_one("#command", HistoryInput).disabled = True

    def _write(self, line: Text) -> None:
        self.scrollback.append(line)
        self.query_one("#scrollback", RichLog).write(line, expand=True)
