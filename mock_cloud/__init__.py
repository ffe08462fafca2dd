"""lblab's local cloud: EC2 and Elastic Load Balancing that really serve traffic on loopback.

This is the cloud's front door: the console (`tui`), the labs (`labs`) and the command line use
only the names below, never the inner modules (import-linter holds them to it; see pyproject.toml).
The inner layout (`ec2/`, `elbv2/`, `api/`, `guest/`) can then change without touching them.

Each name is imported from its module when first used: `lblab --version` and `lblab labs` must
not wait for the whole cloud (asyncio servers, TLS, the guests) to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mock_cloud.api.server import ApiServer
    from mock_cloud.clock import wait_for_condition
    from mock_cloud.cloud import Cloud, CloudConfig, FetchResult
    from mock_cloud.ec2.catalogue import DEFAULT_IMAGE_ID, DEFAULT_INSTANCE_TYPE, IMAGES, INSTANCE_TYPES
    from mock_cloud.ec2.instance import Instance
    from mock_cloud.ec2.lifecycle import BOOT_SECONDS, USER_DATA_SECONDS, GuestShell
    from mock_cloud.ec2.security_group import Peer, SecurityGroup, SgRule
    from mock_cloud.ec2.service import USER_DATA_LIMIT, AttributeChange, RuleSpec
    from mock_cloud.elbv2.access_log import TIMES_NOTE
    from mock_cloud.elbv2.access_log import split_line as split_access_log_line
    from mock_cloud.elbv2.balancing import SLOW_START_NOTE
    from mock_cloud.elbv2.certificates import CA_NAME, ISSUANCE_NOTE, Certificate
    from mock_cloud.elbv2.exchange import (
        HOP_ACTION,
        HOP_EDGE,
        HOP_HTTPD,
        HOP_INSTANCE_SG,
        HOP_LB_SG,
        HOP_LISTENER,
        HOP_RULE,
        HOP_STATUS,
        HOP_TARGET,
        HOP_TARGET_GROUP,
    )
    from mock_cloud.elbv2.health import (
        DRAINING,
        HEALTHY,
        INITIAL,
        NOT_IN_USE,
        NOT_REGISTERED,
        REGISTRATION_IN_PROGRESS,
        RESPONSE_CODE_MISMATCH,
        THRESHOLD_NOTE,
        UNHEALTHY,
        UNUSED,
        ZONE_NOT_ENABLED,
    )
    from mock_cloud.elbv2.health import TIMEOUT as TARGET_TIMEOUT
    from mock_cloud.elbv2.listener import LISTENER_QUOTA_NOTE, LOCAL_PORT_NOTE, Listener
    from mock_cloud.elbv2.listener import PROTOCOLS as LISTENER_PROTOCOLS
    from mock_cloud.elbv2.listener_rules import (
        ACTION_TYPES,
        CONDITION_FIELDS,
        FIXED_RESPONSE,
        FIXED_RESPONSE_CONTENT_TYPES,
        FORWARD,
        HOST_HEADER,
        HTTP_HEADER,
        HTTP_REQUEST_METHOD,
        MAX_PRIORITY,
        MAX_TARGET_GROUPS_PER_ACTION,
        PATH_PATTERN,
        QUERY_STRING,
        REDIRECT,
        REDIRECT_STATUS_CODES,
        SOURCE_IP,
        Action,
        FixedResponseConfig,
        ForwardConfig,
        HttpHeaderConfig,
        RedirectConfig,
        Rule,
        RuleCondition,
        TargetGroupTuple,
    )
    from mock_cloud.elbv2.load_balancer import (
        ACCESS_LOG_NOTE,
        ACTIVE,
        NODE_NOTE,
        PROVISIONING,
        PROVISIONING_NOTE,
        PROVISIONING_SECONDS,
        LoadBalancer,
    )
    from mock_cloud.elbv2.load_balancer import ATTRIBUTE_NOTES as LOAD_BALANCER_ATTRIBUTE_NOTES
    from mock_cloud.elbv2.metrics import METRIC_NOTE
    from mock_cloud.elbv2.router import SG_TIMEOUT_NOTE
    from mock_cloud.elbv2.ssl_policies import DEFAULT_POLICY, list_policies
    from mock_cloud.elbv2.target_group import (
        ALGORITHMS,
        HTTPS_TARGETS_NOTE,
        PROTOCOL_VERSION_NOTE,
        TARGET_TYPE_NOTE,
        TRAFFIC_PORT,
        HealthCheckSettings,
        TargetGroup,
        TargetSpec,
        apply_health_check,
    )
    from mock_cloud.elbv2.target_group import ATTRIBUTE_NOTES as TARGET_GROUP_ATTRIBUTE_NOTES
    from mock_cloud.elbv2.target_group import PROTOCOLS as TARGET_GROUP_PROTOCOLS
    from mock_cloud.elbv2.target_group import validate_identity as validate_target_group
    from mock_cloud.elbv2.targets import TargetHealthDescription
    from mock_cloud.elbv2.trace import Hop, RequestTrace
    from mock_cloud.elbv2.validation import as_int
    from mock_cloud.errors import CloudError
    from mock_cloud.events import Event, Subscription
    from mock_cloud.export import export_command
    from mock_cloud.guest.client import GuestError, GuestGone
    from mock_cloud.loops import new_event_loop, tune_collector
    from mock_cloud.network import INTERNET_CLIENT, instance_peer
    from mock_cloud.ports import DEFAULT_API_PORT, DEFAULT_EDGE_PORT
    from mock_cloud.store import STATE_ENV, StateInUse, StateLock, StateStore, default_state_path

_MODULES: dict[str, tuple[str, ...]] = {
    "mock_cloud.cloud": ("Cloud", "CloudConfig", "FetchResult"),
    "mock_cloud.errors": ("CloudError",),
    "mock_cloud.events": ("Event", "Subscription"),
    "mock_cloud.clock": ("wait_for_condition",),
    "mock_cloud.ports": ("DEFAULT_API_PORT", "DEFAULT_EDGE_PORT"),
    "mock_cloud.store": ("STATE_ENV", "StateInUse", "StateLock", "StateStore", "default_state_path"),
    "mock_cloud.network": ("INTERNET_CLIENT", "instance_peer"),
    "mock_cloud.export": ("export_command",),
    "mock_cloud.api.server": ("ApiServer",),
    "mock_cloud.guest.client": ("GuestError", "GuestGone"),
    "mock_cloud.loops": ("new_event_loop", "tune_collector"),
    "mock_cloud.ec2.catalogue": ("DEFAULT_IMAGE_ID", "DEFAULT_INSTANCE_TYPE", "IMAGES", "INSTANCE_TYPES"),
    "mock_cloud.ec2.instance": ("Instance",),
    "mock_cloud.ec2.lifecycle": ("BOOT_SECONDS", "USER_DATA_SECONDS", "GuestShell"),
    "mock_cloud.ec2.security_group": ("Peer", "SecurityGroup", "SgRule"),
    "mock_cloud.ec2.service": ("USER_DATA_LIMIT", "AttributeChange", "RuleSpec"),
    "mock_cloud.elbv2.access_log": ("TIMES_NOTE",),
    "mock_cloud.elbv2.balancing": ("SLOW_START_NOTE",),
    "mock_cloud.elbv2.certificates": ("CA_NAME", "ISSUANCE_NOTE", "Certificate"),
    "mock_cloud.elbv2.exchange": (
        "HOP_ACTION", "HOP_EDGE", "HOP_HTTPD", "HOP_INSTANCE_SG", "HOP_LB_SG", "HOP_LISTENER", "HOP_RULE",
        "HOP_STATUS", "HOP_TARGET", "HOP_TARGET_GROUP",
    ),
    "mock_cloud.elbv2.health": (
        "DRAINING", "HEALTHY", "INITIAL", "NOT_IN_USE", "NOT_REGISTERED", "REGISTRATION_IN_PROGRESS",
        "RESPONSE_CODE_MISMATCH", "THRESHOLD_NOTE", "UNHEALTHY", "UNUSED", "ZONE_NOT_ENABLED",
    ),
    "mock_cloud.elbv2.listener": ("LISTENER_QUOTA_NOTE", "LOCAL_PORT_NOTE", "Listener"),
    "mock_cloud.elbv2.listener_rules": (
        "ACTION_TYPES", "CONDITION_FIELDS", "FIXED_RESPONSE", "FIXED_RESPONSE_CONTENT_TYPES", "FORWARD",
        "HOST_HEADER", "HTTP_HEADER", "HTTP_REQUEST_METHOD", "MAX_PRIORITY", "MAX_TARGET_GROUPS_PER_ACTION",
        "PATH_PATTERN", "QUERY_STRING", "REDIRECT", "REDIRECT_STATUS_CODES", "SOURCE_IP", "Action",
        "FixedResponseConfig", "ForwardConfig", "HttpHeaderConfig", "RedirectConfig", "Rule", "RuleCondition",
        "TargetGroupTuple",
    ),
    "mock_cloud.elbv2.load_balancer": (
        "ACCESS_LOG_NOTE", "ACTIVE", "NODE_NOTE", "PROVISIONING", "PROVISIONING_NOTE", "PROVISIONING_SECONDS",
        "LoadBalancer",
    ),
    "mock_cloud.elbv2.metrics": ("METRIC_NOTE",),
    "mock_cloud.elbv2.router": ("SG_TIMEOUT_NOTE",),
    "mock_cloud.elbv2.targets": ("TargetHealthDescription",),
    "mock_cloud.elbv2.ssl_policies": ("DEFAULT_POLICY", "list_policies"),
    "mock_cloud.elbv2.target_group": (
        "ALGORITHMS", "HTTPS_TARGETS_NOTE", "PROTOCOL_VERSION_NOTE", "TARGET_TYPE_NOTE", "TRAFFIC_PORT",
        "HealthCheckSettings", "TargetGroup", "TargetSpec", "apply_health_check",
    ),
    "mock_cloud.elbv2.trace": ("Hop", "RequestTrace"),
    "mock_cloud.elbv2.validation": ("as_int",),
}
# Names that say more at the front door than in their module (a listener and a target group
# both have PROTOCOLS; `TIMEOUT` alone does not say it is a target's health reason code).
_RENAMED: dict[str, tuple[str, str]] = {
    "LISTENER_PROTOCOLS": ("mock_cloud.elbv2.listener", "PROTOCOLS"),
    "LOAD_BALANCER_ATTRIBUTE_NOTES": ("mock_cloud.elbv2.load_balancer", "ATTRIBUTE_NOTES"),
    "TARGET_GROUP_ATTRIBUTE_NOTES": ("mock_cloud.elbv2.target_group", "ATTRIBUTE_NOTES"),
    "TARGET_GROUP_PROTOCOLS": ("mock_cloud.elbv2.target_group", "PROTOCOLS"),
    "TARGET_TIMEOUT": ("mock_cloud.elbv2.health", "TIMEOUT"),
    "split_access_log_line": ("mock_cloud.elbv2.access_log", "split_line"),
    "validate_target_group": ("mock_cloud.elbv2.target_group", "validate_identity"),
}
_HOME: dict[str, tuple[str, str]] = {
    **{name: (module, name) for module, names in _MODULES.items() for name in names},
    **_RENAMED,
}

__all__ = [
    "ACCESS_LOG_NOTE",
    "ACTION_TYPES",
    "ACTIVE",
    "ALGORITHMS",
    "BOOT_SECONDS",
    "CA_NAME",
    "CONDITION_FIELDS",
    "DEFAULT_API_PORT",
    "DEFAULT_EDGE_PORT",
    "DEFAULT_IMAGE_ID",
    "DEFAULT_INSTANCE_TYPE",
    "DEFAULT_POLICY",
    "DRAINING",
    "FIXED_RESPONSE",
    "FIXED_RESPONSE_CONTENT_TYPES",
    "FORWARD",
    "HEALTHY",
    "HOP_ACTION",
    "HOP_EDGE",
    "HOP_HTTPD",
    "HOP_INSTANCE_SG",
    "HOP_LB_SG",
    "HOP_LISTENER",
    "HOP_RULE",
    "HOP_STATUS",
    "HOP_TARGET",
    "HOP_TARGET_GROUP",
    "HOST_HEADER",
    "HTTPS_TARGETS_NOTE",
    "HTTP_HEADER",
    "HTTP_REQUEST_METHOD",
    "IMAGES",
    "INITIAL",
    "INSTANCE_TYPES",
    "INTERNET_CLIENT",
    "ISSUANCE_NOTE",
    "LISTENER_PROTOCOLS",
    "LISTENER_QUOTA_NOTE",
    "LOAD_BALANCER_ATTRIBUTE_NOTES",
    "LOCAL_PORT_NOTE",
    "MAX_PRIORITY",
    "MAX_TARGET_GROUPS_PER_ACTION",
    "METRIC_NOTE",
    "NODE_NOTE",
    "NOT_IN_USE",
    "NOT_REGISTERED",
    "PATH_PATTERN",
    "PROTOCOL_VERSION_NOTE",
    "PROVISIONING",
    "PROVISIONING_NOTE",
    "PROVISIONING_SECONDS",
    "QUERY_STRING",
    "REDIRECT",
    "REDIRECT_STATUS_CODES",
    "REGISTRATION_IN_PROGRESS",
    "RESPONSE_CODE_MISMATCH",
    "SG_TIMEOUT_NOTE",
    "SLOW_START_NOTE",
    "SOURCE_IP",
    "STATE_ENV",
    "TARGET_GROUP_ATTRIBUTE_NOTES",
    "TARGET_GROUP_PROTOCOLS",
    "TARGET_TIMEOUT",
    "TARGET_TYPE_NOTE",
    "THRESHOLD_NOTE",
    "TIMES_NOTE",
    "TRAFFIC_PORT",
    "UNHEALTHY",
    "UNUSED",
    "USER_DATA_LIMIT",
    "USER_DATA_SECONDS",
    "ZONE_NOT_ENABLED",
    "Action",
    "ApiServer",
    "AttributeChange",
    "Certificate",
    "Cloud",
    "CloudConfig",
    "CloudError",
    "Event",
    "FetchResult",
    "FixedResponseConfig",
    "ForwardConfig",
    "GuestError",
    "GuestGone",
    "GuestShell",
    "HealthCheckSettings",
    "Hop",
    "HttpHeaderConfig",
    "Instance",
    "Listener",
    "LoadBalancer",
    "Peer",
    "RedirectConfig",
    "RequestTrace",
    "Rule",
    "RuleCondition",
    "RuleSpec",
    "SecurityGroup",
    "SgRule",
    "StateInUse",
    "StateLock",
    "StateStore",
    "Subscription",
    "TargetGroup",
    "TargetGroupTuple",
    "TargetHealthDescription",
    "TargetSpec",
    "__version__",
    "apply_health_check",
    "as_int",
    "default_state_path",
    "export_command",
    "instance_peer",
    "list_policies",
    "new_event_loop",
    "split_access_log_line",
    "tune_collector",
    "validate_target_group",
    "wait_for_condition",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'mock_cloud' has no attribute {name!r}")
    module, attribute = _HOME[name]
    return getattr(importlib.import_module(module), attribute)
