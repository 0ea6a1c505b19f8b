"""Plan -> API calls, in order, then a re-read that proves the apply did what it undertook.

On a failed call the applier stops: what was done, what failed (the errno and its
meaning) and what was not run are reported, each by the objects it was for, and running
apply again finishes the job, because every plan starts from a fresh read of the PBX.

The check after the calls judges exactly what the apply undertook: the objects of its
changes. What was set aside (`--skip-unreachable`, a "cannot") is not the apply's to
finish. Objects the apply did not touch that changed meanwhile were changed by someone
else during this apply (there is no lock on the PBX side): they are named.

Saved plans (`plan --out FILE`, then `apply FILE`) are in saved_plan.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from pbxconf.api import PbxClient, PbxError, WriteOutcomeUnknown
from pbxconf.kinds import KINDS, ApiCall, Key
from pbxconf.live import read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Action, Change, Plan, PlanOptions, Step, fingerprint, make_plan
from pbxconf.state import State

# How often a lost answer to a write makes the applier re-read the PBX and go on.
MAX_RECOVERY_ROUNDS = 5


@dataclass
class StopFlag:
    """Set by SIGINT/SIGTERM: the call in flight finishes, nothing more is sent. A second
    signal sets `now`: the call in flight is abandoned (its outcome unknown)."""

    requested: str = ""
    now: bool = False


@dataclass
class ApplyResult:
    done: list[tuple[Step, ApiCall]] = field(default_factory=list)
    failed: tuple[Step, ApiCall, PbxError] | None = None
    # The call abandoned by a second signal: sent, its answer never awaited.
    abandoned: tuple[Step, ApiCall] | None = None
    not_run: list[tuple[Step, ApiCall]] = field(default_factory=list)
    interrupted: str = ""  # the signal's name, when one stopped the run
    # What the re-read still finds to do among the objects the apply undertook.
    remaining: Plan | None = None
    # Objects the apply did not touch that changed while it ran (someone else did).
    changed_by_others: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.failed is None
            and not self.interrupted
            and (self.remaining is None or not self.remaining.changes)
        )


# index, count, the step, its call, and "start" | "done" | "failed".
Progress = Callable[[int, int, Step, ApiCall, str], None]


def labels(step: Step) -> str:
    """The objects a step is for: `trunks[name=carrier]`, or a batch's."""
    names = [change.label for change in step.changes]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


async def run_steps(
    client: PbxClient, plan: Plan, progress: Progress | None = None, stop: StopFlag | None = None
) -> ApplyResult:
    """Send the plan's calls in order; stop at the first failure or when asked to."""
    result = ApplyResult()
    calls = [(step, call) for step in plan.steps for call in step.calls]
    for index, (step, call) in enumerate(calls, 1):
        if stop is not None and stop.requested:
            result.interrupted = stop.requested
            result.not_run = calls[index - 1 :]
            return result
        if progress:
            progress(index, len(calls), step, call, "start")
        try:
            await client.call(call.endpoint, call.body, write=True)
        except PbxError as err:
            result.failed = (step, call, err)
            result.not_run = calls[index:]
            if progress:
                progress(index, len(calls), step, call, "failed")
            return result
        except asyncio.CancelledError:
            if stop is None or not stop.now:
                raise
            # A second signal: the call is left in flight, and the summary still prints.
            result.interrupted = stop.requested
            result.abandoned = (step, call)
            result.not_run = calls[index:]
            return result
        result.done.append((step, call))
        if progress:
            progress(index, len(calls), step, call, "done")
    return result


async def verify(
    client: PbxClient, desired: Desired, options: PlanOptions, kinds: set[str] | None = None
) -> Plan:
    """Re-read (the given kinds, or all) and plan again: what is left to do."""
    live = await read_live(client, sorted(kinds) if kinds is not None else None)
    return make_plan(desired, live, options)


async def execute(
    client: PbxClient,
    plan: Plan,
    desired: Desired,
    options: PlanOptions,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    before: State | None = None,
) -> ApplyResult:
    """Apply an approved plan, recover from lost answers, then check what it undertook.

    A write whose answer was lost may or may not have landed, so it is never re-sent
    blindly: the applier re-reads the PBX and plans again. It goes on only while the new
    plan is part of the approved one (no surprise: the same manifests, a PBX that only
    moved toward them), a bounded number of times. `before` is the PBX as the plan read
    it: what changed since, outside the apply's own writes, is named.
    """
    approved = {(c.action, c.ident) for c in plan.changes}
    undertaken = undertaken_objects(plan.changes)
    touched = {c.kind for c in plan.changes}
    total = ApplyResult()
    for _ in range(MAX_RECOVERY_ROUNDS + 1):
        result = await run_steps(client, plan, progress, stop)
        total.done += result.done
        total.failed, total.not_run = result.failed, result.not_run
        total.interrupted, total.abandoned = result.interrupted, result.abandoned
        if result.failed is None or not isinstance(result.failed[2], WriteOutcomeUnknown):
            break
        total.notes.append(
            f"{result.failed[1].endpoint} for {labels(result.failed[0])}: the answer was lost; "
            "re-read the PBX to see whether it landed"
        )
        plan = make_plan(desired, await read_live(client), options)
        if plan.errors or not {(c.action, c.ident) for c in plan.changes} <= approved:
            total.notes.append("the PBX now needs changes that were not approved; stopped")
            break
        total.failed = None
    if total.failed is None and not total.interrupted:
        after = await read_live(client, sorted(touched))
        again = make_plan(desired, after, options)
        again.changes = [c for c in again.changes if c.ident in undertaken]
        total.remaining = again
        if before is not None:
            total.changed_by_others = changed_meanwhile(before, after, undertaken)
    return total


def undertaken_objects(changes: list[Change]) -> set[tuple[str, Key]]:
    """The objects an apply writes: each change's, under its new and its old identity."""
    out = set()
    for change in changes:
        if change.action != Action.CANNOT:
            out.add(change.ident)
            if change.old_key is not None:
                out.add((change.kind, change.old_key))
    return out


def changed_meanwhile(before: State, after: State, undertaken: set[tuple[str, Key]]) -> list[str]:
    """Objects of the kinds read again that the apply did not write, and that differ
    between the plan's read and the check's: someone else changed them."""
    found = []
    for kind in after.kinds:
        keys = set(before.objects[kind]) | set(after.objects[kind])
        for key in sorted(keys):
            if (kind, key) in undertaken:
                continue
            was, now = before.get(kind, key), after.get(kind, key)
            if fingerprint(was) != fingerprint(now):
                what = "added" if was is None else "deleted" if now is None else "changed"
                found.append(f"{KINDS[kind].label(key)} ({what})")
    return found


def describe_failure(result: ApplyResult) -> list[str]:
    lines = list(result.notes)
    if result.interrupted and result.abandoned is None:
        lines.append(
            f"Interrupted by {result.interrupted}: the call in flight was finished; "
            "nothing more was sent."
        )
    if result.abandoned is not None:
        step, call = result.abandoned
        lines.append(
            f"Stopped at once by a second {result.interrupted}: {call.endpoint} for "
            f"{labels(step)} was sent and its answer not awaited, so it may or may not have "
            "landed; `pbxconf plan` shows which."
        )
    lines.append(f"Done: {len(result.done)} call(s).")
    if result.failed is not None:
        step, call, err = result.failed
        lines.append(f"Failed: {call.endpoint} for {labels(step)}: {err.message}")
    if result.not_run or result.interrupted or result.failed is not None:
        lines.append(f"Not run: {len(result.not_run)} call(s)" + _objects(result.not_run))
    if result.failed is not None:
        lines.append(
            "Fix the cause and run apply again: it re-reads the PBX and does what is left."
        )
    elif result.interrupted:
        lines.append("Run apply again to finish.")
    return lines


def _objects(calls: list[tuple[Step, ApiCall]], most: int = 10) -> str:
    """`: extension/update for extensions[number=1000], ...` for the first few calls."""
    if not calls:
        return ""
    shown = [f"{call.endpoint} for {labels(step)}" for step, call in calls[:most]]
    return ": " + "; ".join(shown) + ("; ..." if len(calls) > most else "")
