"""How the console talks to the cloud without freezing: calls run in workers, changes arrive as events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.widget import Widget
from textual.worker import Worker

from mock_cloud import CloudError, Event
from tui.localize import settled
from tui.typed_app import app_of

T = TypeVar("T")


def error_text(error: CloudError) -> str:
    """AWS shows the error code and its message together; so does the console."""
    return f"{error.code}: {error.message}"


def run_cloud(
    node: Widget,
    call: Callable[[], Awaitable[T]],
    on_done: Callable[[T], Any] | None = None,
    on_error: Callable[[CloudError], Any] | None = None,
    group: str = "cloud",
) -> Worker[None]:
    """Run one cloud call in a worker; a CloudError goes to `on_error`, or to a notification."""

    async def runner() -> None:
        try:
            result = await call()
        except CloudError as error:
            if on_error is not None:
                on_error(error)
            else:
                node.notify(error_text(error), severity="error", timeout=10)
            return
        if on_done is not None:
            on_done(result)

    return node.run_worker(runner(), group=group)


def follow_events(node: DOMNode, kinds: tuple[str, ...], on_batch: Callable[[list[Event]], Any]) -> Worker[None]:
    """Call `on_batch` with each burst of cloud events of `kinds`, for as long as `node` lives.

    A burst (e.g. two instances launched at once) is drained in one go, so a table redraws
    once per burst rather than once per event.
    """

    async def follower() -> None:
        subscription = app_of(node).cloud.events.subscribe(*kinds)
        try:
            while True:
                batch = [await subscription.get()]
                while not subscription.queue.empty():
                    batch.append(subscription.queue.get_nowait())
                if not settled(node):  # composed anew, it reads the cloud afresh; removed, it is gone
                    continue
                result = on_batch(batch)
                if isinstance(result, Awaitable):
                    await result
        finally:
            subscription.close()

    return node.run_worker(follower(), group="cloud-events")
