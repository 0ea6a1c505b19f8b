"""Saved plans: `plan --out FILE`, then `apply FILE`.

A saved plan holds the masked changes, the fingerprints of the live objects the plan
depends on, the sha256 of each manifest file and a slow salted digest of the secret
values; never a secret itself. Apply re-reads the PBX, re-plans from the same manifests,
and refuses when anything differs (session.replan_saved). The file is read through a
model, so a damaged or hand-edited one is refused with the place that is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)

from pbxconf import __version__
from pbxconf.errors import PbxconfError
from pbxconf.kinds import KINDS
from pbxconf.kinds.base import declared
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, fingerprint
from pbxconf.render.json_plan import plan_to_json_model

SAVED_FORMAT = "pbxconf-saved-plan"
# 2: the PBX the plan is for (its serial number and URL) is part of it.
SAVED_FORMAT_VERSION = 2
SECRET_ITERATIONS = 200_000


class SavedPlanError(PbxconfError):
    """A saved plan that cannot be applied."""


class StalePlan(SavedPlanError):
    """A saved plan no longer matches the manifests, the secrets or the PBX."""

    @property
    def summary(self) -> str:
        return f"stale plan: {self}"


def _known_kind(name: str) -> str:
    if name not in KINDS:
        raise ValueError(f"unknown kind {name!r}")
    return name


class _Strict(BaseModel):
    # Newer pbxconf versions may add fields; what this one needs must be right, and is
    # not coerced (`prune: "yes"` is damage, not a yes). JSON has no tuples: a target is
    # read from a list.
    model_config = ConfigDict(extra="ignore")


Target = tuple[StrictStr, list[StrictStr]]


class SavedOptions(_Strict):
    prune: StrictBool = False
    force: StrictBool = False
    targets: list[Target] = []
    skip_unreachable: StrictBool = False

    @field_validator("targets")
    @classmethod
    def _target_kinds(cls, targets: list[Target]) -> list[Target]:
        for kind, _key in targets:
            _known_kind(kind)
        return targets


class SavedFingerprint(_Strict):
    kind: StrictStr
    key: list[StrictStr]
    sha256: StrictStr

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str) -> str:
        return _known_kind(kind)


class SavedSecrets(_Strict):
    salt: StrictStr = Field(pattern=r"^([0-9a-f]{2})+$")
    pbkdf2_sha256: StrictStr


class SavedPbx(_Strict):
    """The PBX the plan was made against: its serial number and where it was reached."""

    sn: StrictStr
    devicename: StrictStr = ""
    url: StrictStr


class SavedPlan(_Strict):
    """What apply reads of a saved plan file (`plan` itself is for people and tools)."""

    target: StrictStr
    pbx: SavedPbx
    paths: list[StrictStr] = Field(min_length=1)
    options: SavedOptions
    manifests: dict[StrictStr, StrictStr]
    fingerprints: list[SavedFingerprint]
    secrets: SavedSecrets
    changes_sha256: StrictStr


def secret_values(desired: Desired) -> list[tuple[str, str, Any]]:
    values = []
    for kind_name, key, obj in desired.state.items():
        kind = KINDS[kind_name]
        for name, value in declared(obj).items():
            if name in kind.sensitive:
                values.append((kind.label(key), name, value))
    return sorted(values, key=lambda item: (item[0], item[1]))


def secrets_digest(desired: Desired, salt: bytes) -> str:
    text = json.dumps(secret_values(desired), sort_keys=True, default=str).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", text, salt, SECRET_ITERATIONS).hex()


def changes_digest(plan: Plan, target: str) -> str:
    """The sha256 of a plan's changes and calls (masked): the same plan, the same digest."""
    model = plan_to_json_model(plan, target).model_dump(mode="json")
    payload = {"changes": model["changes"], "calls": model["calls"]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def saved_plan(
    plan: Plan,
    desired: Desired,
    paths: list[str],
    options: PlanOptions,
    target: str,
    device: dict[str, Any],
) -> dict[str, Any]:
    salt = os.urandom(16)
    model = plan_to_json_model(plan, target).model_dump(mode="json")
    return {
        "format": SAVED_FORMAT,
        "format_version": SAVED_FORMAT_VERSION,
        "pbxconf_version": __version__,
        "target": target,
        "pbx": {
            "sn": str(device.get("sn", "")),
            "devicename": str(device.get("devicename", "")),
            "url": target,
        },
        "paths": paths,
        "options": {
            "prune": options.prune,
            "force": options.force,
            "targets": [[kind, list(key)] for kind, key in options.targets],
            "skip_unreachable": options.skip_unreachable,
        },
        "manifests": desired.files,
        "fingerprints": [
            {"kind": kind, "key": list(key), "sha256": digest}
            for (kind, key), digest in sorted(plan.fingerprints.items())
        ],
        "secrets": {
            "salt": salt.hex(),
            "iterations": SECRET_ITERATIONS,
            "pbkdf2_sha256": secrets_digest(desired, salt),
        },
        "changes_sha256": changes_digest(plan, target),
        "plan": model,
    }


def read_saved_plan(path: Path) -> SavedPlan | None:
    """The saved plan in `path`, or None if the file is not one (it is a manifest).
    Raises SavedPlanError for a saved plan that is damaged or of another format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != SAVED_FORMAT:
        return None
    return parse_saved_plan(data, str(path))


def parse_saved_plan(data: dict[str, Any], where: str) -> SavedPlan:
    """A saved plan's data (a file's, or one PBX's in a fleet's saved plan, `where`).
    Raises SavedPlanError for one that is damaged or of another format."""
    if data.get("format_version") != SAVED_FORMAT_VERSION:
        raise SavedPlanError(
            f"{where}: saved with plan format {data.get('format_version')}; "
            f"this pbxconf reads format {SAVED_FORMAT_VERSION}: plan again"
        )
    try:
        return SavedPlan.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        at = ".".join(str(part) for part in first["loc"]) or "the file"
        raise SavedPlanError(
            f"{where}: a damaged saved plan ({at}: {first['msg']}); plan again"
        ) from None


def saved_options(saved: SavedPlan) -> PlanOptions:
    opts = saved.options
    return PlanOptions(
        prune=opts.prune,
        force=opts.force,
        targets=[(kind, tuple(key)) for kind, key in opts.targets],
        skip_unreachable=opts.skip_unreachable,
    )


def check_same_pbx(saved: SavedPlan, device: dict[str, Any], target: str) -> None:
    """A saved plan applies to the PBX it was made against, never to another one with the
    same content: its serial number and its URL must both be the plan's."""
    sn = str(device.get("sn", ""))
    if sn != saved.pbx.sn or target != saved.pbx.url:
        raise StalePlan(
            f"a different PBX: the plan was made against {saved.pbx.devicename or 'the PBX'} "
            f"SN {saved.pbx.sn} at {saved.pbx.url}; this is {device.get('devicename', 'a PBX')} "
            f"SN {sn} at {target}. Plan against this PBX."
        )


def check_manifests_unchanged(saved: SavedPlan, desired: Desired) -> None:
    changed = sorted(
        name
        for name in set(saved.manifests) | set(desired.files)
        if saved.manifests.get(name) != desired.files.get(name)
    )
    if changed:
        raise StalePlan(
            "the manifests changed since the plan was saved: "
            + ", ".join(changed)
            + ". Plan again."
        )
    digest = secrets_digest(desired, bytes.fromhex(saved.secrets.salt))
    if digest != saved.secrets.pbkdf2_sha256:
        raise StalePlan(
            "a secret value (from the environment) differs from when the plan was "
            "saved. Set the same values, or plan again."
        )


def check_live_unchanged(saved: SavedPlan, plan: Plan, live_state: Any, target: str) -> None:
    drifted = []
    for entry in saved.fingerprints:
        key = tuple(entry.key)
        if fingerprint(live_state.get(entry.kind, key)) != entry.sha256:
            drifted.append(KINDS[entry.kind].label(key))
    if drifted:
        raise StalePlan(
            "the PBX changed since the plan was saved: " + ", ".join(drifted) + ". Plan again."
        )
    if changes_digest(plan, target) != saved.changes_sha256:
        raise StalePlan(
            "planning again now gives a different plan (the PBX changed since the "
            "plan was saved). Plan again."
        )
