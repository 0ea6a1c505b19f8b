"""`pbxconf watch` as a real process against the simulator over TCP: it logs in, the
simulator pushes its reports to the watch's listener, and the test reads the JSON lines."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbxconf.sim import Simulator
from pbxconf.sim.server import ThreadedServer
from pbxconf.watch.options import TEST_MIN_INTERVAL
from tests.conftest import connect_args

# Generous: a bounded wait for something that should come within a second, on a noisy
# machine. Tests assert what happened and how often, never how fast.
WAIT = 20.0

MANIFEST = """\
version: 1
extensions:
  - number: 1001
    name: Front desk
    voicemail: {pin: "1234"}
trunks:
  - name: carrier
    type: peer
    host: sip.example.net
    port: 5060
    domain: example.net
"""


def agree(sim: Simulator) -> None:
    """Make the simulator's PBX what MANIFEST declares (before the watch starts)."""
    sim.state.admin_put(
        "extension", {"extnumber": "1001", "username": "Front desk", "vmsecret": "1234"}
    )
    sim.state.admin_put(
        "trunk",
        {
            "trunkname": "carrier",
            "trunktype": "peer",
            "host": "sip.example.net",
            "port": "5060",
            "domain": "example.net",
        },
    )


class WatchProcess:
    """`python -m pbxconf watch ... --format json`, its events read as they come."""

    def __init__(self, server: ThreadedServer, manifests: Path, *args: str) -> None:
        command = [
            sys.executable,
            "-m",
            "pbxconf",
            "watch",
            str(manifests),
            *connect_args(server),
            "--listen",
            "127.0.0.1:0",
            "--format",
            "json",
            *args,
        ]
        # The tests' interval plans come a second or two apart, below what a PBX is given.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", TEST_MIN_INTERVAL: "1"}
        env.pop("PBXCONF_URL", None)
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.events: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self._new: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.start = self.wait_for(lambda e: e["event"] == "start")
        self.port = int(self.start["listen"].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            event = json.loads(line)
            self.events.append(event)
            self._new.put(event)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> dict[str, Any]:
        """The next event (from now on) that matches."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self._new.empty()):
                raise AssertionError(
                    "no such event; got:\n"
                    + "".join(self.lines[-20:])
                    + "stderr:\n"
                    + "".join(self.stderr[-20:])
                )
            try:
                event = self._new.get(timeout=min(left, 0.1))
            except queue.Empty:
                continue
            if match(event):
                return event

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(WAIT)
        finally:
            time.sleep(0.05)  # the reader threads take the last lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)


@pytest.fixture
def manifests(tmp_path: Path, sim: Simulator) -> Path:
    agree(sim)
    path = tmp_path / "pbx.yaml"
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def start_watch(server: ThreadedServer, manifests: Path) -> Iterator[Callable[..., WatchProcess]]:
    started: list[WatchProcess] = []

    def start(*args: str, path: Path | None = None) -> WatchProcess:
        watch = WatchProcess(server, path or manifests, *args)
        started.append(watch)
        watch.wait_for(lambda e: e["event"] == "plan" and e["reason"] == "start")
        return watch

    yield start
    for watch in started:
        watch.kill()


def calls_since(admin: httpx.Client) -> dict[str, int]:
    """The API calls the simulator received since the last `clear_calls`."""
    counts: dict[str, int] = admin.get("/admin/calls").json()["counts"]
    return counts


def clear_calls(admin: httpx.Client) -> None:
    admin.delete("/admin/calls")


# Admin record kind -> (its list in the state, the key naming one).
_RECORDS = {"extension": ("extensions", "extnumber"), "trunk": ("trunks", "trunkname")}


def edit(admin: httpx.Client, kind: str, record: dict[str, str]) -> None:
    """An edit in the PBX's web page: these fields changed, the rest kept."""
    section, key = _RECORDS[kind]
    state = admin.get("/admin/state").json()
    current = next((r for r in state[section] if r[key] == record[key]), {})
    response = admin.post(f"/admin/records/{kind}", json={**current, **record})
    assert response.status_code == 200, response.text
