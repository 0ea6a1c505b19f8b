"""How a field's value travels between the PBX and pbxconf, declared once per field.

A converter is three things for one field:
- `decode`: a wire value (always text on this API) -> the canonical value, accepting every
  spelling the manual shows (`"30"` and `30`, `"on"` and `true`, `Hang up` and `Hangup`).
  What no spelling explains is not an error: it comes back as a LiveValue, the text as
  the PBX answered it, so one odd field never stops a read (read tolerantly);
- `encode`: a canonical value -> the text a write sends, only ever a value the manual
  names for that endpoint; a LiveValue, or a value outside the write enum, raises
  Unwritable (write strictly);
- the field's type in the canonical models: a converter is Annotated metadata, so
  `Annotated[int | None, RING_TIMEOUT]` is an int field whose manifest values must be one
  of the enum's and whose JSON Schema says so. Manifests can only ever hold the manifest
  values: a LiveValue is made by decoding alone.

Set-valued lists are sorted by their type (for manifests and answers alike), so order
never shows as a change; ordered lists keep their order (trunk failover order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

from pbxconf.text import CONTROL_CLASS

PRINTABLE = f"^[^{CONTROL_CLASS}]*$"


class DecodeError(ValueError):
    """An answer whose shape is not configuration (a list where text belongs)."""


class Unwritable(ValueError):
    """A value the API cannot write: what the PBX answered outside the write enum, or a
    value the endpoint's list does not name."""


class LiveValue(str):
    """A value the PBX answered that no manifest can declare: outside the field's write
    enum (a queue's max_wait_time `"30"`, where writes take 300, 600...) or not of the
    field's type. Plans show it as the PBX answered it; no write ever sends it; an export
    keeps it under `by_hand`."""

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)


# Tags of the two sides of a field's type: what a manifest may declare, and what only an
# answer can hold. A validation error's location names them; manifest errors drop both.
MANIFEST_SIDE = "manifest"
PBX_SIDE = "pbx"


def as_text(raw: Any) -> str:
    """A wire value as text. The API answers strings; the other branches are for PBXes that
    answer a number or null, and for answers that are not configuration at all."""
    if type(raw) is str:
        return raw
    if isinstance(raw, (dict, list)):
        raise DecodeError(f"expected text, got {type(raw).__name__}")
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return "" if raw is None else str(raw)


def unwritable(value: Any) -> bool:
    return isinstance(value, LiveValue)


class Converter:
    """Text: a wire string is the canonical string. Subclasses convert."""

    # Identity, not value equality: converters are Annotated metadata, and some hold dicts.
    __hash__ = object.__hash__

    def decode(self, raw: Any) -> Any:
        return as_text(raw)

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if unwritable(value):
            raise Unwritable(f"{value!r} is what the PBX holds, and the API cannot write it")
        return "" if value is None else str(value)

    # ---- as the field's type in the models --------------------------------------------

    def manifest_schema(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        """What a manifest may declare: the annotated type, with its constraints."""
        return handler(source)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [
                (self.manifest_schema(source, handler), MANIFEST_SIDE),
                (core_schema.is_instance_schema(LiveValue), PBX_SIDE),
            ],
            mode="left_to_right",
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        return handler(schema["choices"][0][0])  # a LiveValue is never written by hand


class Text(Converter):
    """Text as the PBX answers it. A manifest's text holds no control character (a
    newline, a NUL, a right-to-left override): the PBX would store it, and every output
    that shows it would show something else."""

    def manifest_schema(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        printable = core_schema.nullable_schema(core_schema.str_schema(pattern=PRINTABLE))
        return core_schema.chain_schema([handler(source), printable])

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        return handler(schema["choices"][0][0]["steps"][0])


class Integer(Converter):
    def __init__(self, blank: int | None = None) -> None:
        # What an empty answer means (None: not set).
        self.blank = blank

    def decode(self, raw: Any) -> Any:
        text = as_text(raw).strip()
        if text == "":
            return self.blank
        try:
            return int(text)
        except ValueError:
            return LiveValue(text)

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if value is not None and not unwritable(value):
            return str(int(value))
        return super().encode(value, endpoint)


_SWITCH = {
    **dict.fromkeys(("on", "yes", "1", "true", "enable", "enabled"), True),
    **dict.fromkeys(("off", "no", "0", "false", "disable", "disabled", ""), False),
}


class OnOff(Converter):
    def decode(self, raw: Any) -> Any:
        value = _SWITCH.get(raw) if type(raw) is str else None
        if value is None:
            text = as_text(raw)
            value = _SWITCH.get(text.strip().lower())
            if value is None:
                return LiveValue(text)
        return value

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        raise Unwritable(f"{value!r} is not on or off")


class Choice(Converter):
    """An enum: canonical value -> the wire spelling writes send. `aliases` are other
    spellings an answer may use (compared without case and spaces); `on` gives an
    endpoint its own spelling where its table differs (inroute/add lists `exrange`)."""

    def __init__(
        self,
        to_wire: Mapping[Any, str],
        aliases: Mapping[str, Any] | None = None,
        on: Mapping[str, Mapping[Any, str]] | None = None,
    ) -> None:
        self.to_wire = dict(to_wire)
        self.on = {endpoint: dict(spellings) for endpoint, spellings in (on or {}).items()}
        aliases = dict(aliases or {})
        for spellings in self.on.values():
            aliases.update({wire: canonical for canonical, wire in spellings.items()})
        # The spellings exactly as written, tried before folding case and spaces.
        self._exact = {**aliases, **{wire: canon for canon, wire in self.to_wire.items()}}
        self._folded = {_fold(wire): canon for wire, canon in self._exact.items()}

    @property
    def values(self) -> tuple[Any, ...]:
        return tuple(self.to_wire)

    def decode(self, raw: Any) -> Any:
        if type(raw) is str and raw in self._exact:
            return self._exact[raw]
        text = as_text(raw)
        found = self._folded.get(_fold(text), _MISSING)
        return LiveValue(text) if found is _MISSING else found

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if unwritable(value):
            return super().encode(value, endpoint)
        spellings = self.on.get(endpoint or "", self.to_wire)
        wire = spellings.get(value, self.to_wire.get(value))
        if wire is None:
            raise Unwritable(f"{value!r} is not one of {list(self.to_wire)}")
        return wire

    def manifest_schema(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        schema: Any = core_schema.literal_schema(list(self.to_wire))
        if type(None) in get_args(source):
            schema = core_schema.nullable_schema(schema)
        return schema


_MISSING = object()


class CommaList(Converter):
    """A comma-joined list; `ordered=False` makes it a set (sorted by its type, so order
    never shows as a change), `ordered=True` keeps the order (trunk failover order)."""

    def __init__(self, ordered: bool = False) -> None:
        self.ordered = ordered

    def decode(self, raw: Any) -> Any:
        text = as_text(raw)
        return [part.strip() for part in text.split(",") if part.strip()] if text else []

    def encode(self, value: Any, endpoint: str | None = None) -> str:
        if unwritable(value):
            return super().encode(value, endpoint)
        return ",".join(value or [])

    def manifest_schema(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        schema = handler(source)
        if self.ordered:
            return schema
        return core_schema.no_info_after_validator_function(_as_set, schema)


def _as_set(value: Any) -> Any:
    """The list as a set, in natural order. Its items are text (the list's own schema
    says so); a route's thousands of extension numbers are all digits, and sorted as
    numbers they are in the same order natural_key gives, with no Python call per item."""
    if value is None:
        return value
    unique = set(value)
    if all(map(str.isdigit, unique)):
        return sorted(unique, key=int)
    return sorted(unique, key=natural_key)


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


def natural_key(text: Any) -> tuple[int, int | str]:
    """Numbers in numeric order, then names: 1000 < 1002 < 10000 < sales."""
    text = str(text)
    return (0, int(text)) if text.isdigit() else (1, text)


def sorted_by(key: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An after-validator sorting a list by `key` (sets of groups, e.g. DOD numbers)."""
    return lambda value: value if value is None else sorted(value, key=key)


TEXT = Text()
INTEGER = Integer()
ON_OFF = OnOff()
SET = CommaList(ordered=False)
ORDERED = CommaList(ordered=True)
