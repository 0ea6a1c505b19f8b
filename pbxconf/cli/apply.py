"""`pbxconf apply`: plan, confirm, apply, verify; or apply a saved plan."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from pbxconf import render
from pbxconf.apply import ApplyResult, StopFlag, describe_failure, execute
from pbxconf.cli import PbxconfCommand, run_main
from pbxconf.cli.fleet_options import FleetArgs, fleet_options
from pbxconf.cli.options import (
    Manifests,
    connection_options,
    manifest_paths_or_fleet,
    plan_options,
    write_options,
)
from pbxconf.cli.output import OUTPUT
from pbxconf.cli.progress import progress_display, stop_on_signals
from pbxconf.connect import Connection, open_pbx
from pbxconf.errors import UsageError
from pbxconf.live import read_live
from pbxconf.plan import Plan, PlanOptions, make_plan
from pbxconf.saved_plan import read_saved_plan, saved_options
from pbxconf.session import replan_saved


@click.command(cls=PbxconfCommand)
@manifest_paths_or_fleet
@connection_options
@write_options
@plan_options
@fleet_options()
@click.option(
    "--canary",
    type=click.IntRange(min=1),
    help="With a fleet: apply to the first N PBXes with changes first, and stop everything "
    "if any of them fails or fails its check.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(min=1),
    help="With a fleet: start no more PBXes once this many have failed.",
)
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Do not ask for confirmation (required when not on a terminal).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the exact API calls (secrets masked) and change nothing."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the plan and the result (done, failed with errno and meaning, not run, the "
    "check after) as one document on stdout; progress stays on stderr.",
)
def apply(
    manifests: Manifests,
    conn: Connection,
    options: PlanOptions,
    fleet: FleetArgs,
    canary: int | None,
    max_failures: int | None,
    auto_approve: bool,
    dry_run: bool,
    fmt: str,
) -> None:
    """Make the PBX match the manifests (or apply a plan saved with `plan --out`); over a
    fleet with --pbx, --select or --all, or a fleet's saved plan."""
    paths = manifests.paths
    if fleet.selected or _is_fleet_plan(paths):
        from pbxconf.cli.fleet_commands import apply_over_fleet

        return apply_over_fleet(
            fleet,
            manifests,
            conn,
            options,
            auto_approve=auto_approve,
            dry_run=dry_run,
            fmt=fmt,
            canary=canary or 0,
            max_failures=max_failures or 0,
        )
    for flag, given in (("--canary", canary), ("--max-failures", max_failures)):
        if given:
            raise UsageError(f"{flag} goes with a fleet: --all, --pbx NAME or --select")
    manifests.require_paths()
    saved = read_saved_plan(paths[0]) if len(paths) == 1 and paths[0].is_file() else None
    if saved is not None:
        if options.prune or options.force or options.targets or options.skip_unreachable:
            raise UsageError(
                "a saved plan carries its own --prune/--force/--target/--skip-unreachable"
            )
        options = saved_options(saved)
        desired = manifests.load([Path(p) for p in saved.paths])
    else:
        desired = manifests.load()
    target = conn.describe()
    # Asking needs a person at the keyboard: stdin. Where the output goes (`| tee log`)
    # does not matter.
    interactive = sys.stdin.isatty()
    if not (auto_approve or dry_run or interactive):
        raise UsageError(
            "not on a terminal, so nobody can confirm: review `pbxconf plan`, then run apply "
            "with --auto-approve"
        )

    report = Report(fmt, target)

    async def run() -> int:
        async with open_pbx(conn) as pbx:
            if saved is not None:
                the_plan, before = await replan_saved(pbx, saved, desired, target)
            else:
                before = await read_live(pbx)
                the_plan = make_plan(desired, before, options)
            report.plan(the_plan)
            if the_plan.errors:
                report.ends(the_plan, "refused")
                raise click.ClickException("the plan has errors; nothing was changed")
            if not the_plan.has_changes:
                report.say("Nothing to do." if not the_plan.manual else _by_hand(the_plan))
                return report.ends(the_plan, "nothing-to-do")
            if dry_run:
                report.say("\nDry run: these calls would be sent (nothing was changed):")
                report.say(render.render_calls(the_plan.calls).rstrip("\n"))
                return report.ends(the_plan, "dry-run")
            question = f"Apply these changes to {target}?"
            if not auto_approve and not click.confirm(question, err=report.json):
                report.say("Nothing was changed.")
                return report.ends(the_plan, "declined", code=1)
            stop = StopFlag()
            with progress_display(sys.stderr.isatty(), OUTPUT) as progress:
                applying = asyncio.ensure_future(
                    execute(pbx, the_plan, desired, options, progress, stop, before)
                )
                with stop_on_signals(stop, applying):
                    result = await applying
            return report.result(the_plan, result)

    code = run_main(run())
    if code:
        sys.exit(code)


def _is_fleet_plan(paths: tuple[Path, ...]) -> bool:
    if len(paths) != 1 or not paths[0].is_file():
        return False
    from pbxconf.fleet.saved import read_saved_fleet_plan

    return read_saved_fleet_plan(paths[0]) is not None


class Report:
    """What apply prints: text for a person (the plan on stdout, what went wrong on
    stderr), or one JSON document on stdout at the end."""

    def __init__(self, fmt: str, target: str) -> None:
        self.json = fmt == "json"
        self.target = target

    def plan(self, plan: Plan) -> None:
        if not self.json:
            click.echo(render.render_text(plan, self.target, colour=OUTPUT.colour()), nl=False)

    def say(self, line: str) -> None:
        click.echo(line, err=self.json)

    def ends(
        self, plan: Plan, outcome: str, result: ApplyResult | None = None, code: int = 0
    ) -> int:
        if self.json:
            from pbxconf.render.json_apply import render_apply_json

            click.echo(render_apply_json(plan, self.target, outcome, result), nl=False)
        return code

    def result(self, plan: Plan, result: ApplyResult) -> int:
        if result.failed is not None or result.interrupted:
            for line in describe_failure(result):
                click.echo(line, err=True)
            code = 130 if result.interrupted == "SIGINT" else 143 if result.interrupted else 1
            return self.ends(plan, "interrupted" if result.interrupted else "failed", result, code)
        for note in result.notes:
            click.echo(note, err=True)
        if result.changed_by_others:
            click.echo(
                "Changed by someone else during this apply (not by its writes): "
                + ", ".join(result.changed_by_others),
                err=True,
            )
        if result.remaining is not None and result.remaining.changes:
            click.echo("After applying, the PBX still differs from the manifests:", err=True)
            click.echo(render.render_text(result.remaining, self.target), err=True, nl=False)
            return self.ends(plan, "failed", result, 1)
        self.say(_complete(plan, len(result.done)))
        return self.ends(plan, "applied", result)


def _complete(plan: Plan, calls: int) -> str:
    """What a successful apply says: whether the PBX now matches the manifests, or what
    is left that the apply did not undertake (set aside, or to do by hand)."""
    left = []
    if plan.skipped:
        left.append(f"{len(plan.skipped)} set aside (listed above)")
    if plan.manual:
        left.append(_by_hand(plan))
    if not left:
        return f"Apply complete: {calls} call(s); the PBX matches the manifests."
    return f"Apply complete: {calls} call(s). " + "; ".join(left)


def _by_hand(plan: Plan) -> str:
    count = len(plan.manual)
    steps = "1 step remains" if count == 1 else f"{count} steps remain"
    return f"{steps} to do by hand in the PBX's web page (listed above)."
