"""Date strings for HTTP headers and access logs, formatted once per second, by the cloud's clock.

Every response needs a Date header and every access-log line a time stamp; formatting them per
request showed up in the load-balancer benchmark's profile. A guest dates them by the cloud's clock
(`follow`): the learner reads them beside the console's clock, which may be paused or sped up.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class _SecondCache:
    """Formats the current time once per second: the hot path needs it on every request."""

    def __init__(self, fmt: Callable[[float], str]) -> None:
        self._fmt = fmt
        self._second = -1
        self._text = ""
        self.now: Callable[[], float] = time.time

    def get(self) -> str:
        now = self.now()
        second = int(now)
        if second != self._second:
            self._second = second
            self._text = self._fmt(now)
        return self._text


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _log_time(now: float) -> str:
    # Built by hand: %b in strftime follows the process locale, access logs must not.
    t = time.gmtime(now)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


http_date = _SecondCache(lambda now: formatdate(now, usegmt=True))
log_date = _SecondCache(_log_time)


def follow(now: Callable[[], float]) -> None:
    """Date responses and log lines by `now` (a guest: its cloud's clock) instead of the host's."""
    http_date.now = log_date.now = now
