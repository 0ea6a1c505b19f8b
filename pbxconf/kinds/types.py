"""Field types shared by the canonical models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler


class _NumbersAsText:
    """YAML reads `number: 1000` as an int; the PBX's numbers are digit strings. pydantic
    turns a number into its text natively (no Python call per value, which counts when
    thousands of live records are read), and editors are told both forms are fine."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return {**handler(source), "coerce_numbers_to_str": True}

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        text = handler(schema)
        if handler.mode == "serialization":
            return text
        return {"anyOf": [text, {"type": "integer", "minimum": 0}]}


Number = Annotated[str, Field(pattern=r"^[0-9]+$"), _NumbersAsText()]
Digits = Annotated[str, Field(pattern=r"^[0-9]*$"), _NumbersAsText()]
# No commas (names travel in comma lists) and no space at either end (the PBX trims the
# pieces of a comma list, so such a name could never be matched).
Name = Annotated[str, Field(min_length=1, pattern=r"^[^,\s](?:[^,]*[^,\s])?$")]
Time = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def wire_doc(wire: str) -> str:
    return f"Wire: `{wire}`."
