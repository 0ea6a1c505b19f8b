"""`pbxconf apply` over a fleet: each PBX planned and applied as `pbxconf apply` does one
(apply, recovery from lost answers, the check after), in parallel, within a rollout
(rollout.py): canaries first, a stop after too many failures. Or a saved fleet plan,
each PBX's plan checked against its PBX before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pbxconf.apply import ApplyResult, StopFlag, describe_failure, execute
from pbxconf.errors import PbxconfError
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.documents import FleetPbxApply, entry_text
from pbxconf.fleet.identity import identify
from pbxconf.fleet.inventory import Member
from pbxconf.fleet.output import Echo, tally, write_json, write_text
from pbxconf.fleet.rollout import Rollout
from pbxconf.fleet.runner import Outcome, Spool, run_each
from pbxconf.fleet.saved import NotPlanned, SavedFleetPlan
from pbxconf.fleet.sections import counts, failure_text, json_summary, one_line, problems, target_of
from pbxconf.live import read_live
from pbxconf.plan import Plan, PlanOptions, make_plan
from pbxconf.render import render_calls, render_text
from pbxconf.render.json_apply import apply_to_json
from pbxconf.saved_plan import StalePlan, changes_digest, saved_options
from pbxconf.session import replan_saved


class Refused(PbxconfError):
    """A PBX's plan differs from the one that was confirmed."""


@dataclass
class ApplyJob:
    """Plans and applies one PBX; its section into the spool."""

    run: FleetRun
    options: PlanOptions
    fmt: str
    spool: Spool
    rollout: Rollout
    stop: StopFlag
    dry_run: bool = False
    saved: SavedFleetPlan | None = None
    # name -> the digest of the plan confirmed on a terminal: apply only that plan.
    approved: dict[str, str] | None = None

    async def __call__(self, index: int, member: Member) -> Outcome:
        try:
            outcome = await self._apply(index, member)
        finally:
            await self.rollout.pass_turn(index)
        if outcome.result != "deferred":
            self.rollout.finished(outcome)
        return outcome

    async def _apply(self, index: int, member: Member) -> Outcome:
        options = self.options
        try:
            saved = self.saved.plan_of(member) if self.saved is not None else None
            if saved is not None:
                options = saved_options(saved)
            env = self.run.env_of(member)
            desired = self.run.desired(member, env)
            async with self.run.session(member, env) as pbx:
                if saved is not None:
                    plan, before = await replan_saved(pbx, saved, desired, member.url)
                else:
                    before = await read_live(pbx)
                    plan = make_plan(desired, before, options)
                confirmed = self.approved.get(member.name) if self.approved is not None else None
                if self.approved is not None and changes_digest(plan, member.url) != confirmed:
                    raise Refused(
                        "its plan changed since you confirmed it (the PBX or the manifests "
                        "changed meanwhile); nothing was changed. Plan again."
                    )
                if plan.errors:
                    return self.ended(index, member, plan, "failed", "the plan has errors")
                if not plan.has_changes:
                    return self.ended(index, member, plan, "nothing-to-do")
                if self.dry_run:
                    return self.ended(index, member, plan, "dry-run")
                decision = await self.rollout.claim(index, member.name)
                if decision == "defer":
                    return Outcome(member.name, "deferred", counts(plan))
                if decision == "stop" or self.stop.requested:
                    why = self.rollout.stopped or f"interrupted by {self.stop.requested}"
                    return self.ended(index, member, plan, "not-run", why)
                result = await execute(pbx, plan, desired, options, None, self.stop, before)
        except (StalePlan, Refused) as err:
            return self.failed(index, member, err, "refused")
        except NotPlanned as err:
            return self.failed(index, member, err, "not-run")
        except PbxconfError as err:
            return self.failed(index, member, err, "failed")
        return self.applied(index, member, plan, result, canary=decision == "canary")

    def applied(
        self, index: int, member: Member, plan: Plan, result: ApplyResult, canary: bool
    ) -> Outcome:
        lines = describe_failure(result) if not result.ok else []
        lines += result.notes if result.ok else []
        if result.changed_by_others:
            lines.append(
                "Changed by someone else during this apply (not by its writes): "
                + ", ".join(result.changed_by_others)
            )
        if result.failed is not None or result.interrupted:
            outcome, message = "failed", _failure(result)
        elif result.remaining is not None and result.remaining.changes:
            outcome, message = "failed", "after applying, the PBX still differs"
            lines.append("After applying, the PBX still differs from the manifests:")
            lines.append(render_text(result.remaining, target_of(member)).rstrip("\n"))
        else:
            outcome, message = "applied", ""
            lines.append(f"Apply complete: {len(result.done)} call(s); the PBX matches.")
        return self.ended(
            index, member, plan, outcome, message, result, lines, canary, len(result.done)
        )

    def ended(
        self,
        index: int,
        member: Member,
        plan: Plan,
        outcome: str,
        message: str = "",
        result: ApplyResult | None = None,
        lines: list[str] | None = None,
        canary: bool = False,
        calls: int = 0,
    ) -> Outcome:
        target = target_of(member)
        if self.fmt == "text":
            text = render_text(plan, target)
            said = list(lines or [])
            if outcome == "dry-run":
                said += ["Dry run: these calls would be sent (nothing was changed):"]
                said += [render_calls(plan.calls).rstrip("\n")]
            elif outcome == "nothing-to-do":
                said.append("Nothing to do.")
            elif outcome == "not-run":
                said.append(f"Not applied: {message}.")
            elif outcome == "failed" and result is None:
                said.append(f"Not applied: {message}; nothing was changed.")
            self.spool.put("text", index, text + "".join(f"{line}\n" for line in said))
        else:
            # apply --format json's own words for how one PBX's apply ended.
            word = "declined" if outcome == "not-run" else outcome
            if outcome == "failed" and result is None:
                word = "refused"  # the plan has errors: nothing was tried
            entry = FleetPbxApply(
                name=member.name,
                url=member.url,
                labels=member.labels,
                result=outcome,  # type: ignore[arg-type]
                message=message,
                problems=[],
                summary=json_summary(plan),
                canary=canary,
                apply=apply_to_json(plan, target, word, result),
            )
            self.spool.put("json", index, entry_text(entry))
        return Outcome(member.name, outcome, counts(plan), message, canary, calls)

    def failed(self, index: int, member: Member, err: PbxconfError, outcome: str) -> Outcome:
        if self.fmt == "text":
            self.spool.put("text", index, failure_text("apply", member, err))
        else:
            entry = FleetPbxApply(
                name=member.name,
                url=member.url,
                labels=member.labels,
                result=outcome,  # type: ignore[arg-type]
                message=one_line(err),
                problems=problems(err),
                summary=None,
                canary=False,
                apply=None,
            )
            self.spool.put("json", index, entry_text(entry))
        return Outcome(member.name, outcome, message=one_line(err))

    def not_run(
        self, index: int, member: Member, why: str, planned: dict[str, int] | None = None
    ) -> Outcome:
        """A PBX the rollout never started, or never applied (`planned`: its plan's
        counts, when the canary phase planned it)."""
        if self.fmt == "text":
            self.spool.put(
                "text", index, f"pbxconf apply for {target_of(member)}\n\n  Not run: {why}.\n"
            )
        else:
            entry = FleetPbxApply(
                name=member.name,
                url=member.url,
                labels=member.labels,
                result="not-run",
                message=why,
                problems=[],
                summary=None,
                canary=False,
                apply=None,
            )
            self.spool.put("json", index, entry_text(entry))
        return Outcome(member.name, "not-run", planned or {}, message=why)


def _failure(result: ApplyResult) -> str:
    if result.interrupted:
        return f"interrupted by {result.interrupted}"
    assert result.failed is not None
    _step, call, err = result.failed
    return f"{call.endpoint}: {err.message}"


async def run_apply(job: ApplyJob, progress: Callable[[int, Outcome], None]) -> list[Outcome]:
    """Apply every PBX of the run: the canaries first when asked, then the rest; what
    was never started is said to be, with why. Every PBX is asked who it is first: one
    that cannot be, or that another entry reaches too, fails before anything is written
    to any."""
    run, rollout, stop = job.run, job.rollout, job.stop

    def canary_phase_over() -> object:
        return stop.requested or rollout.stopped or rollout.canaries_chosen()

    def rollout_over() -> object:
        return stop.requested or rollout.stopped

    found = await refuse_unidentified(job, progress)
    usable = [i for i in range(len(run.members)) if i not in found]
    found.update(
        await run_each(
            run.members,
            job,
            run.parallel,
            indexes=usable,
            stopped=canary_phase_over if rollout.in_canary_phase else rollout_over,
            done=progress,
        )
    )
    if rollout.in_canary_phase and not (stop.requested or rollout.stopped):
        rollout.start_rollout()
        rest = [i for i in usable if i not in found or found[i].deferred]
        found.update(
            await run_each(
                run.members, job, run.parallel, indexes=rest, stopped=rollout_over, done=progress
            )
        )
    why = rollout.stopped or (f"interrupted by {stop.requested}" if stop.requested else "")
    outcomes = []
    for index, member in enumerate(run.members):
        outcome = found.get(index)
        if outcome is None or outcome.deferred:
            planned = outcome.counts if outcome is not None else None
            outcome = job.not_run(index, member, why or "not started", planned)
            progress(index, outcome)
        outcomes.append(outcome)
    return outcomes


async def refuse_unidentified(
    job: ApplyJob, progress: Callable[[int, Outcome], None]
) -> dict[int, Outcome]:
    """The PBXes that cannot be applied because of who they are (see identity.py), each
    failed and counted by the rollout (a canary is chosen among the others)."""
    # One the inventory no longer names (a saved plan's) has nothing to ask: its apply
    # refuses it by name.
    indexes = [i for i, member in enumerate(job.run.members) if member.url]
    refused = {}
    for index, err in sorted((await identify(job.run, indexes)).items()):
        member = job.run.members[index]
        refused[index] = job.failed(index, member, err, "failed")
        job.rollout.finished(refused[index])
        await job.rollout.pass_turn(index)
        progress(index, refused[index])
    return refused


def write_apply_output(echo: Echo, job: ApplyJob, outcomes: list[Outcome]) -> None:
    chosen = job.run
    if job.fmt == "text":
        write_text(echo, job.spool, chosen, outcomes, "apply")
        if job.rollout.canary:
            failed = bool(outcomes) and all(o.failed for o in outcomes)
            why = "every PBX failed or was refused" if failed else "no PBX had changes"
            names = ", ".join(job.rollout.canaries) or f"none ({why})"
            echo(f"Canaries: {names}.\n")
        if job.rollout.stopped:
            echo(f"Rollout stopped: {job.rollout.stopped}.\n")
        return
    counted = tally(outcomes)
    tail: dict[str, object] = {
        "rollout": {"canaries": job.rollout.canaries, "stopped": job.rollout.stopped},
        "summary": {
            "pbxes": len(chosen.members),
            "selected": chosen.selected,
            "applied": counted.get("applied", 0),
            "nothing_to_do": counted.get("nothing-to-do", 0),
            "failed": counted.get("failed", 0) + counted.get("refused", 0),
            "not_run": counted.get("not-run", 0),
        },
    }
    write_json(echo, job.spool, chosen, outcomes, "apply", tail)
