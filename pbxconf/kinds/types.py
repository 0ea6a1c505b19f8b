"""Field types and the `wire()` declaration shared by the canonical models.

A model field is declared once: its type (a converter from fields.py as Annotated
metadata: what a manifest may hold and how the value travels) and `wire()` (the key
writes send, the other spellings answers use, and the description). The kind's wire
table, the JSON Schema's descriptions and the codec are all derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler

from pbxconf.kinds.fields import INTEGER, ON_OFF, ORDERED, SET, TEXT
from pbxconf.text import CONTROL_CLASS


class _NumbersAsText:
    """YAML reads `number: 1000` as an int; the PBX's numbers are digit strings. pydantic
    turns a number into its text natively (no Python call per value, which counts when
    thousands of live records are read), and editors are told both forms are fine."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        schema = handler(source)
        if schema["type"] == "nullable":  # `str | None`: the text inside
            return {**schema, "schema": {**schema["schema"], "coerce_numbers_to_str": True}}
        return {**schema, "coerce_numbers_to_str": True}

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        text = handler(schema)
        if handler.mode == "serialization":
            return text
        return {"anyOf": [text, {"type": "integer", "minimum": 0}]}


NUMBERS_AS_TEXT = _AS_TEXT = _NumbersAsText()
# Names travel in comma lists, so they hold no comma, nor a space at either end (the PBX
# trims the pieces of a comma list), nor a control character (see pbxconf/text.py).
NAME_PATTERN = rf"^[^,\s{CONTROL_CLASS}](?:[^,{CONTROL_CLASS}]*[^,\s{CONTROL_CLASS}])?$"


def _not_a_selector(name: str) -> str:
    """The delete and query endpoints read `all` as "every object" (manual lines 1248,
    1492): a name that is `all` would be read as a selector, never as itself."""
    if name.lower() == "all":
        raise ValueError(
            f"the name `{name}` is what the API reads as every object; choose another name"
        )
    return name


_NotASelector = AfterValidator(_not_a_selector)

# Identity and reference types (a manifest must give them; answers may hold anything).
Number = Annotated[str, Field(pattern=r"^[0-9]+$"), _AS_TEXT, TEXT]
Name = Annotated[str, Field(min_length=1, pattern=NAME_PATTERN), _NotASelector, TEXT]
Time = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"), TEXT]
# Optional values.
Text = Annotated[str | None, TEXT]
Digits = Annotated[str | None, Field(pattern=r"^[0-9]*$"), _AS_TEXT, TEXT]
Switch = Annotated[bool | None, ON_OFF]
Count = Annotated[int | None, INTEGER]
NumberItem = Annotated[str, Field(pattern=r"^[0-9]+$"), _AS_TEXT]
_NameItem = Annotated[str, Field(min_length=1, pattern=NAME_PATTERN), _NotASelector]
# Lists: a set (sorted, so order never shows as a change), or in order (failover order).
Numbers = Annotated[list[NumberItem] | None, SET]
Names = Annotated[list[_NameItem] | None, SET]
SomeNames = Annotated[list[_NameItem], Field(min_length=1), SET]
SomeNamesInOrder = Annotated[list[_NameItem], Field(min_length=1), ORDERED]


@dataclass(frozen=True)
class WireSpec:
    """A field's place on the wire: `name` is what writes send, `read` the other spellings
    an answer may use (matched without regard to case). Kept in the field's JSON Schema
    extra, where the kind finds it; as a callable it adds nothing to the schema."""

    name: str
    read: tuple[str, ...] = ()

    def __call__(self, schema: dict[str, Any]) -> None:
        pass


@dataclass(frozen=True)
class GroupSpec:
    """A group field whose members' wire keys depend on it (`{x}transferto` is
    `atransferto` in always_forward): the values `{...}` in their names take."""

    names: tuple[tuple[str, str], ...]

    def __call__(self, schema: dict[str, Any]) -> None:
        pass

    def spell(self, name: str) -> str:
        return name.format(**dict(self.names))


def wire(
    name: str, doc: str = "", *, read: tuple[str, ...] = (), default: Any = None, **kw: Any
) -> Any:
    """A model field that travels as `name` on the wire (`default=...`: required)."""
    spelled = " or ".join(f"`{n}`" for n in (name, *read))
    description = f"{doc} Wire: {spelled}." if doc else f"Wire: {spelled}."
    return Field(default, description=description, json_schema_extra=WireSpec(name, read), **kw)


def group(doc: str, **names: str) -> Any:
    """A group field whose members' wire keys take these values (see GroupSpec)."""
    shown = ", ".join(f"`{{{k}}}` is `{v}`" for k, v in names.items())
    return Field(
        None,
        description=f"{doc} Wire: {shown}.",
        json_schema_extra=GroupSpec(tuple(names.items())),
    )
