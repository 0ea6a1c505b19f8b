"""The example fleet (examples/hotel-group) against three simulators over TCP, one per
hotel, each with its own serial number."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from pbxconf.cli import main
from pbxconf.sim import DEFAULT_PASSWORD, PbxState, Simulator
from pbxconf.sim.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hotel-group"
HOTELS = ("lisbon", "porto", "faro")
EXAMPLE_PORTS = {"lisbon": 8461, "porto": 8462, "faro": 8463}
CREDENTIALS = {"PBX_API_PASSWORD": DEFAULT_PASSWORD, "FARO_API_PASSWORD": DEFAULT_PASSWORD}


def serial(hotel: str) -> str:
    return f"SIMHOTEL{HOTELS.index(hotel) + 1:08d}"


@dataclass
class Fleet:
    root: Path  # the example, copied, its URLs pointing at the simulators
    servers: dict[str, ThreadedServer]

    @property
    def inventory(self) -> Path:
        return self.root / "pbxconf.yaml"

    def cli(
        self, *args: str, env: dict[str, str | None] | None = None, inventory: bool = True
    ) -> Result:
        """pbxconf with the fleet's credentials (and its inventory)."""
        full = {**CREDENTIALS, **(env or {})}
        argv = [*args, "--inventory", str(self.inventory)] if inventory else list(args)
        return CliRunner().invoke(main, argv, env=full)

    def admin(self, hotel: str) -> httpx.Client:
        return httpx.Client(base_url=self.servers[hotel].url, timeout=10)

    def sim(self, hotel: str) -> Simulator:
        return self.servers[hotel].sim

    def writes(self, hotel: str) -> int:
        """API writes the hotel's PBX received."""
        reads = ("login", "logout", "deviceinfo/query")
        return sum(
            1
            for call in self.sim(hotel).calls
            if call.endpoint not in reads and not call.endpoint.endswith("/query")
        )

    def fault(self, hotel: str, **rule: object) -> None:
        with self.admin(hotel) as admin:
            admin.post("/admin/faults", json=rule).raise_for_status()


def copy_example(target: Path, urls: dict[str, str]) -> Path:
    shutil.copytree(EXAMPLE, target)
    inventory = target / "pbxconf.yaml"
    text = inventory.read_text()
    for hotel, url in urls.items():
        text = text.replace(f"http://127.0.0.1:{EXAMPLE_PORTS[hotel]}", url)
    inventory.write_text(text)
    return target


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    servers = {}
    for hotel in HOTELS:
        state = PbxState.factory()
        state.device["sn"] = serial(hotel)
        state.device["devicename"] = f"Seaside {hotel}"
        sim = Simulator(state=state)
        sim.events.enabled = False  # nobody listens for reports here
        servers[hotel] = ThreadedServer(sim).start()
    try:
        root = copy_example(tmp_path / "hotel-group", {h: s.url for h, s in servers.items()})
        yield Fleet(root, servers)
    finally:
        for server in servers.values():
            server.stop()
