"""`pbxconf plan`: what apply would change, shown or saved. Never writes to the PBX."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from pbxconf import bulk, render
from pbxconf.cli import PbxconfCommand, run_main
from pbxconf.cli.fleet_options import FleetArgs, fleet_options
from pbxconf.cli.options import (
    Manifests,
    connection_options,
    manifest_paths_or_fleet,
    plan_options,
)
from pbxconf.cli.output import OUTPUT
from pbxconf.connect import Connection, open_pbx
from pbxconf.errors import PbxconfError, UsageError
from pbxconf.files import cannot_write, write_whole
from pbxconf.manifest import ManifestErrors
from pbxconf.plan import Plan, PlanOptions
from pbxconf.session import plan_and_log_out
from pbxconf.state import State


def render_plan(plan: Plan, target: str, fmt: str) -> str:
    if fmt == "json":
        from pbxconf.render.json_plan import render_json  # its models, only for JSON

        return render_json(plan, target)
    if fmt == "markdown":
        return render.render_markdown(plan, target)
    return render.render_text(plan, target, colour=OUTPUT.colour())


@contextlib.contextmanager
def failure_in_document(fmt: str, target: str) -> Iterator[None]:
    """A plan for a pull request or a pipeline that could not be made still writes its
    document (Markdown, JSON) saying why, with each manifest error's file:line:col: the
    comment or the artifact is never empty. The error is then reported as usual."""
    try:
        yield
    except PbxconfError as err:
        if fmt == "text":
            raise
        problems = err.errors if isinstance(err, ManifestErrors) else []
        if fmt == "json":
            from pbxconf.render.json_plan import JsonProblem, render_json_failure

            click.echo(
                render_json_failure(
                    target,
                    err.summary,
                    [
                        JsonProblem(
                            message=e.message,
                            file=e.position.file if e.position else None,
                            line=e.position.line if e.position else None,
                            col=e.position.col if e.position else None,
                            path=e.path or None,
                        )
                        for e in problems
                    ]
                    or [JsonProblem(message=err.summary)],
                ),
                nl=False,
            )
        else:
            lines = [str(e) for e in problems]
            click.echo(render.render_markdown_failure(target, err.summary, lines), nl=False)
        raise


@click.command(cls=PbxconfCommand)
@manifest_paths_or_fleet
@connection_options
@plan_options
@fleet_options(processes=True)
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
    manifests: Manifests,
    conn: Connection,
    options: PlanOptions,
    fleet: FleetArgs,
    fmt: str,
    detailed_exitcode: bool,
    out: Path | None,
) -> None:
    """Show what apply would change on the PBX (or the inventory's PBXes: --pbx, --select,
    --all). Never writes to the PBX."""
    if fleet.selected:
        from pbxconf.cli.fleet_commands import plan_over_fleet

        return plan_over_fleet(fleet, manifests, conn, options, fmt, detailed_exitcode, out)
    manifests.require_paths()
    if saved := _saved_plan_given(manifests.paths):
        raise UsageError(
            f"{saved} is a saved plan, not a manifest: apply it with `pbxconf apply {saved}`, "
            "or plan the manifests it was made from"
        )
    if out is not None and (reason := cannot_write(out)):
        raise UsageError(f"--out {out}: cannot save the plan there: {reason}")
    target = conn.describe()
    with failure_in_document(fmt, target):
        desired = manifests.load()

        async def run() -> tuple[Plan, State, dict[str, Any]]:
            async with open_pbx(conn) as pbx:
                # A saved plan names the PBX it is for: apply refuses it on any other.
                device = await pbx.device_info() if out is not None else {}
                return (*await plan_and_log_out(pbx, desired, options), device)

        result, live, device = run_main(run())
        bulk.keep_until_exit(desired, live, result)
    click.echo(render_plan(result, target, fmt), nl=False)
    if result.errors:
        raise click.ClickException("the plan has errors; nothing can be applied")
    if out is not None:
        from pbxconf.saved_plan import saved_plan  # its models, only for a plan to save

        paths = [str(p) for p in manifests.paths]
        data = saved_plan(result, desired, paths, options, target, device)
        write_whole(out, json.dumps(data, indent=1, sort_keys=True) + "\n")
        click.echo(f"Saved the plan to {out}; run `pbxconf apply {out}` to apply it.", err=True)
    if detailed_exitcode and result.differs:
        sys.exit(2)


def _saved_plan_given(paths: tuple[Path, ...]) -> str | None:
    """The path, where the one PATH given is a plan saved by `plan --out` (one PBX's or a
    fleet's) rather than a manifest: read as YAML it would be a syntax error."""
    if len(paths) != 1 or not str(paths[0]).endswith(".json"):
        return None
    try:
        with open(paths[0], "rb") as handle:
            first = json.loads(handle.readline())
    except (OSError, ValueError, RecursionError):
        return None
    fmt = first.get("format") if isinstance(first, dict) else None
    return str(paths[0]) if isinstance(fmt, str) and fmt.startswith("pbxconf-saved") else None
