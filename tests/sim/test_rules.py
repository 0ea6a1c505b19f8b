"""The rules a PBX enforces, the manual's two spellings, the login lock, the state file and
out-of-band edits; on the simulator's state directly and through the admin endpoints."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from pbxconf.sim import PbxState, Simulator, handlers
from pbxconf.sim.state import SimFailure

PEER = {"trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}


@pytest.fixture
def state() -> PbxState:
    state = PbxState.factory()
    state.add_trunk({"trunkname": "carrier", **PEER})
    return state


def errno_of(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SimFailure) as caught:
        call(*args)
    return caught.value.errno


def test_factory_pbx() -> None:
    state = PbxState.factory()
    assert list(state.extensions) == [str(n) for n in range(1000, 1020)]
    assert list(state.ivrs) == ["6500"] and list(state.queues) == ["6700"]
    assert not (state.trunks or state.inroutes or state.outroutes or state.wakeups)


def test_routes_cannot_name_missing_trunks_or_extensions(state: PbxState) -> None:
    route = {"name": "r", "prefix": "9", "trunks": "ghost", "extensions": "1000"}
    assert errno_of(state.add_outroute, route) == "10003"
    assert (
        errno_of(state.add_outroute, {**route, "trunks": "carrier", "extensions": "1000,1999"})
        == "10006"
    )
    inroute = {"name": "i", "trunks": "carrier", "desttype": "ivr", "dest": "6599"}
    assert errno_of(state.add_inroute, inroute) == "10012"
    assert errno_of(state.add_inroute, {**inroute, "desttype": "queue"}) == "10013"
    assert errno_of(state.add_inroute, {**inroute, "desttype": "extension"}) == "10006"


def test_trunk_in_use_cannot_be_deleted(state: PbxState) -> None:
    state.add_outroute({"name": "r", "prefix": "9", "trunks": "carrier", "extensions": ""})
    assert errno_of(state.delete_trunks, "carrier") == "10003"
    state.delete_outroutes("r")
    state.delete_trunks("carrier")
    assert state.trunks == {}


def test_duplicate_names_are_refused(state: PbxState) -> None:
    assert errno_of(state.add_trunk, {"trunkname": "carrier", **PEER}) == "10003"
    state.add_inroute({"name": "i", "trunks": "carrier", "desttype": "hangup", "dest": ""})
    assert (
        errno_of(state.add_inroute, {"name": "i", "trunks": "carrier", "desttype": "hangup"})
        == "10003"
    )


def test_renumbering_onto_a_taken_number_fails(state: PbxState) -> None:
    assert errno_of(state.update_extension, {"extid": "1000", "extnumber": "1001"}) == "10017"
    assert errno_of(state.update_extension, {"extid": "1000", "extnumber": "6500"}) == "10017"
    assert errno_of(state.update_ivr, {"ivrId": "6500", "ivrNumber": "6700"}) == "10018"
    assert errno_of(state.update_queue, {"queueid": "6700", "queuenumber": "1000"}) == "10019"


def test_renumbering_carries_references(state: PbxState) -> None:
    state.add_outroute({"name": "r", "prefix": "9", "trunks": "carrier", "extensions": "1000"})
    state.add_inroute({"name": "i", "trunks": "carrier", "desttype": "extension", "dest": "1000"})
    state.update_queue({"queueid": "6700", "agents": "1000,1001"})
    state.update_extension({"extid": "1000", "extnumber": "2000"})
    assert state.outroutes["1"]["extensions"] == "2000"
    assert state.inroutes["1"]["dest"] == "2000"
    assert state.queues["6700"]["agents"] == "2000,1001"


def test_trunk_rename_carries_routes(state: PbxState) -> None:
    state.add_outroute({"name": "r", "prefix": "9", "trunks": "carrier", "extensions": ""})
    state.update_trunk({"id": "1", "trunkname": "carrier2", **PEER})
    assert state.outroutes["1"]["trunks"] == "carrier2"


def test_selectoutroute_is_the_routes_extension_lists(state: PbxState) -> None:
    state.add_outroute({"name": "r1", "prefix": "9", "trunks": "carrier", "extensions": "1000"})
    state.add_outroute({"name": "r2", "prefix": "8", "trunks": "carrier", "extensions": ""})
    sim = Simulator(state=state)

    def seen() -> tuple[str, str]:
        (ext,) = handlers.extension_query(sim, {"extid": "1000"})["extinfos"]
        return ext["selectoutroute"], ext["unselectoutroute"]

    assert seen() == ("r1", "r2")
    state.update_extension({"extid": "1000", "selectoutroute": "r2"})
    assert seen() == ("r2", "r1")
    assert errno_of(state.update_extension, {"extid": "1000", "selectoutroute": "nope"}) == "10033"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ringtimeout", "45"),
        ("dnd", "yes"),
        ("monitormode", "Spy"),
        ("atransferto", "Fax"),
        ("maxduration", "7"),
    ],
)
def test_extension_values_outside_the_manual_are_refused(field: str, value: str) -> None:
    assert errno_of(PbxState.factory().update_extension, {"extid": "1000", field: value}) == "10017"


def test_extensions_ivrs_queues_cannot_be_created_through_the_api() -> None:
    state = PbxState.factory()
    assert errno_of(state.update_extension, {"extid": "1500", "username": "x"}) == "10006"
    assert errno_of(state.update_ivr, {"ivrid": "6501"}) == "10012"
    assert errno_of(state.update_queue, {"queueid": "6701"}) == "10013"


def test_wakeup_rules() -> None:
    state = PbxState.factory()
    item = {"time": "07:00", "type": "everyday", "repeats": "1"}
    state.create_wakeup({"extid": "1000", "wakeup": [item]})
    assert errno_of(state.create_wakeup, {"extid": "1000", "wakeup": [item]}) == "10022"
    assert errno_of(state.create_wakeup, {"extid": "1999", "wakeup": [item]}) == "10006"
    assert (
        errno_of(state.create_wakeup, {"extid": "1001", "wakeup": [{**item, "time": "25:00"}]})
        == "10020"
    )
    assert (
        errno_of(state.update_wakeup, {"extid": "1000", "wakeupid": "9", "wakeup": [item]})
        == "10021"
    )


def test_state_file_round_trip(state: PbxState) -> None:
    state.create_wakeup({"extid": "1000", "wakeup": [{"time": "07:00", "type": "everyday"}]})
    again = PbxState.from_json(json.loads(json.dumps(state.to_json())))
    assert again.to_json() == state.to_json()
    again.add_trunk({"trunkname": "second", **PEER})
    assert list(again.trunks) == ["1", "2"]  # ids continue after the file's


@pytest.mark.parametrize("bad", [None, [], {"version": 2}, {"version": 1, "extensions": [{}]}])
def test_bad_state_file_is_a_clear_error(bad: object) -> None:
    with pytest.raises(ValueError, match="state file"):
        PbxState.from_json(bad)


# ---- spellings -----------------------------------------------------------------------


def test_variant_spellings(sim: Simulator, admin: httpx.Client) -> None:
    assert admin.post("/admin/settings", json={"spelling": "variants"}).status_code == 200
    sim.state.update_queue({"queueid": "6700", "agents": "1000", "failoveraction": "Hang up"})
    sim.state.create_wakeup({"extid": "1000", "wakeup": [{"time": "07:00", "type": "everyday"}]})
    (ext,) = handlers.extension_query(sim, {"extid": "1000"})["extinfos"]
    # Forwarding keys of a forward that is off are left out, as the manual's example does.
    assert "mobile" in ext and "moblie" not in ext and "ntransfertto" in ext
    assert "atransfertto" not in ext and "atransferto" not in ext
    (ivr,) = handlers.ivr_query(sim, {})["ivr"]
    assert ivr["ivrNumber"] == "6500" and "promptRepeat" in ivr
    (queue,) = handlers.queue_query(sim, {})["queues"]
    assert queue["queueenname"] == "6700" and queue["agents"] == "1000"
    assert queue["failoveraction"] == "Hangup" and "announcerefreq" in queue
    assert "announcholdtime" in queue and "failoverdest" not in queue
    (group,) = handlers.wakeupcall_query(sim, {"extid": "1000"})["wakeups"]
    assert "Repeatinterval" in group["wakeup"][0] and "Prompt" in group["wakeup"][0]


def test_admin_rejects_unknown_settings(admin: httpx.Client) -> None:
    answer = admin.post("/admin/settings", json={"spelling": "klingon"})
    assert answer.status_code == 400 and "spelling must be one of" in answer.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("post", "/admin/clock", b"nope", "the body is not JSON: "),
        ("post", "/admin/clock", b'{"advance": "x"}', 'send {"advance": SECONDS}'),
        ("post", "/admin/clock", b'{"advance": -5}', 'send {"advance": SECONDS}'),
        ("post", "/admin/settings", b'{"latency": -1}', "latency must be a number >= 0, not -1"),
        ("post", "/admin/settings", b'{"latency": "abc"}', "latency must be a number >= 0"),
        ("post", "/admin/settings", b"[]", "settings are a JSON object"),
        (
            "post",
            "/admin/settings",
            b'{"single_extension_wakeup_query": "false"}',
            "single_extension_wakeup_query must be true or false, not 'false'",
        ),
        ("post", "/admin/records/nope", b"{}", "unknown kind 'nope'; one of extension, trunk"),
        (
            "post",
            "/admin/records/extension",
            b'{"x": 1}',
            "an extension record is a JSON object with `extnumber`",
        ),
        ("post", "/admin/records/queue", b"[]", "a queue record is a JSON object with"),
        ("post", "/admin/faults", b'{"path": "login"}', "bad fault rule: it needs 'action'"),
        ("post", "/admin/faults", b"[1]", "a fault rule is a JSON object"),
    ],
)
def test_admin_bad_input_is_a_400_with_the_reason(
    sim: Simulator, admin: httpx.Client, method: str, path: str, body: bytes, message: str
) -> None:
    """The clock's were a 500 and a traceback in the simulator's log; the others answered
    with Python reprs (KeyError('extnumber')) or took a negative latency or "false" as
    true."""
    before = (dict(sim.state.extensions), sim.settings.latency)
    answer = admin.request(method.upper(), path, content=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert before == (dict(sim.state.extensions), sim.settings.latency)  # nothing changed
    assert not sim.faults.rules


def test_admin_settings_are_all_or_nothing(sim: Simulator, admin: httpx.Client) -> None:
    answer = admin.post("/admin/settings", json={"latency": 0.5, "token_ttl": -1})
    assert answer.status_code == 400
    assert sim.settings.latency == 0.0


# ---- out-of-band edits ---------------------------------------------------------------


def test_admin_creates_what_the_api_cannot(sim: Simulator, admin: httpx.Client) -> None:
    assert admin.post("/admin/records/extension", json={"extnumber": "2000"}).json() == {"ok": True}
    assert admin.post("/admin/records/ivr", json={"ivrnumber": "6501"}).status_code == 200
    assert "2000" in sim.state.extensions and "6501" in sim.state.ivrs
    assert sim.state.extensions["2000"]["ringtimeout"] == "30"  # factory defaults filled in
    assert admin.delete("/admin/records/extension/2000").json() == {"deleted": True}
    assert admin.delete("/admin/records/extension/2000").status_code == 404
    assert admin.post("/admin/records/nonsense", json={}).status_code == 400


def test_admin_state_dump_and_replace(sim: Simulator, admin: httpx.Client) -> None:
    dump = admin.get("/admin/state").json()
    dump["extensions"] = dump["extensions"][:2]
    assert len(admin.put("/admin/state", json=dump).json()["extensions"]) == 2
    assert admin.put("/admin/state", json={"version": 9}).status_code == 400


def test_admin_fault_rules_are_validated(admin: httpx.Client) -> None:
    assert admin.post("/admin/faults", json={"action": "explode"}).status_code == 400
    assert admin.post("/admin/faults", json={"action": "errno", "nth": 0}).status_code == 400
    assert len(admin.post("/admin/faults", json={"action": "html"}).json()["rules"]) == 1
    assert admin.delete("/admin/faults").json() == {"rules": []}


def test_fault_on_the_nth_call(sim: Simulator, admin: httpx.Client, raw: httpx.Client) -> None:
    admin.post("/admin/faults", json={"action": "errno", "errno": "10003", "nth": 2})
    answers = [raw.post("/api/v1.1.0/login", json={}).json().get("errno") for _ in range(3)]
    assert answers == ["10004", "10003", "10004"]


def test_a_caller_hanging_up_mid_request_is_not_a_server_error(
    server,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    import socket
    import time

    caplog.set_level(logging.ERROR)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /api/v1.1.0/extension/query?token=x HTTP/1.1\r\nHost: pbx\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ext'
        )
    time.sleep(0.3)
    assert "Exception in ASGI application" not in caplog.text


@pytest.mark.parametrize(
    "mine",
    [[], ["a"], ["e"], ["c"], ["a", "b"], ["d", "e"], ["b", "d"], ["e", "a", "c"], list("abcde")],
)
def test_unselected_routes_are_every_other_route_in_order(mine: list[str]) -> None:
    names = ["a", "bb", "c", "dd", "e"]
    renamed = {"a": "a", "b": "bb", "c": "c", "d": "dd", "e": "e"}
    own = [renamed[n] for n in mine]
    expected = ",".join(n for n in names if n not in own)
    assert handlers.UnselectedRoutes(names).without(own) == expected
