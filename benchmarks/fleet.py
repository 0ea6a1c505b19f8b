"""The fleet benchmark: `pbxconf plan --all` over many simulated S-size PBXes.

    python benchmarks/fleet.py [--pbxes 100,1000] [--parallel 16,32,64] [--processes 1,2]
                               [--latency-ms 20] [--changed-every 10] [--runs 3]

It writes a fleet in a temporary directory: a shared base (the export of a factory
PBX: 20 extensions, an IVR, a queue), one overlay per PBX (its front desk's name, which
every `--changed-every`-th PBX changes), and an inventory of them all. One simulator
process serves every PBX at its own URL (`pbxconf sim serve --fleet N`, 20 ms latency
on each answer). Then `pbxconf plan --all` runs as a person would run it, in a fresh
process (`--runs` times, the median shown), and the script prints a Markdown table:
wall seconds of the whole command, PBXes per second, the command's CPU seconds and the
simulator's over the run, the API calls the simulator received, and the command's peak
memory. Peak memory at two fleet sizes shows whether it grows with the fleet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from pbxconf.api import PbxClient
from pbxconf.export import export_state
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator

PBXCONF = [sys.executable, "-m", "pbxconf"]


async def write_base(folder: Path) -> None:
    """The base: a factory PBX's export (no secrets: they are not what is measured)."""
    sim = Simulator()
    async with PbxClient(
        "http://sim", DEFAULT_USERNAME, DEFAULT_PASSWORD, transport=sim.transport()
    ) as pbx:
        device = await pbx.device_info()
        live = await read_live(pbx)
    result = export_state(live, device, list(KINDS), "redact", split=True)
    folder.mkdir(parents=True)
    for name, text in result.files.items():
        (folder / name).write_text(text, encoding="utf-8")


def write_fleet(root: Path, count: int, url: str, changed_every: int) -> Path:
    asyncio.run(write_base(root / "base"))
    lines = [
        "version: 1",
        "defaults: {username: api, password_env: PBX_API_PASSWORD}",
        "pbxes:",
    ]
    for index in range(1, count + 1):
        name = f"{index:04d}"
        site = root / "sites" / name
        site.mkdir(parents=True)
        front = f"Front desk {name}" if index % changed_every == 0 else "Extension 1000"
        (site / "pbx.yaml").write_text(
            f'version: 1\nextensions:\n  - {{number: 1000, name: "{front}"}}\n', encoding="utf-8"
        )
        lines.append(
            f'  - {{name: pbx-{name}, url: "{url}/pbx/{name}", labels: {{group: g{index % 10}}},'
            f" manifests: [base, sites/{name}]}}"
        )
    inventory = root / "pbxconf.yaml"
    inventory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return inventory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_simulator(count: int, port: int, latency_ms: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            *PBXCONF,
            "sim",
            "serve",
            "--fleet",
            str(count),
            "--port",
            str(port),
            "--no-events",
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()  # the banner: it listens
    return process


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_plan(inventory: Path, parallel: int, processes: int = 1) -> dict[str, Any]:
    env = {**os.environ, "PBX_API_PASSWORD": DEFAULT_PASSWORD}
    argv = [*PBXCONF, "-q", "plan", "--all", "--inventory", str(inventory)]
    argv += ["--parallel", str(parallel), "--processes", str(processes), "--detailed-exitcode"]
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        process = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.PIPE, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"pbxconf plan failed ({code}): {process.stderr.read()[-2000:]}")
    return {
        "wall": wall,
        # The command's CPU, its worker processes' (--processes) included: Linux counts
        # the children a process waited for in its own usage.
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "exit": code,
    }


def measure(
    count: int,
    setups: list[tuple[int, int]],
    latency_ms: int,
    changed_every: int,
    runs: int,
) -> list[dict[str, Any]]:
    """Each (parallel, processes) setup `runs` times against one simulator of `count`."""
    root = Path(tempfile.mkdtemp(prefix="pbxconf-fleet-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    inventory = write_fleet(root, count, url, changed_every)
    simulator = start_simulator(count, port, latency_ms)
    rows = []
    try:
        run_plan(inventory, max(p for p, _ in setups))  # the simulator makes its PBXes
        for parallel, processes in setups:
            results = []
            for _ in range(runs):
                calls_before = httpx.get(f"{url}/admin/fleet").json()["calls"]
                sim_cpu = cpu_seconds(simulator.pid)
                result = run_plan(inventory, parallel, processes)
                result["sim_cpu"] = cpu_seconds(simulator.pid) - sim_cpu
                calls_after = httpx.get(f"{url}/admin/fleet").json()["calls"]
                result["calls"] = sum(calls_after.values()) - sum(calls_before.values())
                results.append(result)
            middle = sorted(results, key=lambda r: r["wall"])[len(results) // 2]
            middle["walls"] = [r["wall"] for r in results]
            middle.update(pbxes=count, parallel=parallel, processes=processes)
            rows.append(middle)
            print(json.dumps(middle), file=sys.stderr)
    finally:
        simulator.terminate()
        simulator.wait()
        shutil.rmtree(root, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pbxes", default="100,1000")
    parser.add_argument("--parallel", default="16,32,64")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--changed-every", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    parallels = [int(p) for p in args.parallel.split(",")]
    processes = [int(p) for p in args.processes.split(",")]
    # Every --parallel with one process, and the default --parallel with more.
    setups = [(p, 1) for p in parallels] + [(32, n) for n in processes if n > 1]
    rows = []
    for count in (int(n) for n in args.pbxes.split(",")):
        rows += measure(count, setups, args.latency_ms, args.changed_every, args.runs)
    print(
        f"S-size PBXes (20 extensions), one simulator process for all, latency "
        f"{args.latency_ms} ms; `pbxconf plan --all`, the whole command, median of "
        f"{args.runs} runs\n"
    )
    print(
        "| PBXes | --parallel | --processes | wall s | runs s | PBXes/s | pbxconf CPU s "
        "| simulator CPU s | calls | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        spread = "-".join(f"{w:.1f}" for w in (min(r["walls"]), max(r["walls"])))
        print(
            f"| {r['pbxes']:,} | {r['parallel']} | {r['processes']} | {r['wall']:.1f} | "
            f"{spread} | {r['pbxes'] / r['wall']:.0f} | {r['cpu']:.1f} | {r['sim_cpu']:.1f} "
            f"| {r['calls']:,} | {r['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
