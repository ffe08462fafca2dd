"""Every server of the cloud listens on 127.0.0.1, proven on the sockets the process really holds.

The kernel's own table (/proc/net/tcp and tcp6, matched to the process's file descriptors) lists
every listening socket of `lblab serve` and of an in-process cloud, its guest processes included:
the AWS API, the internet edge, each load balancer listener and each instance's web server.
Listening anywhere else takes the explicit `--bind` flag, which prints a warning and moves only the
API and the edge (tested on the loopback alias 127.0.0.2, never a real interface); without the flag
the library refuses.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mock_cloud.api.server import ApiServer
from mock_cloud.cloud import Cloud, CloudConfig
from mock_cloud.edge import InternetEdge
from mock_cloud.routes import Unknown
from mock_cloud.scenarios import HELLO, healthy_lab
from tests.support.cloud import make_config
from tests.support.paths import ROOT
from tests.support.processes import with_descendants

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def listening(pid: int | None = None) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state that process `pid` (default: this one) or one of
    its descendants holds: each running instance's web servers live in its own guest process."""
    found = set()
    for member in with_descendants(os.getpid() if pid is None else pid):
        try:
            found |= _listening_of(member)
        except (FileNotFoundError, ProcessLookupError):  # a guest that ended while we looked
            continue
    return found


def _listening_of(pid: int) -> set[tuple[str, int]]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        with_target = os.readlink(fd) if fd.is_symlink() else ""
        if with_target.startswith("socket:["):
            inodes.add(with_target[8:-1])
    found = set()
    for table, v6 in (("tcp", False), ("tcp6", True)):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address, port = local.split(":")
            found.add((_address(address, v6), int(port, 16)))
    return found


def _address(hex_text: str, v6: bool) -> str:
    raw = bytes.fromhex(hex_text)
    if not v6:
        return ".".join(str(b) for b in reversed(raw))
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress

    return str(ipaddress.IPv6Address(b"".join(words)))


async def test_every_server_of_an_in_process_cloud_listens_on_loopback(tmp_path: Path) -> None:
    before = listening()
    async with Cloud(make_config(tmp_path)) as cloud:
        api = ApiServer(cloud, port=0)
        await api.start()
        try:
            lab = await healthy_lab(cloud)
            await cloud.elbv2.create_listener(lab.lb.arn, "HTTP", 8080, lab.listener.default_actions)
            new = listening() - before
            expected = {cloud.edge.port, api.port, *(x.local_port for x in cloud.elbv2.listeners.values()),
                        *(i.local_port(80) for i in lab.instances)}
            assert {port for _, port in new} == expected, (new, expected)
            assert len(expected) == 6  # edge, API, two listeners, two web servers
            assert {address for address, _ in new} == {"127.0.0.1"}
        finally:
            await api.stop()


def test_non_loopback_addresses_are_refused_without_the_flag(tmp_path: Path) -> None:
    resolve = lambda host, port, scheme: Unknown()  # noqa: E731
    for host in ("127.0.0.2", "0.0.0.0", "::", "192.0.2.1"):
        with pytest.raises(ValueError, match="loopback only"):
            InternetEdge(resolve, host=host, port=0)
        with pytest.raises(ValueError, match="loopback only"):
            ApiServer(Cloud(make_config(edge_port=None)), host=host, port=0)

    async def start() -> None:
        cloud = Cloud(CloudConfig(state_path=None, edge_port=0, edge_host="0.0.0.0", time_scale=0))
        with pytest.raises(ValueError, match="loopback only"):
            await cloud.start()
        assert cloud.edge is None
        await cloud.close()

    asyncio.run(start())
    # With the explicit permission (what --bind sets) the edge takes the address.
    edge = InternetEdge(resolve, host="127.0.0.2", port=0, allow_non_loopback=True)
    assert edge.host == "127.0.0.2"


def serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = [sys.executable, "-m", "tui.cli", "serve", "--port", "0", "--edge-port", "0",
               "--state", str(tmp_path / "state.json"), "--time-scale", "300", *extra]
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "AWS API" in line:
            urls["api"] = line.split(": ", 1)[1].split()[0]
        if "internet edge" in line:
            urls["edge"] = line.split(": ", 1)[1].strip()
        if line.startswith("Ctrl-C stops."):
            return proc, urls
    proc.kill()
    raise AssertionError(f"lblab serve did not start: {proc.stderr.read() if proc.stderr else ''}")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return err


def build_lab(api: str) -> dict[str, object]:
    boto3 = pytest.importorskip("boto3", reason="boto3 drives the AWS API")
    from botocore.config import Config

    from tests.api.test_api_seed_lab import build_seed_lab
    from tests.support.api import DUMMY_CREDENTIALS, REGION, WAIT

    make = lambda service: boto3.client(service, endpoint_url=api, region_name=REGION,  # noqa: E731
                                        config=Config(retries={"total_max_attempts": 1}), **DUMMY_CREDENTIALS)
    ec2, elbv2 = make("ec2"), make("elbv2")
    lab = build_seed_lab(ec2, elbv2)
    ec2.get_waiter("instance_running").wait(InstanceIds=lab["instance_ids"], WaiterConfig=WAIT)
    elbv2.register_targets(TargetGroupArn=lab["group"]["TargetGroupArn"], Targets=[{"Id": i} for i in
                                                                                     lab["instance_ids"]])
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=lab["group"]["TargetGroupArn"], WaiterConfig=WAIT)
    return lab


def health(api: str) -> dict[str, object]:
    for _ in range(100):
        with DIRECT.open(f"{api}/_lblab/health", timeout=5) as response:
            document = json.load(response)
        if document["instances"] and all(i["httpd"] for i in document["instances"].values()):
            return document
        time.sleep(0.05)
    raise AssertionError("the web servers did not come up")


def through_edge(edge: str, host: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": edge}))
    with opener.open(f"http://{host}/", timeout=10) as response:
        return response.read().decode()


@pytest.mark.parametrize("bind", [None, "127.0.0.2"], ids=["default", "bind-127.0.0.2"])
def test_lblab_serve_listens_where_it_says(tmp_path: Path, bind: str | None) -> None:
    proc, urls = serve(tmp_path, *(["--bind", bind] if bind else []))
    try:
        host = bind or "127.0.0.1"
        assert urls["api"].startswith(f"http://{host}:") and urls["edge"].startswith(f"http://{host}:")
        lab = build_lab(urls["api"])
        document = health(urls["api"])
        assert HELLO.search(through_edge(urls["edge"], lab["lb"]["DNSName"]))  # type: ignore[index]
        sockets = listening(proc.pid)
        api_port, edge_port = int(urls["api"].rsplit(":", 1)[1]), int(urls["edge"].rsplit(":", 1)[1])
        inner = {(a.split(":")[0], int(a.rsplit(":", 1)[1]))
                 for lb in document["load_balancers"].values() for x in lb["listeners"].values()  # type: ignore
                 for a in [x["local"]]}
        inner |= {(a.split(":")[0], int(a.rsplit(":", 1)[1]))
                  for i in document["instances"].values() for a in i["httpd"].values()}  # type: ignore
        assert sockets == {(host, api_port), (host, edge_port), *inner}, sockets
        assert {a for a, _ in inner} == {"127.0.0.1"} and len(inner) == 3  # listeners and httpd stay on loopback
    finally:
        err = stop(proc)
    if bind:
        assert f"WARNING: listening on {bind}" in err
    else:
        assert "WARNING" not in err
