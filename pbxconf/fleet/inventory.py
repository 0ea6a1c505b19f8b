"""The fleet's inventory: `pbxconf.yaml` at the repository's root (or `--inventory FILE`),
naming each PBX with its URL, where its credentials come from, its labels and its
manifest layers.

    version: 1
    secrets: {file: secrets.env}          # or {command: "vault-cli export ..."}
    defaults:                             # every PBX's, unless it sets its own
      username: api
      password_env: PBX_API_PASSWORD
      labels: {brand: seaside}
    pbxes:
      - name: lisbon
        url: https://pbx-lisbon.example.com
        password_env: LISBON_API_PASSWORD
        labels: {city: lisbon}
        manifests: [base, hotels/lisbon]  # layers: each overrides the ones before it
        variables: {HOTEL: Lisbon}

The inventory never holds a secret: credentials are names of environment variables,
read from the environment or the secrets source (a dotenv file or a command). Every
error names file:line:col, and a name or URL given twice names both places.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pbxconf.fleet.inventory_errors import (
    INVENTORY_VERSION,
    InventoryErrors,
    located,
    one_error,
    order,
    parse_inventory,
    plain,
)
from pbxconf.fleet.inventory_model import InventoryModel, PbxEntry, SecretsSource, Settings
from pbxconf.manifest.errors import ManifestError, Position
from pbxconf.manifest.positions import Document, item_pos, key_pos, pos, value_pos

INVENTORY_FILE = "pbxconf.yaml"


@dataclass(frozen=True)
class Member:
    """One PBX of the fleet, its settings and the defaults made one."""

    name: str
    url: str
    labels: dict[str, str]
    layers: tuple[Path, ...]
    variables: dict[str, str]
    username: str | None
    username_env: str | None
    password_env: str | None
    ca_bundle: str | None
    insecure: bool
    timeout: float | None
    write_interval: float | None
    position: Position
    # sha256 of what the inventory says of this PBX: a saved fleet plan pins it.
    fingerprint: str
    # Its layers that do not exist, each said where the inventory names it: the PBX
    # fails alone, the others go on.
    missing_layers: tuple[ManifestError, ...] = ()


@dataclass
class Inventory:
    path: Path
    members: list[Member]
    secrets_file: Path | None = None
    secrets_command: str | None = None
    sha256: str = ""
    by_name: dict[str, Member] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {m.name: m for m in self.members}

    def labels(self) -> dict[str, set[str]]:
        """Every label in use, with its values."""
        found: dict[str, set[str]] = {}
        for member in self.members:
            for key, value in member.labels.items():
                found.setdefault(key, set()).add(value)
        return found


def find_inventory(start: Path | None = None) -> Path | None:
    """`pbxconf.yaml` in the current directory or above it, up to the repository's root
    (the first directory holding `.git`): commands run from a subdirectory find it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / INVENTORY_FILE
        if candidate.is_file():
            # Relative to here, as the manifests' paths in messages then are.
            return Path(os.path.relpath(candidate))
        if (folder / ".git").exists():
            return None
    return None


def load_inventory(path: Path) -> Inventory:
    """The inventory in `path`; InventoryErrors with every problem found."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise one_error(None, f"{name}: cannot read the inventory: {err.strerror or err}") from None
    doc = parse_inventory(name, raw)
    document = doc.root
    try:
        model = InventoryModel.model_validate(plain(document))
    except ValidationError as err:
        raise InventoryErrors(located(doc, err)) from None
    errors: list[ManifestError] = []
    if model.version != INVENTORY_VERSION:
        errors.append(
            ManifestError(
                value_pos(doc, document, "version"),
                "version",
                f"expected `version: {INVENTORY_VERSION}`, found {model.version}",
            )
        )
    if model.secrets and model.secrets.file and model.secrets.command:
        errors.append(
            ManifestError(
                key_pos(doc, document, "secrets"),
                "secrets",
                "give a secrets `file` or a `command`, not both",
            )
        )
    base = path.parent
    members = [
        _member(doc, i, entry, model.defaults, base, errors) for i, entry in enumerate(model.pbxes)
    ]
    _check_unique(doc, members, errors)
    if errors:
        raise InventoryErrors(sorted(errors, key=order))
    secrets = model.secrets or SecretsSource()
    return Inventory(
        path=path,
        members=members,
        secrets_file=(base / secrets.file) if secrets.file else None,
        secrets_command=secrets.command,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _member(
    doc: Document,
    index: int,
    entry: PbxEntry,
    defaults: Settings,
    base: Path,
    errors: list[ManifestError],
) -> Member:
    node = doc.root["pbxes"][index]
    at = item_pos(doc, doc.root["pbxes"], index)
    where = f"pbxes[name={entry.name}]"

    def pick(key: str) -> Any:
        own = getattr(entry, key)
        return own if own is not None else getattr(defaults, key)

    layers = pick("manifests")
    if layers is None:
        errors.append(
            ManifestError(at, where, "no `manifests`: list its manifest layers (or in `defaults`)")
        )
        layers = []
    if pick("password_env") is None:
        errors.append(
            ManifestError(
                at,
                where,
                "no `password_env`: name the environment variable holding its API password "
                "(here or in `defaults`)",
            )
        )
    if pick("username") is None and pick("username_env") is None:
        errors.append(
            ManifestError(at, where, "no `username` or `username_env` (here or in `defaults`)")
        )
    if entry.username is not None and entry.username_env is not None:
        errors.append(
            ManifestError(
                key_pos(doc, node, "username_env"),
                where,
                "give `username` or `username_env`, not both",
            )
        )
    if pick("insecure") and pick("ca_bundle"):
        errors.append(
            ManifestError(at, where, "`insecure` and `ca_bundle` contradict each other: give one")
        )
    labels = {**defaults.labels, **entry.labels}
    variables = {**defaults.variables, **entry.variables}
    username_env = entry.username_env or (None if entry.username else defaults.username_env)
    username = entry.username or (None if entry.username_env else defaults.username)
    said = {
        "name": entry.name,
        "url": entry.url,
        "labels": labels,
        "layers": list(layers),
        "variables": variables,
        "username": username,
        "username_env": username_env,
        "password_env": pick("password_env"),
        "ca_bundle": pick("ca_bundle"),
        "insecure": bool(pick("insecure")),
        "timeout": pick("timeout"),
        "write_interval": pick("write_interval"),
    }
    ca = pick("ca_bundle")
    paths = tuple(_resolve(base, layer) for layer in layers)
    return Member(
        name=entry.name,
        url=entry.url.rstrip("/"),
        labels=labels,
        layers=paths,
        variables=variables,
        username=username,
        username_env=username_env,
        password_env=pick("password_env"),
        ca_bundle=str(_resolve(base, ca)) if ca else None,
        insecure=bool(pick("insecure")),
        timeout=pick("timeout"),
        write_interval=pick("write_interval"),
        position=at,
        fingerprint=hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest(),
        missing_layers=_missing_layers(doc, node, where, paths),
    )


def _missing_layers(
    doc: Document, node: dict[str, Any], where: str, paths: tuple[Path, ...]
) -> tuple[ManifestError, ...]:
    """Each layer that does not exist, at its place in the PBX's `manifests` (or in
    `defaults`' when the PBX has none of its own)."""
    missing = [i for i, path in enumerate(paths) if not path.exists()]
    if not missing:
        return ()
    own = node.get("manifests")
    listed = own if isinstance(own, list) else (doc.root.get("defaults") or {}).get("manifests")
    return tuple(
        ManifestError(
            item_pos(doc, listed, i) if isinstance(listed, list) else pos(doc, node),
            f"{where}.manifests[{i}]",
            f"{paths[i]}: no such file or directory",
        )
        for i in missing
    )


def _resolve(base: Path, text: str) -> Path:
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else base / path


def _check_unique(doc: Document, members: list[Member], errors: list[ManifestError]) -> None:
    """A name or a URL given twice: two entries would plan one PBX, or one name two."""
    items = doc.root["pbxes"]
    for field_name, value_of in (("name", lambda m: m.name), ("url", _same_url)):
        seen: dict[str, int] = {}
        for i, member in enumerate(members):
            value = value_of(member)
            if value in seen:
                first = value_pos(doc, items[seen[value]], field_name)
                errors.append(
                    ManifestError(
                        value_pos(doc, items[i], field_name),
                        f"pbxes[name={member.name}].{field_name}",
                        f"{field_name} {getattr(member, field_name)!r} is given twice: also at "
                        f"{first}",
                    )
                )
            else:
                seen[value] = i


def _same_url(member: Member) -> str:
    return member.url.lower().rstrip("/")


def label_text(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


__all__ = [
    "INVENTORY_FILE",
    "Inventory",
    "InventoryErrors",
    "InventoryModel",
    "Member",
    "find_inventory",
    "label_text",
    "load_inventory",
]
