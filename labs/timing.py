"""How long things take on AWS, and how long they take here at the lab's time scale.

A learner at ×30 sees a target turn healthy in five seconds; the panel should also say that on
AWS the same settings mean five checks thirty seconds apart, two and a half minutes.
"""

from __future__ import annotations

from labs.text import Text
from mock_cloud import BOOT_SECONDS, PROVISIONING_SECONDS, USER_DATA_SECONDS, HealthCheckSettings

# User data runs once the instance has booted.
BOOT_AND_USER_DATA_SECONDS = BOOT_SECONDS + USER_DATA_SECONDS


def duration(seconds: float) -> Text:
    """`2 min 30 s` / `2분 30초`."""
    whole = round(seconds)
    if seconds < 10 and whole != seconds:
        return Text(f"{seconds:.1f}초", f"{seconds:.1f} s")
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return Text(f"{rest}초", f"{rest} s")
    if not rest:
        return Text(f"{minutes}분", f"{minutes} min")
    return Text(f"{minutes}분 {rest}초", f"{minutes} min {rest} s")


def here(cloud_seconds: float, scale: float) -> Text:
    """How long `cloud_seconds` last in real time on this clock."""
    if scale == 0:
        return Text("여기서는 시계가 멈춰 있음", "the clock is paused here")
    if scale == 1:
        return Text("여기서도 같음", "the same here")
    return Text("여기서는 ×{scale:g} 배속으로 약 {real}", "about {real} here at ×{scale:g}").format(
        scale=scale, real=duration(cloud_seconds / scale))


def threshold_time(count: int, interval: int, scale: float) -> Text:
    """`5 × 30 s = 2 min 30 s on AWS, about 5 s here at ×30` (no brackets: lab texts often put a
    duration in brackets themselves, and brackets inside brackets read badly)."""
    return Text("AWS에서 {count} × {interval} = {total}, {here}",
                "{count} × {interval} = {total} on AWS, {here}").format(
        count=count, interval=duration(interval), total=duration(count * interval),
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
    return Text("AWS에서 {total}, {here}", "{total} on AWS, {here}").format(
        total=duration(seconds), here=here(seconds, scale))


def provisioning(scale: float) -> Text:
    return Text("AWS에서는 보통 몇 분, lblab에서는 {lab}, {here}",
                "usually a few minutes on AWS; {lab} in lblab, {here}").format(
        lab=duration(PROVISIONING_SECONDS), here=here(PROVISIONING_SECONDS, scale))


def boot(scale: float) -> Text:
    return Text("부팅과 사용자 데이터 실행까지 약 {total}, {here}",
                "about {total} to boot and run the user data, {here}").format(
        total=duration(BOOT_AND_USER_DATA_SECONDS), here=here(BOOT_AND_USER_DATA_SECONDS, scale))
