"""The tests' cloud: seeded, on a paused clock unless a test says otherwise, saving under a temp directory."""

from __future__ import annotations

from pathlib import Path

from mock_cloud.cloud import Cloud, CloudConfig
from mock_cloud.scenarios import BOOT

CLOSE_SECONDS = 60.0  # generous: a loaded machine; closing stops every guest (grace 5 s each, in parallel)


def make_config(tmp_path: Path | None = None, **overrides: object) -> CloudConfig:
    config = CloudConfig(
        seed=42, time_scale=0, edge_port=0, drop_timeout=0.3, state_path=(tmp_path / "state.json") if tmp_path else None
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


async def boot(cloud: Cloud, seconds: float = BOOT) -> None:
    """Let instances finish booting and running user-data (paused clock)."""
    await cloud.clock.advance(seconds)
