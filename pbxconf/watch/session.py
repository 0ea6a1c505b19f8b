"""Keeping the session with the PBX open for as long as the watch runs.

The PBX's reports go to the session's registration and stop when its token expires (the
changelog), so a lapsed session is a deaf watch. The keeper:
- refreshes the token before it expires even while no call is made (the client refreshes
  only when a call is made);
- lets the client log in again when the PBX refuses the token (a restart), which renews
  the registration: the watch then plans in full, since reports may have been lost;
- backs off while the PBX is unreachable (exponentially, up to a minute), says so once,
  and says so again when it answers;
- waits out a locked IP (five wrong passwords lock it for ten minutes) rather than add to
  the lock, and never repeats a login the PBX refused: a wrong password ends the watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pbxconf.api import (
    LoginLocked,
    PbxClient,
    ProtocolError,
    ServiceUnavailable,
    TransportError,
)
from pbxconf.watch.events import WatchEvent, plain
from pbxconf.watch.metrics import WatchMetrics

log = logging.getLogger("pbxconf.watch")

T = TypeVar("T")

# How long a locked IP stays locked (the manual: ten minutes).
LOCK_SECONDS = 10 * 60


class Stopped(Exception):
    """The watch was asked to stop while waiting on the PBX."""


class SessionKeeper:
    def __init__(
        self,
        client: PbxClient,
        emit: Callable[[WatchEvent], None],
        metrics: WatchMetrics,
        stop: asyncio.Event,
        *,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        poll: float = 60.0,
    ) -> None:
        self.client = client
        self.emit = emit
        self.metrics = metrics
        self.stop = stop
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        # The keep-alive looks at the token at least this often (seconds): a clock that
        # jumped (a suspended machine) is noticed within it.
        self.poll = poll
        self.state = "starting"
        # Outages so far: after one, reports may have been lost, and the watch plans in full.
        self.outages = 0
        self._down_since = 0.0

    async def guard(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run `operation` until the PBX answers it, backing off while it is unreachable.
        Raises Stopped when the watch stops meanwhile, and what the PBX refused."""
        attempt = 0
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                result = await operation()
            except LoginLocked as err:
                self._enter("locked", f"{err.message}; trying again in 10 minutes")
                await self._pause(LOCK_SECONDS)
                continue
            except (TransportError, ServiceUnavailable, ProtocolError) as err:
                attempt += 1
                step = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
                delay = step / 2 + step / 2 * random.random()
                self._enter(
                    "unreachable",
                    f"the PBX does not answer ({err}); trying again with backoff (up to "
                    f"{self.backoff_max:g}s between tries)",
                )
                log.info("%s; next try in %.1fs", err, delay)
                await self._pause(delay)
                continue
            if self.state != "active":
                self._enter("active", self._back_text())
            return result

    def _back_text(self) -> str:
        if self.state == "starting":
            return "logged in; the PBX reports to the listener"
        down = time.monotonic() - self._down_since
        return f"the PBX answers again (after {down:.0f}s); planning in full"

    def _enter(self, state: str, text: str) -> None:
        if state == self.state:
            return
        if state in ("unreachable", "locked") and self.state not in ("unreachable", "locked"):
            self.outages += 1
            self._down_since = time.monotonic()
        self.state = state
        self.metrics.session.state(state)
        self.emit(plain("session", f"{state}: {text}", state=state))

    async def _pause(self, seconds: float) -> None:
        """Sleep, or raise Stopped as soon as the watch stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)
        if self.stop.is_set():
            raise Stopped

    async def keep_alive(self) -> None:
        """Refresh the token before it expires, for as long as the watch runs."""
        with contextlib.suppress(Stopped):
            while True:
                due = self.client.refresh_due_in()
                if due > 0:
                    await self._pause(min(due, self.poll))
                    continue
                await self.guard(self.client.keep_fresh)
                # At least a moment between looks: keep_fresh refreshes strictly after
                # the due time.
                await self._pause(max(self.client.refresh_due_in(), 0.05))

    def stopped(self) -> None:
        self.state = "stopped"
        self.metrics.session.state("stopped")
