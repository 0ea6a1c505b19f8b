"""How a kind is read: a declaration of its query endpoint, and where its records are.

Every kind is read the same way: one query for all of them, for some identities (a comma
list), or for one. What differs is data: the request key that names identities, what asks
for all of them, where the records come in the answer. Wake-up calls also differ in
shape: they are asked for by extension number, after the extensions are read, and come
back grouped by extension; some firmware answers a list query for one extension only.
Extensions are listed first (a cheap query of small records) and then asked for a slice
at a time: each of a large PBX's extensions lists every outbound route it is not in, so
one answer for all of them grows past what a client should hold (134 MB at 10,000
extensions and 1,500 routes), and slices are decoded while the next ones arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WireRecord = dict[str, Any]


class AnswerShapeError(ValueError):
    """An answer that does not hold the records where the manual says they are."""


@dataclass(frozen=True)
class Grouped:
    """Records that come in groups, one per identity asked (wake-ups: `{"extid": "1000",
    "wakeup": [...]}`): `key` names the group's identity, `items` its list of records.
    Each record read gets the group's identity under `key`."""

    key: str
    items: str


@dataclass(frozen=True)
class Listing:
    """A query that lists a kind's identities cheaply (`extensionlist/query`: number,
    status, type, name; manual line ~880): the kind's own query then asks for them
    `Query.batch` at a time."""

    endpoint: str
    # The answer keys the list may come under, the manual's spelling first.
    answer: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    endpoint: str
    # The request key naming identities (a comma list), e.g. `extid`, `trunkname`.
    select: str
    # What `select` is set to, to ask for every object (`all`); None: leave `select` out.
    everything: str | None
    # The answer keys the record list may come under, the manual's spelling first.
    answer: tuple[str, ...]
    # A kind whose identities this query takes (wake-ups are asked for by extension).
    after: str | None = None
    # Identities per query, when they come from `after` or `listed_by` (0: all in one).
    batch: int = 0
    # Where the identities come from when every object is read: listed first, then asked
    # for `batch` at a time (None: one query asks for all).
    listed_by: Listing | None = None
    # Ask one identity at a time when a list query fails, or answers for fewer identities
    # than were asked (older firmware answers a wake-up list query for the first only).
    one_by_one_fallback: bool = False
    grouped: Grouped | None = None
    # Record keys the manual marks as always answered: an answer without one is wrong.
    always: tuple[str, ...] = ()

    def body(self, keys: Sequence[str] | None = None) -> WireRecord:
        """The request for these identities (None: for every object)."""
        if keys is None:
            return {} if self.everything is None else {self.select: self.everything}
        return {self.select: ",".join(keys)}

    def records(self, answer: WireRecord) -> list[WireRecord]:
        """The records of an answer; each grouped record carries its group's identity.
        AnswerShapeError for an answer the manual's shape does not explain: a group
        without its list (never read as "none"), a record without a key the manual says
        is always answered."""
        found = self._list(answer, self.answer)
        if self.grouped is not None:
            found = self._ungroup(found)
        for key in self.always:
            missing = [r for r in found if not any(str(k).lower() == key for k in r)]
            if missing:
                raise AnswerShapeError(
                    f"{len(missing)} record(s) of the answer lack `{key}`, which the manual "
                    "says is always answered"
                )
        return found

    def _ungroup(self, groups: list[WireRecord]) -> list[WireRecord]:
        assert self.grouped is not None
        key, items_key = self.grouped.key, self.grouped.items
        out = []
        for group in groups:
            ident = group.get(key)
            if not isinstance(ident, (str, int)) or isinstance(ident, bool) or ident == "":
                raise AnswerShapeError(f"a group of the answer has no `{key}`")
            items = group.get(items_key)
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise AnswerShapeError(
                    f"the group for {key} {ident} has no `{items_key}` list of objects"
                )
            out += [{**item, key: str(ident)} for item in items]
        return out

    def answered(self, answer: WireRecord) -> set[str]:
        """The identities a grouped answer holds groups for."""
        if self.grouped is None:
            return set()
        key = self.grouped.key
        return {str(group.get(key)) for group in self._list(answer, self.answer)}

    def check_asked(self, records: list[WireRecord], keys: Sequence[str], identity: Any) -> None:
        """An answer to a query for some identities holds those only: a record of another
        would be written back to the wrong object. `identity` reads a record's first
        identity field (for grouped records, the group's)."""
        asked = set(keys)
        other = sorted(
            {str(i) for r in records if (i := self._first_identity(r, identity)) not in asked}
        )
        if other:
            raise AnswerShapeError(
                f"the answer holds {', '.join(other[:5])}, which were not asked for"
            )

    def _first_identity(self, record: WireRecord, identity: Any) -> Any:
        if self.grouped is not None:
            return record.get(self.grouped.key)
        key = identity(record)
        return key[0] if key else None

    def _list(self, answer: WireRecord, keys: tuple[str, ...]) -> list[WireRecord]:
        key = next((k for k in keys if k in answer), keys[0])
        value = answer.get(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise AnswerShapeError(f"the answer has no `{key}` list of objects")
        return value
