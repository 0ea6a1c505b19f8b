"""Where each event goes: a line on stdout (flushed: a pipe reads it at once), the
webhook, and the counters it moves."""

from __future__ import annotations

from collections.abc import Callable

from pbxconf.watch.events import WatchEvent
from pbxconf.watch.metrics import WatchMetrics
from pbxconf.watch.notify import Notifier


class EventOutput:
    def __init__(
        self,
        fmt: str,
        write_line: Callable[[str], None],
        metrics: WatchMetrics,
        notifier: Notifier | None = None,
    ) -> None:
        self.fmt = fmt
        self.write_line = write_line
        self.metrics = metrics
        self.notifier = notifier

    def __call__(self, event: WatchEvent) -> None:
        self.write_line(event.line(self.fmt))
        if event.event == "drift" and event.kind:
            self.metrics.drifts.labels(event.kind).inc()
        elif event.event == "unmanaged" and event.kind:
            self.metrics.unmanaged.labels(event.kind, event.extra["operation"]).inc()
        if self.notifier is not None:
            self.notifier.send(event.to_json())
