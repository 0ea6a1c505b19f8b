"""The alternative to pbxconf: an admin script as people write one today.

    python benchmarks/naive.py check|push MANIFESTS URL WRITE_INTERVAL

For each object the manifests declare, one after the other: one query for that object
(by its number or name), and, in `push` mode, one update with every declared field, the
PBX's own id taken from the answer. `check` queries only (the script of someone who
would update what differs: with nothing to change, it updates nothing). Writes are
spaced as pbxconf spaces them, so the PBX refuses none.

It uses pbxconf's client (login, token) and codec (the update bodies), so that what is
measured is the shape of the calls, not a second HTTP stack. Prints one JSON line: the
API calls by endpoint and the wall seconds from the first call to the last answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from pbxconf import manifest
from pbxconf.api import ClientSettings, PbxClient
from pbxconf.kinds import KINDS
from pbxconf.kinds.base import declared
from pbxconf.live import read_records
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME


async def run(mode: str, manifests: str, url: str, write_interval: float) -> dict[str, Any]:
    desired = manifest.load([manifests], env={})
    settings = ClientSettings(write_interval=write_interval, timeout=120)
    started = time.perf_counter()
    async with PbxClient(url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=settings) as pbx:
        for kind_name, key, want in desired.state.items():
            kind = KINDS[kind_name]
            records = await read_records(pbx, kind, [key[0]])  # this object, or its group
            if mode != "push":
                continue
            record = next(r for r in records if kind.identity_of(r) == key)
            live = kind.decode(record)
            merged = kind.merge(live, want)
            call = kind.update_call(key, kind.wire_id(record), live, merged, declared(want))
            await pbx.call(call.endpoint, call.body, write=True)
    return {"calls": dict(pbx.calls), "wall": time.perf_counter() - started}


if __name__ == "__main__":
    mode, manifests, url, interval = sys.argv[1:5]
    print(json.dumps(asyncio.run(run(mode, manifests, url, float(interval)))))
