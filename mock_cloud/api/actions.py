"""The action tables: each API action is its parameter schema and one handler.

A handler receives the cloud and the parsed parameters, calls the service methods the console
calls, and returns the result as a dict of wire names for `xml.render`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

Handler = Callable[["Cloud", dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ApiAction:
    schema: dict[str, Any]
    handler: Handler


class ActionTable(dict[str, ApiAction]):
    def action(self, name: str, schema: dict[str, Any]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self[name] = ApiAction(schema, handler)
            return handler

        return register
