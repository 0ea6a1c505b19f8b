"""Bad inventories, selectors, PBX names and shards: one clear line each, never a
traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbxconf.cli import main


def run(*args: str, cwd: Path | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"PBX_API_PASSWORD": "x"})


GOOD = """\
version: 1
defaults: {username: api, password_env: PBX_API_PASSWORD}
pbxes:
  - name: lisbon
    url: https://pbx-lisbon.example.com
    labels: {region: centre}
    manifests: [base]
  - name: porto
    url: https://pbx-porto.example.com
    labels: {region: north}
    manifests: [base]
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "pbx.yaml").write_text("version: 1\nextensions: [{number: 1000}]\n")
    path = tmp_path / "pbxconf.yaml"
    path.write_text(GOOD)
    return path


def one_error(result: Result) -> str:
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["plan", "--select", "region"], 2, "--select 'region': expected LABEL=VALUE"),
        (
            ["plan", "--select", "regoin=north"],
            2,
            "no PBX has the label `regoin`; did you mean `region`?",
        ),
        (
            ["plan", "--select", "region=south"],
            2,
            "--select region=south: no PBX matches (region is one of centre, north)",
        ),
        (["plan", "--pbx", "lisbom"], 2, "--pbx: no PBX named 'lisbom' in "),
        (["plan", "--pbx", "lisbom"], 2, "; did you mean `lisbon`?"),
        (
            ["plan", "--all", "--shard", "3/2"],
            2,
            "--shard 3/2: K must be between 1 and N (2), e.g. --shard 1/2",
        ),
        (["plan", "--all", "--shard", "0/2"], 2, "--shard 0/2: K must be between 1 and N (2)"),
        (["plan", "--all", "--shard", "half"], 2, "--shard 'half': expected K/N, e.g. --shard 2/4"),
        (["plan", "--all", "--shard", "3/2", "--detailed-exitcode"], 1, "--shard 3/2: K must be"),
        (
            ["plan", "--all", "--pbx", "lisbon"],
            2,
            "give one of --pbx, --select or --all, not --pbx and --all",
        ),
        (
            ["plan", "--shard", "1/2"],
            2,
            "--shard goes with --all, --pbx NAME or --select LABEL=VALUE",
        ),
        (
            ["plan", "--all", "--url", "https://x"],
            2,
            "--url names one PBX; with --pbx, --select or --all",
        ),
        (["plan", "--all", "base"], 2, "give manifest PATHS or --pbx, --select or --all, not both"),
        (["apply", "base", "--canary", "1", "--auto-approve"], 2, "--canary goes with a fleet"),
        (["export", "--all"], 2, "with a fleet, export needs --output DIRECTORY"),
    ],
)
def test_usage_errors_are_one_line(
    inventory: Path, args: list[str], code: int, message: str
) -> None:
    result = run(*args, "--inventory", str(inventory))
    assert result.exit_code == code, result.output
    assert message in one_error(result)


def test_plan_without_paths_or_selection_says_what_it_needs() -> None:
    result = run("plan")
    assert result.exit_code == 2
    assert "Missing argument 'PATHS...': the manifests, or --pbx NAME, --select" in result.stderr


def test_no_inventory_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run("plan", "--all")
    assert result.exit_code == 2
    assert "no inventory: pbxconf.yaml is not in this directory or above it" in result.stderr


def test_inventory_is_found_from_a_subdirectory(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inventory.parent / "base" / "deeper").mkdir()
    monkeypatch.chdir(inventory.parent / "base" / "deeper")
    result = CliRunner().invoke(main, ["fleet", "list"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 PBX(es) (--all)." in result.stdout


BAD = [
    (
        GOOD.replace("name: porto", "name: lisbon"),
        [
            "pbxconf.yaml:8:11: pbxes[name=lisbon].name: name 'lisbon' is given twice: also "
            "at pbxconf.yaml:4:11"
        ],
    ),
    (
        GOOD.replace("https://pbx-porto.example.com", "https://PBX-lisbon.example.com/"),
        [
            "pbxconf.yaml:9:10: pbxes[name=porto].url: url 'https://PBX-lisbon.example.com' "
            "is given twice: also at pbxconf.yaml:5:10"
        ],
    ),
    (
        GOOD.replace(
            "    labels: {region: north}", "    labels: {region: north}\n    password: hunter2"
        ),
        [
            "pbxconf.yaml:11:5: pbxes[name=porto].password: `password`: the inventory never "
            "holds a secret; name the environment variable that does with `password_env`"
        ],
    ),
    (
        GOOD.replace("labels: {region: centre}", "lables: {region: centre}"),
        [
            "pbxconf.yaml:6:5: pbxes[name=lisbon].lables: unknown key `lables`; "
            "did you mean `labels`?"
        ],
    ),
    (
        GOOD.replace("name: porto", "name: porto/2"),
        [
            "pbxconf.yaml:8:11: pbxes[name=porto/2].name: a PBX's name is letters, digits, "
            "`.`, `_` and `-` (it names a directory); found 'porto/2'"
        ],
    ),
    (
        GOOD.replace("    manifests: [base]\n  - name: porto", "  - name: porto"),
        [
            "pbxconf.yaml:4:5: pbxes[name=lisbon]: no `manifests`: list its manifest layers "
            "(or in `defaults`)"
        ],
    ),
    (
        GOOD.replace("url: https://pbx-porto.example.com", "url: pbx-porto.example.com"),
        [
            "pbxconf.yaml:9:10: pbxes[name=porto].url: expected an http(s) base URL like "
            "https://pbx.example.com; found 'pbx-porto.example.com'"
        ],
    ),
    (
        GOOD.replace("manifests: [base]\n  - name: porto", "manifests: []\n  - name: porto"),
        [
            "pbxconf.yaml:7:5: pbxes[name=lisbon].manifests: no layers: list its manifest "
            "layers, the base first"
        ],
    ),
    (
        GOOD.replace("https://pbx-porto", "https://api:hunter2@pbx-porto"),
        [
            "pbxconf.yaml:9:10: pbxes[name=porto].url: holds credentials (`user:password@`), "
            "which would print wherever the URL does: give `username` and `password_env` "
            "instead"
        ],
    ),
    (
        GOOD.replace("password_env: PBX_API_PASSWORD", "password_env: hunter2-secret"),
        [
            "pbxconf.yaml:2:41: defaults.password_env: expected an environment variable name "
            "like PBX_API_PASSWORD (the value is not shown)"
        ],
    ),
    (
        GOOD.replace("    labels: {region: north}", "    variables: {TRUNK_PASSWORD: [hunter2]}"),
        [
            "pbxconf.yaml:10:17: pbxes[name=porto].variables.TRUNK_PASSWORD: expected a valid "
            "string; found a value not shown (it may be a secret)"
        ],
    ),
    (
        GOOD.replace("version: 1", "version: 2"),
        ["pbxconf.yaml:1:10: version: expected `version: 1`, found 2"],
    ),
    (
        "version: 1\npbxes: [\n",
        ["pbxconf.yaml:3:1: YAML syntax: "],
    ),
]


@pytest.mark.parametrize(("text", "errors"), BAD)
def test_bad_inventories_name_file_line_col(
    inventory: Path, monkeypatch: pytest.MonkeyPatch, text: str, errors: list[str]
) -> None:
    inventory.write_text(text)
    monkeypatch.chdir(inventory.parent)
    result = run("plan", "--all", "--inventory", "pbxconf.yaml", "--detailed-exitcode")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    for error in errors:
        assert any(line.startswith(error) for line in lines), result.stderr
    assert lines[-1].startswith("Error: ") and lines[-1].endswith("in the inventory")
    assert "hunter2" not in result.output


def test_a_layer_that_does_not_exist_fails_its_pbx_where_the_inventory_names_it(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory.write_text(
        GOOD.replace(
            "manifests: [base]\n  - name: porto", "manifests: [base, nowhere]\n  - name: porto"
        )
    )
    monkeypatch.chdir(inventory.parent)
    result = run("validate", "--all")
    assert result.exit_code == 1
    assert (
        "pbxconf.yaml:7:23: pbxes[name=lisbon].manifests[1]: nowhere: no such file or directory"
        in result.output
    )
    assert "porto: 1 file(s) in 1 layer(s) valid" in result.output


def test_validate_never_runs_the_inventorys_secrets_command(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull request may change the inventory: checking files must not run what it names.
    ran = inventory.parent / "ran"
    inventory.write_text(f"secrets: {{command: 'touch {ran}'}}\n" + GOOD)
    monkeypatch.chdir(inventory.parent)
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert not ran.exists()
    assert "secrets.command is not run by validate (offline)" in result.stderr


def test_the_inventorys_secrets_source_is_named_as_the_inventory_gives_it(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inventory.parent / "secrets.env").write_text("A=1\nhunter2 is not a line\n")
    inventory.write_text("secrets: {file: secrets.env}\n" + GOOD)
    monkeypatch.chdir(inventory.parent)
    result = run("validate")
    assert result.exit_code == 1
    assert (
        "pbxconf.yaml: secrets.file secrets.env: line 2 is not NAME=value (not shown: it may "
        "hold a secret)" in result.stderr
    )
    assert "hunter2" not in result.output


def test_a_layer_naming_a_secrets_file_does_not_echo_it(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inventory.parent / "secrets.env").write_text("PBX_API_PASSWORD=hunter2\n")
    inventory.write_text(
        GOOD.replace(
            "manifests: [base]\n  - name: porto", "manifests: [base, secrets.env]\n  - name: porto"
        )
    )
    monkeypatch.chdir(inventory.parent)
    result = run("validate", "--pbx", "lisbon")
    assert result.exit_code == 1
    assert (
        "secrets.env:1:1: a manifest is a mapping that starts with `version: 1`; found text"
        in result.output
    )
    assert "hunter2" not in result.output


def test_an_inventory_that_is_not_a_file_says_so() -> None:
    result = run("plan", "--all", "--inventory", "/dev/null")
    assert result.exit_code == 2
    assert "--inventory /dev/null: not a regular file" in result.stderr
