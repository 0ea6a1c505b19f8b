"""`pbxconf export`: the live PBX written out as manifests (backups, adoption, disaster
recovery)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pbxconf.cli import PbxconfCommand, run_main
from pbxconf.cli.fleet_options import FleetArgs, fleet_options
from pbxconf.cli.options import connection_options
from pbxconf.connect import Connection, open_pbx
from pbxconf.errors import UsageError
from pbxconf.export import SECRET_MODES, export_state, superseded
from pbxconf.files import cannot_make_folder, cannot_write, write_whole
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.render.common import noun


@click.command(cls=PbxconfCommand)
@connection_options
@fleet_options(secrets=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File (or, with --split, directory) to write; stdout if omitted. With a fleet: "
    "the directory that gets one directory per PBX.",
)
@click.option("--split", is_flag=True, help="One file per kind in the --output directory.")
@click.option(
    "--kinds",
    default="",
    metavar="KIND,...",
    help="Only these kinds (e.g. trunks,inbound_routes); all by default.",
)
@click.option(
    "--secrets",
    type=click.Choice(SECRET_MODES),
    default="env",
    show_default=True,
    help="env: ${VAR} references; inline: values in clear; redact: left out.",
)
def export(
    conn: Connection,
    fleet: FleetArgs,
    output: Path | None,
    split: bool,
    kinds: str,
    secrets: str,
) -> None:
    """Write the live PBX out as manifests (backups, adoption, disaster recovery); or each
    PBX of a fleet (--pbx, --select, --all) into its own directory."""
    chosen = _parse_kinds(kinds)
    if fleet.selected:
        from pbxconf.cli.fleet_commands import export_over_fleet

        return export_over_fleet(
            fleet, conn, output=output, split=split, kinds=chosen, secrets=secrets
        )
    if split and output is None:
        raise UsageError("--split needs --output DIRECTORY")
    if output is not None and split and output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file; --split writes a directory")
    if output is not None and (
        (reason := cannot_write(output / "pbx.yaml" if split else output))
        # Its folder made before the PBX is read: as root, every path looks writable.
        or (reason := cannot_make_folder(output if split else output.parent))
    ):
        raise UsageError(f"--output {output}: cannot write the export there: {reason}")

    async def run() -> tuple[dict[str, Any], Any]:
        async with open_pbx(conn) as pbx:
            device = await pbx.device_info()
            return device, await read_live(pbx, chosen)

    device, live = run_main(run())
    result = export_state(live, device, chosen, secrets, split)
    if output is None:
        click.echo(result.files["pbx.yaml"], nl=False)
    else:
        for name, text in result.files.items():
            write_whole(output / name if split else output, text, private=secrets == "inline")
        if split:  # what each file's $schema line names, beside it
            from pbxconf.schema import manifest_schema_text

            write_whole(output / "pbxconf.schema.json", manifest_schema_text())
        for stale in superseded(output, result) if split else []:
            stale.unlink()  # the same objects, now in files of other names
            click.echo(f"Removed {stale}: its objects are in the files written now.", err=True)
        counts = ", ".join(f"{n} {noun(section, n)}" for section, n in result.counts.items())
        click.echo(f"Exported {counts} to {output}.", err=True)
    if secrets == "inline":
        click.echo(
            "warning: --secrets inline wrote passwords and PINs in clear; keep the "
            "export out of version control.",
            err=True,
        )
    if result.variables:
        click.echo(
            "Set these environment variables before planning or applying the export:", err=True
        )
        for name, where in result.variables:
            click.echo(f"  {name}  ({where})", err=True)
    if result.by_hand:
        click.echo(
            "Kept under `by_hand` (the PBX holds them; the API cannot write them, so a "
            "restore lists them as steps for the PBX's web page):",
            err=True,
        )
        for entry in result.by_hand:
            click.echo(f"  {entry}", err=True)
    if result.unreadable:
        click.echo(
            "warning: not exported, the PBX answered them in a form pbxconf cannot read:",
            err=True,
        )
        for entry in result.unreadable:
            click.echo(f"  {entry}", err=True)


def _parse_kinds(text: str) -> list[str]:
    if not text.strip():
        return list(KINDS)
    chosen = []
    for part in text.split(","):
        part = part.strip()
        kind = KINDS.lookup(part)
        if kind is None:
            names = ", ".join(KINDS.sections)
            raise click.BadParameter(f"unknown kind {part!r}; one of {names}", param_hint="--kinds")
        chosen.append(kind.name)
    return chosen
