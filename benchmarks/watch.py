"""`pbxconf watch` against polling `pbxconf plan` every 15 minutes: API calls per day and
time to detection, at size M (500 extensions, 50 trunks, ...).

    python benchmarks/watch.py [--size M] [--latency-ms 20] [--edits 20]

It generates the PBX, exports it as the manifests, serves it with `pbxconf sim serve`
(another process, with event reports on and the injected latency), and runs
`pbxconf watch` as a person would (another process, JSON lines). Then:
- polling: one `plan` of the unchanged PBX, its calls counted (what polling pays every
  interval);
- watch: the calls of its first full plan; `--edits` extensions edited one at a time
  through the simulator's admin API (a person in the web page), each timed from the
  edit's request to the drift line read from watch's stdout, with the calls it cost;
  then 50 extensions edited in one burst, with the reads they cost.
Calls per day are worked out from what was measured: a full plan every interval, a token
refresh every 25 minutes (the client refreshes 5 minutes before the 30 are up), one read
per batch of reported changes. Polling's time to detection is arithmetic: a change waits
for the next plan (half the interval on average, the whole interval at worst), plus the
plan's own time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ServerProcess, export_manifests, workload

from pbxconf.connect import save_sim_state
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME
from pbxconf.sim.generate import SIZES, generate

DAY = 24 * 3600
INTERVAL = 15 * 60
REFRESH_EVERY = 25 * 60


class Watch:
    """`pbxconf watch` in another process, its JSON lines in a queue."""

    def __init__(self, manifests: Path, url: str) -> None:
        pbx = ["--url", url, "--username", DEFAULT_USERNAME, "--password", DEFAULT_PASSWORD]
        options = ["--listen", "127.0.0.1:0", "--format", "json", "--interval", "15m"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pbxconf", "watch", str(manifests), *pbx, *options],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.perf_counter(), json.loads(line)))

    def next(self, event: str, timeout: float = 60) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            seen, data = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if data["event"] == event:
                return seen, data

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def calls(admin: httpx.Client) -> dict[str, int]:
    counts: dict[str, int] = admin.get("/admin/calls").json()["counts"]
    admin.delete("/admin/calls")
    return counts


def rename(admin: httpx.Client, state: dict[str, Any], number: str, name: str) -> None:
    record = next(r for r in state["extensions"] if r["extnumber"] == number)
    admin.post("/admin/records/extension", json={**record, "username": name}).raise_for_status()


def run(size: str, latency_ms: int, edits: int, work: Path) -> dict[str, Any]:
    state = generate(SIZES[size], seed=1)
    state_file = work / "state.json"
    save_sim_state(state_file, state)
    manifests = work / "desired"
    asyncio.run(export_manifests(state, manifests))
    serve = ["sim", "serve", "--port", "0", "--state", str(state_file)]
    sim = ServerProcess(["-m", "pbxconf", *serve, "--latency-ms", str(latency_ms)])
    out: dict[str, Any] = {"size": size, "latency_ms": latency_ms}
    try:
        admin = httpx.Client(base_url=sim.url, timeout=30)
        plan = workload("plan", manifests, sim.url, 0.0)
        out["plan_calls"] = sum(plan["calls"].values())
        out["plan_wall"] = plan["wall"]
        calls(admin)
        watch = Watch(manifests, sim.url)
        try:
            _, first = watch.next("plan")
            out["full_plan_calls"] = first["calls"]
            calls(admin)
            snapshot = admin.get("/admin/state").json()
            numbers = [r["extnumber"] for r in snapshot["extensions"]]
            delays, per_edit = [], []
            for number in numbers[:edits]:
                started = time.perf_counter()
                rename(admin, snapshot, number, "Edited in the web page")
                seen, drift = watch.next("drift")
                assert drift["key"] == {"number": number}, drift
                delays.append(seen - started)
                time.sleep(0.3)  # let the read's count land before counting
                per_edit.append(calls(admin))
            out["detection"] = sorted(delays)
            out["calls_per_edit"] = per_edit
            burst = numbers[edits : edits + 50]
            started = time.perf_counter()
            for number in burst:
                rename(admin, snapshot, number, "Saved in a burst")
            last = started
            for _ in burst:
                last, _ = watch.next("drift")
            out["burst_seconds"] = last - started
            time.sleep(0.3)
            out["burst_calls"] = calls(admin)
        finally:
            watch.stop()
    finally:
        sim.stop()
    return out


def table(r: dict[str, Any]) -> str:
    detection = r["detection"]
    median = detection[len(detection) // 2]
    p90 = detection[min(len(detection) - 1, int(len(detection) * 0.9))]
    reads = [sum(c.values()) for c in r["calls_per_edit"]]
    per_edit = max(set(reads), key=reads.count)
    plans_a_day = DAY / INTERVAL
    refreshes = DAY / REFRESH_EVERY
    polling_day = plans_a_day * r["plan_calls"]
    watch_day = plans_a_day * r["full_plan_calls"] + refreshes
    burst_reads = sum(r["burst_calls"].values())
    return "\n".join(
        [
            f"size {r['size']}, latency {r['latency_ms']} ms; watch --interval 15m; "
            f"{len(detection)} edits one at a time, then 50 in a burst",
            "",
            "| | polling `plan` every 15 min | `watch` |",
            "|---|---|---|",
            f"| calls per check | {r['plan_calls']} (login, {r['plan_calls'] - 2} queries, "
            "logout) | "
            f"{r['full_plan_calls']} per full plan (the session stays open) |",
            f"| calls a day, nothing changes | {polling_day:.0f} | {watch_day:.0f} "
            f"({plans_a_day:.0f} full plans + {refreshes:.0f} token refreshes) |",
            f"| calls per reported change (extension, trunk) | 0 more | {per_edit} "
            f"(measured: {min(reads)}-{max(reads)} over {len(reads)} edits) |",
            f"| calls a day with 100 / 1,000 reported changes | {polling_day:.0f} / "
            f"{polling_day:.0f} | {watch_day + 100 * per_edit:.0f} / "
            f"{watch_day + 1000 * per_edit:.0f} (at most) |",
            f"| time to detection, extension or trunk | mean {INTERVAL / 120:.1f} min, worst "
            f"{INTERVAL / 60:.0f} min (+ {r['plan_wall']:.2f} s plan) | median "
            f"{median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, worst {detection[-1] * 1000:.0f} "
            "ms |",
            "| time to detection, route, IVR, queue, wake-up call (never reported) | the same "
            "| the same (the interval plan) |",
            f"| 50 extensions saved in a burst | found by the next plan | {burst_reads} read(s) "
            f"({', '.join(f'{k} {v}' for k, v in sorted(r['burst_calls'].items()))}), all 50 "
            f"reported {r['burst_seconds']:.2f} s after the first edit |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--json", type=Path, help="Also write the raw results here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pbxconf-bench-watch-") as work:
        result = run(args.size, args.latency_ms, args.edits, Path(work))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
