"""Input checks shared by load balancers, target groups and listeners, in AWS's wording.

The Query API hands every scalar over as a string and the TUI passes Python values, so the
parsers here accept both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mock_cloud.errors import CloudError, validation

_NAME_RE = re.compile(r"[A-Za-z0-9-]+")
NOT_EMULATED = "is not emulated in lblab"


def constraint(value: object, where: str, rule: str) -> CloudError:
    """AWS's wording for a request that breaks its API model (ranges, enums, patterns)."""
    return validation(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {rule}")


def check_enum(value: str, where: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise constraint(value, where, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def check_range(value: int, where: str, low: int, high: int) -> int:
    if value < low:
        raise constraint(value, where, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise constraint(value, where, f"Member must have value less than or equal to {high}")
    return value


def as_int(value: Any, where: str) -> int:
    bad = validation(f"Invalid value '{str(value)[:100]}' for {where}; it must be an integer")
    # A float (the TUI passes Python values) counts only if it is a whole number: int() would
    # silently drop 1.5's fraction and raise OverflowError for infinity.
    if isinstance(value, bool) or (isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
        raise bad
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise bad from None


def as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise validation(f"Invalid value '{value}' for {where}; it must be 'true' or 'false'")
    return text == "true"


def bool_text(value: bool) -> str:
    return "true" if value else "false"


def check_resource_name(name: str, label: str) -> None:
    """Load balancer and target group names: 1-32 alphanumerics or hyphens, no hyphen at either end.

    `label` starts AWS's message: "Target group name" or "The load balancer name"."""
    if not name:
        raise validation(f"{label} must be specified")
    if len(name) > 32:
        raise validation(f"{label} '{name}' cannot be longer than '32' characters")
    if not _NAME_RE.fullmatch(name):
        raise validation(f"{label} '{name}' can only contain characters that are alphanumeric characters or "
                         "hyphens(-)")
    if name.startswith("-") or name.endswith("-"):
        raise validation(f"{label} '{name}' cannot begin or end with '-'")


def not_emulated(what: str, instead: str) -> CloudError:
    """A valid AWS setting that lblab does not emulate: said plainly, with what works instead."""
    return validation(f"{what} {NOT_EMULATED}; {instead}")


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    if len(tags) > 50:
        raise CloudError("TooManyTags", "The quota for the number of tags that can be assigned to a load balancer "
                                        "has been reached")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise constraint(key, "tags.member.key", "Member must have length between 1 and 128")
        if len(value) > 256:
            raise constraint(value, "tags.member.value", "Member must have length less than or equal to 256")
    return tags


# -- attribute maps (load balancer and target group attributes are key/value strings) -------------

AttributeCheck = Callable[[str, str], str]


def attr_int(low: int, high: int) -> AttributeCheck:
    def check(key: str, value: str) -> str:
        number = as_int(value, key)
        if not low <= number <= high:
            raise validation(f"'{key}' value '{value}' must be between '{low}-{high}' inclusive")
        return str(number)

    return check


def attr_bool(key: str, value: str) -> str:
    return bool_text(as_bool(value, key))


def attr_one_of(*allowed: str) -> AttributeCheck:
    def check(key: str, value: str) -> str:
        if value not in allowed:
            raise validation(f"'{key}' value '{value}' must be one of: {', '.join(allowed)}")
        return value

    return check


def attr_text(key: str, value: str) -> str:
    return value


def apply_attribute_changes(current: Mapping[str, str], changes: Mapping[str, Any],
                            checks: Mapping[str, AttributeCheck], owner: str) -> dict[str, str]:
    new = dict(current)
    for key, value in changes.items():
        check = checks.get(key)
        if check is None:
            raise validation(f"The attribute key '{key}' is not recognized for {owner}")
        new[key] = check(key, bool_text(value) if isinstance(value, bool) else str(value))
    return new
