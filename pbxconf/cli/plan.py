"""`pbxconf plan`: what apply would change, shown or saved. Never writes to the PBX."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pbxconf import manifest, render
from pbxconf.cli import PbxconfCommand, run_main
from pbxconf.cli.options import connection_options, manifest_paths, plan_options
from pbxconf.connect import Connection, open_pbx
from pbxconf.errors import UsageError
from pbxconf.files import cannot_write, write_whole
from pbxconf.plan import Plan, PlanOptions
from pbxconf.session import plan_and_log_out
from pbxconf.state import State


def render_plan(plan: Plan, target: str, fmt: str) -> str:
    if fmt == "json":
        return render.render_json(plan, target)
    if fmt == "markdown":
        return render.render_markdown(plan, target)
    return render.render_text(plan, target, colour=sys.stdout.isatty())


@click.command(cls=PbxconfCommand)
@manifest_paths
@connection_options
@plan_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan for `pbxconf apply FILE` (holds no secret).",
)
def plan(
    paths: tuple[Path, ...],
    conn: Connection,
    options: PlanOptions,
    fmt: str,
    detailed_exitcode: bool,
    out: Path | None,
) -> None:
    """Show what apply would change on the PBX. Never writes to the PBX."""
    if out is not None and (reason := cannot_write(out)):
        raise UsageError(f"--out {out}: cannot save the plan there: {reason}")
    desired = manifest.load(paths)
    target = conn.describe()

    async def run() -> tuple[Plan, State]:
        async with open_pbx(conn) as pbx:
            return await plan_and_log_out(pbx, desired, options)

    # The live State is held until the plan is shown, and freed after.
    result, _live = run_main(run())
    click.echo(render_plan(result, target, fmt), nl=False)
    if result.errors:
        raise click.ClickException("the plan has errors; nothing can be applied")
    if out is not None:
        from pbxconf.saved_plan import saved_plan  # its models, only for a plan to save

        data = saved_plan(result, desired, [str(p) for p in paths], options, target)
        write_whole(out, json.dumps(data, indent=1, sort_keys=True) + "\n")
        click.echo(f"Saved the plan to {out}; run `pbxconf apply {out}` to apply it.", err=True)
    if detailed_exitcode and result.differs:
        sys.exit(2)
