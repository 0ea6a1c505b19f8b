"""`pbxconf validate`: manifests checked offline."""

from __future__ import annotations

import click

from pbxconf.cli import PbxconfCommand
from pbxconf.cli.options import Manifests, manifest_paths
from pbxconf.kinds import KINDS
from pbxconf.render.common import noun


@click.command(cls=PbxconfCommand)
@manifest_paths
def validate(manifests: Manifests) -> None:
    """Check manifests offline: exit 0 if valid, 1 with every error (file:line:col) if not."""
    desired = manifests.load()
    counts = ", ".join(
        f"{n} {noun(k.section, n)}"
        for k in KINDS.values()
        if (n := len(desired.state.objects[k.name]))
    )
    click.echo(f"{len(desired.files)} file(s) valid: {counts or 'no objects'}")
