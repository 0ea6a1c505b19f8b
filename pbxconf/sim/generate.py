"""Generated PBXes for benchmarks and tests: wire-shaped state, reproducible from a seed.

Sizes (extensions, trunks, inbound routes, outbound routes, IVRs, queues, wake-up calls):
S is the factory PBX; M is 500/50/300/100/20/20/500; L is 2,000/200/1,000/300/100/100/2,000;
XL, five times L, is 10,000/1,000/5,000/1,500/500/500/10,000 (about 28,500 objects).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pbxconf.sim.state import PbxState, default_extension, default_ivr, default_queue


@dataclass(frozen=True)
class Size:
    extensions: int
    trunks: int
    inroutes: int
    outroutes: int
    ivrs: int
    queues: int
    wakeups: int


SIZES = {
    "S": Size(20, 0, 0, 0, 1, 1, 0),
    "M": Size(500, 50, 300, 100, 20, 20, 500),
    "L": Size(2000, 200, 1000, 300, 100, 100, 2000),
    "XL": Size(10000, 1000, 5000, 1500, 500, 500, 10000),
}
FIRST_NAMES = ("Ann", "Bob", "Chen", "Dana", "Eve", "Femi", "Gita", "Hugo", "Ines", "Jon")
TIMES = [f"{h:02d}:{m:02d}" for h in range(5, 10) for m in (0, 15, 30, 45)]


def generate(size: Size, seed: int = 0) -> PbxState:
    rng = random.Random(seed)
    state = PbxState.factory()
    state.extensions.clear()
    state.ivrs.clear()
    state.queues.clear()
    state.extension_capacity = max(50, size.extensions)
    extensions = [str(1000 + i) for i in range(size.extensions)]
    for number in extensions:
        record = default_extension(number)
        record["username"] = f"{rng.choice(FIRST_NAMES)} {number}"
        record["ringtimeout"] = rng.choice(["15", "30", "60"])
        record["dnd"] = rng.choice(["on", "off", "off", "off"])
        state.extensions[number] = record
    ivr_base, queue_base = _number_bases(size)
    ivrs = [str(ivr_base + i) for i in range(size.ivrs)]
    for number in ivrs:
        state.ivrs[number] = default_ivr(number) | {"ivrname": f"menu-{number}"}
    queues = [str(queue_base + i) for i in range(size.queues)]
    for number in queues:
        agents = rng.sample(extensions, min(5, len(extensions)))
        state.queues[number] = default_queue(number) | {
            "queuename": f"queue-{number}",
            "agents": ",".join(agents),
        }
    trunk_names = [f"trunk-{i:03d}" for i in range(size.trunks)]
    for i, name in enumerate(trunk_names, 1):
        kind = rng.choice(["register", "peer", "account"])
        record = {
            "id": str(i),
            "trunkname": name,
            "trunktype": kind,
            "extensionsdod": "",
            "extensionsgroupdod": "",
        }
        if kind in ("register", "peer"):
            record.update(
                host=f"sip{i}.carrier.example", port="5060", domain=f"sip{i}.carrier.example"
            )
        if kind in ("register", "account"):
            record.update(username=f"user{i}", authname=f"user{i}", password=f"pw-{i}-secret")
        if kind == "register":
            record["fromuser"] = ""
        state.trunks[record["id"]] = record
    state.next_ids["trunks"] = len(trunk_names)
    for i in range(1, size.outroutes + 1):
        state.outroutes[str(i)] = {
            "id": str(i),
            "name": f"out-{i:03d}",
            "prefix": f"{i % 10}.",
            "strip": "1",
            "prepend": "",
            "trunks": ",".join(rng.sample(trunk_names, min(2, len(trunk_names)))),
            "extensions": ",".join(sorted(rng.sample(extensions, min(20, len(extensions))))),
            "extensionsgroup": "",
        }
    state.next_ids["outroutes"] = size.outroutes
    targets = (
        [("extension", e) for e in extensions[:50]]
        + [("ivr", n) for n in ivrs]
        + [("queue", n) for n in queues]
    )
    for i in range(1, size.inroutes + 1):
        desttype, dest = rng.choice(targets)
        state.inroutes[str(i)] = {
            "id": str(i),
            "name": f"in-{i:04d}",
            "did": f"555{i:04d}",
            "caller_id": "",
            "trunks": ",".join(rng.sample(trunk_names, min(1, len(trunk_names)))),
            "desttype": desttype,
            "dest": dest,
        }
    state.next_ids["inroutes"] = size.inroutes
    wakeup_id = 0
    pairs = rng.sample(
        [(e, t) for e in extensions for t in TIMES[:4]], min(size.wakeups, len(extensions) * 4)
    )
    for ext, time in sorted(pairs):
        wakeup_id += 1
        state.wakeups.setdefault(ext, []).append(
            {
                "wakeupid": str(wakeup_id),
                "time": time,
                "type": "everyday",
                "prompt": "macroform-cold_day",
                "repeats": rng.choice(["1", "2", "3"]),
                "repeatinterval": "5",
            }
        )
    state.next_ids["wakeups"] = wakeup_id
    return state


def _number_bases(size: Size) -> tuple[int, int]:
    """The first IVR and queue numbers: 6500 and 6700, as on a factory PBX, unless the
    extensions or the IVRs would reach them; then above the extensions (20000 and 21000
    for XL), as a PBX's numbering plan keeps them apart."""
    if 1000 + size.extensions <= 6500 and size.ivrs <= 200:
        return 6500, 6700
    ivr = 2 * 10 ** (len(str(1000 + size.extensions)) - 1)
    return ivr, ivr + 10 ** len(str(size.ivrs))
