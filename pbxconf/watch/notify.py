"""`--notify URL`: each event's JSON POSTed to a webhook, in order, retried a bounded
number of times, never holding the watch up.

Events wait in a bounded queue (the oldest is dropped, and counted, when a webhook has
been down so long that it fills); one task delivers them. A 2xx answer is delivery; a
4xx other than 408 and 429 is the webhook refusing that event (not retried); anything
else, or no answer, is retried with exponential backoff, `attempts` times in all. On
stop, what is queued gets a few seconds to go out.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from typing import Any

import httpx

from pbxconf import __version__
from pbxconf.redact import mask
from pbxconf.watch.metrics import WatchMetrics

log = logging.getLogger("pbxconf.watch")

QUEUE_MAX = 1000


class Notifier:
    def __init__(
        self,
        url: str,
        metrics: WatchMetrics,
        *,
        attempts: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.metrics = metrics
        self.attempts = attempts
        self.backoff = backoff
        self.backoff_max = backoff_max
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": f"pbxconf-watch/{__version__}"},
        )
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._warned = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pbxconf-watch-notify")

    def send(self, payload: dict[str, Any]) -> None:
        if len(self._queue) >= QUEUE_MAX:
            self._queue.popleft()
            self.metrics.notifications.labels("dropped").inc()
        self._queue.append(payload)
        self._ready.set()

    async def _run(self) -> None:
        while True:
            while not self._queue:
                self._ready.clear()
                await self._ready.wait()
            payload = self._queue[0]
            delivered = await self._deliver(payload)
            if self._queue and self._queue[0] is payload:
                self._queue.popleft()
            self.metrics.notifications.labels("delivered" if delivered else "failed").inc()

    async def _deliver(self, payload: dict[str, Any]) -> bool:
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self._http.post(self.url, json=payload)
            except httpx.HTTPError as err:
                problem = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            else:
                if response.is_success:
                    self._warned = False
                    return True
                problem = f"HTTP {response.status_code}"
                if response.is_client_error and response.status_code not in (408, 429):
                    self._warn(f"the webhook refused a {payload.get('event')} event ({problem})")
                    return False
            if attempt < self.attempts:
                step = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
                await asyncio.sleep(step / 2 + step / 2 * random.random())
        event = payload.get("event")
        self._warn(f"a {event} event was not delivered after {self.attempts} tries ({problem})")
        return False

    def _warn(self, text: str) -> None:
        # Once per outage: a webhook that is down must not flood the log.
        if not self._warned:
            log.warning("--notify %s: %s", mask(self.url), text)
            self._warned = True

    async def close(self, grace: float = 5.0) -> None:
        """Let what is queued go out for up to `grace` seconds, then stop."""
        if self._task is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + grace
            while self._queue and loop.time() < deadline and not self._task.done():
                await asyncio.sleep(0.05)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            for _ in self._queue:
                self.metrics.notifications.labels("dropped").inc()
            self._queue.clear()
        await self._http.aclose()
