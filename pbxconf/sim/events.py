"""Event reports the simulated PBX pushes to the address registered at login.

The manual: the PBX POSTs JSON to the reporting server and repeats a report until it is
answered 200 OK. The simulator repeats a bounded number of times and only ever sends to a
loopback address, so a test can never make it reach out to another host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("pbxconf.sim.events")


def report_url(client_ip: str, port: str, url: str, urltag: str) -> str:
    """Where the manual says reports go: urltag 1 = `url` is absolute, else relative."""
    if urltag == "1" and url:
        return url if "://" in url else f"http://{url}"
    path = url.lstrip("/")
    host = f"[{client_ip}]" if ":" in client_ip else client_ip
    return f"http://{host}:{port}/{path}"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Delivery:
    url: str
    report: dict[str, Any]
    attempts: int = 0
    delivered: bool = False
    refused: str = ""


@dataclass
class EventPusher:
    attempts: int = 5
    backoff: float = 0.2
    enabled: bool = True
    log: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # One report at a time per listener, so reports arrive in the order they happened.
    _lanes: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lost(self, report: dict[str, Any]) -> None:
        """A report the PBX never sends (a `drop` fault): logged, so a test can see it."""
        self.log.append(Delivery("", report, refused="dropped by a fault"))

    def push(self, url: str, report: dict[str, Any]) -> None:
        delivery = Delivery(url, report)
        self.log.append(delivery)
        if not is_loopback(url):
            delivery.refused = "the simulator sends reports to loopback addresses only"
            return
        if not self.enabled:
            delivery.refused = "event reports are switched off"
            return
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery) -> None:
        lane = self._lanes.setdefault(delivery.url, asyncio.Lock())
        async with lane, httpx.AsyncClient(timeout=2.0) as http:
            while delivery.attempts < self.attempts:
                delivery.attempts += 1
                try:
                    response = await http.post(
                        delivery.url,
                        json=delivery.report,
                        headers={"User-Agent": "WebAPI", "Accept": "application/json"},
                    )
                    if response.status_code == 200:
                        delivery.delivered = True
                        return
                except httpx.HTTPError as err:
                    log.debug("report to %s failed: %s", delivery.url, err)
                await asyncio.sleep(self.backoff * delivery.attempts)

    async def drain(self) -> None:
        """Wait for the reports under way (tests), bounded by the retry schedule."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.drain()
