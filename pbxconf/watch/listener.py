"""The watch's HTTP listener: the PBX's reports, `/healthz` and Prometheus `/metrics`.

A report is answered 200 at once and handled after: the PBX repeats a report until it is
answered (the manual), so an answer that waited on the watch's reads would make it send
again. Every POST is answered 200, even one the watch ignores (another PBX, a malformed
body): a PBX that is refused goes on repeating. Reports are taken on any path, since a
proxy in front may keep the advertised path or not.

It is a small Starlette app served by uvicorn on a socket bound before anything else
starts, so that a port in use is a usage error and not a traceback later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pbxconf.errors import UsageError
from pbxconf.watch.metrics import WatchMetrics
from pbxconf.watch.reports import MAX_REPORT_BYTES

log = logging.getLogger("pbxconf.watch")

# (body, source address) -> nothing: the watch's intake (parse, check, mark dirty).
Intake = Callable[[bytes, str], None]
# -> (healthy, what /healthz says)
Health = Callable[[], tuple[bool, dict[str, Any]]]


def bind_listener(host: str, port: int) -> socket.socket:
    """The listening socket, or a UsageError that says why it cannot be had."""
    where = f"{f'[{host}]' if ':' in host else host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(f"--listen {where}: cannot resolve {host!r} ({err.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            # `[::]` takes IPv4 too, as `0.0.0.0` would.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise UsageError(f"--listen {where}: cannot listen there: {err.strerror or err}") from None
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the watch owns SIGINT and SIGTERM (it
    finishes the call in flight and logs out before it exits)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn before capture_signals
        pass


class ReportListener:
    def __init__(
        self, sock: socket.socket, intake: Intake, metrics: WatchMetrics, health: Health
    ) -> None:
        self.sock = sock
        self.port = sock.getsockname()[1]
        self._intake = intake
        self._metrics = metrics
        self._health = health
        app = Starlette(
            routes=[
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/metrics", self._metrics_page, methods=["GET"]),
                Route("/{path:path}", self._report, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app,
            log_config=None,  # pbxconf's logging stays as the command set it
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise UsageError("the report listener stopped as it started")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.sock.close()

    async def _report(self, request: Request) -> Response:
        source = request.client.host if request.client else ""
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_REPORT_BYTES:
                    self._metrics.ignored.labels("malformed").inc()
                    return Response(status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        self._intake(bytes(body), source)
        return Response(status_code=200)

    async def _healthz(self, request: Request) -> Response:
        healthy, detail = self._health()
        return JSONResponse(detail, status_code=200 if healthy else 503)

    async def _metrics_page(self, request: Request) -> Response:
        body, content_type = self._metrics.exposition()
        return Response(body, media_type=content_type)
