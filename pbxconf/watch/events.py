"""What the watch says: one event per line on stdout, as text for a person or as JSON
lines (`--format json`) for a program, and the same JSON to a webhook (`--notify`).

Every JSON line has `event`, `time` (UTC, ISO 8601), `kind`, `section`, `key`, `label`,
`action` and `fields` (null or empty where an event is about no object), a `message` said
for a person, and what the event adds (`source`, `operation`, counts...). A field change
is the plan's (`pbxconf plan --format json`): `old` is the PBX's value, `new` the
manifests', and a secret is `(sensitive)` in both, always.

Events:
    start       the watch is up: the PBX, the listener, the interval
    session     the session with the PBX: logged in, unreachable, restored, locked
    plan        a full plan was made (at start, every --interval, after a restart...)
    drift       an object the manifests name differs from them (new, or changed again)
    resolved    a drifted object agrees with the manifests again
    unmanaged   an object no manifest names appeared on the PBX, or went from it
    healed      --heal applied the manifests to a drifted object
    heal_failed --heal tried and the PBX refused, or still differs
    heal_skipped --heal did not try: the circuit breaker is open, or the plan is refused
    breaker     the circuit breaker opened (too many heals) or closed again
    error       something the watch could not do (it goes on)
    stop        the watch stopped (a signal), logged out
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pbxconf.kinds import KINDS, Key
from pbxconf.plan import Action, Change
from pbxconf.render import field_line, shown


@dataclass
class WatchEvent:
    event: str
    message: str
    kind: str | None = None
    key: Key | None = None
    action: str | None = None
    fields: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        kind = KINDS[self.kind] if self.kind else None
        return {
            "event": self.event,
            "time": _iso(self.time),
            "kind": self.kind,
            "section": kind.section if kind else None,
            "key": dict(zip(kind.key_fields, self.key, strict=True)) if kind and self.key else None,
            "label": kind.label(self.key) if kind and self.key else None,
            "action": self.action,
            "fields": self.fields,
            "message": self.message,
            **self.extra,
        }

    def to_text(self) -> str:
        return f"{_iso(self.time)} {self.event} {self.message}"

    def line(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=False)
        return self.to_text()


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _fields(change: Change) -> list[dict[str, Any]]:
    return [
        {
            "field": f.field,
            "old": shown(f.old, f.sensitive),
            "new": shown(f.new, f.sensitive),
            "sensitive": f.sensitive,
        }
        for f in change.fields
    ]


def _field_text(change: Change) -> str:
    if change.action == Action.CANNOT:
        return change.reason
    if change.action == Action.DELETE:
        return change.reason
    return "; ".join(field_line(f, change.action) for f in change.fields)


def object_event(name: str, change: Change, source: str, what: str = "") -> WatchEvent:
    """drift, healed, heal_failed: an object's change, as a plan would show it."""
    detail = _field_text(change)
    head = f"{change.action.symbol} {change.label}"
    if change.action == Action.RENAME and change.old_key is not None:
        head += f" (renamed from {KINDS[change.kind].key_text(change.old_key)})"
    message = f"{head}{f' {what}' if what else ''}" + (f": {detail}" if detail else "")
    return WatchEvent(
        name,
        message,
        change.kind,
        change.key,
        change.action.value,
        _fields(change),
        {"source": source},
    )


def resolved_event(kind: str, key: Key, source: str) -> WatchEvent:
    label = KINDS[kind].label(key)
    return WatchEvent(
        "resolved",
        f"{label} agrees with the manifests again",
        kind,
        key,
        extra={"source": source},
    )


def unmanaged_event(kind: str, key: Key, present: bool, source: str, pruned: bool) -> WatchEvent:
    k = KINDS[kind]
    if present:
        what = "appeared on the PBX; no manifest names it"
        what += (
            " (--prune deletes it)"
            if pruned
            else " (left alone)"
            if k.can_delete
            else " (the API cannot delete it)"
        )
    else:
        what = "went from the PBX; no manifest names it"
    return WatchEvent(
        "unmanaged",
        f"{k.label(key)} {what}",
        kind,
        key,
        extra={"operation": "add" if present else "del", "source": source},
    )


def plain(name: str, message: str, **extra: Any) -> WatchEvent:
    """An event about no object (start, session, plan, breaker, error, stop)."""
    return WatchEvent(name, message, extra=extra)
