"""What the learner has looked at since the current step began: observing is part of a step.

A step whose point is to watch something (refresh the DNS name and see two hosts, read a reason
code on the Targets tab) must not pass on its own before the learner looked. Its check holds an
`observed` criterion (requests the learner sent to a balancer's DNS name, through the console's
Browser or the internet edge: the balancer's access log carries them, the lab's own probes are
left out by their User-Agent) or a `viewed` one (a console page the learner opened: the console
reports it through `LabSession.viewed`). Pressing Check counts as looking: the learner asked.

A failure drill's step also needs to know that an instance's status check failed while it ran (the
instance is fine again by the time the step passes): the window follows the cloud's `instance.status`
events from the step's start.

Nothing here depends on the cloud clock, which a learner (or a test) may pause: requests are
counted after a mark taken in the access log when the step began, views by the step they came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labs import probe
from mock_cloud import Cloud, Subscription, split_access_log_line

# Console pages a step may ask the learner to look at (LabSession.viewed's `page`).
VIEWABLE = ("targets_tab",)
# Access log entries read back per check: the learner's refreshes of one step, many times over.
SCAN = 200
# Access log fields (ALB user guide): 0 type (http, https), 13 user_agent.
_TYPE, _USER_AGENT = 0, 13


@dataclass
class Observations:
    """The current step's window: access-log marks when it began, pages viewed, Check pressed."""

    step: int
    marks: dict[str, str] = field(default_factory=dict)  # load balancer ARN -> its last log entry then
    views: set[tuple[str, str]] = field(default_factory=set)  # (page, resource name)
    pressed: bool = False
    impaired: set[str] = field(default_factory=set)  # instances whose status check failed in this step
    statuses: Subscription | None = None  # the cloud's instance.status events since the step began

    @classmethod
    def begin(cls, cloud: Cloud, step: int) -> Observations:
        marks = {arn: _last_entry(cloud, arn) for arn in cloud.elbv2.load_balancers}
        return cls(step, marks, statuses=cloud.events.subscribe("instance.status"))

    def failed(self, instance_id: str) -> bool:
        """Whether the instance's status check failed (impaired) since the step began."""
        while self.statuses is not None and not self.statuses.queue.empty():
            event = self.statuses.queue.get_nowait()
            if event.data.get("status") == "impaired":
                self.impaired.add(event.resource_id)
        return instance_id in self.impaired

    def close(self) -> None:
        if self.statuses is not None:
            self.statuses.close()
            self.statuses = None

    def viewed(self, page: str, name: str = "") -> bool:
        return any(seen == page and (not name or name == resource) for seen, resource in self.views)

    def requests(self, cloud: Cloud, lb_arn: str, protocol: str | None = None) -> int:
        """The learner's requests to the balancer since the step began (any answer, even a 503, counts)."""
        entries = cloud.elbv2.access_log(lb_arn, limit=SCAN)
        mark = self.marks.get(lb_arn, "")
        if mark in entries:
            entries = entries[len(entries) - entries[::-1].index(mark):]
        return sum(1 for entry in entries if _by_learner(entry, protocol))


def _last_entry(cloud: Cloud, lb_arn: str) -> str:
    entries = cloud.elbv2.access_log(lb_arn, limit=1)
    return entries[-1] if entries else ""


def _by_learner(entry: str, protocol: str | None) -> bool:
    fields = split_access_log_line(entry)
    if fields[_USER_AGENT].startswith(probe.USER_AGENT):
        return False
    return protocol is None or fields[_TYPE] == protocol.lower()
