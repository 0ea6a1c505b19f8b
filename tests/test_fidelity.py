"""Fidelity to the manual, end to end: a PBX that answers as the manual's own examples do
is read, planned, applied, exported and restored; what the API cannot write is kept and
listed, never dropped; names the API would read as selectors are never sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pbxconf.cli import main
from pbxconf.manifest import ManifestErrors, load
from pbxconf.sim.examples import manual_examples
from pbxconf.sim.state import PbxState

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NO_SECRETS_ENV = {"CARRIER_PASSWORD": None, "RECEPTION_VM_PIN": None}


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=NO_SECRETS_ENV)


def pbx_file(path: Path, state: PbxState) -> list[str]:
    path.write_text(json.dumps(state.to_json()))
    return ["--sim", "--sim-state", str(path)]


@pytest.mark.parametrize("example", ["small-office", "hotel", "call-centre"])
def test_each_example_applies_to_a_pbx_of_the_manuals_example_answers(
    tmp_path: Path, example: str
) -> None:
    pbx = pbx_file(tmp_path / "pbx.json", manual_examples())
    applied = cli("apply", str(EXAMPLES / example), *pbx, "--auto-approve", "--force")
    assert applied.exit_code == 0, applied.output
    again = cli("plan", str(EXAMPLES / example), *pbx, "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def export(tmp_path: Path, pbx: list[str], name: str) -> tuple[Path, Result]:
    path = tmp_path / name
    result = cli("export", *pbx, "-o", str(path), "--secrets", "inline")
    assert result.exit_code == 0, result.output
    return path, result


def test_an_export_of_it_validates_plans_empty_and_restores(tmp_path: Path) -> None:
    source = pbx_file(tmp_path / "source.json", manual_examples())
    first, exported = export(tmp_path, source, "first.yaml")
    text = first.read_text()
    # `maxwaittime: "30"` (line 2186) is kept, where it validates, and said to be kept.
    assert 'by_hand:\n      max_wait_time: "30"' in text
    assert "queues[number=6700].max_wait_time: '30'" in exported.stderr
    assert cli("validate", str(first)).exit_code == 0
    # Adopting: a fresh export planned against its own PBX is empty.
    assert cli("plan", str(first), *source, "--detailed-exitcode").exit_code == 0

    # Restoring onto a bare PBX whose queue waits 300 s.
    bare = PbxState.factory()
    bare.queues["6700"]["maxwaittime"] = "300"
    target = pbx_file(tmp_path / "target.json", bare)
    plan = cli("plan", str(first), *target)
    assert (
        "queues[number=6700].max_wait_time: set '30' in the PBX's web page (the PBX has "
        "'300'; the API cannot write it)" in plan.stdout
    )
    restored = cli("apply", str(first), *target, "--skip-unreachable", "--force", "--auto-approve")
    assert restored.exit_code == 0, restored.output
    # What the API cannot write is listed: the queue's agents 102 and 103 and the routes'
    # trunks are not on the manual's PBX (its examples reference them), and the wait.
    for listed in (
        "extensions[number=102]",
        "trunks[name=SIP1]",
        "trunks[name=siptrunk]",
        "queues[number=6700].max_wait_time: set '30'",
    ):
        assert listed in restored.stdout
    assert "1 step remains to do by hand in the PBX's web page" in restored.stdout

    second, _ = export(tmp_path, target, "second.yaml")
    assert _diff(first, second) == {
        "external": ({"extensions": ["102", "103"], "trunks": ["SIP1", "siptrunk"]}, None),
        # The queue update needs agents 102 and 103: set aside as a whole. Its wait, which
        # the API cannot write, is listed as a step by hand, and stays the bare PBX's.
        "queues": [
            ("agents", ["102", "103"], []),
            ("by_hand", {"max_wait_time": "30"}, None),
            ("max_wait_time", None, 300),
        ],
        "outbound_routes": (["route1"], []),
        "inbound_routes": (["Routein"], []),
    }


def _diff(first: Path, second: Path) -> dict[str, Any]:
    a, b = _read(first), _read(second)
    out: dict[str, Any] = {}
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        if key == "queues":
            qa, qb = a[key][0], b[key][0]
            apart = ("agents", "by_hand", "max_wait_time")
            assert {k: v for k, v in qa.items() if k not in apart} == {
                k: v for k, v in qb.items() if k not in apart
            }
            out[key] = [(k, qa.get(k), qb.get(k)) for k in apart]
        elif key.endswith("routes"):
            out[key] = ([r["name"] for r in a.get(key, [])], [r["name"] for r in b.get(key, [])])
        else:
            out[key] = (a.get(key), b.get(key))
    return out


def _read(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    return dict(YAML(typ="safe").load(path.read_text()))


def test_a_whole_object_write_never_sends_back_what_the_api_cannot_write(
    tmp_path: Path,
) -> None:
    state = PbxState.factory()
    state.admin_put(
        "trunk",
        {"trunkname": "carrier", "trunktype": "peer", "host": "a", "port": "5060",
         "domain": "d", "extensionsdod": "not-a-dod"},
    )  # fmt: skip
    pbx = pbx_file(tmp_path / "pbx.json", state)
    manifest = tmp_path / "m.yaml"
    trunk = "{name: carrier, type: peer, host: b, port: 5060, domain: d"
    manifest.write_text(f"version: 1\ntrunks:\n  - {trunk}}}\n")
    plan = cli("plan", str(manifest), *pbx)
    assert plan.exit_code == 1
    assert "`dod`: 'not-a-dod' is what the PBX holds, and the API cannot write it" in (plan.stdout)
    manifest.write_text(f"version: 1\ntrunks:\n  - {trunk}, dod: []}}\n")
    assert cli("apply", str(manifest), *pbx, "--auto-approve").exit_code == 0


def test_pruning_never_sends_a_name_the_api_reads_as_a_selector(tmp_path: Path) -> None:
    state = PbxState.factory()
    state.admin_put("trunk", {"trunkname": "t", "trunktype": "peer", "host": "h",
                              "port": "5060", "domain": "d"})  # fmt: skip
    for name in ("all", "a,b"):
        state.admin_put(
            "inroute",
            {"name": name, "did": "", "caller_id": "", "trunks": "t", "desttype": "hangup",
             "dest": ""},
        )  # fmt: skip
    pbx = pbx_file(tmp_path / "pbx.json", state)
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nexternal: {trunks: [t]}\n")
    plan = cli("plan", str(manifest), *pbx, "--prune", "--format", "json")
    changes = json.loads(plan.stdout)["changes"]
    assert {(c["action"], c["key"]["name"]) for c in changes} == {
        ("cannot", "all"),
        ("cannot", "a,b"),
    }
    assert "is what the API reads as every inbound route" in plan.stdout
    assert "holds a comma, which the API reads as a list of names" in plan.stdout
    applied = cli("apply", str(manifest), *pbx, "--prune", "--auto-approve")
    assert applied.exit_code == 1
    assert {r["name"] for r in json.loads((tmp_path / "pbx.json").read_text())["inroutes"]} == {
        "all",
        "a,b",
    }


REFUSED_IN_MANIFESTS = [
    (
        "extensions: [{number: 1000, always_forward: {enabled: true, to: custom}}]",
        "forwarding `to: custom` needs a `number`",
    ),
    ("ivrs: [{number: 6500, name: 'Main！'}]", "ivrs[number=6500].name"),
    ("ivrs: [{number: 6500, name: 'Main（1）'}]", "ivrs[number=6500].name"),
    ("ivrs: [{number: 6500, name: 'a;b'}]", "ivrs[number=6500].name"),
    ("queues: [{number: 6700, name: 'Sales＃1'}]", "queues[number=6700].name"),
    (
        "trunks: [{name: all, type: peer, host: h, port: 1, domain: d}]",
        "the name `all` is what the API reads as every object",
    ),
    (
        "trunks: [{name: ALL, type: peer, host: h, port: 1, domain: d}]",
        "the name `ALL` is what the API reads as every object",
    ),
    (
        "trunks: [{name: 'a,b', type: peer, host: h, port: 1, domain: d}]",
        "expected to match pattern",
    ),
    (
        "inbound_routes: [{name: All, trunks: [t], destination: {type: hangup}}]",
        "the name `All` is what the API reads as every object",
    ),
    (
        "outbound_routes: [{name: o, pattern: '9.', trunks: [all]}]",
        "the name `all` is what the API reads as every object",
    ),
    ("outbound_routes: [{name: o, pattern: '', trunks: [t]}]", "pattern"),
]


@pytest.mark.parametrize(("body", "message"), REFUSED_IN_MANIFESTS)
def test_validate_refuses_what_the_manual_forbids(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"version: 1\nexternal: {{trunks: [t]}}\n{body}\n")
    with pytest.raises(ManifestErrors) as caught:
        load([path], env={})
    assert message in str(caught.value)


def test_values_outside_a_write_enum_are_refused_only_in_manifests(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("version: 1\nqueues: [{number: 6700, max_wait_time: 30}]\n")
    with pytest.raises(ManifestErrors) as caught:
        load([path], env={})
    assert "max_wait_time: expected 300, 600, 900, 1200 or 1800; found 30" in str(caught.value)
    assert "LiveValue" not in str(caught.value)


def test_a_record_pbxconf_cannot_read_is_left_alone_and_said(tmp_path: Path) -> None:
    state = PbxState.factory()
    state.trunks["1"] = {"id": "1", "trunkname": "odd", "trunktype": "tls", "host": "h"}
    pbx = pbx_file(tmp_path / "pbx.json", state)
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\n")
    plan = cli("plan", str(manifest), *pbx)
    assert plan.exit_code == 0
    assert (
        "Warning: trunks[name=odd]: the PBX answered it in a form pbxconf cannot read "
        "(SIP trunk type 'tls' is not one of 'register', 'peer', 'account'); it is left alone"
    ) in plan.stdout
    path, exported = export(tmp_path, pbx, "x.yaml")
    assert (
        "# Not exported, the PBX answered it in a form pbxconf cannot read: trunks[name=odd]"
        in (path.read_text())
    )
    assert "warning: not exported" in exported.stderr
