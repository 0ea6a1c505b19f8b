"""How a kind is read: a declaration of its query endpoint, and where its records are.

Every kind is read the same way: one query for all of them, for some identities (a comma
list), or for one. What differs is data: the request key that names identities, what asks
for all of them, where the records come in the answer. Wake-up calls also differ in
shape: they are asked for by extension number, after the extensions are read, and come
back grouped by extension; some firmware answers a list query for one extension only.
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
    # Identities per query, when they come from `after` (0: all in one query).
    batch: int = 0
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
        """The records of an answer; each grouped record carries its group's identity."""
        found = self._list(answer, self.answer)
        if self.grouped is None:
            return found
        out = []
        for group in found:
            items = group.get(self.grouped.items, [])
            if items is None:
                items = []
            if not isinstance(items, list):
                raise AnswerShapeError(f"a `{self.grouped.items}` entry is not a list")
            ident = str(group.get(self.grouped.key))
            out += [{**item, self.grouped.key: ident} for item in items if isinstance(item, dict)]
        return out

    def answered(self, answer: WireRecord) -> set[str]:
        """The identities a grouped answer holds groups for."""
        if self.grouped is None:
            return set()
        key = self.grouped.key
        return {str(group.get(key)) for group in self._list(answer, self.answer)}

    def _list(self, answer: WireRecord, keys: tuple[str, ...]) -> list[WireRecord]:
        key = next((k for k in keys if k in answer), keys[0])
        value = answer.get(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise AnswerShapeError(f"the answer has no `{key}` list of objects")
        return value
