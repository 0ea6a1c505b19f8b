"""The API calls pbxconf makes are the fewest the API allows (counts, never times)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest

from pbxconf import manifest
from pbxconf.api import PbxError
from pbxconf.apply import execute
from pbxconf.export import export_state
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.plan import PlanOptions, make_plan
from pbxconf.sim import Simulator
from pbxconf.sim.generate import Size, generate
from pbxconf.sim.routes import API_ENDPOINTS
from tests.conftest import sim_client

SIZE = Size(extensions=120, trunks=12, inroutes=40, outroutes=15, ivrs=5, queues=5, wakeups=150)
READS = {
    "extensionlist/query": 1,
    "extension/query": 1,
    "siptrunk/query": 1,
    "inroute/query": 1,
    "outroute/query": 1,
    "ivr/query": 1,
    "queue/query": 1,
    "wakeupcall/query": 1,
}


def desired_for(sim: Simulator, tmp_path: Path) -> manifest.Desired:
    async def run() -> Any:
        async with sim_client(sim) as pbx:
            return await pbx.device_info(), await read_live(pbx)

    device, live = asyncio.run(run())
    export = export_state(live, device, list(KINDS), "inline", split=False)
    (tmp_path / "pbx.yaml").write_text(export.files["pbx.yaml"])
    return manifest.load([tmp_path / "pbx.yaml"], env={})


def test_plan_with_nothing_to_do_reads_each_kind_once(tmp_path: Path) -> None:
    sim = Simulator(state=generate(SIZE, seed=5))
    desired = desired_for(sim, tmp_path)
    sim.calls.clear()

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            return make_plan(desired, await read_live(pbx), PlanOptions())

    plan = asyncio.run(run())
    assert plan.changes == []
    assert sim.call_counts() == {"login": 1, **READS, "logout": 1}


def test_apply_makes_one_call_per_change_and_rereads_what_it_touched(tmp_path: Path) -> None:
    sim = Simulator(state=generate(SIZE, seed=5))
    desired = desired_for(sim, tmp_path)
    for number in ("1000", "1001", "1002"):
        ext = desired.state.objects["extension"][(number,)]
        desired.state.objects["extension"][(number,)] = ext.model_copy(update={"dnd": not ext.dnd})
    trunk_key = next(iter(desired.state.objects["trunk"]))
    trunk = desired.state.objects["trunk"][trunk_key]
    desired.state.objects["trunk"][trunk_key] = trunk.model_copy(update={"port": 5099})
    sim.calls.clear()

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            plan = make_plan(desired, await read_live(pbx), PlanOptions())
            return await execute(pbx, plan, desired, PlanOptions())

    result = asyncio.run(run())
    assert result.ok
    assert sim.call_counts() == {
        "login": 1,
        **READS,
        "extension/update": 3,
        "siptrunk/update": 1,
        "logout": 1,
        # the re-read after apply: only the kinds touched
        "extensionlist/query": 2,
        "extension/query": 2,
        "siptrunk/query": 2,
    }


def test_identical_wakeups_for_many_rooms_are_one_call(tmp_path: Path) -> None:
    sim = Simulator()
    (tmp_path / "pbx.yaml").write_text(
        "version: 1\nexternal: {extensions: ['1000-1019']}\nwakeup_calls:\n"
        + "".join(
            f"  - {{extension: {n}, time: '06:30', type: everyday, repeats: 2}}\n"
            for n in range(1000, 1020)
        )
        + "  - {extension: 1000, time: '07:00', type: once}\n"
    )
    desired = manifest.load([tmp_path], env={})

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            plan = make_plan(desired, await read_live(pbx), PlanOptions())
            return await execute(pbx, plan, desired, PlanOptions())

    assert asyncio.run(run()).ok
    assert sim.call_counts()["wakeupcall/create"] == 2


def test_wakeup_query_falls_back_per_extension(caplog: pytest.LogCaptureFixture) -> None:
    sim = Simulator(state=generate(Size(10, 0, 0, 0, 1, 1, 12), seed=2))
    sim.settings.single_extension_wakeup_query = True
    caplog.set_level(logging.DEBUG, logger="pbxconf.live")

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            return await read_live(pbx)

    live = asyncio.run(run())
    assert len(live.objects["wakeup_call"]) == 12
    assert sim.call_counts()["wakeupcall/query"] == 1 + 10
    assert "wakeupcall/query answered 1 of 10 extensions; querying one at a time" in caplog.text


def test_extensions_are_listed_then_asked_for_500_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each extension answers every outbound route it is not in: asked for all at once, a
    10,000-extension PBX answered 134 MB. Listed first, then in slices, in the PBX's
    order."""
    sim = Simulator(state=generate(Size(1200, 0, 0, 3, 1, 1, 30), seed=4))
    asked: list[int] = []
    route = API_ENDPOINTS["extension/query"]

    def counted(sim_: Simulator, body: dict[str, Any]) -> dict[str, Any]:
        asked.append(len(str(body["extid"]).split(",")))
        return route.handler(sim_, body)

    monkeypatch.setitem(
        API_ENDPOINTS, "extension/query", dataclasses.replace(route, handler=counted)
    )

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            return await read_live(pbx)

    live = asyncio.run(run())
    assert asked == [500, 500, 200]
    assert sim.call_counts()["extensionlist/query"] == 1
    assert list(live.objects["extension"]) == [(n,) for n in sim.state.extensions]
    assert len(live.objects["wakeup_call"]) == 30


def test_no_answer_is_larger_than_a_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap on an answer (64 MiB) stays; slices keep each extension answer under it.
    Here the cap is 1 MiB: all 1,000 extensions answer 1.6 MB, 500 of them 0.8 MB."""
    from pbxconf.api import client as client_module

    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1024 * 1024)
    sim = Simulator(state=generate(Size(1000, 2, 0, 100, 1, 1, 0), seed=4))

    async def everything() -> Any:
        async with sim_client(sim) as pbx:
            return await pbx.call("extension/query", {}, write=False)

    with pytest.raises(PbxError, match="the answer is larger than 1 MiB; refused"):
        asyncio.run(everything())  # all at once: refused

    async def read() -> Any:
        async with sim_client(sim) as pbx:
            return await read_live(pbx)

    assert len(asyncio.run(read()).objects["extension"]) == 1000
