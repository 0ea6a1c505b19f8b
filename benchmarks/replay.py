"""A PBX that answers at once: it replays the answers a simulator gave to a plan's calls,
after the injected latency and nothing else.

    python benchmarks/replay.py SIM_URL [--latency-ms 20]

It asks the simulator at SIM_URL once (the calls of `workload.calls_only`), then serves
those answers on 127.0.0.1 and a free port, and prints the URL. Against it, the plan's
calls alone measure the floor the API's shape sets (round trips, moving and parsing the
answers) with no PBX time in it; see run.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from workload import calls_only

from pbxconf.api import PbxClient, PbxError
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME
from pbxconf.sim.server import bind

PREFIX = "/api/v1.1.0/"


class Recorder(httpx.AsyncHTTPTransport):
    """Keeps the answer to each request (endpoint and body: the slices of one endpoint
    differ by body), as the PBX wrote it."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[tuple[str, bytes], bytes] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        body = await response.aread()
        self.answers[(request.url.path.removeprefix(PREFIX), request.content)] = body
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )


async def record(sim_url: str) -> dict[tuple[str, bytes], bytes]:
    recorder = Recorder()
    async with PbxClient(sim_url, DEFAULT_USERNAME, DEFAULT_PASSWORD, transport=recorder) as pbx:
        await calls_only(pbx)
    return recorder.answers


def replay_app(answers: dict[tuple[str, bytes], bytes], latency: float) -> Starlette:
    async def answer(request: Request) -> Response:
        body = await request.body()
        await asyncio.sleep(latency)
        key = (request.path_params["endpoint"], body)
        return Response(answers[key], media_type="application/json")

    return Starlette(routes=[Route(PREFIX + "{endpoint:path}", answer, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sim_url")
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    try:
        answers = asyncio.run(record(args.sim_url))
    except PbxError as err:
        raise SystemExit(f"replay.py: cannot record the answers of {args.sim_url}: {err}") from None
    sock = bind("127.0.0.1", 0)
    print(f"replaying on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    app = replay_app(answers, args.latency_ms / 1000)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    sys.exit(main())
