"""The cloud's event bus: every resource change is published; the TUI and labs subscribe.

Subscribers get their own bounded queue, so a slow reader never blocks the cloud; when a
queue is full the oldest event is dropped (readers re-read state, events only say *what*
changed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Event:
    kind: str  # e.g. "instance.state", "target.health", "lb.created"
    resource_id: str
    data: dict[str, Any] = field(default_factory=dict)
    time: float = 0.0


class Subscription:
    def __init__(self, bus: EventBus, kinds: tuple[str, ...]) -> None:
        self._bus = bus
        self.kinds = kinds
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def wants(self, event: Event) -> bool:
        return not self.kinds or any(event.kind.startswith(k) for k in self.kinds)

    def offer(self, event: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self.published = 0

    def subscribe(self, *kinds: str) -> Subscription:
        """Events whose kind starts with one of `kinds` (all events when none given)."""
        sub = Subscription(self, kinds)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)

    def publish(self, event: Event) -> None:
        self.published += 1
        for sub in list(self._subscriptions):
            if sub.wants(event):
                sub.offer(event)
