"""Reading the live PBX: answers decoded as they arrive, the wake-up query sent early,
and a failed query stopping the read cleanly."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
from typing import Any

import pytest

from pbxconf import session as session_module
from pbxconf.api import ApiError, PbxClient, PbxError
from pbxconf.kinds import KINDS
from pbxconf.live import LiveReadError, read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions
from pbxconf.session import plan_and_log_out
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.faults import FaultRule
from pbxconf.sim.generate import Size, generate
from pbxconf.sim.server import ThreadedServer
from tests.conftest import fast_settings, sim_client

SIZE = Size(extensions=400, trunks=4, inroutes=10, outroutes=5, ivrs=2, queues=2, wakeups=50)


def test_the_wakeup_query_goes_out_while_extensions_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = Simulator(state=generate(SIZE, seed=3))
    extension = KINDS["extension"]
    calls_at_decode: list[list[str]] = []
    decode = extension.decode

    def watched(record: dict[str, Any]) -> Any:
        calls_at_decode.append([c.endpoint for c in sim.calls])
        return decode(record)

    monkeypatch.setattr(extension, "decode", watched)

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            return await read_live(pbx)

    live = asyncio.run(run())
    assert len(live.objects["extension"]) == SIZE.extensions
    assert len(live.objects["wakeup_call"]) == SIZE.wakeups
    # Sent once the extension numbers were listed, before any record was decoded.
    calls = [c.endpoint for c in sim.calls]
    assert calls.index("wakeupcall/query") > calls.index("extensionlist/query")
    assert "wakeupcall/query" in calls_at_decode[0]


def test_the_wakeup_query_goes_out_while_another_kind_decodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The extension list comes in while the inbound routes are being decoded: the
    # wake-up query waits for the next slice of records, not for the whole kind.
    sim = Simulator(state=generate(dataclasses.replace(SIZE, inroutes=400), seed=3))
    inbound = KINDS["inbound_route"]
    wakeup_sent: list[bool] = []
    decode = inbound.decode

    async def run() -> Any:
        numbers_in = asyncio.Event()

        def watched(record: dict[str, Any]) -> Any:
            numbers_in.set()
            wakeup_sent.append("wakeupcall/query" in [c.endpoint for c in sim.calls])
            return decode(record)

        monkeypatch.setattr(inbound, "decode", watched)
        async with sim_client(sim) as pbx:
            call = pbx.call

            async def held(endpoint: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
                if endpoint == "extensionlist/query":
                    await numbers_in.wait()
                return await call(endpoint, *args, **kwargs)

            monkeypatch.setattr(pbx, "call", held)
            return await asyncio.wait_for(read_live(pbx), 10)

    live = asyncio.run(run())
    assert len(live.objects["inbound_route"]) == 400
    assert len(live.objects["wakeup_call"]) == SIZE.wakeups
    assert not wakeup_sent[0] and wakeup_sent[-1]


def test_answered_is_called_once_every_answer_is_in(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(state=generate(SIZE, seed=3))
    events: list[str] = []
    for kind in KINDS.values():
        decode = kind.decode
        monkeypatch.setattr(kind, "decode", lambda r, d=decode: events.append("decode") or d(r))

    def answered() -> None:
        events.append(f"answered after {len(sim.calls)} calls")

    async def run() -> Any:
        async with sim_client(sim) as pbx:
            return await read_live(pbx, answered=answered)

    asyncio.run(run())
    calls = [e for e in events if e.startswith("answered")]
    # login, six kinds (the extensions listed, then asked for in one slice of 400), wake-ups
    assert calls == ["answered after 9 calls"]
    assert "decode" in events[events.index(calls[0]) :]  # the last answers decode after


def test_plan_and_log_out_plans_while_the_logout_is_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = Simulator(state=generate(SIZE, seed=3))
    server = ThreadedServer(sim).start()
    clients: list[PbxClient] = []
    logouts_when_planning: list[int] = []
    real_make_plan = session_module.make_plan

    def watched(*args: Any) -> Plan:
        logouts_when_planning.append(clients[0].calls.get("logout", 0))
        return real_make_plan(*args)

    monkeypatch.setattr(session_module, "make_plan", watched)

    async def run() -> Plan:
        async with PbxClient(
            server.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=fast_settings()
        ) as pbx:
            clients.append(pbx)
            plan, live = await plan_and_log_out(pbx, Desired(), PlanOptions())
            assert len(live.objects["extension"]) == SIZE.extensions
            return plan

    try:
        plan = asyncio.run(run())
    finally:
        server.stop()
    assert plan.changes == [] and plan.unmanaged["extensions"] == SIZE.extensions
    assert [c.endpoint for c in sim.calls][-1] == "logout" and sim.sessions == {}
    assert sim.call_counts()["logout"] == 1
    assert logouts_when_planning == [1]  # the logout went out before the plan was made


def test_a_failed_query_stops_the_read_and_leaves_nothing_running() -> None:
    sim = Simulator(state=generate(SIZE, seed=3))
    sim.faults.rules.append(FaultRule("errno", path="queue/query", errno="10006"))
    loop_errors: list[dict[str, Any]] = []

    async def run() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: loop_errors.append(ctx))
        async with sim_client(sim) as pbx:
            with pytest.raises(ApiError) as caught:
                await read_live(pbx)
            assert caught.value.errno == "10006"
            assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()

    asyncio.run(run())
    gc.collect()  # a task whose exception nobody read would be reported here
    assert loop_errors == []
    assert gc.isenabled()


# ---- answers that are wrong stop the read: never a plan built on them ----------------


def _answers(body_for: dict[str, Any]) -> Any:
    """A PBX answering each endpoint with the given body (login and logout succeed)."""
    import httpx

    def handle(request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.removeprefix("/api/v1.1.0/")
        if endpoint == "login":
            return httpx.Response(
                200, json={"status": "Success", "token": "t", "refreshtoken": "r"}
            )
        body = body_for.get(endpoint, {"status": "Success"})
        return httpx.Response(200, json=body(request) if callable(body) else body)

    return httpx.MockTransport(handle)


EMPTY = {
    "extensionlist/query": {"status": "Success", "extlist": [{"extnumber": "1000"}]},
    "extension/query": {"status": "Success", "extinfos": [{"extnumber": "1000"}]},
    "siptrunk/query": {"status": "Success", "trunks": []},
    "inroute/query": {"status": "Success", "inroutes": []},
    "outroute/query": {"status": "Success", "outroutes": []},
    "ivr/query": {"status": "Success", "ivr": []},
    "queue/query": {"status": "Success", "queues": []},
    "wakeupcall/query": {"status": "Success", "wakeups": [{"extid": "1000", "wakeup": []}]},
}


def _read(**answers: Any) -> Any:
    async def run() -> Any:
        async with PbxClient(
            "http://pbx.test", "api", "x", transport=_answers({**EMPTY, **answers})
        ) as pbx:
            return await read_live(pbx)

    return asyncio.run(run())


def test_the_same_object_twice_in_an_answer_is_an_error_naming_it() -> None:
    trunk = {
        "trunkname": "carrier",
        "trunktype": "peer",
        "host": "h",
        "port": "5060",
        "domain": "d",
    }
    twice = {"status": "Success", "trunks": [trunk, {**trunk, "host": "other"}]}
    with pytest.raises(
        LiveReadError, match=r"the same SIP trunk more than once \(trunks\[name=carrier\]\)"
    ):
        _read(**{"siptrunk/query": twice})


def test_a_wakeup_group_without_its_list_is_an_error_not_none() -> None:
    # Read as "no wake-up calls", an export would drop them all and exit 0.
    for group in ({"extid": "1000"}, {"extid": "1000", "wakeup": None}):
        with pytest.raises(PbxError, match=r"the group for extid 1000 has no `wakeup` list"):
            _read(**{"wakeupcall/query": {"status": "Success", "wakeups": [group]}})


def test_records_of_objects_not_asked_for_are_refused() -> None:
    other = {"extid": "1001", "wakeup": [{"wakeupid": "1", "time": "07:00", "type": "everyday"}]}
    answer = {"status": "Success", "wakeups": [{"extid": "1000", "wakeup": []}, other]}
    with pytest.raises(PbxError, match="the answer holds 1001, which were not asked for"):
        _read(**{"wakeupcall/query": answer})


def test_a_key_the_manual_says_is_always_answered_must_be_there() -> None:
    # "查询队列时此参数为必须返回参数" (line 2136): a queue always answers idannouncement.
    queue = {"queuenumber": "6700", "queuename": "Sales"}
    with pytest.raises(PbxError, match="lack `idannouncement`, which the manual says is always"):
        _read(**{"queue/query": {"status": "Success", "queues": [queue]}})
    live = _read(
        **{"queue/query": {"status": "Success", "queues": [{**queue, "idannouncement": ""}]}}
    )
    assert ("6700",) in live.objects["queue"]


def _slices(listed: list[str], extra: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A PBX listing these extensions, and answering each slice with what it asks for
    (and, for a slice holding a key of `extra`, those extensions too)."""

    def answer(request: Any) -> dict[str, Any]:
        asked = json.loads(request.content)["extid"].split(",")
        more = [n for key, numbers in (extra or {}).items() if key in asked for n in numbers]
        return {"status": "Success", "extinfos": [{"extnumber": n} for n in asked + more]}

    return {
        "extensionlist/query": {"status": "Success", "extlist": [{"extnumber": n} for n in listed]},
        "extension/query": answer,
        "wakeupcall/query": lambda request: {
            "status": "Success",
            "wakeups": [
                {"extid": n, "wakeup": []} for n in json.loads(request.content)["extid"].split(",")
            ],
        },
    }


def test_an_extension_answered_by_two_slices_is_an_error_naming_it() -> None:
    numbers = [str(1000 + i) for i in range(600)]
    live = _read(**_slices(numbers))
    assert len(live.objects["extension"]) == 600
    # The PBX lists 1000 twice: the first and the second slice both answer it.
    with pytest.raises(LiveReadError, match=r"more than once \(extensions\[number=1000\]\)"):
        _read(**_slices([*numbers, "1000"]))


def test_a_slice_answering_an_extension_it_did_not_ask_for_is_refused() -> None:
    numbers = [str(1000 + i) for i in range(600)]
    with pytest.raises(PbxError, match="the answer holds 1000, which were not asked for"):
        _read(**_slices(numbers, extra={"1599": ["1000"]}))


def test_a_listed_extension_without_a_number_stops_the_read() -> None:
    answers = {"extensionlist/query": {"status": "Success", "extlist": [{"username": "x"}]}}
    with pytest.raises(LiveReadError, match="extensionlist/query: the PBX listed an extension"):
        _read(**answers)
