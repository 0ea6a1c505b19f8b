"""What every resource kind declares, and the generic wire codec that reads those
declarations.

A kind is data: its manifest section, identity fields, capability flags, sensitive and
read-only fields, references to other kinds, its query, and its model, whose fields each
declare their wire name and converter (types.wire): the wire table is derived from it.
Generic code (manifest loader, planner, applier, renderers, export) never names a kind;
it asks these declarations. A kind module overrides a hook only where its endpoint is
shaped differently (see each module's docstring).

Reading is tolerant: a value no spelling in the manual explains, or one a manifest could
not declare (outside a write enum, a name with a comma), is kept as a LiveValue; a key an
answer leaves out is simply not set (the model's fields_set says what was answered).
Writing is strict: encoding a LiveValue raises Unwritable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Annotated, Any, ClassVar, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pbxconf.kinds.fields import (
    MANIFEST_SIDE,
    PBX_SIDE,
    TEXT,
    Converter,
    DecodeError,
    LiveValue,
    Text,
    Unwritable,
    as_text,
)
from pbxconf.kinds.query import Query
from pbxconf.kinds.types import NUMBERS_AS_TEXT, GroupSpec, WireSpec
from pbxconf.text import printable

Key = tuple[str, ...]
WireRecord = dict[str, Any]

# How one record key is read: key, its spelling (for messages), the converter's decode
# (None for text), and the field it fills; a layout is the slots by the group they fill.
_Slot = tuple[Any, str, Any, str]
_Layout = list[tuple[tuple[str, ...], list[_Slot]]]

# Manifest-only fields: they steer pbxconf and never travel to the PBX.
META_FIELDS = frozenset({"renamed_from", "protect", "by_hand"})
_META: set[str] = set(META_FIELDS)  # as model_dump's `exclude` takes it
# The validation context of what a PBX answered: rules that only a manifest must keep
# (a custom wake-up call's days, a destination's target) are not asked of an answer.
LIVE = {"live": True}


class Unsupported(Exception):
    """The API cannot do this to this kind of object."""


class KindModel(BaseModel):
    """Base of the canonical models: a field that is not set is not managed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    protect: bool | None = None
    by_hand: dict[str, Annotated[str, NUMBERS_AS_TEXT]] | None = Field(
        None,
        description="Values the PBX holds that the API cannot write (an export records them "
        "here): field -> the value as the PBX answers it. The plan lists each one the PBX "
        "does not have as a step to do by hand in the PBX's web page.",
    )


def is_live(info: Any) -> bool:
    """Whether a validator runs on what a PBX answered (see LIVE)."""
    return bool(info.context and info.context.get("live"))


@dataclass(frozen=True)
class Wire:
    """One canonical field's wire story, as its model declares it: `name` is what writes
    send, `read` the other spellings a query may answer with (matched without regard to
    case)."""

    field: str  # canonical, dotted for nested groups: "voicemail.pin"
    name: str
    conv: Any = TEXT
    read: tuple[str, ...] = ()


def wire_table(model: Any, prefix: str = "", names: GroupSpec | None = None) -> tuple[Wire, ...]:
    """The wire declarations of a model's fields, groups and union members included, in
    declaration order (a field shared by union members once)."""
    members = get_args(getattr(model, "__origin__", None)) or (model,)
    spell = names.spell if names is not None else str
    out: dict[str, Wire] = {}
    for member in members:
        for name, info in member.model_fields.items():
            spec = info.json_schema_extra
            group = _group_model(info.annotation)
            if isinstance(spec, WireSpec):
                conv = next((m for m in info.metadata if isinstance(m, Converter)), TEXT)
                read = tuple(spell(r) for r in spec.read)
                out.setdefault(prefix + name, Wire(prefix + name, spell(spec.name), conv, read))
            elif group is not None:
                inner = spec if isinstance(spec, GroupSpec) else None
                for wire in wire_table(group, f"{prefix}{name}.", inner):
                    out.setdefault(wire.field, wire)
    return tuple(out.values())


def _group_model(annotation: Any) -> Any:
    """The model of a nested group field (`voicemail: Voicemail | None`), or None."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


@dataclass(frozen=True)
class Ref:
    """A reference from one object to another: `path` is where, inside the referrer."""

    kind: str
    key: Key
    path: str


@dataclass
class ApiCall:
    """One write the applier sends. `secret_keys` are wire keys masked when shown."""

    endpoint: str
    body: WireRecord
    secret_keys: frozenset[str] = frozenset()

    def masked_body(self) -> WireRecord:
        return {
            k: ("(sensitive)" if k in self.secret_keys and v not in ("", None) else v)
            for k, v in self.body.items()
        }


@dataclass
class Kind:
    """A resource kind's declarations. Subclasses fill the class attributes."""

    name: ClassVar[str]  # "extension"
    section: ClassVar[str]  # manifest key: "extensions"
    title: ClassVar[str]  # for people: "extension"
    model: ClassVar[Any]  # the canonical model (or an Annotated union of models)
    key_fields: ClassVar[tuple[str, ...]]
    can_create: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    can_rename: ClassVar[bool] = False
    sensitive: ClassVar[frozenset[str]] = frozenset()
    # Canonical name -> wire name of fields the API reads but cannot write.
    read_only: ClassVar[Mapping[str, str]] = {}
    # Manifest fields that belong elsewhere: name -> where to declare them instead.
    moved: ClassVar[Mapping[str, str]] = {}
    query: ClassVar[Query]
    # Creates that share their settings go in one call (wake-ups: `extid` lists many).
    batches_creates: ClassVar[bool] = False
    # May be listed under `external:`: on the PBX, referenced, not managed here.
    may_be_external: ClassVar[bool] = False
    # Fields an export leaves out, each with what an export's header says of it: the PBX
    # answers them in a form that cannot be written back.
    not_exportable: ClassVar[Mapping[str, str]] = {}
    # Answer keys pbxconf does not read, each with why (runtime state, live calls...).
    not_read: ClassVar[Mapping[str, str]] = {}
    # The answer key of the PBX's own id of an object, which its updates name it by
    # (trunks and routes: `id`; wake-up calls: `wakeupid`); None: updated by identity.
    id_key: ClassVar[str | None] = None
    # Whether its deletes name it by that id too (wake-up calls), not by its identity.
    deletes_by_id: ClassVar[bool] = False
    # The PBX's ConfigChange reports about this kind: their `type`, and the report key
    # that names the object. None: the PBX does not report changes to it.
    reported_as: ClassVar[tuple[str, str] | None] = None
    # Fields whose desired value is compared as something else (`comparable`).
    compared_as: ClassVar[frozenset[str]] = frozenset()

    wire: tuple[Wire, ...] = field(init=False, repr=False)
    _adapter: TypeAdapter[Any] = field(init=False, repr=False)
    _spellings: list[tuple[Wire, tuple[str, ...]]] = field(init=False, repr=False)
    _layouts: dict[tuple[Any, ...], _Layout] = field(init=False, repr=False)
    _identity_keys: dict[tuple[Any, ...], tuple[Any, ...]] = field(init=False, repr=False)
    _tags: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.wire = wire_table(self.model)
        self._adapter = TypeAdapter(self.model)
        # Each mapping with its spellings lowercased once, not once per record decoded.
        self._spellings = [
            (wire, tuple(n.lower() for n in (wire.name, *wire.read))) for wire in self.wire
        ]
        self._layouts = {}
        self._identity_keys = {}
        self._tags = self._variant_tags()

    # ---- identity ----------------------------------------------------------------------

    def key_of(self, obj: Any) -> Key:
        if len(self.key_fields) == 1:  # most kinds: one field, no generator
            return (str(getattr(obj, self.key_fields[0])),)
        return tuple(str(getattr(obj, f)) for f in self.key_fields)

    def key_text(self, key: Key) -> str:
        """The identity as a person writes it: `1000`, `carrier`, `1000,07:00` (a live
        name's control characters escaped: it is printed)."""
        return printable(",".join(key))

    def describe_key(self, key: Key) -> str:
        return printable(",".join(f"{f}={v}" for f, v in zip(self.key_fields, key, strict=True)))

    def label(self, key: Key) -> str:
        """`extensions[number=1002]`: how messages and plans name an object."""
        return f"{self.section}[{self.describe_key(key)}]"

    def refs(self, obj: Any) -> list[Ref]:
        return []

    def variant_tags(self) -> tuple[str, ...]:
        """The values of a union model's discriminator (a trunk's `type`), or ()."""
        return self._tags

    def _variant_tags(self) -> tuple[str, ...]:
        tag = next((m.discriminator for m in getattr(self.model, "__metadata__", ())), None)
        members = getattr(getattr(self.model, "__origin__", None), "__args__", ())
        if not isinstance(tag, str):
            return ()
        return tuple(m.model_fields[tag].annotation.__args__[0] for m in members)

    def validate(self, data: Any) -> Any:
        """A manifest's object: every value must be one a write can send."""
        return self._adapter.validate_python(data)

    # ---- reading -----------------------------------------------------------------------

    def decode(self, record: WireRecord) -> Any:
        """A query record -> the canonical model, accepting every spelling in the manual.
        A value a manifest could not declare is kept as a LiveValue; DecodeError only for
        a record that is not this kind's at all (no usable type, a list for text)."""
        data: dict[str, Any] = {}
        for parents, slots in self._layout(record):
            values: dict[str, Any] = {}
            for key, name, decode, leaf in slots:
                raw = record[key]
                if decode is None and type(raw) is str:
                    values[leaf] = raw  # text, as the PBX answers it: nothing to convert
                    continue
                try:
                    # None too: the key was answered (empty), which is not the same as
                    # left out (unknown; see `answered`).
                    values[leaf] = (decode or as_text)(raw)
                except DecodeError as err:
                    raise DecodeError(f"`{name}`: {err}") from None
            if values:
                target = data
                for part in parents:
                    target = target.setdefault(part, {})
                target.update(values)
        return self.read(self.after_decode(data, record), record)

    def read(self, data: dict[str, Any], record: WireRecord | None = None) -> Any:
        """Decoded data -> the model, tolerantly: values the model refuses are kept as
        LiveValues (the text the PBX answered, where `record` is given), keys it needs
        but the answer left out as empty LiveValues."""
        tags = self.variant_tags()
        wrapped: set[tuple[str, ...]] = set()
        while True:
            try:
                return self._adapter.validate_python(data, context=LIVE)
            except ValidationError as err:
                errors = err.errors()
                raw = self._answered_text(record or {})
                now = [_tolerate(data, error, tags, wrapped, raw) for error in errors]
                kept = {field for field in now if field}
                if None in now or not kept:  # nothing more a LiveValue explains
                    raise DecodeError(self._describe_invalid(errors[0])) from None
                wrapped |= kept

    def _answered_text(self, record: WireRecord) -> dict[str, str]:
        """Each field's value as the record gave it, by dotted field name."""
        lowered = {str(k).lower(): v for k, v in record.items()}
        out = {}
        for wire, names in self._spellings:
            value = next((lowered[n] for n in names if n in lowered), None)
            if value is not None and not isinstance(value, (dict, list)):
                out[wire.field] = as_text(value)
        return out

    def _describe_invalid(self, error: Any) -> str:
        """A live value the model refuses, said without echoing a secret: the PBX answers
        some passwords and PINs in clear, and this message goes to terminals and CI logs."""
        path = [str(p) for p in field_loc(error["loc"]) if not isinstance(p, int)]
        if error["type"] == "union_tag_not_found":
            tag = str(error.get("ctx", {}).get("discriminator", "type")).strip("'")
            wire = next((w.name for w in self.wire if w.field == tag), tag)
            return f"it gives no `{wire}` (the {self.title}'s {tag})"
        if error["type"] == "union_tag_invalid":
            ctx = error.get("ctx", {})
            return f"{self.title} type {ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
        # A union's loc starts with the member's tag ("peer"): a field is any tail of it.
        secret = any(".".join(path[i:]) in self.sensitive for i in range(len(path)))
        found = error.get("input")
        where = ".".join(path) or "the record"
        if secret:
            return f"{where}: {error['msg']} (the value is not shown: it is sensitive)"
        if isinstance(found, (dict, list)):
            return f"{where}: {error['msg']}"
        return f"{where}: {error['msg']} (got {found!r})"

    def _layout(self, record: WireRecord) -> _Layout:
        """Which key of the record each mapping reads (spellings matched without regard to
        case), grouped by where the values go. The records of one answer share their keys,
        so this is worked out once per answer, not once per record."""
        keys = tuple(record)
        layout = self._layouts.get(keys)
        if layout is None:
            present = {str(k).lower(): k for k in keys}
            groups: dict[tuple[str, ...], list[_Slot]] = {}
            for wire, names in self._spellings:
                name = next((n for n in names if n in present), None)
                if name is not None:
                    *parents, leaf = wire.field.split(".")
                    # Text needs no converter call for a string (see decode).
                    decode = None if isinstance(wire.conv, Text) else wire.conv.decode
                    groups.setdefault(tuple(parents), []).append(
                        (present[name], name, decode, leaf)
                    )
            layout = list(groups.items())
            if len(self._layouts) >= 64:  # answers whose records differ: keep it bounded
                self._layouts.clear()
            self._layouts[keys] = layout
        return layout

    def after_decode(self, data: dict[str, Any], record: WireRecord) -> dict[str, Any]:
        return data

    def describe_record(self, record: Any) -> str:
        """How a message names a record of an answer: by its identity fields, read with
        every spelling the manual gives them; never by whatever keys come first (a
        password could)."""
        if not isinstance(record, dict):
            return f"({type(record).__name__}, not a record)"
        lowered = {str(k).lower(): v for k, v in record.items()}
        parts = []
        for field_name in self.key_fields:
            for wire, names in self._spellings:
                if wire.field == field_name:
                    value = next((lowered[n] for n in names if n in lowered), None)
                    if value is not None:
                        parts.append(f"{wire.name}={value}")
                    break
        return f"({', '.join(parts)})" if parts else "(which one the answer does not say)"

    def identity_of(self, record: WireRecord) -> Key | None:
        """A record's identity, read with every spelling the manual gives its key fields;
        None where the record lacks one."""
        parts = []
        for key in self._identity_layout(record):
            value = None if key is None else record[key]
            if value is None or isinstance(value, (dict, list)):
                return None
            parts.append(value if type(value) is str else str(value))
        return tuple(parts)

    def _identity_layout(self, record: WireRecord) -> tuple[Any, ...]:
        """Which key of the record holds each identity field (None: none does), matched
        without regard to case, the last of keys that differ only in case. Worked out once
        per set of keys, as `_layout` is."""
        keys = tuple(record)
        layout = self._identity_keys.get(keys)
        if layout is None:
            present = {str(k).lower(): k for k in keys}
            found = []
            for field_name in self.key_fields:
                names = next(n for wire, n in self._spellings if wire.field == field_name)
                found.append(next((present[n] for n in names if n in present), None))
            layout = tuple(found)
            if len(self._identity_keys) >= 64:  # answers whose records differ: bounded
                self._identity_keys.clear()
            self._identity_keys[keys] = layout
        return layout

    def wire_id(self, record: WireRecord) -> str | None:
        """The PBX's own id of a live object, where its writes need it (`id_key`): a
        number (the manual types it Int), or None where the answer gives none usable, so
        that no write is ever made of a garbled id."""
        if self.id_key is None:
            return None
        value = record.get(self.id_key)
        text = value if isinstance(value, str) else str(value) if type(value) is int else ""
        return text if text.isdigit() else None

    # ---- writing -----------------------------------------------------------------------

    def to_wire(self, flat: Mapping[str, Any], endpoint: str | None = None) -> WireRecord:
        """Canonical dotted fields -> wire fields (only those given), as `endpoint` spells
        them. Unwritable, naming the field, for a value the API cannot write."""
        out: WireRecord = {}
        for wire in self.wire:
            if wire.field in flat:
                try:
                    out[wire.name] = wire.conv.encode(flat[wire.field], endpoint)
                except Unwritable as err:
                    raise Unwritable(f"`{wire.field}`: {err}") from None
        return out

    def unsafe_name(self, key: Key) -> str | None:
        """Why an identity must never be sent where the API reads names as a selector:
        deletes and queries take comma lists, and `all` means every object (manual lines
        1248, 1492). None where it is safe."""
        for part in key:
            if "," in part:
                return f"`{printable(part)}` holds a comma, which the API reads as a list of names"
            if part.strip().lower() == "all":
                return f"`{printable(part)}` is what the API reads as every {self.title}"
        return None

    def secret_wire_keys(self) -> frozenset[str]:
        return frozenset(w.name for w in self.wire if w.field in self.sensitive)

    def call(self, endpoint: str, body: WireRecord) -> ApiCall:
        return ApiCall(endpoint, body, self.secret_wire_keys())

    def missing_for_create(self, obj: Any) -> list[str]:
        """Fields the API needs to create this object that the manifest leaves out."""
        return []

    def create_calls(self, objs: list[Any]) -> list[ApiCall]:
        raise Unsupported(f"{self.title}s cannot be created through the API")

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Iterable[str]
    ) -> ApiCall:
        raise Unsupported(f"{self.title}s cannot be updated through the API")

    def delete_calls(self, doomed: list[tuple[Key, str | None]]) -> list[ApiCall]:
        raise Unsupported(f"{self.title}s cannot be deleted through the API")

    # ---- planning hooks ----------------------------------------------------------------

    def merge(self, live: Any | None, desired: Any) -> Any:
        """The object as it will be: the live one with the manifest's fields laid over.
        What the PBX holds that no write can send stays a LiveValue."""
        data = as_held(live) if live is not None else {}
        data.update(declared(desired))
        return self._adapter.validate_python(self.fit(unflatten(data)), context=LIVE)

    def fit(self, data: dict[str, Any]) -> dict[str, Any]:
        """Drop what cannot stand in the merged object (e.g. a trunk type's foreign fields)."""
        return data

    def comparable(self, field: str, value: Any) -> Any:
        """A desired value as the PBX will read it back (e.g. a password as its md5), for
        the fields in `compared_as`."""
        return value


class NumberedKind(Kind):
    """Extensions, IVRs and queues: found by number, never created or deleted through the
    API, updated with the identity plus only the fields that change, renumbered by
    sending the new number in the same update."""

    can_create = False
    can_delete = False
    can_rename = True
    update_endpoint: ClassVar[str]
    id_wire: ClassVar[str]  # the request key naming the object to update
    # Field groups (e.g. a forwarding target and its switch) sent whole when any part
    # changes, so the PBX always checks a consistent set.
    together: ClassVar[tuple[str, ...]] = ()

    def update_call(
        self, key: Key, wire_id: str | None, live: Any, merged: Any, changed: Iterable[str]
    ) -> ApiCall:
        values = as_held(merged)
        fields = set(changed) - {"number"}
        for group in self.together:
            if any(f.startswith(group + ".") for f in fields):
                # The rest of the group as the PBX holds it; a value it holds that no write
                # can send, it keeps.
                fields |= {
                    f
                    for f, v in values.items()
                    if f.startswith(group + ".") and not isinstance(v, LiveValue)
                }
        body = {
            self.id_wire: key[0],
            **self.to_wire({f: values.get(f) for f in sorted(fields)}, self.update_endpoint),
        }
        if merged.number != key[0]:
            body[next(w.name for w in self.wire if w.field == "number")] = merged.number
        return self.call(self.update_endpoint, body)


# ---- dotted-field helpers -------------------------------------------------------------


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[leaf] = value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"voicemail": {"pin": "1"}} -> {"voicemail.pin": "1"}; lists stay whole."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        # Groups are plain dicts (model dumps), one level deep: the class, not the far
        # slower check against Mapping, and the group's fields here, not in a call, since
        # this runs for every field of every object planned.
        if value.__class__ is dict:
            group = f"{prefix}{key}."
            for inner, item in value.items():
                if item.__class__ is dict:
                    out.update(flatten(item, f"{group}{inner}."))
                else:
                    out[group + inner] = item
        else:
            out[prefix + key] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for dotted, value in flat.items():
        set_dotted(data, dotted, value)
    return data


_GETTERS: dict[tuple[str, ...], Callable[[Any], tuple[Any, ...]]] = {}


def values_getter(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function reading these dotted fields off a model as a tuple, in C (attrgetter).
    It raises AttributeError where a group on the way is None. Objects of a kind mostly
    declare the same fields, so the getters are shared."""
    getter = _GETTERS.get(fields)
    if getter is None:
        if len(fields) == 1:
            one = attrgetter(fields[0])
            getter = lambda obj: (one(obj),)  # noqa: E731 - attrgetter of one name: no tuple
        else:
            getter = attrgetter(*fields) if fields else (lambda obj: ())
        _GETTERS[fields] = getter
    return getter


def declared(obj: BaseModel) -> dict[str, Any]:
    """The fields a manifest set, flattened, without the manifest-only ones."""
    return flatten(obj.model_dump(mode="json", exclude_unset=True, exclude=_META))


def full(obj: BaseModel) -> dict[str, Any]:
    return flatten(obj.model_dump(mode="json", exclude_none=True, exclude=_META))


def as_held(obj: BaseModel) -> dict[str, Any]:
    """Every field, flattened, its values as they are held: a LiveValue stays one."""
    return flatten(obj.model_dump(exclude_none=True, exclude=_META))


def answered(obj: BaseModel, prefix: str = "") -> set[str]:
    """The dotted fields an answer gave (a key it left out is not known, not empty)."""
    out: set[str] = set()
    for name in obj.model_fields_set:
        value = getattr(obj, name)
        if isinstance(value, BaseModel):
            out |= answered(value, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def field_loc(loc: tuple[Any, ...]) -> list[Any]:
    """A validation error's location without the steps that are not fields: the side of
    a field's type (manifest or PBX) and a union's member (a trunk's type)."""
    return [p for p in loc if p not in (MANIFEST_SIDE, PBX_SIDE) and not _is_tag(p)]


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def _tolerate(
    data: dict[str, Any],
    error: Any,
    tags: tuple[str, ...],
    wrapped: set[tuple[str, ...]],
    raw: dict[str, str],
) -> tuple[str, ...] | None:
    """Keep the value an error is about as a LiveValue (an empty one where the answer left
    out a key the model needs), and say which field that was: () where the error is the
    other side of one already kept, None where no value explains it (a record of no known
    type, or a field kept before that still does not fit)."""
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return None
    if error["loc"] and error["loc"][-1] == PBX_SIDE:
        return ()  # the other side of the same field's error
    path = field_loc(error["loc"])
    if path and path[0] in tags:
        path = path[1:]  # a union's member (a trunk's type) is not a field
    if any(not isinstance(p, str) for p in path):
        # An item of a list (or a field of one): the list is the field.
        path = path[: next(i for i, p in enumerate(path) if not isinstance(p, str))]
    field = tuple(str(p) for p in path)
    if not field or field in wrapped:
        return None
    holder: Any = data
    for part in field[:-1]:
        holder = holder.setdefault(part, {}) if isinstance(holder, dict) else None
    if not isinstance(holder, dict):
        return None
    value = holder.get(field[-1])
    if not isinstance(value, LiveValue):  # a field's second error: kept already
        answered = raw.get(".".join(field))
        holder[field[-1]] = LiveValue(answered if answered is not None else _as_live_text(value))
    return field


def _as_live_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return ",".join(as_text(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return as_text(value)
