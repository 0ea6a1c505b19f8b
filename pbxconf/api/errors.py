"""Exceptions raised by the PBX API client.

    PbxError
    +-- TransportError          the request did not get an answer (refused, reset, timeout)
    |   +-- WriteOutcomeUnknown a write was sent but its answer was lost: it may have landed
    |   +-- LoginOutcomeUnknown a login was sent but its answer was lost (never repeated)
    +-- ProtocolError           an answer came, but not the manual's JSON (proxy page, no status)
    +-- ApiError                the PBX answered "Failed" with an errno
        +-- LoginFailed         20003: wrong username or password (never retried)
        +-- LoginLocked         20002: this IP is locked out
        +-- TokenRejected       20004 / 20005 / 20006 after logging in again
        +-- TooFrequent         10025 after all retries
        +-- ServiceUnavailable  30003 / 20010: the PBX's API service is down

No message here ever carries the token: the client builds every message from the call's
name (its endpoint), never from the request URL.
"""

from __future__ import annotations

from pbxconf.api.errnos import errno_meaning
from pbxconf.errors import PbxconfError


class PbxError(PbxconfError):
    """Base of every error the client raises."""

    def __init__(self, call: str, message: str) -> None:
        self.call = call
        self.message = message
        super().__init__(f"{call}: {message}")


class TransportError(PbxError):
    """No answer from the PBX: connection refused or reset, or a timeout."""


class WriteOutcomeUnknown(TransportError):
    """A write was sent but its answer was lost; re-read the PBX before deciding."""

    def __init__(self, call: str, cause: str) -> None:
        super().__init__(
            call,
            f"the write was sent but its answer was lost ({cause}); it may or may not have "
            "been applied, so it was not re-sent. Re-read the PBX before trying again.",
        )


class LoginOutcomeUnknown(TransportError):
    """A login was sent but its answer was lost. A login is never repeated on its own:
    five failures in a row lock the caller's IP address for ten minutes."""

    def __init__(self, call: str, cause: str) -> None:
        super().__init__(
            call,
            f"the login was sent but its answer was lost ({cause}); pbxconf does not repeat "
            "a login by itself (five failed logins lock this IP address for 10 minutes): "
            "run the command again",
        )


class ProtocolError(PbxError):
    """The PBX (or something in front of it) answered with something other than the API."""


class ApiError(PbxError):
    """The PBX answered {"status": "Failed", "errno": ...}."""

    def __init__(self, call: str, errno: str, detail: str = "") -> None:
        self.errno = errno
        self.meaning = errno_meaning(errno)
        text = f"errno {errno} ({self.meaning})"
        if detail:
            text += f"; {detail}"
        super().__init__(call, text)


class LoginFailed(ApiError):
    def __init__(self, call: str, errno: str) -> None:
        super().__init__(
            call,
            errno,
            "check the API username and password in the PBX's API settings. pbxconf tried "
            "once and will not retry: five wrong passwords in a row lock this IP address "
            "out for 10 minutes",
        )


class LoginLocked(ApiError):
    def __init__(self, call: str, errno: str) -> None:
        super().__init__(
            call,
            errno,
            "five wrong passwords in a row lock the caller's IP address for 10 minutes; wait, "
            "or remove the IP from the PBX's IP block list (System > Security > Auto "
            "Defense > Blocked IP)",
        )


class TokenRejected(ApiError):
    pass


class TooFrequent(ApiError):
    pass


class ServiceUnavailable(ApiError):
    pass


def api_error_for(call: str, errno: str, detail: str = "") -> ApiError:
    """The most specific exception for an errno."""
    if errno == "20003":
        return LoginFailed(call, errno)
    if errno == "20002":
        return LoginLocked(call, errno)
    if errno in ("20004", "20005", "20006"):
        return TokenRejected(call, errno, detail)
    if errno == "10025":
        return TooFrequent(call, errno, detail)
    if errno in ("30003", "20010"):
        return ServiceUnavailable(call, errno, detail)
    return ApiError(call, errno, detail)
