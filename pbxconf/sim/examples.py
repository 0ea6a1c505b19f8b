"""A PBX whose configuration is the manual's own example answers: the factory PBX with
the records the query examples show laid over it (extension 1000, the trunk `SIP`, the
routes `Routein` and `route1`, IVR 6500, queue 6700, extension 1000's wake-up call).

The examples are what a strict reading of the manual says a PBX answers, quirks
included: queue 6700's `maxwaittime` is `"30"`, outside the update enum; its agents 103
and 102 and the routes' trunks `siptrunk` and `SIP1` are not on the PBX. A client that
cannot read, plan, export and restore this PBX cannot read one that answers as the manual
does.
"""

from __future__ import annotations

from typing import Any

from pbxconf.manual import facts
from pbxconf.sim.state import PbxState, split_list

# Each query endpoint, the answer key holding its records, and the state's table.
QUERIES = (
    ("extension/query", "extinfos"),
    ("siptrunk/query", "trunks"),
    ("inroute/query", "inroutes"),
    ("outroute/query", "outroutes"),
    ("ivr/query", "ivr"),
    ("queue/query", "queues"),
    ("wakeupcall/query", "wakeups"),
)
# Query spellings -> the state's (the update endpoints' names, see state.py).
STATE_KEYS = {
    "moblie": "mobile",
    "queue name": "queuename",
    "announcfreq": "announcerefreq",
    "userannouncfreq": "userannouncerefreq",
}


def manual_examples() -> PbxState:
    state = PbxState.factory()
    manual = facts()
    for endpoint, key in QUERIES:
        for example in manual.endpoints[endpoint].response_examples:
            for record in example.body.get(key, []):
                _add(state, endpoint, _state_spelling(record))
    return state


def _state_spelling(record: dict[str, Any]) -> dict[str, Any]:
    out = {STATE_KEYS.get(k, k): v for k, v in record.items()}
    if "agents" in out:
        out["agents"] = ",".join(split_list(out["agents"]))  # the answer's trailing comma
    return out


def _add(state: PbxState, endpoint: str, record: dict[str, Any]) -> None:
    if endpoint == "wakeupcall/query":
        for item in record["wakeup"]:
            state.admin_put("wakeup", {"extid": record["extid"], **item})
        return
    kind = {
        "extension/query": "extension",
        "siptrunk/query": "trunk",
        "inroute/query": "inroute",
        "outroute/query": "outroute",
        "ivr/query": "ivr",
        "queue/query": "queue",
    }[endpoint]
    state.admin_put(kind, record)
