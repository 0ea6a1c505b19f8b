"""The strict simulator (the default) refuses, over HTTP, what a PBX that reads the
manual strictly would; `lenient` takes it, as a forgiving PBX would, and answers Success.
A client shown to work against both is not relying on either."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from pbxconf.sim import DEFAULT_PASSWORD, Simulator

API = "/api/v1.1.0/"
PEER = {"trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}
INROUTE = {"name": "i", "did": "", "caller_id": "", "trunks": "carrier", "desttype": "ivr"}
OUTROUTE = {"name": "o", "strip": "", "prepend": "", "trunks": "carrier", "extensions": ""}
WAKEUP = {"time": "07:00", "type": "everyday", "repeats": "1"}


def call(raw: httpx.Client, endpoint: str, body: Any) -> dict[str, Any]:
    password = hashlib.md5(DEFAULT_PASSWORD.encode()).hexdigest()
    login = {"username": "api", "password": password, "port": "8260"}
    token = raw.post(API + "login", json=login).json()["token"]
    answer: dict[str, Any] = raw.post(API + endpoint, params={"token": token}, json=body).json()
    return answer


@pytest.fixture
def pbx(sim: Simulator, raw: httpx.Client) -> httpx.Client:
    sim.state.add_trunk({"trunkname": "carrier", **PEER})
    sim.state.create_wakeup({"extid": "1000,1001", "wakeup": [WAKEUP]})
    return raw


REFUSED = [
    # A key the update table does not have (it has `announcerefreq`, lines 2237-2239).
    ("queue/update", {"queueid": "6700", "announcefreq": "30"}, "10019"),
    ("queue/update", {"queueid": "6700", "userannouncefreq": "30"}, "10019"),
    # A read-only key: extension/update has no `language`.
    ("extension/update", {"extid": "1000", "language": "English"}, "10017"),
    # The query's spelling in an update (the update table writes `atransfertto`).
    ("extension/update", {"extid": "1000", "atransferto": "Voicemail"}, "10017"),
    # Values not in the field's list (breakout says `Dial by Name`, line 2244).
    ("queue/update", {"queueid": "6700", "breakoutaction": "Dial by name"}, "10019"),
    ("queue/update", {"queueid": "6700", "failoveraction": "Dial by Name"}, "10019"),
    ("queue/update", {"queueid": "6700", "maxwaittime": "30"}, "10019"),
    ("inroute/add", {**INROUTE, "desttype": "extrange", "dest": "1000-1001"}, "10003"),
    ("inroute/update", {**INROUTE, "id": "1", "desttype": "exrange", "dest": "1-2"}, "10003"),
    # Numbers travel as strings.
    ("ivr/update", {"ivrId": "6500", "promptRepeat": 2}, "10018"),
    # Required keys: an inbound route's `dest`, a wake-up call's `repeats`, a trunk's
    # password for its type.
    ("inroute/add", INROUTE, "10004"),
    (
        "wakeupcall/create",
        {"extid": "1002", "wakeup": [{"time": "07:00", "type": "onetime"}]},
        "10004",
    ),
    (
        "siptrunk/add",
        {"trunkname": "x", **PEER, "trunktype": "account", "username": "u", "authname": "a"},
        "10004",
    ),
    # A field of another trunk type.
    ("siptrunk/add", {"trunkname": "x", **PEER, "username": "u"}, "10003"),
    # An outbound route with an empty pattern matches nothing.
    ("outroute/add", {**OUTROUTE, "prefix": ""}, "10004"),
    # Forwarding to a Custom Number needs the number (lines 1123, 1136).
    (
        "extension/update",
        {"extid": "1000", "alwaysforward": "on", "atransfertto": "Custom Number"},
        "10017",
    ),
    # Update and delete act on one extension (`extid` Int, lines 4497, 4553).
    ("wakeupcall/update", {"extid": "1000,1001", "wakeupid": "1", "wakeup": [WAKEUP]}, "10006"),
    ("wakeupcall/delete", {"extid": "1000,1001"}, "10006"),
]


@pytest.mark.parametrize(("endpoint", "body", "errno"), REFUSED)
def test_the_strict_simulator_refuses_what_the_manual_does_not_allow(
    pbx: httpx.Client, sim: Simulator, endpoint: str, body: dict[str, Any], errno: str
) -> None:
    before = sim.state.to_json()
    assert call(pbx, endpoint, body) == {"status": "Failed", "errno": errno}
    assert sim.state.to_json() == before  # nothing applied
    assert sim.calls[-1].why  # the simulator's call log says why


# What a forgiving PBX takes (all but the missing keys and the values it cannot store).
LENIENT = [REFUSED[i] for i in (0, 1, 2, 3, 4, 5, 7, 9, 11, 13, 14, 15, 16, 17)]


@pytest.mark.parametrize(("endpoint", "body", "errno"), LENIENT)
def test_a_lenient_simulator_takes_it_and_says_success(
    pbx: httpx.Client, sim: Simulator, endpoint: str, body: dict[str, Any], errno: str
) -> None:
    sim.settings.lenient = True
    # A forgiving PBX ignores what it does not know and answers Success: only a strict
    # simulator, or a re-read, can show the mistake.
    assert call(pbx, endpoint, body) == {"status": "Success"}, sim.calls[-1].why


def test_a_lenient_pbx_answers_success_and_keeps_the_old_value(
    pbx: httpx.Client, sim: Simulator
) -> None:
    # What the old `announcefreq` key did to a forgiving PBX: Success, nothing changed.
    sim.settings.lenient = True
    assert call(pbx, "queue/update", {"queueid": "6700", "announcefreq": "30"})["status"] == (
        "Success"
    )
    assert sim.state.queues["6700"]["announcerefreq"] == "15"


def test_what_the_manual_allows_is_taken(pbx: httpx.Client, sim: Simulator) -> None:
    for endpoint, body in [
        (
            "queue/update",
            {"queueid": "6700", "announcerefreq": "30", "breakoutaction": "Dial by Name"},
        ),
        (
            "extension/update",
            {"extid": "1000", "atransfertto": "Extension", "atransferext": "1001"},
        ),
        ("inroute/add", {**INROUTE, "desttype": "exrange", "dest": "1000-1001"}),
        ("outroute/add", {**OUTROUTE, "prefix": "9."}),
        ("wakeupcall/update", {"extid": "1000", "wakeupid": "1", "wakeup": [WAKEUP]}),
        ("ivr/query", {"ivrid": "6500"}),
    ]:
        assert call(pbx, endpoint, body)["status"] == "Success", (endpoint, sim.calls[-1].why)
    assert sim.state.queues["6700"]["announcerefreq"] == "30"
