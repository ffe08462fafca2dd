"""Where the cloud says a connection goes: the answer a resolver gives the internet edge and a balancer.

The edge (`edge.py`) asks the cloud where a public name leads; the cloud answers with one of these,
and the load balancers' own routing (`elbv2/service.py`) answers in the same terms. They live apart
from both so neither imports the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK_HOSTS = frozenset(("127.0.0.1", "localhost", "::1"))


@dataclass
class Forward:
    """Deliver to this loopback address (an instance's web server or a load balancer)."""

    host: str
    port: int
    add_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The edge must never become a way out of the sandbox to real hosts.
        if self.host not in LOOPBACK_HOSTS:
            raise ValueError(f"Forward host must be loopback, got {self.host!r}")


@dataclass
class Drop:
    """A security group (or NACL) silently drops the packets: the client sees a timeout."""


@dataclass
class Refused:
    """The address exists but nothing listens on that port."""

    reason: str = ""


@dataclass
class Unknown:
    """The name or address does not exist in this cloud."""

    reason: str = ""


Route = Forward | Drop | Refused | Unknown
