"""`{{name}}` / `{{name:argument}}` in lab texts: live values (a DNS name, a public IP) and AWS-true durations.

Lab authors write "targets turn healthy after {{healthy_after:demo-tg}}"; the learner reads
"5 × 30 s = 2 min 30 s on AWS, about 5 s here at ×30", computed from the target group's real
settings and the clock. Unknown names are load errors, so a typo never reaches a learner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from labs import timing
from labs.resources import instance_named, load_balancer_named, target_group_named
from labs.text import Text, phrase
from mock_cloud import Cloud, HealthCheckSettings

PATTERN = re.compile(r"\{\{\s*([a-z_]+)(?::([^}]*))?\s*\}\}")


@dataclass(frozen=True)
class Placeholder:
    value: Callable[[Cloud, str], Text]
    needs_argument: bool = False


def _scale(cloud: Cloud) -> float:
    return cloud.clock.scale


def _health_settings(cloud: Cloud, name: str) -> HealthCheckSettings | None:
    group = target_group_named(cloud, name) if name else None
    return group.health_check if group is not None else None


def _dns(cloud: Cloud, name: str) -> Text:
    lb = load_balancer_named(cloud, name)
    return Text.same(lb.dns_name) if lb is not None else phrase("placeholder.dns_name", name=name)


def _public_ip(cloud: Cloud, name: str) -> Text:
    instance = instance_named(cloud, name)
    if instance is not None and instance.public_ip:
        return Text.same(instance.public_ip)
    return phrase("placeholder.public_ip", name=name)


def _edge(cloud: Cloud, _: str) -> Text:
    return Text.same(cloud.edge_url) if cloud.edge is not None else Text.same("http://127.0.0.1:4580")


def _time_scale(cloud: Cloud, _: str) -> Text:
    scale = _scale(cloud)
    return Text.of("placeholder.paused") if scale == 0 else Text.same(f"×{scale:g}")


PLACEHOLDERS: dict[str, Placeholder] = {
    "healthy_after": Placeholder(lambda c, a: timing.healthy_after(_health_settings(c, a), _scale(c))),
    "unhealthy_after": Placeholder(lambda c, a: timing.unhealthy_after(_health_settings(c, a), _scale(c))),
    "check_interval": Placeholder(lambda c, a: timing.check_interval(_health_settings(c, a), _scale(c))),
    "provisioning": Placeholder(lambda c, a: timing.provisioning(_scale(c))),
    "boot": Placeholder(lambda c, a: timing.boot(_scale(c))),
    "time_scale": Placeholder(_time_scale),
    "edge": Placeholder(_edge),
    "ca_file": Placeholder(lambda c, a: Text.same(str(c.elbv2.certificates.ca_pem_path))),
    "dns": Placeholder(_dns, needs_argument=True),
    "public_ip": Placeholder(_public_ip, needs_argument=True),
}


def problem(text: str) -> str | None:
    """What is wrong with the placeholders of `text`, for the loader; None if nothing."""
    for match in PATTERN.finditer(text):
        name, argument = match.group(1), (match.group(2) or "").strip()
        spec = PLACEHOLDERS.get(name)
        if spec is None:
            return f"unknown placeholder {{{{{name}}}}}; expected one of: {', '.join(sorted(PLACEHOLDERS))}"
        if spec.needs_argument and not argument:
            return f"placeholder {{{{{name}}}}} needs an argument, e.g. {{{{{name}:NAME}}}}"
    return None


def render(text: str, lang: str, cloud: Cloud) -> str:
    def value(match: re.Match[str]) -> str:
        spec = PLACEHOLDERS[match.group(1)]
        return spec.value(cloud, (match.group(2) or "").strip()).get(lang)

    return PATTERN.sub(value, text)
