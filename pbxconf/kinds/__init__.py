"""Resource kinds: one module per kind, each a declaration; KINDS is their one registry.

KINDS lists them in the order manifests and plans do: what others reference first.
"""

from pbxconf.kinds.base import ApiCall, Key, Kind, Ref, Unsupported
from pbxconf.kinds.extension import ExtensionKind
from pbxconf.kinds.inbound_route import InboundRouteKind
from pbxconf.kinds.ivr import IvrKind
from pbxconf.kinds.outbound_route import OutboundRouteKind
from pbxconf.kinds.queue import QueueKind
from pbxconf.kinds.registry import Registry
from pbxconf.kinds.trunk import TrunkKind
from pbxconf.kinds.wakeup_call import WakeupCallKind

KINDS = Registry(
    [
        ExtensionKind(),
        IvrKind(),
        QueueKind(),
        TrunkKind(),
        OutboundRouteKind(),
        InboundRouteKind(),
        WakeupCallKind(),
    ]
)

__all__ = ["KINDS", "ApiCall", "Key", "Kind", "Ref", "Registry", "Unsupported"]
