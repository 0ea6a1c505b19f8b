"""Masking secrets out of text that is printed or logged: the request URL's token, and
anything an answer echoes (a proxy's error page that repeats the request shows the token,
the md5 of the API password and a voicemail PIN in clear). Logs and every snippet of an
answer that an error message quotes go through `mask`, which also hides any URL's
`user:password@`; a URL pbxconf names itself is printed without it (`without_userinfo`)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# `token=...`, `"password": "..."`, `vmsecret=...`: a secret-named key and its value,
# in a URL's query, JSON or a form.
_SECRET_VALUE = re.compile(
    r"""(?P<key>["']?(?:refresh)?token["']?\s*[=:]\s*["']?|"""
    r"""["']?(?:password|passwd|secret|vmsecret|registerpassword|loginpassword|pin)"""
    r"""["']?\s*[=:]\s*["']?)"""
    r"""(?P<value>[^"'&\s,;}<]+)""",
    re.IGNORECASE,
)
# A 32-digit hex string: the md5 of the API password, a token, a refresh token.
_HEX32 = re.compile(r"\b[0-9a-fA-F]{32}\b")
# A URL's `user:password@` (a webhook's credentials): masked whole, as a user name alone
# may be the token. Up to the last @ before the path, as a URL parser reads it.
_USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")


def mask(text: str) -> str:
    """The text with every secret it may hold replaced by ***."""
    text = _USERINFO.sub(MASK + "@", text)
    return _HEX32.sub(MASK, _SECRET_VALUE.sub(lambda m: m["key"] + MASK, text))


def without_userinfo(url: str) -> str:
    """The URL without `user:password@`, which never prints."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask(url.rpartition("@")[2]) if "@" in url else mask(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class MaskSecrets(logging.Filter):
    """httpx logs each request's URL, and the token travels in the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True
