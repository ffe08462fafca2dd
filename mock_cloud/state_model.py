"""What the state file holds, service by service: the resource collections and how each is rebuilt.

One table, read by the two places that must know every saved resource: the rollback of a change
that could not be saved (transaction.py) and the validation of a state file on load (validation.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.security_group import SecurityGroup
from mock_cloud.ec2.vpc import Subnet, Vpc
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.target_group import TargetGroup
from mock_cloud.state_validation import InvalidState, check_resource
from mock_cloud.store import compact_json


@dataclass(frozen=True)
class Collection:
    """One `{id: resource}` dict of a service, saved as a list of the resources' `to_dict()`s."""

    service: str  # the service's key in the state ("ec2", "elbv2")
    name: str  # the dict attribute on the service, and the list's key in the service's state
    id_field: str
    build: Callable[[dict[str, Any]], Any]

    def items(self, services: dict[str, Any]) -> dict[str, Any]:
        return getattr(services[self.service], self.name)  # type: ignore[no-any-return]


COLLECTIONS = (
    Collection("ec2", "vpcs", "vpc_id", lambda d: Vpc(**d)),
    Collection("ec2", "subnets", "subnet_id", lambda d: Subnet(**d)),
    Collection("ec2", "security_groups", "group_id", SecurityGroup.from_dict),
    Collection("ec2", "instances", "instance_id", Instance.from_dict),
    Collection("elbv2", "load_balancers", "arn", LoadBalancer.from_dict),
    Collection("elbv2", "target_groups", "arn", TargetGroup.from_dict),
    Collection("elbv2", "listeners", "arn", Listener.from_dict),
)


class StateEncoder:
    """The state as JSON for a save, reusing each resource's JSON from the save before when the
    resource has not changed since: comparing two dicts costs far less than encoding one, so a save
    of a big cloud after a small change encodes little more than the change."""

    def __init__(self) -> None:
        self._encoded: dict[Collection, dict[str, tuple[dict[str, Any], str]]] = {}

    def encode(self, state: dict[str, Any]) -> str:
        parts = []
        for key, value in state.items():
            if key in _SERVICES:
                value = "{" + ",".join(
                    f"{compact_json(name)}:{self._collection(_BY_PLACE[key, name], items)}"
                    if (key, name) in _BY_PLACE else f"{compact_json(name)}:{compact_json(items)}"
                    for name, items in value.items()) + "}"
            else:
                value = compact_json(value)
            parts.append(f"{compact_json(key)}:{value}")
        return "{" + ",".join(parts) + "}"

    def _collection(self, collection: Collection, items: list[dict[str, Any]]) -> str:
        before = self._encoded.get(collection, {})
        now: dict[str, tuple[dict[str, Any], str]] = {}
        fragments = []
        for data in items:
            resource_id = data[collection.id_field]
            cached = before.get(resource_id)
            if cached is None or cached[0] != data:
                cached = data, compact_json(data)
            now[resource_id] = cached
            fragments.append(cached[1])
        self._encoded[collection] = now
        return "[" + ",".join(fragments) + "]"


_SERVICES = {c.service for c in COLLECTIONS}
_BY_PLACE = {(c.service, c.name): c for c in COLLECTIONS}


def check_loaded(services: dict[str, Any], state: dict[str, Any]) -> None:
    """Raise InvalidState unless every resource just loaded from `state` is as its class declares."""
    for collection in COLLECTIONS:
        where = f"{collection.service}.{collection.name}"
        items = collection.items(services)
        if len(items) != len(state[collection.service][collection.name]):
            raise InvalidState(where, "the same ID is listed twice")
        for resource_id, resource in items.items():
            check_resource(resource, f"{where}[{resource_id}]")
