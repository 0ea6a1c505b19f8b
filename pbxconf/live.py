"""Reading the live PBX into a State, with the fewest calls the API allows: one bulk query
per kind, run concurrently (the client bounds the concurrency); a kind read by another's
identities (wake-up calls, by extension number) in one comma-list query, falling back to
one query per identity where a PBX answers a list query with a failure or for some
identities only. What each kind's query is, is the kind's declaration (`Kind.query`).

Waiting on the PBX is kept to its round trips: answers are decoded as they arrive, in
slices; between two slices a dependent query goes out the moment the identities it needs
are in, and the `answered` hook runs as soon as the last answer is in (a plan that will not
be applied logs out then, see session.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from pbxconf.api import ApiError, PbxClient, ProtocolError
from pbxconf.bulk import collector_paused
from pbxconf.errors import PbxconfError
from pbxconf.kinds import KINDS, Key, Kind
from pbxconf.kinds.fields import DecodeError
from pbxconf.kinds.query import AnswerShapeError
from pbxconf.state import State, Unreadable

log = logging.getLogger("pbxconf.live")

WireRecord = dict[str, Any]

# Added by firmware 81.8.0.42 (the manual's changelog); older PBXes answer 10003.
NEWER_ENDPOINTS = ("siptrunk/query", "inroute/query", "outroute/query")


class LiveReadError(PbxconfError):
    """The PBX answered something pbxconf cannot understand as configuration."""


async def read_records(
    client: PbxClient,
    kind: Kind,
    keys: Sequence[str] | None = None,
    *,
    sent: asyncio.Event | None = None,
) -> list[WireRecord]:
    """A kind's wire records: all of them, or those of some identities. `sent` is set once
    the (first) query is on the wire. A kind that is listed first (extensions) is listed,
    then asked for a slice at a time."""
    query = kind.query
    if keys is None and query.listed_by is not None:
        keys = await list_identities(client, kind, sent=sent)
        sent = None
    if keys is None or not query.batch:
        return await _query(client, kind, keys, sent)
    results = await asyncio.gather(
        *(_query(client, kind, part, sent) for part in slices(kind, keys))
    )
    return [record for part in results for record in part]


def slices(kind: Kind, keys: Sequence[str]) -> list[list[str]]:
    """The identities of a kind's queries: `Query.batch` at a time."""
    size = kind.query.batch or max(len(keys), 1)
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


async def list_identities(
    client: PbxClient, kind: Kind, *, sent: asyncio.Event | None = None
) -> list[str]:
    """The identities of every object of a listed kind, from its listing query."""
    listing = kind.query.listed_by
    assert listing is not None
    answer = await client.call(listing.endpoint, {}, write=False, sent=sent)
    key = next((k for k in listing.answer if k in answer), listing.answer[0])
    records = answer.get(key)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ProtocolError(listing.endpoint, f"the answer has no `{key}` list of objects")
    keys = []
    for record in records:
        identity = kind.identity_of(record)
        if identity is None:
            raise LiveReadError(
                f"{listing.endpoint}: the PBX listed {_a(kind.title)} "
                f"{kind.describe_record(record)} pbxconf cannot read: it does not say "
                f"which {kind.title} it is (no {', '.join(_identity_keys(kind))})"
            )
        keys.append(identity[0])
    return keys


async def _query(
    client: PbxClient, kind: Kind, keys: Sequence[str] | None, sent: asyncio.Event | None
) -> list[WireRecord]:
    query = kind.query
    if keys is not None and not keys:
        return []
    try:
        answer = await client.call(query.endpoint, query.body(keys), write=False, sent=sent)
        records = query.records(answer)
        if keys is not None:
            query.check_asked(records, keys, kind.identity_of)
        if not query.one_by_one_fallback or keys is None or len(keys) == 1:
            return records
        answered = query.answered(answer)
        if answered >= set(keys):
            return records
        log.debug(
            "%s answered %d of %d %s; querying one at a time",
            query.endpoint,
            len(answered),
            len(keys),
            KINDS[query.after].section if query.after else "identities",
        )
    except AnswerShapeError as err:
        raise ProtocolError(query.endpoint, str(err)) from None
    except ApiError as err:
        if not query.one_by_one_fallback or keys is None or len(keys) == 1:
            raise
        log.debug("%s with a list failed (%s); querying one at a time", query.endpoint, err)
    results = await asyncio.gather(*(_query(client, kind, [key], None) for key in keys))
    return [record for batch in results for record in batch]


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
    goes out between slices of decoding (a listed kind's slices and a dependent query, once
    the identities they need are in; the `answered` call, once every answer is)."""

    def __init__(
        self,
        client: PbxClient,
        wanted: tuple[str, ...],
        answered: Callable[[], Awaitable[object] | None] | None,
    ) -> None:
        self.client = client
        self.wanted = wanted
        self.answered = answered
        dependents = [KINDS[name] for name in wanted if KINDS[name].query.after]
        needed = {kind.query.after for kind in dependents}
        read = [k for k in KINDS if (k in wanted or k in needed) and not KINDS[k].query.after]
        listed = [k for k in read if KINDS[k].query.listed_by]
        # Listings go out first: their answers are small, and the slices and dependent
        # queries that wait for them go out the moment they are in. What others wait for
        # and is read whole goes out last: a PBX that answers one request at a time then
        # answers the small queries first, which are decoded while it works.
        whole = [k for k in read if k not in listed]
        whole.sort(key=lambda k: k in needed)
        self.listings: dict[asyncio.Future[list[str]], str] = {
            asyncio.ensure_future(list_identities(client, KINDS[k])): k for k in listed
        }
        # Each query: its kind, and its place among the kind's slices (0 for a whole kind).
        self.queries: dict[asyncio.Future[list[WireRecord]], tuple[str, int]] = {
            asyncio.ensure_future(read_records(client, KINDS[k])): (k, 0) for k in whole
        }
        # Where each kind's identities come from: its listing, or its query for all.
        sources: dict[str, asyncio.Future[Any]] = {k: f for f, k in self.listings.items()}
        sources |= {k: f for f, (k, _) in self.queries.items()}
        # Dependent kinds, each waiting on where the identities it needs come from (and
        # whether that is a listing).
        self.waiting: list[tuple[Kind, asyncio.Future[Any], bool]] = [
            (kind, sources[kind.query.after], kind.query.after in listed)
            for kind in dependents
            if kind.query.after
        ]
        self.next_slice = dict.fromkeys(KINDS, 0)  # the slice of each kind decoded next
        # A listed kind's slices not asked for yet: (kind, index, identities).
        self.unasked: list[tuple[Kind, int, list[str]]] = []
        self.all_in = False

    async def decode_into(self, state: State) -> None:
        while True:
            await self.tend()
            ready = [
                q
                for q, (kind, index) in self.queries.items()
                if q.done() and index == self.next_slice[kind]
            ]
            if not ready:
                pending = [q for q in self._running() if not q.done()]
                if not pending:
                    return
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                continue
            # Answers that arrived together go in the kinds' order, a kind's slices in
            # theirs: the same State whatever the timing.
            query = min(ready, key=lambda q: KINDS.position(self.queries[q][0]))
            kind_name, _ = self.queries.pop(query)  # decoded answers are not kept
            self.next_slice[kind_name] += 1
            records = query.result()  # raises what the query raised
            if kind_name in self.wanted:
                await _decode_into(state, KINDS[kind_name], records, self.tend)

    async def tend(self) -> None:
        """Between slices of decoding: let the network run, and send what can go now. A
        listed kind's slices, and a dependent query, go out the moment the identities
        they need are in, whatever is being decoded."""
        await asyncio.sleep(0)
        await self.client.until_received()
        for listing in [f for f in self.listings if f.done()]:
            kind = KINDS[self.listings.pop(listing)]
            if kind.name in self.wanted:
                keys = listing.result()  # raises what the listing raised
                self.unasked += [(kind, i, part) for i, part in enumerate(slices(kind, keys))]
        await self._ask_slices()
        for kind, source, listed in [w for w in self.waiting if w[1].done()]:
            self.waiting.remove((kind, source, listed))
            source_kind = KINDS[kind.query.after or ""]
            keys = (
                source.result()
                if listed
                else [key[0] for r in source.result() if (key := source_kind.identity_of(r))]
            )
            sent = asyncio.Event()
            query = asyncio.ensure_future(read_records(self.client, kind, keys, sent=sent))
            self.queries[query] = (kind.name, 0)
            await until_sent(sent, query)
        if (
            not self.all_in
            and not self.waiting
            and not self.listings
            and not self.unasked
            and all(q.done() for q in self.queries)
        ):
            self.all_in = True
            if self.answered is not None:
                pending = self.answered()
                if pending is not None:
                    await pending

    async def _ask_slices(self) -> None:
        """Ask for the next slices, SLICES_AHEAD of those not decoded yet: enough to keep
        the PBX busy while one is decoded, few enough that the answers waiting to be
        decoded stay small (500 extensions answer 6.7 MB with 1,500 outbound routes)."""
        first: asyncio.Future[Any] | None = None
        sent = asyncio.Event()
        while self.unasked:
            kind, index, keys = self.unasked[0]
            ahead = sum(1 for name, _ in self.queries.values() if name == kind.name)
            if ahead >= SLICES_AHEAD:
                break
            self.unasked.pop(0)
            query = asyncio.ensure_future(
                _query(self.client, kind, keys, sent if first is None else None)
            )
            first = first or query
            self.queries[query] = (kind.name, index)
        if first is not None:
            await until_sent(sent, first)

    def _running(self) -> list[asyncio.Future[Any]]:
        return [*self.queries, *self.listings]

    async def stop(self) -> None:
        """Cancel what is still running (after a failure), wait until it has ended, and
        take every query's failure: one is reported, the others would be logged as never
        retrieved."""
        for answered in [q for q in self._running() if q.done() and not q.cancelled()]:
            answered.exception()  # read: the read failed on another answer
        pending = [q for q in self._running() if not q.done()]
        pending += [source for _, source, _ in self.waiting if not source.done()]
        for query in pending:
            query.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def until_sent(sent: asyncio.Event, call: asyncio.Future[Any]) -> None:
    """Wait until a call's request is written (then CPU work cannot hold it back), or the
    call has ended: `sent` is set over TCP only, not by an in-process transport."""
    on_wire = asyncio.ensure_future(sent.wait())
    either: set[asyncio.Future[Any]] = {call, on_wire}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    on_wire.cancel()


# Records decoded between two looks at the network: answers that arrived meanwhile, and
# requests waiting to be sent, are dealt with every few milliseconds.
DECODE_SLICE = 64
# A listed kind's slices asked for ahead of decoding (see _Reading._ask_slices).
SLICES_AHEAD = 4


async def _decode_into(
    state: State,
    kind: Kind,
    records: list[WireRecord],
    between: Callable[[], Awaitable[None]],
) -> None:
    seen = state.objects[kind.name]
    twice: list[Key] = []
    for index, record in enumerate(records):
        if index % DECODE_SLICE == DECODE_SLICE - 1:
            await between()
        key = kind.identity_of(record)
        if key is None:  # not even which object it is: the answer is no configuration
            raise LiveReadError(
                f"{kind.query.endpoint}: the PBX answered {_a(kind.title)} "
                f"{kind.describe_record(record)} pbxconf cannot read: it does not say "
                f"which {kind.title} it is (no {', '.join(_identity_keys(kind))})"
            )
        if key in seen or state.unreadable_of(kind.name, key):
            twice.append(key)  # which copy is the PBX's truth? Neither becomes a plan.
            continue
        try:
            obj = kind.decode(record)
        except DecodeError as err:
            state.unreadable.append(Unreadable(kind.name, key, str(err)))
            continue
        state.add(kind.name, obj, kind.wire_id(record))
    if twice:
        labels = ", ".join(kind.label(key) for key in sorted(set(twice))[:10])
        raise LiveReadError(
            f"{kind.query.endpoint}: the PBX answered the same {kind.title} more than once "
            f"({labels}); pbxconf cannot tell which is the PBX's, so it plans nothing"
        )


def _identity_keys(kind: Kind) -> list[str]:
    return [f"`{w.name}`" for f in kind.key_fields for w in kind.wire if w.field == f]


def _a(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" or noun.startswith("IVR") else "a ") + noun
