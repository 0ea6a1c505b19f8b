"""The JSON Schemas editors use with a fleet's files: the inventory's, and the overlay
layers' (`schemas/pbxconf-overlay.schema.json`).

An overlay declares an object again with only the fields it changes, which the manifest
schema would flag as missing: the overlay schema is the manifest schema with no field
required (but `version`), and a trunk's variants matched by what is given."""

from __future__ import annotations

from typing import Any

from pbxconf.fleet.inventory_model import InventoryModel

BASE_ID = "https://pbxconf.invalid/schemas/"


def inventory_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + "inventory.schema.json",
        **InventoryModel.model_json_schema(),
    }


def overlay_schema(manifest_schema: dict[str, Any]) -> dict[str, Any]:
    """The overlay layers' schema, made from the manifests' (`pbxconf.schema`)."""
    schema = _loosened(manifest_schema)
    schema["required"] = ["version"]
    schema["$id"] = BASE_ID + "pbxconf-overlay.schema.json"
    schema["description"] = (
        "A pbxconf overlay layer: objects of the layers below declared again with the "
        "fields this layer changes, and objects of its own."
    )
    return schema


def _loosened(node: Any) -> Any:
    if isinstance(node, list):
        return [_loosened(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("required", "discriminator"):
            continue
        # A partial trunk may match more than one variant: any of them will do.
        out["anyOf" if key == "oneOf" else key] = _loosened(value)
    return out
