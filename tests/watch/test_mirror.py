"""Re-reading what a report names: one call, laid over the last full read; a name the API
reads as a selector is never sent."""

from __future__ import annotations

import pytest

from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.sim import Simulator
from pbxconf.watch.mirror import Mirror
from tests.conftest import sim_client

pytestmark = pytest.mark.anyio

PEER = {"trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}


async def test_a_reread_is_one_call_and_replaces_what_it_names() -> None:
    sim = Simulator()
    sim.state.admin_put("trunk", {"trunkname": "a", **PEER})
    sim.state.admin_put("trunk", {"trunkname": "b", **PEER})
    async with sim_client(sim) as pbx:
        mirror = Mirror(await read_live(pbx))
        sim.state.admin_delete("trunk", "a")
        sim.state.admin_put("trunk", {"trunkname": "b", **PEER, "host": "moved"})
        before = dict(pbx.calls)
        read = await mirror.reread(pbx, KINDS["trunk"], {"a", "b"})
        assert read == {"a", "b"}
        assert pbx.calls["siptrunk/query"] - before["siptrunk/query"] == 1
    trunks = mirror.state.objects["trunk"]
    assert list(trunks) == [("b",)] and trunks[("b",)].host == "moved"
    assert [c for c in sim.calls if c.endpoint == "siptrunk/query"][-1].status == "Success"


@pytest.mark.parametrize("name", ["all", "a,b", "ALL"])
async def test_a_name_the_api_reads_as_a_selector_rereads_the_kind_whole(name: str) -> None:
    sim = Simulator()
    sim.state.admin_put("trunk", {"trunkname": "a", **PEER})
    async with sim_client(sim) as pbx:
        mirror = Mirror(await read_live(pbx))
        sim.state.admin_put("trunk", {"trunkname": name, **PEER})
        sim.calls.clear()
        assert await mirror.reread(pbx, KINDS["trunk"], {name}) is None  # read whole
    (query,) = [c for c in sim.calls if c.endpoint == "siptrunk/query"]
    assert query.status == "Success"
    assert set(mirror.state.objects["trunk"]) == {("a",), (name,)}
