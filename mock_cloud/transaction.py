"""A change that cannot be saved is not made.

Every public coroutine method of a service (its mutations: CreateSecurityGroup, RunInstances, ...,
which the console, the labs and the AWS API all call) runs as a transaction. The cloud keeps the
state as it was last saved; when a save inside a transaction fails (disk full, no permission),
every resource that differs from its saved form is put back in place (the data plane and the
lifecycle tasks hold these very objects), resources the call added are dropped, those it removed
come back, each service brings its runtime (listeners' servers, provisioning, health checks) in
line in `after_rollback`, and the caller gets ServiceUnavailable saying why.

A save that fails outside a transaction (an instance reaching `running` on the clock) keeps its
change: that happened. It is saved by the next save that succeeds; until then every new call is
refused before it changes anything, so that a rollback never reaches back past it.

Calls interleave only where they await (one event loop). A call paused at an await (a listener's
server starting) while another call's save fails loses its own unsaved changes to that rollback
too: the rollback goes back to the last save, not to each call's start.
"""

from __future__ import annotations

import functools
import inspect
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_cloud.errors import CloudError
from mock_cloud.state_model import COLLECTIONS, Collection

# Service methods that are the cloud's own life, not a caller's change.
_NOT_CHANGES = frozenset({"resume", "close", "after_rollback"})


class SaveFailed(CloudError):
    """The change could not be saved, so it was undone (AWS: a temporary failure of the server)."""

    def __init__(self, path: Path, cause: OSError) -> None:
        reason = f"{cause.strerror} ({cause.filename or path})" if cause.strerror else str(cause)
        super().__init__(
            "ServiceUnavailable",
            f"The request has failed due to a temporary failure of the server: lblab could not save the "
            f"change to its state file {path}: {reason}. Nothing was changed; retry once there is room "
            "(or permission) to write there.",
            503,
        )
        self.path, self.cause = path, cause


@dataclass
class _Transaction:
    # Tasks spawned inside a transaction inherit its context; they outlive it, and their saves are
    # then background saves.
    open: bool = True


_current: ContextVar[_Transaction | None] = ContextVar("lblab_transaction", default=None)


def in_transaction() -> bool:
    transaction = _current.get()
    return transaction is not None and transaction.open


class Transactions:
    def __init__(self, services: dict[str, Any], saved: Callable[[], dict[str, Any]],
                 ensure_saved: Callable[[], None]) -> None:
        """`saved()`: the state as last saved. `ensure_saved()`: save what a failed background
        save left unsaved, or raise SaveFailed."""
        self.services = services
        self._saved = saved
        self._ensure_saved = ensure_saved

    def install(self, service: Any) -> None:
        """Run every public coroutine method of `service` as a transaction."""
        for name, _ in inspect.getmembers(type(service), inspect.iscoroutinefunction):
            if not name.startswith("_") and name not in _NOT_CHANGES:
                setattr(service, name, self._transactional(getattr(service, name)))

    def _transactional(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def transactional(*args: Any, **kwargs: Any) -> Any:
            if in_transaction():  # a service method calling another: one transaction
                return await method(*args, **kwargs)
            self._ensure_saved()
            transaction = _Transaction()
            token = _current.set(transaction)
            try:
                return await method(*args, **kwargs)
            except SaveFailed:
                await self.rollback()
                raise
            finally:
                transaction.open = False
                _current.reset(token)

        return transactional

    async def rollback(self) -> None:
        """Put every resource back as last saved; then each service's runtime follows."""
        saved = self._saved()
        touched: dict[str, set[str]] = defaultdict(set)
        for collection in COLLECTIONS:
            touched[collection.service] |= _restore_collection(collection, self.services, saved)
        for key, service in self.services.items():
            hook = getattr(service, "after_rollback", None)
            if hook is not None:
                await hook(saved[key], touched[key])


def _restore_collection(collection: Collection, services: dict[str, Any], saved: dict[str, Any]) -> set[str]:
    """Restore one collection in place (same dict, same objects where they survive, saved order);
    returns the IDs of the resources that were added, removed or changed since the save."""
    items = collection.items(services)
    before = {data[collection.id_field]: data for data in saved[collection.service][collection.name]}
    touched = set(items) ^ set(before)
    restored = {}
    for resource_id, data in before.items():
        resource = items.get(resource_id)
        if resource is None:
            resource = collection.build(data)
        elif _restore_fields(resource, data, collection.build):
            touched.add(resource_id)
        restored[resource_id] = resource
    items.clear()
    items.update(restored)
    return touched


def _restore_fields(resource: Any, data: dict[str, Any], build: Callable[[dict[str, Any]], Any]) -> bool:
    """Set back the saved fields that changed; runtime-only fields (servers, health) stay."""
    current = resource.to_dict()
    changed = [name for name, value in data.items() if current.get(name) != value]
    if changed:
        rebuilt = build(data)
        for name in changed:
            setattr(resource, name, getattr(rebuilt, name))
    return bool(changed)
