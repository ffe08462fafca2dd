"""What happens to an instance's guest as it boots, stops and reboots.

Boot starts the instance's guest process (`mock_cloud.guest`), hands it the saved OS state, runs
user-data there (first boot only), and the guest brings up its active web services on loopback.
Every OS state the guest sends back is adopted and saved before the operation counts as done.
A reachability probe asks each guest for its status: a guest that dies or stops answering fails
the instance's status check (impaired) until a reboot gives it a new guest.
Durations are cloud seconds, close to what a learner sees on AWS.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import time
from dataclasses import dataclass
from typing import Any

from mock_cloud.context import Context
from mock_cloud.ec2.instance import Instance
from mock_cloud.guest.client import Guest, GuestError, GuestGone
from mock_cloud.guestos.instance_os import InstanceOS

BOOT_SECONDS = 10.0  # pending -> running
USER_DATA_SECONDS = 15.0  # running -> cloud-init final stage done (httpd up)
STOP_SECONDS = 15.0  # stopping -> stopped
TERMINATE_SECONDS = 10.0  # shutting-down -> terminated
REBOOT_SECONDS = 5.0  # services down while the instance reboots
TERMINATED_VISIBLE_SECONDS = 3600.0  # terminated instances stay listed about an hour
PROBE_SECONDS = 2.0  # real seconds between reachability probes of a guest
PROBE_TIMEOUT = 10.0  # real seconds a guest may take to answer one (generous: the host may be loaded)
FAILURE_MODES = ("kill", "hang")
_sessions = itertools.count(1)


def gmt(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S GMT", time.gmtime(epoch))


def console_boot_lines(instance: Instance, epoch: float) -> str:
    return (
        f"[    0.000000] Linux version 6.1.112-122.189.amzn2023.x86_64 (mockbuild@ip-10-0-43-132) #1 SMP\n"
        f"[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz root=UUID=... console=ttyS0\n"
        f"[    2.104113] systemd[1]: Hostname set to <{instance.private_dns_name}>.\n"
        f"[    4.882719] cloud-init[1642]: Cloud-init v. 22.2.2 running 'init' at {gmt(epoch)}.\n"
        f"ci-info: | eth0 | True | {instance.private_ip} | 255.255.240.0 | global |\n"
    )


async def start_guest(ctx: Context, instance: Instance) -> None:
    """A new guest process for the instance, booted from its saved OS state."""
    await stop_guest(instance)
    guest = Guest(instance.instance_id, ctx.clock, lambda state: adopt(ctx, instance, state),
                  lambda ended: _guest_ended(ctx, instance, ended))
    instance.guest = guest
    try:
        await guest.start()
        await guest.call("boot", os=instance.os.to_dict())
    except (OSError, GuestGone, GuestError) as error:  # the instance runs, unreachable, as after a kernel panic
        instance.console_output += f"[lblab] the guest did not boot: {error}\n"
        _impaired(ctx, instance)
        return
    instance.probe = asyncio.get_running_loop().create_task(_probe(ctx, instance, guest),
                                                            name=f"probe-{instance.instance_id}")


async def run_first_boot(instance: Instance) -> None:
    """cloud-init's final stage: user-data, exactly once in the instance's life, inside the guest
    (a hostile script costs the guest, never the cloud's loop)."""
    try:
        result = await _guest(instance).call("user_data", user_data=instance.user_data)
    except (GuestGone, GuestError) as error:
        instance.console_output += f"[lblab] cloud-init failed in the guest: {error}\n"
        return
    instance.console_output += result.get("log", "")


async def stop_guest(instance: Instance) -> None:
    """Graceful shutdown (the guest's last OS state is saved), then killed after a grace period."""
    guest, probe = instance.guest, instance.probe
    instance.guest, instance.probe, instance.impaired_since = None, None, None
    if probe is not None:
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)
    if guest is not None:
        await guest.stop()


def simulate_failure(ctx: Context, instance: Instance, mode: str) -> None:
    """lblab-only failure drill: the guest is killed (kill -9) or stops answering (hang)."""
    guest = _guest(instance)
    if mode == "kill":
        guest.kill()
    else:
        guest.send("hang")


def adopt(ctx: Context, instance: Instance, state: dict[str, Any]) -> None:
    """The guest's OS state becomes the instance's, saved at once (the state file is the truth)."""
    fresh = InstanceOS.from_dict(state)
    for spec in dataclasses.fields(fresh):
        if spec.compare:
            setattr(instance.os, spec.name, getattr(fresh, spec.name))
    ctx.changed("instance.os", instance.instance_id)


@dataclass
class GuestShell:
    """One Connect session inside the instance's guest: cwd, variables and user persist between lines."""

    instance: Instance
    session: str
    prompt: str
    user: str
    closed: bool = False
    lost: bool = False  # the guest died or hung: the connection dropped

    @classmethod
    async def open(cls, instance: Instance, user: str | None = None) -> GuestShell:
        session = f"s{next(_sessions)}"
        try:
            reply = await _guest(instance).call("shell_open", session=session, user=user)
        except asyncio.CancelledError:  # the screen closed while it opened: the guest may have it already
            _end_session(instance, session)
            raise
        return cls(instance, session, reply["prompt"], reply["user"])

    async def run(self, line: str) -> ShellReply:
        """One line typed at the prompt; a dead or hung guest ends the session as a lost connection."""
        try:
            reply = await _guest(self.instance).call("shell", session=self.session, line=line)
        except GuestGone:
            self.closed = self.lost = True
            return ShellReply("Connection to the instance was lost.\n", 255, closed=True)
        self.prompt, self.user, self.closed = reply["prompt"], reply["user"], reply["closed"]
        return ShellReply(reply["output"], reply["exit_code"], reply["closed"])

    async def close(self) -> None:
        """End the session in the guest and wait until it is gone."""
        guest = self.instance.guest
        if guest is not None and guest.alive:
            with contextlib.suppress(GuestGone, GuestError):
                await guest.call("shell_close", session=self.session)

    def abandon(self) -> None:
        """End the session without waiting (a closing screen cannot wait): the guest runs operations in
        order, so the session is gone before anything sent later."""
        self.closed = True
        _end_session(self.instance, self.session)


@dataclass
class ShellReply:
    output: str
    exit_code: int
    closed: bool = False


def _end_session(instance: Instance, session: str) -> None:
    if instance.guest is not None:
        with contextlib.suppress(GuestGone):  # a guest that is gone has no sessions left
            instance.guest.send("shell_close", session=session)  # the reply is not awaited: nobody waits


def _guest(instance: Instance) -> Guest:
    guest = instance.guest
    if guest is None or not guest.alive or guest.unreachable:
        raise GuestGone(f"instance {instance.instance_id} has no running guest")
    return guest


def _guest_ended(ctx: Context, instance: Instance, guest: Guest) -> None:
    """The guest died without being asked: the instance is impaired until it is rebooted."""
    if instance.guest is not guest:
        return
    tail = guest.stderr_tail.decode("utf-8", "replace").strip().splitlines()[-1:]
    instance.console_output += (f"[lblab] the guest process ended unexpectedly (exit code {guest.returncode})"
                                f"{': ' + tail[0] if tail else ''}\n")
    _impaired(ctx, instance)


def _impaired(ctx: Context, instance: Instance) -> None:
    if instance.impaired_since is None:
        instance.impaired_since = ctx.clock.now()
        ctx.changed("instance.status", instance.instance_id, persist=False, status="impaired")


async def _probe(ctx: Context, instance: Instance, guest: Guest) -> None:
    """The instance reachability check: a guest that stops answering is impaired."""
    while guest.alive:
        await asyncio.sleep(PROBE_SECONDS)
        try:
            await guest.call("status", timeout=PROBE_TIMEOUT)
        except GuestGone as error:
            guest.give_up(str(error))
            if instance.guest is guest:
                _impaired(ctx, instance)
            return


def status_check(instance: Instance) -> str:
    """DescribeInstanceStatus' InstanceStatus for a running instance: `ok` or `impaired`."""
    return "impaired" if instance.impaired_since is not None else "ok"
