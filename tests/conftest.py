"""Shared fixtures: the simulator over TCP, and clients logged in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from pbxconf.api import ClientSettings, PbxClient
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.server import ThreadedServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sim() -> Simulator:
    return Simulator()


@pytest.fixture
def server(sim: Simulator) -> Iterator[ThreadedServer]:
    running = ThreadedServer(sim).start()
    yield running
    running.stop()


def fast_settings(**overrides: float) -> ClientSettings:
    """Client settings for tests: no write spacing, short backoff."""
    settings = ClientSettings(write_interval=0.0, backoff_base=0.01, backoff_max=0.05, timeout=5)
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture(autouse=True)
def unspaced_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that write (apply, watch) space their writes as a PBX needs: not a test's
    simulator. Through the environment, as CI would set it."""
    monkeypatch.setenv("PBXCONF_WRITE_INTERVAL", "0")


def connect_args(server: ThreadedServer) -> list[str]:
    """CLI options that reach a simulator over TCP."""
    return ["--url", server.url, "--username", DEFAULT_USERNAME, "--password", DEFAULT_PASSWORD]


def sim_client(sim: Simulator) -> PbxClient:
    """A client of an in-process simulator (no TCP): for tests of the layers above."""
    return PbxClient(
        "http://sim",
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        transport=sim.transport(),
        settings=fast_settings(),
    )


@pytest.fixture
async def pbx(server: ThreadedServer) -> AsyncIterator[PbxClient]:
    async with PbxClient(
        server.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=fast_settings()
    ) as client:
        yield client


@pytest.fixture
def admin(server: ThreadedServer) -> Iterator[httpx.Client]:
    """The simulator's /admin endpoints, as a test edits the PBX out of band."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def raw(server: ThreadedServer) -> Iterator[httpx.Client]:
    """Plain HTTP to the simulator, to send the manual's examples as they are written."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
