"""The PBX's event reports, as the manual describes them (API 报告推送, lines 582-600 and
4597 on), and which of them the watch believes.

    {"action": "BootUp", "sn": "369351034049"}
    {"action": "ConfigChange", "type": "extension", "extid": "1001", "operation": "update",
     "sn": "369362089179"}                       (a trunk: "type": "trunk", "trunkname")

A ConfigChange says which extension or trunk was added, deleted or updated, never what
changed: the watch re-reads that object. Other reports (call and status events) are not
configuration and are counted only.

A report is a hint, never evidence: the watch answers it by reading the PBX, so a forged
report can cost a read, and no more. Still, a report that names another PBX (`sn`) or
comes from an address that is not the PBX's is ignored and counted: a second PBX
registered to the same listener, or anyone who can reach it, is not the watched PBX.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

from pbxconf.kinds import KINDS
from pbxconf.manual import facts
from pbxconf.watch.options import Network

# A ConfigChange's `type` -> (pbxconf's kind, the report key naming the object), as the
# kinds declare them.
CHANGE_TYPES = {
    kind.reported_as[0]: (kind.name, kind.reported_as[1])
    for kind in KINDS.values()
    if kind.reported_as is not None
}
# Larger than any report: a body above this is not one.
MAX_REPORT_BYTES = 64 * 1024


class BadReport(ValueError):
    """A POST that is no report the watch can act on; the text says why."""


@dataclass(frozen=True)
class Report:
    action: str
    sn: str | None
    kind: str | None = None  # ConfigChange: the kind of the object it names
    key: str | None = None
    operation: str | None = None  # add, del, update


def parse_report(raw: bytes) -> Report:
    """A report's body -> Report; BadReport where it is not one."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadReport("not JSON (log in with version 1.0.2 for well-formed reports)") from None
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise BadReport("not a JSON object with an `action`")
    action = data["action"]
    sn = _text(data.get("sn"))
    if action != "ConfigChange":
        return Report(action, sn)
    kind_and_key = CHANGE_TYPES.get(str(data.get("type")))
    if kind_and_key is None:
        raise BadReport(f"a ConfigChange of type {data.get('type')!r}")
    kind, key_name = kind_and_key
    key = _text(data.get(key_name))
    if not key:
        raise BadReport(f"a ConfigChange of an {data['type']} without `{key_name}`")
    operation = _text(data.get("operation"))
    if operation not in _operations():
        raise BadReport(f"a ConfigChange with operation {operation!r}")
    return Report(action, sn, kind, key, operation)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value)


def _operations() -> tuple[str, ...]:
    table = facts().reports["ConfigChange"].request
    return next(p.values for p in table if p.key == "operation")


@dataclass
class ReportGate:
    """Whether a report comes from the watched PBX: its serial number (every report
    carries it since API 1.1.0, the changelog says) and its source address (the PBX's
    addresses, and those `--allow-from` adds for NAT or a proxy in between)."""

    sn: str = ""
    pbx_addresses: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = field(default_factory=set)
    allow_from: list[Network] = field(default_factory=list)

    def refusal(self, report: Report, source: str) -> str | None:
        """Why a report is not believed (`source` / `sn`), or None."""
        if not self.source_allowed(source):
            return "source"
        if report.sn != self.sn:
            return "sn"
        return None

    def source_allowed(self, source: str) -> bool:
        try:
            address = ipaddress.ip_address(source)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack listener sees ::ffff:a.b.c.d
        return address in self.pbx_addresses or any(address in net for net in self.allow_from)
