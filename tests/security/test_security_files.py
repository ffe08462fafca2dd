"""What lblab writes to disk: private keys, the state file and lab progress are the owner's alone
(0600, even under a permissive umask or over an older, world-readable file), and access logs land
inside the cloud's data directory whatever the bucket and prefix attributes say."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from labs.progress import FILE_NAME, LabProgress, ProgressStore
from mock_cloud.cloud import Cloud
from mock_cloud.errors import CloudError
from mock_cloud.scenarios import healthy_lab
from mock_cloud.store import StateStore
from tests.support.cloud import make_config


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


async def test_private_keys_state_and_progress_are_0600(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{}")  # an older file, world-readable: the first save must not keep its mode
    state.chmod(0o644)
    with umask(0):  # the most permissive umask: modes come from lblab, not from luck
        state.unlink()
        async with Cloud(make_config(tmp_path)) as cloud:
            arn = await cloud.elbv2.request_certificate("www.example.com", ["api.example.com"])
            certificate = next(c for c in cloud.elbv2.certificates.list() if c.arn == arn)
            progress = ProgressStore.for_cloud(cloud)
            progress.put("alb-basics", LabProgress(step=1))
        keys = sorted((tmp_path / "state.d").rglob("*.key"))
        assert certificate.key_path in keys and len(keys) >= 2  # the local CA's key and the certificate's
        assert {mode(k) for k in keys} == {0o600}
        assert mode(certificate.cert_path) == 0o644  # certificates are public
        assert mode(certificate.key_path.parent) == 0o700
        assert mode(state) == 0o600
        assert mode(tmp_path / "state.d" / FILE_NAME) == 0o600
        assert not list(tmp_path.rglob("*.tmp"))


def test_state_file_replaces_a_world_readable_one_and_a_stale_temp_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.path.write_text("{}")
    store.path.chmod(0o666)
    stale = store._temp_path(os.getpid())  # a temp file this pid left (its mode kept by O_CREAT)
    stale.write_text("old")
    stale.chmod(0o666)
    with umask(0):
        store.save({"x": 1})
    assert mode(store.path) == 0o600 and not stale.exists()


async def test_access_logs_cannot_leave_the_data_directory(tmp_path: Path) -> None:
    home = tmp_path / "a" / "b" / "cloud"  # deep enough that "../../../.." would still land in tmp_path
    home.mkdir(parents=True)
    config = make_config(home)
    async with Cloud(config) as cloud:
        lab = await healthy_lab(cloud)
        for key, value in (("access_logs.s3.bucket", "../../../escape"), ("access_logs.s3.bucket", "/tmp"),
                           ("access_logs.s3.bucket", "a/b"), ("access_logs.s3.bucket", "x\x00y"),
                           ("access_logs.s3.prefix", "../../escape"), ("access_logs.s3.prefix", "/abs"),
                           ("access_logs.s3.prefix", "a/./b"), ("access_logs.s3.prefix", "AWSLogs")):
            with pytest.raises(CloudError) as refused:
                await cloud.elbv2.modify_load_balancer_attributes(lab.lb.arn, {key: value})
            assert refused.value.code == "ValidationError", (key, value)
        await cloud.elbv2.modify_load_balancer_attributes(lab.lb.arn, {
            "access_logs.s3.enabled": "true", "access_logs.s3.bucket": "my-logs",
            "access_logs.s3.prefix": "team/app"})
        # A state file edited by hand can still hold anything: the writer holds the line too.
        lab.lb.attributes["access_logs.s3.bucket"] = "../../../../escape-bucket"
        lab.lb.attributes["access_logs.s3.prefix"] = "../../../escape-prefix/.."
        for _ in range(3):
            assert (await cloud.fetch(f"http://{lab.lb.dns_name}/")).status == 200
        cloud.elbv2.plane.log_writer.flush()
    data_dir = home / "state.d"
    logs = list(tmp_path.rglob("*.log"))
    assert logs and all(p.is_relative_to(data_dir / "access-logs") for p in logs), logs
    assert not [p for p in tmp_path.rglob("*escape*") if not p.is_relative_to(data_dir)]


def test_reset_removes_the_cloud_and_nothing_a_link_points_to(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    state = tmp_path / "state.json"
    state.write_text("{}")
    data = tmp_path / "state.d"
    (data / "certificates").mkdir(parents=True)
    (data / "certificates" / "ca.key").write_text("k")
    (data / "link-to-dir").symlink_to(outside)
    (data / "certificates" / "link-to-file").symlink_to(outside / "precious.txt")
    (tmp_path / ".state.json.999999.tmp").write_text("half")
    assert main(["reset", "--state", str(state), "--yes"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside"]
    assert (outside / "precious.txt").read_text() == "keep"
    assert "removed" in capsys.readouterr().out
