"""Planning a large fleet in several processes (`plan --processes N`).

One process plans a PBX in about 20 ms of CPU, most of it its nine API calls through
the HTTP stack: a thousand PBXes keep one core busy for 20 s, however many are in
flight. N worker processes each plan every N-th PBX (with `--parallel`/N in flight),
each spooling its output to a file of its own; this process then writes the whole
output from their spools, in the inventory's order, as one process would have.

The workers are forked, and read the run from this process's memory: nothing of it
(the environment's secrets included) is pickled or passed on a command line.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.output import Echo
from pbxconf.fleet.plan import PlanJob, progress_line
from pbxconf.fleet.runner import Outcome, run_each
from pbxconf.fleet.spool import Spool, Where
from pbxconf.plan import PlanOptions

# What the workers plan, set before they are forked (see the module's docstring).
_WORK: dict[str, Any] = {}


def plan_in_processes(
    run: FleetRun,
    options: PlanOptions,
    fmt: str,
    spool: Spool,
    *,
    processes: int,
    save: bool,
    colour: bool,
    note: Echo,
) -> list[Outcome]:
    """Plan every PBX of the run in `processes` workers; their output into `spool`."""
    found: dict[int, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="pbxconf-fleet-") as folder:
        context = multiprocessing.get_context("fork")
        # PBXes done, in every worker: each progress line's `[k/N]`.
        finished = context.Value("i", 0)
        _WORK.update(
            run=run, options=options, fmt=fmt, save=save, colour=colour, note=note,
            folder=Path(folder), processes=processes, finished=finished,
        )  # fmt: skip
        try:
            with ProcessPoolExecutor(processes, mp_context=context) as pool:
                parts = [pool.submit(_plan_part, part) for part in range(processes)]
                for part in parts:
                    outcomes, path, where = part.result()
                    found.update(outcomes)
                    spool.adopt(path, where)  # opened now: kept after the folder goes
        finally:
            _WORK.clear()
    job = PlanJob(run, options, fmt, spool, save, colour)  # to fail entries that reach one PBX
    return job.refuse_same_pbx([found[i] for i in range(len(run.members))])


def _plan_part(part: int) -> tuple[dict[int, Outcome], Path, Where]:
    """In a worker: plan every `processes`-th PBX, starting at `part`."""
    run: FleetRun = _WORK["run"]
    processes: int = _WORK["processes"]
    note: Echo = _WORK["note"]
    indexes = range(part, len(run.members), processes)
    spool = Spool(keep_in=_WORK["folder"])
    job = PlanJob(run, _WORK["options"], _WORK["fmt"], spool, _WORK["save"], _WORK["colour"])

    finished = _WORK["finished"]

    def done(index: int, outcome: Outcome) -> None:
        with finished.get_lock():
            finished.value += 1
            note(progress_line(finished.value, len(run.members), outcome))

    in_flight = max(1, run.parallel // processes)
    outcomes = asyncio.run(run_each(run.members, job, in_flight, indexes=indexes, done=done))
    assert spool.path is not None
    where = spool.where()
    spool.close()
    return outcomes, spool.path, where
