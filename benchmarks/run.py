"""pbxconf benchmarks: plan, apply and export against the simulator over TCP.

    python benchmarks/run.py [--sizes S,M,L,XL] [--latency-ms 20] [--write-interval-ms 50]
                             [--runs 5] [--apply-sizes S,M,L] [--no-naive]

For each size (see pbxconf.sim.generate) it generates a PBX, exports it as the desired
manifests, and serves it with `pbxconf sim serve` (another process, injected latency).
Workloads, each in a fresh process: plan with nothing to change (`--runs` times, the
median shown); the plan's calls alone, with nothing decoded or planned, against the same
PBX and against one that answers at once (replay.py), `--runs` times each; the whole
`pbxconf plan` command as a person runs it (`--runs` times); plan and apply of a change
to 10% of every kind (`--apply-sizes`); export (`--runs` times); and at zero latency,
the plan again (the time a plan takes when no waiting is left) and the planner alone,
for its CPU time. At M it also runs the alternative, an admin script that makes one
query (and one update) per object (naive.py), once each way.

It prints Markdown tables: API calls against the minimum the API needs, wall time
against its lower bound, the floor under the whole command (floor.py) beside the
command, the scaling from S to XL, and the admin script against the plan.

Wall time runs from the first call to the PBX to the last answer (the plan made): what
depends on the PBX. Starting Python and loading the manifests come before it, and the
manifests' load time has its own column.

Minimum calls: login; one query per kind read whole (five), and the extension list;
the extensions asked for 500 at a time and the wake-up calls of every extension (5,000
numbers a query), once the list is in; logout. Apply adds one call per changed object
and a re-read of the kinds it touched; export adds deviceinfo.
Lower bound on wall time: the queries of each of those two rounds run `concurrency` at a
time, plus login and logout; writes are sequential, each max(write interval, latency).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from floor import imports_once, parse_once
from ruamel.yaml import YAML

import pbxconf
from pbxconf.api import ClientSettings, PbxClient
from pbxconf.connect import save_sim_state
from pbxconf.export import export_state
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.generate import SIZES, generate
from pbxconf.sim.state import PbxState

HERE = Path(__file__).resolve().parent
CONCURRENCY = ClientSettings().read_concurrency


def object_counts(state: PbxState) -> dict[str, int]:
    return {
        "extension": len(state.extensions),
        "trunk": len(state.trunks),
        "inbound_route": len(state.inroutes),
        "outbound_route": len(state.outroutes),
        "ivr": len(state.ivrs),
        "queue": len(state.queues),
        "wakeup_call": sum(len(items) for items in state.wakeups.values()),
    }


def read_calls(kinds: set[str], counts: dict[str, int]) -> tuple[int, int]:
    """The queries that read these kinds, as the kinds declare them: (first round, second
    round). The first: every kind read whole, and listings; the second, once those are in:
    a listed kind's slices, and the queries that take another kind's identities."""
    first = second = 0
    for name in KINDS:
        query = KINDS[name].query
        if query.after:
            if name in kinds:
                n = counts[query.after]
                second += math.ceil(n / query.batch) if query.batch and n else 1
            continue
        needed = any(KINDS[k].query.after == name for k in kinds)
        if query.listed_by and (name in kinds or needed):
            first += 1
            if name in kinds and counts[name]:
                second += math.ceil(counts[name] / query.batch)
        elif name in kinds or needed:
            first += 1
    return first, second


def rounds(first: int, second: int) -> int:
    return math.ceil(first / CONCURRENCY) + math.ceil(second / CONCURRENCY)


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


def script(name: str, *args: str) -> dict[str, Any]:
    """One run of a benchmark script in a fresh process: its last line of JSON."""
    out = subprocess.run(
        [sys.executable, str(HERE / name), *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.splitlines()[-1])


def workload(action: str, manifests: Path, url: str, interval: float) -> dict[str, Any]:
    return script("workload.py", action, str(manifests), url, str(interval))


def command_once(args: list[str], url: str) -> float:
    """The wall time of a whole `pbxconf` command, as a person or a CI job runs it: from
    starting Python to its exit, manifests and output included."""
    env = {
        **os.environ,
        "PBXCONF_URL": url,
        "PBXCONF_USERNAME": DEFAULT_USERNAME,
        "PBXCONF_PASSWORD": DEFAULT_PASSWORD,
    }
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pbxconf", *args], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def command_seconds(args: list[str], url: str, runs: int) -> float:
    return statistics.median(command_once(args, url) for _ in range(runs))


def whole_plan_and_floor(desired: Path, url: str, interval: float, runs: int) -> dict[str, Any]:
    """The whole `pbxconf plan` and the parts of its floor (floor.py), measured in turn,
    run after run: a shared machine's load weighs on both alike. Medians of each, and
    the median of the runs' ratios."""
    runs_of: dict[str, list[float]] = {"imports": [], "parse": [], "calls": [], "command": []}
    calls: list[dict[str, int]] = []
    for _ in range(runs):
        runs_of["imports"].append(imports_once())
        runs_of["parse"].append(parse_once(desired))
        alone = workload("calls", desired, url, interval)
        runs_of["calls"].append(alone["wall"])
        calls.append(alone["calls"])
        runs_of["command"].append(command_once(["plan", str(desired)], url))
    if any(c != calls[0] for c in calls):
        raise SystemExit(f"the calls alone differ from run to run: {calls}")
    floors = [
        sum(parts)
        for parts in zip(*(runs_of[k] for k in ("imports", "parse", "calls")), strict=True)
    ]
    out: dict[str, Any] = {k: statistics.median(v) for k, v in runs_of.items()}
    out["floor"] = statistics.median(floors)
    out["ratio"] = statistics.median(c / f for c, f in zip(runs_of["command"], floors, strict=True))
    out["detail"] = calls[0]
    return out


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
    median["load_wall"] = sorted(r["load_wall"] for r in results)[len(results) // 2]
    median["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    return median


def bench_size(size: str, args: argparse.Namespace, work: Path) -> list[dict]:
    state = generate(SIZES[size], seed=args.seed)
    counts = object_counts(state)
    state_file = work / f"state-{size}.json"
    save_sim_state(state_file, state)
    desired = work / f"desired-{size}"
    asyncio.run(export_manifests(state, desired))
    latency, interval = args.latency_ms / 1000, args.write_interval_ms / 1000
    # The client spaces writes 4% wider than the PBX requires (52 ms against 50): the
    # spacing is kept at the client, and latency jitter brings two writes closer at the
    # PBX now and then; what is left of that, its pacing learns from 10025.
    client_interval = interval * 1.04
    all_kinds = set(KINDS)
    first, second = read_calls(all_kinds, counts)
    reads = first + second
    read_rounds = rounds(first, second)
    runs = args.runs
    rows = []

    sim = SimProcess(state_file, args.latency_ms, args.write_interval_ms)
    try:
        plan = median_workload("plan", desired, sim.url, client_interval, runs)
        rows.append(
            row(size, "plan, no change", plan, 2 + reads, (2 + read_rounds) * latency, counts)
        )
        # The floor under the whole plan, measured in turn with it; and the calls alone
        # against a PBX that answers at once (the simulator's answers, replayed).
        whole = whole_plan_and_floor(desired, sim.url, client_interval, runs)
        replay = ReplayProcess(sim.url, args.latency_ms)
        try:
            instant = median_workload("calls", desired, replay.url, client_interval, runs)
        finally:
            replay.stop()
        if whole["detail"] != plan["calls"] or instant["calls"] != plan["calls"]:
            raise SystemExit(f"the calls alone differ from the plan's: {whole['detail']}")
        rows[-1] |= {
            "command": whole["command"],
            "floor": whole["calls"],
            "floor_instant": instant["wall"],
            "imports": whole["imports"],
            "parse": whole["parse"],
            "whole_floor": whole["floor"],
            "floor_ratio": whole["ratio"],
        }
        if size in args.apply_sizes:
            changed_dir = work / f"changed-{size}"
            changed = change_ten_percent(desired, changed_dir)
            apply = workload("apply", changed_dir, sim.url, client_interval)
            touched = set(apply["touched_kinds"])
            again = read_calls(touched, counts)
            minimum = 2 + reads + changed + sum(again)
            write_bound = changed * max(interval, latency)
            bound = (2 + read_rounds + rounds(*again)) * latency + write_bound
            rows.append(
                row(size, f"plan + apply, {changed} changes", apply, minimum, bound, counts)
            )
            rows[-1]["retries"] = sum(apply["calls"].values()) - minimum
        if size in args.apply_sizes:
            export = median_workload("export", desired, sim.url, client_interval, runs)
            exported = work / f"exported-{size}.yaml"
            export["command"] = command_seconds(["export", "-o", str(exported)], sim.url, runs)
            rows.append(row(size, "export", export, 3 + reads, (3 + read_rounds) * latency, counts))
        if size == "M" and args.naive:
            for mode in ("check", "push"):
                naive = script("naive.py", mode, str(desired), sim.url, str(client_interval))
                rows[0][f"naive_{mode}"] = naive
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


def row(
    size: str,
    name: str,
    result: dict[str, Any],
    minimum: int,
    bound: float,
    counts: dict[str, int],
) -> dict:
    calls = sum(result["calls"].values())
    return {
        "size": size,
        "objects": sum(counts.values()),
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


def table(rows: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"latency {args.latency_ms} ms, PBX write interval {args.write_interval_ms} ms (the "
        f"client's 4% wider), read concurrency {CONCURRENCY}; plan and export: median of "
        f"{args.runs} runs",
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
        extra = r["calls"] - r["minimum"]
        calls = f"{r['calls']} / {r['minimum']}" + (
            f" ({extra} 10025 retries)" if "retries" in r and extra else ""
        )
        lines.append(
            f"| {r['size']} | {r['workload']} | {calls} | {r['wall']:.3f} / "
            f"{r['bound']:.3f} | {ratio:.2f} | {spread} | {floor} | {load} | {command} | "
            f"{r['wall_zero_latency']:.3f} | {r['planner_cpu_zero_latency']:.3f} | "
            f"{r['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def floor_table(rows: list[dict]) -> str:
    """The whole command beside its floor: what any Python tool that reads these YAML
    files with libyaml and makes these calls must take (floor.py); medians of runs made
    in turn, and the median of their ratios."""
    lines = [
        "| size | start + imports s | YAML parse s | calls alone s | floor s | "
        "whole `pbxconf plan` s | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in (r for r in rows if "parse" in r):
        lines.append(
            f"| {r['size']} | {r['imports']:.2f} | {r['parse']:.2f} | {r['floor']:.2f} | "
            f"{r['whole_floor']:.2f} | {r['command']:.2f} | {r['floor_ratio']:.2f} |"
        )
    return "\n".join(lines)


def scaling_table(rows: list[dict]) -> str:
    """Each size's plan with nothing to change, and what 1,000 more objects add (from
    the size before)."""
    plans = [r for r in rows if r["workload"] == "plan, no change"]
    lines = [
        "| size | objects | whole plan s | reads s | load s | peak MiB | "
        "per 1,000 more objects: whole s / load s / peak MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for before, r in zip([None, *plans], plans, strict=False):
        growth = ""
        if before is not None and r["objects"] > before["objects"]:
            per = 1000 / (r["objects"] - before["objects"])
            growth = (
                f"{(r['command'] - before['command']) * per:.3f} / "
                f"{(r['load_wall'] - before['load_wall']) * per:.3f} / "
                f"{(r['peak_rss_mib'] - before['peak_rss_mib']) * per:.1f}"
            )
        lines.append(
            f"| {r['size']} | {r['objects']:,} | {r['command']:.2f} | {r['wall']:.2f} | "
            f"{r['load_wall']:.2f} | {r['peak_rss_mib']:.0f} | {growth} |"
        )
    return "\n".join(lines)


def naive_table(rows: list[dict]) -> str:
    plan = next((r for r in rows if "naive_check" in r), None)
    if plan is None:
        return ""
    lines = [
        "| at M | API calls | wall s (from the first call) | calls / plan's | wall / plan's |",
        "|---|---|---|---|---|",
        f"| `pbxconf plan` | {plan['calls']} | {plan['wall']:.2f} | 1 | 1 |",
    ]
    for mode, what in (("check", "query each object"), ("push", "query and update each")):
        naive = plan[f"naive_{mode}"]
        calls = sum(naive["calls"].values())
        lines.append(
            f"| admin script: {what} | {calls:,} | {naive['wall']:.2f} | "
            f"{calls / plan['calls']:.0f}x | {naive['wall'] / plan['wall']:.0f}x |"
        )
    return "\n".join(lines)


def checks(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["calls"] != r["minimum"] and "retries" not in r:
            out.append(f"NOT MET: {r['size']} {r['workload']}: calls equal the minimum")
        if r["workload"].startswith("plan + apply") and r["size"] == "L":
            ratio = r["wall"] / r["bound"]
            out.append(f"{'met' if ratio <= 1.1 else 'NOT MET'}: L apply within 1.1x its bound")
        if "parse" in r:
            ratio = r["floor_ratio"]
            met = "met" if ratio <= 1.3 else "NOT MET"
            out.append(f"{met}: {r['size']} whole plan within 1.3x its floor ({ratio:.2f})")
        if r["size"] == "XL" and r["workload"] == "plan, no change":
            met = "met" if r["command"] < 3 else "NOT MET"
            out.append(f"{met}: XL whole plan under 3 s ({r['command']:.2f})")
            met = "met" if r["peak_rss_mib"] * 2**20 < 400e6 else "NOT MET"
            out.append(f"{met}: XL peak under 400 MB ({r['peak_rss_mib'] * 2**20 / 1e6:.0f})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M,L,XL")
    parser.add_argument("--apply-sizes", default="S,M,L", help="Sizes that also apply/export.")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--write-interval-ms", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--runs", type=int, default=5, help="Runs of each read-only workload (median shown)."
    )
    parser.add_argument(
        "--no-naive", dest="naive", action="store_false", help="Skip the admin script at M."
    )
    parser.add_argument("--json", type=Path, help="Also write the raw results here.")
    args = parser.parse_args()
    args.apply_sizes = set(args.apply_sizes.split(","))
    # pbxconf's modules as an installed package has them, compiled to bytecode: where
    # PYTHONDONTWRITEBYTECODE is set, each run would otherwise compile them again.
    package = Path(pbxconf.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pbxconf-bench-") as work:
        for size in args.sizes.split(","):
            rows += bench_size(size.strip(), args, Path(work))
            print(f"size {size} done", file=sys.stderr)
    print(table(rows, args))
    print()
    print(floor_table(rows))
    print()
    print(scaling_table(rows))
    print()
    print(naive_table(rows))
    print()
    print("\n".join(f"- {line}" for line in checks(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
