"""The state file under the accidents a crash test cannot aim at: short writes, a full disk, temp
files of dead processes, files of the right syntax and the wrong shape, and a restart that lands
between an instance turning `running` and its user data running."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mock_cloud import store as store_module
from mock_cloud.cloud import Cloud
from mock_cloud.ec2 import lifecycle
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.scenarios import HELLO, SEED_USER_DATA
from mock_cloud.store import StateError, StateStore
from tests.support.cloud import make_config


class FlakyOs:
    """os, but writes land a few bytes at a time, or the disk fills up after `room` bytes."""

    def __init__(self, piece: int = 7, room: int | None = None) -> None:
        self.piece, self.room, self.written = piece, room, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        if self.room is not None and self.written + min(len(data), self.piece) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = os.write(fd, bytes(data[: self.piece]))
        self.written += n
        return n


def test_short_writes_still_save_the_whole_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(tmp_path / "state.json")
    state = {"payload": "x" * 5000, "unicode": "서울 🙂"}
    monkeypatch.setattr(store_module, "os", FlakyOs(piece=7))
    store.save(state)
    monkeypatch.undo()
    assert StateStore(tmp_path / "state.json").load() == state


def test_a_full_disk_keeps_the_old_state_and_leaves_no_temp_file(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"generation": 1})
    monkeypatch.setattr(store_module, "os", FlakyOs(piece=4096, room=10))
    with pytest.raises(OSError, match="No space"):
        store.save({"generation": 2, "big": "y" * 100_000})
    monkeypatch.undo()
    assert store.load() == {"generation": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_temp_files_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"ok": True})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # that process has exited
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / f".state.json.{dead_pid}.tmp").write_text('{"half')
        (tmp_path / f".state.json.{live.pid}.tmp").write_text('{"saving')
        (tmp_path / ".other.json.1.tmp").write_text("not ours")
        assert store.load() == {"ok": True}
        assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.1.tmp", f".state.json.{live.pid}.tmp",
                                                              "state.json"]
    finally:
        live.kill()
        live.wait(10)


@pytest.mark.parametrize("document", [
    {"version": 1, "state": {}},  # no clock, no ec2
    {"version": 1, "state": {"clock": "soon", "id_rng": [3, [1, 2], None], "ec2": {}}},
    {"version": 1, "state": {"clock": 1.0, "id_rng": None, "ec2": {"vpcs": []}}},
    {"version": 1, "state": {"clock": 1.0, "id_rng": [3, list(range(625)), None],
                             "ec2": {"vpcs": [{"nope": 1}], "subnets": [], "security_groups": [], "instances": []}}},
], ids=["empty", "bad-clock", "bad-rng", "bad-vpc"])
async def test_a_state_file_of_the_wrong_shape_is_set_aside_and_the_cloud_starts(tmp_path: Path,
                                                                                 document: dict[str, Any]) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document))
    async with Cloud(make_config(tmp_path)) as cloud:
        assert cloud.restore_error and "does not hold a usable cloud" in cloud.restore_error
        assert cloud.ec2.default_vpc and not cloud.ec2.instances  # a fresh cloud
        group = await cloud.ec2.create_security_group("after", "works")
    assert list(tmp_path.glob("state.json.broken-*"))
    assert group.group_id in path.read_text()


def test_deeply_nested_json_is_set_aside_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StateError):
        StateStore(path).load()
    assert not path.exists() and list(tmp_path.glob("state.json.broken-*"))


async def test_user_data_cut_short_by_a_crash_runs_after_the_restart(tmp_path: Path) -> None:
    """`running` is saved some seconds before user data runs: a crash in between must not leave
    an instance that never gets its web server."""
    config = make_config(tmp_path)
    cloud = Cloud(config)
    await cloud.start()
    web = await cloud.ec2.create_security_group("web", "web")
    await cloud.ec2.authorize(web.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA, security_group_ids=[web.group_id])
    await cloud.clock.advance(lifecycle.BOOT_SECONDS + 1)
    assert instance.state == "running" and not instance.os.user_data_ran
    crashed = (tmp_path / "state.json").read_bytes()  # what a SIGKILL now would leave
    await cloud.close()
    (tmp_path / "state.json").write_bytes(crashed)

    async with Cloud(config) as again:
        [restored] = again.ec2.instances.values()
        assert restored.state == "running" and not restored.os.user_data_ran
        await again.clock.advance(lifecycle.USER_DATA_SECONDS + 1)
        assert restored.os.user_data_ran and restored.local_port(80)
        page = await again.fetch(f"http://{restored.public_ip}/")
        assert page.status == 200 and HELLO.search(page.text), page.text[:200]
        assert restored.console_output.count("Cloud-init v. 22.2.2 finished") == 1  # ran once


async def test_user_data_cut_short_by_a_stop_runs_at_the_next_start(tmp_path: Path) -> None:
    async with Cloud(make_config(tmp_path)) as cloud:
        [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA)
        await cloud.clock.advance(lifecycle.BOOT_SECONDS + 1)  # running; user data still to come
        await cloud.ec2.stop_instances([instance.instance_id])
        await cloud.clock.advance(lifecycle.STOP_SECONDS + 1)
        assert instance.state == "stopped" and not instance.os.user_data_ran
        await cloud.ec2.start_instances([instance.instance_id])
        await cloud.clock.advance(lifecycle.BOOT_SECONDS + lifecycle.USER_DATA_SECONDS + 1)
        assert instance.os.user_data_ran and instance.local_port(80)
        await cloud.ec2.stop_instances([instance.instance_id])
        await cloud.clock.advance(lifecycle.STOP_SECONDS + 1)
        await cloud.ec2.start_instances([instance.instance_id])
        await cloud.clock.advance(lifecycle.BOOT_SECONDS + 1)
        assert instance.local_port(80)  # later starts: services come straight back
        assert instance.console_output.count("Cloud-init v. 22.2.2 finished") == 1  # and it ran once


def test_quarantined_files_are_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    for n in range(3):  # three bad files within the same second
        path.write_text(f"not json {n}")
        (tmp_path / ".state.json.\u00b2.tmp").write_text("a temp file of an odd name is left alone")
        with pytest.raises(StateError):
            StateStore(path).load()
    broken = sorted(tmp_path.glob("state.json.broken-*"))
    assert sorted(p.read_text() for p in broken) == ["not json 0", "not json 1", "not json 2"]
