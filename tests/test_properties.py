"""Property: for generated valid manifests on a generated PBX, apply converges: a plan
afterwards shows no changes, and a second apply makes no call."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbxconf.apply import run_steps
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.manifest import Desired
from pbxconf.plan import PlanOptions, make_plan
from pbxconf.sim import Simulator
from pbxconf.sim.chaos import READS
from tests.conftest import sim_client

EXTENSIONS = [str(n) for n in range(1000, 1020)]
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8)


@st.composite
def manifests(draw: st.DrawFn) -> Desired:
    desired = Desired()
    desired.external = {
        "extension": {(e,) for e in EXTENSIONS},
        "ivr": {("6500",)},
        "queue": {("6700",)},
    }
    add = desired.state.add
    for number in draw(st.lists(st.sampled_from(EXTENSIONS), max_size=5, unique=True)):
        data: dict[str, Any] = {"number": number}
        if draw(st.booleans()):
            data["name"] = draw(NAMES)
        if draw(st.booleans()):
            data["ring_timeout"] = draw(st.sampled_from([15, 30, 60, 120, 300]))
        if draw(st.booleans()):
            data["dnd"] = draw(st.booleans())
        if draw(st.booleans()):
            data["no_answer_forward"] = {"enabled": draw(st.booleans()), "to": "voicemail"}
        add("extension", KINDS["extension"].validate(data))
    trunks = draw(st.lists(st.sampled_from(["t1", "t2", "t3", "t4"]), max_size=3, unique=True))
    for name in trunks:
        if draw(st.booleans()):
            data = {
                "name": name,
                "type": "peer",
                "host": draw(NAMES),
                "port": 5060,
                "domain": "example.net",
            }
        else:
            data = {
                "name": name,
                "type": "register",
                "host": "sip.example",
                "port": 5060,
                "domain": "sip.example",
                "username": draw(NAMES),
                "auth_name": "a",
                "password": draw(NAMES),
            }
        add("trunk", KINDS["trunk"].validate(data))
    if trunks:
        for name in draw(st.lists(st.sampled_from(["o1", "o2"]), max_size=2, unique=True)):
            add(
                "outbound_route",
                KINDS["outbound_route"].validate(
                    {
                        "name": name,
                        "pattern": draw(st.sampled_from(["9.", "0X.", "911"])),
                        "trunks": draw(st.permutations(trunks)),
                        "extensions": draw(st.lists(st.sampled_from(EXTENSIONS), max_size=4)),
                    }
                ),
            )
        for name in draw(st.lists(st.sampled_from(["i1", "i2"]), max_size=2, unique=True)):
            destination = draw(
                st.sampled_from(
                    [
                        {"type": "ivr", "target": "6500"},
                        {"type": "queue", "target": "6700"},
                        {"type": "hangup"},
                        {"type": "extension", "target": "1003"},
                    ]
                )
            )
            add(
                "inbound_route",
                KINDS["inbound_route"].validate(
                    {
                        "name": name,
                        "trunks": draw(st.lists(st.sampled_from(trunks), min_size=1)),
                        "did": draw(st.sampled_from(["", "5550100"])),
                        "destination": destination,
                    }
                ),
            )
    alarms = draw(
        st.lists(
            st.tuples(
                st.sampled_from(EXTENSIONS[:6]), st.sampled_from(["06:00", "06:30", "07:00"])
            ),
            max_size=6,
            unique=True,
        )
    )
    for extension, time in alarms:
        add(
            "wakeup_call",
            KINDS["wakeup_call"].validate(
                {
                    "extension": extension,
                    "time": time,
                    "type": draw(st.sampled_from(["once", "everyday"])),
                    "repeats": draw(st.sampled_from([1, 2, 3])),
                }
            ),
        )
    if draw(st.booleans()):
        add(
            "queue",
            KINDS["queue"].validate(
                {
                    "number": "6700",
                    "agents": draw(st.lists(st.sampled_from(EXTENSIONS), max_size=3)),
                    "ring_strategy": draw(st.sampled_from(["ring-all", "linear"])),
                }
            ),
        )
    return desired


async def _apply(sim: Simulator, desired: Desired) -> int:
    """Plan and apply with pruning; return the number of calls made."""
    options = PlanOptions(prune=True, force=True)
    async with sim_client(sim) as pbx:
        plan = make_plan(desired, await read_live(pbx), options)
        assert not plan.errors, plan.errors
        result = await run_steps(pbx, plan)
        assert result.failed is None, result.failed
        return len(result.done)


async def _remaining(sim: Simulator, desired: Desired) -> list[str]:
    async with sim_client(sim) as pbx:
        plan = make_plan(desired, await read_live(pbx), PlanOptions(prune=True, force=True))
        return [f"{c.action} {c.label} {[f.field for f in c.fields]}" for c in plan.changes]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=manifests(), after=manifests())
def test_apply_converges_and_a_second_apply_makes_no_call(before: Desired, after: Desired) -> None:
    sim = Simulator()
    asyncio.run(_apply(sim, before))  # a generated PBX
    asyncio.run(_apply(sim, after))
    assert asyncio.run(_remaining(sim, after)) == []
    writes_before = sum(1 for c in sim.calls if c.endpoint not in _READS)
    assert asyncio.run(_apply(sim, after)) == 0
    assert sum(1 for c in sim.calls if c.endpoint not in _READS) == writes_before
    names = [t["trunkname"] for t in sim.state.trunks.values()]
    assert len(names) == len(set(names))  # nothing created twice


_READS = {"login", "logout", "token/refresh", *READS}
