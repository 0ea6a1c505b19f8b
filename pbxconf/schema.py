"""The JSON Schema of the manifest format, generated from the canonical models.

`schemas/pbxconf.schema.json` is checked in so editors can use it (examples start with a
`# yaml-language-server: $schema=...` line); a test keeps it equal to what the models say.
"""

from __future__ import annotations

import json
from typing import Any

from pbxconf.manifest import manifest_model

SCHEMA_ID = "https://pbxconf.invalid/schemas/pbxconf.schema.json"


# File name -> the function that writes it: what `pbxconf schema` keeps in schemas/.
def schema_files() -> dict[str, str]:
    from pbxconf.fleet.documents import fleet_output_schema
    from pbxconf.fleet.schema import inventory_schema, overlay_schema
    from pbxconf.render.json_apply import apply_output_schema
    from pbxconf.render.json_plan import plan_output_schema

    plan = json.dumps(plan_output_schema(), indent=2, sort_keys=True) + "\n"
    applied = json.dumps(apply_output_schema(), indent=2, sort_keys=True) + "\n"
    return {
        "pbxconf.schema.json": manifest_schema_text(),
        "plan-output.schema.json": plan,
        "apply-output.schema.json": applied,
        "inventory.schema.json": json.dumps(inventory_schema(), indent=2, sort_keys=True) + "\n",
        "pbxconf-overlay.schema.json": json.dumps(
            overlay_schema(manifest_schema()), indent=2, sort_keys=True
        )
        + "\n",
        "fleet-output.schema.json": json.dumps(fleet_output_schema(), indent=2, sort_keys=True)
        + "\n",
    }


def manifest_schema() -> dict[str, Any]:
    schema = _allow_env_references(manifest_model().model_json_schema())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def _allow_env_references(node: Any) -> Any:
    """A `${VAR}` string is checked after substitution, so editors must not flag it."""
    if isinstance(node, dict):
        out = {k: _allow_env_references(v) for k, v in node.items()}
        if isinstance(out.get("pattern"), str):
            out["pattern"] = f"(?:{out['pattern']})|\\$\\{{"
        return out
    if isinstance(node, list):
        return [_allow_env_references(v) for v in node]
    return node


def manifest_schema_text() -> str:
    return json.dumps(manifest_schema(), indent=2, sort_keys=True) + "\n"
