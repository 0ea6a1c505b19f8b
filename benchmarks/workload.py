"""One benchmark workload, run in a fresh process so its peak memory is its own.

    python benchmarks/workload.py plan|planner|apply|export|calls MANIFESTS URL WRITE_INTERVAL

Prints one JSON line: the seconds to load the manifests (before anything is timed);
then, from the first call to the PBX to the last answer, wall and CPU seconds; the
planner's CPU seconds (planner, apply and export); the API calls the client made (by
endpoint); and the process's peak RSS in MiB.

`calls` makes a plan's calls and nothing else (see `calls_only`): the floor under the plan.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

from pbxconf import bulk, manifest
from pbxconf.api import ClientSettings, PbxClient
from pbxconf.apply import execute
from pbxconf.export import export_state
from pbxconf.kinds import KINDS
from pbxconf.live import list_identities, read_live, read_records, slices
from pbxconf.plan import PlanOptions, make_plan
from pbxconf.session import plan_and_log_out
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME


async def run(action: str, manifests: str, url: str, write_interval: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    load_wall, load_cpu = time.perf_counter(), time.process_time()
    desired = manifest.load([manifests], env={}) if action not in ("export", "calls") else None
    out["load_wall"] = time.perf_counter() - load_wall
    out["load_cpu"] = time.process_time() - load_cpu
    settings = ClientSettings(write_interval=write_interval, timeout=120)
    wall, cpu = time.perf_counter(), time.process_time()
    async with PbxClient(url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=settings) as pbx:
        if action == "calls":
            await calls_only(pbx)
        elif action == "export":
            device = await pbx.device_info()
            live = await read_live(pbx)
            planner = time.process_time()
            text = export_state(live, device, list(KINDS), "inline", split=False)
            out["planner_cpu"] = time.process_time() - planner
            out["objects"] = sum(text.counts.values())
        else:
            assert desired is not None
            options = PlanOptions(force=True)
            if action == "plan":  # as `pbxconf plan` does it: logs out while it plans
                plan, _live = await plan_and_log_out(pbx, desired, options)
            else:  # "planner" times the planner alone; "apply" plans, then applies
                live = await read_live(pbx)
                planner = time.process_time()
                plan = make_plan(desired, live, options)
                out["planner_cpu"] = time.process_time() - planner
            out["changes"] = len(plan.changes)
            out["writes_planned"] = len(plan.calls)
            out["touched_kinds"] = sorted({c.kind for c in plan.changes})
            if action == "apply":
                result = await execute(pbx, plan, desired, options)
                assert result.ok, result.failed
    out["wall"] = time.perf_counter() - wall
    out["cpu"] = time.process_time() - cpu
    out["calls"] = dict(pbx.calls)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


async def calls_only(pbx: PbxClient) -> None:
    """A plan's calls and nothing else: the same queries, in flight together, in the
    plan's order (a listed kind's listing first; its slices, and the wake-up query, once
    the listing is in), the logout (on leaving the client) once every answer is. Answers
    are received and parsed, as any client must, and nothing is decoded or planned: no
    client of the same PBX and HTTP stack can read it faster."""
    dependents = [kind for kind in KINDS.values() if kind.query.after]
    listed = [kind for kind in KINDS.values() if kind.query.listed_by]
    listings = [asyncio.ensure_future(list_identities(pbx, kind)) for kind in listed]
    whole = [
        asyncio.ensure_future(read_records(pbx, kind))
        for kind in KINDS.values()
        if not kind.query.after and not kind.query.listed_by
    ]
    for kind, listing in zip(listed, listings, strict=True):
        keys = await listing
        parts = [read_records(pbx, kind, part) for part in slices(kind, keys)]
        parts += [read_records(pbx, d, keys) for d in dependents if d.query.after == kind.name]
        await asyncio.gather(*parts)
    await asyncio.gather(*whole)


if __name__ == "__main__":
    bulk.freeze_after_phases()  # as the pbxconf command does
    action, manifests, url, interval = sys.argv[1:5]
    print(json.dumps(asyncio.run(run(action, manifests, url, float(interval)))))
