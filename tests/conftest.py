"""Shared fixtures: a real cloud on loopback, deterministic and paused unless a test says otherwise."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mock_cloud.cloud import Cloud, CloudConfig

SEED_USER_DATA = """#!/bin/bash
# Use this for your user data (script from top to bottom)
# install httpd (Linux 2 version)
#패키지 업데이트
yum update -y
#아파치 웹서버 설치
yum install -y httpd
#아파치 웹서버 실행
systemctl start httpd
#부팅시 아파치 웹서버 자동 실행
systemctl enable httpd
#간단한 html을 아파치 루트 디렉토리에 생성
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""


CLOSE_SECONDS = 60.0  # generous: a loaded machine; closing stops every guest (grace 5 s each, in parallel)


def make_config(tmp_path: Path | None = None, **overrides: object) -> CloudConfig:
    config = CloudConfig(
        seed=42, time_scale=0, edge_port=0, drop_timeout=0.3, state_path=(tmp_path / "state.json") if tmp_path else None
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Cloud]:
    """A seeded cloud on a paused clock, saving to a temp state file, with its internet edge up."""
    c = Cloud(make_config(tmp_path))
    await c.start()
    yield c
    # Bounded, with every task's stack printed if it ever hangs: a close once hung here when a stopping
    # instance's lifecycle lost its cancel to Python 3.11's wait_for (see guest/client.py
    # _raise_if_cancel_was_swallowed); a hang must show where, not stall the suite.
    closing = asyncio.ensure_future(c.close())
    done, _ = await asyncio.wait([closing], timeout=CLOSE_SECONDS)
    if not done:
        for task in asyncio.all_tasks():
            task.print_stack(limit=8, file=sys.stderr)
        raise AssertionError(f"the cloud did not close in {CLOSE_SECONDS} s")
    closing.result()


async def boot(cloud: Cloud, seconds: float = 30.0) -> None:
    """Let instances finish booting and running user-data (paused clock)."""
    await cloud.clock.advance(seconds)
