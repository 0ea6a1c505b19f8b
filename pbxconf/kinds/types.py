"""Field types shared by the canonical models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def _number_text(value: Any) -> Any:
    """YAML reads `number: 1000` as an int; the PBX's numbers are digit strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


# Editors may see `number: 1000` (an integer) as well as `number: "1000"`.
_AS_TEXT = BeforeValidator(_number_text, json_schema_input_type=str | int)
# The pattern before the validator: pydantic then checks it natively, not in Python.
Number = Annotated[str, Field(pattern=r"^[0-9]+$"), _AS_TEXT]
Digits = Annotated[str, Field(pattern=r"^[0-9]*$"), _AS_TEXT]
# No commas (names travel in comma lists) and no space at either end (the PBX trims the
# pieces of a comma list, so such a name could never be matched).
Name = Annotated[str, Field(min_length=1, pattern=r"^[^,\s](?:[^,]*[^,\s])?$")]
Time = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def wire_doc(wire: str) -> str:
    return f"Wire: `{wire}`."
