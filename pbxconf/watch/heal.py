"""`--heal`: put a drifted object back as the manifests say, at once, within apply's rules,
and stop before a fight with a person in the web page goes on for ever.

The rules are the planner's, as for `pbxconf apply`: the safety share (a plan that
updates or deletes too much of a kind is refused; the watch has no --force), `protect`,
no create the API cannot make (an extension, IVR or queue that is gone is reported, not
healed), every call checked against the manual, deletes only when pruning. A heal is a
targeted plan of the drifted objects, made against the PBX as just read; its calls go
out as apply sends them (paced, stopped by a signal after the call in flight); then the
objects are read again: the heal is told as done only if they now agree.

The circuit breaker: at most `limit` objects healed in any `window` seconds (the
interval); past that the watch reports drift and heals nothing until the window has
room again. A person who keeps changing a field back wins, and is told so.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass, field

from pbxconf.api import PbxClient, PbxError
from pbxconf.apply import StopFlag, run_steps
from pbxconf.kinds import KINDS
from pbxconf.manifest import Desired
from pbxconf.plan import Action, Change, PlanOptions, SafetyRefusal, make_plan
from pbxconf.watch.events import WatchEvent, object_event, plain
from pbxconf.watch.metrics import WatchMetrics
from pbxconf.watch.mirror import Ident, Mirror


class Breaker:
    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._spent: collections.deque[float] = collections.deque()
        self.is_open = False

    def room(self) -> int:
        now = self._clock()
        while self._spent and now - self._spent[0] >= self.window:
            self._spent.popleft()
        return self.limit - len(self._spent)

    def spend(self, count: int) -> None:
        now = self._clock()
        self._spent.extend([now] * count)


@dataclass
class HealOutcome:
    events: list[WatchEvent] = field(default_factory=list)
    targets: set[Ident] = field(default_factory=set)  # what was healed (or tried)
    healed: set[Ident] = field(default_factory=set)
    deleted: set[Ident] = field(default_factory=set)  # unmanaged objects pruned
    after: list[Change] = field(default_factory=list)  # what still differs afterwards
    unread: bool = False  # the objects could not be read back: plan in full


class Healer:
    def __init__(
        self,
        client: PbxClient,
        breaker: Breaker,
        metrics: WatchMetrics,
        prune: bool,
        stop: StopFlag,
    ) -> None:
        self.client = client
        self.breaker = breaker
        self.metrics = metrics
        self.prune = prune
        self.stop = stop

    def options(self, targets: list[Ident]) -> PlanOptions:
        return PlanOptions(prune=self.prune, targets=targets, skip_unreachable=True)

    async def heal(
        self,
        desired: Desired,
        mirror: Mirror,
        found: list[Change],
        refused: list[SafetyRefusal],
    ) -> HealOutcome:
        """Heal what a check `found` (its plan's changes, safety refusals)."""
        wanted = [c for c in found if c.action != Action.CANNOT]
        if not wanted or self.stop.requested:
            return HealOutcome()
        out = HealOutcome(events=self._breaker_events())
        if refused:
            reasons = "; ".join(refused)
            text = f"--heal: not healing {len(wanted)} object(s): {reasons}"
            out.events.append(plain("heal_skipped", text, reason="safety"))
            return out
        room = self.breaker.room()
        if room <= 0:
            return out
        plan = make_plan(desired, mirror.state, self.options([c.ident for c in wanted][:room]))
        if plan.errors:
            reasons = "; ".join(plan.errors)
            out.events.append(
                plain("heal_skipped", f"--heal: not healing: {reasons}", reason="plan")
            )
            return out
        if not plan.has_changes:
            return out
        changes = plan.changes
        if len(changes) > room:  # what the drifted objects need came along
            text = (
                f"--heal: not healing: it would change {len(changes)} objects, more than the "
                f"{room} the circuit breaker has room for"
            )
            out.events.append(plain("heal_skipped", text, reason="breaker"))
            return out
        self.breaker.spend(len(changes))
        result = await run_steps(self.client, plan, None, self.stop)
        # Read the healed objects again: the only proof that a heal held, and what the
        # next check compares against.
        out.targets = {c.ident for c in changes}
        try:
            await self._reread(mirror, out.targets)
        except PbxError as err:
            # What landed is unknown: never sent again blindly; a full plan will tell.
            out.unread = True
            for change in changes:
                self.metrics.heals.labels("failed").inc()
                why = f"(not known to have healed: reading it back failed: {err})"
                out.events.append(object_event("heal_failed", change, "heal", why))
            return out
        after = make_plan(desired, mirror.state, self.options(sorted(out.targets)))
        out.after = after.changes
        still = {c.ident for c in after.changes}
        done = {change.ident for step, _ in result.done for change in step.changes}
        for change in changes:
            if change.ident in done and change.ident not in still:
                self.metrics.heals.labels("healed").inc()
                out.healed.add(change.ident)
                if change.action == Action.DELETE:
                    out.deleted.add(change.ident)
                out.events.append(object_event("healed", change, "heal", "(the manifests applied)"))
                continue
            self.metrics.heals.labels("failed").inc()
            why = "interrupted" if result.interrupted else "the PBX still differs"
            if result.failed is not None and change in result.failed[0].changes:
                why = result.failed[2].message
            elif change.ident not in done and not result.interrupted:
                why = "not sent: an earlier call failed"
            out.events.append(object_event("heal_failed", change, "heal", f"(not healed: {why})"))
        out.events += self._breaker_events()
        return out

    async def _reread(self, mirror: Mirror, targets: set[Ident]) -> None:
        by_kind: dict[str, set[str]] = {}
        for kind, key in targets:
            by_kind.setdefault(kind, set()).add(key[0])
        for kind, keys in by_kind.items():
            await mirror.reread(self.client, KINDS[kind], keys)

    def _breaker_events(self) -> list[WatchEvent]:
        """The breaker's state changes, told once each way."""
        full = self.breaker.room() <= 0
        if full == self.breaker.is_open:
            return []
        self.breaker.is_open = full
        self.metrics.breaker_open.set(1 if full else 0)
        if full:
            text = (
                f"open: {self.breaker.limit} object(s) healed within "
                f"{_duration(self.breaker.window)}; "
                "drift is reported, not healed, until the window has room (is someone "
                "changing these in the web page?)"
            )
        else:
            text = "closed: --heal heals again"
        return [plain("breaker", text, open=full, limit=self.breaker.limit)]


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
