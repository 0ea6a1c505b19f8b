"""The client against the simulator over TCP: every endpoint, the token lifecycle, pacing,
retries and each kind of fault."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from pbxconf.api import (
    ApiError,
    LoginFailed,
    LoginLocked,
    PbxClient,
    ProtocolError,
    TooFrequent,
    TransportError,
    WriteOutcomeUnknown,
)
from pbxconf.kinds import KINDS
from pbxconf.live import read_records
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator
from pbxconf.sim.faults import FaultRule
from pbxconf.sim.server import ThreadedServer
from tests.conftest import fast_settings

pytestmark = pytest.mark.anyio

PEER = {"trunktype": "peer", "host": "sip.example.net", "port": "5060", "domain": "example.net"}


def client(server: ThreadedServer, **settings: float) -> PbxClient:
    return PbxClient(
        server.url, DEFAULT_USERNAME, DEFAULT_PASSWORD, settings=fast_settings(**settings)
    )


async def records(pbx: PbxClient, kind: str, keys: list[str] | None = None) -> list[dict]:
    """A kind's records, read as its declaration says (all, or some identities)."""
    return await read_records(pbx, KINDS[kind], keys)


async def write(pbx: PbxClient, endpoint: str, body: dict) -> None:
    await pbx.call(endpoint, body, write=True)


# ---- every endpoint ------------------------------------------------------------------


async def test_device_info_and_extension_list(pbx: PbxClient) -> None:
    info = await pbx.device_info()
    assert info["firmwarever"] == "81.9.0.14"
    assert info["extensionstatus"] == "20/50"
    listed = (await pbx.call("extensionlist/query", write=False))["extlist"]
    assert [e["extnumber"] for e in listed] == [str(n) for n in range(1000, 1020)]


async def test_extension_query_all_one_and_list_and_update(pbx: PbxClient) -> None:
    assert len(await records(pbx, "extension")) == 20
    two = await records(pbx, "extension", ["1001", "1003"])
    assert [e["extnumber"] for e in two] == ["1001", "1003"]
    await write(
        pbx, "extension/update", {"extid": "1001"} | {"username": "Amy", "ringtimeout": "60"}
    )
    (amy,) = await records(pbx, "extension", ["1001"])
    assert (amy["username"], amy["ringtimeout"]) == ("Amy", "60")


async def test_extension_renumber(pbx: PbxClient) -> None:
    await write(pbx, "extension/update", {"extid": "1019"} | {"extnumber": "2019"})
    assert [e["extnumber"] for e in await records(pbx, "extension", ["2019", "1019"])] == ["2019"]


async def test_trunk_add_query_update_delete(pbx: PbxClient) -> None:
    await write(pbx, "siptrunk/add", {"trunkname": "carrier", **PEER})
    assert [
        t["trunkname"] for t in (await pbx.call("trunklist/query", write=False))["trunklist"]
    ] == ["carrier"]
    (trunk,) = await records(pbx, "trunk")
    await write(pbx, "siptrunk/update", {**trunk, "trunkname": "carrier2", "port": "5080"})
    (renamed,) = await records(pbx, "trunk", ["carrier2"])
    assert (renamed["id"], renamed["port"]) == (trunk["id"], "5080")
    await write(pbx, "siptrunk/delete", {"trunkname": "carrier2"})
    assert await records(pbx, "trunk") == []


async def test_routes_add_query_update_delete(pbx: PbxClient) -> None:
    await write(pbx, "siptrunk/add", {"trunkname": "carrier", **PEER})
    inroute = {
        "name": "main",
        "did": "",
        "caller_id": "",
        "trunks": "carrier",
        "desttype": "ivr",
        "dest": "6500",
    }
    await write(pbx, "inroute/add", inroute)
    (got,) = await records(pbx, "inbound_route")
    await write(pbx, "inroute/update", {**got, "desttype": "queue", "dest": "6700"})
    assert (await records(pbx, "inbound_route", ["main"]))[0]["dest"] == "6700"
    outroute = {
        "name": "out",
        "prefix": "9",
        "strip": "1",
        "prepend": "",
        "trunks": "carrier",
        "extensions": "1000,1001",
        "extensionsgroup": "",
    }
    await write(pbx, "outroute/add", outroute)
    (out,) = await records(pbx, "outbound_route")
    await write(pbx, "outroute/update", {**out, "extensions": "1002"})
    assert (await records(pbx, "outbound_route", ["out"]))[0]["extensions"] == "1002"
    await write(pbx, "inroute/delete", {"name": "main"})
    await write(pbx, "outroute/delete", {"name": "out"})
    assert await records(pbx, "inbound_route") == [] and await records(pbx, "outbound_route") == []


async def test_ivr_and_queue_query_update(pbx: PbxClient) -> None:
    await write(
        pbx, "ivr/update", {"ivrId": "6500"} | {"ivrName": "Reception", "promptRepeat": "2"}
    )
    (ivr,) = await records(pbx, "ivr", ["6500"])
    assert (ivr["ivrname"], ivr["promptrepeat"]) == ("Reception", "2")
    await write(
        pbx, "queue/update", {"queueid": "6700"} | {"queuename": "Sales", "agents": "1000,1001"}
    )
    (queue,) = await records(pbx, "queue")
    assert (queue["queue name"], queue["agents"]) == ("Sales", "1000,1001,")


async def test_wakeup_create_query_update_delete(pbx: PbxClient) -> None:
    item = {"time": "07:00", "type": "everyday", "repeats": "2", "repeatinterval": "5"}
    await write(pbx, "wakeupcall/create", {"extid": "1000,1001", "wakeup": [item]})
    found = await records(pbx, "wakeup_call", ["1000", "1001", "1002"])
    assert [(w["extid"], w["time"]) for w in found] == [("1000", "07:00"), ("1001", "07:00")]
    wakeupid = found[0]["wakeupid"]
    item = {"time": "07:30", "type": "onetime", "repeats": "1"}
    await write(pbx, "wakeupcall/update", {"extid": "1000", "wakeupid": wakeupid, "wakeup": [item]})
    assert (await records(pbx, "wakeup_call", ["1000"]))[0]["time"] == "07:30"
    await write(pbx, "wakeupcall/delete", {"extid": "1000", "wakeupid": wakeupid})
    await write(pbx, "wakeupcall/delete", {"extid": "1001"})
    assert await records(pbx, "wakeup_call", ["1000", "1001"]) == []


async def test_failed_call_names_the_call_errno_and_meaning(pbx: PbxClient) -> None:
    with pytest.raises(ApiError) as caught:
        await write(pbx, "extension/update", {"extid": "1999"} | {"username": "nobody"})
    assert caught.value.errno == "10006"
    assert str(caught.value) == "extension/update: errno 10006 (the extension does not exist)"


# ---- token lifecycle -----------------------------------------------------------------


async def test_refreshes_the_token_before_it_expires(server: ThreadedServer) -> None:
    now = [0.0]
    pbx = PbxClient(
        server.url,
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        settings=fast_settings(),
        clock=lambda: now[0],
    )
    async with pbx:
        await pbx.device_info()
        now[0] = 26 * 60  # past lifetime minus the five-minute margin
        await pbx.device_info()
        assert pbx.calls["token/refresh"] == 1
        assert pbx.calls["login"] == 1


async def test_expired_token_logs_in_again_once(server: ThreadedServer, sim: Simulator) -> None:
    async with client(server) as pbx:
        sim.clock.advance(31 * 60)  # the PBX's clock: the token is now past 30 minutes
        assert (await pbx.device_info())["sn"]
        assert pbx.calls["login"] == 2


async def test_restart_drops_tokens_and_client_recovers(
    server: ThreadedServer, sim: Simulator, admin: httpx.Client
) -> None:
    async with client(server) as pbx:
        admin.post("/admin/restart")
        assert len(await records(pbx, "extension")) == 20
        assert pbx.calls["login"] == 2
        # The first call after the restart (the extension list) is refused, then repeated.
        assert [c.errno for c in sim.calls if c.endpoint == "extensionlist/query"] == ["20004", ""]


async def test_refused_refresh_falls_back_to_login(server: ThreadedServer, sim: Simulator) -> None:
    now = [0.0]
    pbx = PbxClient(
        server.url,
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        settings=fast_settings(),
        clock=lambda: now[0],
    )
    async with pbx:
        sim.restart()  # the refresh token is gone too
        now[0] = 26 * 60
        await pbx.device_info()
        assert pbx.calls["token/refresh"] == 1
        assert pbx.calls["login"] == 2


async def test_logout_on_close(server: ThreadedServer, sim: Simulator) -> None:
    async with client(server):
        assert len(sim.sessions) == 1
    assert sim.sessions == {}


async def test_logout_says_when_its_request_is_on_the_wire(
    server: ThreadedServer, sim: Simulator
) -> None:
    # Over TCP the caller learns the request is written (it can plan meanwhile); the
    # in-process transport has no wire to tell of, and the logout simply completes.
    async with client(server) as pbx:
        sent = asyncio.Event()
        await pbx.logout(sent=sent)
        assert sent.is_set() and sim.sessions == {}
    pbx = PbxClient("http://sim", DEFAULT_USERNAME, DEFAULT_PASSWORD, transport=sim.transport())
    async with pbx:
        sent = asyncio.Event()
        await pbx.close(sent=sent)
        assert not sent.is_set() and not pbx.logged_in and sim.sessions == {}


# ---- login failures ------------------------------------------------------------------


async def test_wrong_password_is_tried_exactly_once(server: ThreadedServer, sim: Simulator) -> None:
    pbx = PbxClient(server.url, DEFAULT_USERNAME, "wrong", settings=fast_settings())
    with pytest.raises(LoginFailed) as caught:
        async with pbx:
            pass
    assert [c.endpoint for c in sim.calls] == ["login"]
    assert "will not retry" in str(caught.value)
    assert "lock this IP address out for 10 minutes" in str(caught.value)


async def test_locked_ip_says_so(server: ThreadedServer, sim: Simulator) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            async with PbxClient(server.url, "api", "wrong", settings=fast_settings()):
                pass
    with pytest.raises(LoginLocked) as caught:
        async with client(server):
            pass
    assert "errno 20002" in str(caught.value)
    assert "10 minutes" in str(caught.value)
    sim.clock.advance(601)
    async with client(server) as pbx:
        assert pbx.logged_in


# ---- pacing and busy answers ---------------------------------------------------------


async def test_apply_too_frequent_is_retried_with_backoff(
    server: ThreadedServer, sim: Simulator
) -> None:
    sim.settings.write_interval = 0.15
    async with client(server, backoff_base=0.1, backoff_max=0.4) as pbx:
        for name in ("a", "b", "c"):
            await write(pbx, "extension/update", {"extid": "1000"} | {"username": name})
    refused = [c for c in sim.calls if c.errno == "10025"]
    applied = [c for c in sim.calls if c.endpoint == "extension/update" and c.status == "Success"]
    assert len(applied) == 3 and refused


async def test_apply_too_frequent_gives_up_after_the_bound(
    server: ThreadedServer, sim: Simulator
) -> None:
    sim.faults.rules.clear()
    async with client(server, busy_retries=2) as pbx:
        from pbxconf.sim.faults import FaultRule

        sim.faults.rules.append(FaultRule("errno", path="extension/update", times=0, errno="10025"))
        with pytest.raises(TooFrequent):
            await write(pbx, "extension/update", {"extid": "1000"} | {"username": "x"})
    assert sum(1 for c in sim.calls if c.endpoint == "extension/update") == 3


async def test_client_spaces_writes(server: ThreadedServer, sim: Simulator) -> None:
    sim.settings.write_interval = 0.1
    async with client(server, write_interval=0.12) as pbx:
        for name in ("a", "b", "c"):
            await write(pbx, "extension/update", {"extid": "1000"} | {"username": name})
    assert not [c for c in sim.calls if c.errno == "10025"]


# ---- faults --------------------------------------------------------------------------


def inject(admin: httpx.Client, **rule: object) -> None:
    assert admin.post("/admin/faults", json=rule).status_code == 200


async def test_service_down_for_a_while_is_retried(pbx: PbxClient, admin: httpx.Client) -> None:
    inject(admin, action="errno", errno="30003", path="extension/query", times=2)
    assert len(await records(pbx, "extension")) == 20


async def test_reset_on_a_read_is_retried(pbx: PbxClient, admin: httpx.Client) -> None:
    inject(admin, action="reset", path="siptrunk/query")
    assert await records(pbx, "trunk") == []
    assert pbx.calls["siptrunk/query"] == 2


async def test_reset_on_a_write_is_not_resent(
    pbx: PbxClient, admin: httpx.Client, sim: Simulator
) -> None:
    inject(admin, action="reset", path="siptrunk/add")
    with pytest.raises(WriteOutcomeUnknown) as caught:
        await write(pbx, "siptrunk/add", {"trunkname": "carrier", **PEER})
    assert "was not re-sent" in str(caught.value)
    assert pbx.calls["siptrunk/add"] == 1
    assert sim.state.trunks == {}


async def test_lost_answer_to_a_write_that_landed(
    pbx: PbxClient, admin: httpx.Client, sim: Simulator
) -> None:
    inject(admin, action="lose", path="siptrunk/add")
    with pytest.raises(WriteOutcomeUnknown):
        await write(pbx, "siptrunk/add", {"trunkname": "carrier", **PEER})
    assert [t["trunkname"] for t in await records(pbx, "trunk")] == ["carrier"]
    assert pbx.calls["siptrunk/add"] == 1


async def test_timeout_on_a_read_is_retried_then_reported(
    server: ThreadedServer, admin: httpx.Client
) -> None:
    async with client(server, timeout=0.3, transport_retries=1) as pbx:
        inject(admin, action="delay", delay_ms=1000, path="ivr/query", times=1)
        assert len(await records(pbx, "ivr")) == 1
        inject(admin, action="delay", delay_ms=1000, path="ivr/query", times=2)
        with pytest.raises(TransportError) as caught:
            await records(pbx, "ivr")
    assert "timed out waiting for the answer" in str(caught.value)


async def test_proxy_html_page_is_a_clear_error(pbx: PbxClient, admin: httpx.Client) -> None:
    inject(admin, action="html", path="queue/query", times=3)  # more than the retries
    with pytest.raises(ProtocolError) as caught:
        await records(pbx, "queue")
    message = str(caught.value)
    assert message.startswith("queue/query: the answer is not the PBX API's JSON (HTTP 502")
    assert "502 Bad Gateway" in message
    assert message.endswith("a proxy or gateway in front of the PBX failed")


async def test_a_proxy_page_on_a_read_is_retried(pbx: PbxClient, admin: httpx.Client) -> None:
    inject(admin, action="html", path="queue/query", times=1)
    assert len(await records(pbx, "queue")) == 1


async def test_a_proxy_page_on_a_write_may_have_landed(pbx: PbxClient, sim: Simulator) -> None:
    # A 502 was reported as a failure: the PBX behind the proxy may have applied it.
    sim.faults.rules.append(FaultRule("html", path="extension/update"))
    with pytest.raises(WriteOutcomeUnknown) as caught:
        await write(pbx, "extension/update", {"extid": "1000", "username": "Amy"})
    assert "HTTP 502" in str(caught.value) and "it may or may not have been applied" in str(
        caught.value
    )


async def test_connection_refused_is_a_clear_error() -> None:
    pbx = PbxClient("http://127.0.0.1:9", "api", "x", settings=fast_settings(transport_retries=0))
    with pytest.raises(TransportError) as caught:
        async with pbx:
            pass
    assert str(caught.value) == (
        "login: could not connect to http://127.0.0.1:9 (All connection attempts failed)"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"status": "Weird"}', "the answer has no valid `status` (got 'Weird')"),
        (b'{"errno": "10003"}', "the answer has no valid `status` (got None)"),
        (b'{"status": "Failed"}', "the PBX answered Failed without an errno"),
        (b"[1, 2]", "the answer is not the PBX API's JSON"),
        (b'{"status": "Success"}', "the answer has no `trunks` list of objects"),
        (b'{"status": "Success", "trunks": [1]}', "the answer has no `trunks` list of objects"),
        (b"[" * 100_000 + b"]" * 100_000, "the answer is not the PBX API's JSON"),
        (b'{"status": "Success"} trailing', "the answer is not the PBX API's JSON"),
        (b"\xff\xfe{}", "the answer is not the PBX API's JSON"),
    ],
)
async def test_malformed_answers(body: bytes, expected: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(
                200, json={"status": "Success", "token": "t", "refreshtoken": "r"}
            )
        return httpx.Response(200, content=body)

    pbx = PbxClient("http://pbx.test", "api", "x", transport=httpx.MockTransport(answer))
    async with pbx:
        with pytest.raises(ProtocolError) as caught:
            await records(pbx, "trunk")
    assert expected in str(caught.value)


async def test_an_answer_json_reads_only_with_the_standard_parser_still_reads() -> None:
    # A lone surrogate escape: the fast parser refuses it, Python's json takes it.
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(
                200, json={"status": "Success", "token": "t", "refreshtoken": "r"}
            )
        return httpx.Response(
            200, content=b'{"status": "Success", "trunks": [{"trunkname": "a\\ud800"}]}'
        )

    async with PbxClient(
        "http://pbx.test", "api", "x", transport=httpx.MockTransport(answer)
    ) as pbx:
        assert await records(pbx, "trunk") == [{"trunkname": "a\ud800"}]


@pytest.mark.parametrize(
    ("chunk", "waits"),
    [
        (64 * 1024, True),  # more was waiting than one read takes: decoding would stretch it
        (4 * 1024, False),  # a slow link: the waiting is the network's
    ],
)
async def test_until_received_waits_while_an_answer_comes_in_faster_than_it_is_read(
    chunk: int, waits: bool
) -> None:
    halfway, rest = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b'{"status": "Success", "pad": "' + b"x" * chunk
        halfway.set()
        await rest.wait()
        yield b'", "trunks": []}'

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(
                200, json={"status": "Success", "token": "t", "refreshtoken": "r"}
            )
        return httpx.Response(200, content=body())

    transport = httpx.MockTransport(answer)
    async with PbxClient("http://pbx.test", "api", "x", transport=transport) as pbx:
        await asyncio.wait_for(pbx.until_received(), 1)  # nothing coming in
        query = asyncio.ensure_future(records(pbx, "trunk"))
        await halfway.wait()
        waiting = asyncio.ensure_future(pbx.until_received())
        await asyncio.sleep(0.02)
        assert waiting.done() is not waits
        rest.set()
        assert await query == []
        await asyncio.wait_for(waiting, 1)
        await asyncio.wait_for(pbx.until_received(), 1)  # and nothing is left counted


# ---- secrets -------------------------------------------------------------------------


async def test_token_never_appears_in_logs_or_errors(
    server: ThreadedServer, sim: Simulator, admin: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors = []
    async with client(server) as pbx:
        token = next(iter(sim.sessions))
        inject(admin, action="reset", path="siptrunk/add")
        for call in (
            write(pbx, "siptrunk/add", {"trunkname": "x", **PEER}),
            write(pbx, "extension/update", {"extid": "9"}),
        ):
            try:
                await call
            except Exception as err:
                errors.append(str(err))
    assert len(errors) == 2
    assert "token=***" in caplog.text  # httpx's own request log, masked
    assert token not in caplog.text
    assert not any(token in e for e in errors)


async def test_an_error_page_that_echoes_the_request_is_masked() -> None:
    # A proxy's error page repeating the request printed the token, the md5 of the API
    # password and a voicemail PIN in its first 160 characters.
    password_md5 = "5e12ba8dd1083a7f946e457cf3c18779"
    page = (
        "<html><body>Bad request: POST /api/v1.1.0/extension/update?token=0123abcd&x=1 "
        f'{{"password": "{password_md5}", "vmsecret": "4321", "extid": "1000"}}</body></html>'
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"status": "Success", "token": "t"})
        return httpx.Response(400, text=page, headers={"content-type": "text/html"})

    async with PbxClient(
        "http://pbx.test", "api", "x", transport=httpx.MockTransport(answer)
    ) as pbx:
        with pytest.raises(ProtocolError) as caught:
            await pbx.call("extension/update", {}, write=True)
    message = str(caught.value)
    assert "HTTP 400" in message and "extid" in message
    for secret in ("0123abcd", password_md5, "4321"):
        assert secret not in message


async def test_a_lost_login_answer_is_not_called_a_write() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset by peer")

    pbx = PbxClient("http://pbx.test", "api", "x", transport=httpx.MockTransport(answer))
    with pytest.raises(TransportError) as caught:
        async with pbx:
            pass
    assert str(caught.value).startswith("login: the login was sent but its answer was lost")
    assert "write" not in str(caught.value)


async def test_the_api_service_down_is_retried_a_short_bounded_number_of_times(
    server: ThreadedServer, sim: Simulator
) -> None:
    # 20010 was retried 7 times over 22 s, even for a delete the PBX refuses for good.
    sim.faults.rules.append(FaultRule("errno", path="siptrunk/delete", times=0, errno="20010"))
    async with client(server) as pbx:
        with pytest.raises(ApiError) as caught:
            await write(pbx, "siptrunk/delete", {"trunkname": "x"})
    assert sim.call_counts()["siptrunk/delete"] == 3  # the first try and two more
    assert str(caught.value).startswith(
        "siptrunk/delete: errno 20010 (the request could not be handed to the API service "
        "(apisrv)); tried 3 times over"
    )
