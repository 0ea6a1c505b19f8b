"""`pbxconf watch` end to end: a real process, the simulator over TCP pushing its reports,
edits made as a person makes them in the PBX's web page (the simulator's admin API)."""

from __future__ import annotations

import math
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbxconf.sim import Simulator
from tests.conftest import connect_args
from tests.loopback import Receiver
from tests.watch.conftest import WAIT, WatchProcess, calls_since, clear_calls, edit

Start = Callable[..., WatchProcess]


def is_event(name: str, **wanted: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == name and all(e.get(k) == v for k, v in wanted.items())


def test_an_edit_in_the_web_page_is_reported_at_once_with_one_read(
    start_watch: Start, admin: httpx.Client
) -> None:
    watch = start_watch()
    clear_calls(admin)
    edit(admin, "extension", {"extnumber": "1001", "username": "Amy"})
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert drift["key"] == {"number": "1001"}
    assert drift["label"] == "extensions[number=1001]"
    assert drift["action"] == "update"
    assert drift["source"] == "report"
    assert drift["fields"] == [
        {"field": "name", "old": "Amy", "new": "Front desk", "sensitive": False}
    ]
    assert drift["time"].endswith("Z")
    # One call: the extension alone, not a full read.
    assert calls_since(admin) == {"extension/query": 1}
    # Put back in the web page: the drift is over, and that is said too.
    edit(admin, "extension", {"extnumber": "1001", "username": "Front desk"})
    watch.wait_for(is_event("resolved", kind="extension"))
    assert watch.stop() == 0


def test_a_trunk_added_in_the_web_page_is_unmanaged_not_drift(
    start_watch: Start, admin: httpx.Client
) -> None:
    watch = start_watch()
    clear_calls(admin)
    trunk = {"trunkname": "web", "trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}
    edit(admin, "trunk", trunk)
    added = watch.wait_for(is_event("unmanaged", kind="trunk"))
    assert (added["key"], added["operation"]) == ({"name": "web"}, "add")
    assert "left alone" in added["message"]
    assert calls_since(admin) == {"siptrunk/query": 1}
    admin.delete("/admin/records/trunk/web")
    gone = watch.wait_for(is_event("unmanaged", kind="trunk"))
    assert (gone["key"], gone["operation"]) == ({"name": "web"}, "del")
    assert not [e for e in watch.events if e["event"] == "drift"]
    # A declared trunk deleted in the web page is drift: apply would create it.
    admin.delete("/admin/records/trunk/carrier")
    drift = watch.wait_for(is_event("drift", kind="trunk"))
    assert (drift["key"], drift["action"]) == ({"name": "carrier"}, "create")
    assert watch.stop() == 0


def test_a_restart_is_followed_by_a_new_login_and_a_full_plan(
    start_watch: Start, admin: httpx.Client, sim: Simulator
) -> None:
    watch = start_watch()
    clear_calls(admin)
    admin.post("/admin/restart")
    plan = watch.wait_for(is_event("plan", reason="bootup"))
    counts = calls_since(admin)
    assert counts["login"] == 1
    assert counts["extension/query"] == 1 and counts["siptrunk/query"] == 1
    assert len(sim.sessions) == 1  # registered again: reports reach the watch again
    assert plan["drifted"] == 0
    edit(admin, "extension", {"extnumber": "1001", "username": "After the restart"})
    watch.wait_for(is_event("drift", kind="extension", source="report"))
    assert watch.stop() == 0


def test_a_lost_report_is_caught_by_the_interval_plan(
    start_watch: Start, admin: httpx.Client
) -> None:
    watch = start_watch("--interval", "2s")
    admin.post("/admin/faults", json={"action": "drop", "path": "ConfigChange"})
    edit(admin, "extension", {"extnumber": "1001", "username": "Lost"})
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert drift["source"] == "interval"
    deliveries = admin.get("/admin/events").json()["deliveries"]
    assert [d["refused"] for d in deliveries] == ["dropped by a fault"]
    assert watch.stop() == 0


def test_a_lapsed_token_is_noticed_and_the_session_renewed(
    start_watch: Start, admin: httpx.Client, sim: Simulator
) -> None:
    watch = start_watch("--interval", "2s")
    admin.post("/admin/clock", json={"advance": 31 * 60})  # the token expired meanwhile
    edit(admin, "extension", {"extnumber": "1001", "username": "Unheard"})
    # The PBX no longer reports to an expired session (the changelog): the interval plan
    # finds the drift, after logging in again.
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert drift["source"] == "interval"
    assert [c.errno for c in sim.calls if c.endpoint == "login"] == ["", ""]
    assert len(sim.sessions) == 1
    assert watch.stop() == 0


def test_heal_reverts_a_change_and_the_breaker_stops_it_after_n(
    start_watch: Start, admin: httpx.Client, sim: Simulator
) -> None:
    watch = start_watch("--heal", "--heal-limit", "2")
    for name in ("First", "Second"):
        edit(admin, "extension", {"extnumber": "1001", "username": name})
        healed = watch.wait_for(is_event("healed", kind="extension"))
        assert healed["fields"][0]["old"] == name
        assert sim.state.extensions["1001"]["username"] == "Front desk"
    assert watch.wait_for(is_event("breaker"))["open"] is True
    edit(admin, "extension", {"extnumber": "1001", "username": "Third"})
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert drift["fields"][0]["old"] == "Third"
    watch.stop()
    assert sim.state.extensions["1001"]["username"] == "Third"  # the person won
    assert [c.endpoint for c in sim.calls].count("extension/update") == 2


def test_heal_never_tries_what_the_api_cannot_do(
    start_watch: Start, admin: httpx.Client, sim: Simulator
) -> None:
    watch = start_watch("--heal")
    admin.delete("/admin/records/extension/1001")
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert drift["action"] == "cannot"
    assert "cannot create" in drift["message"]
    trunk = {"trunkname": "web", "trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}
    edit(admin, "trunk", trunk)  # unmanaged, and no --prune: left alone
    watch.wait_for(is_event("unmanaged", kind="trunk"))
    watch.stop()
    assert not [e for e in watch.events if e["event"].startswith("heal")]
    assert "web" in {t["trunkname"] for t in sim.state.trunks.values()}


def test_heal_with_prune_deletes_an_unmanaged_trunk(
    start_watch: Start, admin: httpx.Client, sim: Simulator
) -> None:
    watch = start_watch("--heal", "--prune")
    trunk = {"trunkname": "web", "trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}
    edit(admin, "trunk", trunk)
    added = watch.wait_for(is_event("unmanaged", kind="trunk"))
    assert "--prune deletes it" in added["message"]
    healed = watch.wait_for(is_event("healed", kind="trunk"))
    assert healed["action"] == "delete"
    assert "web" not in {t["trunkname"] for t in sim.state.trunks.values()}
    assert watch.stop() == 0


def test_fifty_edits_in_one_burst_cost_a_bounded_number_of_reads(
    start_watch: Start, admin: httpx.Client, sim: Simulator, tmp_path: Path
) -> None:
    numbers = [str(n) for n in range(2000, 2050)]
    for number in numbers:
        sim.state.admin_put("extension", {"extnumber": number, "username": f"Room {number}"})
    path = tmp_path / "rooms.yaml"
    path.write_text(
        "version: 1\nextensions:\n"
        + "".join(f"  - {{number: {n}, name: Room {n}}}\n" for n in numbers)
    )
    watch = start_watch(path=path)
    clear_calls(admin)
    started = time.monotonic()
    for number in numbers:  # a person saving 50 extensions
        edit(admin, "extension", {"extnumber": number, "username": "Renamed"})
    drifted = set()
    while len(drifted) < 50:
        drifted.add(watch.wait_for(is_event("drift", kind="extension"))["key"]["number"])
    lasted = time.monotonic() - started
    counts = calls_since(admin)
    assert set(counts) == {"extension/query"}  # no full read, no read per report
    # A batch waits at most a second for more reports: the reads are bounded by how long
    # the burst lasted, not by how many reports it made (here it lasts about a second).
    assert counts["extension/query"] <= min(2 + math.ceil(lasted), 25)
    assert watch.stop() == 0


def test_secrets_never_print(start_watch: Start, admin: httpx.Client) -> None:
    watch = start_watch("--heal")
    edit(admin, "extension", {"extnumber": "1001", "vmsecret": "9876"})
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert drift["fields"] == [
        {"field": "voicemail.pin", "old": "(sensitive)", "new": "(sensitive)", "sensitive": True}
    ]
    watch.wait_for(is_event("healed", kind="extension"))
    watch.stop()
    output = "".join(watch.lines) + "".join(watch.stderr)
    assert "9876" not in output and "1234" not in output


def test_sigint_and_sigterm_log_out_and_exit_0(
    start_watch: Start, admin: httpx.Client, sim: Simulator
) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        watch = start_watch()
        assert len(sim.sessions) == 1
        assert watch.stop(sig) == 0
        stop = watch.events[-1]
        assert (stop["event"], stop["signal"]) == ("stop", sig.name)
        assert sim.sessions == {}
        assert [c.endpoint for c in sim.calls][-1] == "logout"
        assert "Traceback" not in "".join(watch.stderr)


def test_reports_from_another_pbx_or_address_are_ignored_and_counted(
    start_watch: Start, admin: httpx.Client
) -> None:
    watch = start_watch()
    clear_calls(admin)
    report = {"action": "ConfigChange", "type": "extension", "extid": "1001", "operation": "update"}
    other = httpx.post(watch.url + "/", json={**report, "sn": "ANOTHER-PBX"})
    assert other.status_code == 200  # answered, so the other PBX stops repeating it
    stranger = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with stranger:
        reply = stranger.post(watch.url + "/", json={**report, "sn": "SIM0000000000001"})
    assert reply.status_code == 200
    assert httpx.post(watch.url + "/", content=b"{not json").status_code == 200
    metrics = httpx.get(watch.url + "/metrics").text
    assert 'pbxconf_watch_reports_ignored_total{reason="sn"} 1.0' in metrics
    assert 'pbxconf_watch_reports_ignored_total{reason="source"} 1.0' in metrics
    assert 'pbxconf_watch_reports_ignored_total{reason="malformed"} 1.0' in metrics
    assert calls_since(admin) == {}  # nothing was read for them
    assert watch.stop() == 0
    assert "add --allow-from 127.0.0.2" in "".join(watch.stderr)


def test_healthz_and_metrics(start_watch: Start, admin: httpx.Client) -> None:
    watch = start_watch()
    health = httpx.get(watch.url + "/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["session"] == "active"
    edit(admin, "extension", {"extnumber": "1001", "username": "Amy"})
    watch.wait_for(is_event("drift"))
    metrics = httpx.get(watch.url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'pbxconf_watch_drifts_found_total{kind="extension"} 1.0' in text
    assert 'pbxconf_watch_reports_received_total{action="ConfigChange"} 1.0' in text
    assert 'pbxconf_watch_session_state{pbxconf_watch_session_state="active"} 1.0' in text
    assert "pbxconf_watch_last_full_plan_timestamp_seconds 1." in text
    assert 'pbxconf_watch_api_calls_total{endpoint="login"} 1.0' in text
    assert watch.stop() == 0


def test_an_unreachable_pbx_is_backed_off_and_planned_in_full_when_back(
    start_watch: Start, admin: httpx.Client
) -> None:
    watch = start_watch("--interval", "1s")
    admin.post("/admin/faults", json={"action": "reset", "times": 40})
    down = watch.wait_for(is_event("session", state="unreachable"))
    assert "trying again with backoff" in down["message"]
    back = watch.wait_for(is_event("session", state="active"))
    assert "the PBX answers again" in back["message"]
    # The full plan it was making when the PBX went away is made now: what changed
    # meanwhile (reports may have been lost) is found.
    watch.wait_for(is_event("plan"))
    assert watch.stop() == 0


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    hook = Receiver(refuse=2)
    yield hook
    hook.stop()


def test_notify_posts_each_event_retrying_a_failing_webhook(
    start_watch: Start, admin: httpx.Client, webhook: Receiver
) -> None:
    watch = start_watch("--notify", webhook.url("/hook"))
    edit(admin, "extension", {"extnumber": "1001", "username": "Amy"})
    drift = watch.wait_for(is_event("drift"))
    assert watch.stop() == 0  # stopping lets what is queued go out
    assert [e["event"] for e in webhook.bodies] == [e["event"] for e in watch.events]
    assert drift in webhook.bodies
    assert webhook.attempts == len(watch.events) + 2  # the first event was tried 3 times


def test_a_webhooks_credentials_never_show_in_its_warnings(start_watch: Start) -> None:
    hook = Receiver(refuse=1000, refuse_with=404)
    try:
        url = f"http://user:SECRETTOKEN@127.0.0.1:{hook.port}/hook?token=QSECRET"
        watch = start_watch("-v", "--notify", url)
        said = wait_for_line(watch, "--notify ")
        assert watch.stop() == 0
    finally:
        hook.stop()
    assert f"--notify http://***@127.0.0.1:{hook.port}/hook?token=***" in said
    assert "the webhook refused" in said
    everything = "".join(watch.stderr) + "".join(watch.lines)
    assert "SECRETTOKEN" not in everything and "QSECRET" not in everything
    assert f"127.0.0.1:{hook.port}/hook" in everything  # -v: httpx logged the requests


def wait_for_line(watch: WatchProcess, text: str) -> str:
    """The first line on stderr that holds the text (bounded by WAIT)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = [line for line in list(watch.stderr) if text in line]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} on stderr:\n" + "".join(watch.stderr[-20:]))


def test_advertise_registers_an_absolute_report_url(
    server: Any, manifests: Path, admin: httpx.Client, sim: Simulator
) -> None:
    with socket.socket() as probe:  # a free port to listen on and to advertise
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    watch = WatchProcess(
        server,
        manifests,
        "--listen",
        f"127.0.0.1:{port}",
        "--advertise",
        f"http://127.0.0.1:{port}/pbx/report",
    )
    try:
        watch.wait_for(is_event("plan", reason="start"))
        (session,) = sim.sessions.values()
        assert session.report_url == f"http://127.0.0.1:{port}/pbx/report"
        edit(admin, "extension", {"extnumber": "1001", "username": "Amy"})
        watch.wait_for(is_event("drift", kind="extension", source="report"))
        assert watch.stop() == 0
    finally:
        watch.kill()


def test_text_format_says_it_for_a_person(
    admin: httpx.Client, server: Any, manifests: Path
) -> None:
    command = ["watch", str(manifests), *connect_args(server), "--listen", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pbxconf", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if " plan (start): " in line:
                break
        edit(admin, "extension", {"extnumber": "1001", "username": "Amy"})
        for line in proc.stdout:
            lines.append(line)
            if " drift " in line:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert " start watching http://127.0.0.1:" in lines[1]
    assert lines[2].endswith(
        " plan (start): 0 drifted, 21 unmanaged (19 extensions, 1 IVR, 1 queue); 8 API call(s)\n"
    )
    assert lines[-1].endswith(' drift ~ extensions[number=1001]: name: "Amy" -> "Front desk"\n')


def test_sighup_reads_the_manifests_again(start_watch: Start, manifests: Path) -> None:
    watch = start_watch()
    manifests.write_text(manifests.read_text().replace("Front desk", "Reception"))
    watch.proc.send_signal(signal.SIGHUP)
    drift = watch.wait_for(is_event("drift", kind="extension"))
    assert (drift["source"], drift["fields"][0]["new"]) == ("reload", "Reception")
    watch.wait_for(is_event("plan", reason="reload"))
    manifests.write_text("version: 1\nextensions:\n  - nmae: typo\n")
    watch.proc.send_signal(signal.SIGHUP)
    error = watch.wait_for(is_event("error", reason="reload"))
    assert "still watching with the ones loaded before" in error["message"]
    assert "pbx.yaml:3:5" in error["message"]
    assert watch.stop() == 0
