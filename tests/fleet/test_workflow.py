"""The example fleet's CI pipeline (examples/hotel-group/.github/workflows), run the way
GitHub runs it: each matrix shard's step shell by bash, against the three simulators."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from pbxconf.fleet.saved import read_saved_fleet_plan
from tests.fleet.conftest import CREDENTIALS, EXAMPLE, HOTELS, Fleet

WORKFLOW = EXAMPLE / ".github" / "workflows" / "pbxconf.yml"
BIN = Path(sys.executable).parent


def step(job: str, name_start: str) -> tuple[dict[str, Any], str]:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    steps = workflow["jobs"][job]["steps"]
    found = next(s for s in steps if s.get("name", "").startswith(name_start))
    return workflow["jobs"][job], found["run"]


def run_shard(fleet: Fleet, script: str, shard: int) -> int:
    env = {
        **os.environ,
        **CREDENTIALS,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(fleet.root / f"summary-{shard}.md"),
    }
    env.pop("PBXCONF_INVENTORY", None)
    shell = script.replace("${{ matrix.shard }}", str(shard))
    return subprocess.run(["bash", "-e", "-c", shell], cwd=fleet.root, env=env).returncode


def test_the_shards_plan_every_hotel_once_and_changes_pass(fleet: Fleet) -> None:
    job, script = step("plan", "Plan shard")
    assert job["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert job["strategy"]["fail-fast"] is False
    planned: list[str] = []
    for shard in (1, 2, 3, 4):
        # Every hotel's PBX is empty: a shard with a hotel has changes (exit 2), which
        # the step passes; an empty shard plans nothing.
        assert run_shard(fleet, script, shard) == 0
        path = fleet.root / f"fleet-plan-{shard}.json"
        if path.exists():  # a shard with no hotel saves no plan
            saved = read_saved_fleet_plan(path)
            assert saved is not None
            planned += saved.names
            assert (fleet.root / f"summary-{shard}.md").read_text().startswith("<!--")
    assert sorted(planned) == sorted(HOTELS)


def test_the_shards_apply_every_hotel_once(fleet: Fleet) -> None:
    job, script = step("apply", "Apply shard")
    assert job["concurrency"] == "pbxconf-apply-${{ matrix.shard }}"
    for shard in (1, 2, 3, 4):
        assert run_shard(fleet, script, shard) == 0
    assert all(fleet.writes(hotel) > 0 for hotel in HOTELS)
    assert fleet.cli("plan", "--all", "--detailed-exitcode").exit_code == 0
