"""Errors of the sandbox: one base, and the Bot API refusals that travel as JSON.

Rule: an `ApiError` is an answer the sandbox gives on purpose, shaped as Telegram shapes it, so
that PTB raises the same exception class production would. Anything else escaping a method is
a bug in the sandbox and is reported as one.
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """Base of every error raised by the sandbox, its client and its fixtures."""


class ApiError(SandboxError):
    """A Bot API call refused with Telegram's status code and description."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this refusal."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class ControlError(SandboxError):
    """A control API request that cannot be carried out (unknown user, no such button…)."""

    def __init__(self, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


class SandboxTimeoutError(SandboxError, TimeoutError):
    """A wait on the sandbox ran out of time before its condition held."""


class NetworkBlockedError(SandboxError, ConnectionRefusedError):
    """A test tried to reach a host outside the loopback interface."""


def bad_request(reason: str) -> ApiError:
    """Telegram's 400, which PTB raises as `BadRequest`."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """Telegram's 403, which PTB raises as `Forbidden`."""
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """Telegram's 429, which PTB raises as `RetryAfter`."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
