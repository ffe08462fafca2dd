"""What every service of one cloud shares: region, clock, IDs, events and the save hook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mock_cloud.clock import Clock
from mock_cloud.events import Event, EventBus
from mock_cloud.ids import IdFactory


@dataclass
class Context:
    region: str
    clock: Clock
    ids: IdFactory
    events: EventBus
    data_dir: Path
    save: Callable[[], None]

    def changed(self, kind: str, resource_id: str, persist: bool = True, **data: object) -> None:
        """Record a change: saved first (so an acknowledged change survives a crash), then published."""
        if persist:
            self.save()
        self.events.publish(Event(kind, resource_id, dict(data), self.clock.now()))
