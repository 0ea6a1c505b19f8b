"""Fuzzing what a PBX answers: the manual's own response examples, mutated (keys dropped,
values of another type, records repeated, text with control characters, unknown keys),
served to a plan. Whatever comes back, pbxconf stops with a clear error or plans; and a
plan never writes anything the manual does not allow, nor a value it read garbled."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbxconf.api import PbxClient
from pbxconf.errors import PbxconfError
from pbxconf.kinds import KINDS
from pbxconf.live import read_live
from pbxconf.manifest import Desired, Safety, Settings
from pbxconf.manual import facts
from pbxconf.manual.check import check_request
from pbxconf.plan import PlanOptions, make_plan

QUERIES = {kind.query.endpoint: kind for kind in KINDS.values()}
EXAMPLES = {endpoint: facts().endpoints[endpoint].response_examples[0].body for endpoint in QUERIES}

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["", "all", "a,b", "x\nPlan: 0", "\u202e", "\x00", "30", "on", "Hang up"]),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


@st.composite
def mutated_answers(draw: st.DrawFn) -> dict[str, Any]:
    """The manual's example answers, a few of their records changed."""
    answers = copy.deepcopy(EXAMPLES)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        endpoint = draw(st.sampled_from(sorted(answers)))
        body = answers[endpoint]
        key = next(k for k in body if k != "status")
        records = body[key]
        if not isinstance(records, list) or not records or not isinstance(records[0], dict):
            continue
        record = records[0]
        if KINDS_GROUPED.get(endpoint) and record.get("wakeup"):
            record = record["wakeup"][0]
        action = draw(st.sampled_from(["drop", "set", "add", "repeat", "swap-type"]))
        fields = sorted(record)
        if action == "drop" and fields:
            record.pop(draw(st.sampled_from(fields)))
        elif action == "set" and fields:
            record[draw(st.sampled_from(fields))] = draw(ODD_VALUES)
        elif action == "add":
            record[draw(st.text(max_size=8))] = draw(ODD_VALUES)
        elif action == "repeat":
            records.append(copy.deepcopy(records[0]))
        else:
            body[key] = draw(ODD_VALUES)
    return answers


KINDS_GROUPED = {e: k.query.grouped for e, k in QUERIES.items()}


def _transport(answers: dict[str, Any]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.removeprefix("/api/v1.1.0/")
        if endpoint == "login":
            return httpx.Response(200, json={"status": "Success", "token": "t"})
        if endpoint in answers:
            return httpx.Response(200, content=json.dumps(answers[endpoint]).encode())
        return httpx.Response(200, json={"status": "Success"})

    return httpx.MockTransport(answer)


def _desired() -> Desired:
    """Manifests that manage an object of every kind the examples hold, and prune."""
    want = Desired()
    want.settings = Settings(prune=True, safety=Safety(min_objects=99))
    add = want.state.add
    add("extension", KINDS["extension"].validate({"number": "1000", "name": "Desk"}))
    add("ivr", KINDS["ivr"].validate({"number": "6500", "prompt_repeat": 2}))
    add("queue", KINDS["queue"].validate({"number": "6700", "name": "Sales"}))
    trunk = {"name": "SIP", "type": "peer", "host": "h", "port": 5060, "domain": "d"}
    add("trunk", KINDS["trunk"].validate(trunk))
    out = {"name": "route1", "pattern": "9.", "trunks": ["SIP"], "extensions": ["1000"]}
    add("outbound_route", KINDS["outbound_route"].validate(out))
    wake = {"extension": "1000", "time": "00:45", "type": "everyday", "repeats": 2}
    add("wakeup_call", KINDS["wakeup_call"].validate(wake))
    return want


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=mutated_answers())
def test_a_garbled_answer_is_a_clear_error_or_a_plan_that_writes_only_what_the_manual_allows(
    answers: dict[str, Any],
) -> None:
    async def run() -> Any:
        async with PbxClient("http://pbx.test", "api", "x", transport=_transport(answers)) as pbx:
            return await read_live(pbx)

    try:
        live = asyncio.run(run())
    except PbxconfError as err:
        assert str(err)
        return
    plan = make_plan(_desired(), live, PlanOptions(prune=True, force=True))
    for call in plan.calls:
        assert check_request(call.endpoint, call.body) == [], (call.endpoint, call.body)
        for key in ("id", "wakeupid"):
            value = call.body.get(key)
            assert value is None or (value.isdigit() or value == ""), (call.endpoint, call.body)
