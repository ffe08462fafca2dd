"""The one error type of the cloud: an AWS error code, an HTTP status and a message.

Every service method raises `CloudError`; the TUI shows `code: message`, the lab engine
turns it into a hint, and the AWS API renders it as AWS's XML error document.
"""

from __future__ import annotations


class CloudError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_found(code: str, message: str) -> CloudError:
    return CloudError(code, message, 400)


def invalid_value(message: str) -> CloudError:
    return CloudError("InvalidParameterValue", message, 400)


def validation(message: str) -> CloudError:
    """ELBv2 reports malformed input as ValidationError."""
    return CloudError("ValidationError", message, 400)
