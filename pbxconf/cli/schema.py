"""`pbxconf schema`: the JSON Schemas, written or checked."""

from __future__ import annotations

from pathlib import Path

import click

from pbxconf.cli import PbxconfCommand
from pbxconf.files import write_whole


@click.command(cls=PbxconfCommand)
@click.option(
    "-d",
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Where the schemas are written.",
)
@click.option(
    "--check", is_flag=True, help="Exit 1 if the files differ from what the models produce."
)
def schema(directory: Path, check: bool) -> None:
    """Write the JSON Schemas: for editors, the manifests', a fleet's overlays' and its
    inventory's; for programs, the JSON output of plan, apply and the fleet commands."""
    from pbxconf.schema import schema_files

    stale = []
    for name, text in schema_files().items():
        path = directory / name
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                stale.append(str(path))
            continue
        write_whole(path, text)
        click.echo(f"wrote {path}")
    if stale:
        raise click.ClickException(f"out of date: {', '.join(stale)}; run `pbxconf schema`")
    if check:
        click.echo("schemas are up to date")
