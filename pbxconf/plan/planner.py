"""Desired + Live -> Plan: resource-level changes, their safety, then order and calls.

Changes come in a small vocabulary (model.Action): create, update, rename (with any field
updates), delete (only when pruning), and cannot (a desired object the API cannot create,
an external object that is not there). A plan with a "cannot" or a refused safety check
has errors and must not be applied.
"""

from __future__ import annotations

from typing import Any

from pbxconf.bulk import collector_paused
from pbxconf.kinds import KINDS, Key, Kind
from pbxconf.kinds.base import answered, full
from pbxconf.kinds.fields import Unwritable, as_text
from pbxconf.manifest import Desired
from pbxconf.plan.model import (
    Action,
    CannotDo,
    Change,
    FieldChange,
    ManualStep,
    Plan,
    PlanOptions,
    PlanProblem,
    SafetyRefusal,
    SetAside,
    fingerprint,
)
from pbxconf.plan.order import Merged, order_changes, steps_for
from pbxconf.state import State


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
        self.merged: Merged = {}

    def run(self) -> Plan:
        for kind in KINDS.values():
            if kind.name in self.live.kinds:
                claimed = self._desired_objects(kind)
                self._undeclared_objects(kind, claimed)
        self._externals()
        self._deletes_still_used()
        self._unset_secrets()
        if self.options.targets:
            self._limit_to_targets()
        if self.options.skip_unreachable:
            self._skip_unreachable()
        self._safety()
        self._fingerprints()
        ordered = order_changes(self.plan, self.merged, self.live)
        self.plan.changes = ordered
        if not self.plan.errors:
            self.plan.steps = steps_for(ordered, self.merged, self.live)
            self._check_calls()
        return self.plan

    def _check_calls(self) -> None:
        """Every call against the manual's tables before anything is sent: a key or value
        the manual does not name for the endpoint would be a pbxconf bug, and a PBX may
        ignore it and answer Success."""
        if not self.plan.steps:
            return  # nothing to check: a plan with no change reads no manual's tables
        from pbxconf.manual.check import check_request

        for step in self.plan.steps:
            for call in step.calls:
                for problem in check_request(call.endpoint, call.body):
                    labels = ", ".join(c.label for c in step.changes)
                    self.plan.errors.append(
                        PlanProblem(
                            f"{labels}: pbxconf would send what the manual does not allow "
                            f"({problem}); nothing was sent. This is a pbxconf bug: "
                            "please report it"
                        )
                    )

    def _add(self, change: Change) -> None:
        self.plan.changes.append(change)

    # ---- what the manifests declare ----------------------------------------------------

    def _desired_objects(self, kind: Kind) -> set[Key]:
        """Plan every declared object of a kind; the live keys it claims come back."""
        live = self.live.objects[kind.name]
        ignored = set(self.desired.settings.ignore_fields.get(kind.section, []))  # type: ignore[call-overload]
        claimed: set[Key] = set()
        for key, want in self.desired.state.objects[kind.name].items():
            if want.by_hand:
                self._by_hand(kind, key, want.by_hand, live.get(key))
            if not ignored and key in live and self._unchanged(kind, key, live[key]):
                claimed.add(key)  # the usual case, kept to the fewest steps
                continue
            old_key = self.desired.renames.get((kind.name, key))
            unreadable = self.live.unreadable_of(kind.name, old_key or key)
            if unreadable is not None:
                claimed.add(unreadable.key)
                reason = f"the PBX answered it in a form pbxconf cannot read: {unreadable.reason}"
                self._add(Change(Action.CANNOT, kind.name, key, reason=reason))
                continue
            if key in live:
                claimed.add(key)
                self._update(kind, key, live[key], want, ignored)
            elif old_key is not None and old_key in live:
                claimed.add(old_key)
                self._rename(kind, key, old_key, live[old_key], want, ignored)
            else:
                self._create(kind, key, want, old_key)
        return claimed

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
        # A field the answer left out is unknown, not empty (the manual's examples leave
        # out a forward's destination while it is off): it is not compared.
        known = answered(live)
        wanted = {f: v for f, v in wanted.items() if f in known}
        # The quick check (_unchanged) has been made by the kind's loop where it can tell:
        # here objects are compared by their dump.
        have = full(live)
        current = {f: have.get(f) for f in wanted}
        if current == wanted:
            return []  # e.g. lists of groups (trunk DODs), which only a dump compares
        from deepdiff import DeepDiff  # 20 ms to import, and a plan with no change needs none

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
            change = Change(
                Action.UPDATE,
                kind.name,
                key,
                fields=fields,
                reason="fields differ from the manifests",
            )
            self._add(self._writable(kind, change, key))

    def _writable(self, kind: Kind, change: Change, old_key: Key) -> Change:
        """The change, or a "cannot" where its write would have to send back a value the
        PBX holds that the API cannot write (a route's field outside the write enum), or
        name the object by an id the PBX did not answer usably."""
        if kind.id_key is not None and old_key not in self.live.ids[kind.name]:
            return Change(Action.CANNOT, kind.name, change.key, reason=_no_id(kind))
        try:
            kind.update_call(
                old_key,
                self.live.ids[kind.name].get(old_key),
                self.live.get(kind.name, old_key),
                self.merged[change.ident],
                [f.field for f in change.fields] + list(kind.key_fields),
            )
        except Unwritable as err:
            return Change(
                Action.CANNOT,
                kind.name,
                change.key,
                reason=f"{err}: a {kind.title} update sends every field, so declare the field "
                "in the manifest (or change it in the PBX's web page)",
            )
        return change

    def _rename(
        self, kind: Kind, key: Key, old_key: Key, live: Any, want: Any, ignored: set[str]
    ) -> None:
        fields = [
            f
            for f in self._field_changes(kind, key, live, ignored)
            if f.field not in kind.key_fields
        ]
        self.merged[(kind.name, key)] = kind.merge(live, want)
        if key in self.live.objects[kind.name]:
            self.plan.errors.append(
                PlanProblem(
                    f"{kind.label(key)}: cannot rename {kind.key_text(old_key)} to "
                    f"{kind.key_text(key)}: {kind.key_text(key)} is already on the PBX"
                )
            )
        change = Change(
            Action.RENAME,
            kind.name,
            key,
            old_key=old_key,
            fields=fields,
            reason=f"renamed_from {kind.key_text(old_key)}",
        )
        self._add(self._writable(kind, change, old_key))

    def _create(self, kind: Kind, key: Key, want: Any, old_key: Key | None) -> None:
        if not kind.can_create:
            reason, common = self._not_creatable(kind, key, old_key)
            self._add(Change(Action.CANNOT, kind.name, key, reason=reason, common=common))
            return
        missing = kind.missing_for_create(want)
        if missing:
            needs = ", ".join(f"`{f}`" for f in missing)
            reason = (
                f"not on the PBX, and creating a {kind.title} needs {needs}, "
                "which the manifest leaves out"
            )
            self._add(Change(Action.CANNOT, kind.name, key, reason=reason))
            return
        self.merged[(kind.name, key)] = kind.merge(None, want)
        fields = [
            FieldChange(f, None, v, f in kind.sensitive)
            for f, v in self.desired.view(kind.name, key).fields.items()
        ]
        self._add(
            Change(
                Action.CREATE,
                kind.name,
                key,
                fields=fields,
                reason="declared in the manifests, not on the PBX",
            )
        )

    def _not_creatable(self, kind: Kind, key: Key, old_key: Key | None) -> tuple[str, str]:
        """Why it cannot be made: for this object, and as said once for many (a restore
        onto a factory PBX lacks hundreds of extensions)."""
        advice = (
            f"the API cannot create {kind.title}s: create it in the PBX's web page "
            "(or fix the number), then plan again"
        )
        common = ""
        if old_key is not None:
            reason = (
                f"neither {kind.describe_key(key)} nor renamed_from "
                f"{kind.key_text(old_key)} is on the PBX; {advice}"
            )
        else:
            reason = f"{kind.title} {kind.key_text(key)} is not on the PBX and {advice}"
            common = (
                f"not on the PBX, and the API cannot create {kind.title}s: create them in the "
                "PBX's web page (or fix the numbers), then plan again"
            )
        where = self.desired.positions.get((kind.name, key))
        return reason + (f" (declared at {where})" if where else ""), common

    # ---- what is on the PBX and in no manifest -----------------------------------------

    def _undeclared_objects(self, kind: Kind, claimed: set[Key]) -> None:
        """Count them, or delete them when pruning (never a protected one)."""
        prunes = self.options.prune or self.desired.settings.prunes(kind.section)
        desired = self.desired.state.objects[kind.name]
        unmanaged = 0
        for key in self.live.objects[kind.name]:
            if key in claimed or key in desired:
                continue
            if self.desired.is_external(kind.name, key):
                unmanaged += 1  # declared to be on the PBX, referenced: never pruned
            elif prunes and (kind.name, key) in self.desired.protected:
                self.plan.protected.append(kind.label(key))
            elif prunes and kind.can_delete and (unsafe := kind.unsafe_name(key)):
                reason = (
                    f"on the PBX and in no manifest, but its name {unsafe}: pbxconf never "
                    "sends it to a delete; delete or rename it in the PBX's web page, or "
                    "protect it"
                )
                self._add(Change(Action.CANNOT, kind.name, key, reason=reason))
            elif (
                prunes
                and kind.can_delete
                and kind.deletes_by_id
                and key not in self.live.ids[kind.name]
            ):
                self._add(Change(Action.CANNOT, kind.name, key, reason=_no_id(kind)))
            elif prunes and kind.can_delete:
                reason = "on the PBX, in no manifest, and pruning is on"
                self._add(Change(Action.DELETE, kind.name, key, reason=reason))
            else:
                unmanaged += 1
        renamed = {old for (name, _), old in self.desired.renames.items() if name == kind.name}
        for record in self.live.unreadable:
            declared = record.key in renamed or record.key in self.desired.state.objects[kind.name]
            if record.kind == kind.name and not declared:
                self.plan.warnings.append(
                    f"{record.label}: the PBX answered it in a form pbxconf cannot read "
                    f"({record.reason}); it is left alone"
                )
        if unmanaged:
            self.plan.unmanaged[kind.section] = unmanaged

    def _by_hand(self, kind: Kind, key: Key, values: dict[str, str], live: Any) -> None:
        """`by_hand` values the PBX does not hold: steps for a person (the API cannot)."""
        have = full(live) if live is not None else None
        for field, want in sorted(values.items()):
            now = None if have is None else as_text(have.get(field))
            if now != want:
                self.plan.manual.append(ManualStep(kind.name, key, field, want, now))

    def _externals(self) -> None:
        """Objects marked external that a write references must exist on the PBX. One that
        only what stays as it is references needs nothing (a PBX may already hold a
        reference to an object it lacks: the manual's own queue example does)."""
        if not self.desired.external:
            return
        seen: set[tuple[str, Key]] = set()
        for change in list(self.plan.changes):
            obj = self.merged.get(change.ident)
            if not change.action.writes or obj is None:
                continue
            for ref in KINDS[change.kind].refs(obj):
                ident = (ref.kind, ref.key)
                if ident in seen or not self.desired.is_external(*ident):
                    continue
                seen.add(ident)
                if ref.kind not in self.live.kinds or self.desired.state.get(*ident) is not None:
                    continue
                if self.live.get(*ident) is None:
                    section = KINDS[ref.kind].section
                    reason = (
                        f"listed under `external: {section}` and referenced by "
                        f"{change.label}, but not on the PBX"
                    )
                    common = (
                        f"listed under `external: {section}` and referenced, but not on the PBX"
                    )
                    self._add(
                        Change(Action.CANNOT, ref.kind, ref.key, reason=reason, common=common)
                    )

    def _unset_secrets(self) -> None:
        """Secrets whose variables are not set, left unmanaged on request: say which."""
        unset = self.desired.unset_secrets
        if not unset:
            return
        shown = ", ".join(f"{where} (${{{var}}})" for where, var in unset[:5])
        more = f" and {len(unset) - 5} more" if len(unset) > 5 else ""
        self.plan.warnings.append(
            f"{len(unset)} secret(s) are not set, so their fields are not managed: "
            f"{shown}{more}. Set them (or --secrets-file / --secrets-command) to manage them."
        )

    def _deletes_still_used(self) -> None:
        """A delete of an object that something staying on the PBX still uses (a trunk
        of a route no manifest manages) is refused by the PBX: say so before anything is
        sent. The live state already holds every user."""
        doomed = {c.ident: c for c in self.plan.changes if c.action == Action.DELETE}
        if not doomed:
            return
        users: dict[tuple[str, Key], list[str]] = {}
        for kind_name, key, obj in self.live.items():
            if (kind_name, key) in doomed:
                continue
            after = self.merged.get((kind_name, key), obj)
            for ref in KINDS[kind_name].refs(after):
                if (ref.kind, ref.key) in doomed:
                    users.setdefault((ref.kind, ref.key), []).append(KINDS[kind_name].label(key))
        for ident, labels in users.items():
            change = doomed[ident]
            shown = ", ".join(labels[:5]) + (
                f" and {len(labels) - 5} more" if len(labels) > 5 else ""
            )
            change.action = Action.CANNOT
            change.reason = (
                f"on the PBX and in no manifest, but still used by {shown}, which the plan "
                "leaves as it is: the PBX refuses to delete it. Declare those in the "
                "manifests (pruning then deletes them first), or protect this one"
            )

    # ---- narrowing -----------------------------------------------------------------------

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
        for kind_name, key in self.options.targets:
            absent = (
                self.desired.state.get(kind_name, key) is None
                and self.live.get(kind_name, key) is None
            )
            if kind_name in self.live.kinds and absent:
                self.plan.errors.append(
                    PlanProblem(
                        f"--target {kind_name}/{','.join(key)}: no such object in "
                        "the manifests or on the PBX"
                    )
                )
        self.plan.changes = [c for c in self.plan.changes if c.ident in wanted]
        self.plan.unmanaged = {}

    def _skip_unreachable(self) -> None:
        """Drop the "cannot" changes and, transitively, every write that needs one."""
        changes = self.plan.changes
        out = {c.ident for c in changes if c.action == Action.CANNOT}
        self.plan.skipped = [
            SetAside(c.kind, c.key, c.reason, c.common)
            for c in changes
            if c.action == Action.CANNOT
        ]
        grew = True
        while grew:
            grew = False
            for change in changes:
                if change.ident in out or not change.action.writes:
                    continue
                obj = self.merged.get(change.ident)
                for ref in KINDS[change.kind].refs(obj) if obj is not None else []:
                    if (ref.kind, ref.key) in out:
                        out.add(change.ident)
                        needed = KINDS[ref.kind]
                        self.plan.skipped.append(
                            SetAside(
                                change.kind,
                                change.key,
                                f"needs {needed.label(ref.key)}, which is not on the PBX",
                                f"need {needed.section} that are not on the PBX",
                            )
                        )
                        grew = True
                        break
        self.plan.changes = [c for c in changes if c.ident not in out]

    # ---- safety --------------------------------------------------------------------------

    def _safety(self) -> None:
        safety = self.desired.settings.safety
        for kind in KINDS.values():
            existing = len(self.live.objects[kind.name])
            touched = sum(
                1
                for c in self.plan.changes
                if c.kind == kind.name and c.action in (Action.UPDATE, Action.RENAME, Action.DELETE)
            )
            if existing < max(safety.min_objects, 1) or not touched:
                continue
            share = touched / existing
            if share > safety.max_change_share:
                message = (
                    f"{kind.section}: the plan updates or deletes {touched} of {existing} "
                    f"({share:.0%}), more than the {safety.max_change_share:.0%} allowed"
                )
                if self.options.force:
                    self.plan.warnings.append(message + " (--force given)")
                else:
                    self.plan.errors.append(
                        SafetyRefusal(
                            message + "; review it, then use --force",
                            section=kind.section,
                            touched=touched,
                            existing=existing,
                        )
                    )
        for change in self.plan.changes:
            if change.action == Action.CANNOT:
                self.plan.errors.append(CannotDo(change))

    def _fingerprints(self) -> None:
        for change in self.plan.changes:
            for key in {change.key, change.old_key} - {None}:
                assert key is not None
                ident = (change.kind, key)
                self.plan.fingerprints[ident] = fingerprint(self.live.get(*ident))


def _no_id(kind: Kind) -> str:
    return (
        f"the PBX answered no usable `{kind.id_key}` for it (a number), and the API names a "
        f"{kind.title} by it to change it; pbxconf never writes one from a garbled answer"
    )


def _paths(paths: Any) -> Any:
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
    kind = KINDS.lookup(kind_text)
    if not sep or kind is None:
        names = ", ".join(sorted(KINDS))
        raise ValueError(f"{text!r}: expected KIND/KEY with KIND one of {names}")
    key = tuple(part.strip() for part in key_text.split(","))
    if len(key) != len(kind.key_fields) or not all(key):
        raise ValueError(f"{text!r}: a {kind.title} is named by " + ",".join(kind.key_fields))
    return kind.name, key
