"""The example fleet's files: each names the schema editors check it with, and follows it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.fleet.conftest import EXAMPLE, ROOT

MANIFESTS = sorted(p for p in EXAMPLE.rglob("*.yaml") if p.name != "pbxconf.yaml")


@pytest.mark.parametrize("path", MANIFESTS, ids=[str(p.relative_to(EXAMPLE)) for p in MANIFESTS])
def test_manifests_name_and_follow_the_schema(path: Path) -> None:
    """The base's files are whole manifests; a hotel's layer follows the overlay schema."""
    name = "pbxconf.schema.json" if "base" in path.parts else "pbxconf-overlay.schema.json"
    first = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (path.parent / first.removeprefix(prefix)).resolve() == ROOT / "schemas" / name
    schema = json.loads((ROOT / "schemas" / name).read_text())
    jsonschema.validate(json.loads(json.dumps(YAML(typ="safe").load(path.read_text()))), schema)


def test_the_overlay_schema_refuses_what_no_layer_may_say() -> None:
    schema = json.loads((ROOT / "schemas" / "pbxconf-overlay.schema.json").read_text())
    partial = {"version": 1, "trunks": [{"name": "provider", "password": "x"}]}
    jsonschema.validate(partial, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "trunks": [{"name": "p", "colour": "red"}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"trunks": []}, schema)


def test_the_inventory_names_and_follows_its_schema() -> None:
    path = EXAMPLE / "pbxconf.yaml"
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/inventory.schema.json"
    schema = json.loads((ROOT / "schemas" / "inventory.schema.json").read_text())
    jsonschema.validate(YAML(typ="safe").load(path.read_text()), schema)
