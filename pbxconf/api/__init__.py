"""The PBX HTTP API client: auth and token lifecycle, errno -> exceptions, pacing, retries."""

from pbxconf.api.client import ClientSettings, PbxClient, md5_hex
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
from pbxconf.redact import mask, without_userinfo

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
    "mask",
    "md5_hex",
    "without_userinfo",
]
