"""AWS-format identifiers, ARNs, addresses and names, deterministic when seeded.

Resource IDs come from one seeded stream; anything minted per request (trace IDs,
request IDs) comes from another, so sending traffic never changes the IDs that later
resources get — snapshot tests stay stable however many requests a test sends.
"""

from __future__ import annotations

import ipaddress
import os
import random
import uuid

ACCOUNT_ID = "123456789012"  # the account AWS's own documentation uses in examples

# Real prefixes AWS announces in ap-northeast-2; addresses from them never leave this
# machine: the internet edge maps them to loopback servers.
PUBLIC_POOLS = [
    ipaddress.ip_network("3.34.0.0/15"),
    ipaddress.ip_network("13.124.0.0/16"),
    ipaddress.ip_network("43.201.0.0/16"),
    ipaddress.ip_network("52.78.0.0/15"),
    ipaddress.ip_network("54.180.0.0/15"),
]


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))
        self._traffic_rng = random.Random((seed or 0) + 1 if seed is not None else None)

    # -- resource IDs ----------------------------------------------------------
    def hex(self, length: int) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def resource_id(self, prefix: str) -> str:
        """`i-`, `sg-`, `subnet-`, `vpc-`, `eni-`, `igw-`: 17 hex digits since 2016."""
        return f"{prefix}-{self.hex(17)}"

    def digits(self, length: int) -> str:
        first = str(self._rng.randint(1, 9))
        return first + "".join(str(self._rng.randint(0, 9)) for _ in range(length - 1))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def choice(self, items: list[str]) -> str:
        return self._rng.choice(items)

    # -- addresses -------------------------------------------------------------
    def private_ip(self, cidr: str, used: set[str]) -> str:
        """A free address in the subnet; AWS reserves the first four and the last one."""
        network = ipaddress.ip_network(cidr)
        first, last = int(network.network_address) + 4, int(network.broadcast_address) - 1
        if last - first + 1 <= len(used):
            raise LookupError(f"no free addresses left in {cidr}")
        while True:
            candidate = str(ipaddress.ip_address(self._rng.randint(first, last)))
            if candidate not in used:
                return candidate

    def public_ip(self, used: set[str]) -> str:
        while True:
            pool = self._rng.choice(PUBLIC_POOLS)
            offset = self._rng.randint(1, pool.num_addresses - 2)
            candidate = str(pool.network_address + offset)
            if candidate not in used:
                return candidate

    # -- per-request values (never consume the resource stream) ---------------
    def trace_id(self, epoch_seconds: float) -> str:
        """X-Amzn-Trace-Id root: `1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>`."""
        return f"1-{int(epoch_seconds) & 0xFFFFFFFF:08x}-{self._traffic_rng.getrandbits(96):024x}"

    def request_id(self) -> str:
        return str(uuid.UUID(int=self._traffic_rng.getrandbits(128), version=4))


def private_dns_name(private_ip: str, region: str) -> str:
    return f"ip-{private_ip.replace('.', '-')}.{region}.compute.internal"


def public_dns_name(public_ip: str, region: str) -> str:
    return f"ec2-{public_ip.replace('.', '-')}.{region}.compute.amazonaws.com"


def arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"
