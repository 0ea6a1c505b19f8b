"""Many simulated PBXes in one process: `pbxconf sim serve --fleet N`.

Each PBX is a whole Simulator of its own (its state, sessions, login lock, pacing,
faults, call log), reached at its own base URL, `http://HOST:PORT/pbx/0001` to
`/pbx/N`: a client sees N PBXes. A benchmark of a large fleet needs it; one process
per PBX would not fit on one machine. The PBXes are made when first called, each from
a copy of the starting state with its own serial number and device name.

`GET /admin/fleet` says how many PBXes there are, how many were called, and the API
calls they received by endpoint, in all.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import Receive, Scope, Send

from pbxconf.sim.app import SimSettings, Simulator
from pbxconf.sim.state import PbxState

_PATH = re.compile(r"^/pbx/([0-9]+)(/.*)?$")


def pbx_name(index: int) -> str:
    """`1` -> `0001`: the path of the index-th PBX (names sort as numbers do)."""
    return f"{index:04d}"


@dataclass
class SimFleet:
    count: int
    start: Callable[[], PbxState] = PbxState.factory
    settings: SimSettings = field(default_factory=SimSettings)
    push_events: bool = False
    _made: dict[str, Simulator] = field(default_factory=dict)

    def simulator(self, name: str) -> Simulator | None:
        """The PBX at /pbx/NAME (made on its first call), or None if there is none."""
        found = self._made.get(name)
        if found is None:
            if (
                not name.isdigit()
                or not 1 <= int(name) <= self.count
                or name != pbx_name(int(name))
            ):
                return None
            state = self.start()
            index = int(name)
            state.device = {
                **state.device,
                "sn": f"SIMFLEET{index:08d}",
                "devicename": f"{state.device.get('devicename', 'Cloud PBX')} #{index}",
            }
            found = Simulator(state=state, settings=dataclasses.replace(self.settings))
            found.events.enabled = self.push_events
            self._made[name] = found
        return found

    def calls(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sim in self._made.values():
            for endpoint, n in sim.call_counts().items():
                counts[endpoint] = counts.get(endpoint, 0) + n
        return counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/admin/fleet":
            body = {"pbxes": self.count, "called": len(self._made), "calls": self.calls()}
            await _json(send, 200, body)
            return
        match = _PATH.match(path)
        sim = self.simulator(match[1]) if match else None
        if sim is None or match is None:
            await _json(
                send,
                404,
                {"error": f"no PBX here: PBXes are /pbx/0001 to /pbx/{pbx_name(self.count)}"},
            )
            return
        rest = match[2] or "/"
        inner = {**scope, "path": rest, "raw_path": rest.encode("utf-8"), "root_path": ""}
        await sim.app(inner, receive, send)

    @property
    def app(self) -> SimFleet:
        return self

    @property
    def events(self) -> _AllEvents:
        return _AllEvents(self)


@dataclass
class _AllEvents:
    """The fleet's event pushers, closed together when the server stops."""

    fleet: SimFleet

    async def aclose(self) -> None:
        for sim in self.fleet._made.values():
            await sim.events.aclose()


async def _json(send: Send, status: int, body: object) -> None:
    data = json.dumps(body).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
