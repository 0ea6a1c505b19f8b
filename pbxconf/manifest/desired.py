"""What the manifests declare, as the planner reads it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pbxconf.kinds import KINDS, Key, Kind
from pbxconf.kinds.base import META_FIELDS, declared, values_getter
from pbxconf.manifest.errors import Position
from pbxconf.manifest.settings import Settings
from pbxconf.state import State

if TYPE_CHECKING:
    from pbxconf.manifest.positions import Document


class ObjectPositions:
    """Where each object was declared, (kind, key) -> Position: worked out only when a
    message names one (a plan that cannot create an object, a duplicate declaration)."""

    def __init__(self) -> None:
        self._at: dict[tuple[str, Key], tuple[Document, str, int]] = {}

    def add(self, object_id: tuple[str, Key], doc: Document, section: str, index: int) -> None:
        self._at[object_id] = (doc, section, index)

    def get(self, object_id: tuple[str, Key]) -> Position | None:
        at = self._at.get(object_id)
        return None if at is None else at[0].item_at(at[1], at[2])

    def __getitem__(self, object_id: tuple[str, Key]) -> Position:
        doc, section, index = self._at[object_id]
        return doc.item_at(section, index)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._at

    def copy(self) -> ObjectPositions:
        """Another with the same places (a fleet's base, loaded once, copied per PBX)."""
        other = ObjectPositions()
        other._at = dict(self._at)
        return other

    def __len__(self) -> int:
        return len(self._at)

    def __iter__(self) -> Iterator[tuple[str, Key]]:
        return iter(self._at)


@dataclass
class Desired:
    state: State = field(default_factory=State)
    settings: Settings = field(default_factory=lambda: Settings())
    # kind -> identity keys that exist on the PBX only (checked by plan).
    external: dict[str, set[Key]] = field(default_factory=dict)
    positions: ObjectPositions = field(default_factory=ObjectPositions)
    renames: dict[tuple[str, Key], Key] = field(default_factory=dict)  # new key -> old key
    protected: set[tuple[str, Key]] = field(default_factory=set)
    # Every file read, with the sha256 of its bytes (saved plans pin them).
    files: dict[str, str] = field(default_factory=dict)
    # With --missing-secrets unmanaged: (where, variable) of each secret left unmanaged.
    unset_secrets: list[tuple[str, str]] = field(default_factory=list)
    # (kind, key) -> what the plan compares of each object (see `view`).
    _views: dict[tuple[str, Key], DesiredView] = field(default_factory=dict, repr=False)

    def is_external(self, kind: str, key: Key) -> bool:
        return key in self.external.get(kind, set())

    def view(self, kind: str, key: Key) -> DesiredView:
        """What the plan compares of an object. The loader works it out as it reads each
        object, so a plan only compares; an object replaced since is worked out again."""
        obj = self.state.objects[kind][key]
        cached = self._views.get((kind, key))
        if cached is None or cached.obj is not obj:
            cached = self._views[(kind, key)] = DesiredView.of(KINDS[kind], obj)
        return cached


@dataclass(frozen=True, slots=True)
class DesiredView:
    """A desired object's declared fields, flattened (`voicemail.pin`); the values the PBX
    will read back for them (`wanted`: e.g. a password as its md5); and a getter that
    reads those fields off a live object in one C call, for the usual equal case.

    Kept as tuples, the names shared by every object that declares the same fields: a
    plan holds one view per declared object (28,000 at 10,000 extensions), and two dicts
    each were 2.7 KB of every object."""

    obj: Any
    names: tuple[str, ...]
    values: tuple[Any, ...]  # as compared (`wanted`)
    declared_values: tuple[Any, ...]  # as declared (`fields`); often `values` itself
    getter: Any

    @property
    def fields(self) -> dict[str, Any]:
        return dict(zip(self.names, self.declared_values, strict=True))

    @property
    def wanted(self) -> dict[str, Any]:
        return dict(zip(self.names, self.values, strict=True))

    @classmethod
    def of(cls, kind: Kind, obj: Any) -> DesiredView:
        found_names: list[str] = []
        found: list[Any] = []
        if _declared_fields(obj, "", found_names, found):
            names, declared_values = _shared(tuple(found_names)), tuple(found)
        else:  # a list of groups (trunk DODs): compared as the dump has it
            fields = declared(obj)
            names, declared_values = _shared(tuple(fields)), tuple(fields.values())
        values = declared_values
        if not kind.compared_as.isdisjoint(names):
            values = tuple(map(kind.comparable, names, declared_values))
        return cls(obj, names, values, declared_values, values_getter(names))


# The values a JSON dump leaves as they are.
_PLAIN = frozenset({str, int, bool, type(None)})


def _declared_fields(obj: BaseModel, prefix: str, names: list[str], values: list[Any]) -> bool:
    """The dotted fields a manifest set and their values, without the manifest-only ones,
    as `declared(obj)` has them, read off the object itself: a JSON dump is most of the
    time it takes to load a declared object. False where a value is not one the dump
    leaves as it is (a list of groups): only the dump then says what is declared."""
    held = obj.__dict__  # a model's field values (getattr would look at its class first)
    for name, dotted in _declared_order(obj.__class__, frozenset(obj.model_fields_set), prefix):
        value = held[name]
        if value.__class__ in _PLAIN:  # most values: checked first, isinstance is slower
            pass
        elif isinstance(value, BaseModel):  # a group: its own fields, one level down
            if not _declared_fields(value, dotted + ".", names, values):
                return False
            continue
        elif value.__class__ is not list or any(i.__class__ not in _PLAIN for i in value):
            return False
        names.append(dotted)
        values.append(value)
    return True


_Order = tuple[tuple[str, str], ...]
_ORDERS: dict[tuple[type, frozenset[str], str], _Order] = {}


def _declared_order(model: type, fields_set: frozenset[str], prefix: str) -> _Order:
    """The fields set, in the model's order (a dump's), without the manifest-only ones,
    each with its dotted name. Objects of a kind mostly set the same fields: worked out
    once per model, set of fields and group."""
    order = _ORDERS.get((model, fields_set, prefix))
    if order is None:
        every: Any = model
        order = tuple(
            (n, prefix + n) for n in every.model_fields if n in fields_set and n not in META_FIELDS
        )
        _ORDERS[(model, fields_set, prefix)] = order
    return order


# Field names by their tuple: objects that declare the same fields share one tuple.
_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(names: tuple[str, ...]) -> tuple[str, ...]:
    return _NAMES.setdefault(names, names)
