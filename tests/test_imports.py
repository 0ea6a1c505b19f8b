"""What each command imports, counted, never timed: `pbxconf --version` and `--help`
import none of the libraries the commands use, `validate` no HTTP client, and a plan
neither the diff library nor the progress bars nor httpx's own command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbxconf.cli import main

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ("httpx", "httpcore", "pydantic", "ruamel.yaml", "deepdiff", "rich", "starlette")


def imported(*args: str) -> set[str]:
    """The modules `python -m pbxconf ARGS` imports, from `-X importtime` (which prints
    each import as it happens, whatever way the process ends)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pbxconf", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # [0] is the header


def test_version_and_help_import_no_library_a_command_uses() -> None:
    for args in (["--version"], ["--help"]):
        modules = imported(*args)
        assert "click" in modules
        assert not [m for m in LIBRARIES if m in modules], args
        assert not [m for m in modules if m.startswith("pbxconf.kinds")], args


def test_validate_imports_no_http_client() -> None:
    modules = imported("validate", str(ROOT / "examples" / "hotel"))
    assert "pydantic" in modules and "ruamel.yaml" in modules
    assert not {"httpx", "httpcore", "pbxconf.api", "deepdiff", "rich"} & modules


def test_a_plan_with_no_change_imports_only_what_it_uses(tmp_path: Path) -> None:
    office = str(ROOT / "examples" / "small-office")
    state = str(tmp_path / "pbx.json")
    applied = CliRunner().invoke(
        main, ["apply", office, "--sim", "--sim-state", state, "--auto-approve"]
    )
    assert applied.exit_code == 0, applied.output
    modules = imported("plan", office, "--sim", "--sim-state", state)
    assert "httpx" in modules and "pydantic" in modules
    # httpx's command line (rich, pygments; `-X importtime` lists `httpx._main` as the
    # import it refused), the diff library (only a change needs it), saved plans (only
    # `--out`), the JSON documents' models (only `--format json`), the fleet's modules
    # (only a run over the inventory) and difflib (only a mistake is told) stay out.
    unused = {
        "rich",
        "pygments",
        "deepdiff",
        "pbxconf.saved_plan",
        "pbxconf.render.json_plan",
        "pbxconf.fleet.runner",
        "pbxconf.fleet.selection",
        "pbxconf.fleet.inventory",
        "difflib",
    }
    assert not unused & modules


@pytest.mark.parametrize("args", [["--version"], ["validate", "--help"]])
def test_the_command_exits_with_its_code_and_its_output(args: list[str]) -> None:
    """`pbxconf` ends without freeing what it built (os._exit): its output is flushed first."""
    result = subprocess.run(
        [sys.executable, "-m", "pbxconf", *args, "--bogus"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "No such option '--bogus'" in result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "pbxconf", *args], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0 and ok.stdout.strip()
