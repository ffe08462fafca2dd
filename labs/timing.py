"""How long things take on AWS, and how long they take here at the lab's time scale.

A learner at ×30 sees a target turn healthy in five seconds; the panel should also say that on
AWS the same settings mean five checks thirty seconds apart, two and a half minutes.
"""

from __future__ import annotations

from labs.text import Text, phrase
from mock_cloud import BOOT_SECONDS, PROVISIONING_SECONDS, USER_DATA_SECONDS, HealthCheckSettings

# User data runs once the instance has booted.
BOOT_AND_USER_DATA_SECONDS = BOOT_SECONDS + USER_DATA_SECONDS


def duration(seconds: float) -> Text:
    """`2 min 30 s` / `2분 30초`."""
    whole = round(seconds)
    if seconds < 10 and whole != seconds:
        return phrase("timing.tenths", seconds=seconds)
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return phrase("timing.seconds", seconds=rest)
    if not rest:
        return phrase("timing.minutes", minutes=minutes)
    return phrase("timing.minutes_seconds", minutes=minutes, seconds=rest)


def here(cloud_seconds: float, scale: float) -> Text:
    """How long `cloud_seconds` last in real time on this clock."""
    if scale == 0:
        return Text.of("timing.here_paused")
    if scale == 1:
        return Text.of("timing.here_same")
    return phrase("timing.here_scaled", scale=scale, real=duration(cloud_seconds / scale))


def threshold_time(count: int, interval: int, scale: float) -> Text:
    """`5 × 30 s = 2 min 30 s on AWS, about 5 s here at ×30` (no brackets: lab texts often put a
    duration in brackets themselves, and brackets inside brackets read badly)."""
    return phrase("timing.threshold", count=count, interval=duration(interval), total=duration(count * interval),
                  here=here(count * interval, scale))


def healthy_after(settings: HealthCheckSettings | None, scale: float) -> Text:
    settings = settings or HealthCheckSettings()
    return threshold_time(settings.healthy_threshold_count, settings.interval_seconds, scale)


def unhealthy_after(settings: HealthCheckSettings | None, scale: float) -> Text:
    settings = settings or HealthCheckSettings()
    return threshold_time(settings.unhealthy_threshold_count, settings.interval_seconds, scale)


def check_interval(settings: HealthCheckSettings | None, scale: float) -> Text:
    """When the first health check of a new target comes: within one interval."""
    seconds = (settings or HealthCheckSettings()).interval_seconds
    return phrase("timing.on_aws", total=duration(seconds), here=here(seconds, scale))


def provisioning(scale: float) -> Text:
    return phrase("timing.provisioning", lab=duration(PROVISIONING_SECONDS), here=here(PROVISIONING_SECONDS, scale))


def boot(scale: float) -> Text:
    seconds = BOOT_AND_USER_DATA_SECONDS
    return phrase("timing.boot", total=duration(seconds), here=here(seconds, scale))
