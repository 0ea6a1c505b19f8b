"""Opening a PBX for a command: a real one from --url/--username/--password, or the
built-in simulator in-process (--sim), whose state can be kept in a file (--sim-state) so
that a sequence of commands (plan, apply, plan) sees one PBX."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import math
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from pbxconf.api import ClientSettings, PbxClient
from pbxconf.errors import UsageError
from pbxconf.files import OutputError, cannot_write, write_whole
from pbxconf.redact import mask, without_userinfo

if TYPE_CHECKING:  # the simulator is imported only by the commands that run it
    from pbxconf.sim.state import PbxState

log = logging.getLogger("pbxconf")

SIM_URL = "http://pbxconf-sim.invalid"
REQUIRED_FIRMWARE = (81, 8, 0, 42)


class ConnectError(UsageError):
    """The options do not describe a PBX pbxconf can reach (a usage error)."""


@dataclass
class Connection:
    url: str | None = None
    username: str | None = None
    password: str | None = None
    ca_bundle: str | None = None
    insecure: bool = False
    timeout: float = 15.0
    sim: bool = False
    sim_state: Path | None = None
    write_interval: float | None = None

    def describe(self) -> str:
        if self.sim:
            return f"the built-in simulator ({self.sim_state or 'factory state'})"
        return without_userinfo(self.url) if self.url else "?"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_connection(conn: Connection) -> list[str]:
    """Raise ConnectError for options that cannot work; return warnings for risky ones."""
    # NaN passes every comparison and an infinite interval never ends: both are refused.
    if not math.isfinite(conn.timeout) or conn.timeout <= 0:
        raise ConnectError("--timeout must be a finite number of seconds above 0")
    if conn.write_interval is not None and not math.isfinite(conn.write_interval):
        raise ConnectError("--write-interval must be a finite number of seconds")
    if conn.sim:
        if conn.url:
            raise ConnectError("give either --url or --sim, not both")
        return []
    if not conn.url:
        raise ConnectError(
            "no PBX given: pass --url (or set PBXCONF_URL), or --sim for the built-in simulator"
        )
    parts = _url_parts(conn.url)
    if parts.query or parts.fragment:
        raise ConnectError("--url takes the PBX's base URL only, without ?query or #fragment")
    if not conn.username:
        raise ConnectError("no API username: pass --username or set PBXCONF_USERNAME")
    if conn.password is None:
        raise ConnectError("no API password: pass --password or set PBXCONF_PASSWORD")
    if conn.ca_bundle and conn.insecure:
        # One says "verify against this CA", the other "verify nothing": which was meant?
        raise ConnectError("--insecure and --ca-bundle contradict each other: give one")
    if conn.ca_bundle:
        _check_ca_bundle(conn.ca_bundle)
    assert parts.hostname is not None
    warnings = []
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        warnings.append(
            f"{conn.url} is plain HTTP: the API password's md5 and the token cross the network "
            "unencrypted. Use https:// for a real PBX."
        )
    if conn.insecure and parts.scheme == "https":
        warnings.append(
            "--insecure: the PBX's TLS certificate is NOT verified; anyone on the path can "
            "pose as the PBX and read the API credentials."
        )
    return warnings


def _url_parts(url: str) -> SplitResult:
    """The URL's parts, or ConnectError where it is not one a PBX can be reached at."""
    example = "like https://pbx.example.com"
    shown = without_userinfo(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
        httpx.URL(url)  # what the client will make of it
    except (ValueError, httpx.InvalidURL) as err:
        raise ConnectError(
            f"--url {shown!r} is not a valid URL ({mask(str(err))}), {example}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError(f"--url {shown!r} is not an http(s) URL {example}")
    if "/api/" in parts.path + "/":
        base = urlunsplit(parts._replace(path="", query="", fragment=""))
        # The PBX then answers 20005 ("the token is empty"), which says nothing of the URL.
        raise ConnectError(
            f"--url {shown!r} holds the API's path: give the PBX's base URL ({base}); "
            "pbxconf adds /api/v1.1.0/ itself"
        )
    if parts.username is not None or parts.password is not None:
        # The API takes its credentials in the login call; in the URL they would print.
        raise ConnectError(
            f"--url {shown!r}: give the API username and password with --username and "
            "--password (or PBXCONF_USERNAME, PBXCONF_PASSWORD), not in the URL"
        )
    return parts


def _check_ca_bundle(path: str) -> None:
    if not Path(path).is_file():
        raise ConnectError(f"--ca-bundle {path}: no such file")
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError as err:
        raise ConnectError(
            f"--ca-bundle {path}: not a PEM file of CA certificates ({err.reason or err})"
        ) from None
    except OSError as err:
        raise ConnectError(f"--ca-bundle {path}: cannot read: {err.strerror or err}") from None


def firmware_supports_routes(firmware: str) -> bool | None:
    """The trunk and route endpoints need firmware 81.8.0.42 or later (None: unknown)."""
    try:
        version = tuple(int(part) for part in firmware.strip().split("."))
    except ValueError:
        return None
    return version >= REQUIRED_FIRMWARE if version else None


def load_sim_state(
    path: Path | None, *, saved_back: bool = False, option: str = "--sim-state"
) -> PbxState:
    """The state in `path` (the factory PBX if there is none yet). One that is to be saved
    back and could not be is refused now, before anything changes."""
    if path is not None and saved_back and (reason := cannot_write(path)):
        raise ConnectError(f"{option} {path}: cannot be saved: {reason}")
    from pbxconf.sim.state import PbxState

    if path is None or not path.exists():
        return PbxState.factory()
    try:
        return PbxState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise ConnectError(f"{option} {path}: cannot read: {err.strerror or err}") from None
    except ValueError as err:
        raise ConnectError(f"{option} {path}: not a simulator state file ({err})") from None


def save_sim_state(path: Path, state: PbxState, *, option: str = "--sim-state") -> None:
    """Written whole or not at all: an interrupted command never leaves half a state."""
    try:
        # It holds the PBX's passwords, as a PBX's own backup would.
        write_whole(path, json.dumps(state.to_json(), indent=1, sort_keys=True), private=True)
    except OutputError as err:
        raise ConnectError(f"{option}: {err}") from None


@contextlib.asynccontextmanager
async def open_pbx(conn: Connection) -> AsyncIterator[PbxClient]:
    """A logged-in client for the command; logs out (and saves simulator state) after."""
    for warning in check_connection(conn):
        log.warning(warning)
    settings = client_settings(conn)
    if conn.sim:
        from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator

        sim = Simulator(state=load_sim_state(conn.sim_state, saved_back=True))
        sim.events.enabled = False  # nobody listens for reports of an in-process PBX
        settings.write_interval = 0.0
        try:
            async with PbxClient(
                SIM_URL,
                DEFAULT_USERNAME,
                DEFAULT_PASSWORD,
                settings=settings,
                transport=sim.transport(),
            ) as client:
                yield client
        finally:
            if conn.sim_state is not None:
                save_sim_state(conn.sim_state, sim.state)
        return
    async with pbx_client(conn, settings) as client:
        yield client


def client_settings(conn: Connection, **more: Any) -> ClientSettings:
    """The client's settings from the command's options (and what a command adds)."""
    settings = ClientSettings(timeout=conn.timeout, **more)
    if conn.write_interval is not None:
        settings.write_interval = conn.write_interval
    return settings


def pbx_client(conn: Connection, settings: ClientSettings) -> PbxClient:
    """A client for the real PBX the options name (not yet logged in)."""
    assert conn.url and conn.username and conn.password is not None
    return PbxClient(
        conn.url,
        conn.username,
        conn.password,
        settings=settings,
        verify=not conn.insecure,
        ca_bundle=conn.ca_bundle,
    )
