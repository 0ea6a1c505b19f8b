"""`pbxconf plan` and `pbxconf apply` through the command line, as CI and people run them."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from click.testing import CliRunner, Result

from pbxconf.cli import main
from pbxconf.plan import Action, Plan
from pbxconf.schema import schema_files
from pbxconf.sim import Simulator
from pbxconf.sim.server import ThreadedServer
from pbxconf.state import State
from tests.conftest import connect_args

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NO_SECRETS_ENV = {"CARRIER_PASSWORD": None, "RECEPTION_VM_PIN": None}


def cli(*args: str, env: dict[str, str | None] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**NO_SECRETS_ENV, **(env or {})}, input=stdin)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "pbx-state.json"


def sim_args(state: Path) -> list[str]:
    return ["--sim", "--sim-state", str(state)]


def test_readme_main_job(state: Path) -> None:
    applied = cli("apply", str(EXAMPLES / "small-office"), *sim_args(state), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 13 call(s); the PBX matches the manifests." in applied.stdout
    again = cli("plan", str(EXAMPLES / "small-office"), *sim_args(state), "--detailed-exitcode")
    assert again.exit_code == 0
    assert "No changes: the PBX matches the manifests." in again.stdout


def test_plan_and_export_never_format_the_live_state(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncio.run used to repr() the main task's result on the way out (CPython 3.11,
    3.12): for a large PBX, over 100 ms spent formatting every live object."""
    formatted: list[str] = []

    def counted(self: object) -> str:
        formatted.append(type(self).__name__)
        return "..."

    monkeypatch.setattr(State, "__repr__", counted)
    monkeypatch.setattr(Plan, "__repr__", counted)
    office = str(EXAMPLES / "small-office")
    assert cli("plan", office, *sim_args(state)).exit_code == 0
    assert cli("export", *sim_args(state)).exit_code == 0
    assert formatted == []


@pytest.mark.parametrize("example", ["small-office", "hotel", "call-centre"])
def test_every_example_applies_to_a_factory_pbx(example: str, state: Path) -> None:
    applied = cli("apply", str(EXAMPLES / example), *sim_args(state), "--auto-approve", "--force")
    assert applied.exit_code == 0, applied.output
    second = cli("apply", str(EXAMPLES / example), *sim_args(state), "--auto-approve")
    assert second.exit_code == 0
    assert "Nothing to do." in second.stdout


def test_detailed_exit_codes(state: Path, tmp_path: Path) -> None:
    office = str(EXAMPLES / "small-office")
    assert cli("plan", office, *sim_args(state), "--detailed-exitcode").exit_code == 2
    assert cli("plan", office, *sim_args(state)).exit_code == 0
    cli("apply", office, *sim_args(state), "--auto-approve")
    assert cli("plan", office, *sim_args(state), "--detailed-exitcode").exit_code == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pbx.yaml").write_text("version: 1\nivrs: [{number: 6599, name: X}]\n")
    result = cli("plan", str(bad), *sim_args(state), "--detailed-exitcode")
    assert result.exit_code == 1
    assert "! ivrs[number=6599]: cannot: IVR 6599 is not on the PBX" in result.stdout
    assert "Error: the plan has errors; nothing can be applied" in result.stderr


def test_json_output_follows_its_schema(state: Path) -> None:
    result = cli("plan", str(EXAMPLES / "small-office"), *sim_args(state), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    schema = json.loads((ROOT / "schemas" / "plan-output.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert (data["format"], data["format_version"]) == ("pbxconf-plan", 1)
    assert data["summary"] == {
        "create": 6,
        "update": 7,
        "rename": 0,
        "delete": 0,
        "cannot": 0,
        "unmanaged": {"extensions": 14, "queues": 1},
    }
    carrier = next(c for c in data["changes"] if c["label"] == "trunks[name=carrier]")
    assert {"field": "password", "old": None, "new": "(sensitive)", "sensitive": True} in carrier[
        "fields"
    ]


def test_schema_to_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = cli("schema", "--dir", str(tmp_path / "a-file" / "schemas"))
    assert result.exit_code == 1
    assert f"cannot write {tmp_path / 'a-file' / 'schemas'}" in result.stderr
    assert "Traceback" not in result.output


def test_committed_schemas_match_the_models() -> None:
    for name, text in schema_files().items():
        assert (ROOT / "schemas" / name).read_text() == text, f"run `pbxconf schema` ({name})"


def test_markdown_output(state: Path) -> None:
    result = cli("plan", str(EXAMPLES / "small-office"), *sim_args(state), "--format", "markdown")
    assert result.exit_code == 0
    # A stable marker first: a workflow finds and updates its one comment by it.
    assert result.stdout.startswith("<!-- pbxconf-plan -->\n### pbxconf plan for `the built-in")
    assert "| `+` | `trunks[name=carrier]` | create |" in result.stdout
    assert "```diff" in result.stdout and "password: (sensitive)" in result.stdout


def test_markdown_output_survives_markup_in_names(state: Path, tmp_path: Path) -> None:
    """A `|` in a name split the table row, a backtick broke the code span, and a name
    could close the diff block or open HTML in a pull-request comment."""
    from markdown_it import MarkdownIt

    name = "a|b`c*d"
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "pbx.yaml").write_text(
        "version: 1\nexternal: {extensions: ['1000-1019']}\ntrunks:\n"
        f"  - {{name: {json.dumps(name)}, type: peer, host: h, port: 5060, domain: d}}\n"
        'extensions:\n  - {number: 1000, name: "``` </details> <b>x</b>"}\n'
    )
    result = cli("plan", str(tmp_path / "m"), *sim_args(state), "--format", "markdown")
    assert result.exit_code == 0, result.output
    html = MarkdownIt("commonmark").enable("table").render(result.stdout)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert all(row.count("<td") in (0, 3, 1 + len(Action)) for row in rows)
    assert f"<td><code>trunks[name={name}]</code></td>" in html
    assert html.count("<details>") == 1 and "<b>" not in html


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_a_plan_that_fails_is_a_document_saying_why(fmt: str, state: Path, tmp_path: Path) -> None:
    # It wrote nothing to stdout: the README's PR-comment recipe posted an empty comment.
    (tmp_path / "m.yaml").write_text("version: 1\nextensions: [{number: 1000, dnd: maybe}]\n")
    result = cli("plan", str(tmp_path), *sim_args(state), "--format", fmt)
    assert result.exit_code == 1
    where = f"{tmp_path / 'm.yaml'}:2:"
    if fmt == "markdown":
        assert result.stdout.startswith("<!-- pbxconf-plan -->")
        text = re.sub(r"\\(.)", r"\1", result.stdout)  # Markdown's escapes undone
        assert where in text and "No plan: 1 error in the manifests" in text
        return
    document = json.loads(result.stdout)
    schema = json.loads((ROOT / "schemas" / "plan-output.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["applicable"] is False and document["failed"] == "1 error in the manifests"
    (problem,) = document["problems"]
    assert (problem["line"], problem["path"]) == (2, "extensions[number=1000].dnd")


def test_unmanaged_objects_are_counted_with_what_prune_can_do(state: Path, tmp_path: Path) -> None:
    """The line said "Use --prune to delete them" of extensions and queues too, which the
    API cannot delete, and "1 queues"."""
    assert cli("apply", str(EXAMPLES / "small-office"), *sim_args(state), "--auto-approve")
    (tmp_path / "m").mkdir()
    shutil.copy(EXAMPLES / "small-office" / "extensions.yaml", tmp_path / "m")
    result = cli("plan", str(tmp_path / "m"), *sim_args(state))
    assert result.stdout.splitlines()[-1] == (
        "Unmanaged (on the PBX, in no manifest): 14 extensions, 1 IVR, 1 queue, 2 SIP "
        "trunks, 2 outbound routes, 2 inbound routes. --prune deletes the SIP trunks, "
        "outbound routes and inbound routes; the API cannot delete extensions, IVRs and queues."
    )
    result = cli("plan", str(tmp_path / "m"), *sim_args(state), "--prune", "--force")
    assert result.stdout.splitlines()[-1] == (
        "Unmanaged (on the PBX, in no manifest): 14 extensions, 1 IVR, 1 queue. The API "
        "cannot delete extensions, IVRs and queues."
    )


def test_apply_refuses_without_a_terminal_or_auto_approve(state: Path) -> None:
    result = cli("apply", str(EXAMPLES / "small-office"), *sim_args(state))
    assert result.exit_code == 2
    assert "not on a terminal, so nobody can confirm" in result.stderr
    assert not state.exists()


def test_dry_run_prints_calls_and_changes_nothing(state: Path) -> None:
    result = cli("apply", str(EXAMPLES / "small-office"), *sim_args(state), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: these calls would be sent (nothing was changed):" in result.stdout
    assert '8. POST /api/v1.1.0/siptrunk/add\n   {"authname": "8001", "domain": ' in result.stdout
    assert '"password": "(sensitive)"' in result.stdout
    plan = cli("plan", str(EXAMPLES / "small-office"), *sim_args(state), "--detailed-exitcode")
    assert plan.exit_code == 2  # still everything to do


def test_target_option(state: Path) -> None:
    result = cli(
        "plan",
        str(EXAMPLES / "small-office"),
        *sim_args(state),
        "--target",
        "inbound_routes/sales-line",
    )
    assert result.exit_code == 0
    # sales-line needs trunk carrier, whose DODs name 1000 and 1002; 1000 forwards to 1001.
    assert "Plan: 2 to create, 3 to update, 0 to rename" in result.stdout
    bad = cli("plan", str(EXAMPLES / "small-office"), *sim_args(state), "--target", "x")
    assert bad.exit_code == 2 and "expected KIND/KEY" in bad.stderr
    assert "--target: 'x': expected" in bad.stderr  # the option named once


# ---- saved plans ---------------------------------------------------------------------


@pytest.fixture
def office(tmp_path: Path) -> Path:
    copy = tmp_path / "office"
    shutil.copytree(EXAMPLES / "small-office", copy)
    return copy


def save_plan(office: Path, state: Path, plan_file: Path, env: dict[str, str | None]) -> None:
    result = cli("plan", str(office), *sim_args(state), "--out", str(plan_file), env=env)
    assert result.exit_code == 0, result.output


def test_saved_plan_applies(office: Path, state: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(office, state, plan_file, {})
    result = cli("apply", str(plan_file), *sim_args(state), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete" in result.stdout
    stale = cli("apply", str(plan_file), *sim_args(state), "--auto-approve")
    assert stale.exit_code == 1 and "stale plan: the PBX changed since" in stale.stderr


def test_plan_out_to_a_path_that_cannot_be_written_is_refused_before_planning(
    office: Path, state: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    plan_file = tmp_path / "a-file" / "plan.json"
    result = cli("plan", str(office), *sim_args(state), "--out", str(plan_file))
    assert result.exit_code == 2, result.output
    assert f"--out {plan_file}: cannot save the plan there: " in result.stderr
    assert "Plan:" not in result.stdout and "Traceback" not in result.output


def test_plan_out_makes_its_folders(office: Path, state: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plans" / "today" / "plan.json"
    save_plan(office, state, plan_file, {})
    assert json.loads(plan_file.read_text())["plan"]["changes"]
    assert [p.name for p in plan_file.parent.iterdir()] == ["plan.json"]  # no temporary left


def test_saved_plan_with_a_target_applies(office: Path, state: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    result = cli(
        "plan", str(office), *sim_args(state), "--target", "trunk/carrier", "--out", str(plan_file)
    )
    assert result.exit_code == 0, result.output
    result = cli("apply", str(plan_file), *sim_args(state), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 4 call(s)" in result.stdout  # the trunk and what it needs


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.update(fingerprints="x"), "(fingerprints: Input should be a valid list)"),
        (lambda d: d.update(options=None), "(options: Input should be a valid dictionary"),
        (lambda d: d.update(paths=[1]), "(paths.0: Input should be a valid string)"),
        (lambda d: d["options"].update(prune="yes"), "(options.prune: Input should be a valid"),
        (lambda d: d["secrets"].update(salt="zz"), "(secrets.salt: String should match"),
        (lambda d: d.pop("changes_sha256"), "(changes_sha256: Field required)"),
        (
            lambda d: d.update(fingerprints=[{"kind": "nope", "key": ["a"], "sha256": "x"}]),
            "(fingerprints.0.kind: Value error, unknown kind 'nope')",
        ),
        (lambda d: d.update(format_version=3), "saved with plan format 3; this pbxconf reads"),
    ],
    ids=["fingerprints", "options", "paths", "prune", "salt", "digest", "kind", "format"],
)
def test_a_damaged_saved_plan_is_refused_with_the_place(
    damage: Any, message: str, office: Path, state: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(office, state, plan_file, {})
    data = json.loads(plan_file.read_text())
    damage(data)
    plan_file.write_text(json.dumps(data))
    before = state.read_bytes()
    result = cli("apply", str(plan_file), *sim_args(state), "--auto-approve")
    assert result.exit_code == 1, result.output
    assert f"Error: {plan_file}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.output
    assert state.read_bytes() == before  # nothing was applied


def test_saved_plan_is_stale_after_out_of_band_change(
    office: Path, state: Path, tmp_path: Path
) -> None:
    cli("apply", str(office), *sim_args(state), "--auto-approve")
    (office / "extensions.yaml").write_text(
        (office / "extensions.yaml").read_text().replace("name: Support", "name: Helpdesk")
    )
    plan_file = tmp_path / "plan.json"
    save_plan(office, state, plan_file, {})
    data = json.loads(state.read_text())
    for ext in data["extensions"]:
        if ext["extnumber"] == "1003":
            ext["username"] = "Changed in the web page"
    state.write_text(json.dumps(data))
    result = cli("apply", str(plan_file), *sim_args(state), "--auto-approve")
    assert result.exit_code == 1
    assert (
        "stale plan: the PBX changed since the plan was saved: extensions[number=1003]. Plan again."
    ) in result.stderr


def test_saved_plan_is_stale_after_manifest_or_secret_change(
    office: Path, state: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(office, state, plan_file, {"CARRIER_PASSWORD": "first-secret"})
    result = cli(
        "apply",
        str(plan_file),
        *sim_args(state),
        "--auto-approve",
        env={"CARRIER_PASSWORD": "second-secret"},
    )
    assert result.exit_code == 1
    assert "a secret value (from the environment) differs" in result.stderr
    (office / "routes.yaml").write_text((office / "routes.yaml").read_text() + "\n# edited\n")
    result = cli(
        "apply",
        str(plan_file),
        *sim_args(state),
        "--auto-approve",
        env={"CARRIER_PASSWORD": "first-secret"},
    )
    assert result.exit_code == 1
    assert "the manifests changed since the plan was saved" in result.stderr
    assert "routes.yaml" in result.stderr


def test_saved_plan_holds_no_secret(office: Path, state: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(
        office,
        state,
        plan_file,
        {"CARRIER_PASSWORD": "Xyzzy-Trunk-Secret-77", "RECEPTION_VM_PIN": "918273"},
    )
    text = plan_file.read_text()
    assert "Xyzzy-Trunk-Secret-77" not in text and "918273" not in text
    assert '"password": "(sensitive)"' in text


# ---- failures over TCP ---------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    running = ThreadedServer(Simulator()).start()
    yield running
    running.stop()


def test_failed_call_stops_and_a_second_apply_converges(server: ThreadedServer) -> None:
    httpx.post(
        server.url + "/admin/faults",
        json={"action": "errno", "errno": "10003", "path": "outroute/add"},
    )
    office = str(EXAMPLES / "small-office")
    first = cli("apply", office, *connect_args(server), "--auto-approve")
    assert first.exit_code == 1
    assert "Done: 9 call(s)." in first.stderr
    assert (
        "Failed: outroute/add for outbound_routes[name=local]: errno 10003 (the API does "
        "not support this request)"
    ) in first.stderr
    # Each not-run call names its object (it named only the endpoint).
    assert (
        "Not run: 3 call(s): outroute/add for outbound_routes[name=emergency]; "
        "inroute/add for inbound_routes[name=main-number]; "
        "inroute/add for inbound_routes[name=sales-line]"
    ) in first.stderr
    assert "[1/13] extension/update extensions[number=1001] ... ok" in first.stderr
    assert "run apply again" in first.stderr
    second = cli("apply", office, *connect_args(server), "--auto-approve")
    assert second.exit_code == 0, second.output
    assert "Plan: 4 to create, 0 to update" in second.stdout
    assert cli("plan", office, *connect_args(server), "--detailed-exitcode").exit_code == 0


# ---- secrets never print -------------------------------------------------------------


def test_no_output_contains_a_secret(office: Path, state: Path, tmp_path: Path) -> None:
    secrets = {"CARRIER_PASSWORD": "Qwerty-Carrier-4242", "RECEPTION_VM_PIN": "864209"}
    outputs = []
    for args in (
        ["validate", str(office)],
        ["plan", str(office), *sim_args(state)],
        ["plan", str(office), *sim_args(state), "--format", "json"],
        ["plan", str(office), *sim_args(state), "--format", "markdown"],
        ["plan", str(office), *sim_args(state), "--out", str(tmp_path / "p.json")],
        ["apply", str(office), *sim_args(state), "--dry-run"],
        ["-v", "apply", str(office), *sim_args(state), "--auto-approve"],
        ["-v", "plan", str(office), *sim_args(state), "--format", "json"],
    ):
        result = cli(*args, env=secrets)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.stdout + result.stderr)
    outputs.append((tmp_path / "p.json").read_text())
    for text in outputs:
        for value in secrets.values():
            assert value not in text
    # ...while the PBX did get them.
    assert "Qwerty-Carrier-4242" in state.read_text()


def test_progress_bar_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from pbxconf.cli.progress import progress_display
    from pbxconf.kinds import ApiCall
    from pbxconf.plan import Action, Change, Step

    call = ApiCall("siptrunk/add", {})
    step = Step([Change(Action.CREATE, "trunk", ("carrier",))], [call])
    with progress_display(terminal=True) as show:
        show(1, 2, step, call, "start")
        show(1, 2, step, call, "done")
        show(2, 2, step, call, "start")
        show(2, 2, step, call, "failed")
    err = capsys.readouterr().err
    assert "FAILED siptrunk/add trunks[name=carrier]" in err
    assert "1/2" in err  # one of two calls done when it stopped


def test_old_firmware_is_explained() -> None:
    sim = Simulator()
    sim.state.device["firmwarever"] = "81.8.0.4"  # before the trunk and route endpoints
    server = ThreadedServer(sim).start()
    try:
        result = cli("plan", str(EXAMPLES / "small-office"), *connect_args(server))
    finally:
        server.stop()
    assert result.exit_code == 1
    # The three queries fail alike; whichever answer comes first is the one reported.
    first_line = result.stderr.splitlines()[0]
    assert re.fullmatch(
        r"Error: (siptrunk|inroute|outroute)/query: errno 10003 \(the API does not support "
        r"this request\)\. The SIP trunk and route endpoints need PBX firmware 81\.8\.0\.42 "
        r"or later: check it with `pbxconf info`",
        first_line,
    ), first_line


def test_a_value_outside_the_write_enum_is_read_and_shown_as_the_pbx_has_it(state: Path) -> None:
    # Was: the whole plan stopped with "not one of the manual's values" over one field.
    cli("info", *sim_args(state))  # writes the factory state
    data = json.loads(state.read_text())
    data["extensions"][0]["ringtimeout"] = "45"  # set in the web page, not in the manual
    state.write_text(json.dumps(data))
    result = cli("plan", str(EXAMPLES / "small-office"), *sim_args(state))
    assert result.exit_code == 0, result.output
    assert 'ring_timeout: "45" -> 30' in result.stdout


def test_a_saved_plan_applies_only_to_the_pbx_it_was_made_against(
    state: Path, tmp_path: Path
) -> None:
    # Another PBX with the same content took the plan.
    office = str(EXAMPLES / "small-office")
    saved = tmp_path / "plan.json"
    assert cli("plan", office, *sim_args(state), "--out", str(saved)).exit_code == 0
    pinned = json.loads(saved.read_text())["pbx"]
    assert pinned["sn"] == "SIM0000000000001" and pinned["url"].startswith("the built-in")
    twin = tmp_path / "twin.json"
    shutil.copy(state, twin)
    data = json.loads(twin.read_text())
    data["device"]["sn"] = "SIM0000000000002"
    twin.write_text(json.dumps(data))
    other = cli("apply", str(saved), *sim_args(twin), "--auto-approve")
    assert other.exit_code == 1
    assert "stale plan: a different PBX: the plan was made against" in other.stderr
    assert "SN SIM0000000000001" in other.stderr and "this is" in other.stderr
    assert cli("apply", str(saved), *sim_args(state), "--auto-approve").exit_code == 0


def test_apply_json_says_what_was_done_failed_and_not_run(server: ThreadedServer) -> None:
    schema = json.loads((ROOT / "schemas" / "apply-output.schema.json").read_text())
    httpx.post(
        server.url + "/admin/faults",
        json={"action": "errno", "errno": "10003", "path": "outroute/add"},
    )
    office = str(EXAMPLES / "small-office")
    result = cli("apply", office, *connect_args(server), "--auto-approve", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)  # only the document on stdout
    jsonschema.validate(report, schema)
    assert (report["outcome"], report["ok"]) == ("failed", False)
    assert report["failed"]["errno"] == "10003"
    assert report["failed"]["meaning"] == "the API does not support this request"
    assert report["failed"]["objects"] == ["outbound_routes[name=local]"]
    assert len(report["done"]) == 9 and len(report["not_run"]) == 3
    again = cli("apply", office, *connect_args(server), "--auto-approve", "--format", "json")
    report = json.loads(again.stdout)
    jsonschema.validate(report, schema)
    assert (again.exit_code, report["outcome"], report["ok"]) == (0, "applied", True)
    assert report["verification"] == {"checked": True, "remaining": [], "changed_by_others": []}


@pytest.mark.parametrize(
    "args",
    [
        ("--detailed-exitcode",),  # no URL: a CI job whose secret is missing
        ("--detailed-exitcode", "--url", "pbx.example.com", "--username", "a", "--password", "b"),
        ("--detailed-exitcode", "--target", "nope"),
        ("--detailed-exitcode", "--no-such-option"),
    ],
)
def test_with_detailed_exitcode_a_usage_error_is_never_2(args: tuple[str, ...]) -> None:
    # 2 means "changes": a missing secret or a typo exited 2 and read as drift.
    result = cli("plan", str(EXAMPLES / "small-office"), *args, env={"PBXCONF_URL": None})
    assert result.exit_code == 1, result.output
    assert cli("plan", str(EXAMPLES / "small-office"), *args[1:] or ("--bogus",)).exit_code == 2


def test_apply_asks_when_stdin_is_a_terminal_even_if_the_output_is_piped(tmp_path: Path) -> None:
    # `pbxconf apply ... | tee log` refused to ask: it looked at stdout, not at the keyboard.
    import os
    import pty
    import subprocess
    import sys

    keyboard, terminal = pty.openpty()
    state = tmp_path / "pbx.json"
    args = ["apply", str(EXAMPLES / "small-office"), *sim_args(state)]
    env = {**os.environ, "PBXCONF_WRITE_INTERVAL": "0"}
    os.write(keyboard, b"y\n")
    done = subprocess.run(
        [sys.executable, "-m", "pbxconf", *args],
        stdin=terminal,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(keyboard)
    os.close(terminal)
    assert done.returncode == 0, done.stderr
    assert "Apply these changes to" in done.stdout  # asked, on the piped output
    assert "Apply complete: 13 call(s)" in done.stdout


def test_planning_a_saved_plan_says_to_apply_it(tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text('{"format": "pbxconf-saved-fleet-plan", "format_version": 2}\n{}\n')
    result = CliRunner().invoke(main, ["plan", str(saved), "--sim"])
    assert result.exit_code == 2
    assert f"{saved} is a saved plan, not a manifest: apply it with `pbxconf apply {saved}`" in (
        result.stderr
    )


def test_a_person_who_declines_on_a_terminal_changes_nothing_and_apply_exits_1(
    server: ThreadedServer, sim: Simulator
) -> None:
    # Exit 1: a script that runs apply and goes on when it succeeds must not go on.
    keyboard, terminal = pty.openpty()
    os.write(keyboard, b"n\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pbxconf", "apply", *APPLY_SMALL_OFFICE, *connect_args(server)],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(keyboard)
        os.close(terminal)
    assert done.returncode == 1, done.stderr
    assert "Apply these changes to" in done.stdout and "Nothing was changed." in done.stdout
    assert {c.endpoint for c in sim.calls} <= READS  # nothing written


APPLY_SMALL_OFFICE = [str(EXAMPLES / "small-office"), "--no-color"]
READS = {"login", "logout", "deviceinfo/query", "extensionlist/query", "extension/query"}
READS |= {"siptrunk/query", "inroute/query", "outroute/query", "ivr/query", "queue/query"}
READS |= {"wakeupcall/query"}
