"""`pbxconf sim serve --fleet N`: many PBXes in one process, each its own."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pbxconf.api import PbxClient
from pbxconf.live import read_live
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME
from pbxconf.sim.fleet import SimFleet
from tests.conftest import fast_settings


def client(fleet: SimFleet, name: str) -> PbxClient:
    return PbxClient(
        f"http://sims/pbx/{name}",
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        transport=httpx.ASGITransport(app=fleet),
        settings=fast_settings(),
    )


def test_each_pbx_is_its_own() -> None:
    fleet = SimFleet(3)

    async def run() -> list[object]:
        async with client(fleet, "0001") as one, client(fleet, "0003") as three:
            body = {"extid": "1000", "username": "Changed"}
            await one.call("extension/update", body, write=True)
            return [
                (await one.device_info())["sn"],
                (await three.device_info())["sn"],
                (await read_live(one)).objects["extension"][("1000",)].name,
                (await read_live(three)).objects["extension"][("1000",)].name,
            ]

    sn_one, sn_three, name_one, name_three = asyncio.run(run())
    assert (sn_one, sn_three) == ("SIMFLEET00000001", "SIMFLEET00000003")
    assert name_one == "Changed" and name_three != "Changed"
    counts = fleet.calls()
    assert counts["login"] == 2 and counts["extension/update"] == 1


@pytest.mark.parametrize("path", ["/pbx/0004/api/v1.1.0/login", "/pbx/1/api/v1.1.0/login", "/x"])
def test_no_pbx_there(path: str) -> None:
    fleet = SimFleet(3)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fleet)) as http:
            return await http.post(f"http://sims{path}", json={})

    answer = asyncio.run(run())
    assert answer.status_code == 404
    assert answer.json() == {"error": "no PBX here: PBXes are /pbx/0001 to /pbx/0003"}


def test_admin_fleet_counts_calls() -> None:
    fleet = SimFleet(2)

    async def run() -> dict[str, object]:
        async with client(fleet, "0002"):
            pass
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fleet)) as http:
            return (await http.get("http://sims/admin/fleet")).json()  # type: ignore[no-any-return]

    assert asyncio.run(run()) == {"pbxes": 2, "called": 1, "calls": {"login": 1, "logout": 1}}
