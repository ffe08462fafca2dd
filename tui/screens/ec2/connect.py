"""EC2 Instance Connect: a terminal on the instance, a session of the safe shell interpreter in its guest."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Label, RichLog

from mock_cloud import CloudError, Event, GuestError, GuestGone, GuestShell, Instance
from tui.screens.lab_hooks import WorkScreen
from tui.tasks import follow_events
from tui.typed_app import app_of
from tui.widgets.header import ConsoleHeader
from tui.widgets.text_input import TextInput


class HistoryInput(TextInput):
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
        self.prompt = ""
        self._shell: GuestShell | None = None
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        self._running = False

    @property
    def instance(self) -> Instance:
        return app_of(self).cloud.ec2.instances[self.instance_id]

    @property
    def busy(self) -> bool:
        """Lines typed are still running in the guest."""
        return self._running or not self._lines.empty()

    def compose(self) -> ComposeResult:
        t = app_of(self).t
        instance = self.instance
        title = f"{instance.instance_id} ({instance.name})" if instance.name else instance.instance_id
        yield ConsoleHeader(t("connect.title", instance=title))
        yield RichLog(id="scrollback", wrap=True, markup=False, highlight=False)
        with Horizontal(id="command-line"):
            yield Label(self.prompt, id="prompt", markup=False)
            yield HistoryInput(self.history, id="command", compact=True, disabled=self.closed)
        yield from self.footer()

    def on_mount(self) -> None:
        instance = self.instance
        banner = app_of(self).t("connect.banner", ip=instance.private_ip, user=instance.os.login_user)
        self.scrollback.append(Text(banner, style="dim"))
        follow_events(self, ("instance.state", "instance.removed"), self._instance_changed)
        self.run_worker(self._session(), group="shell")

    def on_unmount(self) -> None:
        """Closing the screen ends the login session in the guest, as closing the browser tab does."""
        if self._shell is not None and not self._shell.closed:
            self._shell.abandon()

    async def composed(self) -> None:
        log = self.query_one("#scrollback", RichLog)
        for line in self.scrollback:
            log.write(line, expand=True)
        self.query_one("#command", HistoryInput).focus()

    @on(TextInput.Submitted, "#command")
    def _submitted(self, event: TextInput.Submitted) -> None:
        command = self.query_one("#command", HistoryInput)
        line = event.value
        command.value = ""
        command.remember(line)
        if line.strip() == "clear":  # a terminal's job, not the shell's
            self.scrollback.clear()
            self.query_one("#scrollback", RichLog).clear()
            return
        self._lines.put_nowait(line)

    async def _session(self) -> None:
        """One login session for the screen's life (cwd, variables and `sudo -i` persist), in the
        instance's guest: lines run there in order, and the cloud's loop never runs the interpreter."""
        try:
            self._shell = shell = await app_of(self).cloud.ec2.open_shell(self.instance_id)
        except (CloudError, GuestGone, GuestError) as error:
            self._lost(str(error))
            return
        self._show_prompt(shell.prompt)
        while not shell.closed:
            line = await self._lines.get()
            self._running = True
            self._write(Text.assemble((shell.prompt, "bold"), line))
            result = await shell.run(line)
            if result.output:
                self._write(Text(result.output.rstrip("\n")))
            self._show_prompt(shell.prompt)
            self._running = False
        if shell.lost:
            self._lost("")
        else:
            self.app.pop_screen()  # `exit` at the login shell ends the session, as in the real console

    def _lost(self, why: str) -> None:
        if why:
            self._write(Text(why, style="dim"))
        self.closed = True
        self._write(Text(app_of(self).t("connect.closed"), style="bold"))
        self.query_one("#command", HistoryInput).disabled = True

    def _show_prompt(self, prompt: str) -> None:
        self.prompt = prompt
        self.query_one("#prompt", Label).update(prompt)

    def _instance_changed(self, batch: list[Event]) -> None:
        if self.closed or not any(event.resource_id == self.instance_id for event in batch):
            return
        instance = app_of(self).cloud.ec2.instances.get(self.instance_id)
        if instance is None or instance.state != "running":
            self._lost("")

    def _write(self, line: Text) -> None:
        self.scrollback.append(line)
        self.query_one("#scrollback", RichLog).write(line, expand=True)
