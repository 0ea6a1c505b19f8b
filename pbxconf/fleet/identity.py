"""Which PBX each inventory entry reaches: its serial number, from its device info.

The inventory refuses a URL given twice, but two different URLs can reach one PBX (a
host name and its address, an alias): planned as two, the last apply would win and
undo the first, and the check after each would pass. A run that learns two entries
answer with the same serial number fails both, each naming the other; an apply learns
every PBX's before it writes to any (`identify`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pbxconf.errors import PbxconfError
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.inventory import Member
from pbxconf.fleet.runner import Outcome, run_each
from pbxconf.fleet.sections import one_line
from pbxconf.render.common import and_list


class SamePbx(PbxconfError):
    """Two inventory entries reach one PBX: neither is used until the inventory is fixed."""


def serial_of(device: Mapping[str, Any]) -> str:
    """The PBX's serial number, or "" when its device info gives none (then nothing is
    compared)."""
    return str(device.get("sn") or "")


def same_pbx(names: list[str], serials: Mapping[int, str]) -> dict[int, SamePbx]:
    """The entries (by index) that share their serial number with another, each with the
    error that names the others."""
    by_serial: dict[str, list[int]] = {}
    for index, sn in serials.items():
        if sn:
            by_serial.setdefault(sn, []).append(index)
    found = {}
    for sn, indexes in by_serial.items():
        for index in indexes if len(indexes) > 1 else []:
            others = and_list([names[i] for i in sorted(indexes) if i != index])
            entries = "two" if len(indexes) == 2 else str(len(indexes))
            found[index] = SamePbx(
                f"the same PBX (SN {sn}) as {others}: {entries} inventory entries reach one "
                "PBX; fix the inventory"
            )
    return found


def clashes(names: list[str], outcomes: list[Outcome]) -> dict[int, SamePbx]:
    """`same_pbx` over a run's outcomes (those that learnt their PBX's serial number)."""
    return same_pbx(names, {i: o.serial for i, o in enumerate(outcomes) if o.serial})


@dataclass
class IdentifyJob:
    """Reads one PBX's device info: who it is, before anything is written to any."""

    run: FleetRun
    errors: dict[int, PbxconfError] = field(default_factory=dict)

    async def __call__(self, index: int, member: Member) -> Outcome:
        try:
            device = await self.run.device_info(member)
        except PbxconfError as err:
            self.errors[index] = err
            return Outcome(member.name, "failed", message=one_line(err))
        return Outcome(member.name, "no-changes", serial=serial_of(device))


async def identify(run: FleetRun, indexes: list[int]) -> dict[int, PbxconfError]:
    """Every PBX at `indexes` asked who it is; those that cannot be used, with why: it
    could not be asked (down, refusing), or another entry reaches it too."""
    job = IdentifyJob(run)
    found = await run_each(run.members, job, run.parallel, indexes=indexes)
    names = [m.name for m in run.members]
    serials = {i: o.serial for i, o in found.items() if o.serial}
    return {**job.errors, **same_pbx(names, serials)}
