"""pbxconf benchmarks: plan, apply and export against the simulator over TCP.

    python benchmarks/run.py [--sizes S,M,L] [--latency-ms 20] [--write-interval-ms 50]
                             [--runs 5]

For each size (see pbxconf.sim.generate) it generates a PBX, exports it as the desired
manifests, and serves it with `pbxconf sim serve` (another process, injected latency).
Workloads, each in a fresh process: plan with nothing to change (`--runs` times, the
median shown); the plan's calls alone, with nothing decoded or planned, against the same
PBX and against one that answers at once (replay.py), `--runs` times each: the floor
under the plan; plan and apply of a change to 10% of every kind; export (`--runs`
times); and at zero latency, the plan again (`--runs` times: the time a plan takes when no
waiting is left, i.e. the simulator's answers, their transfer, decoding) and the planner
alone, for its CPU time.
It prints a Markdown table: API calls against the minimum the API needs, wall time
against its lower bound, the spread of the runs, the floor, the time to load the
manifests, the whole `pbxconf plan` / `pbxconf export` command as a person runs it
(median of `--runs`, Python's start and the output included), planner CPU, peak memory,
and whether each target is met.

Wall time runs from the first call to the PBX to the last answer (the plan made): what
depends on the PBX. Starting Python and loading the manifests come before it, and the
manifests' load time has its own column.

Minimum calls: login + one bulk query per kind (6) + one wake-up query for all
extensions + logout; apply adds one call per changed object and a re-read of the kinds
it touched; export adds deviceinfo.
Lower bound on wall time: reads run `concurrency` at a time, but the wake-up query needs
the extension numbers first, so reads take max(2, ceil(reads / concurrency)) round trips,
plus login and logout; writes are sequential, each max(write interval, latency).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

from pbxconf.api import ClientSettings, PbxClient
from pbxconf.connect import save_sim_state
from pbxconf.export import export_state
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.generate import SIZES, generate

HERE = Path(__file__).resolve().parent
CONCURRENCY = ClientSettings().read_concurrency
BULK_QUERIES = 6  # extension, trunk, inbound route, outbound route, IVR, queue


def reads_for(kinds: set[str]) -> int:
    """Queries needed to read these kinds (wake-up calls need the extension list)."""
    bulk = kinds - {"wakeup_call"}
    if "wakeup_call" in kinds:
        bulk = bulk | {"extension"}
    return len(bulk) + ("wakeup_call" in kinds)


def read_rounds(reads: int, kinds: set[str]) -> int:
    chain = 2 if "wakeup_call" in kinds else 1
    return max(chain, math.ceil(reads / CONCURRENCY))


async def export_manifests(state: Any, folder: Path) -> None:
    sim = Simulator(state=state)
    async with PbxClient(
        "http://sim", DEFAULT_USERNAME, DEFAULT_PASSWORD, transport=sim.transport()
    ) as pbx:
        device = await pbx.device_info()
        live = await read_live(pbx)
    result = export_state(live, device, list(KINDS), "inline", split=True)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in result.files.items():
        (folder / name).write_text(text, encoding="utf-8")


MUTATIONS = {
    "extensions": lambda o: o.update(name=o.get("name", "") + " (moved)"),
    "trunks": lambda o: (
        o.update(port=5070 if o.get("port") == 5060 else 5060)
        if "port" in o
        else o.update(username=o["username"] + "x")
    ),
    "inbound_routes": lambda o: o.update(did=o.get("did", "") + "9"),
    "outbound_routes": lambda o: o.update(strip=(o.get("strip", 0) + 1) % 3),
    "ivrs": lambda o: o.update(prompt_repeat=1 if o.get("prompt_repeat") != 1 else 2),
    "queues": lambda o: o.update(agent_timeout=20 if o.get("agent_timeout") != 20 else 30),
    "wakeup_calls": lambda o: o.update(repeats=o.get("repeats", 1) % 3 + 1),
}


def change_ten_percent(source: Path, target: Path) -> int:
    """Copy the manifests, changing every tenth object of every kind."""
    yaml = YAML()
    target.mkdir(parents=True, exist_ok=True)
    changed = 0
    for path in sorted(source.iterdir()):
        doc = yaml.load(path.read_text())
        for section, mutate in MUTATIONS.items():
            for index, obj in enumerate(doc.get(section) or []):
                if index % 10 == 0:
                    mutate(obj)
                    changed += 1
        with (target / path.name).open("w") as handle:
            yaml.dump(doc, handle)
    return changed


class ServerProcess:
    """A server in another process that prints its URL as the last word of its first line."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        words = self.proc.stdout.readline().split()
        if not words:
            self.proc.wait(10)
            command = " ".join(args)
            raise SystemExit(f"{command} ended without serving (exit {self.proc.returncode})")
        self.url = words[-1]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class SimProcess(ServerProcess):
    def __init__(self, state_file: Path, latency_ms: int, write_interval_ms: int) -> None:
        super().__init__(
            [
                "-m",
                "pbxconf",
                "sim",
                "serve",
                "--port",
                "0",
                "--state",
                str(state_file),
                "--latency-ms",
                str(latency_ms),
                "--write-interval-ms",
                str(write_interval_ms),
                "--no-events",  # nobody listens for reports here; pushing them costs the PBX
            ]
        )
        # A PBX in service is warm: pay the server's first-request costs before measuring
        # (a call without a token changes nothing; the call log is then cleared).
        httpx.post(self.url + "/api/v1.1.0/deviceinfo/query", timeout=10)
        httpx.delete(self.url + "/admin/calls", timeout=10)


class ReplayProcess(ServerProcess):
    """The simulator's answers to a plan's calls, replayed at once (replay.py)."""

    def __init__(self, sim_url: str, latency_ms: int) -> None:
        super().__init__([str(HERE / "replay.py"), sim_url, "--latency-ms", str(latency_ms)])


def workload(action: str, manifests: Path, url: str, interval: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "workload.py"), action, str(manifests), url, str(interval)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def command_seconds(args: list[str], url: str, runs: int) -> float:
    """The median wall time of a whole `pbxconf` command, as a person or a CI job runs it:
    from starting Python to its exit, manifests and output included."""
    env = {
        **os.environ,
        "PBXCONF_URL": url,
        "PBXCONF_USERNAME": DEFAULT_USERNAME,
        "PBXCONF_PASSWORD": DEFAULT_PASSWORD,
    }
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pbxconf", *args], env=env, check=True, capture_output=True
        )
        walls.append(time.perf_counter() - started)
    return sorted(walls)[len(walls) // 2]


def median_workload(
    action: str, manifests: Path, url: str, interval: float, runs: int
) -> dict[str, Any]:
    """The run with the median wall time of `runs` (each in a fresh process): a shared
    machine's noise moves single runs by several milliseconds. Reads change nothing, so
    every run makes the same calls; the peak memory reported is the largest."""
    results = sorted(
        (workload(action, manifests, url, interval) for _ in range(runs)), key=lambda r: r["wall"]
    )
    if any(r["calls"] != results[0]["calls"] for r in results):
        calls = [r["calls"] for r in results]
        raise SystemExit(f"{action}: the runs made different calls: {calls}")
    median = dict(results[len(results) // 2])
    median["walls"] = [r["wall"] for r in results]
    median["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    return median


def bench_size(
    size: str, latency_ms: int, interval_ms: int, seed: int, work: Path, runs: int
) -> list[dict]:
    state = generate(SIZES[size], seed=seed)
    state_file = work / f"state-{size}.json"
    save_sim_state(state_file, state)
    desired, changed_dir = work / f"desired-{size}", work / f"changed-{size}"
    asyncio.run(export_manifests(state, desired))
    changed = change_ten_percent(desired, changed_dir)
    latency, interval = latency_ms / 1000, interval_ms / 1000
    # The client spaces writes a little wider than the PBX requires: latency jitter would
    # otherwise bring two writes closer than allowed now and then (errno 10025, a retry).
    client_interval = interval * 1.2
    all_kinds = set(KINDS)
    reads = reads_for(all_kinds)
    rows = []

    sim = SimProcess(state_file, latency_ms, interval_ms)
    try:
        plan = median_workload("plan", desired, sim.url, client_interval, runs)
        rows.append(
            row(
                size,
                "plan, no change",
                plan,
                2 + reads,
                (2 + read_rounds(reads, all_kinds)) * latency,
            )
        )
        # The floor under the plan: its calls alone, against this PBX and against one
        # that answers at once (the simulator's answers, replayed).
        floor = median_workload("calls", desired, sim.url, client_interval, runs)
        replay = ReplayProcess(sim.url, latency_ms)
        try:
            instant = median_workload("calls", desired, replay.url, client_interval, runs)
        finally:
            replay.stop()
        if floor["calls"] != plan["calls"] or instant["calls"] != plan["calls"]:
            raise SystemExit(f"the calls alone differ from the plan's: {floor['calls']}")
        rows[-1]["command"] = command_seconds(["plan", str(desired)], sim.url, runs)
        rows[-1]["floor"] = floor["wall"]
        rows[-1]["floor_instant"] = instant["wall"]
        apply = workload("apply", changed_dir, sim.url, client_interval)
        touched = set(apply["touched_kinds"])
        verify = reads_for(touched)
        minimum = 2 + reads + changed + verify
        bound = (
            2 + read_rounds(reads, all_kinds) + read_rounds(verify, touched)
        ) * latency + changed * max(interval, latency)
        rows.append(row(size, f"plan + apply, {changed} changes", apply, minimum, bound))
        export = median_workload("export", desired, sim.url, client_interval, runs)
        exported = work / f"exported-{size}.yaml"
        export["command"] = command_seconds(["export", "-o", str(exported)], sim.url, runs)
        rows.append(
            row(size, "export", export, 3 + reads, (3 + read_rounds(reads, all_kinds)) * latency)
        )
    finally:
        sim.stop()
    fast = SimProcess(state_file, 0, 0)
    try:
        zero = median_workload("plan", desired, fast.url, 0, runs)
        planner = workload("planner", desired, fast.url, 0)
    finally:
        fast.stop()
    for r in rows:
        r["planner_cpu_zero_latency"] = planner["planner_cpu"]
        r["cpu_zero_latency"] = zero["cpu"]
        r["wall_zero_latency"] = zero["wall"]
    return rows


def row(size: str, name: str, result: dict[str, Any], minimum: int, bound: float) -> dict:
    calls = sum(result["calls"].values())
    return {
        "size": size,
        "workload": name,
        "calls": calls,
        "minimum": minimum,
        "wall": result["wall"],
        "walls": result.get("walls", [result["wall"]]),
        "load_wall": result.get("load_wall", 0.0),
        "command": result.get("command"),
        "bound": bound,
        "planner_cpu": result.get("planner_cpu"),
        "peak_rss_mib": result["peak_rss_mib"],
        "detail": result["calls"],
    }


def table(rows: list[dict], latency_ms: int, interval_ms: int, runs: int) -> str:
    lines = [
        f"latency {latency_ms} ms, PBX write interval {interval_ms} ms, "
        f"read concurrency {CONCURRENCY}; plan and export: median of {runs} runs",
        "",
        "| size | workload | calls / minimum | wall s / bound s | ratio | runs s | "
        "calls alone s (ratio): this PBX / instant PBX | "
        "load s | command s | plan wall s (0 ms) | planner CPU s (0 ms) | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["wall"] / r["bound"] if r["bound"] else float("nan")
        spread = f"{min(r['walls']):.3f}-{max(r['walls']):.3f}" if len(r["walls"]) > 1 else ""
        load = f"{r['load_wall']:.2f}" if r["load_wall"] else ""
        command = f"{r['command']:.2f}" if r.get("command") else ""
        floor = (
            f"{r['floor']:.3f} ({r['floor'] / r['bound']:.2f}) / "
            f"{r['floor_instant']:.3f} ({r['floor_instant'] / r['bound']:.2f})"
            if "floor" in r
            else ""
        )
        lines.append(
            f"| {r['size']} | {r['workload']} | {r['calls']} / {r['minimum']}"
            f"{'' if r['calls'] == r['minimum'] else ' (!)'} | {r['wall']:.3f} / "
            f"{r['bound']:.3f} | {ratio:.2f} | {spread} | {floor} | {load} | {command} | "
            f"{r['wall_zero_latency']:.3f} | {r['planner_cpu_zero_latency']:.3f} | "
            f"{r['peak_rss_mib']:.0f} |"
        )
    lines += [
        "",
        "Targets: calls equal the minimum; plan wall time within 1.5x its bound at "
        "20 ms; planner CPU for L under 2 s; peak memory for L under 300 MB.",
    ]
    checks = []
    for r in rows:
        checks.append((f"{r['size']} {r['workload']}: calls", r["calls"] == r["minimum"]))
        if r["workload"].startswith("plan, no change"):
            checks.append((f"{r['size']} plan wall <= 1.5x bound", r["wall"] <= 1.5 * r["bound"]))
        if r["size"] == "L":
            checks.append((f"L {r['workload']}: peak memory < 300 MB", r["peak_rss_mib"] < 300))
    if any(r["size"] == "L" for r in rows):
        cpu = next(r for r in rows if r["size"] == "L")["planner_cpu_zero_latency"]
        checks.append(("L planner CPU < 2 s", cpu < 2))
    lines += [f"- {'met' if ok else 'NOT MET'}: {name}" for name, ok in checks]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--write-interval-ms", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--runs", type=int, default=5, help="Runs of each read-only workload (median shown)."
    )
    parser.add_argument("--json", type=Path, help="Also write the raw results here.")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pbxconf-bench-") as work:
        for size in args.sizes.split(","):
            rows += bench_size(
                size.strip(),
                args.latency_ms,
                args.write_interval_ms,
                args.seed,
                Path(work),
                args.runs,
            )
            print(f"size {size} done", file=sys.stderr)
    print(table(rows, args.latency_ms, args.write_interval_ms, args.runs))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
