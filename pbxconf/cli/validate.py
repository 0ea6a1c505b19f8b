"""`pbxconf validate`: manifests checked offline."""

from __future__ import annotations

import click

from pbxconf.cli import PbxconfCommand
from pbxconf.cli.fleet_options import FleetArgs, fleet_options
from pbxconf.cli.options import Manifests, manifest_paths_or_fleet
from pbxconf.errors import UsageError
from pbxconf.kinds import KINDS
from pbxconf.render.common import noun


@click.command(cls=PbxconfCommand)
@manifest_paths_or_fleet
@fleet_options()
def validate(manifests: Manifests, fleet: FleetArgs) -> None:
    """Check manifests offline: exit 0 if valid, 1 with every error (file:line:col) if not.
    Without PATHS: the inventory (pbxconf.yaml), and each of its PBXes' layers overlaid
    (or those of --pbx, --select)."""
    if fleet.selected or not manifests.paths:
        if manifests.paths:
            raise UsageError("give manifest PATHS or --pbx, --select or --all, not both")
        from pbxconf.cli.fleet_commands import validate_fleet

        return validate_fleet(fleet, manifests)
    desired = manifests.load()
    counts = ", ".join(
        f"{n} {noun(k.section, n)}"
        for k in KINDS.values()
        if (n := len(desired.state.objects[k.name]))
    )
    click.echo(f"{len(desired.files)} file(s) valid: {counts or 'no objects'}")
