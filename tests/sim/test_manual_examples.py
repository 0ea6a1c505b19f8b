"""The manual's request examples, sent as raw HTTP, get the manual's responses."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from pbxconf.sim import DEFAULT_PASSWORD, Simulator

API = "/api/v1.1.0/"
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS, PUT, DELETE",
}


@pytest.fixture
def token(raw: httpx.Client) -> str:
    answer = raw.post(
        API + "login",
        json={
            "username": "api",
            "password": hashlib.md5(DEFAULT_PASSWORD.encode()).hexdigest(),
            "port": "8260",
            "version": "1.0.2",
            "url": "127.0.0.1:8260/report",
            "urltag": "1",
        },
    )
    assert answer.status_code == 200
    assert {k: answer.headers[k] for k in CORS} == CORS
    body = answer.json()
    assert body["status"] == "Success" and set(body) == {"status", "token", "refreshtoken"}
    assert len(body["token"]) == 32
    return body["token"]


def post(raw: httpx.Client, token: str, endpoint: str, body: Any = None) -> dict[str, Any]:
    answer = raw.post(
        API + endpoint,
        params={"token": token},
        content=b"" if body is None else httpx.Request("POST", "/", json=body).content,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert answer.status_code == 200  # the manual: HTTP 200 whatever happened
    return answer.json()


OK = {"status": "Success"}


def test_refresh_and_logout(raw: httpx.Client, token: str, sim: Simulator) -> None:
    refresh = sim.sessions[token].refresh_token
    fresh = raw.post(API + "token/refresh", json={"refreshtoken": refresh}).json()
    assert fresh["status"] == "Success" and fresh["token"] != token
    assert post(raw, token, "deviceinfo/query") == {"status": "Failed", "errno": "20004"}
    assert post(raw, fresh["token"], "logout") == OK
    assert post(raw, fresh["token"], "deviceinfo/query")["errno"] == "20004"


def test_deviceinfo_example(raw: httpx.Client, token: str) -> None:
    answer = post(raw, token, "deviceinfo/query")
    assert set(answer["deviceinfo"]) == {
        "devicename",
        "sn",
        "firmwarever",
        "systemtime",
        "uptime",
        "extensionstatus",
    }


def test_extension_query_example(raw: httpx.Client, token: str) -> None:
    (ext,) = post(raw, token, "extension/query", {"extid": "1000"})["extinfos"]
    example_keys = {
        "extnumber",
        "username",
        "status",
        "type",
        "callerid",
        "registername",
        "registerpassword",
        "maxregistrations",
        "loginpassword",
        "email",
        "moblie",
        "language",
        "hasvoicemail",
        "enablevmtoemail",
        "vmsecret",
        "alwaysforward",
        "noanswerforward",
        "ntransferto",
        "ntransferprefix",
        "busyforward",
        "btransferto",
        "btransferprefix",
        "ringsimultaneous",
        "mobileprefix",
        "enablemobile",
        "allowbeingmonitored",
        "monitormode",
        "ringtimeout",
        "maxduration",
        "dnd",
        "callrestriction",
        "agentid",
    }
    assert example_keys <= set(ext)
    assert ext["ringtimeout"] == "30" and ext["maxregistrations"] == "1"  # numbers as strings
    assert len(post(raw, token, "extension/query")["extinfos"]) == 20


def test_extension_update_example(raw: httpx.Client, token: str) -> None:
    assert post(raw, token, "extension/update", {"extid": "1002", "username": "Amy"}) == OK
    (ext,) = post(raw, token, "extension/query", {"extid": "1002"})["extinfos"]
    assert ext["username"] == "Amy"


def test_login_password_reads_back_as_md5(raw: httpx.Client, token: str) -> None:
    post(raw, token, "extension/update", {"extid": "1002", "loginpassword": "s3cret"})
    (ext,) = post(raw, token, "extension/query", {"extid": "1002"})["extinfos"]
    assert ext["loginpassword"] == hashlib.md5(b"s3cret").hexdigest()


TRUNK_ADD = {
    "trunkname": "siptrunk1",
    "trunktype": "register",
    "host": "192.168.12.161",
    "port": "5060",
    "domain": "192.168.12.161",
    "username": "1001",
    "authname": "1001",
    "fromuser": "",
    "password": "Pajsjx9183",
    "extensionsdod": "",
    "extensionsgroupdod": "",
}


def test_siptrunk_examples(raw: httpx.Client, token: str) -> None:
    assert post(raw, token, "siptrunk/add", TRUNK_ADD) == OK
    (trunk,) = post(raw, token, "siptrunk/query", {"trunkname": "siptrunk1"})["trunks"]
    assert trunk == {"id": "1", **TRUNK_ADD}
    update = {"id": "1", **TRUNK_ADD, "trunkname": "siptrunk2"}
    assert post(raw, token, "siptrunk/update", update) == OK
    listed = post(raw, token, "trunklist/query")["trunklist"]
    assert listed == [{"trunkname": "siptrunk2", "status": "failure", "type": "SIP"}]
    assert post(raw, token, "siptrunk/delete", {"trunkname": "siptrunk2"}) == OK
    assert post(raw, token, "siptrunk/query", {"trunkname": "all"})["trunks"] == []


def test_siptrunk_required_fields_per_type(raw: httpx.Client, token: str) -> None:
    account = {"trunkname": "acct", "trunktype": "account", "username": "u", "authname": "u"}
    assert post(raw, token, "siptrunk/add", account) == {"status": "Failed", "errno": "10004"}
    assert post(raw, token, "siptrunk/add", {**account, "password": "p"}) == OK
    peer = {"trunkname": "peer", "trunktype": "peer", "host": "h", "port": "5060"}
    assert post(raw, token, "siptrunk/add", peer)["errno"] == "10004"


def test_route_examples(raw: httpx.Client, token: str) -> None:
    post(raw, token, "siptrunk/add", {**TRUNK_ADD, "trunkname": "siptrunk"})
    inroute = {
        "name": "sipin",
        "did": "",
        "caller_id": "",
        "trunks": "siptrunk",
        "desttype": "extension",
        "dest": "1000",
    }
    assert post(raw, token, "inroute/add", inroute) == OK
    update = {
        "id": "1",
        "name": "Routein",
        "did": "10.",
        "caller_id": "",
        "trunks": "siptrunk",
        "desttype": "ivr",
        "dest": "6500",
    }
    assert post(raw, token, "inroute/update", update) == OK
    assert post(raw, token, "inroute/query", {"name": "Routein"})["inroutes"] == [update]
    outroute = {
        "name": "outroute1",
        "prefix": "0",
        "strip": "1",
        "prepend": "",
        "trunks": "siptrunk",
        "extensions": "1001",
        "extensionsgroup": "sales,support",
    }
    assert post(raw, token, "outroute/add", outroute) == OK
    update = {
        "id": "1",
        "name": "outroute2",
        "prefix": "0",
        "strip": "1",
        "prepend": "",
        "trunks": "siptrunk",
        "extensions": "1003",
        "extensionsgroup": "",
    }
    assert post(raw, token, "outroute/update", update) == OK
    assert post(raw, token, "outroute/query", {"name": "all"})["outroutes"] == [update]
    assert post(raw, token, "inroute/delete", {"name": "Routein"}) == OK
    assert post(raw, token, "outroute/delete", {"name": "outroute2"}) == OK


def test_ivr_examples(raw: httpx.Client, token: str) -> None:
    (ivr,) = post(raw, token, "ivr/query", {"ivrid": "6500"})["ivr"]
    assert {
        k: ivr[k]
        for k in (
            "ivrnumber",
            "ivrname",
            "prompt",
            "promptrepeat",
            "responsetimeout",
            "digittimeout",
            "dialext",
            "dialoutboundroutes",
            "dialtocheckvoicemail",
        )
    } == {
        "ivrnumber": "6500",
        "ivrname": "6500",
        "prompt": "[Default]",
        "promptrepeat": "3",
        "responsetimeout": "3",
        "digittimeout": "3",
        "dialext": "on",
        "dialoutboundroutes": "off",
        "dialtocheckvoicemail": "off",
    }
    assert post(raw, token, "ivr/update", {"ivrId": "6500", "ivrNumber": "6501"}) == OK
    assert [i["ivrnumber"] for i in post(raw, token, "ivr/query")["ivr"]] == ["6501"]


def test_queue_examples(raw: httpx.Client, token: str, admin: httpx.Client) -> None:
    admin.post("/admin/records/queue", json={"queuenumber": "6701"})
    (queue,) = post(raw, token, "queue/query", {"queueid": "6700"})["queues"]
    assert queue["queue name"] == "6700" and queue["failoveraction"] == "Hang up"
    assert "announcfreq" in queue and "userannouncfreq" in queue
    assert post(raw, token, "queue/update", {"queueid": "6701", "queuenumber": "6702"}) == OK
    numbers = [q["queuenumber"] for q in post(raw, token, "queue/query")["queues"]]
    assert numbers == ["6700", "6702"]


def test_wakeup_examples(raw: httpx.Client, token: str) -> None:
    create = {
        "extid": "1000",
        "wakeup": [{"time": "00:45", "type": "onetime", "repeats": "3", "repeatinterval": "5"}],
    }
    assert post(raw, token, "wakeupcall/create", create) == OK
    assert post(raw, token, "wakeupcall/query", {"extid": "1000"})["wakeups"] == [
        {
            "extid": "1000",
            "wakeup": [
                {
                    "wakeupid": "1",
                    "time": "00:45",
                    "type": "onetime",
                    "prompt": "macroform-cold_day",
                    "repeats": "3",
                    "repeatinterval": "5",
                }
            ],
        }
    ]
    update = {
        "extid": "1000",
        "wakeupid": "1",
        "wakeup": [{"time": "11:00", "type": "onetime", "repeats": "3", "repeatinterval": "5"}],
    }
    assert post(raw, token, "wakeupcall/update", update) == OK
    assert post(raw, token, "wakeupcall/delete", {"extid": "1000", "wakeupid": "1"}) == OK
    assert post(raw, token, "wakeupcall/delete", {"extid": "1000"}) == OK


def test_wakeup_create_applies_only_the_first_item(raw: httpx.Client, token: str) -> None:
    two = {
        "extid": "1000,1001",
        "wakeup": [
            {"time": "06:00", "type": "everyday", "repeats": "1"},
            {"time": "07:00", "type": "everyday", "repeats": "1"},
        ],
    }
    assert post(raw, token, "wakeupcall/create", two) == OK
    groups = post(raw, token, "wakeupcall/query", {"extid": "1000,1001"})["wakeups"]
    assert [[w["time"] for w in g["wakeup"]] for g in groups] == [["06:00"], ["06:00"]]


@pytest.mark.parametrize(
    ("method", "params", "content", "errno"),
    [
        ("POST", {}, b"{}", "20005"),
        ("POST", {"token": "nope"}, b"{}", "20004"),
        ("GET", {"token": "x"}, b"", "20001"),
        ("POST", {"token": "TOKEN"}, b"<xml/>", "20000"),
        ("POST", {"token": "TOKEN"}, b"[]", "20000"),
    ],
)
def test_protocol_errors(
    raw: httpx.Client,
    token: str,
    method: str,
    params: dict[str, str],
    content: bytes,
    errno: str,
) -> None:
    params = {k: (token if v == "TOKEN" else v) for k, v in params.items()}
    answer = raw.request(method, API + "deviceinfo/query", params=params, content=content)
    assert answer.status_code == 200
    assert answer.json() == {"status": "Failed", "errno": errno}


def test_unknown_endpoint_and_no_create_for_extensions(raw: httpx.Client, token: str) -> None:
    for endpoint in ("extension/add", "ivr/delete", "queue/add"):
        assert post(raw, token, endpoint, {}) == {"status": "Failed", "errno": "10003"}


def test_trunk_and_route_endpoints_need_firmware_81_8_0_42(
    raw: httpx.Client, token: str, sim: Simulator
) -> None:
    sim.state.device["firmwarever"] = "81.8.0.4"
    for endpoint in ("siptrunk/query", "inroute/query", "outroute/add"):
        assert post(raw, token, endpoint, {"name": "all", "trunkname": "all"})["errno"] == "10003"
    assert post(raw, token, "extension/query")["status"] == "Success"
