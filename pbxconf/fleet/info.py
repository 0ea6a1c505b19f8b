"""`pbxconf info` over a fleet: each PBX's name, serial number, firmware and usage, and
whether its firmware has the trunk and route API, as one table (or one JSON document)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pbxconf import __version__
from pbxconf.connect import firmware_supports_routes
from pbxconf.errors import PbxconfError
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.identity import clashes, serial_of
from pbxconf.fleet.inventory import Member
from pbxconf.fleet.output import Echo, table
from pbxconf.fleet.runner import Outcome, Spool, run_each
from pbxconf.fleet.sections import one_line
from pbxconf.text import printable


@dataclass
class InfoJob:
    run: FleetRun
    spool: Spool

    async def __call__(self, index: int, member: Member) -> Outcome:
        try:
            device = await self.run.device_info(member)
        except PbxconfError as err:
            self.spool.put("info", index, json.dumps({"error": one_line(err)}))
            return Outcome(member.name, "failed", message=one_line(err))
        self.spool.put("info", index, json.dumps({"device": device}))
        return Outcome(member.name, "no-changes", serial=serial_of(device))


async def run_info(run: FleetRun, spool: Spool) -> list[Outcome]:
    found = await run_each(run.members, InfoJob(run, spool), run.parallel)
    outcomes = [found[i] for i in range(len(run.members))]
    # Entries that reach one PBX: each fails, naming the others.
    for index, err in clashes([m.name for m in run.members], outcomes).items():
        spool.put("info", index, json.dumps({"error": one_line(err)}))
        outcomes[index] = Outcome(run.members[index].name, "failed", message=one_line(err))
    return outcomes


def _support(device: dict[str, Any]) -> bool | None:
    return firmware_supports_routes(str(device.get("firmwarever", "")))


def write_info(echo: Echo, spool: Spool, run: FleetRun, as_json: bool) -> None:
    entries = []
    rows = [("PBX", "DEVICE NAME", "SERIAL NUMBER", "FIRMWARE", "EXTENSIONS", "TRUNK/ROUTE API")]
    for index, member in enumerate(run.members):
        data = json.loads(spool.get("info", index) or "{}")
        device = data.get("device") or {}
        error = data.get("error", "")
        entries.append(
            {
                "name": member.name,
                "url": member.url,
                "labels": member.labels,
                "device": device or None,
                "trunk_and_route_api": _support(device) if device else None,
                "error": error or None,
            }
        )
        if error:
            rows.append((member.name, f"failed: {error}", "", "", "", ""))
            continue
        verdict = {True: "yes", False: "NO: needs 81.8.0.42", None: "unknown"}[_support(device)]
        rows.append(
            (
                member.name,
                printable(str(device.get("devicename", ""))),
                printable(str(device.get("sn", ""))),
                printable(str(device.get("firmwarever", ""))),
                printable(str(device.get("extensionstatus", ""))),
                verdict,
            )
        )
    if as_json:
        document = {
            "format": "pbxconf-fleet-info",
            "format_version": 1,
            "pbxconf_version": __version__,
            "inventory": str(run.inventory.path),
            "selection": run.selection.describe(),
            "pbxes": entries,
        }
        echo(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    echo("\n".join(table(rows)) + "\n")
