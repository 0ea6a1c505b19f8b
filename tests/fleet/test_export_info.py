"""export --all (a directory per PBX), the base proposed from the exports, info --all and
fleet list, against the example fleet's three simulators."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbxconf.cli import main
from tests.fleet.conftest import HOTELS, Fleet, serial


def test_export_all_writes_a_directory_per_pbx(fleet: Fleet, tmp_path: Path) -> None:
    assert fleet.cli("apply", "--all", "--auto-approve").exit_code == 0
    out = tmp_path / "exports"
    result = fleet.cli("export", "--all", "-o", str(out), "--split")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(HOTELS)
    trunks = (out / "porto" / "trunks.yaml").read_text()
    # Each PBX's secrets under its own names: one environment holds them all.
    assert 'password: "${PORTO_PBX_TRUNK_PROVIDER_PASSWORD}"' in trunks
    assert "demo-porto" not in trunks
    assert "porto: set these environment variables before planning or applying it:" in (
        result.stderr
    )
    assert re.search(r"^porto +exported: 20 extensions, .* to ", result.stdout, re.M)
    # Each kind by its title, counted: never a manifest section's key.
    assert "1 SIP trunk, 1 outbound route, 1 inbound route, 0 wake-up calls to" in result.stdout


def test_a_proposed_base_gives_back_every_pbx(fleet: Fleet, tmp_path: Path) -> None:
    assert fleet.cli("apply", "--all", "--auto-approve").exit_code == 0
    exports, proposal = tmp_path / "exports", tmp_path / "proposal"
    exported = fleet.cli("export", "--all", "-o", str(exports), "--secrets", "inline")
    assert exported.exit_code == 0, exported.output
    proposed = fleet.cli(
        "fleet", "propose-base", str(exports), "-o", str(proposal), inventory=False
    )
    assert proposed.exit_code == 0, proposed.output
    assert "Each PBX's layers give back its export exactly." in proposed.stdout
    base = (proposal / "base" / "extensions.yaml").read_text()
    assert 'number: "1001"\n    name: Room 101\n' in base  # what all hotels share
    assert "Porto-Reception" not in base
    porto = (proposal / "sites" / "porto" / "extensions.yaml").read_text()
    assert "name: Porto-Reception" in porto and "Room 101" not in porto
    # An inventory over the proposal: planning it against the PBXes changes nothing.
    inventory = fleet.inventory.read_text()
    for hotel in HOTELS:
        inventory = inventory.replace(
            f"manifests: [base, hotels/{hotel}]", f"manifests: [base, sites/{hotel}]"
        )
    (proposal / "pbxconf.yaml").write_text(inventory)
    planned = fleet.cli(
        "plan",
        "--all",
        "--detailed-exitcode",
        "--inventory",
        str(proposal / "pbxconf.yaml"),
        inventory=False,
    )
    assert planned.exit_code == 0, planned.output
    assert "Fleet plan: 3 PBX(es): 3 without changes." in planned.stdout


def test_propose_base_needs_two_exports(fleet: Fleet, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    assert fleet.cli("export", "--pbx", "lisbon", "-o", str(out)).exit_code == 0
    result = fleet.cli(
        "fleet", "propose-base", str(out), "-o", str(tmp_path / "p"), inventory=False
    )
    assert result.exit_code == 1
    assert "Error: a shared base needs the exports of two PBXes or more" in result.stderr


def test_info_all(fleet: Fleet) -> None:
    fleet.servers["faro"].stop()
    result = fleet.cli("info", "--all")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PBX", "DEVICE", "NAME", "SERIAL", "NUMBER", "FIRMWARE",
                                "EXTENSIONS", "TRUNK/ROUTE", "API"]  # fmt: skip
    assert lines[1].split() == ["lisbon", "Seaside", "lisbon", serial("lisbon"), "81.9.0.14",
                                "20/50", "yes"]  # fmt: skip
    assert lines[3].startswith("faro    failed: login: could not connect to ")
    as_json = json.loads(fleet.cli("info", "--pbx", "porto", "--json").stdout)
    assert as_json["pbxes"][0]["device"]["sn"] == serial("porto")


def test_fleet_list_shows_a_selection_offline(fleet: Fleet) -> None:
    result = fleet.cli("fleet", "list", "--select", "size=large", "--json")
    assert result.exit_code == 0, result.output
    assert [p["name"] for p in json.loads(result.stdout)] == ["lisbon", "porto"]
    shards = json.loads(fleet.cli("fleet", "list", "--all", "--shard", "1/3", "--json").stdout)
    assert all(p["shard"] == 1 for p in shards)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("version: [\n", "b/pbx.yaml:2:1: YAML syntax: "),
        ("version: 1\nextensions: [1, 2]\n", "b/pbx.yaml:2:14: extensions[0]: expected a mapping"),
        ("version: 1\nexternal: 5\n", "b/pbx.yaml:2:1: external: expected a mapping"),
        ("version: 1\nextensions: {a: 1}\n", "b/pbx.yaml:2:1: extensions: expected a list"),
        ("version: 1\nextensions:\n\t- number: 1\n", "b/pbx.yaml:3:1: YAML syntax: a tab"),
    ],
)
def test_propose_base_says_where_an_export_is_broken(tmp_path: Path, text: str, error: str) -> None:
    exports = tmp_path / "exports"
    for site, body in (("a", "version: 1\nextensions: [{number: 1000, name: A}]\n"), ("b", text)):
        (exports / site).mkdir(parents=True)
        (exports / site / "pbx.yaml").write_text(body)
    result = CliRunner().invoke(
        main, ["fleet", "propose-base", str(exports), "-o", str(tmp_path / "p")]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {exports / 'b'}: not a valid export: {exports}/{error}"), line
    assert not (tmp_path / "p").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_export_refuses_a_folder_it_cannot_make_before_reading_a_pbx(fleet: Fleet) -> None:
    # /proc takes no new folder, though as root it looks writable.
    result = fleet.cli("export", "--pbx", "lisbon", "-o", "/proc/nope")
    assert result.exit_code == 2
    assert "--output /proc/nope: cannot write the export there: " in result.stderr
    assert "Traceback" not in result.output
    assert fleet.sim("lisbon").calls == []


def test_fleet_list_shards_the_whole_inventory_without_a_selection(fleet: Fleet) -> None:
    listed = []
    for k in range(1, 5):
        alone = fleet.cli("fleet", "list", "--shard", f"{k}/4", "--json")
        assert alone.exit_code == 0, alone.output
        with_all = fleet.cli("fleet", "list", "--all", "--shard", f"{k}/4", "--json")
        assert json.loads(alone.stdout) == json.loads(with_all.stdout)
        listed += [entry["name"] for entry in json.loads(alone.stdout)]
    assert sorted(listed) == sorted(HOTELS)
