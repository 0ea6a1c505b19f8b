"""The whole manifest format as one model, generated from the kinds' registry: the JSON
Schema editors use is made from it."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from pbxconf.kinds import KINDS
from pbxconf.manifest.settings import Settings


def external_model() -> type[BaseModel]:
    """`external:`: a list per kind that may be external (numbers take ranges)."""
    fields: dict[str, Any] = {}
    for kind in KINDS.values():
        if not kind.may_be_external:
            continue
        if kind.key_fields == ("number",):
            item: Any = str | int
            fields[kind.section] = (
                Optional[list[item]],  # noqa: UP045 - a type built at run time
                Field(None, description="Numbers or ranges like 1000-1019."),
            )
        else:
            fields[kind.section] = (Optional[list[str]], None)  # noqa: UP045
    return create_model(  # type: ignore[call-overload, no-any-return]
        "External", __config__=ConfigDict(extra="forbid"), **fields
    )


def manifest_model() -> type[BaseModel]:
    """The whole manifest format as one model, for the JSON Schema editors use."""
    fields: dict[str, Any] = {
        "version": (Literal[1], Field(description="The manifest format version.")),
        "settings": (Settings | None, None),
        "external": (
            external_model() | None,
            Field(
                None,
                description="Objects that exist on the PBX only: references to them "
                "are allowed, and plan checks they exist.",
            ),
        ),
    }
    for kind in KINDS.values():
        item = kind.model
        # A model built at run time: its field types are values here, not annotations.
        fields[kind.section] = (Optional[list[item]], None)  # type: ignore[valid-type]  # noqa: UP045
    model = create_model(  # type: ignore[call-overload]
        "PbxconfManifest", __config__=ConfigDict(extra="forbid"), **fields
    )
    model.__doc__ = "A pbxconf manifest: the configuration of a cloud PBX (API v1.1.0)."
    return model  # type: ignore[no-any-return]
