"""The PBX as the watch last saw it: a full read, patched object by object as reports
come in.

A report names an object; the watch re-reads that object alone (one list query per kind,
however many objects a batch names) and lays the answer over the last full read. The
plan of a reported object is then made against the whole PBX, as `pbxconf plan
--target` would make it: the safety share counts every object of the kind, and a
reference is checked against what is on the PBX.

Names are never sent where the API reads them as a selector: a name that is `all` or
holds a comma (`kind.unsafe_name`) makes the kind be read whole instead, and so does a
batch too large for one list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pbxconf.api import ApiError, PbxClient
from pbxconf.kinds import Key, Kind
from pbxconf.kinds.fields import DecodeError
from pbxconf.live import read_records
from pbxconf.manifest import Desired
from pbxconf.state import State, Unreadable
from pbxconf.watch.coalescer import MAX_KEYS_PER_KIND

log = logging.getLogger("pbxconf.watch")

Ident = tuple[str, Key]


class Mirror:
    def __init__(self, state: State) -> None:
        self.state = state

    def idents(self, kind: str) -> set[Ident]:
        return {(kind, key) for key in self.state.objects[kind]}

    def unmanaged(self, desired: Desired) -> set[Ident]:
        """Objects on the PBX that no manifest names (nor a `renamed_from`)."""
        renamed = {(kind, old) for (kind, _), old in desired.renames.items()}
        return {
            (kind, key)
            for kind in self.state.kinds
            for key in self.state.objects[kind]
            if key not in desired.state.objects[kind] and (kind, key) not in renamed
        }

    async def reread(
        self, client: PbxClient, kind: Kind, keys: Iterable[str] | None
    ) -> set[str] | None:
        """Read these identities of a kind again (None: the whole kind) and lay them over
        what was read before; one call. Returns what was read: the identities, or None
        where the kind was read whole."""
        wanted = set(keys) if keys is not None else None
        if wanted is not None and (
            len(wanted) > MAX_KEYS_PER_KIND or any(kind.unsafe_name((k,)) for k in wanted)
        ):
            wanted = None
        if wanted is None and kind.query.after:
            # Asked for by another kind's identities (wake-up calls by extension): all
            # of those the PBX had at the last read.
            wanted = {key[0] for key in self.state.objects[kind.query.after]}
        try:
            records = await read_records(
                client, kind, sorted(wanted) if wanted is not None else None
            )
        except ApiError as err:
            if wanted is None or kind.query.after:
                raise
            # A PBX may refuse a list naming an object that is gone: read the kind whole.
            log.debug("%s for %s failed (%s); reading them all", kind.query.endpoint, wanted, err)
            wanted = None
            records = await read_records(client, kind)
        self._lay_over(kind, wanted, records)
        return wanted

    def _lay_over(self, kind: Kind, wanted: set[str] | None, records: list[dict]) -> None:
        def read_now(key: Key) -> bool:
            return wanted is None or key[0] in wanted

        objects, ids = self.state.objects[kind.name], self.state.ids[kind.name]
        for key in [k for k in objects if read_now(k)]:
            del objects[key]
            ids.pop(key, None)
        self.state.unreadable = [
            u for u in self.state.unreadable if u.kind != kind.name or not read_now(u.key)
        ]
        for record in records:
            found = kind.identity_of(record)
            if found is None:
                log.warning(
                    "%s answered a record that does not say which %s it is; left out",
                    kind.query.endpoint,
                    kind.title,
                )
                continue
            if not read_now(found):
                continue  # more than was asked: the rest is not news
            try:
                obj = kind.decode(record)
            except DecodeError as err:
                self.state.unreadable.append(Unreadable(kind.name, found, str(err)))
                continue
            self.state.add(kind.name, obj, kind.wire_id(record))
