"""Opening a PBX for a command: a real one from --url/--username/--password, or the
built-in simulator in-process (--sim), whose state can be kept in a file (--sim-state) so
that a sequence of commands (plan, apply, plan) sees one PBX."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pbxconf.api import ClientSettings, PbxClient
from pbxconf.sim.state import PbxState

log = logging.getLogger("pbxconf")

SIM_URL = "http://pbxconf-sim.invalid"
REQUIRED_FIRMWARE = (81, 8, 0, 42)


class ConnectError(Exception):
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
        return self.url or "?"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_connection(conn: Connection) -> list[str]:
    """Raise ConnectError for options that cannot work; return warnings for risky ones."""
    if conn.sim:
        if conn.url:
            raise ConnectError("give either --url or --sim, not both")
        return []
    if not conn.url:
        raise ConnectError(
            "no PBX given: pass --url (or set PBXCONF_URL), or --sim for the built-in simulator"
        )
    parts = urlsplit(conn.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError(f"--url {conn.url!r} is not an http(s) URL like https://pbx.example.com")
    if parts.query or parts.fragment:
        raise ConnectError("--url takes the PBX's base URL only, without ?query or #fragment")
    if not conn.username:
        raise ConnectError("no API username: pass --username or set PBXCONF_USERNAME")
    if conn.password is None:
        raise ConnectError("no API password: pass --password or set PBXCONF_PASSWORD")
    if conn.ca_bundle and not Path(conn.ca_bundle).is_file():
        raise ConnectError(f"--ca-bundle {conn.ca_bundle}: no such file")
    if conn.timeout <= 0:
        raise ConnectError("--timeout must be a positive number of seconds")
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


def firmware_supports_routes(firmware: str) -> bool | None:
    """The trunk and route endpoints need firmware 81.8.0.42 or later (None: unknown)."""
    try:
        version = tuple(int(part) for part in firmware.strip().split("."))
    except ValueError:
        return None
    return version >= REQUIRED_FIRMWARE if version else None


def load_sim_state(path: Path | None) -> PbxState:
    if path is None or not path.exists():
        return PbxState.factory()
    try:
        return PbxState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as err:
        raise ConnectError(f"--sim-state {path}: {err}") from None


def save_sim_state(path: Path, state: PbxState) -> None:
    """Write atomically, so an interrupted command never leaves half a state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state.to_json(), handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


@contextlib.asynccontextmanager
async def open_pbx(conn: Connection) -> AsyncIterator[PbxClient]:
    """A logged-in client for the command; logs out (and saves simulator state) after."""
    for warning in check_connection(conn):
        log.warning(warning)
    settings = ClientSettings(timeout=conn.timeout)
    if conn.write_interval is not None:
        settings.write_interval = conn.write_interval
    if conn.sim:
        from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME, Simulator

        sim = Simulator(state=load_sim_state(conn.sim_state))
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
    assert conn.url and conn.username and conn.password is not None
    async with PbxClient(
        conn.url,
        conn.username,
        conn.password,
        settings=settings,
        verify=not conn.insecure,
        ca_bundle=conn.ca_bundle,
    ) as client:
        yield client
