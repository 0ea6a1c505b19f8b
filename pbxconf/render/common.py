"""What every format of a plan shares: values as they are shown (secrets masked, control
characters escaped), a change's headline and field lines, and lists said once for many
objects (`extensions 1003-1019, 1021 (18): not on the PBX...`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pbxconf.kinds import KINDS, Key
from pbxconf.plan import Action, CannotDo, Change, FieldChange, Plan, PlanProblem
from pbxconf.text import number_runs, printable

MASK = "(sensitive)"
MANUAL_HEADING = "To do by hand in the PBX's web page (the API cannot write these values):"
SKIPPED_HEADING = (
    "Skipped (--skip-unreachable); do these by hand in the PBX's web page, then apply again:"
)


def shown(value: Any, sensitive: bool) -> Any:
    if sensitive and value not in (None, ""):
        return MASK
    return value


def value_text(value: Any, sensitive: bool) -> str:
    value = shown(value, sensitive)
    if value == MASK:
        return MASK
    return "(unset)" if value is None else printable(json.dumps(value, ensure_ascii=False))


def field_line(change: FieldChange, action: Action) -> str:
    new = value_text(change.new, change.sensitive)
    if action == Action.CREATE:
        return f"{change.field}: {new}"
    old = value_text(change.old, change.sensitive)
    if change.sensitive and old == new == MASK:
        return f"{change.field}: {MASK} (changed)"
    return f"{change.field}: {old} -> {new}"


def headline(change: Change) -> str:
    symbol = change.action.symbol
    if change.action == Action.RENAME:
        assert change.old_key is not None
        old = KINDS[change.kind].key_text(change.old_key)
        return f"{symbol} {change.label} (renamed from {old})"
    if change.action == Action.CANNOT:
        return f"{symbol} {change.label}: cannot: {change.reason}"
    return f"{symbol} {change.label}"


# ---- said once for many --------------------------------------------------------------


@dataclass(frozen=True)
class Reasoned:
    """An object and why something about it: a change that cannot be made, or one set
    aside. `common` is the reason as said for many at once."""

    kind: str
    key: Key
    reason: str
    common: str


def grouped(items: Iterable[Reasoned], said: str = "") -> list[str]:
    """One line per kind and shared reason, the objects as numbers and ranges; an object
    alone keeps its whole reason. `said` goes before each reason (`cannot: `)."""
    groups: dict[tuple[str, str], list[Reasoned]] = {}
    for item in items:
        groups.setdefault((item.kind, item.common or item.reason), []).append(item)
    lines = []
    for (kind_name, common), members in groups.items():
        kind = KINDS[kind_name]
        if len(members) == 1:
            lines.append(f"{kind.label(members[0].key)}: {said}{members[0].reason}")
            continue
        names = spans([kind.key_text(m.key) for m in members])
        lines.append(f"{kind.section} {names} ({len(members)}): {said}{common}")
    return lines


def spans(names: list[str], most: int = 30) -> str:
    """`1003-1019, 1021`: numbers in a row as ranges, then the names; the first `most`."""
    parts = number_runs(names)
    more = f" and {len(parts) - most} more" if len(parts) > most else ""
    return ", ".join(parts[:most]) + more


def cannot_lines(plan: Plan) -> list[str]:
    """The changes the API cannot make, said once per reason."""
    return grouped(
        (
            Reasoned(c.kind, c.key, c.reason, c.common)
            for c in plan.changes
            if c.action == Action.CANNOT
        ),
        "cannot: ",
    )


def error_lines(plan: Plan) -> list[str]:
    """Why the plan cannot be applied: each problem, the "cannot" ones grouped."""
    cannots = [e for e in plan.errors if isinstance(e, CannotDo)]
    others: list[PlanProblem] = [e for e in plan.errors if not isinstance(e, CannotDo)]
    grouped_cannots = grouped(
        Reasoned(e.change.kind, e.change.key, e.change.reason, e.change.common) for e in cannots
    )
    return [str(e) for e in others] + grouped_cannots


def skipped_lines(plan: Plan) -> list[str]:
    return grouped(Reasoned(s.kind, s.key, s.reason, s.common) for s in plan.skipped)


def unmanaged_line(unmanaged: dict[str, int]) -> str:
    """What the PBX holds beyond the manifests, and what --prune can do about it: the API
    deletes trunks, routes and wake-up calls, but not extensions, IVRs or queues."""
    counts = ", ".join(f"{n} {noun(section, n)}" for section, n in unmanaged.items())
    deletable = [noun(s, 2) for s in unmanaged if KINDS.section(s).can_delete]
    kept = [noun(s, 2) for s in unmanaged if not KINDS.section(s).can_delete]
    advice = []
    if deletable:
        advice.append(f"--prune deletes the {and_list(deletable)}")
    if kept:
        advice.append(f"the API cannot delete {and_list(kept)}")
    said = "; ".join(advice)
    return f"Unmanaged (on the PBX, in no manifest): {counts}. {said[0].upper()}{said[1:]}."


def noun(section: str, count: int) -> str:
    """`1 SIP trunk`, `2 SIP trunks`, `0 wake-up calls`: what to call a section's objects,
    counted; always the kind's title (a section's name is the manifest's key)."""
    title = KINDS.section(section).title
    return title if count == 1 else f"{title}s"


def and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
