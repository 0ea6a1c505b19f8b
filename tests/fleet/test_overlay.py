"""A PBX's manifests as layers: how an overlay overrides the base, and its conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxconf.fleet.layer_cache import LayerCache
from pbxconf.fleet.overlay import load_layers
from pbxconf.kinds.base import declared
from pbxconf.manifest import Desired, ManifestErrors

BASE = """\
version: 1
settings:
  prune: {trunks: true}
  safety: {max_change_share: 0.3, min_objects: 10}
  protect: {trunks: [legacy]}
external:
  extensions: ["1010-1019"]
extensions:
  - number: 1000
    name: Reception
    ring_timeout: 30
    voicemail: {enabled: true, pin: "${PIN:-1234}"}
trunks:
  - name: carrier
    type: register
    host: sip.carrier.example
    port: 5060
    domain: sip.carrier.example
    username: "8001"
    auth_name: "8001"
    password: secret
outbound_routes:
  - name: out
    pattern: "9."
    trunks: [carrier]
    extensions: [1000, 1010]
"""


def layers(tmp_path: Path, *texts: str) -> list[Path]:
    paths = []
    for i, text in enumerate(texts):
        folder = tmp_path / f"layer{i}"
        folder.mkdir()
        (folder / "pbx.yaml").write_text(text)
        paths.append(folder)
    return paths


def load(tmp_path: Path, *texts: str, env: dict[str, str] | None = None) -> Desired:
    return load_layers(layers(tmp_path, *texts), env or {})


def errors(tmp_path: Path, *texts: str) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load(tmp_path, *texts)
    return [str(e).replace(str(tmp_path) + "/", "") for e in caught.value.errors]


def fields(desired: Desired, kind: str, *key: str) -> dict[str, object]:
    return declared(desired.state.objects[kind][key])


def test_an_overlay_overrides_field_by_field(tmp_path: Path) -> None:
    site = """\
version: 1
extensions:
  - number: 1000
    name: Lisbon
    voicemail: {enabled: false}
outbound_routes:
  - name: out
    extensions: [1000]
"""
    desired = load(tmp_path, BASE, site)
    assert fields(desired, "extension", "1000") == {
        "number": "1000",
        "name": "Lisbon",  # replaced
        "ring_timeout": 30,  # kept from the base
        "voicemail.enabled": False,  # a group: merged key by key
        "voicemail.pin": "1234",
    }
    route = fields(desired, "outbound_route", "out")
    assert route["extensions"] == ["1000"]  # a list: replaced whole
    assert route["pattern"] == "9." and route["trunks"] == ["carrier"]


def test_an_overlay_adds_objects_and_external_entries(tmp_path: Path) -> None:
    site = "version: 1\nexternal: {extensions: [1020]}\nextensions: [{number: 1001, name: A}]\n"
    desired = load(tmp_path, BASE, site)
    assert set(desired.state.objects["extension"]) == {("1000",), ("1001",)}
    assert ("1010",) in desired.external["extension"]
    assert ("1020",) in desired.external["extension"]


def test_settings_merge_key_by_key(tmp_path: Path) -> None:
    site = "version: 1\nsettings:\n  safety: {max_change_share: 0.5}\n  protect: {trunks: [old]}\n"
    desired = load(tmp_path, BASE, site)
    assert desired.settings.safety.max_change_share == 0.5
    assert desired.settings.safety.min_objects == 10
    assert desired.settings.prunes("trunks")
    assert desired.protected == {("trunk", ("old",))}  # a list: replaced whole


def test_three_layers_each_over_the_ones_before(tmp_path: Path) -> None:
    region = "version: 1\nextensions: [{number: 1000, ring_timeout: 60}]\n"
    site = "version: 1\nextensions: [{number: 1000, name: Porto}]\n"
    desired = load(tmp_path, BASE, region, site)
    assert fields(desired, "extension", "1000")["ring_timeout"] == 60
    assert fields(desired, "extension", "1000")["name"] == "Porto"


def test_changing_a_variant_is_a_conflict_naming_both_places(tmp_path: Path) -> None:
    site = "version: 1\ntrunks:\n  - name: carrier\n    type: peer\n"
    assert errors(tmp_path, BASE, site) == [
        "layer1/pbx.yaml:4:11: trunks[name=carrier].type: conflict: this overlay makes it "
        "`type: peer`, the layer below declares `type: register` at layer0/pbx.yaml:14:5; an "
        "overlay changes fields, not what a SIP trunk is: declare it in the sites' layers only"
    ]


def test_the_same_object_twice_in_one_layer_names_both_places(tmp_path: Path) -> None:
    folder = layers(tmp_path, BASE, "version: 1\nextensions: [{number: 1000, name: A}]\n")
    (folder[1] / "more.yaml").write_text("version: 1\nextensions: [{number: 1000, name: B}]\n")
    with pytest.raises(ManifestErrors) as caught:
        load_layers(folder, {})
    (error,) = caught.value.errors
    assert str(error).replace(str(tmp_path) + "/", "") == (
        "layer1/pbx.yaml:2:14: extensions[number=1000]: declared twice in one layer: "
        "also at layer1/more.yaml:2:14"
    )


def test_an_invalid_overlay_says_which_object_it_overlays(tmp_path: Path) -> None:
    site = "version: 1\nextensions: [{number: 1000, ring_timeout: 31}]\n"
    (error,) = errors(tmp_path, BASE, site)
    assert error.startswith("layer1/pbx.yaml:2:43: extensions[number=1000].ring_timeout: ")
    assert error.endswith("(overlaying the object declared at layer0/pbx.yaml:9:5)")


def test_an_overlay_reference_must_resolve_across_layers(tmp_path: Path) -> None:
    site = "version: 1\noutbound_routes: [{name: out, trunks: [nowhere]}]\n"
    (error,) = errors(tmp_path, BASE, site)
    assert "SIP trunk `nowhere` is not declared in the manifests" in error


def test_the_first_declaration_is_whole(tmp_path: Path) -> None:
    # A trunk only a site declares must be a whole trunk there.
    site = "version: 1\ntrunks: [{name: backup, type: peer}]\n"
    assert any("missing required field `host`" in e for e in errors(tmp_path, BASE, site))


def test_a_cached_base_loads_the_same_as_a_fresh_one(tmp_path: Path) -> None:
    paths = layers(tmp_path, BASE, "version: 1\nextensions: [{number: 1000, name: A}]\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "pbx.yaml").write_text("version: 1\nextensions: [{number: 1000, name: B}]\n")
    cache = LayerCache()
    for site in (paths[1], other, paths[1]):
        cached = load_layers([paths[0], site], {"PIN": "4321"}, cache=cache)
        fresh = load_layers([paths[0], site], {"PIN": "4321"})
        assert _everything(cached) == _everything(fresh)
    # A base whose ${VAR}s take other values is loaded again, not taken from the cache.
    again = load_layers([paths[0], other], {"PIN": "9999"}, cache=cache)
    assert fields(again, "extension", "1000")["voicemail.pin"] == "9999"


def _everything(desired: Desired) -> object:
    return (
        {k: {key: declared(o) for key, o in v.items()} for k, v in desired.state.objects.items()},
        desired.settings,
        desired.external,
        desired.protected,
        {at: desired.positions[at] for at in desired.positions},
        desired.files,
        desired.renames,
    )


def test_validate_checks_every_pbx_of_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pbxconf.cli import main
    from tests.fleet.conftest import EXAMPLE

    monkeypatch.chdir(EXAMPLE)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "lisbon: 4 file(s) in 2 layer(s) valid: 9 extensions, 1 SIP trunk, 1 outbound route, "
        "1 inbound route",
        "porto: 4 file(s) in 2 layer(s) valid: 9 extensions, 1 SIP trunk, 1 outbound route, "
        "1 inbound route, 1 wake-up call",
        "faro: 4 file(s) in 2 layer(s) valid: 9 extensions, 1 SIP trunk, 1 outbound route, "
        "1 inbound route",
    ]


def test_validate_says_a_base_error_once(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pbxconf.cli import main
    from tests.fleet.conftest import copy_example

    root = copy_example(tmp_path / "fleet", {})
    rooms = root / "base" / "rooms.yaml"
    rooms.write_text(rooms.read_text().replace("ring_timeout: 60", "ring_timeout: 61"))
    result = CliRunner().invoke(main, ["validate", "--inventory", str(root / "pbxconf.yaml")])
    assert result.exit_code == 1
    assert result.stdout.count("ring_timeout") == 1
    assert "porto: 1 error in the manifests (the same as lisbon's)" in result.stdout
    assert "Error: 3 of 3 PBX(es) failed to validate: lisbon, porto, faro" in result.stderr


def test_an_overlay_with_an_unset_variable_says_only_that(tmp_path: Path) -> None:
    # An overlay gives only the fields it changes: what it cannot fill in is its error,
    # never "missing required field" for the fields the base gives.
    site = "version: 1\nextensions:\n  - {number: 1000, name: '${FRONT_DESK}'}\n"
    assert errors(tmp_path, BASE, site) == [
        "layer1/pbx.yaml:3:26: extensions[number=1000].name: environment variable "
        "FRONT_DESK is not set (write ${FRONT_DESK:-default} to give a default)"
    ]


def test_a_cached_base_keeps_no_other_pbxs_objects(tmp_path: Path) -> None:
    paths = layers(tmp_path, BASE, "version: 1\nextensions: [{number: 1001, name: A}]\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "pbx.yaml").write_text("version: 1\nextensions: [{number: 1002, name: B}]\n")
    cache = LayerCache()
    load_layers([paths[0], other], {}, cache=cache)
    again = load_layers([paths[0], paths[1]], {}, cache=cache)
    assert ("extension", ("1002",)) not in again.positions
    assert ("extension", ("1001",)) in again.positions
