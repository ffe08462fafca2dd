"""What the router decided about one request, and the finished exchange it belongs to.

The router puts a `RouteDecision` into `Forward.context` / `Respond.context`; the engine hands
it back in `ExchangeRecord.context`. Metrics, access logs and traces are all made from the pair,
so the hot path only appends one `Exchange` per request; logs and traces are built when read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_cloud.elbv2.listener_rules import RequestInfo, Rule
    from mock_cloud.elbv2.proxy import ExchangeRecord
    from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup
    from mock_cloud.elbv2.trace import RequestTrace

# Requests remembered per balancer: the in-memory access log. Dropped connections are fewer.
HISTORY_LIMIT = 1000
DROP_LIMIT = 50

# Hop names of a request trace, in order (see trace.py).
HOP_EDGE = "internet edge"
HOP_LB_SG = "load balancer security group"
HOP_LISTENER = "listener"
HOP_RULE = "rule"
HOP_ACTION = "action"
HOP_TARGET_GROUP = "target group"
HOP_TARGET = "target"
HOP_INSTANCE_SG = "instance security group"
HOP_HTTPD = "web server"
HOP_STATUS = "status"


@dataclass(slots=True)
class RouteDecision:
    listener_arn: str
    rule: Rule | None = None
    request: RequestInfo | None = None
    action: str = "-"  # the access log's actions_executed
    group: TargetGroup | None = None
    target: RegisteredTarget | None = None
    target_ip: str = ""
    algorithm: str = ""
    health: str = ""  # the target's state when chosen
    fail_open: bool = False
    eligible: int = 0  # how many targets the choice was made among
    sticky: bool = False
    sticky_until: float | None = None  # application-based stickiness: when the stuck session's duration ends
    reach: str = ""  # why the security groups let the balancer reach the target (or not)
    redirect_url: str = ""
    error_reason: str = ""  # the access log's error_reason, e.g. AWSALBTGCookieInvalid
    in_flight: bool = False  # counted in the target's outstanding requests
    # Where lblab itself stopped the request, with the AWS reason code that explains it.
    stopped_at: str = ""
    stop_code: str = ""
    stop_detail: str = ""

    def stop(self, hop: str, code: str, detail: str) -> RouteDecision:
        self.stopped_at, self.stop_code, self.stop_detail = hop, code, detail
        return self


@dataclass(slots=True)
class Exchange:
    record: ExchangeRecord
    decision: RouteDecision | None  # None: the engine answered by itself (e.g. a malformed request)
    at: float  # cloud time the response was finished


class History:
    """A balancer's recent requests (for access logs and traces) and recent dropped connections."""

    def __init__(self, exchanges: int = HISTORY_LIMIT, drops: int = DROP_LIMIT) -> None:
        self.exchanges: deque[Exchange] = deque(maxlen=exchanges)
        self.drops: deque[RequestTrace] = deque(maxlen=drops)
