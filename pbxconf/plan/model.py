"""What a plan is made of: changes in a small vocabulary, the steps (API calls) that carry
them out, and the problems that stop it from being applied."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pbxconf.kinds import KINDS, ApiCall, Key
from pbxconf.kinds.base import full


class Action(StrEnum):
    """What a change does to one object. Listed in the order plans count them."""

    CREATE = "create"
    UPDATE = "update"
    RENAME = "rename"
    DELETE = "delete"
    CANNOT = "cannot"  # wanted, but the API cannot do it (the plan is refused)

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def writes(self) -> bool:
        """Whether it leaves the object on the PBX written (created, updated, renamed)."""
        return self in (Action.CREATE, Action.UPDATE, Action.RENAME)


_SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    # Not "->": a line starting with "-" reads as a deletion in a diff (a pull request).
    Action.RENAME: "~>",
    Action.DELETE: "-",
    Action.CANNOT: "!",
}


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any
    sensitive: bool = False


@dataclass
class Change:
    action: Action
    kind: str
    key: Key
    old_key: Key | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: str = ""
    # The reason said of many objects at once (`not on the PBX, and the API cannot create
    # extensions...`), where many share it: plans list them once, with their numbers.
    common: str = ""

    @property
    def label(self) -> str:
        return KINDS[self.kind].label(self.key)

    @property
    def ident(self) -> tuple[str, Key]:
        return (self.kind, self.key)


@dataclass(frozen=True)
class SetAside:
    """With --skip-unreachable: a change not made, and why (a person's step)."""

    kind: str
    key: Key
    reason: str
    common: str = ""

    @property
    def label(self) -> str:
        return KINDS[self.kind].label(self.key)

    def __str__(self) -> str:
        return f"{self.label}: {self.reason}"


@dataclass(frozen=True)
class ManualStep:
    """A value the manifests record under `by_hand` that the PBX does not hold: the API
    cannot write it, so a person sets it in the PBX's web page."""

    kind: str
    key: Key
    field: str
    want: str
    have: str | None  # None: the object is not on the PBX yet

    def __str__(self) -> str:
        where = f"{KINDS[self.kind].label(self.key)}.{self.field}"
        now = "it is not on the PBX yet" if self.have is None else f"the PBX has {self.have!r}"
        return f"{where}: set {self.want!r} in the PBX's web page ({now}; the API cannot write it)"


@dataclass
class Step:
    """Calls that carry out some changes: usually one call for one change; a batched
    delete or create is one call for many changes."""

    changes: list[Change]
    calls: list[ApiCall]


class PlanProblem(str):
    """Something that stops the plan from being applied: the text says it for a person,
    the class says what it is (a caller acts on a SafetyRefusal differently)."""


class CannotDo(PlanProblem):
    """A change the API cannot make (the plan's "cannot" changes, as problems)."""

    change: Change

    def __new__(cls, change: Change) -> CannotDo:
        problem = super().__new__(cls, f"{change.label}: {change.reason}")
        problem.change = change
        return problem


class SafetyRefusal(PlanProblem):
    """The plan updates or deletes more of a kind than the safety share allows."""

    section: str
    touched: int
    existing: int

    def __new__(cls, text: str, *, section: str, touched: int, existing: int) -> SafetyRefusal:
        refusal = super().__new__(cls, text)
        refusal.section, refusal.touched, refusal.existing = section, touched, existing
        return refusal


@dataclass
class PlanOptions:
    prune: bool = False
    force: bool = False
    targets: list[tuple[str, Key]] = field(default_factory=list)
    # Set aside what cannot be done (and what needs it) instead of failing the plan.
    skip_unreachable: bool = False


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    unmanaged: dict[str, int] = field(default_factory=dict)
    errors: list[PlanProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Objects pruning would delete but `protect` keeps.
    protected: list[str] = field(default_factory=list)
    # With skip_unreachable: what was set aside, as manual steps for a person.
    skipped: list[SetAside] = field(default_factory=list)
    # Values the API cannot write that the PBX does not hold (`by_hand`).
    manual: list[ManualStep] = field(default_factory=list)
    # (kind, key) -> sha256 of the live object (or "absent") for everything the plan
    # depends on; apply refuses a saved plan when any of these differ.
    fingerprints: dict[tuple[str, Key], str] = field(default_factory=dict)

    @property
    def calls(self) -> list[ApiCall]:
        return [call for step in self.steps for call in step.calls]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        """Whether applying it would write anything."""
        return any(c.action != Action.CANNOT for c in self.changes)

    @property
    def differs(self) -> bool:
        """Whether the PBX differs from the manifests: changes to apply, or steps to do by
        hand (what `--detailed-exitcode` reports)."""
        return self.has_changes or bool(self.manual)

    def summary(self) -> str:
        parts = [f"{self.count(a)} to {a}" for a in list(Action)[:4]]
        text = "Plan: " + ", ".join(parts) + "."
        if self.count(Action.CANNOT):
            text += f" {self.count(Action.CANNOT)} cannot be done."
        if self.manual:
            text += f" {len(self.manual)} to do by hand."
        unmanaged = sum(self.unmanaged.values())
        if unmanaged:
            text += f" {unmanaged} unmanaged object(s) on the PBX left alone."
        return text


def fingerprint(obj: Any | None) -> str:
    if obj is None:
        return "absent"
    text = json.dumps(full(obj), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
