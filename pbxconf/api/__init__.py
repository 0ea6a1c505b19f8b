"""The PBX HTTP API client: auth and token lifecycle, errno -> exceptions, pacing, retries."""

from pbxconf.api.client import ClientSettings, PbxClient, md5_hex, redact_tokens
from pbxconf.api.errors import (
    ApiError,
    LoginFailed,
    LoginLocked,
    PbxError,
    ProtocolError,
    ServiceUnavailable,
    TokenRejected,
    TooFrequent,
    TransportError,
    WriteOutcomeUnknown,
)

__all__ = [
    "ApiError",
    "ClientSettings",
    "LoginFailed",
    "LoginLocked",
    "PbxClient",
    "PbxError",
    "ProtocolError",
    "ServiceUnavailable",
    "TokenRejected",
    "TooFrequent",
    "TransportError",
    "WriteOutcomeUnknown",
    "md5_hex",
    "redact_tokens",
]
