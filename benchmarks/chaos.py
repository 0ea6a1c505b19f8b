"""A large chaos run: a seeded random schedule of faults over a large apply, repeated until
it converges. Checks no object is created twice and no unmanaged object is touched.

    python benchmarks/chaos.py [--size M] [--seed 1] [--faults-per-run 12] [--max-runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pbxconf import manifest
from pbxconf.api import ClientSettings, PbxClient, PbxError
from pbxconf.apply import execute
from pbxconf.export import export_state
from pbxconf.kinds import KINDS
from pbxconf.live import LiveReadError, read_live
from pbxconf.plan import PlanOptions, make_plan
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.chaos import schedule
from pbxconf.sim.generate import SIZES, generate
from pbxconf.sim.server import ThreadedServer

TIMEOUT = 0.5


async def desired_manifests(source: Simulator, folder: Path) -> manifest.Desired:
    async with PbxClient(
        "http://sim", DEFAULT_USERNAME, DEFAULT_PASSWORD, transport=source.transport()
    ) as pbx:
        device, live = await pbx.device_info(), await read_live(pbx)
    export = export_state(live, device, list(KINDS), "inline", split=False)
    (folder / "pbx.yaml").write_text(export.files["pbx.yaml"])
    return manifest.load([folder], env={})


async def chaos(size: str, seed: int, faults: int, max_runs: int) -> int:
    source = Simulator(state=generate(SIZES[size], seed=seed))
    target = Simulator()
    target.state.extension_capacity = len(source.state.extensions) + 10
    for number in source.state.extensions:
        target.state.admin_put("extension", {"extnumber": number})
    for number in source.state.ivrs:
        target.state.admin_put("ivr", {"ivrnumber": number})
    for number in source.state.queues:
        target.state.admin_put("queue", {"queuenumber": number})
    target.state.admin_put(
        "trunk",
        {
            "trunkname": "unmanaged-peer",
            "trunktype": "peer",
            "host": "h",
            "port": "5060",
            "domain": "d",
        },
    )
    untouched = copy.deepcopy(target.state.trunk_by_name("unmanaged-peer"))
    with tempfile.TemporaryDirectory() as work:
        desired = await desired_manifests(source, Path(work))
    rng = random.Random(seed)
    options = PlanOptions(force=True)
    server = ThreadedServer(target).start()
    started = time.perf_counter()
    try:
        for run in range(1, max_runs + 1):
            httpx.delete(server.url + "/admin/faults")
            if run < max_runs:
                for rule in schedule(rng, faults, timeout_ms=int(TIMEOUT * 1000)):
                    httpx.post(server.url + "/admin/faults", json=rule)
            try:
                async with PbxClient(
                    server.url,
                    DEFAULT_USERNAME,
                    DEFAULT_PASSWORD,
                    settings=ClientSettings(write_interval=0, timeout=TIMEOUT, backoff_base=0.05),
                ) as pbx:
                    plan = make_plan(desired, await read_live(pbx), options)
                    print(f"run {run}: {len(plan.changes)} changes", file=sys.stderr)
                    if not plan.changes:
                        break
                    result = await execute(pbx, plan, desired, options)
                    print(
                        f"  {len(result.done)} calls done"
                        + (f"; stopped: {result.failed[2]}" if result.failed else ""),
                        file=sys.stderr,
                    )
            except (PbxError, LiveReadError) as err:
                print(f"  run stopped by a fault: {err}", file=sys.stderr)
        else:
            raise SystemExit(f"no convergence in {max_runs} runs")
    finally:
        server.stop()
    names = [t["trunkname"] for t in target.state.trunks.values()]
    assert len(names) == len(set(names)) == len(source.state.trunks) + 1, "a duplicate trunk"
    routes = [r["name"] for r in target.state.inroutes.values()]
    assert len(routes) == len(set(routes)) == len(source.state.inroutes), "a duplicate route"
    assert target.state.trunk_by_name("unmanaged-peer") == untouched, "unmanaged changed"
    faults_fired = sum(1 for c in target.calls if c.fault or c.errno)
    print(
        f"size {size}, seed {seed}: converged in {run} run(s), {len(target.calls)} API calls "
        f"({faults_fired} faulted), {time.perf_counter() - started:.1f} s; no duplicates, "
        "unmanaged objects untouched"
    )
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults-per-run", type=int, default=12)
    parser.add_argument("--max-runs", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(chaos(args.size, args.seed, args.faults_per_run, args.max_runs))


if __name__ == "__main__":
    main()
