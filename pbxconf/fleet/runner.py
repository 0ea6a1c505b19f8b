"""Running one job per PBX, many at once, each on its own.

`--parallel` PBXes run at a time, each with its own session and write pacing (its own
client). A PBX that is down, locks the caller out or refuses costs its own slot only:
its failure is its job's outcome, the others go on. Jobs are started in the inventory's
order; `stopped` (a rollout that has seen enough failures, a signal) ends the starting
of new ones, and those never started are said to be.

What each job prints is kept in a spool (spool.py), not in memory, and read back in the
inventory's order when every job is done: a thousand PBXes' plans are never all held
at once, and the output does not depend on which PBX answered first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from pbxconf.fleet import DEFAULT_PARALLEL
from pbxconf.fleet.inventory import Member
from pbxconf.fleet.spool import Spool


@dataclass
class Outcome:
    """How one PBX's job ended: what the summary table shows."""

    name: str
    result: str  # see RESULTS
    counts: dict[str, int] = field(default_factory=dict)  # per action, for a plan
    message: str = ""  # a failure's reason, or a note
    canary: bool = False
    calls: int = 0  # API writes made (apply)
    # Outcomes whose rendered plans are the same share this (Markdown groups them).
    group: str = ""
    serial: str = ""  # the PBX's serial number, where the job read it (identity.py)

    @property
    def failed(self) -> bool:
        return self.result in FAILED

    @property
    def differs(self) -> bool:
        return self.result == "changes"

    @property
    def deferred(self) -> bool:
        return self.result == "deferred"


# What a PBX's job can end as, and which of those are failures.
RESULTS = (
    "changes",
    "no-changes",
    "applied",
    "nothing-to-do",
    "dry-run",
    "exported",
    "deferred",  # a rollout's canary phase planned it and left it for the rollout
    "not-run",
    "refused",
    "failed",
)
FAILED = frozenset({"failed", "refused"})


__all__ = ["DEFAULT_PARALLEL", "Outcome", "Spool", "run_each"]

Job = Callable[[int, Member], Awaitable[Outcome]]


async def run_each(
    members: Sequence[Member],
    job: Job,
    parallel: int,
    *,
    indexes: Sequence[int] | None = None,
    stopped: Callable[[], object] = lambda: "",
    done: Callable[[int, Outcome], None] | None = None,
) -> dict[int, Outcome]:
    """Run `job` for the members at `indexes` (all by default), `parallel` at a time, in
    order of starting. The outcomes by index: one never started because `stopped()`
    said so (it is asked before each start) has none."""
    outcomes: dict[int, Outcome] = {}
    order = list(range(len(members))) if indexes is None else list(indexes)
    upcoming = iter(order)

    async def worker() -> None:
        for index in upcoming:
            if stopped():
                return
            outcome = await job(index, members[index])
            outcomes[index] = outcome
            if done is not None:
                done(index, outcome)

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, min(parallel, len(order))))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return outcomes
