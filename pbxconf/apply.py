"""Plan -> API calls, in order, then a re-read that proves nothing is left to do.

On a failed call the applier stops: what was done, what failed (the errno and its
meaning) and what was not run are reported, and running apply again finishes the job,
because every plan starts from a fresh read of the PBX.

Saved plans (`plan --out FILE`, then `apply FILE`) are in saved_plan.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pbxconf.api import PbxClient, PbxError, WriteOutcomeUnknown
from pbxconf.kinds import ApiCall
from pbxconf.live import read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, Step, make_plan

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
