"""The simulator's route table: API endpoint -> handler, and whether it is a write.

Writes are the calls the PBX "applies" (and so paces with errno 10025) and the calls that
can cause ConfigChange event reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pbxconf.sim import handlers as h

if TYPE_CHECKING:
    from pbxconf.sim.app import Simulator

Handler = Callable[["Simulator", dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    handler: Handler
    write: bool


API_ENDPOINTS: dict[str, Endpoint] = {
    "deviceinfo/query": Endpoint(h.deviceinfo_query, write=False),
    "extensionlist/query": Endpoint(h.extensionlist_query, write=False),
    "extension/query": Endpoint(h.extension_query, write=False),
    "extension/update": Endpoint(h.extension_update, write=True),
    "trunklist/query": Endpoint(h.trunklist_query, write=False),
    "siptrunk/query": Endpoint(h.siptrunk_query, write=False),
    "siptrunk/add": Endpoint(h.siptrunk_add, write=True),
    "siptrunk/update": Endpoint(h.siptrunk_update, write=True),
    "siptrunk/delete": Endpoint(h.siptrunk_delete, write=True),
    "inroute/query": Endpoint(h.inroute_query, write=False),
    "inroute/add": Endpoint(h.inroute_add, write=True),
    "inroute/update": Endpoint(h.inroute_update, write=True),
    "inroute/delete": Endpoint(h.inroute_delete, write=True),
    "outroute/query": Endpoint(h.outroute_query, write=False),
    "outroute/add": Endpoint(h.outroute_add, write=True),
    "outroute/update": Endpoint(h.outroute_update, write=True),
    "outroute/delete": Endpoint(h.outroute_delete, write=True),
    "ivr/query": Endpoint(h.ivr_query, write=False),
    "ivr/update": Endpoint(h.ivr_update, write=True),
    "queue/query": Endpoint(h.queue_query, write=False),
    "queue/update": Endpoint(h.queue_update, write=True),
    "wakeupcall/create": Endpoint(h.wakeupcall_create, write=True),
    "wakeupcall/query": Endpoint(h.wakeupcall_query, write=False),
    "wakeupcall/update": Endpoint(h.wakeupcall_update, write=True),
    "wakeupcall/delete": Endpoint(h.wakeupcall_delete, write=True),
}

# Endpoints that need no token.
AUTH_ENDPOINTS = ("login", "token/refresh")
