"""A fleet command's run: the inventory, the PBXes chosen, where `${VAR}` values and
credentials come from, and what is shared between the PBXes' jobs (parsed manifest
files, loaded manifests, TLS contexts)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbxconf.api import PbxClient
from pbxconf.connect import Connection
from pbxconf.errors import UsageError
from pbxconf.fleet.inventory import Inventory, Member, find_inventory, load_inventory
from pbxconf.fleet.layer_cache import LayerCache
from pbxconf.fleet.member import (
    Overrides,
    TlsContexts,
    member_connection,
    member_env,
    open_member,
)
from pbxconf.fleet.overlay import load_layers
from pbxconf.fleet.runner import DEFAULT_PARALLEL
from pbxconf.fleet.selection import Selection
from pbxconf.manifest import Desired, ManifestErrors

log = logging.getLogger(__name__)

# Loaded manifests kept for the PBXes that share them (the same layers and variables):
# a fleet of identical PBXes loads its manifests once. Bounded: sites with their own
# overlays each load their own, and only a few are held at a time.
DESIRED_KEPT = 8


@dataclass
class FleetRun:
    inventory: Inventory
    selection: Selection
    members: list[Member]  # chosen, then sharded
    selected: int  # how many were chosen before sharding
    env: Mapping[str, str]
    missing_secrets: str = "error"
    overrides: Overrides = field(default_factory=Overrides)
    parallel: int = DEFAULT_PARALLEL
    tls: TlsContexts = field(default_factory=TlsContexts)
    layers: LayerCache = field(default_factory=LayerCache)
    _desired: OrderedDict[str, Desired] = field(default_factory=OrderedDict)

    def env_of(self, member: Member) -> dict[str, str]:
        return member_env(member, self.env)

    def desired(self, member: Member, env: Mapping[str, str]) -> Desired:
        """The PBX's manifests, its layers overlaid; ManifestErrors if they do not load."""
        if member.missing_layers:
            raise ManifestErrors(list(member.missing_layers))
        own = {name: env[name] for name in member.variables}
        key = hashlib.sha256(
            json.dumps([[str(p) for p in member.layers], own], sort_keys=True).encode()
        ).hexdigest()
        found = self._desired.get(key)
        if found is None:
            found = load_layers(
                member.layers, env, missing_secrets=self.missing_secrets, cache=self.layers
            )
            self._desired[key] = found
            while len(self._desired) > DESIRED_KEPT:
                self._desired.popitem(last=False)
        else:
            self._desired.move_to_end(key)
        return found

    def connection(self, member: Member, env: Mapping[str, str]) -> Connection:
        return member_connection(member, env, self.overrides)

    def session(
        self, member: Member, env: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[PbxClient]:
        """A logged-in client for the PBX (`open_member`), its credentials from `env` (by
        default its own, `env_of`)."""
        env = self.env_of(member) if env is None else env
        return open_member(member.name, self.connection(member, env), self.tls)

    async def device_info(self, member: Member) -> dict[str, Any]:
        """The PBX's device info, in a session of its own."""
        async with self.session(member) as pbx:
            return await pbx.device_info()

    def describe(self) -> str:
        """`3 of 12 PBXes (--select region=eu --shard 1/2)`."""
        total = len(self.inventory.members)
        return f"{len(self.members)} of {total} PBX(es) ({self.selection.describe()})"


def open_inventory(path: Path | None) -> Inventory:
    """The inventory at `path`, or the one found from the current directory."""
    if path is None:
        path = find_inventory()
        if path is None:
            raise UsageError(
                "no inventory: pbxconf.yaml is not in this directory or above it (up to the "
                "repository's root); give --inventory FILE"
            )
    elif not path.is_file():
        why = "not a regular file" if path.exists() else "no such file"
        raise UsageError(f"--inventory {path}: {why}")
    return load_inventory(path)


def fleet_run(
    inventory: Inventory,
    selection: Selection,
    *,
    secrets_file: Path | None = None,
    secrets_command: str | None = None,
    missing_secrets: str = "error",
    overrides: Overrides | None = None,
    parallel: int = DEFAULT_PARALLEL,
    offline: bool = False,
) -> FleetRun:
    """The run: PBXes chosen and sharded, the environment read (the command line's
    secrets source, or the inventory's). `offline` (validate) never runs the inventory's
    secrets command: checking files must not run what a changed inventory names (a pull
    request's), and needs no secret; the sensitive fields it would fill are then left
    unchecked, as with --missing-secrets unmanaged."""
    from pbxconf.secrets import environment

    chosen = selection.chosen(inventory)
    named = ("--secrets-file", "--secrets-command")
    if secrets_file is None and secrets_command is None:
        secrets_file, secrets_command = inventory.secrets_file, inventory.secrets_command
        named = (f"{inventory.path}: secrets.file", f"{inventory.path}: secrets.command")
        if offline and secrets_command is not None:
            log.warning(
                "%s: secrets.command is not run by validate (offline): the sensitive fields "
                "it would fill are not checked; give --secrets-command to run it",
                inventory.path,
            )
            secrets_command, missing_secrets = None, "unmanaged"
    return FleetRun(
        inventory=inventory,
        selection=selection,
        members=selection.sharded(chosen),
        selected=len(chosen),
        env=environment(secrets_file, secrets_command, named=named),
        missing_secrets=missing_secrets,
        overrides=overrides or Overrides(),
        parallel=parallel,
    )
