"""The command line: connection options, `info`, and `sim serve` as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbxconf.cli import main
from pbxconf.sim.server import ThreadedServer


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_info_against_the_in_process_simulator() -> None:
    code, out, err = run("info", "--sim")
    assert code == 0, err
    assert "Device name:     Cloud PBX (pbxconf simulator)" in out
    assert "Firmware:        81.9.0.14" in out
    assert "Extensions:      20/50" in out
    assert "Trunk/route API: yes" in out


def test_info_json() -> None:
    code, out, _ = run("info", "--sim", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["sn"] == "SIM0000000000001" and data["trunk_and_route_api"] is True


def test_sim_state_is_loaded_and_saved(tmp_path: Path) -> None:
    state_file = tmp_path / "pbx.json"
    assert run("info", "--sim", "--sim-state", str(state_file))[0] == 0
    saved = json.loads(state_file.read_text())
    saved["device"]["firmwarever"] = "81.8.0.4"
    state_file.write_text(json.dumps(saved))
    code, out, _ = run("info", "--sim", "--sim-state", str(state_file))
    assert code == 0
    assert "Trunk/route API: NO: trunk and route endpoints need firmware 81.8.0.42" in out


def test_broken_sim_state_is_a_usage_error(tmp_path: Path) -> None:
    state_file = tmp_path / "pbx.json"
    state_file.write_text("{not json")
    code, _, err = run("info", "--sim", "--sim-state", str(state_file))
    assert code == 2
    assert f"--sim-state {state_file}: not a simulator state file" in err


def test_sim_state_that_cannot_be_saved_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    state_file = tmp_path / "a-file" / "pbx.json"
    code, _, err = run("info", "--sim", "--sim-state", str(state_file))
    assert code == 2
    assert f"--sim-state {state_file}: cannot be saved: {tmp_path / 'a-file'} is not a " in err
    assert "Traceback" not in err


def test_ca_bundle_that_is_not_pem_is_a_usage_error(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    args = ("--url", "https://p", "--username", "a", "--password", "b", "--ca-bundle")
    code, _, err = run("info", *args, str(bundle))
    assert code == 2
    assert f"--ca-bundle {bundle}: not a PEM file of CA certificates" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no PBX given: pass --url (or set PBXCONF_URL), or --sim"),
        (("--url", "ftp://pbx"), "is not an http(s) URL"),
        (("--url", "https://pbx.example.com"), "no API username"),
        (("--url", "https://pbx.example.com", "--username", "api"), "no API password"),
        (("--sim", "--url", "https://pbx"), "give either --url or --sim, not both"),
        (("--sim-state", "x.json"), "--sim-state goes with --sim"),
        (
            ("--url", "https://p", "--username", "a", "--password", "b", "--ca-bundle", "/nope"),
            "--ca-bundle /nope: no such file",
        ),
        # Each of these was a traceback.
        (("--url", "http://[::1"), "--url 'http://[::1' is not a valid URL (Invalid IPv6 URL)"),
        (("--url", "http://pbx:notaport"), "--url 'http://pbx:notaport' is not a valid URL"),
        (("--url", "http://pbx:99999"), "(Port out of range 0-65535)"),
        (("--sim", "--timeout", "nan"), "--timeout must be a finite number of seconds above 0"),
        (("--sim", "--timeout", "inf"), "--timeout must be a finite number of seconds above 0"),
        # It warned "NOT verified" and then verified against the bundle.
        (
            (
                "--url",
                "https://p",
                "--username",
                "a",
                "--password",
                "b",
                "--insecure",
                "--ca-bundle",
                "/nope",
            ),
            "--insecure and --ca-bundle contradict each other: give one",
        ),
        # Credentials in the URL would print with it.
        (
            ("--url", "https://api:hunter2@pbx.example.com", "--username", "a", "--password", "b"),
            "--url 'https://pbx.example.com': give the API username and password with --username",
        ),
    ],
)
def test_connection_usage_errors(args: tuple[str, ...], message: str) -> None:
    code, _, err = run(
        "info", *args, env={"PBXCONF_URL": "", "PBXCONF_USERNAME": "", "PBXCONF_PASSWORD": ""}
    )
    assert code == 2
    assert message in err
    assert "Traceback" not in err and "hunter2" not in err


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    from pbxconf.sim import Simulator

    running = ThreadedServer(Simulator()).start()
    yield running
    running.stop()


def test_info_over_tcp_from_environment(server: ThreadedServer) -> None:
    env = {"PBXCONF_URL": server.url, "PBXCONF_USERNAME": "api", "PBXCONF_PASSWORD": "pbxconf-sim"}
    code, out, err = run("info", env=env)
    assert code == 0, err
    assert f"PBX:             {server.url}" in out
    assert "warning" not in err.lower()  # plain http to loopback is fine


def test_wrong_password_exits_1_with_the_lockout_rule(server: ThreadedServer) -> None:
    code, _, err = run("info", "--url", server.url, "--username", "api", "--password", "bad")
    assert code == 1
    assert "login: errno 20003 (login failed: invalid username or password)" in err
    assert "five wrong passwords in a row lock this IP address out for 10 minutes" in err
    assert server.sim.call_counts() == {"login": 1}


def test_plain_http_to_another_host_warns() -> None:
    code, _, err = run(
        "info",
        "--url",
        "http://192.0.2.1:9",
        "--username",
        "a",
        "--password",
        "b",
        "--timeout",
        "0.2",
    )
    assert "is plain HTTP" in err
    assert code == 1


def test_unreachable_pbx_is_a_clear_error() -> None:
    code, _, err = run("info", "--url", "http://127.0.0.1:9", "--username", "a", "--password", "b")
    assert code == 1
    assert "login: could not connect to http://127.0.0.1:9" in err
    assert "Traceback" not in err


def test_sim_serve_prints_url_and_credentials_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pbxconf", "sim", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.match(r"pbxconf simulator listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].strip() == "username: api"
        assert lines[1].strip() == "password: pbxconf-sim"
        code, out, err = run(
            "info", "--url", match[1], "--username", "api", "--password", "pbxconf-sim"
        )
        assert code == 0, err
        # Its serial number is made from its port: simulators side by side are distinct.
        port = int(match[1].rsplit(":", 1)[1])
        assert f"Serial number:   SIM{port:013d}" in out
    finally:
        proc.terminate()
        proc.wait(10)


def test_sim_serve_port_in_use(server: ThreadedServer) -> None:
    code, _, err = run("sim", "serve", "--port", str(server.port))
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{server.port}" in err


def test_sim_serve_generate_and_state_are_exclusive(tmp_path: Path) -> None:
    code, _, err = run("sim", "serve", "--generate", "M", "--state", str(tmp_path / "s.json"))
    assert code == 2 and "either --state or --generate" in err


def test_sim_serve_with_a_file_that_is_no_certificate(tmp_path: Path) -> None:
    pem = tmp_path / "cert.pem"
    pem.write_text("not a certificate\n")
    code, out, err = run(
        "sim", "serve", "--port", "0", "--certfile", str(pem), "--keyfile", str(pem)
    )
    assert code == 2
    assert f"--certfile {pem} / --keyfile {pem}: not a PEM certificate and its private key" in err
    assert "listening" not in out


def test_sim_serve_cannot_save_its_state_there(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    state = tmp_path / "a-file" / "pbx.json"
    code, _, err = run("sim", "serve", "--port", "0", "--state", str(state), "--save-on-exit")
    assert code == 2
    assert f"--state {state}: cannot be saved: " in err


def test_sim_serve_generated_pbx() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pbxconf", "sim", "serve", "--port", "0", "--generate", "M"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        code, out, err = run("info", "--url", url, "--username", "api", "--password", "pbxconf-sim")
        assert code == 0, err
        assert "Extensions:      500/500" in out
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_simulator_is_not_imported_by_commands_that_do_not_run_it() -> None:
    """Every command starts by importing pbxconf.cli; the simulator (starlette, its state)
    is 25 ms of that start which only `--sim` and `sim serve` need."""
    code = "import sys, pbxconf.cli; print(sorted(m for m in sys.modules if 'pbxconf.sim' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_write_interval_that_never_ends_is_refused(value: str) -> None:
    code, _, err = run(
        "apply", "examples/hotel", "--sim", "--auto-approve", "--write-interval", value
    )
    assert code == 2 and "--write-interval must be a finite number" in err


@pytest.mark.parametrize("command", ["plan", "export", "info", "validate"])
def test_commands_that_never_write_do_not_offer_write_options(command: str) -> None:
    # --write-interval was offered on plan, export and info, which never write.
    code, out, _ = run(command, "--help")
    assert code == 0 and "--write-interval" not in out


def test_verbosity_and_colour_options_go_after_the_subcommand_too() -> None:
    # -v worked only before the subcommand, and there was no -q nor --no-color.
    code, _, err = run("info", "--sim", "-v")
    assert code == 0 and "DEBUG pbxconf" in err
    code, _, err = run("-v", "info", "--sim")
    assert code == 0 and "DEBUG pbxconf" in err
    code, _, err = run("info", "--sim", "-v", "-q")
    assert code == 2 and "-v and -q contradict each other" in err


def test_no_color_and_the_no_color_convention(monkeypatch: pytest.MonkeyPatch) -> None:
    from pbxconf.cli.output import Output

    class Tty:
        def isatty(self) -> bool:
            return True

    assert Output().colour(Tty()) is True  # type: ignore[arg-type]
    assert Output(no_color=True).colour(Tty()) is False  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert Output().colour(Tty()) is False  # type: ignore[arg-type]


def test_a_url_with_the_api_path_says_so() -> None:
    # It reported "token is empty" (20005) instead of a wrong URL.
    code, _, err = run(
        "info", "--url", "https://pbx.example.com/api/v1.1.0", "--username", "a", "--password", "b"
    )
    assert code == 2
    assert "holds the API's path: give the PBX's base URL (https://pbx.example.com)" in err


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    code, out, _ = run("completion", shell)
    assert code == 0 and "_PBXCONF_COMPLETE" in out


def test_completion_completes_commands_and_options() -> None:
    env = {
        "_PBXCONF_COMPLETE": "bash_complete",
        "COMP_WORDS": "pbxconf plan --for",
        "COMP_CWORD": "2",
    }
    result = CliRunner().invoke(main, [], env=env, prog_name="pbxconf")
    assert "plain,--force" in result.output and "plain,--format" in result.output


def test_output_options_before_the_subcommand() -> None:
    code, out, err = run("-q", "info", "--sim")
    assert code == 0, err
    assert "Serial number:   SIM0000000000001" in out
