"""The md5 digest the manual asks for: of the API password at login, and the form in
which the PBX answers an extension's user password."""

from __future__ import annotations

import hashlib


def md5_hex(text: str) -> str:
    """Lowercase hex md5 of the text's UTF-8 bytes."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()
