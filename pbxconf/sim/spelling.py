"""How the simulated PBX spells its query answers.

The manual gives two spellings for several response keys and values (see NOTES.md):
- "examples": what the manual's response examples show (`moblie`, lowercase IVR keys,
  `"queue name"`, `announcfreq`, `"Hang up"`, agents with a trailing comma, lowercase
  trunk status, lowercase wake-up keys, `extrange`);
- "variants": the other spelling each time (`mobile`, camel-case IVR keys, `queuename`,
  `announcefreq`, `"Hangup"`, no trailing comma, capitalised status, `Repeatinterval` and
  `Prompt`, `exrange`, `atransfertto`).
A client must read both; tests switch the simulator between them.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
SPELLINGS = ("examples", "variants")

IVR_CAMEL = {
    "ivrnumber": "ivrNumber",
    "ivrname": "ivrName",
    "prompt": "prompt",
    "promptrepeat": "promptRepeat",
    "responsetimeout": "responseTimeout",
    "digittimeout": "digitTimeout",
    "dialext": "dialExt",
    "dialoutboundroutes": "dialOutboundRoutes",
    "selectedroutes": "selectedRoutes",
    "dialtocheckvoicemail": "dialToCheckVoiceMail",
}


def extension(record: Record, spelling: str) -> Record:
    out = dict(record)
    if spelling == "examples":
        out["moblie"] = out.pop("mobile", "")
    else:
        for prefix in "anb":
            out[f"{prefix}transfertto"] = out.pop(f"{prefix}transferto", "")
    return out


def trunk_status(status: str, spelling: str) -> str:
    return status.lower() if spelling == "examples" else status.capitalize()


def inroute(record: Record, spelling: str) -> Record:
    out = dict(record)
    if spelling == "variants" and out.get("desttype") == "extrange":
        out["desttype"] = "exrange"
    return out


def ivr(record: Record, spelling: str) -> Record:
    if spelling == "examples":
        return dict(record)
    return {IVR_CAMEL.get(key, key): value for key, value in record.items()}


def queue(record: Record, spelling: str) -> Record:
    out = dict(record)
    if spelling == "examples":
        out["queue name"] = out.pop("queuename", "")
        out["announcfreq"] = out.pop("announcefreq", "")
        out["userannouncfreq"] = out.pop("userannouncefreq", "")
        for key in ("failoveraction", "breakoutaction"):
            if out.get(key) == "Hangup":
                out[key] = "Hang up"
        if out.get("agents"):
            out["agents"] = out["agents"] + ","
    else:
        for key in ("failoveraction", "breakoutaction"):
            if out.get(key) == "Hang up":
                out[key] = "Hangup"
    return out


def wakeup(item: Record, spelling: str) -> Record:
    out = dict(item)
    if spelling == "variants":
        out["Repeatinterval"] = out.pop("repeatinterval", "")
        out["Prompt"] = out.pop("prompt", "")
    return out
