"""Each running instance is its own OS process (its guest): it starts with the instance, ends with it,
can die or hang like a real instance (EC2 status checks fail, its target turns unhealthy, Reboot
recovers it), never outlives the cloud, and never loses a change it acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

import pytest

from mock_cloud.api.ec2_handlers import describe_instance_status
from mock_cloud.cloud import Cloud
from mock_cloud.ec2 import lifecycle
from mock_cloud.ec2.instance import Instance
from mock_cloud.errors import CloudError
from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.guestos.vfs import VfsError
from mock_cloud.scenarios import INTERVAL, SEED_USER_DATA, healthy_lab, open_group
from mock_cloud.store import StateStore
from tests.support.cloud import boot, make_config
from tests.support.elbv2 import hostnames, states
from tests.support.paths import ROOT

POSIX = sys.platform != "win32"
DEEP_YAML = "#cloud-config\nruncmd: " + "[" * 5000 + "\n"  # the issue's: it killed the boot task silently


def alias_bomb(levels: int = 7) -> str:
    """The issue's 432-byte `#cloud-config` bomb: each level lists the previous one nine times."""
    lines = ["#cloud-config", "l0: &l0 [" + ", ".join(["x"] * 9) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, levels)]
    lines.append(f"write_files:\n  - path: /tmp/bomb\n    content: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan's zombie may linger under a container's PID 1)."""
    stat = Path(f"/proc/{pid}/stat")
    if sys.platform.startswith("linux"):
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


async def until(check: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait in real time (a guest is a real process) for `check`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.02)


def guest_pid(instance: Instance) -> int:
    assert instance.guest is not None and instance.guest.alive and instance.guest.pid
    return instance.guest.pid


async def instance_status(cloud: Cloud, instance: Instance) -> dict:
    [status] = (await describe_instance_status(cloud, {"InstanceId": [instance.instance_id]}))["instanceStatusSet"]
    return status


async def shell_line(cloud: Cloud, instance: Instance, line: str) -> str:
    shell = await cloud.ec2.open_shell(instance.instance_id)
    result = await shell.run(line)
    await shell.close()
    return result.output


async def web_instance(cloud: Cloud) -> Instance:
    """One booted instance serving the seed page to the internet."""
    group_id = await open_group(cloud, "web", "web servers")
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA, security_group_ids=[group_id])
    await boot(cloud)
    return instance


@pytest.mark.skipif(not POSIX, reason="reads the process table with ps")
async def test_a_running_instance_is_its_own_process_and_stopping_ends_it(cloud: Cloud) -> None:
    instance = await web_instance(cloud)
    pid = guest_pid(instance)
    row = subprocess.run(["ps", "-o", "ppid=,args=", "-p", str(pid)], capture_output=True, text=True).stdout.split()
    assert row[0] == str(os.getpid()) and "mock_cloud.guest" in row  # a child of the cloud, running the guest
    assert instance.local_port(80) and (await cloud.fetch(f"http://{instance.public_ip}/")).status == 200

    await cloud.ec2.stop_instances([instance.instance_id])
    await cloud.clock.advance(lifecycle.STOP_SECONDS + 1)
    assert instance.state == "stopped" and instance.guest is None
    await until(lambda: not running(pid))
    await cloud.ec2.start_instances([instance.instance_id])
    await cloud.clock.advance(lifecycle.BOOT_SECONDS + 1)
    assert guest_pid(instance) != pid and (await cloud.fetch(f"http://{instance.public_ip}/")).status == 200


async def test_a_killed_guest_fails_its_status_check_loses_no_request_and_reboot_recovers(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    victim, survivor = lab.instances
    status = await instance_status(cloud, victim)
    assert status["instanceStatus"] == {"status": "ok", "details": [{"name": "reachability", "status": "passed"}]}

    os.kill(guest_pid(victim), signal.SIGKILL if POSIX else signal.SIGTERM)
    await until(lambda: victim.impaired_since is not None)
    status = await instance_status(cloud, victim)
    assert status["instanceState"]["name"] == "running" and status["systemStatus"]["status"] == "ok"
    assert status["instanceStatus"]["status"] == "impaired"
    [detail] = status["instanceStatus"]["details"]
    assert (detail["name"], detail["status"]) == ("reachability", "failed") and detail["impairedSince"]
    assert "the guest process ended unexpectedly" in victim.console_output

    # Before the health checks notice, the balancer retries the refused GETs on the survivor: none is lost.
    names = await hostnames(cloud, lab.url, 12)
    assert set(names) == {survivor.private_dns_name}
    await cloud.clock.advance(3 * INTERVAL)
    assert states(cloud, lab.group)[victim.instance_id] == ("unhealthy", "Target.FailedHealthChecks")

    await cloud.ec2.reboot_instances([victim.instance_id])
    await cloud.clock.advance(lifecycle.REBOOT_SECONDS + 1)
    assert victim.impaired_since is None and (await instance_status(cloud, victim))["instanceStatus"]["status"] == "ok"
    await cloud.clock.advance(5 * INTERVAL)
    assert states(cloud, lab.group)[victim.instance_id] == ("healthy", None)
    assert len(set(await hostnames(cloud, lab.url, 6))) == 2


async def test_a_hung_guest_is_impaired_and_its_shell_drops(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "PROBE_SECONDS", 0.2)
    monkeypatch.setattr(lifecycle, "PROBE_TIMEOUT", 2.0)
    instance = await web_instance(cloud)
    pid = guest_pid(instance)
    shell = await cloud.ec2.open_shell(instance.instance_id)
    await cloud.ec2.simulate_instance_failure(instance.instance_id, "hang")
    await until(lambda: instance.impaired_since is not None)
    assert running(pid)  # hung, not dead
    assert (await shell.run("ls")).output == "Connection to the instance was lost.\n" and shell.lost
    with pytest.raises(CloudError) as refused:
        await cloud.ec2.simulate_instance_failure(instance.instance_id, "melt")
    assert refused.value.code == "InvalidParameterValue"

    await cloud.ec2.reboot_instances([instance.instance_id])
    await cloud.clock.advance(lifecycle.REBOOT_SECONDS + 1)
    await until(lambda: not running(pid))
    assert instance.impaired_since is None and (await cloud.fetch(f"http://{instance.public_ip}/")).status == 200


def saved_file(state: Path, instance_id: str, path: str) -> str:
    data = StateStore(state).load()
    assert data is not None
    [saved] = [i for i in data["ec2"]["instances"] if i["instance_id"] == instance_id]
    return InstanceOS.from_dict(saved["os"]).fs.read_text(path)


async def test_a_file_written_in_connect_survives_a_guest_kill(cloud: Cloud, tmp_path: Path) -> None:
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA)
    await boot(cloud)
    await shell_line(cloud, instance, "echo precious > ~/note.txt")
    os.kill(guest_pid(instance), signal.SIGKILL if POSIX else signal.SIGTERM)
    await until(lambda: instance.impaired_since is not None)
    assert saved_file(tmp_path / "state.json", instance.instance_id, "/home/ec2-user/note.txt") == "precious\n"
    await cloud.ec2.reboot_instances([instance.instance_id])
    await cloud.clock.advance(lifecycle.REBOOT_SECONDS + 1)
    assert await shell_line(cloud, instance, "cat ~/note.txt") == "precious\n"


# A cloud in its own process: it launches an instance, writes a file through the Connect shell,
# reports the guest's PID once the write is acknowledged, and waits to be killed.
CLOUD = """
import asyncio, sys
from mock_cloud.scenarios import SEED_USER_DATA
from tests.support.cloud import make_config
from mock_cloud.cloud import Cloud

async def main():
    cloud = Cloud(make_config(state_path=sys.argv[1]))
    await cloud.start()
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA)
    await cloud.clock.advance(30)
    shell = await cloud.ec2.open_shell(instance.instance_id)
    await shell.run("echo precious > ~/note.txt")
    print(instance.instance_id, instance.guest.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.mark.skipif(not POSIX, reason="kill -9")
async def test_kill_9_of_the_cloud_ends_its_guest_and_keeps_the_acknowledged_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CLOUD, str(state), cwd=ROOT,
                                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                                stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        instance_id, pid_text = line.decode().split()
        pid = int(pid_text)
        assert running(pid)
    finally:
        proc.kill()
        await proc.wait()
    await until(lambda: not running(pid), seconds=15.0)  # no guest outlives its cloud (it reads EOF and ends)
    assert saved_file(state, instance_id, "/home/ec2-user/note.txt") == "precious\n"
    async with Cloud(make_config(tmp_path)) as again:  # restarted: the file is in the instance's guest again
        restored = again.ec2.instance(instance_id)
        await again.clock.advance(1)
        assert await shell_line(again, restored, "cat ~/note.txt") == "precious\n"


@pytest.mark.skipif(not POSIX, reason="kill -9")
def test_kill_9_of_lblab_serve_ends_every_guest_within_a_second(tmp_path: Path) -> None:
    from tests.reliability.test_reliability_crash import CREDENTIALS, REGION, boto3, serving

    with serving(tmp_path / "state.json", tmp_path) as server:
        server.wait_ready()
        ec2 = boto3.session.Session(region_name=REGION, **CREDENTIALS).client("ec2", endpoint_url=server.api)
        ec2.run_instances(ImageId="ami-0c9c942bd7bf113a2", MinCount=2, MaxCount=2, UserData=SEED_USER_DATA)
        pids: list[int] = []
        deadline = time.monotonic() + 60
        while len(pids) < 2:
            assert time.monotonic() < deadline, "the guests never started"
            time.sleep(0.1)
            with urllib.request.urlopen(f"{server.api}/_lblab/health", timeout=10) as answer:
                health = json.loads(answer.read())
            pids = [i["guest_pid"] for i in health["instances"].values() if i["guest_pid"]]
        assert all(running(pid) for pid in pids)
        server.kill()
    deadline = time.monotonic() + 1.0
    while any(running(pid) for pid in pids):
        assert time.monotonic() < deadline, f"guests {pids} outlived the cloud"
        time.sleep(0.01)


async def test_hostile_user_data_costs_its_guest_only_and_ends_as_log_lines(cloud: Cloud) -> None:
    deep, bomb = [(await cloud.ec2.run_instances(user_data=text))[0] for text in (DEEP_YAML, alias_bomb())]
    await boot(cloud)
    assert "lblab: cloud-init stopped: RecursionError while reading the user data" in deep.console_output
    assert "cc_write_files.py[WARNING]: Failed to write /tmp/bomb" in bomb.console_output
    for instance in (deep, bomb):  # the guests took it: running, reachable, logged
        assert instance.state == "running" and instance.impaired_since is None and instance.os.user_data_ran
        assert instance.console_output.rstrip().splitlines()[-1] in instance.os.fs.read_text(
            "/var/log/cloud-init-output.log")


async def guest_sessions(instance: Instance) -> int:
    """Connect sessions open inside the instance's guest, as its status reply counts them."""
    assert instance.guest is not None
    return int((await instance.guest.call("status"))["sessions"])


async def test_connect_sessions_end_in_the_guest_by_exit_close_or_abandon(cloud: Cloud) -> None:
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA)
    await boot(cloud)
    assert await guest_sessions(instance) == 0

    shell = await cloud.ec2.open_shell(instance.instance_id)
    assert await guest_sessions(instance) == 1
    assert (await shell.run("exit")).closed
    assert await guest_sessions(instance) == 0  # `exit` at the login shell ends it in the guest too

    shell = await cloud.ec2.open_shell(instance.instance_id)
    await shell.close()
    assert await guest_sessions(instance) == 0

    kept = await cloud.ec2.open_shell(instance.instance_id)
    shell = await cloud.ec2.open_shell(instance.instance_id)
    assert await guest_sessions(instance) == 2
    shell.abandon()  # what the Connect screen does when it closes: no waiting, and in order
    assert shell.closed and await guest_sessions(instance) == 1
    assert (await kept.run("echo still here")).output == "still here\n"


async def test_access_log_lines_reach_the_state_file_without_another_operation(cloud: Cloud, tmp_path: Path) -> None:
    instance = await web_instance(cloud)
    [server] = instance.os.web_servers()
    answer = await cloud.fetch(f"http://{instance.public_ip}/access-log-probe")
    assert answer.status == 404

    def saved() -> bool:
        try:
            return "GET /access-log-probe HTTP/1.1" in saved_file(tmp_path / "state.json", instance.instance_id,
                                                                   server.log_path)
        except VfsError:  # no line logged yet
            return False

    await until(saved, 60)  # within the guest's writeback interval; nothing else was asked of the guest
    assert "GET /access-log-probe HTTP/1.1" in instance.os.fs.read_text(server.log_path)


async def test_a_guests_web_server_dates_its_answers_by_the_cloud_clock(cloud: Cloud) -> None:
    """The Browser shows a response's Date beside the console's clock: both are cloud time (paused here, in
    2026-01-01), never the host's."""
    instance = await web_instance(cloud)

    async def dated_now() -> bool:
        # The guest hears of a clock step through its pipe and of the request through a socket: on a busy
        # machine the request can come first, so look again for a moment.
        expected = formatdate(int(cloud.clock.now()), usegmt=True)
        for _ in range(100):
            if (await cloud.fetch(f"http://{instance.public_ip}/")).headers["Date"] == expected:
                return True
            await asyncio.sleep(0.05)
        return False

    assert await dated_now()
    await cloud.clock.advance(3600)
    assert await dated_now()
