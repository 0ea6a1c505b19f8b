"""Write pacing: how far apart the client starts its writes to one PBX.

The PBX applies every write and refuses one that comes too soon after the last (errno
10025, "apply too frequent"); the manual does not say how soon. Writes start the
configured spacing apart (`--write-interval`), from the start of one to the start of the
next, so the PBX sees them arrive that far apart and a slow link adds nothing.

Where the PBX is slower than configured, the spacing is learned as a congestion
controller learns a path's rate: each 10025 widens it by a small step (x1.1, to at least
50 ms), and each write that succeeds takes back a fiftieth of what is above the
configured spacing. A refusal that latency jitter caused once costs a few milliseconds a
write for a few dozen writes, where widening by a quarter for the rest of the run made a
client paced a hair above the PBX (52 ms against 50) slower than one paced well above
(60 ms); a PBX that really is slower is followed within a few refusals, up to 5 s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

STEP_UP = 1.1  # the spacing after a refusal, times the spacing before
LEAST_AFTER_REFUSAL = 0.05  # seconds: a refusal with no spacing configured learns this much
DECAY = 1 / 50  # the share of the widening a successful write takes back
MAX_INTERVAL = 5.0  # seconds: the widest the spacing is learned to be


class Configured(Protocol):
    write_interval: float


class WritePacing:
    """The spacing of one client's writes: configured, and learned from 10025s."""

    def __init__(
        self,
        settings: Configured,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._settings = settings  # read at each write: the configured spacing may change
        self._clock = clock
        self._sleep = sleep
        self._widening = 0.0  # seconds learned above the configured spacing
        self._last_start = -1e18

    @property
    def interval(self) -> float:
        """The spacing now: the configured one, and what 10025s taught on top of it."""
        configured = self._settings.write_interval
        return min(configured + self._widening, max(configured, MAX_INTERVAL))

    async def wait_turn(self) -> None:
        """Wait until the spacing has passed since the last write started; this one
        starts now."""
        wait = self._last_start + self.interval - self._clock()
        if wait > 0:
            await self._sleep(wait)
        self._last_start = self._clock()

    def refused(self) -> None:
        """The PBX said 10025: it applies writes more slowly than they were sent."""
        configured = self._settings.write_interval
        wider = min(max(self.interval * STEP_UP, LEAST_AFTER_REFUSAL), MAX_INTERVAL)
        self._widening = max(wider - configured, self._widening)

    def accepted(self) -> None:
        """A write went through: take back a little of the widening."""
        self._widening -= self._widening * DECAY
