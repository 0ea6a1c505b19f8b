"""The watch's Prometheus metrics, served on the listener at `/metrics`.

A registry of its own (not the library's global one): nothing else in the process adds to
it, and each watch (each test) counts from zero. The API calls come from the client's own
counts, read when scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

SESSION_STATES = ["starting", "active", "unreachable", "locked", "stopped"]


class _ApiCalls(Collector):
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "pbxconf_watch_api_calls",
            "API calls made to the PBX, by endpoint (logins and refreshes included).",
            labels=["endpoint"],
        )
        for endpoint, count in sorted(self._counts().items()):
            family.add_metric([endpoint], count)
        yield family


class WatchMetrics:
    def __init__(self, api_calls: Callable[[], dict[str, int]] | None = None) -> None:
        r = self.registry = CollectorRegistry()
        self.reports = Counter(
            "pbxconf_watch_reports_received",
            "Event reports received from the PBX and believed, by action.",
            ["action"],
            registry=r,
        )
        self.ignored = Counter(
            "pbxconf_watch_reports_ignored",
            "Reports ignored: `sn` (another PBX), `source` (not the PBX's address), `malformed`.",
            ["reason"],
            registry=r,
        )
        self.drifts = Counter(
            "pbxconf_watch_drifts_found",
            "Drift found: an object that newly differs from the manifests, by kind.",
            ["kind"],
            registry=r,
        )
        self.drifted = Gauge(
            "pbxconf_watch_drifted_objects",
            "Objects that differ from the manifests now.",
            registry=r,
        )
        self.unmanaged = Counter(
            "pbxconf_watch_unmanaged_changes",
            "Objects no manifest names that appeared (add) or went (del), by kind.",
            ["kind", "operation"],
            registry=r,
        )
        self.checks = Counter(
            "pbxconf_watch_targeted_checks",
            "Batches of reports handled by re-reading the objects they name.",
            registry=r,
        )
        self.full_plans = Counter(
            "pbxconf_watch_full_plans",
            "Full plans (every kind read), by reason.",
            ["reason"],
            registry=r,
        )
        self.last_full_plan = Gauge(
            "pbxconf_watch_last_full_plan_timestamp_seconds",
            "When the last full plan was made (Unix time).",
            registry=r,
        )
        self.session = Enum(
            "pbxconf_watch_session_state",
            "The session with the PBX.",
            states=SESSION_STATES,
            registry=r,
        )
        self.heals = Counter(
            "pbxconf_watch_heals",
            "Objects --heal tried to bring back to the manifests, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.breaker_open = Gauge(
            "pbxconf_watch_heal_breaker_open",
            "1 while the circuit breaker stops --heal (too many heals in an interval).",
            registry=r,
        )
        self.notifications = Counter(
            "pbxconf_watch_notifications",
            "Events posted to --notify, by outcome (delivered, failed, dropped).",
            ["outcome"],
            registry=r,
        )
        if api_calls is not None:
            r.register(_ApiCalls(api_calls))

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
