"""`pbxconf validate` over a fleet: the inventory, then each PBX's manifest layers
overlaid and checked, offline. A base's error is said once for the PBXes it breaks."""

from __future__ import annotations

from pbxconf.errors import PbxconfError
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.output import Echo
from pbxconf.fleet.runner import Outcome
from pbxconf.fleet.sections import one_line
from pbxconf.kinds import KINDS
from pbxconf.render.common import noun


def validate_members(run: FleetRun, echo: Echo) -> list[Outcome]:
    outcomes = []
    said: dict[tuple[str, ...], str] = {}  # errors already printed -> for which PBX
    for member in run.members:
        try:
            desired = run.desired(member, run.env_of(member))
        except PbxconfError as err:
            details = tuple(err.details())
            if details in said and details:
                echo(f"{member.name}: {err.summary} (the same as {said[details]}'s)\n")
            else:
                said[details] = member.name
                echo(f"{member.name}: {err.summary}\n")
                echo("".join(f"  {line}\n" for line in details))
            outcomes.append(Outcome(member.name, "failed", message=one_line(err)))
            continue
        counts = ", ".join(
            f"{n} {noun(k.section, n)}"
            for k in KINDS.values()
            if (n := len(desired.state.objects[k.name]))
        )
        layers = len(member.layers)
        echo(f"{member.name}: {len(desired.files)} file(s) in {layers} layer(s) valid: {counts}\n")
        outcomes.append(Outcome(member.name, "no-changes"))
    return outcomes
