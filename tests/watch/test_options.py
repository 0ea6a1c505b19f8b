"""`pbxconf watch` options: each bad one is a one-line usage error (exit 2) before anything
starts, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from pbxconf.cli import main
from pbxconf.errors import UsageError
from pbxconf.watch.options import (
    TEST_MIN_INTERVAL,
    parse_advertise,
    parse_interval,
    parse_listen,
)

PBX = ["--url", "http://127.0.0.1:9", "--username", "api", "--password", "x"]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pbx.yaml"
    path.write_text("version: 1\n")
    return path


def watch(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["watch", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "--interval '0': expected a positive duration such as 15m"),
        (["--interval", "-5m"], "--interval '-5m': expected a positive duration"),
        (["--interval", "soon"], "--interval 'soon': expected a positive duration"),
        (["--interval", "0.0001"], "--interval '0.0001': expected 10s to 168h (a week)"),
        (["--interval", "9s"], "--interval '9s': expected 10s to 168h (a week)"),
        (["--interval", "99999999999h"], "--interval '99999999999h': expected 10s to 168h"),
        (["--interval", "8d"], "--interval '8d': expected a positive duration"),
        (["--listen", "8260"], "--listen '8260': expected HOST:PORT, e.g. 0.0.0.0:8260"),
        (["--listen", "0.0.0.0:70000"], "--listen '0.0.0.0:70000': the port must be 0-65535"),
        (["--listen", "[nope]:80"], "--listen '[nope]:80': 'nope' is not an IPv6 address"),
        (["--advertise", "ftp://h/x"], "--advertise 'ftp://h/x': expected an http(s) URL"),
        (["--advertise", "http://h:99999/"], "--advertise 'http://h:99999/': not a valid URL"),
        (["--advertise", "http://h/r?x=1"], "no user:password@, ?query or #fragment"),
        (["--allow-from", "the proxy"], "--allow-from 'the proxy': expected an IP address"),
        (["--notify", "hooks.example.com"], "expected an http(s) URL of a webhook"),
        (["--prune"], "--prune goes with --heal"),
        (["--heal-limit", "3"], "--heal-limit goes with --heal"),
    ],
)
def test_bad_options_are_usage_errors(manifest: Path, args: list[str], message: str) -> None:
    code, err = watch(str(manifest), *PBX, *args)
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "url"),
    [
        ("--notify", "ftp://user:SECRETTOKEN@hooks.example.com/pbx"),
        ("--notify", "http://user:SECRETTOKEN@hooks.example.com:99999/pbx"),
        ("--advertise", "http://user:SECRETTOKEN@203.0.113.5:8260/report"),
        ("--advertise", "http://SECRETTOKEN@203.0.113.5:8260/report?token=QSECRET"),
    ],
)
def test_a_bad_url_is_echoed_without_its_credentials(manifest: Path, option: str, url: str) -> None:
    code, err = watch(str(manifest), *PBX, option, url)
    assert code == 2
    assert f"{option} 'http" in err or f"{option} 'ftp" in err
    assert "://***@" in err
    assert "SECRETTOKEN" not in err and "QSECRET" not in err


def test_the_test_suites_interval_floor_must_be_seconds(
    manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_MIN_INTERVAL, "soon")
    code, err = watch(str(manifest), *PBX)
    assert code == 2 and f"{TEST_MIN_INTERVAL}='soon': expected seconds above 0" in err


def test_a_listener_that_cannot_bind_is_a_usage_error(manifest: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = watch(str(manifest), *PBX, "--listen", f"127.0.0.1:{port}")
    assert code == 2
    assert f"--listen 127.0.0.1:{port}: cannot listen there: Address already in use" in err


def test_the_in_process_simulator_cannot_be_watched(manifest: Path) -> None:
    code, err = watch(str(manifest), "--sim")
    assert code == 2
    assert "watch needs a PBX that pushes its reports over the network, not --sim" in err


def test_bad_manifests_stop_it_before_it_listens(tmp_path: Path) -> None:
    path = tmp_path / "pbx.yaml"
    path.write_text("version: 1\nextensions:\n  - number: 1001\n    nmae: typo\n")
    code, err = watch(str(path), *PBX)
    assert code == 1
    assert "pbx.yaml:4:5" in err


def test_a_wrong_password_ends_the_watch_at_once(manifest: Path, server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    args = ["--url", url, "--username", "api", "--password", "wrong", "--listen", "127.0.0.1:0"]
    code, err = watch(str(manifest), *args)
    assert code == 1
    assert "login: errno 20003" in err and "will not retry" in err


def test_parsers() -> None:
    assert parse_listen("[::]:8260") == ("::", 8260)
    assert parse_listen("localhost:0") == ("localhost", 0)
    assert parse_interval("15m") == 900 and parse_interval("1.5h") == 5400
    assert parse_interval("90") == 90 and parse_interval("10000ms") == 10
    assert parse_interval("10s") == 10 and parse_interval("168h") == 7 * 24 * 3600
    assert parse_interval("1s", least=1) == 1  # the test suite's own watches
    # The manual's absolute form has no scheme: host:port/path.
    assert parse_advertise("http://203.0.113.5/report") == ("203.0.113.5:80/report", 80)
    assert parse_advertise("http://[2001:db8::1]:8260") == ("[2001:db8::1]:8260/", 8260)
    assert parse_advertise("https://hooks.example.com/pbx") == (
        "https://hooks.example.com:443/pbx",
        443,
    )
    with pytest.raises(UsageError):
        parse_interval("nan")
