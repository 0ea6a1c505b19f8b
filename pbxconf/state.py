"""A PBX's configuration as canonical models: desired (from manifests) or live (from the
PBX). One mapping per kind, identity key -> model; live state also keeps the PBX's own ids
(trunk and route `id`, `wakeupid`) that updates and deletes need, and the records it
answered that pbxconf cannot read as any of a kind's models (a trunk of a type the manual
does not list), so that they are reported and left alone, never dropped silently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pbxconf.kinds import KINDS, Key


@dataclass(frozen=True)
class Unreadable:
    """A record of an answer that is no object of its kind: `key` where the record says
    which object it is, `reason` said without echoing a secret."""

    kind: str
    key: Key
    reason: str

    @property
    def label(self) -> str:
        return KINDS[self.kind].label(self.key)


@dataclass
class State:
    objects: dict[str, dict[Key, Any]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    ids: dict[str, dict[Key, str]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    # Kinds this state was read for (a live read may be limited to some kinds).
    kinds: tuple[str, ...] = tuple(KINDS)
    unreadable: list[Unreadable] = field(default_factory=list)

    def add(self, kind: str, obj: Any, wire_id: str | None = None) -> Key:
        key = KINDS[kind].key_of(obj)
        self.objects[kind][key] = obj
        if wire_id is not None:
            self.ids[kind][key] = wire_id
        return key

    def get(self, kind: str, key: Key) -> Any | None:
        return self.objects[kind].get(key)

    def unreadable_of(self, kind: str, key: Key) -> Unreadable | None:
        return next((u for u in self.unreadable if (u.kind, u.key) == (kind, key)), None)

    def count(self) -> int:
        return sum(len(objs) for objs in self.objects.values())

    def items(self) -> list[tuple[str, Key, Any]]:
        return [(kind, key, obj) for kind in KINDS for key, obj in self.objects[kind].items()]
