"""The simulated PBX's configuration and the rules the manual says a PBX enforces.

Records are kept wire-shaped, in one spelling per field (the update endpoints' names, see
`render_*` for what a query answers), as flat dicts of strings: a query answers shallow
copies, which is all the safety the state needs and a fraction of deepcopy's cost.
This module implements the manual directly and must never import pbxconf.kinds or any
codec: a codec mistake mirrored here would let every test pass against a PBX that does
not exist.

Every rule violation raises SimFailure(errno). For trunk and route rules the manual's error
table has no code of its own; the simulator answers 10003 ("the API does not support this
request") and 10004 for a missing required parameter, as the table's generic codes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pbxconf.digest import md5_hex

Record = dict[str, Any]
STATE_FORMAT_VERSION = 1

ON_OFF = ("on", "off")
EXT_TRANSFER_TO = ("Voicemail", "Extension", "Mobile Number", "Custom Number")
EXT_MONITOR_MODES = ("Disabled", "Extensive", "Listen", "Whisper", "Barge-in")
EXT_RING_TIMEOUTS = ("15", "30", "60", "120", "300")
EXT_MAX_DURATIONS = (
    "Follow System",
    "Unlimited",
    "60",
    "300",
    "600",
    "900",
    "1800",
    "3600",
    "6000",
)
INROUTE_DEST_TYPES = (
    "hangup",
    "extension",
    "extrange",
    "voicemail",
    "ivr",
    "ringgroup",
    "queue",
    "conference",
    "disa",
    "callback",
    "outroute",
    "faxtoemail",
)
TRUNK_TYPES = ("register", "peer", "account")
TRUNK_REQUIRED = {
    "register": ("host", "port", "domain", "username", "authname", "password"),
    "peer": ("host", "port", "domain"),
    "account": ("username", "authname", "password"),
}
TRUNK_OPTIONAL = {"register": ("fromuser",), "peer": (), "account": ()}
QUEUE_STRATEGIES = ("Ring All", "Least Recent", "Fewest Calls", "Random", "Rrmemory", "Linear")
# The update table's lists (lines 2222, 2244): failover says `Hangup` ... `Dial by name`,
# breakout `Hang up` ... `Dial by Name`. A lenient PBX takes either spelling for both.
_QUEUE_TARGETS = ("Extension", "Voicemail", "IVR", "Ring Group", "Queue", "Conference")
QUEUE_ACTIONS = (
    "Hangup",
    "Hang up",
    *_QUEUE_TARGETS,
    "Fax to Email",
    "Dial by name",
    "Dial by Name",
)
QUEUE_TENS = ("10", "20", "30", "40", "50")
QUEUE_MAX_WAIT = ("300", "600", "900", "1200", "1800")
QUEUE_FREQS = ("0", "15", "30", "45", "60", "120", "180", "240", "300", "600", "1200")
QUEUE_BREAKOUT_KEYS = ("None", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")
WAKEUP_TYPES = ("onetime", "everyday", "custom")
WAKEUP_DEFAULT_PROMPT = "macroform-cold_day"
IVR_NAME_FORBIDDEN = set("!$()/#;,[]\"=<>&'`^%@{} ")

# Fields the extension update endpoint takes (the manual's table, both spellings of the
# forwarding destinations: the table writes `atransfertto`, the rest of the text `atransferto`).
EXT_WRITABLE = (
    "username",
    "callerid",
    "registername",
    "registerpassword",
    "maxregistrations",
    "loginpassword",
    "email",
    "mobile",
    "hasvoicemail",
    "vmsecret",
    "enablevmtoemail",
    "alwaysforward",
    "atransferto",
    "atransferext",
    "atransferprefix",
    "atransfernum",
    "noanswerforward",
    "ntransferto",
    "ntransferext",
    "ntransferprefix",
    "ntransfernum",
    "busyforward",
    "btransferto",
    "btransferext",
    "btransferprefix",
    "btransfernum",
    "allowbeingmonitored",
    "monitormode",
    "ringtimeout",
    "maxduration",
    "dnd",
    "callrestriction",
    "agentid",
)
IVR_WRITABLE = (
    "ivrname",
    "promptrepeat",
    "responsetimeout",
    "digittimeout",
    "dialext",
    "dialtocheckvoicemail",
)
QUEUE_WRITABLE = (
    "queuename",
    "password",
    "ringstrategy",
    "failoveraction",
    "failoverdest",
    "agents",
    "dynamicagents",
    "agenttimeout",
    "wrapuptime",
    "ringinuse",
    "retry",
    "maxwaittime",
    "joinempty",
    "leavewhenempty",
    "announcepos",
    "announcerefreq",
    "announceholdtime",
    "userannouncerefreq",
    "breakoutkey",
    "breakoutaction",
    "breakoutdest",
    "idannouncement",
    "satisfactionsurvey",
)


class SimFailure(Exception):
    """A request the PBX refuses: answered {"status": "Failed", "errno": errno}."""

    def __init__(self, errno: str, why: str = "") -> None:
        self.errno = errno
        self.why = why
        super().__init__(f"{errno}: {why}")


@dataclass
class ConfigChange:
    """What the PBX reports in a ConfigChange event (extensions and trunks only)."""

    type: str  # "extension" | "trunk"
    key: str  # extension number or trunk name
    operation: str  # "add" | "del" | "update"


def split_list(value: Any) -> list[str]:
    """A comma list as the PBX reads one: blanks and the trailing comma dropped."""
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _text(body: Record, key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise SimFailure("10003", f"{key} must be a string")
    return str(value)


def _require(body: Record, keys: Iterable[str]) -> None:
    for key in keys:
        if _text(body, key).strip() == "":
            raise SimFailure("10004", f"{key} is required")


def _check_enum(errno: str, key: str, value: str, allowed: Iterable[str]) -> None:
    if value not in allowed:
        raise SimFailure(errno, f"{key}={value!r} is not one of the manual's values")


def default_extension(number: str) -> Record:
    """A new extension as a factory PBX has it (values from the manual's query example)."""
    return {
        "extnumber": number,
        "username": f"Extension {number}",
        "status": "Unavailable",
        "type": "SIP",
        "callerid": number,
        "registername": number,
        "registerpassword": f"Rg{md5_hex(number)[:10]}",
        "maxregistrations": "1",
        "loginpassword": md5_hex(f"user{number}"),
        "email": "",
        "mobile": "",
        "language": "System Default",
        "hasvoicemail": "on",
        "enablevmtoemail": "off",
        "vmsecret": number,
        "alwaysforward": "off",
        "atransferto": "Voicemail",
        "atransferext": "",
        "atransferprefix": "",
        "atransfernum": "",
        "noanswerforward": "on",
        "ntransferto": "Voicemail",
        "ntransferext": "",
        "ntransferprefix": "",
        "ntransfernum": "",
        "busyforward": "on",
        "btransferto": "Voicemail",
        "btransferext": "",
        "btransferprefix": "",
        "btransfernum": "",
        "ringsimultaneous": "off",
        "mobileprefix": "",
        "enablemobile": "off",
        "allowbeingmonitored": "off",
        "monitormode": "Disabled",
        "ringtimeout": "30",
        "maxduration": "Follow System",
        "dnd": "off",
        "callrestriction": "off",
        "agentid": "",
    }


def default_ivr(number: str) -> Record:
    return {
        "ivrnumber": number,
        "ivrname": number,
        "prompt": "[Default]",
        "promptrepeat": "3",
        "responsetimeout": "3",
        "digittimeout": "3",
        "dialext": "on",
        "dialoutboundroutes": "off",
        "selectedroutes": "",
        "dialtocheckvoicemail": "off",
    }


def default_queue(number: str) -> Record:
    return {
        "queuenumber": number,
        "queuename": number,
        "password": f"{number}123",
        "ringstrategy": "Ring All",
        "failoveraction": "Hangup",
        "failoverdest": "",
        "agents": "",
        "dynamicagents": "",
        "agenttimeout": "10",
        "agentannounce": "[None]",
        "wrapuptime": "10",
        "ringinuse": "on",
        "retry": "10",
        "musiconhold": "[None]",
        "maxwaittime": "30",  # as the query example answers (line 2186)
        "joinempty": "on",
        "leavewhenempty": "on",
        "joinannounce": "[None]",
        "announcepos": "off",
        "announcerefreq": "15",
        "announceholdtime": "on",
        "userannounce": "[None]",
        "userannouncerefreq": "60",
        "breakoutkey": "0",
        "breakoutaction": "Hang up",
        "breakoutdest": "",
        "satisfactionsurvey": "None",
        "idannouncement": "Default",
    }


# The key each kind of record is filed by, for out-of-band edits (/admin/records/{kind}).
ADMIN_RECORD_KEYS = {
    "extension": "extnumber",
    "trunk": "trunkname",
    "inroute": "name",
    "outroute": "name",
    "ivr": "ivrnumber",
    "queue": "queuenumber",
    "wakeup": "extid",
}


@dataclass
class PbxState:
    """One PBX's configuration, in the simulator's wire-shaped records."""

    device: Record = field(default_factory=dict)
    extension_capacity: int = 50
    extensions: dict[str, Record] = field(default_factory=dict)
    trunks: dict[str, Record] = field(default_factory=dict)  # by id
    inroutes: dict[str, Record] = field(default_factory=dict)  # by id
    outroutes: dict[str, Record] = field(default_factory=dict)  # by id
    ivrs: dict[str, Record] = field(default_factory=dict)
    queues: dict[str, Record] = field(default_factory=dict)
    wakeups: dict[str, list[Record]] = field(default_factory=dict)  # by extension
    next_ids: dict[str, int] = field(default_factory=dict)

    # ---- construction and the state file ---------------------------------------------

    @classmethod
    def factory(cls) -> PbxState:
        """A fresh PBX: extensions 1000-1019, IVR 6500, queue 6700, nothing else."""
        state = cls(
            device={
                "devicename": "Cloud PBX (pbxconf simulator)",
                "sn": "SIM0000000000001",
                "firmwarever": "81.9.0.14",
            },
        )
        for number in range(1000, 1020):
            state.extensions[str(number)] = default_extension(str(number))
        state.ivrs["6500"] = default_ivr("6500")
        state.queues["6700"] = default_queue("6700")
        return state

    def to_json(self) -> Record:
        return {
            "version": STATE_FORMAT_VERSION,
            "device": self.device,
            "extension_capacity": self.extension_capacity,
            "extensions": list(self.extensions.values()),
            "trunks": list(self.trunks.values()),
            "inroutes": list(self.inroutes.values()),
            "outroutes": list(self.outroutes.values()),
            "ivrs": list(self.ivrs.values()),
            "queues": list(self.queues.values()),
            "wakeups": self.wakeups,
            "next_ids": self.next_ids,
        }

    @classmethod
    def from_json(cls, data: Any) -> PbxState:
        """Load a state file; records missing fields get a factory record's defaults."""
        if not isinstance(data, dict) or data.get("version") != STATE_FORMAT_VERSION:
            raise ValueError(f"not a simulator state file (version {STATE_FORMAT_VERSION})")
        try:
            state = cls(
                device=dict(data.get("device") or {}),
                extension_capacity=int(data.get("extension_capacity", 50)),
                next_ids={k: int(v) for k, v in (data.get("next_ids") or {}).items()},
            )
            for rec in data.get("extensions", []):
                full = default_extension(str(rec["extnumber"])) | _stringify(rec)
                state.extensions[full["extnumber"]] = full
            for rec in data.get("ivrs", []):
                full = default_ivr(str(rec["ivrnumber"])) | _stringify(rec)
                state.ivrs[full["ivrnumber"]] = full
            for rec in data.get("queues", []):
                full = default_queue(str(rec["queuenumber"])) | _queue_keys(_stringify(rec))
                state.queues[full["queuenumber"]] = full
            for kind in ("trunks", "inroutes", "outroutes"):
                table = getattr(state, kind)
                for rec in data.get(kind, []):
                    rec = _stringify(rec)
                    if "id" not in rec:
                        rec["id"] = state._new_id(kind)
                    table[rec["id"]] = rec
                    state.next_ids[kind] = max(state.next_ids.get(kind, 0), int(rec["id"]))
            for ext, items in (data.get("wakeups") or {}).items():
                state.wakeups[str(ext)] = [_stringify(item) for item in items]
                for item in items:
                    state.next_ids["wakeups"] = max(
                        state.next_ids.get("wakeups", 0), int(item["wakeupid"])
                    )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"the state file is malformed: {err!r}") from None
        return state

    def copy(self) -> PbxState:
        return copy.deepcopy(self)

    def _taken_id(self, kind: str, record_id: str) -> None:
        """An id given from outside (a state file, an edit by hand) is never handed out
        again."""
        if record_id.isdigit():
            self.next_ids[kind] = max(self.next_ids.get(kind, 0), int(record_id))

    def _new_id(self, kind: str) -> str:
        self.next_ids[kind] = self.next_ids.get(kind, 0) + 1
        return str(self.next_ids[kind])

    # ---- look-ups --------------------------------------------------------------------

    def number_taken(self, number: str) -> bool:
        return number in self.extensions or number in self.ivrs or number in self.queues

    def trunk_by_name(self, name: str) -> Record | None:
        return next((t for t in self.trunks.values() if t["trunkname"] == name), None)

    def _route_by_name(self, table: dict[str, Record], name: str) -> Record | None:
        return next((r for r in table.values() if r["name"] == name), None)

    def routes_using_trunk(self, name: str) -> list[str]:
        return [
            r["name"]
            for r in (*self.inroutes.values(), *self.outroutes.values())
            if name in split_list(r.get("trunks"))
        ]

    def device_info(self) -> Record:
        return {
            "devicename": self.device.get("devicename", ""),
            "sn": self.device.get("sn", ""),
            "firmwarever": self.device.get("firmwarever", ""),
            "extensionstatus": f"{len(self.extensions)}/{self.extension_capacity}",
        }

    # ---- extensions ------------------------------------------------------------------

    def query_extensions(self, extids: str | None) -> list[Record]:
        # Records are flat dicts of strings: a shallow copy keeps the state safe.
        if extids is None or extids == "":
            return [dict(r) for r in self.extensions.values()]
        wanted = split_list(extids)
        return [dict(self.extensions[n]) for n in wanted if n in self.extensions]

    def update_extension(self, body: Record, strict: bool = True) -> list[ConfigChange]:
        extid = _text(body, "extid")
        if not extid:
            raise SimFailure("10004", "extid is required")
        if extid not in self.extensions:
            raise SimFailure("10006", f"extension {extid} does not exist")
        changes = {k: _text(body, k) for k in EXT_WRITABLE if k in body}
        for tt, canonical in (
            ("atransfertto", "atransferto"),
            ("ntransfertto", "ntransferto"),
            ("btransfertto", "btransferto"),
        ):
            if tt in body:
                changes[canonical] = _text(body, tt)
        self._check_extension_fields(changes)
        if strict:
            self._check_custom_numbers(self.extensions[extid] | changes)
        new_number = _text(body, "extnumber") or extid
        if new_number != extid:
            if not new_number.isdigit():
                raise SimFailure("10017", "extnumber must be digits")
            if self.number_taken(new_number):
                raise SimFailure("10017", f"number {new_number} is already in use")
        select = body.get("selectoutroute")
        routes: list[Record] = []
        if select is not None:
            names = split_list(select)
            if len(str(select)) > 4096:
                raise SimFailure("10033", "selectoutroute is longer than 4096 characters")
            for name in names:
                route = self._route_by_name(self.outroutes, name)
                if route is None:
                    raise SimFailure("10033", f"outbound route {name} does not exist")
                routes.append(route)
        # All checks passed: apply.
        record = self.extensions[extid]
        if "loginpassword" in changes:
            # The PBX stores (and answers) only the md5 of the user password.
            changes["loginpassword"] = md5_hex(changes["loginpassword"])
        record.update(changes)
        if select is not None:
            chosen = {r["name"] for r in routes}
            for route in self.outroutes.values():
                members = split_list(route.get("extensions"))
                if route["name"] in chosen and extid not in members:
                    members.append(extid)
                elif route["name"] not in chosen and extid in members:
                    members.remove(extid)
                route["extensions"] = ",".join(members)
        if new_number != extid:
            self._renumber_extension(extid, new_number)
        return [ConfigChange("extension", new_number, "update")]

    def _check_custom_numbers(self, record: Record) -> None:
        """The update table: forwarding to a Custom Number needs the number (不为空, lines
        1123, 1136)."""
        for prefix in "anb":
            custom = record.get(f"{prefix}transferto") == "Custom Number"
            if custom and not record.get(f"{prefix}transfernum"):
                raise SimFailure("10017", f"{prefix}transfernum is empty for Custom Number")

    def _check_extension_fields(self, changes: Record) -> None:
        for key in (
            "hasvoicemail",
            "enablevmtoemail",
            "alwaysforward",
            "noanswerforward",
            "busyforward",
            "allowbeingmonitored",
            "dnd",
            "callrestriction",
        ):
            if key in changes:
                _check_enum("10017", key, changes[key], ON_OFF)
        for prefix in "anb":
            to = changes.get(f"{prefix}transferto")
            if to is not None:
                _check_enum("10017", f"{prefix}transferto", to, EXT_TRANSFER_TO)
            target = changes.get(f"{prefix}transferext")
            if target and target not in self.extensions:
                raise SimFailure("10006", f"forwarding target {target} does not exist")
            pre = changes.get(f"{prefix}transferprefix")
            if pre and not (pre.isdigit() and len(pre) <= 7):
                raise SimFailure("10017", f"{prefix}transferprefix must be up to 7 digits")
            num = changes.get(f"{prefix}transfernum")
            if num and not (num.isdigit() and len(num) <= 15):
                raise SimFailure("10017", f"{prefix}transfernum must be up to 15 digits")
        if "monitormode" in changes:
            _check_enum("10017", "monitormode", changes["monitormode"], EXT_MONITOR_MODES)
        if "ringtimeout" in changes:
            _check_enum("10017", "ringtimeout", changes["ringtimeout"], EXT_RING_TIMEOUTS)
        if "maxduration" in changes:
            _check_enum("10017", "maxduration", changes["maxduration"], EXT_MAX_DURATIONS)
        if "maxregistrations" in changes and not changes["maxregistrations"].isdigit():
            raise SimFailure("10017", "maxregistrations must be a number")
        if "vmsecret" in changes and changes["vmsecret"] and not changes["vmsecret"].isdigit():
            raise SimFailure("10017", "vmsecret must be digits")

    def _renumber_extension(self, old: str, new: str) -> None:
        """The PBX keeps references by object, so every place naming `old` follows it."""
        record = self.extensions.pop(old)
        record["extnumber"] = new
        self.extensions[new] = record
        for route in self.outroutes.values():
            route["extensions"] = _replace_in_list(route.get("extensions"), old, new)
        for route in self.inroutes.values():
            if route.get("desttype") in ("extension", "voicemail") and route.get("dest") == old:
                route["dest"] = new
        for queue in self.queues.values():
            queue["agents"] = _replace_in_list(queue.get("agents"), old, new)
        for ext in self.extensions.values():
            for prefix in "anb":
                if ext.get(f"{prefix}transferext") == old:
                    ext[f"{prefix}transferext"] = new
        for trunk in self.trunks.values():
            trunk["extensionsdod"] = ",".join(
                _dod_with_extension(d, old, new) for d in split_list(trunk.get("extensionsdod"))
            )
        if old in self.wakeups:
            self.wakeups[new] = self.wakeups.pop(old)

    # ---- SIP trunks ------------------------------------------------------------------

    def query_trunks(self, names: str) -> list[Record]:
        if names == "all":
            return [dict(t) for t in self.trunks.values()]
        wanted = split_list(names)
        return [dict(t) for t in self.trunks.values() if t["trunkname"] in wanted]

    def _trunk_record(self, body: Record) -> Record:
        _require(body, ("trunkname", "trunktype"))
        ttype = _text(body, "trunktype")
        if ttype not in TRUNK_TYPES:
            raise SimFailure("10003", f"trunktype {ttype!r} is not register, peer or account")
        _require(body, TRUNK_REQUIRED[ttype])
        record = {"trunkname": _text(body, "trunkname"), "trunktype": ttype}
        for key in (*TRUNK_REQUIRED[ttype], *TRUNK_OPTIONAL[ttype]):
            record[key] = _text(body, key)
        if "port" in record and not record["port"].isdigit():
            raise SimFailure("10003", "port must be a number")
        for key in ("extensionsdod", "extensionsgroupdod"):
            value = _text(body, key)
            for dod in split_list(value):
                parts = dod.split("-")
                if len(parts) < 3 or not parts[0] or not parts[-1]:
                    raise SimFailure("10003", f"{key} entry {dod!r} is not number-name-target")
                if key == "extensionsdod" and parts[-1] not in self.extensions:
                    raise SimFailure("10006", f"DOD extension {parts[-1]} does not exist")
            record[key] = ",".join(split_list(value))
        return record

    def add_trunk(self, body: Record) -> list[ConfigChange]:
        record = self._trunk_record(body)
        if self.trunk_by_name(record["trunkname"]):
            raise SimFailure("10003", f"a trunk named {record['trunkname']} exists")
        record = {"id": self._new_id("trunks"), **record}
        self.trunks[record["id"]] = record
        return [ConfigChange("trunk", record["trunkname"], "add")]

    def update_trunk(self, body: Record) -> list[ConfigChange]:
        trunk_id = _text(body, "id")
        if not trunk_id:
            raise SimFailure("10004", "id is required")
        old = self.trunks.get(trunk_id)
        if old is None:
            raise SimFailure("10003", f"no trunk has id {trunk_id}")
        record = self._trunk_record(body)
        other = self.trunk_by_name(record["trunkname"])
        if other is not None and other["id"] != trunk_id:
            raise SimFailure("10003", f"a trunk named {record['trunkname']} exists")
        record = {"id": trunk_id, **record}
        self.trunks[trunk_id] = record
        if record["trunkname"] != old["trunkname"]:
            for route in (*self.inroutes.values(), *self.outroutes.values()):
                route["trunks"] = _replace_in_list(
                    route.get("trunks"), old["trunkname"], record["trunkname"]
                )
        return [ConfigChange("trunk", record["trunkname"], "update")]

    def delete_trunks(self, names: str) -> list[ConfigChange]:
        targets = self._select_for_delete(self.trunks, "trunkname", names)
        for trunk in targets:
            users = [r for r in self.routes_using_trunk(trunk["trunkname"])]
            if users:
                raise SimFailure(
                    "10003", f"trunk {trunk['trunkname']} is used by route(s) {', '.join(users)}"
                )
        for trunk in targets:
            del self.trunks[trunk["id"]]
        return [ConfigChange("trunk", t["trunkname"], "del") for t in targets]

    def _select_for_delete(self, table: dict[str, Record], key: str, names: str) -> list[Record]:
        if not names:
            raise SimFailure("10004", f"{key} is required")
        if names == "all":
            return list(table.values())
        wanted = split_list(names)
        found = [r for r in table.values() if r[key] in wanted]
        missing = set(wanted) - {r[key] for r in found}
        if missing:
            raise SimFailure("10003", f"no such object: {', '.join(sorted(missing))}")
        return found

    # ---- inbound routes ----------------------------------------------------------------

    def query_inroutes(self, names: str) -> list[Record]:
        return self._query_routes(self.inroutes, names)

    def _query_routes(self, table: dict[str, Record], names: str) -> list[Record]:
        if names == "all":
            return [dict(r) for r in table.values()]
        wanted = split_list(names)
        return [dict(r) for r in table.values() if r["name"] in wanted]

    def _check_trunks(self, value: str) -> str:
        names = split_list(value)
        if not names:
            raise SimFailure("10004", "trunks is required")
        for name in names:
            if self.trunk_by_name(name) is None:
                raise SimFailure("10003", f"trunk {name} does not exist")
        return ",".join(names)

    def _inroute_record(self, body: Record) -> Record:
        _require(body, ("name", "trunks", "desttype"))
        desttype = _text(body, "desttype")
        if desttype == "exrange":  # the add table's spelling
            desttype = "extrange"
        if desttype not in INROUTE_DEST_TYPES:
            raise SimFailure("10003", f"desttype {desttype!r} is not one the manual lists")
        dest = _text(body, "dest")
        if desttype != "hangup" and not dest:
            raise SimFailure("10004", "dest is required")
        self._check_inroute_dest(desttype, dest)
        return {
            "name": _text(body, "name"),
            "did": _text(body, "did"),
            "caller_id": _text(body, "caller_id"),
            "trunks": self._check_trunks(_text(body, "trunks")),
            "desttype": desttype,
            "dest": dest,
        }

    def _check_inroute_dest(self, desttype: str, dest: str) -> None:
        if desttype in ("extension", "voicemail") and dest not in self.extensions:
            raise SimFailure("10006", f"extension {dest} does not exist")
        if desttype == "ivr" and dest not in self.ivrs:
            raise SimFailure("10012", f"IVR {dest} does not exist")
        if desttype == "queue" and dest not in self.queues:
            raise SimFailure("10013", f"queue {dest} does not exist")
        if desttype == "ringgroup":
            raise SimFailure("10014", f"ring group {dest} does not exist")
        if desttype == "outroute" and self._route_by_name(self.outroutes, dest) is None:
            raise SimFailure("10003", f"outbound route {dest} does not exist")
        if desttype == "extrange":
            match = re.fullmatch(r"(\d+)-(\d+)", dest)
            if not match or int(match[1]) > int(match[2]):
                raise SimFailure("10003", f"extension range {dest!r} is not first-last")

    def add_inroute(self, body: Record) -> list[ConfigChange]:
        record = self._inroute_record(body)
        if self._route_by_name(self.inroutes, record["name"]):
            raise SimFailure("10003", f"an inbound route named {record['name']} exists")
        record = {"id": self._new_id("inroutes"), **record}
        self.inroutes[record["id"]] = record
        return []

    def update_inroute(self, body: Record) -> list[ConfigChange]:
        return self._update_route(self.inroutes, body, self._inroute_record)

    def _update_route(
        self, table: dict[str, Record], body: Record, build: Any
    ) -> list[ConfigChange]:
        # The table names `name` as the key; the example sends `id` and `name`, so with an id
        # the route is found by id (and `name` renames it), without one by name.
        route_id = _text(body, "id")
        if route_id:
            if route_id not in table:
                raise SimFailure("10003", f"no route has id {route_id}")
        else:
            found = self._route_by_name(table, _text(body, "name"))
            if found is None:
                raise SimFailure("10003", f"no route is named {_text(body, 'name')!r}")
            route_id = found["id"]
        record = build(body)
        other = self._route_by_name(table, record["name"])
        if other is not None and other["id"] != route_id:
            raise SimFailure("10003", f"a route named {record['name']} exists")
        old_name = table[route_id]["name"]
        table[route_id] = {"id": route_id, **record}
        if table is self.outroutes and old_name != record["name"]:
            for route in self.inroutes.values():
                if route["desttype"] == "outroute" and route["dest"] == old_name:
                    route["dest"] = record["name"]
        return []

    def delete_inroutes(self, names: str) -> list[ConfigChange]:
        for route in self._select_for_delete(self.inroutes, "name", names):
            del self.inroutes[route["id"]]
        return []

    # ---- outbound routes ---------------------------------------------------------------

    def query_outroutes(self, names: str) -> list[Record]:
        return self._query_routes(self.outroutes, names)

    def _outroute_record(self, body: Record, strict: bool = True) -> Record:
        _require(body, ("name", "trunks"))
        if strict:
            _require(body, ("prefix",))  # an empty pattern matches nothing
        if "prefix" not in body or "extensions" not in body:
            raise SimFailure("10004", "prefix and extensions are required")
        extensions = split_list(_text(body, "extensions"))
        for ext in extensions:
            if ext not in self.extensions:
                raise SimFailure("10006", f"extension {ext} does not exist")
        strip = _text(body, "strip")
        if strip and not strip.isdigit():
            raise SimFailure("10003", "strip must be a number")
        return {
            "name": _text(body, "name"),
            "prefix": _text(body, "prefix"),
            "strip": strip,
            "prepend": _text(body, "prepend"),
            "trunks": self._check_trunks(_text(body, "trunks")),
            "extensions": ",".join(extensions),
            "extensionsgroup": ",".join(split_list(_text(body, "extensionsgroup"))),
        }

    def add_outroute(self, body: Record, strict: bool = True) -> list[ConfigChange]:
        record = self._outroute_record(body, strict)
        if self._route_by_name(self.outroutes, record["name"]):
            raise SimFailure("10003", f"an outbound route named {record['name']} exists")
        record = {"id": self._new_id("outroutes"), **record}
        self.outroutes[record["id"]] = record
        return []

    def update_outroute(self, body: Record, strict: bool = True) -> list[ConfigChange]:
        return self._update_route(self.outroutes, body, lambda b: self._outroute_record(b, strict))

    def delete_outroutes(self, names: str) -> list[ConfigChange]:
        targets = self._select_for_delete(self.outroutes, "name", names)
        doomed = {r["name"] for r in targets}
        for route in self.inroutes.values():
            if route["desttype"] == "outroute" and route["dest"] in doomed:
                raise SimFailure("10003", f"inbound route {route['name']} sends calls to it")
        for route in targets:
            del self.outroutes[route["id"]]
        return []

    def routes_by_extension(self) -> dict[str, list[str]]:
        """extension -> names of the outbound routes that list it, in route order."""
        out: dict[str, list[str]] = {}
        for route in self.outroutes.values():
            for ext in split_list(route.get("extensions")):
                out.setdefault(ext, []).append(route["name"])
        return out

    # ---- IVRs --------------------------------------------------------------------------

    def query_ivrs(self, ivrids: str | None) -> list[Record]:
        if not ivrids:
            return [dict(r) for r in self.ivrs.values()]
        return [dict(self.ivrs[n]) for n in split_list(ivrids) if n in self.ivrs]

    def update_ivr(self, body: Record) -> list[ConfigChange]:
        # The tables write ivrId/ivrNumber/..., the query example ivrid: keys are matched
        # without regard to case.
        lower = {k.lower(): v for k, v in body.items()}
        ivrid = _text(lower, "ivrid")
        if not ivrid:
            raise SimFailure("10004", "ivrId is required")
        if ivrid not in self.ivrs:
            raise SimFailure("10012", f"IVR {ivrid} does not exist")
        changes = {k: _text(lower, k) for k in IVR_WRITABLE if k in lower}
        if "ivrname" in changes:
            name = changes["ivrname"]
            if not name or len(name) > 31 or set(name) & IVR_NAME_FORBIDDEN:
                raise SimFailure("10018", f"ivrName {name!r} breaks the manual's naming rules")
        if "promptrepeat" in changes:
            _check_enum("10018", "promptRepeat", changes["promptrepeat"], "12345")
        for key in ("responsetimeout", "digittimeout"):
            if key in changes:
                _check_enum("10018", key, changes[key], [str(n) for n in range(1, 11)])
        for key in ("dialext", "dialtocheckvoicemail"):
            if key in changes:
                _check_enum("10018", key, changes[key], ON_OFF)
        new_number = _text(lower, "ivrnumber") or ivrid
        if new_number != ivrid and (not new_number.isdigit() or self.number_taken(new_number)):
            raise SimFailure("10018", f"number {new_number} is in use or not a number")
        self.ivrs[ivrid].update(changes)
        if new_number != ivrid:
            record = self.ivrs.pop(ivrid)
            record["ivrnumber"] = new_number
            self.ivrs[new_number] = record
            self._retarget(("ivr",), "IVR", ivrid, new_number)
        return []

    def _retarget(self, desttypes: tuple[str, ...], action: str, old: str, new: str) -> None:
        for route in self.inroutes.values():
            if route["desttype"] in desttypes and route["dest"] == old:
                route["dest"] = new
        for queue in self.queues.values():
            if queue.get("failoveraction") == action and queue.get("failoverdest") == old:
                queue["failoverdest"] = new
            if queue.get("breakoutaction") == action and queue.get("breakoutdest") == old:
                queue["breakoutdest"] = new

    # ---- queues ------------------------------------------------------------------------

    def query_queues(self, queueids: str | None) -> list[Record]:
        if not queueids:
            return [dict(r) for r in self.queues.values()]
        return [dict(self.queues[n]) for n in split_list(queueids) if n in self.queues]

    def update_queue(self, body: Record) -> list[ConfigChange]:
        queueid = _text(body, "queueid")
        if not queueid:
            raise SimFailure("10004", "queueid is required")
        if queueid not in self.queues:
            raise SimFailure("10013", f"queue {queueid} does not exist")
        changes = {k: _text(body, k) for k in QUEUE_WRITABLE if k in body}
        checks = {
            "ringstrategy": QUEUE_STRATEGIES,
            "failoveraction": QUEUE_ACTIONS,
            "breakoutaction": QUEUE_ACTIONS,
            "agenttimeout": QUEUE_TENS,
            "wrapuptime": QUEUE_TENS,
            "retry": QUEUE_TENS,
            "maxwaittime": QUEUE_MAX_WAIT,
            "announcerefreq": QUEUE_FREQS,
            "userannouncerefreq": QUEUE_FREQS,
            "breakoutkey": QUEUE_BREAKOUT_KEYS,
            "ringinuse": ON_OFF,
            "joinempty": ON_OFF,
            "leavewhenempty": ON_OFF,
            "announcepos": ON_OFF,
            "announceholdtime": ON_OFF,
        }
        for key, allowed in checks.items():
            if key in changes:
                _check_enum("10019", key, changes[key], allowed)
        if "agents" in changes:
            agents = split_list(changes["agents"])
            for agent in agents:
                if agent not in self.extensions:
                    raise SimFailure("10006", f"agent {agent} is not an extension")
            changes["agents"] = ",".join(agents)
        merged = self.queues[queueid] | changes
        for action_key, dest_key in (
            ("failoveraction", "failoverdest"),
            ("breakoutaction", "breakoutdest"),
        ):
            self._check_queue_target(merged.get(action_key, ""), merged.get(dest_key, ""))
        new_number = _text(body, "queuenumber") or queueid
        if new_number != queueid and (not new_number.isdigit() or self.number_taken(new_number)):
            raise SimFailure("10019", f"number {new_number} is in use or not a number")
        self.queues[queueid] = merged
        if new_number != queueid:
            record = self.queues.pop(queueid)
            record["queuenumber"] = new_number
            self.queues[new_number] = record
            self._retarget(("queue",), "Queue", queueid, new_number)
        return []

    def _check_queue_target(self, action: str, dest: str) -> None:
        if action in ("Extension", "Voicemail") and dest not in self.extensions:
            raise SimFailure("10006", f"extension {dest!r} does not exist")
        if action == "IVR" and dest not in self.ivrs:
            raise SimFailure("10012", f"IVR {dest!r} does not exist")
        if action == "Queue" and dest not in self.queues:
            raise SimFailure("10013", f"queue {dest!r} does not exist")
        if action == "Ring Group":
            raise SimFailure("10014", f"ring group {dest!r} does not exist")

    # ---- wake-up calls -----------------------------------------------------------------

    def _wakeup_item(self, item: Any, errno: str) -> Record:
        if not isinstance(item, dict):
            raise SimFailure("10004", "wakeup must be a list of objects")
        lower = {k.lower(): v for k, v in item.items()}  # `Repeatinterval` / `repeatinterval`
        _require(lower, ("time", "type"))
        time_text = _text(lower, "time")
        match = re.fullmatch(r"(\d{2}):(\d{2})", time_text)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise SimFailure(errno, f"time {time_text!r} is not HH:MM")
        wtype = _text(lower, "type")
        _check_enum(errno, "type", wtype, WAKEUP_TYPES)
        weekdays = ",".join(split_list(_text(lower, "weekdays")))
        if wtype == "custom":
            days = split_list(weekdays)
            if not days or any(d not in "0123456" or len(d) != 1 for d in days):
                raise SimFailure(errno, "custom wake-up calls need weekdays from 0-6")
        repeats = _text(lower, "repeats") or "1"
        _check_enum(errno, "repeats", repeats, ("1", "2", "3"))
        interval = _text(lower, "repeatinterval")
        if interval and not interval.isdigit():
            raise SimFailure(errno, "repeatinterval must be minutes")
        record = {
            "time": time_text,
            "type": wtype,
            "prompt": _text(lower, "prompt") or WAKEUP_DEFAULT_PROMPT,
            "repeats": repeats,
            "repeatinterval": interval or "5",
        }
        if wtype == "custom":
            record["weekdays"] = weekdays
        return record

    def _wakeup_exts(self, extid: str) -> list[str]:
        exts = split_list(extid)
        if not exts:
            raise SimFailure("10004", "extid is required")
        for ext in exts:
            if ext not in self.extensions:
                raise SimFailure("10006", f"extension {ext} does not exist")
        return exts

    def create_wakeup(self, body: Record) -> list[ConfigChange]:
        exts = self._wakeup_exts(_text(body, "extid"))
        items = body.get("wakeup")
        if not isinstance(items, list) or not items:
            raise SimFailure("10004", "wakeup is required")
        item = self._wakeup_item(items[0], "10020")  # only the first item is applied
        for ext in exts:
            if any(w["time"] == item["time"] for w in self.wakeups.get(ext, [])):
                raise SimFailure("10022", f"extension {ext} has a wake-up call at {item['time']}")
        for ext in exts:
            self.wakeups.setdefault(ext, []).append({"wakeupid": self._new_id("wakeups"), **item})
        return []

    def query_wakeups(self, extid: str) -> list[Record]:
        exts = self._wakeup_exts(extid)
        # Wake-up items are flat dicts of strings: a shallow copy keeps the state safe.
        return [
            {"extid": ext, "wakeup": [dict(w) for w in self.wakeups.get(ext, [])]} for ext in exts
        ]

    def _one_extension(self, extid: str, strict: bool) -> str:
        """Update and delete act on one extension (`extid` Int, lines 4497, 4553): a strict
        PBX refuses a comma list, a lenient one acts on the first and says Success."""
        exts = self._wakeup_exts(extid)
        if strict and len(exts) > 1:
            raise SimFailure("10006", f"extension {extid!r} is not one extension")
        return exts[0]

    def update_wakeup(self, body: Record, strict: bool = True) -> list[ConfigChange]:
        ext = self._one_extension(_text(body, "extid"), strict)
        wakeupid = _text(body, "wakeupid")
        items = body.get("wakeup")
        if not wakeupid or not isinstance(items, list) or not items:
            raise SimFailure("10004", "wakeupid and wakeup are required")
        current = next((w for w in self.wakeups.get(ext, []) if w["wakeupid"] == wakeupid), None)
        if current is None:
            raise SimFailure("10021", f"extension {ext} has no wake-up call {wakeupid}")
        item = self._wakeup_item(items[0], "10020")
        if any(w["time"] == item["time"] and w is not current for w in self.wakeups[ext]):
            raise SimFailure("10022", f"extension {ext} has a wake-up call at {item['time']}")
        current.clear()
        current.update({"wakeupid": wakeupid, **item})
        return []

    def delete_wakeups(self, body: Record, strict: bool = True) -> list[ConfigChange]:
        ext = self._one_extension(_text(body, "extid"), strict)
        ids = body.get("wakeupid")
        current = self.wakeups.get(ext, [])
        if ids is None:
            self.wakeups.pop(ext, None)
            return []
        wanted = split_list(ids)
        known = {w["wakeupid"] for w in current}
        if not wanted or set(wanted) - known:
            raise SimFailure("10021", f"extension {ext} has no wake-up call {ids}")
        self.wakeups[ext] = [w for w in current if w["wakeupid"] not in wanted]
        if not self.wakeups[ext]:
            del self.wakeups[ext]
        return []

    # ---- out-of-band edits (a person in the PBX's web page) ----------------------------

    def admin_put(self, kind: str, record: Record) -> None:
        """Create or replace any object, bypassing the API's rules (as the web page can).
        Raises ValueError, saying what is missing, for a record it cannot file."""
        if kind not in ADMIN_RECORD_KEYS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(ADMIN_RECORD_KEYS)}")
        key = ADMIN_RECORD_KEYS[kind]
        if not isinstance(record, dict) or record.get(key) in (None, ""):
            article = "an" if kind[0] in "aeiou" else "a"
            raise ValueError(f"{article} {kind} record is a JSON object with `{key}`")
        record = _stringify(record)
        if kind == "extension":
            full = default_extension(record["extnumber"]) | record
            self.extensions[full["extnumber"]] = full
        elif kind == "ivr":
            full = default_ivr(record["ivrnumber"]) | record
            self.ivrs[full["ivrnumber"]] = full
        elif kind == "queue":
            full = default_queue(record["queuenumber"]) | _queue_keys(record)
            self.queues[full["queuenumber"]] = full
        elif kind in ("trunk", "inroute", "outroute"):
            table: dict[str, Record] = getattr(self, kind + "s")
            existing = next(
                (
                    r
                    for r in table.values()
                    if r.get("trunkname" if kind == "trunk" else "name")
                    == record.get("trunkname" if kind == "trunk" else "name")
                ),
                None,
            )
            record_id = record.get("id") or (existing or {}).get("id") or self._new_id(kind + "s")
            self._taken_id(kind + "s", record_id)
            table[record_id] = {**record, "id": record_id}
        elif kind == "wakeup":
            ext = record.pop("extid")
            record.setdefault("wakeupid", self._new_id("wakeups"))
            self._taken_id("wakeups", record["wakeupid"])
            self.wakeups.setdefault(ext, []).append(record)

    def admin_has(self, kind: str, record: Record) -> bool:
        """Whether an admin put of `record` replaces an object (else it adds one)."""
        if not isinstance(record, dict) or kind not in ADMIN_RECORD_KEYS:
            return False
        key = str(record.get(ADMIN_RECORD_KEYS[kind]))
        if kind in ("extension", "ivr", "queue"):
            return key in getattr(self, kind + "s")
        if kind in ("trunk", "inroute", "outroute"):
            name_key = ADMIN_RECORD_KEYS[kind]
            return any(r.get(name_key) == key for r in getattr(self, kind + "s").values())
        return False

    def admin_delete(self, kind: str, key: str) -> bool:
        if kind in ("extension", "ivr", "queue"):
            return getattr(self, kind + "s").pop(key, None) is not None
        if kind in ("trunk", "inroute", "outroute"):
            table: dict[str, Record] = getattr(self, kind + "s")
            name_key = "trunkname" if kind == "trunk" else "name"
            for record_id, record in list(table.items()):
                if record[name_key] == key:
                    del table[record_id]
                    return True
            return False
        if kind == "wakeup":
            for ext, items in list(self.wakeups.items()):
                self.wakeups[ext] = [w for w in items if w["wakeupid"] != key]
            return True
        raise KeyError(kind)


def _stringify(record: Record) -> Record:
    """The PBX sends every number as a string; state files may be written by hand."""
    return {k: (v if isinstance(v, (str, list, dict)) else str(v)) for k, v in record.items()}


# Queue keys that state files written before the update table's spellings were followed
# may hold: the old key -> the update table's (line 2237-2239).
_LEGACY_QUEUE_KEYS = {"announcefreq": "announcerefreq", "userannouncefreq": "userannouncerefreq"}


def _queue_keys(record: Record) -> Record:
    return {_LEGACY_QUEUE_KEYS.get(k, k): v for k, v in record.items()}


def _replace_in_list(value: Any, old: str, new: str) -> str:
    return ",".join(new if part == old else part for part in split_list(value))


def _dod_with_extension(dod: str, old: str, new: str) -> str:
    head, _, target = dod.rpartition("-")
    return f"{head}-{new}" if target == old else dod
