"""Two inventory entries whose URLs differ but reach one PBX (a host name and its
address): every fleet command fails both, each naming the other, and apply writes to
neither."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fleet.conftest import Fleet, serial
from tests.fleet.test_plan_apply import summary_rows


def porto_reaches_lisbon(fleet: Fleet) -> None:
    """Porto's entry points at Lisbon's simulator, by another name for the same host."""
    lisbon, porto = fleet.servers["lisbon"].url, fleet.servers["porto"].url
    text = fleet.inventory.read_text()
    fleet.inventory.write_text(text.replace(porto, lisbon.replace("127.0.0.1", "localhost")))


def same_pbx(other: str) -> str:
    return (
        f"failed: the same PBX (SN {serial('lisbon')}) as {other}: two inventory entries "
        "reach one PBX; fix the inventory"
    )


@pytest.mark.parametrize("processes", ["1", "2"])
def test_plan_fails_both_entries_that_reach_one_pbx(fleet: Fleet, processes: str) -> None:
    porto_reaches_lisbon(fleet)
    result = fleet.cli("plan", "--all", "--processes", processes)
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"] == ("", same_pbx("porto"))
    assert rows["porto"] == ("", same_pbx("lisbon"))
    assert rows["faro"][1] == "changes"


def test_a_saved_plan_holds_no_plan_for_entries_that_reach_one_pbx(
    fleet: Fleet, tmp_path: Path
) -> None:
    porto_reaches_lisbon(fleet)
    saved = tmp_path / "fleet-plan.json"
    assert fleet.cli("plan", "--all", "--out", str(saved)).exit_code == 1
    result = fleet.cli("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1].startswith("failed: the same PBX")
    assert rows["faro"][1] == "applied (12 call(s))"
    assert fleet.writes("lisbon") == 0


@pytest.mark.parametrize("canary", [[], ["--canary", "1"]])
def test_apply_writes_to_neither_entry_that_reaches_one_pbx(
    fleet: Fleet, canary: list[str]
) -> None:
    porto_reaches_lisbon(fleet)
    result = fleet.cli("apply", "--all", "--auto-approve", *canary)
    assert result.exit_code == 1
    rows = summary_rows(result.stdout)
    assert rows["lisbon"][1] == same_pbx("porto")
    assert rows["porto"][1] == same_pbx("lisbon")
    assert rows["faro"][1].startswith("applied (12 call(s))")
    assert fleet.writes("lisbon") == 0
    assert "Error: 2 of 3 PBX(es) failed to apply: lisbon, porto" in result.stderr


def test_info_and_export_fail_both_entries_that_reach_one_pbx(fleet: Fleet, tmp_path: Path) -> None:
    porto_reaches_lisbon(fleet)
    info = fleet.cli("info", "--all")
    assert info.exit_code == 1
    assert "lisbon  " + same_pbx("porto") in info.stdout
    exported = fleet.cli("export", "--all", "-o", str(tmp_path / "exports"))
    assert exported.exit_code == 1
    assert "porto   " + same_pbx("lisbon") in exported.stdout
