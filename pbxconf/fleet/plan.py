"""`pbxconf plan` over a fleet: each PBX planned in parallel, its output spooled, then
every PBX's plan in the inventory's order and one summary table (PBX, changes, result),
in text, JSON or Markdown; and, with `--out`, one saved plan for the fleet."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbxconf.errors import PbxconfError
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.documents import FleetPbxPlan, entry_text
from pbxconf.fleet.identity import clashes, serial_of
from pbxconf.fleet.inventory import Member
from pbxconf.fleet.output import Echo, plan_summary, write_json, write_markdown, write_text
from pbxconf.fleet.runner import Outcome, Spool, run_each
from pbxconf.fleet.saved import failed_entry, header, saved_entry, write_lines
from pbxconf.fleet.sections import (
    counts,
    digest,
    failure_markdown,
    failure_text,
    json_summary,
    one_line,
    plan_markdown,
    problems,
    target_of,
)
from pbxconf.plan import Plan, PlanOptions
from pbxconf.render import render_text
from pbxconf.render.json_plan import plan_to_json_model
from pbxconf.session import plan_and_log_out


@dataclass
class PlanJob:
    """Plans one PBX: what `pbxconf plan` does for one, its output into the spool."""

    run: FleetRun
    options: PlanOptions
    fmt: str
    spool: Spool
    save: bool = False
    colour: bool = False
    # name -> the digest of its changes (an apply confirmed on a terminal checks it).
    digests: dict[str, str] = field(default_factory=dict)

    async def __call__(self, index: int, member: Member) -> Outcome:
        try:
            env = self.run.env_of(member)
            desired = self.run.desired(member, env)
            async with self.run.session(member, env) as pbx:
                # Which PBX this is: a saved plan names it (apply refuses it on any
                # other), and two entries that reach one PBX are both failed.
                device = await pbx.device_info()
                plan, _live = await plan_and_log_out(pbx, desired, self.options)
        except PbxconfError as err:
            return self.failed(index, member, err)
        if self.save:
            entry = saved_entry(member, plan, desired, self.options, device)
            self.spool.put("saved", index, json.dumps(entry, sort_keys=True))
        self.digests[member.name] = changes_digest(plan, member)
        outcome = self.planned(index, member, plan)
        outcome.serial = serial_of(device)
        return outcome

    def planned(self, index: int, member: Member, plan: Plan) -> Outcome:
        result = "failed" if plan.errors else "changes" if plan.differs else "no-changes"
        message = "the plan has errors; nothing can be applied" if plan.errors else ""
        group = ""
        if self.fmt == "text":
            self.spool.put("text", index, render_text(plan, target_of(member), self.colour))
        elif self.fmt == "json":
            entry = FleetPbxPlan(
                **_identity(member),
                result=result,  # type: ignore[arg-type]
                message=message,
                problems=[],
                summary=json_summary(plan),
                plan=plan_to_json_model(plan, target_of(member)),
            )
            self.spool.put("json", index, entry_text(entry))
        else:
            full, short = plan_markdown(plan)
            group = digest(full)
            self.spool.put("markdown", index, "\n".join(full))
            self.spool.put("markdown-short", index, "\n".join(short))
        return Outcome(member.name, result, counts(plan), message, group=group)

    def refuse_same_pbx(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Entries that reach one PBX fail, each naming the others: their plans are
        replaced by the failure, in the output and in a saved plan."""
        clashing = clashes([m.name for m in self.run.members], outcomes)
        for index, err in clashing.items():
            member = self.run.members[index]
            outcomes[index] = self.failed(index, member, err)
            self.digests.pop(member.name, None)
            if self.save:
                entry = failed_entry(member.name, one_line(err))
                self.spool.put("saved", index, json.dumps(entry, sort_keys=True))
        return outcomes

    def failed(self, index: int, member: Member, err: PbxconfError) -> Outcome:
        group = ""
        if self.fmt == "text":
            self.spool.put("text", index, failure_text("plan", member, err))
        elif self.fmt == "json":
            entry = FleetPbxPlan(
                **_identity(member),
                result="failed",
                message=one_line(err),
                problems=problems(err),
                summary=None,
                plan=None,
            )
            self.spool.put("json", index, entry_text(entry))
        else:
            lines = failure_markdown(err)
            group = digest(lines)
            self.spool.put("markdown", index, "\n".join(lines))
        return Outcome(member.name, "failed", message=one_line(err), group=group)


def _identity(member: Member) -> dict[str, Any]:
    return {"name": member.name, "url": member.url, "labels": member.labels}


def changes_digest(plan: Plan, member: Member) -> str:
    from pbxconf.saved_plan import changes_digest as digest_of

    return digest_of(plan, member.url)


async def plan_fleet(job: PlanJob, progress: Any = None) -> list[Outcome]:
    found = await run_each(job.run.members, job, job.run.parallel, done=progress)
    return job.refuse_same_pbx([found[i] for i in range(len(job.run.members))])


def write_plan_output(
    echo: Echo,
    spool: Spool,
    run: FleetRun,
    outcomes: list[Outcome],
    fmt: str,
    out: Path | None,
) -> None:
    """Every PBX's plan and the table (text, JSON or Markdown), and the saved plan."""
    if fmt == "text":
        write_text(echo, spool, run, outcomes, "plan")
    elif fmt == "json":
        write_json(echo, spool, run, outcomes, "plan", {"summary": plan_summary(run, outcomes)})
    else:
        write_markdown(echo, spool, run, outcomes)
    if out is not None:
        write_lines(out, _saved_lines(run, spool, outcomes))


def _saved_lines(run: FleetRun, spool: Spool, outcomes: list[Outcome]) -> Iterator[str]:
    names = [member.name for member in run.members]
    yield json.dumps(header(run.inventory.path, run.selection.describe(), names), sort_keys=True)
    for index, (member, outcome) in enumerate(zip(run.members, outcomes, strict=True)):
        text = spool.get("saved", index)
        if text is not None:
            yield text
        else:
            yield json.dumps(failed_entry(member.name, outcome.message), sort_keys=True)


def progress_lines(note: Echo, total: int) -> Callable[[int, Outcome], None]:
    """One line on stderr as each PBX is done, `[k/N]`: a long run shows that it moves.
    A PBX a rollout defers is not done yet: its line comes when it is."""
    finished = 0

    def done(index: int, outcome: Outcome) -> None:
        nonlocal finished
        if outcome.deferred:
            return
        finished += 1
        note(progress_line(finished, total, outcome))

    return done


def progress_line(finished: int, total: int, outcome: Outcome) -> str:
    said = f": {outcome.message}" if outcome.message else ""
    return f"[{finished}/{total}] {outcome.name}: {outcome.result}{said}\n"
