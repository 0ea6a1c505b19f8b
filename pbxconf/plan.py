"""Desired + Live -> Plan: resource-level changes, their order, the API calls, safety.

Changes come in a small vocabulary: create, update, rename (with any field updates),
delete (only when pruning), and cannot (a desired extension, IVR or queue the PBX lacks,
an external object that is not there). A plan with a "cannot" or a refused safety check
has errors and must not be applied.

Order comes from references: an object is written after what it references and deleted
before what it references; a rename comes before whatever names the new name. One kind's
deletes go in one comma-list call; wake-up calls with the same settings are created in one
call for many extensions.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff

from pbxconf.bulk import collector_paused
from pbxconf.kinds import KINDS, ORDER, ApiCall, Key, Kind
from pbxconf.kinds.base import full
from pbxconf.manifest import Desired
from pbxconf.state import State

ACTIONS = ("create", "update", "rename", "delete", "cannot")
SYMBOLS = {"create": "+", "update": "~", "rename": "->", "delete": "-", "cannot": "!"}


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any
    sensitive: bool = False


@dataclass
class Change:
    action: str
    kind: str
    key: Key
    old_key: Key | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: str = ""

    @property
    def label(self) -> str:
        return KINDS[self.kind].label(self.key)

    @property
    def ident(self) -> tuple[str, Key]:
        return (self.kind, self.key)


@dataclass
class Step:
    """Calls that carry out some changes: usually one call for one change; a batched
    delete or wake-up create is one call for many changes."""

    changes: list[Change]
    calls: list[ApiCall]


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    unmanaged: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Objects pruning would delete but `protect` keeps.
    protected: list[str] = field(default_factory=list)
    # With skip_unreachable: what was set aside, as manual steps for a person.
    skipped: list[str] = field(default_factory=list)
    # (kind, key) -> sha256 of the live object (or "absent") for everything the plan
    # depends on; apply refuses a saved plan when any of these differ.
    fingerprints: dict[tuple[str, Key], str] = field(default_factory=dict)

    @property
    def calls(self) -> list[ApiCall]:
        return [call for step in self.steps for call in step.calls]

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        return any(c.action != "cannot" for c in self.changes)

    def summary(self) -> str:
        parts = [f"{self.count(a)} to {a}" for a in ("create", "update", "rename", "delete")]
        text = "Plan: " + ", ".join(parts) + "."
        if self.count("cannot"):
            text += f" {self.count('cannot')} cannot be done."
        unmanaged = sum(self.unmanaged.values())
        if unmanaged:
            text += f" {unmanaged} unmanaged object(s) on the PBX left alone."
        return text


class PlanError(Exception):
    """The plan cannot be made (a cycle in the order)."""


@dataclass
class PlanOptions:
    prune: bool = False
    force: bool = False
    targets: list[tuple[str, Key]] = field(default_factory=list)
    # Set aside what cannot be done (and what needs it) instead of failing the plan.
    skip_unreachable: bool = False


def fingerprint(obj: Any | None) -> str:
    if obj is None:
        return "absent"
    text = json.dumps(full(obj), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_plan(desired: Desired, live: State, options: PlanOptions | None = None) -> Plan:
    options = options or PlanOptions()
    with collector_paused():
        return _Planner(desired, live, options).run()


class _Planner:
    def __init__(self, desired: Desired, live: State, options: PlanOptions) -> None:
        self.desired = desired
        self.live = live
        self.options = options
        self.plan = Plan()
        # (kind, key) -> the object as it will be after the plan (for calls and order).
        self.merged: dict[tuple[str, Key], Any] = {}
        self.renamed_away: set[tuple[str, Key]] = set()

    def run(self) -> Plan:
        for name in ORDER:
            if name in self.live.kinds:
                self._kind(KINDS[name])
        self._externals()
        if self.options.targets:
            self._limit_to_targets()
        if self.options.skip_unreachable:
            self._skip_unreachable()
        self._safety()
        self._fingerprints()
        ordered = self._order()
        self.plan.changes = ordered
        if not self.plan.errors:
            self.plan.steps = self._steps(ordered)
        return self.plan

    # ---- changes -----------------------------------------------------------------------

    def _kind(self, kind: Kind) -> None:
        live = self.live.objects[kind.name]
        desired = self.desired.state.objects[kind.name]
        ignored = set(self.desired.settings.ignore_fields.get(kind.section, []))  # type: ignore[call-overload]
        claimed: set[Key] = set()
        for key, want in desired.items():
            if not ignored and key in live and self._unchanged(kind, key, live[key]):
                claimed.add(key)  # the usual case, kept to the fewest steps
                continue
            old_key = self.desired.renames.get((kind.name, key))
            if key in live:
                claimed.add(key)
                self._update(kind, key, live[key], want, ignored)
            elif old_key is not None and old_key in live:
                claimed.add(old_key)
                self._rename(kind, key, old_key, live[old_key], want, ignored)
            elif kind.can_create and kind.missing_for_create(want):
                missing = ", ".join(f"`{f}`" for f in kind.missing_for_create(want))
                self.plan.changes.append(
                    Change(
                        "cannot",
                        kind.name,
                        key,
                        reason=f"not on the PBX, and creating a {kind.title} needs {missing}, "
                        "which the manifest leaves out",
                    )
                )
            elif kind.can_create:
                merged = kind.merge(None, want)
                self.merged[(kind.name, key)] = merged
                fields = [
                    FieldChange(f, None, v, f in kind.sensitive)
                    for f, v in self.desired.view(kind.name, key).fields.items()
                ]
                self.plan.changes.append(
                    Change(
                        "create",
                        kind.name,
                        key,
                        fields=fields,
                        reason="declared in the manifests, not on the PBX",
                    )
                )
            else:
                where = self.desired.positions.get((kind.name, key))
                reason = (
                    f"{kind.title} {kind.key_text(key)} is not on the PBX and "
                    f"the API cannot create {kind.title}s: create it in the PBX's web page "
                    "(or fix the number), then plan again"
                )
                if old_key is not None:
                    reason = (
                        f"neither {kind.describe_key(key)} nor renamed_from "
                        f"{old_key[0]} is on the PBX; " + reason.split(": ", 1)[1]
                    )
                self.plan.changes.append(Change("cannot", kind.name, key, reason=reason))
                if where:
                    self.plan.changes[-1].reason += f" (declared at {where})"
        prunes = self.options.prune or self.desired.settings.prunes(kind.section)
        unmanaged = 0
        for key in live:
            if key in claimed or key in desired:
                continue
            if not prunes:
                unmanaged += 1
                continue
            if (kind.name, key) in self.desired.protected:
                self.plan.protected.append(kind.label(key))
                continue
            if not kind.can_delete:
                unmanaged += 1
                continue
            self.plan.changes.append(
                Change(
                    "delete",
                    kind.name,
                    key,
                    fields=[],
                    reason="on the PBX, in no manifest, and pruning is on",
                )
            )
        if unmanaged:
            self.plan.unmanaged[kind.section] = unmanaged

    def _unchanged(self, kind: Kind, key: Key, live: Any) -> bool:
        """Whether the live object has every declared value, read in one C call: no dump,
        no DeepDiff. False also where only the full comparison can tell."""
        view = self.desired.view(kind.name, key)
        try:
            return bool(view.getter(live) == view.values)
        except AttributeError:
            return False  # a group the manifest sets is not on the PBX

    def _field_changes(
        self, kind: Kind, key: Key, live: Any, ignored: set[str]
    ) -> list[FieldChange]:
        view = self.desired.view(kind.name, key)
        fields, wanted = view.fields, view.wanted
        if ignored:
            wanted = {f: v for f, v in wanted.items() if f not in ignored}
        # The quick check (_unchanged) has been made by the kind's loop where it can tell:
        # here objects are compared by their dump.
        have = full(live)
        current = {f: have.get(f) for f in wanted}
        if current == wanted:
            return []  # e.g. lists of groups (trunk DODs), which only a dump compares
        diff = DeepDiff(current, wanted, ignore_order=False)
        if not diff:
            return []
        changed = sorted({_top_key(path) for paths in diff.values() for path in _paths(paths)})
        return [FieldChange(f, current.get(f), fields[f], f in kind.sensitive) for f in changed]

    def _update(self, kind: Kind, key: Key, live: Any, want: Any, ignored: set[str]) -> None:
        fields = self._field_changes(kind, key, live, ignored)
        if fields:
            # Only what changes needs the object as it will be (for its calls and order).
            self.merged[(kind.name, key)] = kind.merge(live, want)
            self.plan.changes.append(
                Change(
                    "update",
                    kind.name,
                    key,
                    fields=fields,
                    reason="fields differ from the manifests",
                )
            )

    def _rename(
        self, kind: Kind, key: Key, old_key: Key, live: Any, want: Any, ignored: set[str]
    ) -> None:
        fields = [
            f
            for f in self._field_changes(kind, key, live, ignored)
            if f.field not in kind.key_fields
        ]
        self.merged[(kind.name, key)] = kind.merge(live, want)
        self.renamed_away.add((kind.name, old_key))
        if key in self.live.objects[kind.name]:
            self.plan.errors.append(
                f"{kind.label(key)}: cannot rename {old_key[0]} to {key[0]}: "
                f"{key[0]} is already on the PBX"
            )
        self.plan.changes.append(
            Change(
                "rename",
                kind.name,
                key,
                old_key=old_key,
                fields=fields,
                reason=f"renamed_from {old_key[0]}",
            )
        )

    def _externals(self) -> None:
        """Referenced objects marked external must exist on the PBX."""
        if not self.desired.external:
            return
        seen: set[tuple[str, Key]] = set()
        for kind_name, _key, obj in self.desired.state.items():
            for ref in KINDS[kind_name].refs(obj):
                ident = (ref.kind, ref.key)
                if ident in seen or not self.desired.is_external(*ident):
                    continue
                seen.add(ident)
                if ref.kind not in self.live.kinds or self.desired.state.get(*ident) is not None:
                    continue
                if self.live.get(*ident) is None:
                    kind = KINDS[ref.kind]
                    self.plan.changes.append(
                        Change(
                            "cannot",
                            ref.kind,
                            ref.key,
                            reason=f"listed under `external: {kind.section}` and referenced, but "
                            f"not on the PBX",
                        )
                    )

    def _limit_to_targets(self) -> None:
        wanted: set[tuple[str, Key]] = set()
        queue = list(self.options.targets)
        while queue:
            ident = queue.pop()
            if ident in wanted:
                continue
            wanted.add(ident)
            obj = self.desired.state.get(*ident)
            if obj is not None:
                queue.extend((ref.kind, ref.key) for ref in KINDS[ident[0]].refs(obj))
        missing = [
            t
            for t in self.options.targets
            if t[0] in self.live.kinds
            and self.desired.state.get(*t) is None
            and self.live.get(*t) is None
        ]
        for kind_name, key in missing:
            self.plan.errors.append(
                f"--target {kind_name}/{','.join(key)}: no such object in "
                "the manifests or on the PBX"
            )
        self.plan.changes = [c for c in self.plan.changes if c.ident in wanted]
        self.plan.unmanaged = {}

    def _skip_unreachable(self) -> None:
        """Drop the "cannot" changes and, transitively, every write that needs one."""
        changes = self.plan.changes
        out = {c.ident for c in changes if c.action == "cannot"}
        self.plan.skipped = [f"{c.label}: {c.reason}" for c in changes if c.action == "cannot"]
        grew = True
        while grew:
            grew = False
            for change in changes:
                if change.ident in out or change.action in ("cannot", "delete"):
                    continue
                obj = self.merged.get(change.ident)
                for ref in KINDS[change.kind].refs(obj) if obj is not None else []:
                    if (ref.kind, ref.key) in out:
                        out.add(change.ident)
                        self.plan.skipped.append(
                            f"{change.label}: needs {KINDS[ref.kind].label(ref.key)}, which is "
                            "not on the PBX"
                        )
                        grew = True
                        break
        self.plan.changes = [c for c in changes if c.ident not in out]

    def _safety(self) -> None:
        safety = self.desired.settings.safety
        for kind_name in ORDER:
            existing = len(self.live.objects[kind_name])
            touched = sum(
                1
                for c in self.plan.changes
                if c.kind == kind_name and c.action in ("update", "rename", "delete")
            )
            if existing < max(safety.min_objects, 1) or not touched:
                continue
            share = touched / existing
            if share > safety.max_change_share:
                kind = KINDS[kind_name]
                message = (
                    f"{kind.section}: the plan updates or deletes {touched} of {existing} "
                    f"({share:.0%}), more than the {safety.max_change_share:.0%} allowed"
                )
                if self.options.force:
                    self.plan.warnings.append(message + " (--force given)")
                else:
                    self.plan.errors.append(message + "; review it, then use --force")
        for change in self.plan.changes:
            if change.action == "cannot":
                self.plan.errors.append(f"{change.label}: {change.reason}")

    def _fingerprints(self) -> None:
        for change in self.plan.changes:
            for key in {change.key, change.old_key} - {None}:
                assert key is not None
                ident = (change.kind, key)
                self.plan.fingerprints[ident] = fingerprint(self.live.get(*ident))

    # ---- order -------------------------------------------------------------------------

    def _order(self) -> list[Change]:
        """Changes in a safe order, each batch (a kind's deletes, the wake-up creates) kept
        together as one node of the graph so a batched call never jumps a dependency."""
        changes = self.plan.changes
        group_of: list[tuple[Any, ...]] = []
        for i, change in enumerate(changes):
            if change.action == "delete" or (change.action, change.kind) == (
                "create",
                "wakeup_call",
            ):
                group_of.append((change.action, change.kind))
            else:
                group_of.append(("one", i))
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for i, g in enumerate(group_of):
            groups[g].append(i)
        writes = {
            c.ident: i for i, c in enumerate(changes) if c.action in ("create", "update", "rename")
        }
        deletes = {c.ident: i for i, c in enumerate(changes) if c.action == "delete"}
        by_old_key = {(c.kind, c.old_key): i for i, c in enumerate(changes) if c.old_key}
        after: dict[tuple[Any, ...], set[tuple[Any, ...]]] = defaultdict(set)

        def must_precede(first: int, then: int) -> None:
            if group_of[first] != group_of[then]:
                after[group_of[then]].add(group_of[first])

        for i, change in enumerate(changes):
            if change.action in ("create", "update", "rename"):
                obj = self.merged.get(change.ident)
                for ref in KINDS[change.kind].refs(obj) if obj is not None else []:
                    j = writes.get((ref.kind, ref.key))
                    if j is not None:
                        must_precede(j, i)  # written after what it references
                if change.action == "create" and change.ident in by_old_key:
                    must_precede(by_old_key[change.ident], i)  # the name is freed first
            # Whatever stops referencing a doomed object goes before its delete.
            live_obj = self.live.get(change.kind, change.old_key or change.key)
            if live_obj is not None and change.action != "cannot":
                for ref in KINDS[change.kind].refs(live_obj):
                    j = deletes.get((ref.kind, ref.key))
                    if j is not None:
                        must_precede(i, j)
        order = _topological(list(groups), after, changes, groups, self.plan)
        return [changes[i] for g in order for i in groups[g]]

    def _steps(self, ordered: list[Change]) -> list[Step]:
        """Calls for the ordered changes, batching deletes and wake-up creates."""
        steps: list[Step] = []
        batches: dict[tuple[str, str], Step] = {}
        for change in ordered:
            kind = KINDS[change.kind]
            if change.action == "cannot":
                continue
            if change.action == "delete" or (change.action, change.kind) == (
                "create",
                "wakeup_call",
            ):
                step = batches.get((change.action, change.kind))
                if step is None:
                    step = batches[(change.action, change.kind)] = Step([], [])
                    steps.append(step)
                step.changes.append(change)
            elif change.action == "create":
                steps.append(Step([change], kind.create_calls([self.merged[change.ident]])))
            else:
                old = change.old_key or change.key
                changed = [f.field for f in change.fields]
                if change.action == "rename":
                    changed += list(kind.key_fields)
                call = kind.update_call(
                    old,
                    self.live.ids[change.kind].get(old),
                    self.live.get(change.kind, old),
                    self.merged[change.ident],
                    changed,
                )
                steps.append(Step([change], [call]))
        for (action, kind_name), step in batches.items():
            kind = KINDS[kind_name]
            if action == "delete":
                step.calls = kind.delete_calls(
                    [(c.key, self.live.ids[kind_name].get(c.key)) for c in step.changes]
                )
            else:
                step.calls = kind.create_calls([self.merged[c.ident] for c in step.changes])
        return steps


def _topological(
    nodes: list[Any],
    after: dict[Any, set[Any]],
    changes: list[Change],
    members: dict[Any, list[int]],
    plan: Plan,
) -> list[Any]:
    """Stable order: among nodes that are ready, the first in plan order goes first;
    deletes before the rest, since they free names and trunks for what follows."""
    done: set[Any] = set()
    ordered: list[Any] = []
    remaining = list(nodes)
    while remaining:
        ready = [n for n in remaining if after[n] <= done]
        if not ready:
            cycle = ", ".join(changes[i].label for n in remaining for i in members[n])
            plan.errors.append(f"the changes reference each other in a cycle: {cycle}")
            return remaining and ordered + remaining
        ready.sort(key=lambda n: (changes[members[n][0]].action != "delete", members[n][0]))
        first = ready[0]
        done.add(first)
        remaining.remove(first)
        ordered.append(first)
    return ordered


def _paths(paths: Iterable[Any]) -> Iterable[str]:
    if isinstance(paths, dict):
        return paths.keys()
    return paths


def _top_key(path: str) -> str:
    """DeepDiff's "root['voicemail.pin'][0]" -> "voicemail.pin"."""
    start = path.index("['") + 2
    return path[start : path.index("']", start)]


def parse_target(text: str) -> tuple[str, Key]:
    """`trunk/carrier`, `extensions/1000`, `wakeup_call/1000,07:00` -> (kind, key)."""
    kind_text, sep, key_text = text.partition("/")
    kind = KINDS.get(kind_text) or next((k for k in KINDS.values() if k.section == kind_text), None)
    if not sep or kind is None:
        names = ", ".join(sorted(KINDS))
        raise ValueError(f"--target {text!r}: expected KIND/KEY with KIND one of {names}")
    key = tuple(part.strip() for part in key_text.split(","))
    if len(key) != len(kind.key_fields) or not all(key):
        raise ValueError(
            f"--target {text!r}: a {kind.title} is named by " + ",".join(kind.key_fields)
        )
    return kind.name, key
