"""The type-ahead's order (tui/typeahead.py): a key typed while the console is busy never loses its place."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events

from tui.typeahead import KeyRouter


class Router(KeyRouter):
    """The router without an app: the test says when the console has settled."""

    busy = True

    def settled(self, in_app: bool = False) -> bool:
        return not self.busy


async def test_a_key_never_overtakes_one_the_type_ahead_is_still_handing_on() -> None:
    handled: list[str] = []
    slow_handler = asyncio.Event()

    async def dispatch(event: events.Event) -> None:
        assert isinstance(event, events.Key)
        if event.key == "l":
            await slow_handler.wait()  # `l` is opening the launch wizard
        handled.append(event.key)

    router = Router(app=Any, dispatch=dispatch)  # type: ignore[arg-type]
    await router.route(events.Key("l", "l"))  # typed while the console was busy: held
    assert router.holding and not handled
    router.busy = False
    for _ in range(100):  # the type-ahead hands `l` on; its handler is still at work
        if router.waiting.empty():
            break
        await asyncio.sleep(0.005)
    assert router.waiting.empty() and router.holding
    await router.route(events.Key("w", "w"))  # the console looks settled, but `l` is not done
    slow_handler.set()
    for _ in range(100):
        if not router.holding:
            break
        await asyncio.sleep(0.005)
    assert handled == ["l", "w"] and not router.holding
    await router.close()
