"""Reading the live PBX into a State, with the fewest calls the API allows: one bulk query
per kind, run concurrently (the client bounds the concurrency); wake-up calls for every
extension in one comma-list query, falling back to one query per extension where a PBX
answers a list query with a failure or for one extension only.

Waiting on the PBX is kept to its round trips: answers are decoded as they arrive, in
slices; between two slices the wake-up query goes out the moment the extension numbers
are in (it is the one query that must wait for another), and a plan that will not be
applied logs out as soon as the last answer is in, and is worked out while the logout
travels."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pbxconf.api import ApiError, PbxClient
from pbxconf.bulk import collector_paused
from pbxconf.kinds import KINDS, Kind
from pbxconf.kinds.fields import DecodeError
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, make_plan
from pbxconf.state import State

log = logging.getLogger("pbxconf.live")

# Extensions per wake-up query. 5,000 numbers make a body of about 25 KB, which an
# embedded web server takes; a PBX that large is rare, so one call is the usual case.
WAKEUP_BATCH = 5000


# Answers that arrive together are decoded in the kinds' order, so a State is the same
# whatever the timing.
KIND_ORDER = {name: i for i, name in enumerate(KINDS)}

# Added by firmware 81.8.0.42 (the manual's changelog); older PBXes answer 10003.
NEWER_ENDPOINTS = ("siptrunk/query", "inroute/query", "outroute/query")


class LiveReadError(Exception):
    """The PBX answered something pbxconf cannot understand as configuration."""


async def read_live(
    client: PbxClient,
    kinds: Iterable[str] | None = None,
    *,
    answered: Callable[[], Awaitable[object] | None] | None = None,
) -> State:
    """The live PBX as a State. `answered`, if given, is called once every answer is in,
    before the last ones are decoded: from then on the session is not needed. What it
    returns, if anything, is awaited before decoding goes on (e.g. a request going out)."""
    wanted = tuple(kinds) if kinds is not None else tuple(KINDS)
    state = State(kinds=wanted)
    reading = _Reading(client, wanted, answered)  # its queries start now
    try:
        with collector_paused():
            await reading.decode_into(state)
    except ApiError as err:
        if err.errno == "10003" and err.call in NEWER_ENDPOINTS:
            raise LiveReadError(
                f"{err}. The SIP trunk and route endpoints need PBX firmware 81.8.0.42 or "
                "later: check it with `pbxconf info`"
            ) from None
        raise
    finally:
        await reading.stop()
    return state


class _Reading:
    """One read of the live PBX: its queries, decoded in the order they answer, and what
    goes out between slices of decoding (the wake-up query, once the extension numbers
    are in; the `answered` call, once every answer is)."""

    def __init__(
        self,
        client: PbxClient,
        wanted: tuple[str, ...],
        answered: Callable[[], Awaitable[object] | None] | None,
    ) -> None:
        self.client = client
        self.wanted = wanted
        self.answered = answered
        # The extension query goes last: a PBX that answers one request at a time then
        # answers the small queries first, and they are decoded while it works out the
        # extensions (the one answer the wake-up query waits for).
        readers = {
            "trunk": client.query_trunks,
            "inbound_route": client.query_inroutes,
            "outbound_route": client.query_outroutes,
            "ivr": client.query_ivrs,
            "queue": client.query_queues,
            "extension": client.query_extensions,
        }
        needs_extensions = "wakeup_call" in wanted
        jobs = [k for k in readers if k in wanted or (k == "extension" and needs_extensions)]
        self.queries: dict[asyncio.Future[list[dict[str, Any]]], str] = {
            asyncio.ensure_future(readers[k]()): k for k in jobs
        }
        # The query whose numbers the wake-up query waits for, until that one is sent.
        self.numbers_from = next(
            (q for q, k in self.queries.items() if k == "extension" and needs_extensions), None
        )
        self.all_in = False

    async def decode_into(self, state: State) -> None:
        decoded: set[asyncio.Future[list[dict[str, Any]]]] = set()
        while True:
            await self.tend()
            ready = [q for q in self.queries if q.done() and q not in decoded]
            if not ready:
                waiting = [q for q in self.queries if not q.done()]
                if not waiting:
                    return
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                continue
            # Answers that arrived together go in the kinds' order: the same State
            # whatever the timing.
            query = min(ready, key=lambda q: KIND_ORDER[self.queries[q]])
            decoded.add(query)
            kind_name = self.queries[query]
            records = query.result()  # raises what the query raised
            if kind_name in self.wanted:
                await _decode_into(state, KINDS[kind_name], records, self.tend)

    async def tend(self) -> None:
        """Between slices of decoding: let the network run, and send what can go now. The
        wake-up query is the one query that must wait for another, so it goes out the
        moment the extension numbers are in, whatever is being decoded."""
        await asyncio.sleep(0)
        await self.client.until_received()
        if self.numbers_from is not None and self.numbers_from.done():
            records = self.numbers_from.result()
            self.numbers_from = None
            numbers = [str(r.get("extnumber", "")) for r in records]
            sent = asyncio.Event()
            wakeups = asyncio.ensure_future(read_wakeups(self.client, numbers, sent=sent))
            self.queries[wakeups] = "wakeup_call"
            await _until_sent(sent, wakeups)
        if not self.all_in and self.numbers_from is None and all(q.done() for q in self.queries):
            self.all_in = True
            if self.answered is not None:
                waiting = self.answered()
                if waiting is not None:
                    await waiting

    async def stop(self) -> None:
        """Cancel what is still running (after a failure), and wait until it has ended."""
        pending = [q for q in self.queries if not q.done()]
        for query in pending:
            query.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def plan_and_log_out(
    client: PbxClient, desired: Desired, options: PlanOptions
) -> tuple[Plan, State]:
    """Read the PBX and plan, for a plan that is only shown or saved: the session is not
    needed once the last answer is in, so the logout goes out then, and the last answers
    are decoded and the plan worked out while it is on the wire; its round trip then
    costs no time. The live State comes back with the plan so that the caller frees it
    after showing the plan: freeing 6,000 objects takes milliseconds nobody should wait
    for."""
    sent = asyncio.Event()
    closing: list[asyncio.Future[None]] = []

    def log_out() -> Awaitable[None]:
        closing.append(asyncio.ensure_future(client.close(sent=sent)))
        return _until_sent(sent, closing[0])

    try:
        live = await read_live(client, answered=log_out)  # logs out once all is in
        if not closing:  # nothing was read
            await log_out()
        return make_plan(desired, live, options), live
    finally:
        if closing:
            await closing[0]


async def _until_sent(sent: asyncio.Event, call: asyncio.Future[Any]) -> None:
    """Wait until a call's request is written (then CPU work cannot hold it back), or the
    call has ended: `sent` is set over TCP only, not by an in-process transport."""
    on_wire = asyncio.ensure_future(sent.wait())
    either: set[asyncio.Future[Any]] = {call, on_wire}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    on_wire.cancel()


# Records decoded between two looks at the network: answers that arrived meanwhile, and
# requests waiting to be sent, are dealt with every few milliseconds.
DECODE_SLICE = 64


async def _decode_into(
    state: State,
    kind: Kind,
    records: list[dict[str, Any]],
    between: Callable[[], Awaitable[None]],
) -> None:
    for index, record in enumerate(records):
        if index % DECODE_SLICE == DECODE_SLICE - 1:
            await between()
        try:
            obj = kind.decode(record)
        except DecodeError as err:
            raise LiveReadError(
                f"{kind.query_endpoint}: the PBX answered {_a(kind.title)} "
                f"{kind.describe_record(record)} pbxconf cannot read: {err}"
            ) from None
        state.add(kind.name, obj, kind.wire_id(record))


def _a(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" or noun.startswith("IVR") else "a ") + noun


async def read_wakeups(
    client: PbxClient, extensions: list[str], *, sent: asyncio.Event | None = None
) -> list[dict[str, Any]]:
    """Wake-up records, each with its `extid`, for the given extensions. `sent` is set once
    the (first) query is on the wire."""
    batches = [extensions[i : i + WAKEUP_BATCH] for i in range(0, len(extensions), WAKEUP_BATCH)]
    results = await asyncio.gather(*(_wakeup_batch(client, batch, sent) for batch in batches))
    return [record for batch in results for record in batch]


async def _wakeup_batch(
    client: PbxClient, extensions: list[str], sent: asyncio.Event | None
) -> list[dict[str, Any]]:
    if not extensions:
        return []
    try:
        groups = await client.query_wakeups(extensions, sent=sent)
        answered = {str(g.get("extid")) for g in groups}
        if len(extensions) == 1 or answered >= set(extensions):
            return _flatten_wakeups(groups)
        log.debug(
            "wakeupcall/query answered %d of %d extensions; querying one at a time",
            len(answered),
            len(extensions),
        )
    except ApiError as err:
        log.debug("wakeupcall/query with a list failed (%s); querying one at a time", err)
    results = await asyncio.gather(*(client.query_wakeups([ext]) for ext in extensions))
    return [record for groups in results for record in _flatten_wakeups(groups)]


def _flatten_wakeups(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**item, "extid": str(group.get("extid"))}
        for group in groups
        for item in group.get("wakeup", []) or []
        if isinstance(item, dict)
    ]
