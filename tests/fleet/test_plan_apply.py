"""The example fleet planned and applied through the command line, against three
simulators over TCP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from pbxconf.cli import main
from tests.fleet.conftest import CREDENTIALS, HOTELS, ROOT, Fleet

SCHEMA = json.loads((ROOT / "schemas" / "fleet-output.schema.json").read_text())


def summary_rows(stdout: str) -> dict[str, tuple[str, str]]:
    """The summary table: PBX -> (changes, result)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("PBX "))
    header = lines[start]
    changes_at, result_at = header.index("CHANGES"), header.index("RESULT")
    rows = {}
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith(("Canaries:", "Rollout stopped:")):
            break
        name = line[:changes_at].strip()
        rows[name] = (line[changes_at:result_at].strip(), line[result_at:].strip())
    return rows


def test_plan_all_prints_every_plan_and_one_table(fleet: Fleet) -> None:
    result = fleet.cli("plan", "--all")
    assert result.exit_code == 0, result.output
    for hotel in HOTELS:
        assert f"pbxconf plan for {hotel} ({fleet.servers[hotel].url})" in result.stdout
    assert '      name: "Extension 1000" -> "Porto-Reception"' in result.stdout
    assert "Fleet plan: 3 PBX(es): 3 with changes." in result.stdout
    assert summary_rows(result.stdout) == {
        "lisbon": ("3 to create, 9 to update", "changes"),
        "porto": ("4 to create, 9 to update", "changes"),
        "faro": ("3 to create, 9 to update", "changes"),
    }
    assert "demo-lisbon" not in result.output  # a trunk password: never printed


def test_detailed_exit_code_sums_the_fleet_up(fleet: Fleet) -> None:
    assert fleet.cli("plan", "--all", "--detailed-exitcode").exit_code == 2
    applied = fleet.cli("apply", "--pbx", "lisbon", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert fleet.cli("plan", "--pbx", "lisbon", "--detailed-exitcode").exit_code == 0
    assert fleet.cli("plan", "--all", "--detailed-exitcode").exit_code == 2
    fleet.servers["faro"].stop()  # a failure wins over changes
    assert fleet.cli("plan", "--all", "--detailed-exitcode").exit_code == 1


def test_apply_all_then_nothing_is_left(fleet: Fleet) -> None:
    applied = fleet.cli("apply", "--all", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert summary_rows(applied.stdout) == {
        "lisbon": ("3 to create, 9 to update", "applied (12 call(s))"),
        "porto": ("4 to create, 9 to update", "applied (13 call(s))"),
        "faro": ("3 to create, 9 to update", "applied (12 call(s))"),
    }
    assert "Apply complete: 13 call(s); the PBX matches." in applied.stdout
    with fleet.admin("porto") as admin:
        extensions = admin.get("/admin/state").json()["extensions"]
    suite = next(e for e in extensions if e["extnumber"] == "1008")
    # The base's room, with Porto's layer laid over it field by field.
    assert (suite["username"], suite["callrestriction"], suite["hasvoicemail"]) == (
        "Suite 108",
        "off",
        "on",
    )
    again = fleet.cli("plan", "--all", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "Fleet plan: 3 PBX(es): 3 without changes." in again.stdout


def test_a_down_pbx_is_reported_and_does_not_stop_the_others(fleet: Fleet) -> None:
    fleet.servers["porto"].stop()
    result = fleet.cli("apply", "--all", "--auto-approve")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1] == rows["faro"][1] == "applied (12 call(s))"
    assert rows["porto"][1].startswith("failed: login: could not connect to http://127.0.0.1:")
    assert "Error: 1 of 3 PBX(es) failed to apply: porto" in result.stderr
    assert "Traceback" not in result.output


def test_a_refusing_pbx_fails_alone(fleet: Fleet) -> None:
    result = fleet.cli("plan", "--all", env={"FARO_API_PASSWORD": "not-the-password-4711"})
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["faro"][1].startswith("failed: login: errno 20003")
    assert rows["lisbon"][1] == rows["porto"][1] == "changes"
    assert "not-the-password-4711" not in result.output


def test_a_missing_credential_is_named_by_its_variable(fleet: Fleet) -> None:
    result = fleet.cli("plan", "--all", env={"FARO_API_PASSWORD": None})
    assert result.exit_code == 1
    assert summary_rows(result.stdout)["faro"][1] == (
        "failed: faro: FARO_API_PASSWORD (its API password) is not set in the environment "
        "or the secrets source"
    )


def test_canary_failure_stops_the_rollout(fleet: Fleet) -> None:
    fleet.fault("lisbon", action="errno", path="extension/update", errno="10017", times=0)
    result = fleet.cli("apply", "--all", "--auto-approve", "--canary", "1")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1].startswith("failed, canary: extension/update: errno 10017")
    assert rows["porto"][1] == rows["faro"][1] == "not run: the canary lisbon failed"
    assert "Canaries: lisbon." in result.stdout
    assert "Rollout stopped: the canary lisbon failed." in result.stdout
    assert fleet.writes("porto") == fleet.writes("faro") == 0


def test_canaries_are_the_first_pbxes_with_changes_in_inventory_order(fleet: Fleet) -> None:
    assert fleet.cli("apply", "--pbx", "lisbon", "--auto-approve").exit_code == 0
    result = fleet.cli("apply", "--all", "--auto-approve", "--canary", "1")
    assert result.exit_code == 0, result.output
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1] == "nothing to do"  # no changes: no canary
    assert rows["porto"][1] == "applied (13 call(s)), canary"
    assert rows["faro"][1] == "applied (12 call(s))"


def test_max_failures_stops_starting_pbxes(fleet: Fleet) -> None:
    for hotel in ("lisbon", "porto"):
        fleet.fault(hotel, action="errno", path="extension/update", errno="10017", times=0)
    result = fleet.cli("apply", "--all", "--auto-approve", "--max-failures", "1", "--parallel", "1")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1].startswith("failed: extension/update: errno 10017")
    stopped = "not run: stopped after 1 failure(s) (--max-failures 1)"
    assert rows["porto"][1] == rows["faro"][1] == stopped
    assert fleet.writes("faro") == 0


def test_saved_fleet_plan_applies_and_refuses_a_different_pbx_by_name(
    fleet: Fleet, tmp_path: Path
) -> None:
    saved = tmp_path / "fleet-plan.json"
    planned = fleet.cli("plan", "--all", "--out", str(saved))
    assert planned.exit_code == 0, planned.output
    assert "demo-porto" not in saved.read_text()  # no secret in the file
    # Porto's URL now reaches another PBX: another serial number.
    with fleet.admin("porto") as admin:
        state = admin.get("/admin/state").json()
        state["device"]["sn"] = "SIMREPLACEMENT01"
        admin.put("/admin/state", json=state).raise_for_status()
    result = fleet.cli("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1] == "applied (12 call(s))"
    assert rows["faro"][1] == "applied (12 call(s))"
    porto = fleet.servers["porto"].url
    assert rows["porto"][1] == (
        "refused: stale plan: a different PBX: the plan was made against Seaside porto SN "
        f"SIMHOTEL00000002 at {porto}; this is Seaside porto SN SIMREPLACEMENT01 at {porto}. "
        "Plan against this PBX."
    )
    assert fleet.writes("porto") == 0
    assert "Error: 1 of 3 PBX(es) failed to apply: porto" in result.stderr


def test_saved_fleet_plan_refuses_a_pbx_whose_inventory_entry_changed(
    fleet: Fleet, tmp_path: Path
) -> None:
    saved = tmp_path / "fleet-plan.json"
    assert fleet.cli("plan", "--all", "--out", str(saved)).exit_code == 0
    inventory = fleet.inventory.read_text().replace("seaside-faro", "seaside-faro-2")
    fleet.inventory.write_text(inventory)
    result = fleet.cli("apply", str(saved), "--auto-approve", "--pbx", "faro")
    assert result.exit_code == 1
    assert summary_rows(result.stdout) == {
        "faro": (
            "",
            "refused: stale plan: its entry in the inventory changed since the plan was saved "
            "(URL, credentials' variables, labels, layers or variables). Plan again.",
        )
    }


def test_saved_fleet_plan_refuses_a_pbx_that_drifted(fleet: Fleet, tmp_path: Path) -> None:
    saved = tmp_path / "fleet-plan.json"
    assert fleet.cli("plan", "--all", "--out", str(saved)).exit_code == 0
    with fleet.admin("faro") as admin:
        admin.post("/admin/records/extension", json={"extnumber": "1003", "username": "X"})
    result = fleet.cli("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["faro"][1] == (
        "refused: stale plan: the PBX changed since the plan was saved: "
        "extensions[number=1003]. Plan again."
    )
    assert rows["lisbon"][1] == "applied (12 call(s))"
    assert rows["porto"][1] == "applied (13 call(s))"


def test_saved_fleet_plan_refuses_a_pbx_the_inventory_no_longer_names(
    fleet: Fleet, tmp_path: Path
) -> None:
    saved = tmp_path / "fleet-plan.json"
    assert fleet.cli("plan", "--select", "region!=north", "--out", str(saved)).exit_code == 0
    inventory = fleet.inventory.read_text().replace("name: faro", "name: faro-old")
    fleet.inventory.write_text(inventory)
    result = fleet.cli("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert list(rows) == ["lisbon", "faro"]
    assert rows["faro"][1] == (
        "refused: stale plan: the inventory no longer names faro: nothing was changed on it"
    )


def test_json_output_is_one_document_following_its_schema(fleet: Fleet) -> None:
    fleet.servers["faro"].stop()
    result = fleet.cli("plan", "--all", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["summary"] == {
        "pbxes": 3,
        "selected": 3,
        "changes": 2,
        "no_changes": 0,
        "failed": 1,
    }
    lisbon, _porto, faro = document["pbxes"]
    assert lisbon["plan"]["summary"]["update"] == 9
    assert faro["plan"] is None and faro["result"] == "failed"
    applied = fleet.cli("apply", "--pbx", "lisbon", "--auto-approve", "--format", "json")
    apply_document = json.loads(applied.stdout)
    jsonschema.validate(apply_document, SCHEMA)
    assert apply_document["pbxes"][0]["apply"]["outcome"] == "applied"


def test_markdown_groups_pbxes_with_the_same_plan(fleet: Fleet) -> None:
    for hotel in HOTELS:
        assert fleet.cli("apply", "--pbx", hotel, "--auto-approve").exit_code == 0
    for hotel in ("lisbon", "faro"):
        with fleet.admin(hotel) as admin:
            admin.post("/admin/records/extension", json={"extnumber": "1003", "username": "X"})
    result = fleet.cli("plan", "--all", "--format", "markdown")
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("<!-- pbxconf-plan -->\n### pbxconf plan for 3 PBX(es) (`--all`)")
    assert "| `lisbon`, `faro` (2) | 1 to update | changes |" in text
    assert "| `porto` | none | no changes |" in text
    assert text.count("<details><summary>lisbon, faro: changes</summary>") == 1
    assert text.count("~ extensions[number=1003]") == 1  # the group's plan, once
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<table>" in html


def test_shard_runs_a_stable_share_of_the_selection(fleet: Fleet) -> None:
    seen = []
    for k in (1, 2):
        result = fleet.cli("plan", "--all", "--shard", f"{k}/2")
        assert result.exit_code == 0, result.output
        seen.append(set(summary_rows(result.stdout)) if "PBX " in result.stdout else set())
    assert seen[0] | seen[1] == set(HOTELS) and not seen[0] & seen[1]
    again = fleet.cli("plan", "--all", "--shard", "1/2")
    assert set(summary_rows(again.stdout)) == seen[0]


def test_select_and_pbx_choose_pbxes(fleet: Fleet) -> None:
    result = fleet.cli("plan", "--select", "size=large")
    assert list(summary_rows(result.stdout)) == ["lisbon", "porto"]
    result = fleet.cli("plan", "--select", "region=north,south", "--select", "size!=large")
    assert list(summary_rows(result.stdout)) == ["faro"]
    result = fleet.cli("plan", "--pbx", "faro,lisbon")
    assert list(summary_rows(result.stdout)) == ["lisbon", "faro"]


def test_on_a_terminal_apply_asks_once_for_the_fleet(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pbxconf.cli.fleet_commands.on_terminal", lambda: True)
    assert fleet.cli("apply", "--pbx", "lisbon", "--auto-approve").exit_code == 0
    declined = CliRunner().invoke(
        main, ["apply", "--all", "--inventory", str(fleet.inventory)], env=CREDENTIALS, input="n\n"
    )
    assert declined.exit_code == 1
    assert "Apply the changes to 2 PBX(es)? [y/N]: n" in declined.stdout
    assert "Nothing was changed." in declined.stdout
    assert fleet.writes("porto") == 0
    accepted = CliRunner().invoke(
        main, ["apply", "--all", "--inventory", str(fleet.inventory)], env=CREDENTIALS, input="y\n"
    )
    assert accepted.exit_code == 0, accepted.output
    rows = summary_rows(accepted.stdout)
    assert list(rows) == ["porto", "faro"]  # lisbon had nothing to do: not asked about
    assert rows["porto"][1] == "applied (13 call(s))"


def test_dry_run_changes_nothing(fleet: Fleet) -> None:
    result = fleet.cli("apply", "--all", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: these calls would be sent (nothing was changed):" in result.stdout
    assert '"password": "(sensitive)"' in result.stdout
    assert {row[1] for row in summary_rows(result.stdout).values()} == {"dry run"}
    assert sum(fleet.writes(h) for h in HOTELS) == 0


def test_plan_in_processes_prints_what_one_process_does(fleet: Fleet, tmp_path: Path) -> None:
    one = fleet.cli("plan", "--all", "--format", "json")
    two = fleet.cli("plan", "--all", "--format", "json", "--processes", "2")
    assert two.exit_code == one.exit_code == 0, two.output
    assert two.stdout == one.stdout
    saved = tmp_path / "plan.json"
    assert fleet.cli("plan", "--all", "--processes", "3", "--out", str(saved)).exit_code == 0
    applied = fleet.cli("apply", str(saved), "--auto-approve")
    assert applied.exit_code == 0, applied.output


def progress(stderr: str) -> list[tuple[int, int, str, str]]:
    """The progress lines: (k, N, PBX, result)."""
    found = re.findall(r"^\[(\d+)/(\d+)\] ([\w.-]+): ([\w-]+)", stderr, re.M)
    return [(int(k), int(n), name, result) for k, n, name, result in found]


def assert_counts_each_pbx_once(stderr: str) -> dict[str, str]:
    lines = progress(stderr)
    assert [(k, n) for k, n, _name, _result in lines] == [(k, 3) for k in range(1, 4)]
    assert sorted(name for _k, _n, name, _result in lines) == sorted(HOTELS)
    return {name: result for _k, _n, name, result in lines}


def test_a_rollouts_progress_counts_each_pbx_once_as_it_finishes(fleet: Fleet) -> None:
    result = fleet.cli("apply", "--all", "--auto-approve", "--canary", "1")
    assert result.exit_code == 0, result.output
    said = assert_counts_each_pbx_once(result.stderr)
    assert said == dict.fromkeys(HOTELS, "applied")


def test_pbxes_a_failed_canary_kept_from_applying_show_their_planned_changes(
    fleet: Fleet,
) -> None:
    fleet.fault("lisbon", action="errno", path="extension/update", errno="10017", times=0)
    result = fleet.cli("apply", "--all", "--auto-approve", "--canary", "1")
    assert result.exit_code == 1
    said = assert_counts_each_pbx_once(result.stderr)
    assert said == {"lisbon": "failed", "porto": "not-run", "faro": "not-run"}
    rows = summary_rows(result.stdout)
    assert rows["porto"] == ("4 to create, 9 to update", "not run: the canary lisbon failed")


def test_plan_in_processes_counts_its_progress(fleet: Fleet) -> None:
    # A real process: the forked workers write their lines to its stderr.
    argv = [sys.executable, "-m", "pbxconf", "plan", "--all", "--processes", "2"]
    argv += ["--inventory", str(fleet.inventory)]
    env = {**os.environ, **CREDENTIALS}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert_counts_each_pbx_once(result.stderr)


def damaged_copies(saved: Path) -> dict[str, tuple[str, str]]:
    """Ways a saved fleet plan is damaged: its text, and what apply says of it."""
    lines = saved.read_text().splitlines(keepends=True)
    edited = lines[1].replace('"update"', '"delete"', 1)
    assert edited != lines[1]
    return {
        "header only": (lines[0], "truncated: no line for lisbon, porto, faro of the 3"),
        "a line missing": ("".join(lines[:1] + lines[2:]), "truncated: no line for lisbon of"),
        "a line twice": ("".join(lines + lines[1:2]), ":5: a second line for lisbon"),
        "another format": ('{"format": "x"}\n' + "".join(lines[1:]), ": not a saved plan: "),
        "changes edited": ("".join([*lines[:1], edited, *lines[2:]]), "differ from their digest"),
    }


def test_a_damaged_saved_fleet_plan_is_refused_whole(fleet: Fleet, tmp_path: Path) -> None:
    saved = tmp_path / "fleet-plan.json"
    assert fleet.cli("plan", "--all", "--out", str(saved)).exit_code == 0
    for how, (text, said) in damaged_copies(saved).items():
        damaged = tmp_path / "damaged.json"
        damaged.write_text(text)
        result = fleet.cli("apply", str(damaged), "--auto-approve")
        assert result.exit_code == 1, how
        assert f"Error: {damaged}" in result.stderr and said in result.stderr, how
        assert "Traceback" not in result.output
    assert all(fleet.writes(hotel) == 0 for hotel in HOTELS)


def test_a_canary_rollout_where_every_pbx_failed_says_so(fleet: Fleet) -> None:
    # It said "Canaries: none (no PBX had changes)" when none could even be planned.
    for hotel in HOTELS:
        fleet.fault(hotel, action="errno", path="siptrunk/query", errno="10017", times=0)
    result = fleet.cli("apply", "--all", "--auto-approve", "--canary", "1")
    assert result.exit_code == 1
    assert "Canaries: none (every PBX failed or was refused)." in result.stdout
