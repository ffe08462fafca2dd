"""ELB security policies (SSL policies) as data, and their mapping onto Python's `ssl`.

Protocols and ciphers are listed as `aws elbv2 describe-ssl-policies` reports them, in
AWS's priority order: `TLS_*` names are TLS 1.3 suites, the rest are OpenSSL names for
TLS 1.2-and-older suites.

Where the host cannot do what AWS does, the context does what it can and
`tls_notes(policy)` says what differs, so the UI can show it:
- lblab never offers TLS 1.0/1.1: OpenSSL 3 only negotiates them below its default
  security level, and lblab will not weaken the host's TLS stack to imitate them (Python,
  too, defaults to TLS 1.2 as the minimum).
- Ciphers the host OpenSSL lacks (e.g. DES-CBC3-SHA) are left out.
Not noted per policy because every TLS 1.3 policy shares it: Python's `ssl` cannot choose
TLS 1.3 suites, so OpenSSL's default three are used; they are the same three AWS lists.
"""

from __future__ import annotations

import functools
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mock_cloud.errors import CloudError

_TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")

# Groups of TLS <= 1.2 ciphers in AWS's priority order; policies are built from them below.
_ECDHE_GCM_AES128 = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256")
_ECDHE_SHA256 = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256")
_ECDHE_SHA1_AES128 = ("ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA")
_ECDHE_GCM_AES256 = ("ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384")
_ECDHE_SHA384 = ("ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384")
_ECDHE_SHA1_AES256 = ("ECDHE-RSA-AES256-SHA", "ECDHE-ECDSA-AES256-SHA")
_RSA_KX_TLS12 = ("AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256")
_RSA_KX_ALL = ("AES128-GCM-SHA256", "AES128-SHA256", "AES128-SHA", "AES256-GCM-SHA384", "AES256-SHA256",
               "AES256-SHA")

_FS_ALL = (*_ECDHE_GCM_AES128, *_ECDHE_SHA256, *_ECDHE_SHA1_AES128, *_ECDHE_GCM_AES256, *_ECDHE_SHA384,
           *_ECDHE_SHA1_AES256)
_CLASSIC = (*_FS_ALL, *_RSA_KX_ALL)
_TLS13_BASE = (*_TLS13_SUITES, *_ECDHE_GCM_AES128, *_ECDHE_SHA256, *_ECDHE_GCM_AES256, *_ECDHE_SHA384)
_TLS13_WIDE = (*_TLS13_SUITES, *_CLASSIC)
# Ext2 matches the wide list except that AWS lists its two ECDHE AES256-SHA ciphers ECDSA first.
_TLS13_EXT2 = (*_TLS13_SUITES, *_ECDHE_GCM_AES128, *_ECDHE_SHA256, *_ECDHE_SHA1_AES128, *_ECDHE_GCM_AES256,
               *_ECDHE_SHA384, "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", *_RSA_KX_ALL)

_TLS10_UP = ("TLSv1", "TLSv1.1", "TLSv1.2")
_TLS12_13 = ("TLSv1.2", "TLSv1.3")

_PROTOCOL_ORDER = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
# Only these are served (see the module docstring); older ones are clamped up to TLS 1.2.
_SERVED = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


@dataclass(frozen=True)
class SslPolicy:
    name: str
    protocols: tuple[str, ...]
    ciphers: tuple[str, ...]

    @property
    def tls12_ciphers(self) -> tuple[str, ...]:
        """The ciphers for TLS 1.2 and older, i.e. what `SSLContext.set_ciphers` controls."""
        return tuple(c for c in self.ciphers if not c.startswith("TLS_"))

    def to_dict(self) -> dict[str, object]:
        """The DescribeSSLPolicies shape."""
        return {
            "Name": self.name,
            "SslProtocols": list(self.protocols),
            "Ciphers": [{"Name": c, "Priority": i} for i, c in enumerate(self.ciphers, start=1)],
        }


_POLICIES = {
    p.name: p
    for p in (
        SslPolicy("ELBSecurityPolicy-2016-08", _TLS10_UP, _CLASSIC),
        SslPolicy("ELBSecurityPolicy-2015-05", _TLS10_UP, _CLASSIC),
        SslPolicy("ELBSecurityPolicy-TLS-1-0-2015-04", _TLS10_UP, (*_CLASSIC, "DES-CBC3-SHA")),
        SslPolicy("ELBSecurityPolicy-TLS-1-1-2017-01", ("TLSv1.1", "TLSv1.2"), _CLASSIC),
        SslPolicy("ELBSecurityPolicy-TLS-1-2-2017-01", ("TLSv1.2",),
                  (*_ECDHE_GCM_AES128, *_ECDHE_SHA256, *_ECDHE_GCM_AES256, *_ECDHE_SHA384, *_RSA_KX_TLS12)),
        SslPolicy("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", ("TLSv1.2",), _CLASSIC),
        SslPolicy("ELBSecurityPolicy-FS-2018-06", _TLS10_UP, _FS_ALL),
        SslPolicy("ELBSecurityPolicy-FS-1-1-2019-08", ("TLSv1.1", "TLSv1.2"), _FS_ALL),
        SslPolicy("ELBSecurityPolicy-FS-1-2-2019-08", ("TLSv1.2",), _FS_ALL),
        SslPolicy("ELBSecurityPolicy-FS-1-2-Res-2019-08", ("TLSv1.2",),
                  (*_ECDHE_GCM_AES128, *_ECDHE_SHA256, *_ECDHE_GCM_AES256, *_ECDHE_SHA384)),
        SslPolicy("ELBSecurityPolicy-FS-1-2-Res-2020-10", ("TLSv1.2",),
                  (*_ECDHE_GCM_AES128, *_ECDHE_GCM_AES256)),
        SslPolicy("ELBSecurityPolicy-TLS13-1-2-2021-06", _TLS12_13, _TLS13_BASE),
        SslPolicy("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", _TLS12_13,
                  (*_TLS13_SUITES, *_ECDHE_GCM_AES128, *_ECDHE_GCM_AES256)),
        SslPolicy("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", _TLS12_13, (*_TLS13_BASE, *_RSA_KX_TLS12)),
        SslPolicy("ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", _TLS12_13, _TLS13_EXT2),
        SslPolicy("ELBSecurityPolicy-TLS13-1-1-2021-06", ("TLSv1.1", *_TLS12_13), _TLS13_WIDE),
        SslPolicy("ELBSecurityPolicy-TLS13-1-0-2021-06", ("TLSv1", "TLSv1.1", *_TLS12_13), _TLS13_WIDE),
        SslPolicy("ELBSecurityPolicy-TLS13-1-3-2021-06", ("TLSv1.3",), _TLS13_SUITES),
    )
}

# What CreateListener uses when SslPolicy is omitted via the API/CLI/CloudFormation/CDK (the console
# preselects a TLS 1.3 policy instead); lblab is driven through the API, so this is the one that applies.
DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"


def get_policy(name: str) -> SslPolicy:
    try:
        return _POLICIES[name]
    except KeyError:
        raise CloudError("SSLPolicyNotFound", f"SSL policy '{name}' not found", 400) from None


def list_policies(names: Sequence[str] = ()) -> list[SslPolicy]:
    """DescribeSSLPolicies: all policies, or the named ones (an unknown name is an error)."""
    if names:
        return [get_policy(n) for n in names]
    return list(_POLICIES.values())


@dataclass(frozen=True)
class _Plan:
    """What lblab actually serves for a policy on this host."""

    minimum: str
    maximum: str
    tls12_ciphers: tuple[str, ...]
    notes: tuple[str, ...]


def _order(version: str) -> int:
    return _PROTOCOL_ORDER.index(version)


def _host_ciphers(names: tuple[str, ...]) -> set[str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.set_ciphers(":".join(names))
    except ssl.SSLError:  # none of them exist here
        return set()
    return {c["name"] for c in ctx.get_ciphers()}


@functools.cache  # the host's OpenSSL doesn't change while lblab runs
def _plan(policy: SslPolicy) -> _Plan:
    notes: list[str] = []
    minimum, maximum = min(policy.protocols, key=_order), max(policy.protocols, key=_order)
    dropped = [p for p in policy.protocols if p not in _SERVED]
    if dropped:
        notes.append(f"lblab simplification: {', '.join(dropped)} not offered; lblab keeps the host's TLS "
                     "defaults (OpenSSL 3 refuses TLS below 1.2 at its default security level), so clients "
                     "need TLSv1.2 or newer.")
        minimum = "TLSv1.2"
    ciphers = policy.tls12_ciphers
    if ciphers:
        available = _host_ciphers(ciphers)
        missing = [c for c in ciphers if c not in available]
        if missing:
            notes.append(f"lblab simplification: cipher(s) {', '.join(missing)} not available in the host "
                         "OpenSSL; clients must pick another from the policy.")
        ciphers = tuple(c for c in ciphers if c in available)
    return _Plan(minimum, maximum, ciphers, tuple(notes))


def tls_notes(policy_name: str) -> str:
    """How lblab's TLS for this policy differs from AWS on this host ('' when it doesn't)."""
    return " ".join(_plan(get_policy(policy_name)).notes)


def ssl_context_for(policy_name: str, cert_pem: str | bytes, key_pem: str | bytes) -> ssl.SSLContext:
    """A server-side context that negotiates like an ALB HTTPS listener with this policy."""
    plan = _plan(get_policy(policy_name))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = _SERVED[plan.minimum]
    ctx.maximum_version = _SERVED[plan.maximum]
    if plan.tls12_ciphers:
        ctx.set_ciphers(":".join(plan.tls12_ciphers))
    # ALB picks the first cipher on *its* list that the client offers, and never renegotiates.
    ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_RENEGOTIATION
    _load_chain(ctx, cert_pem, key_pem)
    return ctx


def _load_chain(ctx: ssl.SSLContext, cert_pem: str | bytes, key_pem: str | bytes) -> None:
    # `ssl` only loads key material from files; a private 0700 directory keeps the key unreadable
    # to other users for the moment it exists.
    with tempfile.TemporaryDirectory(prefix="lblab-tls-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_bytes(_as_bytes(cert_pem))
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_as_bytes(key_pem))
        ctx.load_cert_chain(cert_path, key_path)


def _as_bytes(pem: str | bytes) -> bytes:
    return pem.encode("ascii") if isinstance(pem, str) else pem
