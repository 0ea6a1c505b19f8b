"""One PBX of a fleet as a command uses it: its `${VAR}` values, its connection (its own
session and write pacing), and its manifests.

Credentials are read here, from the environment laid over the secrets source, by the
variable names the inventory gives: a PBX whose variable is unset fails alone, said by
the variable's name, never by a value.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import httpx

from pbxconf.api import ClientSettings, PbxClient
from pbxconf.connect import Connection, check_connection
from pbxconf.errors import PbxconfError
from pbxconf.fleet.inventory import Member

log = logging.getLogger("pbxconf.fleet")

# httpcore imports sniffio for every lock it makes (several per request), and falls back
# to asyncio where it is not installed: each such import searches the whole of sys.path
# again, about 0.15 ms, a tenth of a fleet plan's CPU. Recorded once as absent, it fails
# at once; nothing else changes (asyncio is what httpcore then uses anyway).
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


# A PBX's own reads in flight at once. The fleet's PBXes are read in parallel with one
# another, so one PBX's six queries need not all be: two at a time open two connections
# to it where eight opened six, and a connection costs CPU (a TLS handshake to a real
# PBX): a fleet plan then spends about a tenth less.
READ_CONCURRENCY = 2


class MemberError(PbxconfError):
    """A PBX of the fleet cannot be used as the inventory describes it."""


@dataclass
class Overrides:
    """Connection options given on the command line, for every PBX of the run: they win
    over the inventory's."""

    timeout: float | None = None
    write_interval: float | None = None


def member_env(member: Member, env: Mapping[str, str]) -> dict[str, str]:
    """The `${VAR}` values of a PBX's manifests: its inventory `variables` (which may name
    the environment's own, `${LISBON_TRUNK_PASSWORD}`) over the environment."""
    own = {}
    for name, text in member.variables.items():

        def value(match: re.Match[str], name: str = name) -> str:
            found = env.get(match[1], match[2])
            if found is None:
                raise MemberError(
                    f"{member.name}: its variable {name} names ${{{match[1]}}}, which is "
                    "not set in the environment or the secrets source"
                )
            return found

        own[name] = _REFERENCE.sub(value, text)
    return {**env, **own}


def member_connection(
    member: Member, env: Mapping[str, str], overrides: Overrides | None = None
) -> Connection:
    """How to reach the PBX; MemberError naming the variable a credential is missing from."""
    overrides = overrides or Overrides()
    username = member.username
    if member.username_env is not None:
        username = env.get(member.username_env)
        if not username:
            raise MemberError(
                f"{member.name}: {member.username_env} (its API username) is not set in the "
                "environment or the secrets source"
            )
    assert member.password_env is not None  # the inventory requires one
    password = env.get(member.password_env)
    if password is None:
        raise MemberError(
            f"{member.name}: {member.password_env} (its API password) is not set in the "
            "environment or the secrets source"
        )
    return Connection(
        url=member.url,
        username=username,
        password=password,
        ca_bundle=member.ca_bundle,
        insecure=member.insecure,
        timeout=overrides.timeout or member.timeout or 15.0,
        write_interval=(
            overrides.write_interval
            if overrides.write_interval is not None
            else member.write_interval
        ),
    )


@dataclass
class TlsContexts:
    """One TLS context per CA bundle for the whole run: making one loads the CA file
    (about 25 ms), which a thousand PBXes would otherwise each pay."""

    _made: dict[str, ssl.SSLContext] = field(default_factory=dict)

    def get(self, conn: Connection) -> ssl.SSLContext:
        if (conn.url or "").startswith("http://") or conn.insecure:
            key = "(not verified)"  # plain HTTP has no certificate to verify
            if key not in self._made:
                self._made[key] = httpx.create_ssl_context(verify=False)
            return self._made[key]
        key = conn.ca_bundle or ""
        if key not in self._made:
            self._made[key] = (
                ssl.create_default_context(cafile=conn.ca_bundle)
                if conn.ca_bundle
                else httpx.create_ssl_context()
            )
        return self._made[key]


@contextlib.asynccontextmanager
async def open_member(name: str, conn: Connection, tls: TlsContexts) -> AsyncIterator[PbxClient]:
    """A logged-in client for one PBX of the fleet, with its own session and its own
    write pacing; logged out after."""
    for warning in check_connection(conn):
        log.warning("%s: %s", name, warning)
    settings = ClientSettings(timeout=conn.timeout, read_concurrency=READ_CONCURRENCY)
    if conn.write_interval is not None:
        settings.write_interval = conn.write_interval
    assert conn.url and conn.username and conn.password is not None
    verify = tls.get(conn)
    # The transport made here, with the run's TLS context: made by the client, each
    # would make one of its own (even for plain HTTP).
    transport = httpx.AsyncHTTPTransport(
        verify=verify, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )
    async with PbxClient(
        conn.url,
        conn.username,
        conn.password,
        settings=settings,
        verify=verify,
        transport=transport,
    ) as client:
        yield client
