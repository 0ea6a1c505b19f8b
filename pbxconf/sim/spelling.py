"""How the simulated PBX answers queries: the keys it leaves out, and which of the
manual's spellings it uses.

Keys left out follow the manual's response examples: an extension's forwarding keys while
that forward is off (line 1053 on: `alwaysforward` off, no `atransferto`...), and the
target keys a forward's destination does not use; a queue's failover and breakout
destination while the action goes nowhere (line 2165 on); an IVR's selected routes while
it may not dial out (line 2019 on).

The manual gives two spellings for several response keys and values (see NOTES.md):
- "examples": what the manual's response examples show (`moblie`, lowercase IVR keys,
  `"queue name"`, `announcfreq`, `announceholdtime`, `"Hang up"`, agents with a trailing
  comma, lowercase trunk status, lowercase wake-up keys, `extrange`);
- "variants": the other spelling each time (`mobile`, camel-case IVR keys, the response
  table's `queueenname` and `announcholdtime`, the update table's `announcerefreq` and
  `userannouncerefreq`, `"Hangup"`, no trailing comma, capitalised status,
  `Repeatinterval` and `Prompt`, `exrange`, `atransfertto`).
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
# Actions that send a caller nowhere in particular: their destination is not answered.
NO_DESTINATION = ("Hangup", "Hang up", "")


def extension(record: Record, spelling: str) -> Record:
    out = dict(record)
    for prefix, switch in (("a", "alwaysforward"), ("n", "noanswerforward"), ("b", "busyforward")):
        for key in _forward_keys_not_answered(out, prefix, switch):
            out.pop(key, None)
    if spelling == "examples":
        out["moblie"] = out.pop("mobile", "")
    else:
        for prefix in "anb":
            if f"{prefix}transferto" in out:
                out[f"{prefix}transfertto"] = out.pop(f"{prefix}transferto")
    return out


def _forward_keys_not_answered(record: Record, prefix: str, switch: str) -> list[str]:
    keys = [f"{prefix}transfer{k}" for k in ("to", "ext", "prefix", "num")]
    if record.get(switch) != "on":
        return keys
    to = record.get(f"{prefix}transferto")
    hidden = []
    if to != "Extension":
        hidden.append(f"{prefix}transferext")
    if to not in ("Mobile Number", "Custom Number"):
        hidden.append(f"{prefix}transfernum")
    return hidden


def trunk_status(status: str, spelling: str) -> str:
    return status.lower() if spelling == "examples" else status.capitalize()


def inroute(record: Record, spelling: str) -> Record:
    out = dict(record)
    if spelling == "variants" and out.get("desttype") == "extrange":
        out["desttype"] = "exrange"
    return out


def ivr(record: Record, spelling: str) -> Record:
    out = dict(record)
    if out.get("dialoutboundroutes") != "on":
        out.pop("selectedroutes", None)
    if spelling == "examples":
        return out
    return {IVR_CAMEL.get(key, key): value for key, value in out.items()}


def queue(record: Record, spelling: str) -> Record:
    out = dict(record)
    for action, dest in (("failoveraction", "failoverdest"), ("breakoutaction", "breakoutdest")):
        if out.get(action, "") in NO_DESTINATION:
            out.pop(dest, None)
    if spelling == "examples":
        renames = {"queuename": "queue name", "announcerefreq": "announcfreq"}
        renames["userannouncerefreq"] = "userannouncfreq"
        for key in ("failoveraction", "breakoutaction"):
            if out.get(key) == "Hangup":
                out[key] = "Hang up"
        if out.get("agents"):
            out["agents"] = out["agents"] + ","
    else:
        renames = {"queuename": "queueenname", "announceholdtime": "announcholdtime"}
        for key in ("failoveraction", "breakoutaction"):
            if out.get(key) == "Hang up":
                out[key] = "Hangup"
    return {renames.get(key, key): value for key, value in out.items()}


def wakeup(item: Record, spelling: str) -> Record:
    out = dict(item)
    if spelling == "variants":
        out["Repeatinterval"] = out.pop("repeatinterval", "")
        out["Prompt"] = out.pop("prompt", "")
    return out
