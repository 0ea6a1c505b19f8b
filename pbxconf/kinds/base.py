"""What every resource kind declares, and the generic wire codec that reads those
declarations.

A kind is data: its manifest section, identity fields, capability flags, sensitive and
read-only fields, references to other kinds, and a table of wire mappings (canonical field
<-> wire name(s) + converter). Generic code (manifest loader, planner, applier, renderers,
export) never names a kind; it asks these declarations. A kind module overrides a hook only
where its endpoint is shaped differently (see each module's docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from pbxconf.kinds.fields import TEXT, DecodeError, Text, as_text
from pbxconf.kinds.query import Query

Key = tuple[str, ...]
WireRecord = dict[str, Any]

# How one record key is read: key, its spelling (for messages), the converter's decode
# (None for text), and the field it fills; a layout is the slots by the group they fill.
_Slot = tuple[Any, str, Any, str]
_Layout = list[tuple[tuple[str, ...], list[_Slot]]]

# Manifest-only fields: they steer pbxconf and never travel to the PBX.
META_FIELDS = frozenset({"renamed_from", "protect"})
_META: set[str] = set(META_FIELDS)  # as model_dump's `exclude` takes it


class Unsupported(Exception):
    """The API cannot do this to this kind of object."""


class KindModel(BaseModel):
    """Base of the canonical models: a field that is not set is not managed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    protect: bool | None = None


@dataclass(frozen=True)
class Wire:
    """One canonical field's wire story: `name` is what writes send, `read` the other
    spellings a query may answer with (matched without regard to case)."""

    field: str  # canonical, dotted for nested groups: "voicemail.pin"
    name: str
    conv: Any = TEXT
    read: tuple[str, ...] = ()


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
    wire: ClassVar[tuple[Wire, ...]]
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

    _adapter: TypeAdapter[Any] = field(init=False, repr=False)
    _spellings: list[tuple[Wire, tuple[str, ...]]] = field(init=False, repr=False)
    _layouts: dict[tuple[Any, ...], _Layout] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._adapter = TypeAdapter(self.model)
        # Each mapping with its spellings lowercased once, not once per record decoded.
        self._spellings = [
            (wire, tuple(n.lower() for n in (wire.name, *wire.read))) for wire in self.wire
        ]
        self._layouts = {}

    # ---- identity ----------------------------------------------------------------------

    def key_of(self, obj: Any) -> Key:
        return tuple(str(getattr(obj, f)) for f in self.key_fields)

    def key_text(self, key: Key) -> str:
        """The identity as a person writes it: `1000`, `carrier`, `1000,07:00`."""
        return ",".join(key)

    def describe_key(self, key: Key) -> str:
        return ",".join(f"{f}={v}" for f, v in zip(self.key_fields, key, strict=True))

    def label(self, key: Key) -> str:
        """`extensions[number=1002]`: how messages and plans name an object."""
        return f"{self.section}[{self.describe_key(key)}]"

    def refs(self, obj: Any) -> list[Ref]:
        return []

    def variant_tags(self) -> tuple[str, ...]:
        """The values of a union model's discriminator (a trunk's `type`), or ()."""
        tag = next((m.discriminator for m in getattr(self.model, "__metadata__", ())), None)
        members = getattr(getattr(self.model, "__origin__", None), "__args__", ())
        if not isinstance(tag, str):
            return ()
        return tuple(m.model_fields[tag].annotation.__args__[0] for m in members)

    def validate(self, data: Any) -> Any:
        return self._adapter.validate_python(data)

    # ---- reading -----------------------------------------------------------------------

    def decode(self, record: WireRecord) -> Any:
        """A query record -> the canonical model, accepting every spelling in the manual."""
        data: dict[str, Any] = {}
        for parents, slots in self._layout(record):
            values: dict[str, Any] = {}
            for key, name, decode, leaf in slots:
                raw = record[key]
                if decode is None and type(raw) is str:
                    values[leaf] = raw  # text, as the PBX answers it: nothing to convert
                    continue
                try:
                    value = (decode or as_text)(raw)
                except DecodeError as err:
                    raise DecodeError(f"`{name}`: {err}") from None
                if value is not None:
                    values[leaf] = value
            if values:
                target = data
                for part in parents:
                    target = target.setdefault(part, {})
                target.update(values)
        data = self.after_decode(data, record)
        try:
            return self.validate(data)
        except ValidationError as err:
            raise DecodeError(self._describe_invalid(err.errors()[0])) from None

    def _describe_invalid(self, error: Any) -> str:
        """A live value the model refuses, said without echoing a secret: the PBX answers
        some passwords and PINs in clear, and this message goes to terminals and CI logs."""
        path = [str(p) for p in error["loc"] if not isinstance(p, int)]
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
        lowered = {str(k).lower(): v for k, v in record.items()}
        parts = []
        for field_name in self.key_fields:
            names = next(names for wire, names in self._spellings if wire.field == field_name)
            value = next((lowered[n] for n in names if n in lowered), None)
            if value is None or isinstance(value, (dict, list)):
                return None
            parts.append(str(value))
        return tuple(parts)

    def wire_id(self, record: WireRecord) -> str | None:
        """The PBX's own id of a live object, where updates need it (trunks, routes)."""
        return None

    # ---- writing -----------------------------------------------------------------------

    def to_wire(self, flat: Mapping[str, Any]) -> WireRecord:
        """Canonical dotted fields -> wire fields (only those given)."""
        out: WireRecord = {}
        for wire in self.wire:
            if wire.field in flat:
                out[wire.name] = wire.conv.encode(flat[wire.field])
        return out

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
        """The object as it will be: the live one with the manifest's fields laid over."""
        data = full(live) if live is not None else {}
        data.update(declared(desired))
        return self.validate(self.fit(unflatten(data)))

    def fit(self, data: dict[str, Any]) -> dict[str, Any]:
        """Drop what cannot stand in the merged object (e.g. a trunk type's foreign fields)."""
        return data

    def comparable(self, field: str, value: Any) -> Any:
        """A desired value as the PBX will read it back (e.g. a password as its md5)."""
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
        values = full(merged)
        fields = set(changed) - {"number"}
        for group in self.together:
            if any(f.startswith(group + ".") for f in fields):
                fields |= {f for f in values if f.startswith(group + ".")}
        body = {self.id_wire: key[0], **self.to_wire({f: values.get(f) for f in sorted(fields)})}
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
        # Groups are plain dicts (model dumps): `isinstance(_, dict)`, not the far slower
        # check against Mapping, since this runs for every field of every object planned.
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
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
