"""Transport security, hostile input from both sides, and secrets in every output."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbxconf import manifest
from pbxconf.api import PbxClient, PbxError
from pbxconf.api import client as client_module
from pbxconf.cli import main
from pbxconf.live import LiveReadError, read_live
from pbxconf.sim import Simulator
from pbxconf.sim.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[1]


# ---- TLS -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedServer, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    server = ThreadedServer(
        Simulator(),
        ssl={"ssl_certfile": str(folder / "cert.pem"), "ssl_keyfile": str(folder / "key.pem")},
    ).start()
    yield server, folder / "ca.pem"
    server.stop()


def info(*args: str) -> Any:
    return CliRunner().invoke(
        main, ["info", "--username", "api", "--password", "pbxconf-sim", *args]
    )


def test_tls_is_verified_by_default(tls_pbx: tuple[ThreadedServer, Path]) -> None:
    server, _ = tls_pbx
    assert server.url.startswith("https://")
    result = info("--url", server.url)
    assert result.exit_code == 1
    assert "login: could not connect to https://127.0.0.1" in result.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr


def test_ca_bundle_is_used(tls_pbx: tuple[ThreadedServer, Path]) -> None:
    server, ca = tls_pbx
    result = info("--url", server.url, "--ca-bundle", str(ca))
    assert result.exit_code == 0, result.output
    assert "Serial number:   SIM0000000000001" in result.stdout
    assert result.stderr == ""


def test_insecure_works_and_warns(tls_pbx: tuple[ThreadedServer, Path]) -> None:
    server, _ = tls_pbx
    result = info("--url", server.url, "--insecure")
    assert result.exit_code == 0
    assert "--insecure: the PBX's TLS certificate is NOT verified" in result.stderr


# ---- hostile PBX answers -------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
RECORD_KEYS = st.sampled_from(
    [
        "extnumber",
        "username",
        "ringtimeout",
        "dnd",
        "trunkname",
        "trunktype",
        "port",
        "name",
        "trunks",
        "desttype",
        "dest",
        "prefix",
        "extensions",
        "ivrnumber",
        "queuenumber",
        "agents",
        "failoveraction",
        "extid",
        "wakeup",
        "time",
        "type",
        "repeats",
        "id",
        "status",
    ]
)
RECORDS = st.lists(st.dictionaries(RECORD_KEYS, JSON, max_size=8), max_size=4)


def _answers(body: Any) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(
                200, json={"status": "Success", "token": "t", "refreshtoken": "r"}
            )
        if request.url.path.endswith("/logout"):
            return httpx.Response(200, json={"status": "Success"})
        return httpx.Response(200, content=json.dumps(body).encode())

    return httpx.MockTransport(answer)


def _read(body: Any) -> Any:
    async def run() -> Any:
        async with PbxClient("http://pbx.test", "api", "x", transport=_answers(body)) as pbx:
            return await read_live(pbx)

    return asyncio.run(run())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=JSON)
def test_any_json_answer_is_a_clear_error(body: Any) -> None:
    try:
        _read(body)
    except (PbxError, LiveReadError) as err:
        assert str(err)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=RECORDS)
def test_wrongly_typed_records_are_a_clear_error(records: list[dict[str, Any]]) -> None:
    keys = ("extlist", "extinfos", "trunks", "inroutes", "outroutes", "ivr", "queues", "wakeups")
    body = {"status": "Success", **{k: records for k in keys}}
    try:
        _read(body)
    except (PbxError, LiveReadError) as err:
        assert str(err)


LIST_KEYS = ("extlist", "extinfos", "trunks", "inroutes", "outroutes", "ivr", "queues", "wakeups")


@pytest.mark.parametrize(
    ("key", "record", "message"),
    [
        (
            "trunks",
            {"password": "SECRET", "trunkname": "t"},
            "it gives no `trunktype` (the SIP trunk's type)",
        ),
        (
            "trunks",
            {"password": "SECRET", "trunkname": "t", "trunktype": "bogus"},
            "SIP trunk type 'bogus' is not one of",
        ),
    ],
)
def test_a_live_record_pbxconf_cannot_read_is_reported_without_its_secrets(
    key: str, record: dict[str, Any], message: str
) -> None:
    """The PBX answers some passwords and PINs in clear. A record that failed to decode
    was named by its first two keys and its bad value echoed, so a password could reach
    a CI log; a union's error echoed the whole record. Such a record no longer stops the
    read: it is left alone and reported, by its identity."""
    body = {"status": "Success", **{k: [] for k in LIST_KEYS}, key: [record]}
    (unreadable,) = _read(body).unreadable
    assert unreadable.label == "trunks[name=t]" and message in unreadable.reason
    assert "SECRET" not in unreadable.reason


def test_a_value_outside_the_type_is_kept_as_the_pbx_has_it_and_never_echoed() -> None:
    record = {"vmsecret": "12ab-SECRET", "extnumber": "1000"}
    body = {"status": "Success", **{k: [] for k in LIST_KEYS}, "extinfos": [record]}
    body["extlist"] = [{"extnumber": "1000"}]
    live = _read(body)
    assert live.objects["extension"][("1000",)].voicemail.pin == "12ab-SECRET"


def test_a_record_that_names_no_object_stops_the_read_without_its_secrets() -> None:
    record = {"password": "SECRET", "trunktype": "peer"}
    body = {"status": "Success", **{k: [] for k in LIST_KEYS}, "trunks": [record]}
    with pytest.raises(LiveReadError) as caught:
        _read(body)
    assert "a SIP trunk (which one the answer does not say) pbxconf cannot read" in str(
        caught.value
    )
    assert "SECRET" not in str(caught.value)


def test_huge_answer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1024 * 1024)
    huge = {"status": "Success", "extinfos": [{"username": "x" * 4096}] * 600}
    with pytest.raises(PbxError, match="the answer is larger than 1 MiB; refused"):
        _read(huge)


# ---- hostile manifests ---------------------------------------------------------------


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_text_is_a_clear_manifest_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        manifest.load([path], env={})
    except manifest.ManifestErrors as err:
        assert all(str(e) for e in err.errors)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    doc=st.fixed_dictionaries(
        {"version": st.just(1)},
        optional={
            "extensions": st.lists(
                st.dictionaries(
                    st.sampled_from(
                        ["number", "name", "ring_timeout", "voicemail", "busy_forward", "dnd", "x"]
                    ),
                    JSON,
                )
            ),
            "trunks": st.lists(
                st.dictionaries(
                    st.sampled_from(["name", "type", "host", "port", "password", "dod"]), JSON
                )
            ),
            "wakeup_calls": st.lists(
                st.dictionaries(st.sampled_from(["extension", "time", "type", "weekdays"]), JSON)
            ),
            "settings": JSON,
            "external": JSON,
        },
    )
)
def test_any_structure_is_a_clear_manifest_error(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML
    try:
        manifest.load([path], env={})
    except manifest.ManifestErrors as err:
        assert all(str(e) for e in err.errors)


def test_yaml_cannot_construct_objects_or_read_files(tmp_path: Path) -> None:
    for text in (
        "version: 1\nx: !!python/object/new:os.system [echo hi]\n",
        "version: 1\nx: !!python/name:os.system\n",
        "version: 1\nx: !include /etc/passwd\n",
    ):
        (tmp_path / "pbx.yaml").write_text(text)
        with pytest.raises(manifest.ManifestErrors, match="not allowed in manifests"):
            manifest.load([tmp_path], env={})


def test_a_bad_secret_is_not_echoed_in_errors(tmp_path: Path) -> None:
    (tmp_path / "pbx.yaml").write_text(
        'version: 1\nextensions:\n  - number: 1000\n    voicemail: {pin: "${PIN}"}\n'
    )
    with pytest.raises(manifest.ManifestErrors) as caught:
        manifest.load([tmp_path], env={"PIN": "NotDigits-Secret"})
    assert "NotDigits-Secret" not in str(caught.value)
    assert "found a value not shown (sensitive)" in str(caught.value)


# ---- secrets in every output ---------------------------------------------------------


def test_every_command_keeps_secrets_out(tmp_path: Path) -> None:
    office = tmp_path / "office"
    shutil.copytree(ROOT / "examples" / "small-office", office)
    secrets = {"CARRIER_PASSWORD": "Zebra-Carrier-Secret-31", "RECEPTION_VM_PIN": "735519"}
    state = tmp_path / "pbx.json"
    sim = ["--sim", "--sim-state", str(state)]
    runs = [
        ["validate", str(office)],
        ["-v", "plan", str(office), *sim],
        ["plan", str(office), *sim, "--format", "json"],
        ["plan", str(office), *sim, "--format", "markdown"],
        ["plan", str(office), *sim, "--out", str(tmp_path / "saved.json")],
        ["-v", "apply", str(office), *sim, "--dry-run"],
        ["-v", "apply", str(tmp_path / "saved.json"), *sim, "--auto-approve"],
        ["-v", "export", *sim, "-o", str(tmp_path / "env.yaml")],
        ["export", *sim, "-o", str(tmp_path / "redact.yaml"), "--secrets", "redact"],
        ["export", *sim, "--split", "-o", str(tmp_path / "split")],
    ]
    texts = []
    for args in runs:
        result = CliRunner().invoke(main, args, env=secrets)
        assert result.exit_code == 0, (args, result.output)
        texts.append(result.stdout + result.stderr)
    # Error paths: a bad secret, and a failing apply.
    bad = tmp_path / "bad"
    shutil.copytree(office, bad)
    result = CliRunner().invoke(
        main, ["-v", "validate", str(bad)], env={**secrets, "RECEPTION_VM_PIN": "Bad-Pin-Secret"}
    )
    assert result.exit_code == 1
    texts.append(result.stdout + result.stderr)
    assert "Bad-Pin-Secret" not in texts[-1]
    files = [
        tmp_path / "saved.json",
        tmp_path / "env.yaml",
        tmp_path / "redact.yaml",
        *sorted((tmp_path / "split").iterdir()),
    ]
    texts += [path.read_text() for path in files]
    for text in texts:
        for value in secrets.values():
            assert value not in text
    # Only the inline export writes them, and says so.
    inline = CliRunner().invoke(main, ["export", *sim, "--secrets", "inline"], env=secrets)
    assert "Zebra-Carrier-Secret-31" in inline.stdout
    assert "wrote passwords and PINs in clear" in inline.stderr
