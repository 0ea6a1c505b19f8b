"""ConfigChange reports pushed to the address registered at login, repeated until 200."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from pbxconf.sim import DEFAULT_PASSWORD, Simulator
from tests.loopback import Receiver

API = "/api/v1.1.0/"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(refuse=2)
    yield running
    running.stop()


def login(raw: httpx.Client, **extra: str) -> str:
    body = {
        "username": "api",
        "password": hashlib.md5(DEFAULT_PASSWORD.encode()).hexdigest(),
        **extra,
    }
    return raw.post(API + "login", json=body).json()["token"]


def test_config_change_reports_repeat_until_answered(
    raw: httpx.Client, admin: httpx.Client, receiver: Receiver, sim: Simulator
) -> None:
    sim.events.backoff = 0.01
    token = login(raw, port=str(receiver.port), url="report", urltag="0")
    raw.post(
        API + "extension/update", params={"token": token}, json={"extid": "1001", "username": "Amy"}
    )
    raw.post(
        API + "siptrunk/add",
        params={"token": token},
        json={"trunkname": "t", "trunktype": "peer", "host": "h", "port": "5060", "domain": "d"},
    )
    deliveries = admin.get("/admin/events").json()["deliveries"]
    assert [d["delivered"] for d in deliveries] == [True, True]
    assert receiver.attempts == 4  # the first report was refused twice, then accepted
    assert receiver.paths == ["/report", "/report"]
    assert receiver.bodies == [
        {
            "action": "ConfigChange",
            "type": "extension",
            "extid": "1001",
            "operation": "update",
            "sn": "SIM0000000000001",
        },
        {
            "action": "ConfigChange",
            "type": "trunk",
            "trunkname": "t",
            "operation": "add",
            "sn": "SIM0000000000001",
        },
    ]


def test_absolute_url_and_bounded_retries(
    raw: httpx.Client, admin: httpx.Client, sim: Simulator
) -> None:
    never = Receiver(refuse=100)
    sim.events.backoff = 0.01
    token = login(raw, port="1", url=f"127.0.0.1:{never.port}/abs", urltag="1")
    raw.post(
        API + "extension/update", params={"token": token}, json={"extid": "1001", "username": "Amy"}
    )
    (delivery,) = admin.get("/admin/events").json()["deliveries"]
    assert delivery["url"] == f"http://127.0.0.1:{never.port}/abs"
    assert (delivery["delivered"], delivery["attempts"]) == (False, sim.events.attempts)
    never.stop()


def test_reports_never_leave_loopback(raw: httpx.Client, admin: httpx.Client) -> None:
    token = login(raw, port="8260", url="192.0.2.10:8260/report", urltag="1")
    raw.post(
        API + "extension/update", params={"token": token}, json={"extid": "1001", "username": "Amy"}
    )
    (delivery,) = admin.get("/admin/events").json()["deliveries"]
    assert delivery["attempts"] == 0
    assert delivery["refused"] == "the simulator sends reports to loopback addresses only"


def test_a_restart_sends_boot_up_where_reports_went_before(
    raw: httpx.Client, admin: httpx.Client, receiver: Receiver, sim: Simulator
) -> None:
    sim.events.backoff = 0.01
    login(raw, port=str(receiver.port))
    admin.post("/admin/restart")
    admin.get("/admin/events")  # waits for the deliveries under way
    assert receiver.bodies == [{"action": "BootUp", "sn": "SIM0000000000001"}]
    assert sim.sessions == {}  # the session is gone: a client logs in again
    edit = {"extnumber": "1001", "username": "Amy"}
    admin.post("/admin/records/extension", json=edit)
    assert len(receiver.bodies) == 1  # and until it does, nothing is reported to it


def test_reports_stop_when_the_token_expires(
    raw: httpx.Client, admin: httpx.Client, receiver: Receiver, sim: Simulator
) -> None:
    login(raw, port=str(receiver.port))
    admin.post("/admin/clock", json={"advance": 31 * 60})
    admin.post("/admin/records/extension", json={"extnumber": "1001", "username": "Amy"})
    assert admin.get("/admin/events").json()["deliveries"] == []


def test_a_drop_fault_loses_a_report(
    raw: httpx.Client, admin: httpx.Client, receiver: Receiver, sim: Simulator
) -> None:
    sim.events.backoff = 0.01
    login(raw, port=str(receiver.port))
    admin.post("/admin/faults", json={"action": "drop", "path": "ConfigChange", "times": 1})
    for name in ("Lost", "Sent"):
        admin.post("/admin/records/extension", json={"extnumber": "1001", "username": name})
    deliveries = admin.get("/admin/events").json()["deliveries"]
    assert [(d["delivered"], d["refused"]) for d in deliveries] == [
        (False, "dropped by a fault"),
        (True, ""),
    ]
    # A report fault counts reports only: API calls are not dropped, nor counted by it.
    (rule,) = admin.get("/admin/faults").json()["rules"]
    assert (rule["seen"], rule["fired"]) == (2, 1)


def test_web_page_edits_are_reported_as_add_update_and_del(
    raw: httpx.Client, admin: httpx.Client, receiver: Receiver, sim: Simulator
) -> None:
    sim.events.backoff = 0.01
    login(raw, port=str(receiver.port))
    trunk = {"trunkname": "web", "trunktype": "peer", "host": "h", "port": "5060", "domain": "d"}
    admin.post("/admin/records/trunk", json=trunk)
    admin.post("/admin/records/trunk", json={**trunk, "host": "moved"})
    admin.delete("/admin/records/trunk/web")
    admin.post("/admin/records/ivr", json={"ivrnumber": "6500", "ivrname": "x"})  # not reported
    admin.get("/admin/events")
    assert [(r["trunkname"], r["operation"]) for r in receiver.bodies] == [
        ("web", "add"),
        ("web", "update"),
        ("web", "del"),
    ]
