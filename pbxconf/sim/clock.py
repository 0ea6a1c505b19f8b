"""The simulator's clock: monotonic time that tests can move forward."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SimClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._started = time.monotonic()

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def wall_text(self) -> str:
        stamp = datetime.fromtimestamp(time.time() + self._offset, UTC)
        return stamp.strftime("%Y-%m-%d %H:%M:%S UTC+0")

    def uptime_text(self) -> str:
        seconds = int(self.now() - self._started)
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{days}days {hours:02d}:{minutes:02d}:{secs:02d}"
