"""Sticky sessions: ALB's AWSALB (target), AWSALBTG (target group) and AWSALBAPP (application-based) cookies.

ALB encrypts the cookie value; lblab signs it (HMAC) so a client cannot forge a target, and
refreshes the expiry on every response, as ALB does. `Expires` is used rather than `Max-Age`.
Application-based stickiness follows the application's own cookie: the balancer's AWSALBAPP cookie is
split over AWSALBAPP-0..3 (the unused parts say `_remove_`) and expires after 7 days whatever the
stickiness duration, which the cookie's value carries instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from mock_cloud.http1 import imf_date

TARGET_COOKIE = "AWSALB"
TARGET_CORS_COOKIE = "AWSALBCORS"
GROUP_COOKIE = "AWSALBTG"
GROUP_CORS_COOKIE = "AWSALBTGCORS"
APP_COOKIE = "AWSALBAPP"
APP_COOKIE_PARTS = 4
APP_COOKIE_REMOVED = "_remove_"
APP_COOKIE_LIFETIME = 7 * 24 * 3600  # seconds; not configurable on AWS
_SIGNATURE_BYTES = 12


class CookieCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, *fields: str) -> str:
        payload = "\x1f".join(fields).encode("utf-8")
        signature = hmac.digest(self._secret, payload, hashlib.sha256)[:_SIGNATURE_BYTES]
        return base64.b64encode(signature + payload).decode("ascii")

    def decode(self, value: str) -> list[str] | None:
        """The fields, or None for a value lblab did not issue (tampered, truncated, foreign)."""
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        signature, payload = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
        expected = hmac.digest(self._secret, payload, hashlib.sha256)[:_SIGNATURE_BYTES]
        if not hmac.compare_digest(signature, expected):
            return None
        return payload.decode("utf-8", errors="replace").split("\x1f")


def request_cookie(cookie_header: str | None, name: str) -> str | None:
    if not cookie_header:
        return None
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def response_sets_cookie(head: bytes, name: str) -> bool:
    """Does a response head (as the target sent it) set the cookie `name`?"""
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"set-cookie" and value.strip().partition(b"=")[0].decode("latin-1") == name:
            return True
    return False


def app_cookie_headers(value: str | None, now: float) -> list[tuple[str, str]]:
    """AWSALBAPP-0..3 as ALB sets them: the value in the first part, `_remove_` in the rest (all of them
    when the session is not sticky)."""
    expires = imf_date(now + APP_COOKIE_LIFETIME)
    parts = [value or APP_COOKIE_REMOVED] + [APP_COOKIE_REMOVED] * (APP_COOKIE_PARTS - 1)
    return [("Set-Cookie", f"{APP_COOKIE}-{i}={part}; Expires={expires}; Path=/") for i, part in enumerate(parts)]


def set_cookie_headers(name: str, cors_name: str, value: str, expires_at: float) -> list[tuple[str, str]]:
    """The pair ALB sets: the cookie, and its CORS twin for cross-site requests."""
    expires = imf_date(expires_at)
    return [
        ("Set-Cookie", f"{name}={value}; Expires={expires}; Path=/"),
        ("Set-Cookie", f"{cors_name}={value}; Expires={expires}; Path=/; SameSite=None; Secure"),
    ]
