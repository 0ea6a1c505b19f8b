"""plan, apply, export, info and validate over a fleet (`--pbx`, `--select`, `--all`):
what each command does with its options when they select PBXes of the inventory. The
work is pbxconf.fleet's; this maps it to output and exits.

Exit codes over a fleet: 1 if any PBX failed (or was refused); otherwise, for `plan
--detailed-exitcode`, 2 if any PBX has changes, else 0. An apply stopped by a signal
exits 130 or 143, as for one PBX.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from pbxconf.cli import run_main
from pbxconf.cli.fleet_options import FleetArgs, build_run
from pbxconf.cli.options import Manifests
from pbxconf.cli.output import OUTPUT
from pbxconf.connect import Connection
from pbxconf.errors import PbxconfError, UsageError
from pbxconf.files import cannot_make_folder, cannot_write
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.runner import Outcome
from pbxconf.plan import PlanOptions


class FleetFailed(PbxconfError):
    """Some PBXes of the fleet failed; the others went on (the table says which)."""


def echo(text: str) -> None:
    click.echo(text, nl=False)


def note(text: str) -> None:
    if not OUTPUT.quiet:
        click.echo(text, err=True, nl=False)


def on_terminal() -> bool:
    """Asking needs a person at the keyboard: stdin."""
    return sys.stdin.isatty()


def no_pbx(run: FleetRun) -> bool:
    """A shard may hold none of the selected PBXes (more CI jobs than PBXes): said, and
    not an error."""
    if run.members:
        return False
    note(f"No PBX in shard {run.selection.shard} (of the {run.selected} selected).\n")
    return True


def failed_names(outcomes: Sequence[Outcome]) -> list[str]:
    return [o.name for o in outcomes if o.failed]


def finish(outcomes: Sequence[Outcome], verb: str, detailed: bool = False) -> None:
    """The exit code sums the fleet up."""
    failed = failed_names(outcomes)
    if failed:
        shown = ", ".join(failed[:10]) + (
            f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        )
        raise FleetFailed(f"{len(failed)} of {len(outcomes)} PBX(es) failed to {verb}: {shown}")
    if detailed and any(o.differs for o in outcomes):
        sys.exit(2)


def plan_over_fleet(
    fleet: FleetArgs,
    manifests: Manifests,
    conn: Connection,
    options: PlanOptions,
    fmt: str,
    detailed: bool,
    out: Path | None,
) -> None:
    from pbxconf.fleet.plan import PlanJob, plan_fleet, progress_lines, write_plan_output
    from pbxconf.fleet.runner import Spool

    if manifests.paths:
        raise UsageError("give manifest PATHS or --pbx, --select or --all, not both")
    if out is not None and (reason := cannot_write(out)):
        raise UsageError(f"--out {out}: cannot save the plan there: {reason}")
    run = build_run(
        fleet,
        timeout=conn.timeout,
        write_interval=conn.write_interval,
        secrets_file=manifests.secrets_file,
        secrets_command=manifests.secrets_command,
        missing_secrets=manifests.missing_secrets,
    )
    if no_pbx(run):
        return
    save, colour = out is not None, OUTPUT.colour()
    with Spool() as spool:
        if fleet.processes > 1:
            from pbxconf.fleet.processes import plan_in_processes

            outcomes = plan_in_processes(
                run, options, fmt, spool, processes=fleet.processes, save=save, colour=colour,
                note=note,
            )  # fmt: skip
        else:
            job = PlanJob(run, options, fmt, spool, save=save, colour=colour)
            outcomes = run_main(plan_fleet(job, progress_lines(note, len(run.members))))
        write_plan_output(echo, spool, run, outcomes, fmt, out)
    if out is not None:
        note(f"Saved the fleet's plan to {out}; run `pbxconf apply {out}` to apply it.\n")
    finish(outcomes, "plan", detailed)


def apply_over_fleet(
    fleet: FleetArgs,
    manifests: Manifests,
    conn: Connection,
    options: PlanOptions,
    *,
    auto_approve: bool,
    dry_run: bool,
    fmt: str,
    canary: int,
    max_failures: int,
) -> None:
    """`apply --all` (or --pbx, --select), or `apply FLEET-PLAN` (a saved fleet plan)."""
    from pbxconf.apply import StopFlag
    from pbxconf.fleet.apply import ApplyJob, run_apply, write_apply_output
    from pbxconf.fleet.plan import progress_lines
    from pbxconf.fleet.rollout import Rollout
    from pbxconf.fleet.runner import Spool
    from pbxconf.fleet.saved import read_saved_fleet_plan

    saved = None
    if len(manifests.paths) == 1 and manifests.paths[0].is_file():
        saved = read_saved_fleet_plan(manifests.paths[0])
    if saved is None and manifests.paths:
        raise UsageError("give manifest PATHS or --pbx, --select or --all, not both")
    if saved is not None and (
        options.prune or options.force or options.targets or options.skip_unreachable
    ):
        raise UsageError("a saved plan carries its own --prune/--force/--target/--skip-unreachable")
    if not (auto_approve or dry_run or on_terminal()):
        raise UsageError(
            "not on a terminal, so nobody can confirm: review `pbxconf plan`, then run apply "
            "with --auto-approve"
        )
    run = build_run(
        fleet if fleet.selected else _everything(fleet),
        timeout=conn.timeout,
        write_interval=conn.write_interval,
        secrets_file=manifests.secrets_file,
        secrets_command=manifests.secrets_command,
        missing_secrets=manifests.missing_secrets,
    )
    if saved is not None:
        run = _saved_members(run, saved.names, fleet.selected)
    if no_pbx(run):
        return
    approved = None
    if not (auto_approve or dry_run):
        approved = _confirm(run, options, fmt, saved)
        if approved is not None:
            wanted = [m for m in run.members if m.name in approved]
            run = dataclasses.replace(run, members=wanted)
    stop = StopFlag()
    rollout = Rollout(canary=canary, max_failures=max_failures)
    with Spool() as spool:
        job = ApplyJob(run, options, fmt, spool, rollout, stop, dry_run, saved, approved)
        outcomes = run_main(_with_signals(job, run_apply, progress_lines(note, len(run.members))))
        write_apply_output(echo, job, outcomes)
    if stop.requested:
        sys.exit(130 if stop.requested == "SIGINT" else 143)
    finish(outcomes, "apply")


def _everything(fleet: FleetArgs) -> FleetArgs:
    """A saved fleet plan names its PBXes: without a selection, all of them."""
    from pbxconf.fleet.selection import Selection

    return dataclasses.replace(fleet, selection=Selection(everything=True))


def _saved_members(run: FleetRun, names: list[str], selected: bool) -> FleetRun:
    """The PBXes of a saved fleet plan (those the selection chose, when one was given), in
    the plan's order; one the inventory no longer names is kept, to be refused by name."""
    from pbxconf.fleet.saved import absent_member

    chosen = {m.name for m in run.members}
    members = [
        run.inventory.by_name.get(name) or absent_member(name)
        for name in names
        if not selected or name in chosen or name not in run.inventory.by_name
    ]
    return dataclasses.replace(run, members=members, selected=len(members))


async def _with_signals(job: Any, runner: Any, progress: Any) -> list[Outcome]:
    """SIGINT/SIGTERM: every PBX's call in flight finishes, nothing more is sent, and no
    further PBX is started."""
    import asyncio

    from pbxconf.cli.progress import stop_on_signals

    task = asyncio.ensure_future(runner(job, progress))
    with stop_on_signals(job.stop, task):
        return await task  # type: ignore[no-any-return]


def _confirm(run: FleetRun, options: PlanOptions, fmt: str, saved: Any) -> dict[str, str] | None:
    """On a terminal: show what would be applied and ask once for the fleet. Returns the
    digests of the plans confirmed (each PBX's apply refuses a plan that differs from
    its own), or None for a saved plan (which is checked against its PBXes anyway).
    Exits when there is nothing to do, or the answer is no."""
    from pbxconf.fleet.output import write_text
    from pbxconf.fleet.plan import PlanJob, plan_fleet, progress_lines
    from pbxconf.fleet.runner import Spool

    say = echo if fmt == "text" else note  # JSON: stdout is for the one document
    if saved is not None:
        for member in run.members:
            summary = saved.summary_of(member.name) if member.fingerprint else {}
            said = ", ".join(f"{n} to {a}" for a, n in summary.items() if isinstance(n, int) and n)
            say(f"{member.name}: {said or 'no changes'}\n")
        _ask(f"Apply the saved plan to {len(run.members)} PBX(es)?", fmt, say)
        return None
    with Spool() as spool:
        job = PlanJob(run, options, "text", spool, colour=OUTPUT.colour())
        outcomes = run_main(plan_fleet(job, progress_lines(note, len(run.members))))
        write_text(say, spool, run, outcomes, "plan")
    changed = [o.name for o in outcomes if o.differs and not o.failed]
    if not changed:
        say("Nothing to do.\n")
        finish(outcomes, "plan")
        sys.exit(0)
    _ask(f"Apply the changes to {len(changed)} PBX(es)?", fmt, say)
    return {name: job.digests[name] for name in changed}


def _ask(question: str, fmt: str, say: Any) -> None:
    if not click.confirm(question, err=fmt != "text"):
        say("Nothing was changed.\n")
        sys.exit(1)


def export_over_fleet(
    fleet: FleetArgs,
    conn: Connection,
    *,
    output: Path | None,
    split: bool,
    kinds: list[str],
    secrets: str,
) -> None:
    """`export --all -o DIR`: DIR/NAME for each PBX."""
    from pbxconf.fleet.export import ExportJob, run_export, write_export_report
    from pbxconf.fleet.runner import Spool

    if output is None:
        raise UsageError("with a fleet, export needs --output DIRECTORY (one directory per PBX)")
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file; a fleet's export writes a directory")
    run = build_run(fleet, timeout=conn.timeout)
    # Made before any PBX is read: no fleet's export is made and then lost to a bad path.
    if run.members and (reason := cannot_make_folder(output)):
        raise UsageError(f"--output {output}: cannot write the export there: {reason}")
    if no_pbx(run):
        return
    with Spool() as spool:
        job = ExportJob(run, spool, output, split, kinds, secrets)
        outcomes = run_main(run_export(job))
        write_export_report(echo, note, job, outcomes)
    finish(outcomes, "export")


def info_over_fleet(fleet: FleetArgs, conn: Connection, as_json: bool) -> None:
    from pbxconf.fleet.info import run_info, write_info
    from pbxconf.fleet.runner import Spool

    run = build_run(fleet, timeout=conn.timeout)
    if no_pbx(run):
        return
    with Spool() as spool:
        outcomes = run_main(run_info(run, spool))
        write_info(echo, spool, run, as_json)
    finish(outcomes, "answer")


def validate_fleet(fleet: FleetArgs, manifests: Manifests) -> None:
    """Every selected PBX's layers, overlaid and checked offline (the whole inventory
    without a selection); each PBX's errors at file:line:col."""
    from pbxconf.fleet.validate import validate_members

    run = build_run(
        fleet if fleet.selected else _everything(fleet),
        secrets_file=manifests.secrets_file,
        secrets_command=manifests.secrets_command,
        missing_secrets=manifests.missing_secrets,
        offline=True,
    )
    outcomes = validate_members(run, echo)
    finish(outcomes, "validate")
