"""A safe rollout over a fleet: canaries first, and a stop after too many failures.

`--canary N`: the first N PBXes, in the inventory's order, whose plans have changes are
applied first (PBXes are planned in parallel, but each decides in the inventory's
order, so which PBXes are the canaries does not depend on which PBX answered first).
Only when every canary has applied and its apply's check found nothing left does the
rollout go on to the others; if any canary fails, nothing more is applied. A PBX that
cannot even be planned (down, refusing) is a failure but no canary.

`--max-failures M`: once M PBXes have failed, no more are started; those in flight
finish (stopping an apply half-way would leave its PBX half-changed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pbxconf.fleet.runner import Outcome


@dataclass
class Rollout:
    canary: int = 0
    max_failures: int = 0
    canaries: list[str] = field(default_factory=list)
    failures: int = 0
    stopped: str = ""  # why nothing more is started
    in_canary_phase: bool = False
    _decided: int = 0  # every PBX before this index has decided
    _done: set[int] = field(default_factory=set)
    _turn: asyncio.Condition | None = None

    def __post_init__(self) -> None:
        self.in_canary_phase = self.canary > 0

    async def claim(self, index: int, name: str) -> str:
        """Whether the PBX at `index` (its plan has changes) applies now: `canary`,
        `go`, `defer` (the canaries are chosen: it waits for their verdict) or `stop`."""
        if not self.in_canary_phase:
            return "stop" if self.stopped else "go"
        await self._wait_turn(index)
        try:
            if self.stopped:
                return "stop"
            if len(self.canaries) < self.canary:
                self.canaries.append(name)
                return "canary"
            return "defer"
        finally:
            await self.pass_turn(index)

    async def pass_turn(self, index: int) -> None:
        """The PBX at `index` decided, or needs no decision (no changes, a failure): the
        next ones in order may decide. Called at least once per PBX in the canary phase;
        a PBX may be done before those ahead of it have decided."""
        if not self.in_canary_phase:
            return
        turn = self._condition()
        async with turn:
            self._done.add(index)
            while self._decided in self._done:
                self._decided += 1
            turn.notify_all()

    async def _wait_turn(self, index: int) -> None:
        turn = self._condition()
        async with turn:
            await turn.wait_for(lambda: self._decided >= index)

    def _condition(self) -> asyncio.Condition:
        if self._turn is None:
            self._turn = asyncio.Condition()
        return self._turn

    def canaries_chosen(self) -> bool:
        return self.in_canary_phase and len(self.canaries) >= self.canary

    def finished(self, outcome: Outcome) -> None:
        """Count a PBX's outcome; a failed canary, or the M-th failure, stops the rollout."""
        if not outcome.failed:
            return
        self.failures += 1
        if outcome.canary and not self.stopped:
            self.stopped = f"the canary {outcome.name} failed"
        elif self.max_failures and self.failures >= self.max_failures and not self.stopped:
            self.stopped = (
                f"stopped after {self.failures} failure(s) (--max-failures {self.max_failures})"
            )

    def start_rollout(self) -> None:
        """The canaries are done and well: the others go, without waiting for turns."""
        self.in_canary_phase = False
