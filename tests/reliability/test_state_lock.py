"""One process per state file: a second `lblab`, `lblab serve`, `lblab reset` or `Cloud.start()` on a
state file in use is refused with a message naming the holder, and a holder killed with SIGKILL
leaves no stale lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.store import StateInUse
from tests.reliability.test_reliability_crash import ROOT, serving
from tests.support.cloud import make_config

# `lblab` itself, as the console script runs it.
LBLAB = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def lblab(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LBLAB, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def assert_refused(result: subprocess.CompletedProcess[str], state: Path, pid: int) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"the state file {state} is in use by lblab serve (PID {pid})" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


async def test_a_second_cloud_on_a_state_in_use_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    async with Cloud(make_config(tmp_path, holder="the first cloud")) as first:
        group = await first.ec2.create_security_group("first", "kept")
        second = Cloud(make_config(tmp_path))
        with pytest.raises(StateInUse) as refused:
            await second.start()
        assert (refused.value.pid, refused.value.command) == (os.getpid(), "the first cloud")
        assert f"in use by the first cloud (PID {os.getpid()})" in str(refused.value)
        await second.close()  # closing a refused cloud neither saves nor frees the holder's lock
        assert group.group_id in (tmp_path / "state.json").read_text()
    async with Cloud(make_config(tmp_path)) as after:
        assert group.group_id in after.ec2.security_groups


def test_serve_console_and_reset_are_refused_and_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with serving(state, tmp_path) as holder:
        holder.wait_ready()
        pid = holder.proc.pid
        # Two seeded servers on one file would issue the same IDs: the second never starts.
        assert_refused(lblab("serve", "--state", str(state), "--port", "0", "--edge-port", "0", "--seed", "1"),
                       state, pid)
        console = lblab("--state", str(state))  # no TUI: the refusal comes before the console starts
        assert_refused(console, state, pid)
        assert "\x1b[" not in console.stdout  # no screen was drawn
        assert_refused(lblab("reset", "--yes", "--state", str(state)), state, pid)
        assert state.exists()
        holder.kill()  # SIGKILL: the kernel drops the lock
    with serving(state, tmp_path) as successor:
        successor.wait_ready()
        assert successor.stop() == 0
    reset = lblab("reset", "--yes", "--state", str(state))
    assert reset.returncode == 0 and not state.exists(), reset.stderr
    assert not (tmp_path / "state.json.lock").exists()  # reset leaves nothing behind
