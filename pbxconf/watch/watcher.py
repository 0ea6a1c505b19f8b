"""The watch loop: keep the PBX and the manifests in agreement, and say when they are not.

    start        log in (registering the listener), read the PBX in full, plan: the
                 baseline (its drift is told; what is unmanaged then is not news)
    a report     ConfigChange: mark the object dirty; batches (coalescer.py) re-read just
                 those objects, plan them, tell the news (drift.py), heal (heal.py)
    BootUp       the PBX restarted: it forgot the session and the registration; log in
                 again and plan in full
    interval     a full plan every --interval: what the PBX never reports (routes, IVRs,
                 queues, wake-up calls) and any report that was lost
    new session  a login the client made by itself (a refused token), or the PBX back
                 after an outage: reports may have been lost, so plan in full
    SIGHUP       read the manifests again and plan in full
    stop         SIGINT/SIGTERM: the work in hand ends after the call in flight

One task does the work, one piece at a time: the calls it makes are the watch's only
calls besides the keep-alive's token refreshes. The listener only marks objects dirty.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pbxconf.api import LoginFailed, PbxClient
from pbxconf.apply import StopFlag
from pbxconf.errors import PbxconfError
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, SafetyRefusal, make_plan
from pbxconf.render.common import noun
from pbxconf.state import State
from pbxconf.watch.coalescer import Batch, Coalescer
from pbxconf.watch.drift import DriftTracker, Scope, everything
from pbxconf.watch.events import WatchEvent, plain
from pbxconf.watch.heal import Breaker, Healer
from pbxconf.watch.metrics import WatchMetrics
from pbxconf.watch.mirror import Ident, Mirror
from pbxconf.watch.options import WatchOptions
from pbxconf.watch.reports import BadReport, ReportGate, parse_report
from pbxconf.watch.session import SessionKeeper, Stopped

log = logging.getLogger("pbxconf.watch")


class Watcher:
    def __init__(
        self,
        client: PbxClient,
        desired: Desired,
        load: Callable[[], Desired],
        options: WatchOptions,
        emit: Callable[[WatchEvent], None],
        metrics: WatchMetrics,
        target: str,
    ) -> None:
        self.client = client
        self.desired = desired
        self.load = load  # the manifests again (SIGHUP), from the same secrets source
        self.options = options
        self.emit = emit
        self.metrics = metrics
        self.target = target
        self.gate = ReportGate(allow_from=list(options.allow_from))
        self.coalescer = Coalescer(options.settle, options.max_delay)
        self.tracker = DriftTracker()
        self.stop = asyncio.Event()
        self.stop_flag = StopFlag()
        self.reload = asyncio.Event()
        self.keeper = SessionKeeper(client, emit, metrics, self.stop)
        self.healer = (
            Healer(
                client,
                Breaker(options.heal_limit, options.interval, time.monotonic),
                metrics,
                options.prune,
                self.stop_flag,
            )
            if options.heal
            else None
        )
        self.mirror = Mirror(State())
        self.last_full_plan: float | None = None  # Unix time
        self.next_full_plan = 0.0  # loop time
        self._logins = 0
        self._outages = 0
        self._ignored_sources: set[str] = set()

    # ---- the listener's intake ---------------------------------------------------------

    def intake(self, body: bytes, source: str) -> None:
        """A POST to the listener: believed and marked dirty, or ignored and counted.
        Cheap and synchronous: the listener answers 200 right after."""
        try:
            report = parse_report(body)
        except BadReport as err:
            self.metrics.ignored.labels("malformed").inc()
            log.info("ignored a POST from %s: %s", source, err)
            return
        if not self.gate.sn:
            # Before the first full read, which covers whatever this says.
            self.metrics.reports.labels(report.action).inc()
            return
        refusal = self.gate.refusal(report, source)
        if refusal is not None:
            self.metrics.ignored.labels(refusal).inc()
            self._say_ignored(refusal, source, report.sn)
            return
        self.metrics.reports.labels(report.action).inc()
        if report.action == "BootUp":
            self.coalescer.booted()
        elif report.kind is not None and report.key is not None:
            self.coalescer.changed(report.kind, report.key)

    def _say_ignored(self, refusal: str, source: str, sn: str | None) -> None:
        """Once per source: a PBX that is not let in repeats itself."""
        said = f"{refusal} {source}"
        if said in self._ignored_sources or len(self._ignored_sources) > 100:
            return
        self._ignored_sources.add(said)
        if refusal == "source":
            log.warning(
                "ignored a report from %s: not the PBX's address. If the PBX reaches the "
                "listener through NAT or a proxy, add --allow-from %s",
                source,
                source,
            )
        else:
            log.warning(
                "ignored a report from %s for another PBX (sn %r; the watched PBX is %r)",
                source,
                sn,
                self.gate.sn,
            )

    # ---- health --------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        fresh = self.last_full_plan is not None and (
            time.time() - self.last_full_plan < 2 * self.options.interval + 60
        )
        healthy = self.keeper.state == "active" and fresh
        return healthy, {
            "status": "ok" if healthy else "unhealthy",
            "session": self.keeper.state,
            "last_full_plan": _iso(self.last_full_plan),
            "drifted": len(self.tracker.known),
            "pbx": self.gate.sn or None,
        }

    # ---- the loop --------------------------------------------------------------------------

    async def run(self) -> None:
        """Watch until `stop` is set. What the PBX refuses outright (a wrong password, a
        firmware without the trunk and route API at the start) ends it with the error."""
        keep_alive: asyncio.Task[None] | None = None
        try:
            device = await self.keeper.guard(self.client.device_info)
            self.gate.sn = str(device.get("sn") or "")
            await self._resolve_pbx()
            self.emit(self._start_event(device))
            keep_alive = asyncio.create_task(self.keeper.keep_alive())
            keep_alive.add_done_callback(lambda _: self.stop.set())  # it ends on failure only
            await self._full_plan("start", fatal=True)
            while not self.stop.is_set():
                await self._step()
        except Stopped:
            pass
        finally:
            self.stop.set()
            if keep_alive is not None:
                await keep_alive  # ends after the call it may have in flight; raises its error

    async def _step(self) -> None:
        if self.reload.is_set():
            self.reload.clear()
            if self._reload_manifests():
                await self._full_plan("reload")
            return
        if self.client.logins != self._logins:
            await self._full_plan("relogin")
            return
        if self.keeper.outages != self._outages:
            await self._full_plan("reconnect")
            return
        wait = self.next_full_plan - asyncio.get_running_loop().time()
        if wait <= 0:
            await self._full_plan("interval")
            return
        batch = await self._next_batch(wait)
        if batch is None:
            return
        if batch.boot:
            await self.keeper.guard(self.client.relogin)
            self.emit(
                plain("session", "active: logged in again after the PBX restarted", state="active")
            )
            await self._full_plan("bootup")
            return
        try:
            await self._check(batch)
        except LoginFailed:
            raise
        except PbxconfError as err:
            # An answer the watch cannot use (not a PBX that is away: the keeper waits
            # that out): say so, and read everything.
            self.emit(plain("error", f"re-reading what the PBX reported failed: {err}"))
            self.next_full_plan = 0.0

    async def _next_batch(self, timeout: float) -> Batch | None:
        """The next batch of reports, or None when the time is up, or on stop or reload."""
        waiting = asyncio.ensure_future(self.coalescer.next(timeout))
        stop = asyncio.ensure_future(self.stop.wait())
        reload = asyncio.ensure_future(self.reload.wait())
        done, _ = await asyncio.wait({waiting, stop, reload}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiting, stop, reload):
            if task not in done:
                task.cancel()
        return waiting.result() if waiting in done else None

    # ---- a full plan ------------------------------------------------------------------------

    async def _full_plan(self, reason: str, *, fatal: bool = False) -> None:
        self.coalescer.take()  # what is pending, this read covers
        calls = sum(self.client.calls.values())
        loop = asyncio.get_running_loop()
        try:
            live = await self.keeper.guard(lambda: read_live(self.client))
        except LoginFailed:
            raise  # never tried again: five wrong passwords lock the IP out
        except PbxconfError as err:
            if fatal:
                raise
            self.emit(plain("error", f"full plan ({reason}) failed: {err}", reason=reason))
            self.next_full_plan = loop.time() + self.options.interval
            return
        finally:
            self._logins = self.client.logins
            self._outages = self.keeper.outages
        self.mirror = Mirror(live)
        await self._resolve_pbx()
        plan = make_plan(self.desired, live, PlanOptions(prune=self.options.prune))
        self._tell(
            self.tracker.reconcile(
                everything, plan.changes, self._unmanaged(), reason, self._pruning
            )
        )
        await self._heal(plan, everything)
        self.last_full_plan = time.time()
        self.next_full_plan = loop.time() + self.options.interval
        self.metrics.full_plans.labels(reason).inc()
        self.metrics.last_full_plan.set(self.last_full_plan)
        self.emit(self._plan_event(plan, reason, sum(self.client.calls.values()) - calls))

    def _plan_event(self, plan: Plan, reason: str, calls: int) -> WatchEvent:
        drifted = len(self.tracker.known)
        unmanaged: dict[str, int] = {}
        for kind, _ in sorted(self.tracker.unmanaged or (), key=lambda i: KINDS.position(i[0])):
            section = KINDS[kind].section
            unmanaged[section] = unmanaged.get(section, 0) + 1
        parts = [f"{drifted} drifted"]
        if unmanaged:
            counted = ", ".join(f"{n} {noun(section, n)}" for section, n in unmanaged.items())
            parts.append(f"{sum(unmanaged.values())} unmanaged ({counted})")
        else:
            parts.append("0 unmanaged")
        if plan.manual:
            parts.append(f"{len(plan.manual)} to do by hand")
        text = f"({reason}): " + ", ".join(parts) + f"; {calls} API call(s)"
        if plan.errors:
            text += "; the plan has errors: " + "; ".join(plan.errors)
        return plain(
            "plan",
            text,
            reason=reason,
            drifted=drifted,
            unmanaged=unmanaged,
            manual=len(plan.manual),
            calls=calls,
            errors=[str(e) for e in plan.errors],
        )

    # ---- a batch of reports ---------------------------------------------------------------

    async def _check(self, batch: Batch) -> None:
        """Re-read what the batch names (one call per kind), plan it, tell the news."""
        self.metrics.checks.inc()
        asked: dict[str, set[str] | None] = {**batch.keys, **dict.fromkeys(batch.whole)}
        # The kinds' reads go out together; each is laid over the mirror as it lands.
        read = await asyncio.gather(
            *(
                self.keeper.guard(
                    functools.partial(self.mirror.reread, self.client, KINDS[k], keys)
                )
                for k, keys in asked.items()
            )
        )
        whole = {kind for kind, keys in zip(asked, read, strict=True) if keys is None}
        named = {
            (kind, (key,)) for kind, keys in zip(asked, read, strict=True) for key in keys or ()
        }
        # A report names an object by its name on the PBX: a manifest may name it anew.
        renamed = {
            (kind, new) for (kind, new), old in self.desired.renames.items() if (kind, old) in named
        }

        def scope(ident: Ident) -> bool:
            return ident[0] in whole or ident in named or ident in renamed

        declared = {
            (kind, key)
            for kind in {*whole, *(k for k, _ in named)}
            for key in self.desired.state.objects[kind]
        }
        unmanaged = self._unmanaged()
        targets = {i for i in declared if scope(i)}
        targets |= {i for i in unmanaged if scope(i) and self._pruning(i[0])}
        plan = Plan()
        if targets:
            options = PlanOptions(prune=self.options.prune, targets=sorted(targets))
            plan = make_plan(self.desired, self.mirror.state, options)
        self._tell(self.tracker.reconcile(scope, plan.changes, unmanaged, "report", self._pruning))
        await self._heal(plan, scope)

    # ---- healing ------------------------------------------------------------------------------

    async def _heal(self, plan: Plan, scope: Scope) -> None:
        if self.healer is None or self.stop.is_set():
            return
        found = [c for c in plan.changes if scope(c.ident)]
        refused = [e for e in plan.errors if isinstance(e, SafetyRefusal)]
        # Not under the keeper's guard: a heal is never repeated as a whole (its writes
        # may have landed); what it could not finish, it reports.
        outcome = await self.healer.heal(self.desired, self.mirror, found, refused)
        self._tell(outcome.events)
        if outcome.unread:
            self.next_full_plan = 0.0
        self.tracker.forget(outcome.healed)
        self.tracker.gone(outcome.deleted)
        if outcome.targets:
            in_heal = outcome.targets.__contains__
            self._tell(
                self.tracker.reconcile(
                    in_heal, outcome.after, self._unmanaged(), "heal", self._pruning
                )
            )

    # ---- helpers ------------------------------------------------------------------------------

    def _tell(self, events: list[WatchEvent]) -> None:
        for event in events:
            self.emit(event)
        self.metrics.drifted.set(len(self.tracker.known))

    def _unmanaged(self) -> set[Ident]:
        return self.mirror.unmanaged(self.desired)

    def _pruning(self, kind: str) -> bool:
        k = KINDS[kind]
        return k.can_delete and (self.options.prune or self.desired.settings.prunes(k.section))

    def _reload_manifests(self) -> bool:
        try:
            self.desired = self.load()
        except PbxconfError as err:
            lines = [*err.details(), err.summary]
            self.emit(
                plain(
                    "error",
                    "SIGHUP: the manifests did not load; still watching with the ones loaded "
                    "before: " + " | ".join(lines),
                    reason="reload",
                )
            )
            return False
        return True

    async def _resolve_pbx(self) -> None:
        """The PBX's addresses, which its reports come from (looked up again at each full
        plan: a cloud PBX's name may move)."""
        host = urlsplit(self.client.base_url).hostname or ""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError as err:
            log.warning(
                "cannot look up %s (%s); reports are taken from --allow-from only", host, err
            )
            return
        addresses = set()
        for info in infos:
            text = str(info[4][0]).split("%")[0]
            addresses.add(ipaddress.ip_address(text))
        self.gate.pbx_addresses = addresses

    def _start_event(self, device: dict[str, Any]) -> WatchEvent:
        opts = self.options
        where = f"reports on {opts.describe_listener()}"
        if opts.advertise:
            where += f" (the PBX is given {opts.advertise})"
        heal = f"; --heal (at most {opts.heal_limit} per interval)" if opts.heal else ""
        text = (
            f"watching {self.target} ({device.get('devicename', '?')}, SN {self.gate.sn}, "
            f"firmware {device.get('firmwarever', '?')}); {where}; full plan every "
            f"{_duration(opts.interval)}{heal}"
        )
        return plain(
            "start",
            text,
            pbx=self.gate.sn,
            target=self.target,
            listen=opts.describe_listener(),
            advertise=opts.advertise,
            interval=opts.interval,
            heal=opts.heal,
        )

    async def close(self, signal_name: str) -> None:
        """Log out; tell that the watch stopped."""
        self.keeper.stopped()
        await self.client.close()
        if signal_name:
            self.emit(plain("stop", f"{signal_name}: stopped; logged out", signal=signal_name))


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
