"""What the watch has said about each object, so that it says each thing once.

A report may come twice, late, or about a change already seen; the interval plan looks at
everything again. Each finds the same drift, and none of that is news. The tracker keeps
what it last reported of each object (a digest of its change: action, fields, values) and
the objects no manifest names, and turns a check of some objects into the events that
are news: a drift that is new or different, a drift that is gone, an unmanaged object
that appeared or went.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

from pbxconf.plan import Change
from pbxconf.watch.events import WatchEvent, object_event, resolved_event, unmanaged_event
from pbxconf.watch.mirror import Ident

# Which objects a check looked at: a set, or every object (a full plan).
Scope = Callable[[Ident], bool]


def everything(ident: Ident) -> bool:
    return True


def digest(change: Change) -> str:
    """What makes a drift the same drift: its action and each field's two values. Held in
    memory only, as a digest: the values may be secrets."""
    text = json.dumps(
        [change.action.value, change.old_key, [(f.field, f.old, f.new) for f in change.fields]],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DriftTracker:
    def __init__(self) -> None:
        self.known: dict[Ident, str] = {}
        # None until the first full plan: what is unmanaged then is the baseline, not news.
        self.unmanaged: set[Ident] | None = None

    def reconcile(
        self,
        scope: Scope,
        changes: Iterable[Change],
        unmanaged: set[Ident],
        source: str,
        pruning: Callable[[str], bool],
    ) -> list[WatchEvent]:
        """The news of a check of the objects in `scope`: the plan's `changes` and the
        unmanaged objects now (both may hold more than the scope; the rest is ignored)."""
        events: list[WatchEvent] = []
        unmanaged_now = {i for i in unmanaged if scope(i)}
        seen: set[Ident] = set()
        for change in changes:
            ident = change.ident
            if not scope(ident) or ident in unmanaged_now:
                continue  # a prune delete of an unmanaged object is told as unmanaged
            seen.add(ident)
            mark = digest(change)
            if self.known.get(ident) != mark:
                self.known[ident] = mark
                events.append(object_event("drift", change, source))
        for ident in [i for i in self.known if scope(i) and i not in seen]:
            del self.known[ident]
            events.append(resolved_event(*ident, source))
        if self.unmanaged is None:
            self.unmanaged = unmanaged_now
            return events
        before = {i for i in self.unmanaged if scope(i)}
        for ident in sorted(unmanaged_now - before):
            events.append(unmanaged_event(*ident, True, source, pruning(ident[0])))
        for ident in sorted(before - unmanaged_now):
            events.append(unmanaged_event(*ident, False, source, pruning(ident[0])))
        self.unmanaged = {i for i in self.unmanaged if not scope(i)} | unmanaged_now
        return events

    def forget(self, idents: Iterable[Ident]) -> None:
        """Healed objects: their drift is over, and already told."""
        for ident in idents:
            self.known.pop(ident, None)

    def gone(self, idents: Iterable[Ident]) -> None:
        """Unmanaged objects the watch deleted itself (--heal with pruning)."""
        if self.unmanaged is not None:
            self.unmanaged -= set(idents)
