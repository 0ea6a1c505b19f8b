"""Where `${VAR}` values come from: the environment, a dotenv file or a command (a
vault's CLI), never the command line; and an adopted PBX planned before every secret of
its export is in the vault."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from pbxconf.cli import main

PEER = "type: register, host: h, port: 5060, domain: d, username: u, auth_name: a"


def cli(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"TRUNK_PW": None, **(env or {})})


def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pbx.yaml"
    path.write_text(f"version: 1\ntrunks: [{{name: t, {PEER}, password: '${{TRUNK_PW}}'}}]\n")
    return path


def test_a_dotenv_file_fills_what_the_environment_lacks(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text('# the vault\nexport TRUNK_PW="s3cret x"\n')
    result = cli("validate", str(manifest(tmp_path)), "--secrets-file", str(secrets))
    assert result.exit_code == 0, result.output
    # The environment wins over the file.
    plan = cli(
        "plan", str(manifest(tmp_path)), "--sim", "--secrets-file", str(secrets),
        "--format", "json", env={"TRUNK_PW": "from-env"},
    )  # fmt: skip
    assert plan.exit_code == 0, plan.output
    assert "s3cret" not in plan.output and "from-env" not in plan.output


def test_a_command_prints_the_values_as_dotenv_lines_or_json(tmp_path: Path) -> None:
    for printed in ("TRUNK_PW=abc", json.dumps({"TRUNK_PW": "abc"})):
        vault = tmp_path / "vault.py"
        vault.write_text(f"print({printed!r})\n")
        command = f"{sys.executable} {vault}"
        result = cli("validate", str(manifest(tmp_path)), "--secrets-command", command)
        assert result.exit_code == 0, result.output


def test_a_failing_command_is_a_clear_error_that_shows_no_secret(tmp_path: Path) -> None:
    command = (
        f"{sys.executable} -c \"import sys; sys.stderr.write('denied, token=0123abcd'); "
        'sys.exit(3)"'
    )
    result = cli("validate", str(manifest(tmp_path)), "--secrets-command", command)
    assert result.exit_code == 1
    assert "--secrets-command:" in result.stderr and "exited 3: denied, token=***" in result.stderr
    assert "0123abcd" not in result.stderr
    missing = cli("validate", str(manifest(tmp_path)), "--secrets-command", "no-such-vault-cli")
    assert missing.exit_code == 1 and "no-such-vault-cli: no such command" in missing.stderr


def test_one_source_at_a_time(tmp_path: Path) -> None:
    result = cli(
        "validate", str(manifest(tmp_path)), "--secrets-file", "x", "--secrets-command", "y"
    )
    assert result.exit_code == 2
    assert "give --secrets-file or --secrets-command, not both" in result.stderr


def test_an_adopted_pbx_is_planned_before_every_secret_is_in_the_vault(tmp_path: Path) -> None:
    # An export names a variable per secret (1,055 at M); a plan without all of them
    # failed with an error per secret.
    state = tmp_path / "pbx.json"
    assert cli("apply", str(manifest(tmp_path)), "--sim", "--sim-state", str(state),
               "--auto-approve", env={"TRUNK_PW": "pw"}).exit_code == 0  # fmt: skip
    exported = tmp_path / "export"
    assert (
        cli("export", "--sim", "--sim-state", str(state), "--split", "-o", str(exported)).exit_code
        == 0
    )
    refused = cli("plan", str(exported), "--sim", "--sim-state", str(state))
    assert refused.exit_code == 1
    assert "or plan with --missing-secrets unmanaged" in refused.stderr
    plan = cli(
        "plan", str(exported), "--sim", "--sim-state", str(state), "--detailed-exitcode",
        "--missing-secrets", "unmanaged",
    )  # fmt: skip
    assert plan.exit_code == 0, plan.output
    assert "No changes: the PBX matches the manifests." in plan.stdout
    assert "secret(s) are not set, so their fields are not managed" in plan.stdout
    assert "42 secret(s) are not set" in plan.stdout  # 20 extensions' two, and the trunk's
    assert "extensions[number=1000].registration.password (${PBX_EXTENSION_1000_" in plan.stdout
