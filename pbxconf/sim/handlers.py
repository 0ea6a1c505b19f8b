"""Thin request handlers: request body in, the manual's answer out.

Each takes the simulator and the decoded JSON body and returns the fields of a
`{"status": "Success", ...}` answer; the rules live in state.py, the spellings in
spelling.py. A handler of a write returns the ConfigChange events it caused under the
"_changes" key, which the app strips before answering.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from pbxconf.sim import spelling
from pbxconf.sim.state import SimFailure, split_list

if TYPE_CHECKING:
    from pbxconf.sim.app import Simulator

Record = dict[str, Any]


def _optional_list(body: Record, key: str) -> str | None:
    value = body.get(key)
    return None if value is None else str(value)


def _names(body: Record, key: str) -> str:
    value = body.get(key)
    if value is None or str(value).strip() == "":
        raise SimFailure("10004", f"{key} is required")
    return str(value)


def deviceinfo_query(sim: Simulator, body: Record) -> Record:
    info = sim.state.device_info()
    info["systemtime"] = sim.clock.wall_text()
    info["uptime"] = sim.clock.uptime_text()
    return {"deviceinfo": info}


def extensionlist_query(sim: Simulator, body: Record) -> Record:
    keys = ("extnumber", "status", "type", "username", "agentid")
    return {"extlist": [{k: rec[k] for k in keys} for rec in sim.state.extensions.values()]}


def extension_query(sim: Simulator, body: Record) -> Record:
    chosen, others = _route_lists(
        tuple((r["name"], r.get("extensions") or "") for r in sim.state.outroutes.values())
    )
    records = []
    for rec in sim.state.query_extensions(_optional_list(body, "extid")):
        mine = chosen.get(rec["extnumber"], [])
        rec["selectoutroute"] = ",".join(mine)
        rec["unselectoutroute"] = others.without(mine)
        records.append(spelling.extension(rec, sim.settings.spelling))
    return {"extinfos": records}


@functools.lru_cache(maxsize=2)
def _route_lists(
    routes: tuple[tuple[str, str], ...],
) -> tuple[dict[str, list[str]], UnselectedRoutes]:
    """Each extension's outbound routes (`selectoutroute`), and every route's name for
    `unselectoutroute`, for routes as they are (name, extensions): worked out once for
    the slices of one read, not once per query (1,500 routes list 30,000 extensions)."""
    chosen: dict[str, list[str]] = {}
    for name, extensions in routes:
        for ext in split_list(extensions):
            chosen.setdefault(ext, []).append(name)
    return chosen, UnselectedRoutes([name for name, _ in routes])


class UnselectedRoutes:
    """`unselectoutroute`: every outbound route but an extension's own, in route order.
    An extension is in few routes, so its answer is the full comma list with its own
    routes cut out: a few slices of one string, and a 2,000-extension answer of 300
    routes (6.6 MB) stays cheap to build."""

    def __init__(self, names: list[str]) -> None:
        self.joined = ",".join(names)
        self.spans: dict[str, tuple[int, int]] = {}
        start = 0
        for name in names:
            self.spans[name] = (start, start + len(name))
            start += len(name) + 1

    def without(self, names: list[str]) -> str:
        if not names:
            return self.joined
        pieces, begin = [], 0
        for start, end in sorted(self.spans[name] for name in names):
            if start > begin:
                pieces.append(self.joined[begin : start - 1])  # up to the comma before
            begin = end + 1  # past the comma after
        if begin < len(self.joined):
            pieces.append(self.joined[begin:])
        return ",".join(pieces)


def extension_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_extension(body, strict=not sim.settings.lenient)}


# Nothing registers with a simulated provider; a peer trunk needs no registration.
TRUNK_STATUS = {"register": "Failure", "peer": "Registered", "account": "Unknown"}


def trunklist_query(sim: Simulator, body: Record) -> Record:
    return {
        "trunklist": [
            {
                "trunkname": t["trunkname"],
                "status": spelling.trunk_status(
                    TRUNK_STATUS[t["trunktype"]], sim.settings.spelling
                ),
                "type": "SIP",
            }
            for t in sim.state.trunks.values()
        ]
    }


def siptrunk_query(sim: Simulator, body: Record) -> Record:
    return {"trunks": sim.state.query_trunks(_names(body, "trunkname"))}


def siptrunk_add(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.add_trunk(body)}


def siptrunk_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_trunk(body)}


def siptrunk_delete(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.delete_trunks(_names(body, "trunkname"))}


def inroute_query(sim: Simulator, body: Record) -> Record:
    records = sim.state.query_inroutes(_names(body, "name"))
    return {"inroutes": [spelling.inroute(r, sim.settings.spelling) for r in records]}


def inroute_add(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.add_inroute(body)}


def inroute_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_inroute(body)}


def inroute_delete(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.delete_inroutes(_names(body, "name"))}


def outroute_query(sim: Simulator, body: Record) -> Record:
    return {"outroutes": sim.state.query_outroutes(_names(body, "name"))}


def outroute_add(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.add_outroute(body, strict=not sim.settings.lenient)}


def outroute_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_outroute(body, strict=not sim.settings.lenient)}


def outroute_delete(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.delete_outroutes(_names(body, "name"))}


def ivr_query(sim: Simulator, body: Record) -> Record:
    lower = {k.lower(): v for k, v in body.items()}
    records = sim.state.query_ivrs(_optional_list(lower, "ivrid"))
    return {"ivr": [spelling.ivr(r, sim.settings.spelling) for r in records]}


def ivr_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_ivr(body)}


def queue_query(sim: Simulator, body: Record) -> Record:
    records = sim.state.query_queues(_optional_list(body, "queueid"))
    return {"queues": [spelling.queue(r, sim.settings.spelling) for r in records]}


def queue_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_queue(body)}


def wakeupcall_create(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.create_wakeup(body)}


def wakeupcall_query(sim: Simulator, body: Record) -> Record:
    groups = sim.state.query_wakeups(str(body.get("extid") or ""))
    if sim.settings.single_extension_wakeup_query and len(groups) > 1:
        # Some firmware answers a list query for its first extension only.
        groups = groups[:1]
    for group in groups:
        group["wakeup"] = [spelling.wakeup(w, sim.settings.spelling) for w in group["wakeup"]]
    return {"wakeups": groups}


def wakeupcall_update(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.update_wakeup(body, strict=not sim.settings.lenient)}


def wakeupcall_delete(sim: Simulator, body: Record) -> Record:
    return {"_changes": sim.state.delete_wakeups(body, strict=not sim.settings.lenient)}
