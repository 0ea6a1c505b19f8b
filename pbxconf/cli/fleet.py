"""`pbxconf fleet`: the inventory's PBXes as a selection sees them, and a shared base
proposed from a fleet's exports."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pbxconf.cli import CommandGroup
from pbxconf.cli.fleet_options import FleetArgs, fleet_options
from pbxconf.errors import UsageError


@click.group(cls=CommandGroup)
def fleet() -> None:
    """The fleet's inventory (pbxconf.yaml): list its PBXes, propose a shared base."""


@fleet.command("list")
@fleet_options(all_by_default=True)
@click.option("--json", "as_json", is_flag=True, help="As JSON: names, URLs, labels, layers.")
def fleet_list(fleet: FleetArgs, as_json: bool) -> None:
    """List the inventory's PBXes (those selected, with --pbx, --select, --all, --shard):
    offline, to check a selection before a command runs on it."""
    from pbxconf.fleet.context import open_inventory
    from pbxconf.fleet.inventory import label_text
    from pbxconf.fleet.output import table
    from pbxconf.fleet.selection import Selection, shard_of

    inventory = open_inventory(fleet.inventory)
    selection = fleet.selection or Selection(everything=True)
    members = selection.sharded(selection.chosen(inventory))
    if as_json:
        shards = selection.shard.count if selection.shard else None
        data = [
            {
                "name": m.name,
                "url": m.url,
                "labels": m.labels,
                "manifests": [str(p) for p in m.layers],
                **({"shard": shard_of(m.name, shards)} if shards else {}),
            }
            for m in members
        ]
        click.echo(json.dumps(data, indent=2))
        return
    rows = [("PBX", "URL", "LABELS"), *((m.name, m.url, label_text(m.labels)) for m in members)]
    click.echo("\n".join(table(rows)))
    click.echo(f"{len(members)} of {len(inventory.members)} PBX(es) ({selection.describe()}).")


@fleet.command("propose-base")
@click.argument("exports", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Write the proposal here: OUTPUT/base/ and OUTPUT/sites/NAME/.",
)
def propose_base(exports: Path, output: Path) -> None:
    """Propose a shared base from a fleet's exports (`pbxconf export --all -o EXPORTS`):
    what every PBX has in common in a base, and what differs in each PBX's own layer,
    checked to give back each export exactly."""
    from pbxconf.fleet.base import propose, read_site, write_proposal

    if not exports.is_dir():
        raise UsageError(f"{exports}: no such directory (`pbxconf export --all -o {exports}`)")
    folders = sorted(p for p in exports.iterdir() if p.is_dir() and not p.name.startswith("."))
    if output.exists() and any(output.iterdir()):
        raise UsageError(f"--output {output} is not empty: give a new directory")
    proposal = propose([read_site(folder) for folder in folders])
    write_proposal(proposal, output)
    base = len(proposal.base.objects)
    click.echo(
        f"Proposed a base of {base} object(s) shared by all {len(folders)} PBXes "
        f"({proposal.whole} the same everywhere, {proposal.overlaid} with fields a PBX "
        f"overrides) in {output / 'base'}, and each PBX's own layer in {output / 'sites'}."
    )
    click.echo("Each PBX's layers give back its export exactly. In pbxconf.yaml:")
    for layer in proposal.sites:
        own = len(layer.objects)
        click.echo(f"  {layer.name}: manifests: [base, sites/{layer.name}]  ({own} of its own)")
