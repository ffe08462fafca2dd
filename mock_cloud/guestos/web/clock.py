"""A guest's Date headers and access-log time stamps, dated by the cloud's clock (`follow`): the
learner reads them beside the console's clock, which may be paused or sped up.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mock_cloud.http1 import SecondCache, imf_date

if TYPE_CHECKING:
    from collections.abc import Callable


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _log_time(now: float) -> str:
    # Built by hand: %b in strftime follows the process locale, access logs must not.
    t = time.gmtime(now)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


http_date = SecondCache(imf_date)
log_date = SecondCache(_log_time)


def follow(now: Callable[[], float]) -> None:
    """Date responses and log lines by `now` (a guest: its cloud's clock) instead of the host's."""
    http_date.now = log_date.now = now
