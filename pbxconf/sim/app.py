"""The simulated PBX as an ASGI app: auth, pacing, faults, event reports, admin edits.

    sim = Simulator()                       # factory PBX
    app = sim.app                           # serve with uvicorn, or
    httpx.AsyncClient(transport=sim.transport())   # in-process

API calls go to `/api/v1.1.0/{endpoint}` exactly as the manual describes. Everything under
`/admin/` is the simulator's own: out-of-band edits (what a person does in the PBX's web
page), fault injection, the clock, a restart, the call log. See the README for the list.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from pbxconf.digest import md5_hex
from pbxconf.manual.check import check_request
from pbxconf.sim.clock import SimClock
from pbxconf.sim.events import EventPusher, report_url
from pbxconf.sim.faults import FaultBook, FaultRule
from pbxconf.sim.routes import API_ENDPOINTS
from pbxconf.sim.spelling import SPELLINGS
from pbxconf.sim.state import PbxState, SimFailure

CORS = {
    "Access-control-allow-origin": "*",
    "Access-control-allow-methods": "GET, POST, OPTIONS, PUT, DELETE",
}
DEFAULT_USERNAME = "api"
DEFAULT_PASSWORD = "pbxconf-sim"
MAX_REQUEST_BYTES = 1024 * 1024
# The manual's changelog: SIP trunk and route endpoints came with firmware 81.8.0.42.
FIRMWARE_GATED = ("siptrunk/", "inroute/", "outroute/")
TRUNK_ROUTE_FIRMWARE = (81, 8, 0, 42)


@dataclass
class SimSettings:
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    token_ttl: float = 30 * 60
    write_interval: float = 0.0
    latency: float = 0.0
    spelling: str = "examples"
    lock_after: int = 5
    lock_seconds: float = 10 * 60
    # Answer a wake-up query for many extensions with the first one only (older firmware).
    single_extension_wakeup_query: bool = False
    # Take what a forgiving PBX would: keys the manual does not name for the endpoint are
    # ignored, values outside a field's list taken, required keys not insisted on. By
    # default the simulator is strict: it refuses what the manual's tables do not allow.
    lenient: bool = False

    def update(self, data: dict[str, Any]) -> None:
        changes = {}
        for key, value in data.items():
            if key not in self.__dataclass_fields__:
                raise ValueError(f"unknown setting {key!r}")
            if key == "spelling" and value not in SPELLINGS:
                raise ValueError(f"spelling must be one of {', '.join(SPELLINGS)}")
            kind = type(getattr(self, key))
            if kind in (int, float) and not _seconds(value):
                raise ValueError(f"{key} must be a number >= 0, not {value!r}")
            if kind is bool and not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false, not {value!r}")
            changes[key] = kind(value)
        for key, value in changes.items():  # all or nothing
            setattr(self, key, value)


@dataclass
class Session:
    token: str
    refresh_token: str
    issued: float
    report_url: str


@dataclass
class CallRecord:
    endpoint: str
    status: str
    errno: str = ""
    fault: str = ""
    # Why a call was refused, as the simulator sees it (the PBX answers the errno only).
    why: str = ""


# The admin record kinds a PBX reports ConfigChange for (the manual: extensions and trunks
# only), with the record key that names the object.
ADMIN_REPORTED = {"extension": "extnumber", "trunk": "trunkname"}

# The errno a PBX answers when a request breaks an endpoint's table: its own "configuring
# failed" code where the manual's table has one, the generic 10003 elsewhere; a missing
# required key is 10004 ("some parameters are empty") everywhere.
CONFIG_FAILED = {
    "extension/update": "10017",
    "ivr/update": "10018",
    "queue/update": "10019",
    "wakeupcall/create": "10020",
    "wakeupcall/update": "10020",
}


@dataclass
class Simulator:
    state: PbxState = field(default_factory=PbxState.factory)
    settings: SimSettings = field(default_factory=SimSettings)
    clock: SimClock = field(default_factory=SimClock)
    events: EventPusher = field(default_factory=EventPusher)
    faults: FaultBook = field(default_factory=FaultBook)
    sessions: dict[str, Session] = field(default_factory=dict)
    calls: list[CallRecord] = field(default_factory=list)
    failed_logins: dict[str, int] = field(default_factory=dict)
    locked_until: dict[str, float] = field(default_factory=dict)
    last_write: float = -1e18

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route(
                    "/api/v1.1.0/{endpoint:path}",
                    self._api,
                    methods=["GET", "POST", "PUT", "DELETE"],
                ),
                Route("/admin/state", self._admin_state, methods=["GET", "PUT"]),
                Route("/admin/records/{kind}", self._admin_put, methods=["POST"]),
                Route("/admin/records/{kind}/{key}", self._admin_delete, methods=["DELETE"]),
                Route("/admin/faults", self._admin_faults, methods=["GET", "POST", "DELETE"]),
                Route("/admin/settings", self._admin_settings, methods=["GET", "POST"]),
                Route("/admin/clock", self._admin_clock, methods=["POST"]),
                Route("/admin/restart", self._admin_restart, methods=["POST"]),
                Route("/admin/calls", self._admin_calls, methods=["GET", "DELETE"]),
                Route("/admin/events", self._admin_events, methods=["GET"]),
            ]
        )

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls this simulator in-process."""
        return InProcessTransport(self)

    def restart(self) -> list[str]:
        """A PBX restart: every token is gone. Returns where the sessions it had asked for
        reports (see `boot_up`)."""
        urls = self._report_urls()
        self.sessions.clear()
        return urls

    def boot_up(self, urls: list[str]) -> None:
        """The PBX is up again: the manual's BootUp report goes to where reports went
        before the restart (the sessions are gone; a client must log in again)."""
        report = {"action": "BootUp", "sn": self.state.device.get("sn", "")}
        self._push(urls, report)

    def _report_urls(self) -> list[str]:
        """Where reports go: the sessions whose token is alive. The manual's changelog
        (API 1.0.5) fixed a PBX that went on pushing after the token expired: a client
        that lets its token lapse gets no more reports."""
        now = self.clock.now()
        alive = [s for s in self.sessions.values() if now - s.issued <= self.settings.token_ttl]
        return sorted({s.report_url for s in alive})

    def _push(self, urls: list[str], report: dict[str, Any]) -> None:
        if self.faults.fire_report(str(report["action"])):
            self.events.lost(report)  # the PBX lost this report (a fault asked for it)
            return
        for url in urls:
            self.events.push(url, report)

    def call_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.calls:
            counts[call.endpoint] = counts.get(call.endpoint, 0) + 1
        return counts

    # ---- the API -----------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"].strip("/")
        if self.settings.latency:
            await asyncio.sleep(self.settings.latency)
        fired = self.faults.fire(endpoint)
        for rule in fired:
            if rule.action == "delay":
                await asyncio.sleep(rule.delay_ms / 1000)
            elif rule.action == "restart":
                self.boot_up(self.restart())
        for rule in fired:
            if rule.action == "errno":
                return self._answer(endpoint, {"status": "Failed", "errno": rule.errno}, "errno")
            if rule.action == "html":
                self.calls.append(CallRecord(endpoint, "html", fault="html"))
                return HTMLResponse(
                    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 "
                    "Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
                    status_code=502,
                )
            if rule.action == "reset":
                self.calls.append(CallRecord(endpoint, "reset", fault="reset"))
                return TruncatedResponse()
        answer = await self._handle(request, endpoint)
        for rule in fired:
            if rule.action == "stall":
                await asyncio.sleep(rule.delay_ms / 1000)
        if any(rule.action == "lose" for rule in fired):
            self.calls.append(CallRecord(endpoint, "lost", fault="lose"))
            return TruncatedResponse()
        return self._answer(endpoint, answer)

    def _answer(self, endpoint: str, answer: dict[str, Any], fault: str = "") -> Response:
        why = answer.pop("_why", "")
        self.calls.append(
            CallRecord(
                endpoint, str(answer.get("status")), str(answer.get("errno", "")), fault, why
            )
        )
        return PbxJsonResponse(answer, headers=CORS)

    async def _handle(self, request: Request, endpoint: str) -> dict[str, Any]:
        if request.method != "POST":
            return _failed("20001")
        try:
            raw = await request.body()
        except ClientDisconnect:
            return _failed("20007")  # the caller gave up mid-request; nobody reads this
        if len(raw) > MAX_REQUEST_BYTES:
            return _failed("20000")
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return _failed("20000")
        if not isinstance(body, dict):
            return _failed("20000")
        client_ip = request.client.host if request.client else "127.0.0.1"
        if endpoint == "login":
            return self._login(body, client_ip)
        if endpoint == "token/refresh":
            return self._refresh(body)
        token = request.query_params.get("token", "")
        session, errno = self._session(token)
        if session is None:
            return _failed(errno)
        if endpoint == "logout":
            self.sessions.pop(token, None)
            return {"status": "Success"}
        route = API_ENDPOINTS.get(endpoint)
        if route is None or (endpoint.startswith(FIRMWARE_GATED) and self._firmware_too_old()):
            return _failed("10003")
        now = self.clock.now()
        if route.write and now - self.last_write < self.settings.write_interval:
            return _failed("10025")
        if not self.settings.lenient:
            problems = check_request(endpoint, body)
            if problems:
                missing = any(p.kind == "missing" for p in problems)
                errno = "10004" if missing else CONFIG_FAILED.get(endpoint, "10003")
                return _failed(errno, "; ".join(str(p) for p in problems))
        try:
            answer = route.handler(self, body)
        except SimFailure as failure:
            return _failed(failure.errno, failure.why)
        changes = answer.pop("_changes", [])
        if route.write:
            self.last_write = now
            self._report(changes)
        return {"status": "Success", **answer}

    def _firmware_too_old(self) -> bool:
        try:
            version = tuple(int(p) for p in str(self.state.device.get("firmwarever")).split("."))
        except ValueError:
            return False
        return version < TRUNK_ROUTE_FIRMWARE

    def _login(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        now = self.clock.now()
        if self.locked_until.get(client_ip, 0) > now:
            return _failed("20002")
        if not body.get("username") or not body.get("password") or not body.get("port"):
            return _failed("10004")
        if body["username"] != self.settings.username or str(body["password"]).lower() != md5_hex(
            self.settings.password
        ):
            failures = self.failed_logins.get(client_ip, 0) + 1
            self.failed_logins[client_ip] = failures
            if failures >= self.settings.lock_after:
                self.locked_until[client_ip] = now + self.settings.lock_seconds
                self.failed_logins[client_ip] = 0
            return _failed("20003")
        self.failed_logins.pop(client_ip, None)
        url = report_url(
            client_ip, str(body["port"]), str(body.get("url") or ""), str(body.get("urltag") or "0")
        )
        session = Session(secrets.token_hex(16), secrets.token_hex(16), now, url)
        self.sessions[session.token] = session
        return {"status": "Success", "token": session.token, "refreshtoken": session.refresh_token}

    def _refresh(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("refreshtoken")
        for token, session in list(self.sessions.items()):
            if session.refresh_token == wanted and wanted:
                del self.sessions[token]
                fresh = Session(
                    secrets.token_hex(16),
                    secrets.token_hex(16),
                    self.clock.now(),
                    session.report_url,
                )
                self.sessions[fresh.token] = fresh
                return {
                    "status": "Success",
                    "token": fresh.token,
                    "refreshtoken": fresh.refresh_token,
                }
        return _failed("20004")

    def _session(self, token: str) -> tuple[Session | None, str]:
        if not token:
            return None, "20005"
        session = self.sessions.get(token)
        if session is None:
            return None, "20004"
        if self.clock.now() - session.issued > self.settings.token_ttl:
            del self.sessions[token]
            return None, "20006"
        return session, ""

    def _report(self, changes: list[Any]) -> None:
        for change in changes:
            report = {"action": "ConfigChange", "type": change.type}
            report["extid" if change.type == "extension" else "trunkname"] = change.key
            report.update(operation=change.operation, sn=self.state.device.get("sn", ""))
            self._push(self._report_urls(), report)

    # ---- admin -------------------------------------------------------------------------

    async def _admin_state(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                self.state = PbxState.from_json(await request.json())
            except ValueError as err:
                return JSONResponse({"error": str(err)}, status_code=400)
        return JSONResponse(self.state.to_json())

    async def _admin_put(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        try:
            record = await _admin_body(request)
            existed = self.state.admin_has(kind, record)
            self.state.admin_put(kind, record)
        except AdminInputError as err:
            return _admin_error(str(err))
        except (ValueError, TypeError) as err:
            return _admin_error(str(err))
        key = record.get(ADMIN_REPORTED.get(kind, ""))
        self._report_admin(kind, str(key), "update" if existed else "add")
        return JSONResponse({"ok": True})

    def _report_admin(self, kind: str, key: str, operation: str) -> None:
        """An edit in the web page is reported as an API write is (extensions and trunks
        only, as the manual says)."""
        from pbxconf.sim.state import ConfigChange

        if kind in ADMIN_REPORTED:
            self._report([ConfigChange(kind, key, operation)])

    async def _admin_delete(self, request: Request) -> Response:
        kind, key = request.path_params["kind"], request.path_params["key"]
        try:
            found = self.state.admin_delete(kind, key)
        except KeyError:
            return JSONResponse({"error": f"unknown kind {kind}"}, status_code=400)
        if found:
            self._report_admin(kind, key, "del")
        return JSONResponse({"deleted": found}, status_code=200 if found else 404)

    async def _admin_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.rules.clear()
        elif request.method == "POST":
            try:
                data = await _admin_body(request)
                rules = data["rules"] if isinstance(data, dict) and "rules" in data else [data]
                if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
                    raise AdminInputError('a fault rule is a JSON object (or {"rules": [...]})')
                self.faults.rules.extend([FaultRule.from_json(rule) for rule in rules])
            except AdminInputError as err:
                return _admin_error(str(err))
            except KeyError as err:
                return _admin_error(f"bad fault rule: it needs {err.args[0]!r}")
            except (ValueError, TypeError) as err:
                return _admin_error(f"bad fault rule: {err}")
        return JSONResponse({"rules": [rule.to_json() for rule in self.faults.rules]})

    async def _admin_settings(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = await _admin_body(request)
                if not isinstance(data, dict):
                    raise AdminInputError('settings are a JSON object: {"latency": 0.02}')
                self.settings.update(data)
            except AdminInputError as err:
                return _admin_error(str(err))
            except (ValueError, TypeError) as err:
                return _admin_error(str(err))
        public = asdict(self.settings)
        public.pop("password")
        return JSONResponse(public)

    async def _admin_clock(self, request: Request) -> Response:
        try:
            data = await _admin_body(request)
            advance = data.get("advance", 0) if isinstance(data, dict) else None
            if not _seconds(advance):
                raise AdminInputError('send {"advance": SECONDS}, a number of seconds >= 0')
        except AdminInputError as err:
            return _admin_error(str(err))
        self.clock.advance(float(advance))  # type: ignore[arg-type]  # _seconds checked it
        return JSONResponse({"now": self.clock.now()})

    async def _admin_restart(self, request: Request) -> Response:
        self.boot_up(self.restart())
        return JSONResponse({"ok": True})

    async def _admin_calls(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.calls.clear()
        return JSONResponse(
            {"calls": [asdict(c) for c in self.calls], "counts": self.call_counts()}
        )

    async def _admin_events(self, request: Request) -> Response:
        await self.events.drain()
        return JSONResponse({"deliveries": [asdict(d) for d in self.events.log]})


class AdminInputError(ValueError):
    """An /admin request the simulator cannot act on; answered 400 with the reason."""


async def _admin_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as err:
        raise AdminInputError(f"the body is not JSON: {err}") from None


def _admin_error(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


def _seconds(value: Any) -> bool:
    """A finite, non-negative number (not a bool, which JSON keeps apart)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


class PbxJsonResponse(JSONResponse):
    """The PBX's compact JSON, written by orjson: large answers cost the simulator little,
    so a benchmark's time is the client's and the injected latency."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def _failed(errno: str, why: str = "") -> dict[str, Any]:
    """A refusal; `_why` is the simulator's own note for its call log, never answered."""
    return {"status": "Failed", "errno": errno, **({"_why": why} if why else {})}


class TruncatedResponse(Response):
    """Headers promise a body that never comes: the connection closes mid-answer."""

    def __init__(self) -> None:
        super().__init__(status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        # Returning with more body promised makes the server drop the connection.
        await send({"type": "http.response.body", "body": b'{"status": "Succ', "more_body": True})


class InProcessTransport(httpx.ASGITransport):
    """ASGITransport that turns a short body into the error a real socket would give."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__(app=sim.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        body = await response.aread()
        declared = response.headers.get("content-length")
        if declared is not None and int(declared) > len(body):
            raise httpx.RemoteProtocolError("peer closed connection without a complete body")
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )
