"""The webhook: retried a bounded number of times, in order, never forever."""

from __future__ import annotations

import json

import httpx
import pytest

from pbxconf.watch.metrics import WatchMetrics
from pbxconf.watch.notify import Notifier

pytestmark = pytest.mark.anyio


def hook(statuses: list[int], seen: list[dict[str, object]]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(statuses.pop(0) if statuses else 200)

    return httpx.MockTransport(answer)


def counted(metrics: WatchMetrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "pbxconf_watch_notifications_total", {"outcome": outcome}
    )
    return value or 0.0


async def test_a_failing_webhook_is_retried_then_given_up_on() -> None:
    seen: list[dict[str, object]] = []
    metrics = WatchMetrics()
    notifier = Notifier(
        "http://hook.test/",
        metrics,
        attempts=3,
        backoff=0.001,
        transport=hook([503, 502, 500, 503, 200], seen),
    )
    notifier.start()
    notifier.send({"event": "drift", "n": 1})  # 503, 502, 500: given up after 3 tries
    notifier.send({"event": "drift", "n": 2})  # 503, then 200
    await notifier.close(grace=5)
    assert [e["n"] for e in seen] == [1, 1, 1, 2, 2]
    assert (counted(metrics, "failed"), counted(metrics, "delivered")) == (1, 1)


async def test_a_refusing_webhook_is_not_retried() -> None:
    seen: list[dict[str, object]] = []
    metrics = WatchMetrics()
    notifier = Notifier("http://hook.test/", metrics, transport=hook([400], seen))
    notifier.start()
    notifier.send({"event": "plan"})
    await notifier.close(grace=5)
    assert len(seen) == 1 and counted(metrics, "failed") == 1


async def test_what_cannot_go_out_by_the_end_is_dropped_and_counted() -> None:
    metrics = WatchMetrics()
    notifier = Notifier(
        "http://hook.test/", metrics, attempts=1000, backoff=10, transport=hook([503] * 10, [])
    )
    notifier.start()
    for n in range(3):
        notifier.send({"event": "drift", "n": n})
    await notifier.close(grace=0.1)
    assert counted(metrics, "dropped") == 3
