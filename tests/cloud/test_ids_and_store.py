"""Seeded identifiers and the atomic state store."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from mock_cloud.ids import IdFactory, private_dns_name, public_dns_name
from mock_cloud.store import StateError, StateStore


def test_seeded_ids_repeat_and_follow_aws_formats() -> None:
    a, b = IdFactory(7), IdFactory(7)
    ids = [a.resource_id("i"), a.resource_id("sg"), a.private_ip("172.31.0.0/20", set()), a.public_ip(set())]
    assert ids == [b.resource_id("i"), b.resource_id("sg"), b.private_ip("172.31.0.0/20", set()), b.public_ip(set())]
    assert re.fullmatch(r"i-[0-9a-f]{17}", ids[0])
    assert re.fullmatch(r"sg-[0-9a-f]{17}", ids[1])


def test_traffic_ids_do_not_disturb_resource_ids() -> None:
    quiet, busy = IdFactory(3), IdFactory(3)
    for _ in range(100):
        busy.trace_id(1767225600)
        busy.request_id()
    assert quiet.resource_id("i") == busy.resource_id("i")
    assert re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", busy.trace_id(1767225600))


def test_private_ips_skip_reserved_addresses() -> None:
    ids = IdFactory(1)
    used: set[str] = set()
    for _ in range(200):
        ip = ids.private_ip("172.31.16.0/28", used) if len(used) < 11 else None
        if ip is None:
            break
        last = int(ip.split(".")[-1])
        assert 4 <= last <= 14  # .0-.3 reserved at the start, .15 (broadcast) at the end
        used.add(ip)
    with pytest.raises(LookupError):
        ids.private_ip("172.31.16.0/28", used)


def test_dns_names() -> None:
    assert private_dns_name("172.31.5.10", "ap-northeast-2") == "ip-172-31-5-10.ap-northeast-2.compute.internal"
    assert public_dns_name("3.34.1.2", "ap-northeast-2") == "ec2-3-34-1-2.ap-northeast-2.compute.amazonaws.com"


def test_store_round_trip_with_private_permissions(tmp_path) -> None:
    store = StateStore(tmp_path / "state.json")
    assert store.load() is None
    store.save({"hello": "세계"})
    assert store.load() == {"hello": "세계"}
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


def test_half_written_temp_file_never_replaces_good_state(tmp_path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"generation": 1})
    # A crash mid-write leaves a truncated temp file beside the state; the state is untouched.
    (tmp_path / f".state.json.{os.getpid()}.tmp").write_text('{"version": 1, "state": {"gener')
    assert store.load() == {"generation": 1}
    store.save({"generation": 2})
    assert store.load() == {"generation": 2}


@pytest.mark.parametrize(
    "content, expected",
    [("{not json", "corrupt"), (json.dumps({"version": 99, "state": {}}), "version 99"), ("[]", "not an lblab")],
)
def test_bad_state_file_is_moved_aside_not_overwritten(tmp_path, content: str, expected: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(StateError) as caught:
        StateStore(path).load()
    assert expected in str(caught.value)
    assert not path.exists()
    assert caught.value.moved_to.read_text() == content
