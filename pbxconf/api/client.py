"""Async client for the PBX HTTP API v1.1.0.

Every call is `POST {base}/api/v1.1.0/{endpoint}?token=...` with a JSON body, answered
HTTP 200 with `{"status": "Success", ...}` or `{"status": "Failed", "errno": "NNNNN"}`.

What this layer owns (and nothing above it has to think about):
- the token: login, refresh before the 30-minute expiry, log in again once when the PBX
  says the token is gone (20004/20006, e.g. after a restart), logout on close;
- never repeating a login that failed (five failures lock the IP for ten minutes);
- pacing: reads run concurrently up to a bound, writes one at a time spaced by a minimum
  interval, 10025 ("apply too frequent") and 30003 (API service down) retried with
  exponential backoff and jitter a bounded number of times;
- transport faults: a read is retried a bounded number of times; a write whose request may
  have reached the PBX is never re-sent (a create could land twice): WriteOutcomeUnknown.

It takes and returns wire-shaped dicts: `call(endpoint, body)`. Which endpoints there are,
what they take and how their answers are read is each kind's declaration (pbxconf.kinds).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import random
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpcore  # noqa: F401  (see _warm_up)
import httpx
import pydantic_core

from pbxconf.api.errors import (
    ApiError,
    LoginFailed,
    LoginLocked,
    LoginOutcomeUnknown,
    PbxError,
    ProtocolError,
    ServiceUnavailable,
    TokenRejected,
    TooFrequent,
    TransportError,
    WriteOutcomeUnknown,
    api_error_for,
)
from pbxconf.api.pacing import WritePacing
from pbxconf.digest import md5_hex
from pbxconf.redact import MaskSecrets, mask, without_userinfo

log = logging.getLogger("pbxconf.api")

API_PREFIX = "/api/v1.1.0/"
WireRecord = dict[str, Any]

# A PBX answer larger than this is refused rather than held in memory.
MAX_BODY_BYTES = 64 * 1024 * 1024

# A read that returns this much found more bytes waiting than httpcore reads at once
# (64 KiB): the answer is coming in faster than it is read. Over a slow link, reads
# between two slices of CPU work find a few KiB.
BACKLOG_CHUNK = 32 * 1024

# A proxy's "bad gateway" pages: the PBX behind it may or may not have had the request.
GATEWAY_STATUSES = (502, 503, 504)

for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(MaskSecrets())


@dataclass
class ClientSettings:
    timeout: float = 15.0
    read_concurrency: int = 8
    # Seconds between two writes; the PBX applies every write and refuses bursts (10025).
    write_interval: float = 0.5
    # How often 10025 (apply too frequent: the PBX asks to be paced) is retried before
    # giving up, and the backoff bounds.
    busy_retries: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 10.0
    # How often 30003 / 20010 (the API service is down, or a request could not be handed
    # to it) are retried: a short bound, since a PBX that refuses for good answers the
    # same every time and a person waits for each try.
    unavailable_retries: int = 2
    # How often a read (or a request that never reached the PBX) is retried on transport faults.
    transport_retries: int = 2
    token_lifetime: float = 30 * 60
    # Refresh when less than this is left of the token's life.
    refresh_margin: float = 5 * 60
    # Where the PBX pushes event reports (the manual's login `port`); only `pbxconf watch`
    # listens there.
    report_port: str = "8260"
    # An absolute address for the reports instead (login `url` with `urltag` 1), for a
    # listener the PBX reaches through NAT or a proxy; None: the caller's IP and the port.
    report_url: str | None = None
    # The report format version (login `version`): the manual says "1.0.2" makes the
    # PBX's reports well-formed JSON. None: not sent, as plan and apply do.
    report_version: str | None = None


class PbxClient:
    """One client per PBX. Use as `async with PbxClient(...) as pbx:`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        settings: ClientSettings | None = None,
        verify: bool | ssl.SSLContext = True,
        ca_bundle: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password_md5 = md5_hex(password)  # the manual: sent as its lowercase hex md5
        self.settings = settings or ClientSettings()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        if ca_bundle:
            verify = ssl.create_default_context(cafile=ca_bundle)
        elif self.base_url.startswith("http://"):
            verify = False  # no TLS to verify; loading the CA bundle costs ~25 ms per command
        if transport is None:
            # Headers and body may go out as two writes; with Nagle's algorithm on, the second
            # can wait for the PBX's delayed ACK (~40 ms) on a kept-alive connection.
            transport = httpx.AsyncHTTPTransport(
                verify=verify, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            verify=verify,
            transport=transport,
            timeout=self.settings.timeout,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        self._token: str | None = None
        self._refresh_token: str | None = None
        self._token_time = 0.0
        self._auth_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._pacing = WritePacing(self.settings, clock, sleep)
        self._reads = asyncio.Semaphore(self.settings.read_concurrency)
        # Successful logins: a new one means a new session, and with it the PBX's report
        # registration made anew (reports sent in between may be lost).
        self.logins = 0
        # Answers coming in faster than they are read (see until_received), and an event
        # set each time one of them catches up or ends.
        self._backlogged = 0
        self._caught_up = asyncio.Event()
        # Counts of calls by endpoint (logins included): benchmarks and tests read them.
        self.calls: dict[str, int] = {}

    # ---- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> PbxClient:
        try:
            await self.login()
        except BaseException:
            await self._http.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, *, sent: asyncio.Event | None = None) -> None:
        """Log out (see `logout` for `sent`) and close the connections."""
        try:
            if self._token:
                try:
                    await self.logout(sent=sent)
                except PbxError as err:
                    log.debug("logout failed: %s", err)
        finally:
            await self._http.aclose()

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    async def login(self) -> None:
        body = {
            "username": self.username,
            "password": self._password_md5,
            "port": self.settings.report_port,
        }
        if self.settings.report_url:
            body.update(url=self.settings.report_url, urltag="1")  # 1: an absolute URL
        if self.settings.report_version:
            body["version"] = self.settings.report_version
        # A login is never repeated after an answer: a wrong password counts toward the lock.
        answer = await self._post("login", body, token=None, resend_safe=False)
        self._take_tokens("login", answer)
        self.logins += 1

    async def relogin(self) -> None:
        """A new session whatever the current token's state (after the PBX restarted, it
        has forgotten the token and where to send reports)."""
        async with self._auth_lock:
            self._token = self._refresh_token = None
            await self.login()

    async def keep_fresh(self) -> None:
        """Log in or refresh the token if it is due, as a call would: a session kept open
        while no call is made (the token lapses after 30 minutes, and the PBX's reports
        stop with it)."""
        await self._current_token()

    def refresh_due_in(self) -> float:
        """Seconds until the token should be refreshed (0: now, or no session)."""
        if self._token is None:
            return 0.0
        due = self._token_time + self.settings.token_lifetime - self.settings.refresh_margin
        return max(0.0, due - self._clock())

    async def refresh(self) -> None:
        if not self._refresh_token:
            await self.login()
            return
        try:
            answer = await self._post(
                "token/refresh",
                {"refreshtoken": self._refresh_token},
                token=None,
                resend_safe=True,
            )
        except ApiError as err:
            log.debug("token refresh refused (%s); logging in again", err)
            await self.login()
            return
        self._take_tokens("token/refresh", answer)

    async def logout(self, *, sent: asyncio.Event | None = None) -> None:
        """End the session. `sent` is set once the request is on the wire (over TCP), for a
        caller with work to do meanwhile."""
        token, self._token, self._refresh_token = self._token, None, None
        if token:
            await self._post("logout", {}, token=token, resend_safe=True, sent=sent)

    def _take_tokens(self, call: str, answer: WireRecord) -> None:
        token, refresh = answer.get("token"), answer.get("refreshtoken")
        if not isinstance(token, str) or not token:
            raise ProtocolError(call, "the PBX answered Success but sent no token")
        self._token = token
        self._refresh_token = refresh if isinstance(refresh, str) else None
        self._token_time = self._clock()

    async def _current_token(self) -> str:
        async with self._auth_lock:
            age = self._clock() - self._token_time
            if self._token is None:
                await self.login()
            elif age > self.settings.token_lifetime - self.settings.refresh_margin:
                await self.refresh()
            assert self._token is not None
            return self._token

    async def _replace_token(self, rejected: str) -> None:
        """Log in again, unless another task already did since `rejected` was used."""
        async with self._auth_lock:
            if self._token == rejected or self._token is None:
                self._token = None
                await self.login()

    # ---- calls -----------------------------------------------------------------------

    async def call(
        self,
        endpoint: str,
        body: WireRecord | None = None,
        *,
        write: bool,
        sent: asyncio.Event | None = None,
    ) -> WireRecord:
        """One API call with the token, pacing and the retries this module describes.
        `sent` (reads) is set once the request is on the wire, as for `logout`."""
        body = body or {}
        busy_tries = 0
        relogged = False
        first_try = self._clock()
        while True:
            token = await self._current_token()
            try:
                if write:
                    return await self._paced_write(endpoint, body, token)
                async with self._reads:
                    return await self._post(
                        endpoint, body, token=token, resend_safe=True, sent=sent
                    )
            except TokenRejected:
                if relogged:
                    raise
                relogged = True
                log.debug("%s: token rejected; logging in again and repeating once", endpoint)
                await self._replace_token(token)
            except (TooFrequent, ServiceUnavailable) as err:
                busy_tries += 1
                if isinstance(err, TooFrequent):
                    self._pacing.refused()  # the PBX applies writes more slowly: learn it
                bound = (
                    self.settings.busy_retries
                    if isinstance(err, TooFrequent)
                    else self.settings.unavailable_retries
                )
                if busy_tries > bound:
                    waited = self._clock() - first_try
                    raise api_error_for(
                        endpoint,
                        err.errno,
                        f"tried {busy_tries} times over {waited:.1f} s",
                    ) from None
                delay = self._backoff(busy_tries)
                if isinstance(err, TooFrequent) and busy_tries == 1:
                    delay = 0.0  # a first 10025 waits its (wider) turn only: see pacing.py
                log.debug("%s: errno %s, retry %d in %.2fs", endpoint, err.errno, busy_tries, delay)
                await self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter over the upper half of the step."""
        step = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return step / 2 + step / 2 * self._jitter()

    async def _paced_write(self, endpoint: str, body: WireRecord, token: str) -> WireRecord:
        async with self._write_lock:  # one write at a time, spaced (see pacing.py)
            await self._pacing.wait_turn()
            answer = await self._post(endpoint, body, token=token, resend_safe=False)
            self._pacing.accepted()
            return answer

    async def _post(
        self,
        endpoint: str,
        body: WireRecord,
        *,
        token: str | None,
        resend_safe: bool,
        sent: asyncio.Event | None = None,
    ) -> WireRecord:
        """POST once (again only when the PBX cannot have acted on it) and decode the answer."""
        attempt = 0
        while True:
            attempt += 1
            self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
            started = self._clock()
            try:
                status, content_type, raw = await self._send(endpoint, body, token, sent)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
                # Nothing reached the PBX: any call may be repeated.
                if attempt > self.settings.transport_retries:
                    raise TransportError(endpoint, _describe(err, self.base_url)) from None
            except httpx.TransportError as err:
                if not resend_safe:
                    raise _outcome_unknown(endpoint, _describe(err, self.base_url)) from None
                if attempt > self.settings.transport_retries:
                    raise TransportError(endpoint, _describe(err, self.base_url)) from None
            else:
                try:
                    answer = _decode(endpoint, status, content_type, raw)
                except ProtocolError as err:
                    if status not in GATEWAY_STATUSES:
                        raise
                    # A proxy's page: the PBX behind it may have acted on the request.
                    if not resend_safe:
                        raise _outcome_unknown(endpoint, err.message) from None
                    if attempt > self.settings.transport_retries:
                        raise
                else:
                    log.debug(
                        "%s -> %s in %.0f ms",
                        endpoint,
                        answer.get("status"),
                        (self._clock() - started) * 1000,
                    )
                    return answer
            log.debug("%s: transport fault, retry %d", endpoint, attempt)
            await self._sleep(self._backoff(attempt))

    async def _send(
        self, endpoint: str, body: WireRecord, token: str | None, sent: asyncio.Event | None = None
    ) -> tuple[int, str, bytes]:
        params = {"token": token} if token else None
        request = self._http.build_request(
            "POST", API_PREFIX + endpoint, params=params, content=json.dumps(body)
        )
        if sent is not None:
            request.extensions["trace"] = _set_when_sent(sent)
        response = await self._http.send(request, stream=True)
        backlogged = False
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    limit = MAX_BODY_BYTES // 2**20
                    raise ProtocolError(endpoint, f"the answer is larger than {limit} MiB; refused")
                chunks.append(chunk)
                if backlogged != (len(chunk) >= BACKLOG_CHUNK):
                    backlogged = not backlogged
                    self._backlog(+1 if backlogged else -1)
        finally:
            if backlogged:
                self._backlog(-1)
            await response.aclose()
        return response.status_code, response.headers.get("content-type", ""), b"".join(chunks)

    def _backlog(self, change: int) -> None:
        self._backlogged += change
        if change < 0:
            self._caught_up.set()

    async def until_received(self) -> None:
        """Wait while an answer is coming in faster than it is read. Its bytes are read
        only while the event loop is free: CPU work (decoding) done meanwhile would stretch
        its transfer, and an answer is on the critical path (the next request may need
        it). Over a slow link the bytes come slower than they are read, and this returns
        at once: the waiting is then the network's, and CPU work fills it."""
        while self._backlogged:
            self._caught_up.clear()
            await self._caught_up.wait()

    # ---- the one typed endpoint: what PBX this is ----------------------------------------

    async def device_info(self) -> WireRecord:
        answer = await self.call("deviceinfo/query", write=False)
        info = answer.get("deviceinfo")
        if not isinstance(info, dict):
            raise ProtocolError("deviceinfo/query", "the answer has no `deviceinfo` object")
        return info


def _set_when_sent(sent: asyncio.Event) -> Callable[[str, Any], Awaitable[None]]:
    """An httpcore trace hook that sets `sent` once the whole request is written."""

    async def trace(event: str, info: Any) -> None:
        if event == "http11.send_request_body.complete":
            sent.set()

    return trace


def _warm_up() -> None:
    """httpx imports its connection layer (httpcore, imported above) when the first client
    is made, and anyio's asyncio backend on the first request: about 25 ms in all, spent
    between pbxconf's first request and its answer. Imported with this module instead, it
    is part of starting up, and the first call's time is the PBX's."""
    with contextlib.suppress(ImportError):  # a private module: only ever a head start
        importlib.import_module("anyio._backends._asyncio")


_warm_up()


def _outcome_unknown(endpoint: str, cause: str) -> TransportError:
    if endpoint == "login":
        return LoginOutcomeUnknown(endpoint, cause)
    return WriteOutcomeUnknown(endpoint, cause)


def _describe(err: httpx.TransportError, base_url: str) -> str:
    kind = {
        httpx.ConnectError: "could not connect",
        httpx.ConnectTimeout: "timed out connecting",
        httpx.ReadTimeout: "timed out waiting for the answer",
        httpx.WriteTimeout: "timed out sending the request",
        httpx.PoolTimeout: "timed out waiting for a free connection",
        httpx.RemoteProtocolError: "the connection closed before a complete answer",
        httpx.ReadError: "the connection was reset while reading the answer",
        httpx.WriteError: "the connection was reset while sending the request",
    }.get(type(err), type(err).__name__)
    detail = mask(str(err))
    return f"{kind} to {without_userinfo(base_url)}" + (f" ({detail})" if detail else "")


def _decode(endpoint: str, status: int, content_type: str, raw: bytes) -> WireRecord:
    """The manual's JSON envelope, or a ProtocolError/ApiError that says what came instead."""
    try:
        # pydantic-core's parser: 7 ms against json's 10 for a 6.6 MB extension answer.
        answer = pydantic_core.from_json(raw)
    except ValueError:
        answer = _standard_json(raw)
    if not isinstance(answer, dict):
        text = re.sub(r"<[^>]*>|\s+", " ", raw[:600].decode("utf-8", "replace")).strip()
        snippet = mask(text)[:160]  # masked whole: a secret cut in two would not be
        what = f"HTTP {status}, {content_type or 'no content type'}"
        advice = (
            "a proxy or gateway in front of the PBX failed"
            if status in GATEWAY_STATUSES
            else "is the URL the PBX itself, not a proxy or login page?"
        )
        raise ProtocolError(
            endpoint,
            f"the answer is not the PBX API's JSON ({what}): {snippet!r}; {advice}",
        )
    outcome = answer.get("status")
    if outcome == "Success":
        return answer
    if outcome == "Failed":
        errno = answer.get("errno")
        if not isinstance(errno, (str, int)) or isinstance(errno, bool):
            raise ProtocolError(endpoint, "the PBX answered Failed without an errno")
        raise api_error_for(endpoint, str(errno))
    raise ProtocolError(endpoint, f"the answer has no valid `status` (got {outcome!r})")


def _standard_json(raw: bytes) -> Any:
    """What Python's json makes of an answer the fast parser refused: it also takes a
    lone surrogate escape. None where it is no JSON (or nested too deep to read)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


__all__ = [
    "ApiError",
    "ClientSettings",
    "LoginFailed",
    "LoginLocked",
    "PbxClient",
    "md5_hex",
]
