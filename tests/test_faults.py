"""Faults during apply, against the simulator over TCP. After each row the PBX matches
the manifests (re-running apply where the row says so) and nothing outside them changed.

| row | fault | expected |
|---|---|---|
| token expires | token lifetime 0.3 s, 50 ms latency | logs in again, one apply converges |
| restart | every token dropped mid-apply (20004) | logs in again, one apply converges |
| refresh refused | 20004 on token/refresh | logs in again, one apply converges |
| 10025 bursts | PBX paces writes 50 ms apart, client 0 | backoff, one apply converges |
| 30003 for a while | API service down for 4 calls | backoff, one apply converges |
| read faults | reset, truncated answer, timeout on reads | retried, one apply converges |
| write reset | connection reset before the write lands | re-read, re-sent, one apply |
| write lost | write landed, answer truncated or late | re-read, not re-sent, one apply |
| stale | PBX changed between plan and apply | saved plan refused (test_cli_plan_apply) |
| signal | SIGINT / SIGTERM mid-apply | call finished, report, 130/143, re-run converges |
| wrong password | 20003 | one login attempt, lock-out rule explained |
"""

from __future__ import annotations

import asyncio
import copy
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from pbxconf import manifest
from pbxconf.api import PbxClient, PbxError
from pbxconf.apply import execute
from pbxconf.cli import main
from pbxconf.live import LiveReadError, read_live
from pbxconf.plan import PlanOptions, make_plan
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.chaos import schedule
from pbxconf.sim.generate import Size, generate
from pbxconf.sim.server import ThreadedServer, running
from tests.conftest import connect_args, fast_settings

ROOT = Path(__file__).resolve().parents[1]
OFFICE = ROOT / "examples" / "small-office"
MANAGED_EXTENSIONS = {"1000", "1001", "1002", "1003", "1004", "1005"}


@pytest.fixture
def pbx() -> Iterator[ThreadedServer]:
    running = ThreadedServer(Simulator()).start()
    yield running
    running.stop()


def fault(server: ThreadedServer, **rule: Any) -> None:
    assert httpx.post(server.url + "/admin/faults", json=rule).status_code == 200


def apply(server: ThreadedServer, *extra: str, path: Path = OFFICE) -> Result:
    args = ["apply", str(path), *connect_args(server), "--auto-approve", *extra]
    return CliRunner().invoke(main, args)


def unmanaged(sim: Simulator) -> dict[str, Any]:
    """What the office manifests do not manage: it must never change."""
    return copy.deepcopy(
        {
            "extensions": {
                n: r for n, r in sim.state.extensions.items() if n not in MANAGED_EXTENSIONS
            },
            "queues": sim.state.queues,
        }
    )


def assert_converged(server: ThreadedServer, before: dict[str, Any], path: Path = OFFICE) -> None:
    httpx.delete(server.url + "/admin/faults")
    result = CliRunner().invoke(
        main,
        [
            "plan",
            str(path),
            "--url",
            server.url,
            "--username",
            "api",
            "--password",
            "pbxconf-sim",
            "--detailed-exitcode",
        ],
    )
    assert result.exit_code == 0, result.output
    assert unmanaged(server.sim) == before
    names = [t["trunkname"] for t in server.sim.state.trunks.values()]
    assert sorted(names) == ["backup", "carrier"]  # nothing created twice
    assert len(server.sim.state.inroutes) == 2 and len(server.sim.state.outroutes) == 2


def logins(sim: Simulator) -> int:
    return sum(1 for c in sim.calls if c.endpoint == "login")


def test_token_expires_mid_apply(pbx: ThreadedServer) -> None:
    before = unmanaged(pbx.sim)
    # The apply takes about a second (some 19 round trips of 50 ms): the token expires under it.
    pbx.sim.settings.token_ttl = 0.3
    pbx.sim.settings.latency = 0.05
    result = apply(pbx)
    assert result.exit_code == 0, result.output
    assert any(c.errno == "20006" for c in pbx.sim.calls)
    assert logins(pbx.sim) >= 2
    pbx.sim.settings.token_ttl = 1800
    assert_converged(pbx, before)


def test_restart_drops_every_token_mid_apply(pbx: ThreadedServer) -> None:
    before = unmanaged(pbx.sim)
    fault(pbx, action="restart", path="siptrunk/add")
    result = apply(pbx)
    assert result.exit_code == 0, result.output
    assert next(c.errno for c in pbx.sim.calls if c.endpoint == "siptrunk/add") == "20004"
    assert_converged(pbx, before)


def test_refresh_refused_logs_in_again(pbx: ThreadedServer, tmp_path: Path) -> None:
    before = unmanaged(pbx.sim)
    fault(pbx, action="errno", errno="20004", path="token/refresh", times=0)
    now = [0.0]

    def tick(index: int, count: int, step: Any, call: Any, state: str) -> None:
        now[0] += 26 * 60  # each call "takes" long enough to need a refresh

    desired = manifest.load([OFFICE], env={})
    client = PbxClient(
        pbx.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=fast_settings(), clock=lambda: now[0]
    )

    async def run() -> Any:
        async with client:
            plan = make_plan(desired, await read_live(client), PlanOptions())
            return await execute(client, plan, desired, PlanOptions(), tick)

    assert asyncio.run(run()).ok
    assert client.calls["token/refresh"] >= 10 and client.calls["login"] >= 10
    assert_converged(pbx, before)


def test_a_change_by_someone_else_during_an_apply_is_named(pbx: ThreadedServer) -> None:
    # Two applies (or a person in the web page) write at once; the PBX has no lock. The
    # re-read after the calls names what changed outside this apply's own writes.
    desired = manifest.load([OFFICE], env={})
    client = PbxClient(pbx.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=fast_settings())

    def meanwhile(index: int, count: int, step: Any, call: Any, state: str) -> None:
        if index == 1 and state == "start":  # another writer, between our read and check
            pbx.sim.state.admin_put("extension", {"extnumber": "1015", "username": "Other"})
            pbx.sim.state.admin_put(
                "trunk",
                {"trunkname": "theirs", "trunktype": "peer", "host": "h", "port": "5060",
                 "domain": "d"},
            )  # fmt: skip

    async def run() -> Any:
        async with client:
            before = await read_live(client)
            plan = make_plan(desired, before, PlanOptions())
            return await execute(client, plan, desired, PlanOptions(), meanwhile, None, before)

    result = asyncio.run(run())
    assert result.ok
    assert result.changed_by_others == [
        "extensions[number=1015] (changed)",
        "trunks[name=theirs] (added)",
    ]


def test_the_check_after_apply_judges_only_what_it_undertook(
    pbx: ThreadedServer, tmp_path: Path
) -> None:
    # A restore with --skip-unreachable applied every call, then failed: the check
    # re-planned everything and counted what was set aside as "still differs".
    path = tmp_path / "restore.yaml"
    path.write_text(
        "version: 1\n"
        "extensions: [{number: 1500, name: Gone}, {number: 1001, name: Here}]\n"
        "trunks: [{name: t, type: peer, host: h, port: 5060, domain: d, "
        "dod: [{number: '1', name: n, extension: 1500}]}]\n"
    )
    result = apply(pbx, "--skip-unreachable", path=path)
    assert result.exit_code == 0, result.output
    assert "Apply complete: 1 call(s). 2 set aside (listed above)" in result.stdout
    assert "extensions[number=1500]: extension 1500 is not on the PBX" in result.stdout


def test_bursts_of_apply_too_frequent(pbx: ThreadedServer) -> None:
    before = unmanaged(pbx.sim)
    pbx.sim.settings.write_interval = 0.05
    result = apply(pbx)
    assert result.exit_code == 0, result.output
    assert any(c.errno == "10025" for c in pbx.sim.calls)
    assert_converged(pbx, before)


def test_api_service_down_for_a_while(pbx: ThreadedServer) -> None:
    before = unmanaged(pbx.sim)
    fault(pbx, action="errno", errno="30003", nth=3, times=4)
    result = apply(pbx)
    assert result.exit_code == 0, result.output
    assert sum(1 for c in pbx.sim.calls if c.errno == "30003") == 4
    assert_converged(pbx, before)


def test_read_faults_are_retried(pbx: ThreadedServer) -> None:
    before = unmanaged(pbx.sim)
    fault(pbx, action="reset", path="extension/query")
    fault(pbx, action="lose", path="siptrunk/query")
    fault(pbx, action="delay", delay_ms=1500, path="inroute/query")
    result = apply(pbx, "--timeout", "0.5")
    assert result.exit_code == 0, result.output
    assert_converged(pbx, before)


@pytest.mark.parametrize(
    ("rule", "note"),
    [
        (
            {"action": "reset", "path": "siptrunk/add"},
            "siptrunk/add for trunks[name=carrier]: the answer was lost",
        ),
        ({"action": "lose", "path": "outroute/add"}, "the answer was lost"),
        ({"action": "stall", "path": "inroute/add", "delay_ms": 1500}, "the answer was lost"),
        (
            {"action": "lose", "path": "extension/update", "nth": 3},
            "the answer was lost",
        ),
    ],
    ids=["reset-before-landing", "lost-after-landing", "late-answer", "lost-update"],
)
def test_write_faults_reread_and_never_duplicate(
    pbx: ThreadedServer, rule: dict[str, Any], note: str
) -> None:
    before = unmanaged(pbx.sim)
    fault(pbx, **rule)
    result = apply(pbx, "--timeout", "0.5")
    assert result.exit_code == 0, result.output
    assert note in result.stderr
    assert_converged(pbx, before)


def test_wrong_password_one_attempt(pbx: ThreadedServer) -> None:
    result = CliRunner().invoke(
        main,
        [
            "apply",
            str(OFFICE),
            *connect_args(pbx)[:4],
            "--password",
            "nope",
            "--auto-approve",
        ],
    )
    assert result.exit_code == 1
    assert "pbxconf tried once and will not retry" in result.stderr
    assert pbx.sim.call_counts() == {"login": 1}


def start_apply(pbx: ThreadedServer) -> subprocess.Popen[str]:
    """`pbxconf apply` of the office in its own process, to be signalled."""
    command = [sys.executable, "-m", "pbxconf", "apply", str(OFFICE), *connect_args(pbx)]
    return subprocess.Popen(
        [*command, "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_apply_stops_cleanly(pbx: ThreadedServer, sig: int, code: int) -> None:
    before = unmanaged(pbx.sim)
    pbx.sim.settings.latency = 0.15
    proc = start_apply(pbx)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sum(1 for c in pbx.sim.calls if c.endpoint.endswith(("update", "add"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert f"Interrupted by {signal.Signals(sig).name}: the call in flight was finished" in err
    assert "Not run:" in err and "Run apply again to finish." in err
    assert "Traceback" not in err
    pbx.sim.settings.latency = 0
    again = apply(pbx)
    assert again.exit_code == 0, again.output
    assert_converged(pbx, before)


def test_a_second_signal_stops_at_once_and_still_reports(pbx: ThreadedServer) -> None:
    # It used to end with a bare "interrupted", saying nothing of what was done.
    before = unmanaged(pbx.sim)
    fault(pbx, action="delay", path="siptrunk/add", delay_ms=20000)
    proc = start_apply(pbx)
    deadline = time.monotonic() + 30
    in_flight = pbx.sim.faults.rules[0]  # the delay holds the trunk's create
    while time.monotonic() < deadline and not in_flight.fired:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert (
        "Stopped at once by a second SIGTERM: siptrunk/add for trunks[name=carrier] was sent "
        "and its answer not awaited, so it may or may not have landed"
    ) in err
    assert "Done: " in err and "Not run: " in err and "Traceback" not in err
    pbx.sim.faults.rules.clear()
    again = apply(pbx)
    assert again.exit_code == 0, again.output
    assert_converged(pbx, before)


# ---- chaos ---------------------------------------------------------------------------


def test_chaos_run_converges(pbx: ThreadedServer, tmp_path: Path) -> None:
    """A seeded random schedule of every fault above over a larger apply, repeated until
    it converges. Small here; benchmarks/chaos.py runs a large one."""
    size = Size(extensions=40, trunks=8, inroutes=20, outroutes=8, ivrs=2, queues=2, wakeups=30)
    source = generate(size, seed=3)
    target = pbx.sim.state
    target.extension_capacity = 100
    for number in source.extensions:
        target.admin_put("extension", {"extnumber": number})
    for number in source.ivrs:
        target.admin_put("ivr", {"ivrnumber": number})
    for number in source.queues:
        target.admin_put("queue", {"queuenumber": number})
    target.admin_put(
        "trunk",
        {"trunkname": "stranger", "trunktype": "peer", "host": "h", "port": "5060", "domain": "d"},
    )  # unmanaged: must survive
    desired = _desired_from(source, tmp_path)
    rng = random.Random(1234)
    runs = asyncio.run(_until_converged(pbx, desired, rng, max_runs=12))
    assert runs <= 12
    trunks = [t["trunkname"] for t in pbx.sim.state.trunks.values()]
    assert len(trunks) == len(set(trunks)) == len(source.trunks) + 1
    assert "stranger" in trunks


def _desired_from(state: Any, tmp_path: Path) -> manifest.Desired:
    with running(Simulator(state=state)) as src:
        result = CliRunner().invoke(
            main,
            [
                "export",
                *connect_args(src),
                "-o",
                str(tmp_path / "want.yaml"),
                "--secrets",
                "inline",
            ],
        )
        assert result.exit_code == 0, result.output
    return manifest.load([tmp_path / "want.yaml"], env={})


async def _until_converged(
    pbx: ThreadedServer, desired: manifest.Desired, rng: random.Random, max_runs: int
) -> int:
    options = PlanOptions(force=True)
    for run in range(1, max_runs + 1):
        httpx.delete(pbx.url + "/admin/faults")
        if run < max_runs:  # the last run is calm: chaos must not prevent convergence
            for rule in schedule(rng, 6, timeout_ms=300):
                fault(pbx, **rule)
        try:
            async with PbxClient(
                pbx.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=fast_settings(timeout=0.3)
            ) as client:
                plan = make_plan(desired, await read_live(client), options)
                if not plan.changes:
                    return run
                await execute(client, plan, desired, options)
        except (PbxError, LiveReadError):
            continue  # a fault stopped this run; the next one picks up from a fresh read
    raise AssertionError(f"no convergence in {max_runs} runs")
