"""Serving the simulator over TCP with uvicorn: in the foreground (`pbxconf sim serve`) or
on a background thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import uvicorn

from pbxconf.sim.app import Simulator


class _QuietDeliberateDrops(logging.Filter):
    """A TruncatedResponse is a fault the simulator was asked for, not a server error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDeliberateDrops())


class _Closes(Protocol):
    async def aclose(self) -> None: ...


class Servable(Protocol):
    """A Simulator, or a SimFleet (many PBXes in one process)."""

    @property
    def app(self) -> Any: ...

    @property
    def events(self) -> _Closes: ...


def _config(sim: Servable, ssl: dict[str, Any] | None) -> uvicorn.Config:
    return uvicorn.Config(
        sim.app, log_level="warning", access_log=False, lifespan="off", **(ssl or {})
    )


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose protocol
    # says TCP, and without it every answer on a kept-alive connection waits ~40 ms
    # (Nagle's algorithm against the client's delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve_forever(sim: Servable, sock: socket.socket, ssl: dict[str, Any] | None = None) -> None:
    server = uvicorn.Server(_config(sim, ssl))
    # The PBX's state (and everything imported) lives as long as the process: keep Python's
    # cyclic collector from sweeping it again and again while answers are built.
    gc.freeze()
    asyncio.run(_serve(server, sim, sock))


async def _serve(server: uvicorn.Server, sim: Servable, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    finally:
        await sim.events.aclose()


class ThreadedServer:
    """The simulator on 127.0.0.1 and a free port, served from a background thread."""

    def __init__(self, sim: Simulator, *, ssl: dict[str, Any] | None = None) -> None:
        self.sim = sim
        self._sock = bind("127.0.0.1", 0)
        self.port = self._sock.getsockname()[1]
        scheme = "https" if ssl else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(_config(sim, ssl))
        self._thread = threading.Thread(target=self._run, name="pbx-sim", daemon=True)

    def _run(self) -> None:
        asyncio.run(_serve(self._server, self.sim, self._sock))

    def start(self) -> ThreadedServer:
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return self
            self._thread.join(0.01)
        raise RuntimeError("the simulator did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


@contextlib.contextmanager
def running(sim: Simulator | None = None, **kwargs: Any) -> Iterator[ThreadedServer]:
    server = ThreadedServer(sim or Simulator(), **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
