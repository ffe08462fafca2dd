"""Who may reach whom: security-group evaluation for every connection in the cloud.

A connection is allowed when one of the sender's groups allows it outbound (senders
outside the VPC have no groups) and one of the receiver's groups allows it inbound.
Security groups are stateful, so replies are never checked. A denied connection is a
dropped packet: callers make the sender wait and time out, as on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.security_group import Peer, SgRule, matching_rule
from mock_cloud.ec2.service import Ec2Service

# The learner's own machine, as AWS would see it: an address from TEST-NET-3 (RFC 5737).
INTERNET_CLIENT = Peer("203.0.113.10", (), "internet")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    group_id: str | None = None
    rule: SgRule | None = None


class Network:
    def __init__(self, ec2: Ec2Service) -> None:
        self.ec2 = ec2

    def check(self, source: Peer, dest: Peer, port: int, protocol: str = "tcp") -> Decision:
        """May `source` open a connection to `dest` on `port`? Senders without groups skip egress."""
        if source.group_ids:
            outbound = self._allowing(source.group_ids, egress=True, peer=dest, protocol=protocol, port=port)
            if outbound is None:
                return Decision(
                    False,
                    f"no outbound rule of {self._labels(source.group_ids)} allows "
                    f"{protocol}/{port} to {dest.label or dest.ip}",
                )
        inbound = self._allowing(dest.group_ids, egress=False, peer=source, protocol=protocol, port=port)
        if inbound is None:
            return Decision(
                False,
                f"no inbound rule of {self._labels(dest.group_ids)} allows "
                f"{protocol}/{port} from {source.label or source.ip}",
            )
        group_id, rule = inbound
        return Decision(True, f"{self._labels((group_id,))} allows {protocol}/{port} from {rule.peer}", group_id, rule)

    def _allowing(
        self, group_ids: tuple[str, ...], egress: bool, peer: Peer, protocol: str, port: int
    ) -> tuple[str, SgRule] | None:
        for group_id in group_ids:
            group = self.ec2.security_groups.get(group_id)
            if group is None:
                continue
            rule = matching_rule(group.egress if egress else group.ingress, peer, protocol, port)
            if rule is not None:
                return group_id, rule
        return None

    def _labels(self, group_ids: tuple[str, ...]) -> str:
        labels = []
        for group_id in group_ids:
            group = self.ec2.security_groups.get(group_id)
            labels.append(f"{group_id} ({group.group_name})" if group else group_id)
        return ", ".join(labels) or "(no security group)"


def instance_peer(instance: Instance) -> Peer:
    return Peer(instance.private_ip, tuple(instance.security_group_ids), instance.name or instance.instance_id)
