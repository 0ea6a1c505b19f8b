"""The session kept open: refreshed while idle, backed off while the PBX is away, a
wrong password never repeated."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pbxconf.api import LoginFailed, PbxClient
from pbxconf.sim import DEFAULT_USERNAME, Simulator
from pbxconf.watch.events import WatchEvent
from pbxconf.watch.metrics import WatchMetrics
from pbxconf.watch.session import SessionKeeper, Stopped
from tests.conftest import fast_settings

pytestmark = pytest.mark.anyio


def keeper_for(client: PbxClient, events: list[WatchEvent], stop: asyncio.Event) -> SessionKeeper:
    return SessionKeeper(
        client, events.append, WatchMetrics(), stop, backoff_base=0.01, backoff_max=0.02, poll=0.01
    )


async def test_the_token_is_refreshed_while_nothing_is_called() -> None:
    sim = Simulator()
    now = [0.0]
    client = PbxClient(
        "http://sim",
        DEFAULT_USERNAME,
        "pbxconf-sim",
        transport=sim.transport(),
        settings=fast_settings(),
        clock=lambda: now[0],
    )
    stop = asyncio.Event()
    events: list[WatchEvent] = []
    keeper = keeper_for(client, events, stop)
    async with client:
        task = asyncio.create_task(keeper.keep_alive())
        await asyncio.sleep(0.05)
        assert client.calls.get("token/refresh", 0) == 0
        now[0] = 26 * 60  # past the refresh margin (5 minutes before the 30 are up)
        for _ in range(200):
            if client.calls.get("token/refresh"):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task
    assert client.calls["token/refresh"] == 1
    assert client.calls["login"] == 1  # the same session: the registration stands


async def test_an_unreachable_pbx_is_backed_off_and_said_once() -> None:
    sim = Simulator()
    failures = [3]

    class Flaky(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if failures[0] > 0:
                failures[0] -= 1
                raise httpx.ConnectError("refused")
            return await sim.transport().handle_async_request(request)

    settings = fast_settings(transport_retries=0)
    client = PbxClient(
        "http://sim", DEFAULT_USERNAME, "pbxconf-sim", transport=Flaky(), settings=settings
    )
    events: list[WatchEvent] = []
    keeper = keeper_for(client, events, asyncio.Event())
    device = await keeper.guard(client.device_info)
    await client.close()
    assert device["sn"] == "SIM0000000000001"
    assert [(e.event, e.extra["state"]) for e in events] == [
        ("session", "unreachable"),
        ("session", "active"),
    ]
    assert keeper.outages == 1


async def test_a_wrong_password_is_never_repeated() -> None:
    sim = Simulator()
    client = PbxClient(
        "http://sim", DEFAULT_USERNAME, "wrong", transport=sim.transport(), settings=fast_settings()
    )
    keeper = keeper_for(client, [], asyncio.Event())
    with pytest.raises(LoginFailed):
        await keeper.guard(client.device_info)
    await client.close()
    assert [c.endpoint for c in sim.calls] == ["login"]


async def test_stopping_ends_the_backoff() -> None:
    client = PbxClient(
        "http://127.0.0.1:9", DEFAULT_USERNAME, "x", settings=fast_settings(transport_retries=0)
    )
    stop = asyncio.Event()
    keeper = SessionKeeper(client, [].append, WatchMetrics(), stop, backoff_base=30)
    task = asyncio.create_task(keeper.guard(client.device_info))
    await asyncio.sleep(0.2)
    stop.set()
    with pytest.raises(Stopped):
        await task
    await client.close()
