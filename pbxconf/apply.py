"""Plan -> API calls, in order, then a re-read that proves nothing is left to do.

On a failed call the applier stops: what was done, what failed (the errno and its
meaning) and what was not run are reported, and running apply again finishes the job,
because every plan starts from a fresh read of the PBX.

Saved plans (`plan --out FILE`, then `apply FILE`) hold the masked changes, the
fingerprints of the live objects the plan depends on, the sha256 of each manifest file
and a slow salted digest of the secret values; never a secret itself. Apply re-reads the
PBX, re-plans from the same manifests, and refuses when anything differs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbxconf import __version__
from pbxconf.api import PbxClient, PbxError, WriteOutcomeUnknown
from pbxconf.kinds import KINDS, ApiCall
from pbxconf.kinds.base import declared
from pbxconf.live import read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, Step, fingerprint, make_plan
from pbxconf.render import plan_to_json_model

SAVED_FORMAT = "pbxconf-saved-plan"
SAVED_FORMAT_VERSION = 1
SECRET_ITERATIONS = 200_000


# How often a lost answer to a write makes the applier re-read the PBX and go on.
MAX_RECOVERY_ROUNDS = 5


@dataclass
class StopFlag:
    """Set by SIGINT/SIGTERM: the call in flight finishes, nothing more is sent."""

    requested: str = ""


@dataclass
class ApplyResult:
    done: list[tuple[Step, ApiCall]] = field(default_factory=list)
    failed: tuple[Step, ApiCall, PbxError] | None = None
    not_run: list[ApiCall] = field(default_factory=list)
    interrupted: str = ""  # the signal's name, when one stopped the run
    remaining: Plan | None = None  # what a re-read still finds to do (should be nothing)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.failed is None
            and not self.interrupted
            and (self.remaining is None or not self.remaining.changes)
        )


Progress = Callable[[int, int, ApiCall, str], None]


async def run_steps(
    client: PbxClient, plan: Plan, progress: Progress | None = None, stop: StopFlag | None = None
) -> ApplyResult:
    """Send the plan's calls in order; stop at the first failure or when asked to."""
    result = ApplyResult()
    calls = [(step, call) for step in plan.steps for call in step.calls]
    for index, (step, call) in enumerate(calls, 1):
        if stop is not None and stop.requested:
            result.interrupted = stop.requested
            result.not_run = [c for _, c in calls[index - 1 :]]
            return result
        if progress:
            progress(index, len(calls), call, "start")
        try:
            await client.call(call.endpoint, call.body, write=True)
        except PbxError as err:
            result.failed = (step, call, err)
            result.not_run = [c for _, c in calls[index:]]
            if progress:
                progress(index, len(calls), call, "failed")
            return result
        result.done.append((step, call))
        if progress:
            progress(index, len(calls), call, "done")
    return result


async def verify(
    client: PbxClient, desired: Desired, options: PlanOptions, kinds: set[str] | None = None
) -> Plan:
    """Re-read (the kinds the apply touched) and plan again: nothing may be left."""
    live = await read_live(client, sorted(kinds) if kinds is not None else None)
    return make_plan(desired, live, options)


async def execute(
    client: PbxClient,
    plan: Plan,
    desired: Desired,
    options: PlanOptions,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
) -> ApplyResult:
    """Apply an approved plan, recover from lost answers, then verify.

    A write whose answer was lost may or may not have landed, so it is never re-sent
    blindly: the applier re-reads the PBX and plans again. It goes on only while the new
    plan is part of the approved one (no surprise: the same manifests, a PBX that only
    moved toward them), a bounded number of times.
    """
    approved = {(c.action, c.ident) for c in plan.changes}
    touched = {c.kind for c in plan.changes}
    total = ApplyResult()
    for _ in range(MAX_RECOVERY_ROUNDS + 1):
        result = await run_steps(client, plan, progress, stop)
        total.done += result.done
        total.failed, total.not_run = result.failed, result.not_run
        total.interrupted = result.interrupted
        if result.failed is None or not isinstance(result.failed[2], WriteOutcomeUnknown):
            break
        total.notes.append(
            f"{result.failed[1].endpoint}: the answer was lost; re-read the PBX to see whether "
            "it landed"
        )
        plan = make_plan(desired, await read_live(client), options)
        if plan.errors or not {(c.action, c.ident) for c in plan.changes} <= approved:
            total.notes.append("the PBX now needs changes that were not approved; stopped")
            break
        total.failed = None
    if total.failed is None and not total.interrupted:
        total.remaining = await verify(client, desired, options, touched)
    return total


def describe_failure(result: ApplyResult) -> list[str]:
    lines = list(result.notes)
    if result.interrupted:
        lines.append(
            f"Interrupted by {result.interrupted}: the call in flight was finished; "
            "nothing more was sent."
        )
    lines.append(f"Done: {len(result.done)} call(s).")
    if result.interrupted:
        lines.append(f"Not run: {len(result.not_run)} call(s). Run apply again to finish.")
    if result.failed is not None:
        step, call, err = result.failed
        labels = ", ".join(c.label for c in step.changes)
        lines.append(f"Failed: {call.endpoint} for {labels}: {err.message}")
        lines.append(
            f"Not run: {len(result.not_run)} call(s)"
            + (": " + ", ".join(c.endpoint for c in result.not_run[:10]) if result.not_run else "")
            + ("..." if len(result.not_run) > 10 else "")
        )
        lines.append(
            "Fix the cause and run apply again: it re-reads the PBX and does what is left."
        )
    return lines


# ---- saved plans --------------------------------------------------------------------


class StalePlan(Exception):
    """A saved plan no longer matches the manifests, the secrets or the PBX."""


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


def _changes_digest(plan: Plan, target: str) -> str:
    model = plan_to_json_model(plan, target).model_dump(mode="json")
    payload = {"changes": model["changes"], "calls": model["calls"]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def saved_plan(
    plan: Plan, desired: Desired, paths: list[str], options: PlanOptions, target: str
) -> dict[str, Any]:
    salt = os.urandom(16)
    model = plan_to_json_model(plan, target).model_dump(mode="json")
    return {
        "format": SAVED_FORMAT,
        "format_version": SAVED_FORMAT_VERSION,
        "pbxconf_version": __version__,
        "target": target,
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
        "changes_sha256": _changes_digest(plan, target),
        "plan": model,
    }


def read_saved_plan(path: Path) -> dict[str, Any] | None:
    """The saved plan in `path`, or None if the file is not one (it is a manifest)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != SAVED_FORMAT:
        return None
    if data.get("format_version") != SAVED_FORMAT_VERSION:
        raise StalePlan(
            f"{path}: saved with plan format {data.get('format_version')}; "
            f"this pbxconf reads format {SAVED_FORMAT_VERSION}: plan again"
        )
    return data


def saved_options(saved: dict[str, Any]) -> PlanOptions:
    opts = saved.get("options", {})
    return PlanOptions(
        prune=bool(opts.get("prune")),
        force=bool(opts.get("force")),
        targets=[(kind, tuple(key)) for kind, key in opts.get("targets", [])],
        skip_unreachable=bool(opts.get("skip_unreachable")),
    )


def check_manifests_unchanged(saved: dict[str, Any], desired: Desired) -> None:
    changed = sorted(
        name
        for name in set(saved["manifests"]) | set(desired.files)
        if saved["manifests"].get(name) != desired.files.get(name)
    )
    if changed:
        raise StalePlan(
            "the manifests changed since the plan was saved: "
            + ", ".join(changed)
            + ". Plan again."
        )
    secrets = saved["secrets"]
    digest = secrets_digest(desired, bytes.fromhex(secrets["salt"]))
    if digest != secrets["pbkdf2_sha256"]:
        raise StalePlan(
            "a secret value (from the environment) differs from when the plan was "
            "saved. Set the same values, or plan again."
        )


def check_live_unchanged(saved: dict[str, Any], plan: Plan, live_state: Any, target: str) -> None:
    drifted = []
    for entry in saved["fingerprints"]:
        kind, key = entry["kind"], tuple(entry["key"])
        if fingerprint(live_state.get(kind, key)) != entry["sha256"]:
            drifted.append(KINDS[kind].label(key))
    if drifted:
        raise StalePlan(
            "the PBX changed since the plan was saved: " + ", ".join(drifted) + ". Plan again."
        )
    if _changes_digest(plan, target) != saved["changes_sha256"]:
        raise StalePlan(
            "planning again now gives a different plan (the PBX changed since the "
            "plan was saved). Plan again."
        )


async def replan_saved(
    client: PbxClient, saved: dict[str, Any], desired: Desired, target: str
) -> Plan:
    check_manifests_unchanged(saved, desired)
    live = await read_live(client)
    plan = make_plan(desired, live, saved_options(saved))
    check_live_unchanged(saved, plan, live, target)
    return plan
