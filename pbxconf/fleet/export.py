"""`pbxconf export --all -o DIR`: each PBX of the fleet exported into its own directory,
DIR/NAME (one file, or one per kind with --split), in parallel.

With `--secrets env`, a fleet's PBXes hold different secrets under the same names (each
hotel's trunk password), and one environment cannot hold them all: each PBX's variables
start with its name (`${LISBON_PBX_TRUNK_PROVIDER_PASSWORD}`). `pbxconf fleet
propose-base DIR` then proposes a shared base from what the exports have in common
(base.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pbxconf.errors import PbxconfError
from pbxconf.export import Export, export_state
from pbxconf.files import write_whole
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.identity import clashes, serial_of
from pbxconf.fleet.inventory import Member
from pbxconf.fleet.output import Echo, table
from pbxconf.fleet.runner import Outcome, Spool, run_each
from pbxconf.fleet.sections import one_line
from pbxconf.live import read_live
from pbxconf.render.common import noun


def variable_prefix(name: str) -> str:
    """`lisbon` -> `LISBON_`: a PBX's name as the start of its variables' names."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() + "_"


def prefixed(result: Export, prefix: str) -> Export:
    """The export with each `${VARIABLE}` it wrote renamed `${PREFIX_VARIABLE}`."""
    names = {name for name, _where in result.variables}
    for file_name, text in result.files.items():
        for name in names:
            text = text.replace("${" + name + "}", "${" + prefix + name + "}")
        result.files[file_name] = text
    result.variables = [(prefix + name, where) for name, where in result.variables]
    return result


@dataclass
class ExportJob:
    run: FleetRun
    spool: Spool
    output: Path
    split: bool
    kinds: list[str]
    secrets: str

    async def __call__(self, index: int, member: Member) -> Outcome:
        try:
            async with self.run.session(member) as pbx:
                device = await pbx.device_info()
                live = await read_live(pbx, self.kinds)
            result = export_state(live, device, self.kinds, self.secrets, self.split)
            del live
            result = prefixed(result, variable_prefix(member.name))
            folder = self.output / member.name
            for file_name, text in result.files.items():
                write_whole(folder / file_name, text, private=self.secrets == "inline")
        except PbxconfError as err:
            return Outcome(member.name, "failed", message=one_line(err))
        said = ", ".join(f"{n} {noun(section, n)}" for section, n in result.counts.items())
        notes = {
            "variables": [f"{name}  ({where})" for name, where in result.variables],
            "by_hand": result.by_hand,
            "unreadable": result.unreadable,
        }
        self.spool.put("notes", index, json.dumps(notes))
        return Outcome(
            member.name, "exported", message=f"{said} to {folder}", serial=serial_of(device)
        )


async def run_export(job: ExportJob) -> list[Outcome]:
    found = await run_each(job.run.members, job, job.run.parallel)
    outcomes = [found[i] for i in range(len(job.run.members))]
    # Entries that reach one PBX: each fails, naming the others (their exports are the
    # same PBX's, written twice).
    for index, err in clashes([m.name for m in job.run.members], outcomes).items():
        outcomes[index] = Outcome(outcomes[index].name, "failed", message=one_line(err))
    return outcomes


def write_export_report(echo: Echo, note: Echo, job: ExportJob, outcomes: list[Outcome]) -> None:
    """The table on stdout; what each PBX's export needs said (its variables to set, the
    values kept `by_hand`, what could not be read) on stderr."""
    for index, member in enumerate(job.run.members):
        notes = json.loads(job.spool.get("notes", index) or "{}")
        headings = {
            "variables": "set these environment variables before planning or applying it:",
            "by_hand": "kept under `by_hand` (the API cannot write them):",
            "unreadable": "warning: not exported, the PBX answered them in a form pbxconf "
            "cannot read:",
        }
        for key, heading in headings.items():
            if notes.get(key):
                note(f"{member.name}: {heading}\n")
                note("".join(f"  {line}\n" for line in notes[key]))
    if job.secrets == "inline":
        note(
            "warning: --secrets inline wrote passwords and PINs in clear; keep the export "
            "out of version control.\n"
        )
    rows = [("PBX", "RESULT"), *((o.name, f"{o.result}: {o.message}") for o in outcomes)]
    echo("\n".join(table(rows)) + "\n")
