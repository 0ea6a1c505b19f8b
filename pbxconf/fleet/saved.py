"""Saved fleet plans: `plan --all --out FILE`, then `apply FILE`.

One file for the fleet, in JSON Lines: a header line, then one line per PBX, each the
saved plan `plan --out` writes for one PBX (pinning it by serial number and URL, the
sha256 of its manifest files, fingerprints of what the plan depends on, a digest of the
secrets, never a secret) with its name and a digest of its inventory entry. A PBX whose
plan failed has a line saying so. Lines are read one at a time, when that PBX's turn
comes: applying a thousand PBXes' plan does not hold them all.

Apply refuses, by name and PBX by PBX: one the inventory no longer names or describes
differently, a different PBX at its URL (another serial number), and a stale plan (the
manifests, the secrets or the PBX changed since).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbxconf import __version__
from pbxconf.errors import PbxconfError
from pbxconf.files import write_whole
from pbxconf.fleet.inventory import Member
from pbxconf.manifest import Desired, Position
from pbxconf.plan import Plan, PlanOptions
from pbxconf.saved_plan import (
    SAVED_FORMAT,
    SavedPlan,
    SavedPlanError,
    StalePlan,
    parse_saved_plan,
    saved_plan,
)

SAVED_FLEET_FORMAT = "pbxconf-saved-fleet-plan"
# 2: the header lists the PBXes the file has a line for (a truncated file is refused).
SAVED_FLEET_VERSION = 2


def saved_entry(
    member: Member, plan: Plan, desired: Desired, options: PlanOptions, device: dict[str, Any]
) -> dict[str, Any]:
    layers = [str(p) for p in member.layers]
    return {
        "name": member.name,
        "inventory_entry": member.fingerprint,
        "saved": saved_plan(plan, desired, layers, options, member.url, device),
    }


def failed_entry(name: str, message: str) -> dict[str, Any]:
    return {"name": name, "failed": message}


def header(inventory: Path, selection: str, names: list[str]) -> dict[str, Any]:
    return {
        "pbxes": names,
        "format": SAVED_FLEET_FORMAT,
        "format_version": SAVED_FLEET_VERSION,
        "pbxconf_version": __version__,
        "inventory": str(inventory),
        "selection": selection,
    }


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Written as it comes, through a temporary file beside `path`: whole or not at all."""
    write_whole(path, (line + "\n" for line in lines))


@dataclass
class SavedFleetPlan:
    """A saved fleet plan: its header, and where each PBX's line is in the file."""

    path: Path
    header: dict[str, Any]
    offsets: dict[str, int] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.offsets)

    def entry(self, name: str) -> dict[str, Any]:
        with self.path.open("rb") as handle:
            handle.seek(self.offsets[name])
            data = json.loads(handle.readline())
        if not isinstance(data, dict):
            raise SavedPlanError(f"{self.path}: the line of {name} is damaged; plan again")
        return data

    def plan_of(self, member: Member) -> SavedPlan:
        """The PBX's saved plan; SavedPlanError (StalePlan) where it cannot be applied."""
        if not member.fingerprint:
            raise StalePlan(
                f"the inventory no longer names {member.name}: nothing was changed on it"
            )
        data = self.entry(member.name)
        if "failed" in data:
            raise NotPlanned(f"its plan failed when it was saved: {data['failed']}")
        if data.get("inventory_entry") != member.fingerprint:
            raise StalePlan(
                "its entry in the inventory changed since the plan was saved (URL, "
                "credentials' variables, labels, layers or variables). Plan again."
            )
        saved = data.get("saved")
        if not isinstance(saved, dict):
            raise SavedPlanError(f"{self.path}: the line of {member.name} is damaged; plan again")
        return parse_saved_plan(saved, f"{self.path} ({member.name})")

    def summary_of(self, name: str) -> dict[str, Any]:
        """The counts of a PBX's saved plan, as `plan --format json` gives them."""
        saved = self.entry(name).get("saved")
        plan = saved.get("plan") if isinstance(saved, dict) else None
        summary = plan.get("summary") if isinstance(plan, dict) else None
        return summary if isinstance(summary, dict) else {}


def absent_member(name: str) -> Member:
    """A PBX a saved fleet plan names and the inventory no longer does: its apply is
    refused by name."""
    return Member(
        name=name,
        url="",
        labels={},
        layers=(),
        variables={},
        username=None,
        username_env=None,
        password_env=None,
        ca_bundle=None,
        insecure=False,
        timeout=None,
        write_interval=None,
        position=Position("", 0, 0),
        fingerprint="",
    )


class NotPlanned(PbxconfError):
    """The saved fleet plan holds no plan for this PBX (its planning failed)."""


def read_saved_fleet_plan(path: Path) -> SavedFleetPlan | None:
    """The saved fleet plan in `path`, or None if the file is not one."""
    try:
        handle = path.open("rb")
    except OSError:
        return None
    with handle:
        try:
            first = json.loads(handle.readline())
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        if not isinstance(first, dict) or first.get("format") == SAVED_FORMAT:
            return None  # a manifest, or one PBX's saved plan
        if first.get("format") != SAVED_FLEET_FORMAT:
            if "format" not in first:
                return None
            raise SavedPlanError(
                f"{path}: not a saved plan: its first line is of format "
                f"{str(first.get('format'))[:60]!r}; `pbxconf plan --out FILE` saves one"
            )
        if first.get("format_version") != SAVED_FLEET_VERSION:
            raise SavedPlanError(
                f"{path}: saved with fleet plan format {first.get('format_version')}; this "
                f"pbxconf reads format {SAVED_FLEET_VERSION}: plan again"
            )
        plan = SavedFleetPlan(path, first)
        number = 1
        while True:
            offset = handle.tell()
            line = handle.readline()
            if not line:
                break
            number += 1
            try:
                name = json.loads(line).get("name")
            except (ValueError, UnicodeDecodeError, AttributeError, RecursionError):
                name = None
            if not isinstance(name, str):
                raise SavedPlanError(f"{path}:{number}: a damaged line; plan again")
            if name in plan.offsets:
                raise SavedPlanError(f"{path}:{number}: a second line for {name}; plan again")
            check_changes(json.loads(line), f"{path}:{number}")
            plan.offsets[name] = offset
    check_complete(plan)
    return plan


def check_complete(plan: SavedFleetPlan) -> None:
    """The file has a line for each PBX its header lists, and for no other."""
    listed = plan.header.get("pbxes")
    if not isinstance(listed, list):
        raise SavedPlanError(f"{plan.path}: a damaged header (no list of PBXes); plan again")
    missing = [name for name in listed if name not in plan.offsets]
    if missing:
        raise SavedPlanError(
            f"{plan.path}: truncated: no line for {', '.join(map(str, missing))} of the "
            f"{len(listed)} PBX(es) it lists; plan again"
        )
    extra = [name for name in plan.offsets if name not in listed]
    if extra:
        raise SavedPlanError(
            f"{plan.path}: a line for {', '.join(extra)}, which its header does not list; "
            "plan again"
        )


def check_changes(data: dict[str, Any], where: str) -> None:
    """A PBX's saved changes are the ones its digest was made of: what was reviewed is
    what is applied (apply re-plans, and refuses a plan whose digest differs)."""
    saved = data.get("saved")
    if not isinstance(saved, dict):
        return  # a failed PBX's line; a damaged one is refused when its turn comes
    model = saved.get("plan")
    if not isinstance(model, dict):
        raise SavedPlanError(f"{where}: a damaged line (no plan); plan again")
    payload = {"changes": model.get("changes"), "calls": model.get("calls")}
    text = json.dumps(payload, sort_keys=True).encode("utf-8")
    if hashlib.sha256(text).hexdigest() != saved.get("changes_sha256"):
        raise SavedPlanError(
            f"{where}: the changes of {data.get('name')} differ from their digest (the file "
            "was edited or damaged); plan again"
        )
