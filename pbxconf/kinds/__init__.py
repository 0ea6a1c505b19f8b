"""Resource kinds: one module per kind, each a declaration registered in KINDS.

Importing this package registers every kind, in the order plans list them.
"""

from pbxconf.kinds import (  # noqa: F401 - imported to register
    extension,
    inbound_route,
    ivr,
    outbound_route,
    queue,
    trunk,
    wakeup_call,
)
from pbxconf.kinds.base import KINDS, ApiCall, Key, Kind, Ref, Unsupported

# Manifest and plan order: what others reference comes first.
ORDER = ("extension", "ivr", "queue", "trunk", "outbound_route", "inbound_route", "wakeup_call")
ORDERED_KINDS: list[Kind] = [KINDS[name] for name in ORDER]

__all__ = ["KINDS", "ORDERED_KINDS", "ApiCall", "Key", "Kind", "Ref", "Unsupported"]
