"""`pbxconf export` and disaster recovery, end to end with two simulators over TCP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxconf import manifest
from pbxconf.cli import main
from pbxconf.sim import Simulator
from pbxconf.sim.generate import Size, generate
from pbxconf.sim.server import ThreadedServer
from tests.conftest import connect_args

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["small-office", "hotel", "call-centre"]


@pytest.fixture
def pbx_a() -> Iterator[ThreadedServer]:
    running = ThreadedServer(Simulator()).start()
    yield running
    running.stop()


@pytest.fixture
def pbx_b() -> Iterator[ThreadedServer]:
    running = ThreadedServer(Simulator()).start()
    yield running
    running.stop()


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def apply_ok(path: Path | str, server: ThreadedServer, *extra: str) -> Result:
    result = cli("apply", str(path), *connect_args(server), "--auto-approve", "--force", *extra)
    assert result.exit_code == 0, result.output
    return result


def export(server: ThreadedServer, out: Path, *extra: str) -> Result:
    result = cli("export", *connect_args(server), "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return result


def body(text: str) -> str:
    """An export without its header comment, which names the PBX it came from."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def test_export_is_stable_valid_and_names_the_pbx(pbx_a: ThreadedServer, tmp_path: Path) -> None:
    apply_ok(ROOT / "examples" / "small-office", pbx_a)
    export(pbx_a, tmp_path / "one.yaml", "--secrets", "inline")
    export(pbx_a, tmp_path / "two.yaml", "--secrets", "inline")
    one = (tmp_path / "one.yaml").read_bytes()
    assert one == (tmp_path / "two.yaml").read_bytes()
    # The schema line first (there was none): editors check the export as they type.
    assert one.startswith(
        b"# yaml-language-server: $schema=pbxconf.schema.json\n"
        b"# Exported by pbxconf from Cloud PBX (pbxconf simulator), SN "
        b"SIM0000000000001, firmware 81.9.0.14.\n"
    )
    desired = manifest.load([tmp_path / "one.yaml"], env={})
    assert len(desired.state.objects["extension"]) == 20
    assert len(desired.state.objects["trunk"]) == 2


def test_secret_modes(pbx_a: ThreadedServer, tmp_path: Path) -> None:
    apply_ok(ROOT / "examples" / "small-office", pbx_a)
    env_mode = export(pbx_a, tmp_path / "env.yaml")
    text = (tmp_path / "env.yaml").read_text()
    assert "demo-password" not in text
    assert 'password: "${PBX_TRUNK_CARRIER_PASSWORD}"' in text
    assert "PBX_TRUNK_CARRIER_PASSWORD  (trunks[name=carrier].password)" in env_mode.stderr
    inline = export(pbx_a, tmp_path / "inline.yaml", "--secrets", "inline")
    assert "password: demo-password" in (tmp_path / "inline.yaml").read_text()
    assert "warning: --secrets inline wrote passwords and PINs in clear" in inline.stderr
    export(pbx_a, tmp_path / "redact.yaml", "--secrets", "redact")
    redacted = (tmp_path / "redact.yaml").read_text()
    assert "demo-password" not in redacted and "PBX_TRUNK" not in redacted
    for name in ("env.yaml", "inline.yaml", "redact.yaml"):
        assert "user_password" not in (tmp_path / name).read_text()
    # Passwords in clear are for the owner's eyes only; the others are plain files.
    assert (tmp_path / "inline.yaml").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "env.yaml").stat().st_mode & 0o077 != 0


def test_export_to_a_path_that_cannot_be_written_says_so_before_reading(
    pbx_a: ThreadedServer, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    for extra in ((), ("--split",)):
        result = cli("export", *connect_args(pbx_a), "-o", str(tmp_path / "a-file" / "x"), *extra)
        assert result.exit_code == 2, result.output
        assert "cannot write the export there: " in result.stderr
        assert "is not a directory" in result.stderr
    assert pbx_a.sim.call_counts() == {}  # refused before the PBX was asked anything


@pytest.mark.parametrize("mode", ["env", "inline", "redact"])
def test_round_trip_plans_no_changes(mode: str, pbx_a: ThreadedServer, tmp_path: Path) -> None:
    apply_ok(ROOT / "examples" / "call-centre", pbx_a)
    result = export(pbx_a, tmp_path / "pbx.yaml", "--secrets", mode)
    env = {}
    if mode == "env":  # the operator sets the printed variables to the real values
        state = httpx.get(pbx_a.url + "/admin/state").json()
        for line in result.stderr.splitlines():
            if not line.startswith("  PBX_"):
                continue
            name, where = line.split()
            env[name] = _value_of(state, where.strip("()"))
    plan = cli(
        "plan", str(tmp_path / "pbx.yaml"), *connect_args(pbx_a), "--detailed-exitcode", env=env
    )
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout


def _value_of(state: dict, where: str) -> str:  # type: ignore[type-arg]
    label, field_path = where.split("].", 1)
    section, key = label.split("[")
    key = key.split("=", 1)[1]
    if section == "extensions":
        record = next(e for e in state["extensions"] if e["extnumber"] == key)
        wire = {"registration.password": "registerpassword", "voicemail.pin": "vmsecret"}
        return record[wire[field_path]]
    if section == "queues":
        return next(q for q in state["queues"] if q["queuenumber"] == key)["password"]
    return next(t for t in state["trunks"] if t["trunkname"] == key)["password"]


def test_split_and_kinds(pbx_a: ThreadedServer, tmp_path: Path) -> None:
    apply_ok(ROOT / "examples" / "small-office", pbx_a)
    out = tmp_path / "split"
    export(pbx_a, out, "--split", "--secrets", "inline")
    assert sorted(p.name for p in out.iterdir()) == [
        "extensions.yaml",
        "inbound_routes.yaml",
        "ivrs.yaml",
        "outbound_routes.yaml",
        "pbx.yaml",
        "pbxconf.schema.json",  # what each file's $schema line names
        "queues.yaml",
        "trunks.yaml",
        "wakeup_calls.yaml",
    ]
    assert manifest.load([out], env={}).state.count() == 20 + 1 + 1 + 2 + 2 + 2
    export(
        pbx_a, tmp_path / "routes.yaml", "--kinds", "trunks,inbound_routes", "--secrets", "inline"
    )
    text = (tmp_path / "routes.yaml").read_text()
    assert 'external:\n  extensions:\n    - "1000"\n    - "1002"\n  ivrs:\n    - "6500"' in text
    assert manifest.load([tmp_path / "routes.yaml"], env={}).state.count() == 4
    # Numbers in a row are one range under `external:` (they were one per line).
    export(pbx_a, tmp_path / "dod.yaml", "--kinds", "outbound_routes", "--secrets", "inline")
    routes = (tmp_path / "dod.yaml").read_text()
    assert 'external:\n  extensions:\n    - "1000-1005"\n  trunks:' in routes
    assert manifest.load([tmp_path / "dod.yaml"], env={}).state.count() == 2
    bad = cli("export", *connect_args(pbx_a), "--kinds", "trunkz")
    assert bad.exit_code == 2 and "unknown kind 'trunkz'" in bad.stderr


@pytest.mark.parametrize("example", EXAMPLES)
def test_restore_an_example_onto_a_fresh_pbx(
    example: str, pbx_a: ThreadedServer, pbx_b: ThreadedServer, tmp_path: Path
) -> None:
    apply_ok(ROOT / "examples" / example, pbx_a)
    export(pbx_a, tmp_path / "a.yaml", "--secrets", "inline")
    apply_ok(tmp_path / "a.yaml", pbx_b)
    export(pbx_b, tmp_path / "b.yaml", "--secrets", "inline")
    assert body((tmp_path / "b.yaml").read_text()) == body((tmp_path / "a.yaml").read_text())


def test_restore_lists_manual_steps_then_converges(
    pbx_a: ThreadedServer, pbx_b: ThreadedServer, tmp_path: Path
) -> None:
    apply_ok(ROOT / "examples" / "call-centre", pbx_a)
    # PBX A has objects the API cannot create: made in its web page.
    admin = httpx.Client(base_url=pbx_a.url)
    admin.post("/admin/records/extension", json={"extnumber": "2000", "username": "Annex"})
    admin.post("/admin/records/ivr", json={"ivrnumber": "6501", "ivrname": "Night"})
    admin.post("/admin/records/queue", json={"queuenumber": "6701", "queuename": "Support"})
    admin.post(
        "/admin/records/inroute",
        json={
            "name": "night",
            "did": "",
            "caller_id": "",
            "trunks": "cc-provider",
            "desttype": "ivr",
            "dest": "6501",
        },
    )
    export(pbx_a, tmp_path / "a.yaml", "--secrets", "inline")
    blocked = cli("plan", str(tmp_path / "a.yaml"), *connect_args(pbx_b), "--force")
    assert blocked.exit_code == 1
    for label in ("extensions[number=2000]", "ivrs[number=6501]", "queues[number=6701]"):
        assert f"! {label}: cannot:" in blocked.stdout
    partial = apply_ok(tmp_path / "a.yaml", pbx_b, "--skip-unreachable")
    assert "Skipped (--skip-unreachable)" in partial.stdout
    assert (
        "inbound_routes[name=night]: needs ivrs[number=6501], which is not on the PBX"
        in partial.stdout
    )
    assert [t["trunkname"] for t in pbx_b.sim.state.trunks.values()] == ["cc-provider"]
    # A person creates them in B's web page; the next apply converges.
    admin_b = httpx.Client(base_url=pbx_b.url)
    admin_b.post("/admin/records/extension", json={"extnumber": "2000"})
    admin_b.post("/admin/records/ivr", json={"ivrnumber": "6501"})
    admin_b.post("/admin/records/queue", json={"queuenumber": "6701"})
    apply_ok(tmp_path / "a.yaml", pbx_b)
    export(pbx_b, tmp_path / "b.yaml", "--secrets", "inline")
    assert body((tmp_path / "b.yaml").read_text()) == body((tmp_path / "a.yaml").read_text())


def test_restore_with_prune_deletes_what_a_lacks(
    pbx_a: ThreadedServer, pbx_b: ThreadedServer, tmp_path: Path
) -> None:
    apply_ok(ROOT / "examples" / "hotel", pbx_a)
    apply_ok(ROOT / "examples" / "small-office", pbx_b)  # B has another life already
    export(pbx_a, tmp_path / "a.yaml", "--secrets", "inline")
    result = apply_ok(tmp_path / "a.yaml", pbx_b, "--prune")
    out = result.stdout
    assert out.index("- inbound_routes[name=main-number]") < out.index("- trunks[name=carrier]")
    assert out.index("- outbound_routes[name=local]") < out.index("- trunks[name=backup]")
    export(pbx_b, tmp_path / "b.yaml", "--secrets", "inline")
    assert body((tmp_path / "b.yaml").read_text()) == body((tmp_path / "a.yaml").read_text())


def test_restore_a_large_generated_pbx(pbx_b: ThreadedServer, tmp_path: Path) -> None:
    size = Size(extensions=150, trunks=15, inroutes=60, outroutes=20, ivrs=4, queues=4, wakeups=120)
    big = ThreadedServer(Simulator(state=generate(size, seed=7))).start()
    try:
        export(big, tmp_path / "a", "--split", "--secrets", "inline")
        # B must first have the extensions, IVRs and queues: made by hand, as the plan says.
        pbx_b.sim.state.extension_capacity = 200
        for number in big.sim.state.extensions:
            pbx_b.sim.state.admin_put("extension", {"extnumber": number})
        for number in big.sim.state.ivrs:
            pbx_b.sim.state.admin_put("ivr", {"ivrnumber": number})
        for number in big.sim.state.queues:
            pbx_b.sim.state.admin_put("queue", {"queuenumber": number})
        apply_ok(tmp_path / "a", pbx_b)
        export(pbx_b, tmp_path / "b", "--split", "--secrets", "inline")
        for name in sorted(p.name for p in (tmp_path / "a").iterdir()):
            a_text = (tmp_path / "a" / name).read_text()
            assert body((tmp_path / "b" / name).read_text()) == body(a_text), name
    finally:
        big.stop()


def test_a_large_kind_is_split_so_that_every_file_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A split export wrote one file per kind: 10,000 extensions made an extensions.yaml
    over the node limit that plan then refused. A large kind now goes in several files
    (here, parts of 50), and a later export that splits differently removes the files of
    the earlier one that it replaces, never a file an export did not write."""
    from pbxconf import export as export_module
    from pbxconf.connect import save_sim_state

    monkeypatch.setattr(export_module, "OBJECTS_PER_FILE", 50)
    state = tmp_path / "pbx.json"
    save_sim_state(state, generate(Size(120, 3, 0, 2, 1, 1, 10), seed=6))
    out = tmp_path / "backup"
    out.mkdir()
    (out / "extensions.yaml").write_text("# Exported by pbxconf from an earlier run\n")
    (out / "notes.yaml").write_text("# mine\nversion: 1\n")
    sim = ["--sim", "--sim-state", str(state)]
    result = cli("export", *sim, "--split", "-o", str(out), "--secrets", "inline")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("extensions")) == [
        "extensions-1.yaml",
        "extensions-2.yaml",
        "extensions-3.yaml",
    ]
    assert f"Removed {out / 'extensions.yaml'}" in result.stderr
    assert (out / "notes.yaml").exists()
    desired = manifest.load([out], env={})
    assert len(desired.state.objects["extension"]) == 120
    plan = cli("plan", str(out), *sim, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


AWKWARD = [
    "",
    "yes",
    "No",
    "null",
    "~",
    "1000",
    "0x1F",
    "1e3",
    "a: b",
    "a #b",
    "#x",
    "-x",
    "x ",
    " x",
    "line\nbreak",
    'quote"s',
    "it's",
    "Émile Zoë",
    "tab\there",
    "\u2028sep",
    "[x]",
    "{x}",
    "@at",
    "*star",
    "&amp",
    "!bang",
    "|pipe",
    ">gt",
    "%pc",
    "`bt",
    "a,b",
    "07:00",
    "2024-01-01",
    "true",
    "On",
    "${VAR}",
    "ok-name_1.2@x/y+z",
]


def test_export_writer_round_trips_awkward_text() -> None:
    from pbxconf.export import _dump
    from pbxconf.manifest.yaml import load

    doc = {"v": AWKWARD, "m": {"k": "x"}, "e": [], "o": {}, "n": [{"a": 1, "b": [True, None]}]}
    back = load(_dump(doc), max_depth=40, max_nodes=10_000)
    assert list(back["v"]) == AWKWARD
    assert back["e"] == [] and back["o"] == {} and back["n"] == [{"a": 1, "b": [True, None]}]


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.text(max_size=30), max_size=8),
    numbers=st.lists(st.integers() | st.booleans() | st.none(), max_size=4),
)
def test_export_writer_round_trips_any_text(texts: list[str], numbers: list[Any]) -> None:
    from pbxconf.export import _dump
    from pbxconf.manifest.yaml import load

    doc = {"texts": texts, "values": numbers, "nested": {"k": texts[:2], "m": {"x": "y"}}}
    back = load(_dump(doc), max_depth=40, max_nodes=100_000)
    assert list(back["texts"]) == texts
    assert list(back["values"]) == numbers
    assert list(back["nested"]["k"]) == texts[:2]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("split", [False, True])
def test_an_output_whose_folder_cannot_be_made_is_refused_before_the_pbx_is_read(
    pbx_a: ThreadedServer, split: bool
) -> None:
    # /proc takes no new folder, though as root it looks writable.
    output = "/proc/nope" if split else "/proc/nope/pbx.yaml"
    args = ["export", *connect_args(pbx_a), "-o", output, *(["--split"] if split else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert f"--output {output}: cannot write the export there: " in result.stderr
    assert pbx_a.sim.calls == []
