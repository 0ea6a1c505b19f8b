"""Reports in, batches of work out: duplicates, late and out-of-order reports and bursts
become one re-read per kind.

The PBX repeats a report until it is answered, may send it late, and a person saving 50
extensions in the web page sends 50. None of that needs more than one read: what the
watch wants to know is which objects to look at, not what the reports said happened
(it reads what is true now). So reports only mark objects dirty, and the watch takes
them in batches: a batch is ready once no report came for `settle` seconds, or
`max_delay` after its first report, whichever is sooner. Reports that come while a batch
is handled make the next one. A kind with more dirty objects than a list query should
name is read whole (one call still), which also bounds what a flood can make it hold.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

# Above this many dirty objects of a kind, the kind is read whole.
MAX_KEYS_PER_KIND = 100


@dataclass
class Batch:
    keys: dict[str, set[str]] = field(default_factory=dict)  # kind -> dirty identities
    whole: set[str] = field(default_factory=set)  # kinds to read whole
    boot: bool = False  # a BootUp: log in again, plan in full
    reports: int = 0  # reports that made it

    def __bool__(self) -> bool:
        return bool(self.keys or self.whole or self.boot)


class Coalescer:
    def __init__(self, settle: float = 0.2, max_delay: float = 1.0) -> None:
        self.settle = settle
        self.max_delay = max_delay
        self._batch = Batch()
        self._first = 0.0
        self._last = 0.0
        self._arrived = asyncio.Event()

    def changed(self, kind: str, key: str) -> None:
        """A report that an object changed (or a wish to look at it again)."""
        if kind not in self._batch.whole:
            keys = self._batch.keys.setdefault(kind, set())
            keys.add(key)
            if len(keys) > MAX_KEYS_PER_KIND:
                del self._batch.keys[kind]
                self._batch.whole.add(kind)
        self._note()

    def booted(self) -> None:
        self._batch.boot = True
        self._note()

    def _note(self) -> None:
        now = asyncio.get_running_loop().time()
        if not self._batch.reports:
            self._first = now
        self._last = now
        self._batch.reports += 1
        self._arrived.set()

    def take(self) -> Batch:
        """Everything pending, at once (a full read is about to cover it)."""
        batch, self._batch = self._batch, Batch()
        return batch

    def put_back(self, batch: Batch) -> None:
        """A batch that could not be handled (the PBX was unreachable) is pending again."""
        for kind, keys in batch.keys.items():
            for key in keys:
                self.changed(kind, key)
        for kind in batch.whole:
            self._batch.keys.pop(kind, None)
            self._batch.whole.add(kind)
        if batch.boot:
            self.booted()

    async def next(self, timeout: float) -> Batch | None:
        """The next batch, once it has settled; None if nothing came within `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._batch:
            self._arrived.clear()
            if not await self._wait(deadline - loop.time()):
                return None
        # A BootUp is not waited on: the session is gone, and a full plan covers the rest.
        while not self._batch.boot:
            ready = min(self._last + self.settle, self._first + self.max_delay)
            if loop.time() >= ready:
                break
            self._arrived.clear()
            await self._wait(ready - loop.time())
        return self.take()

    async def _wait(self, seconds: float) -> bool:
        """Wait for a report for at most `seconds`; whether one came."""
        if seconds <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), seconds)
        return self._arrived.is_set()
