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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pbxconf.manifest.errors import ManifestError, ManifestErrors, Position
from pbxconf.manifest.messages import did_you_mean, what
from pbxconf.manifest.positions import follow, item_pos, key_pos, locate, value_pos
from pbxconf.manifest.yaml import PosMap, PosSeq, YamlRefused
from pbxconf.manifest.yaml import load as load_yaml

INVENTORY_FILE = "pbxconf.yaml"
INVENTORY_VERSION = 1
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 20
MAX_NODES = 2_000_000

# A PBX's name is a directory name (export --all), a CI matrix entry and a shell word.
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
LABEL_KEY = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$"
LABEL_VALUE = r"^[A-Za-z0-9._/-]{0,63}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"

EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE)]
Labels = dict[Annotated[str, StringConstraints(pattern=LABEL_KEY)], LabelValue]
Layer = Annotated[str, StringConstraints(min_length=1)]


class InventoryErrors(ManifestErrors):
    """Every error in the inventory, each at file:line:col."""

    @property
    def summary(self) -> str:
        noun = "error" if len(self.errors) == 1 else "errors"
        return f"{len(self.errors)} {noun} in the inventory"


class _Strict(BaseModel):
    # Numbers a person writes as labels or variables (`floor: 3`) are text here.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class SecretsSource(_Strict):
    file: str | None = Field(None, description="A dotenv file (relative to the inventory).")
    command: str | None = Field(None, description="A command that prints NAME=value lines.")


class Settings(_Strict):
    """What a PBX entry may set, and `defaults` gives every PBX that does not."""

    username: str | None = Field(None, description="The API username (not a secret).")
    username_env: EnvName | None = Field(None, description="Or: the variable holding it.")
    password_env: EnvName | None = Field(
        None, description="The environment variable holding the API password."
    )
    ca_bundle: str | None = Field(None, description="Verify TLS against this CA file.")
    insecure: bool | None = Field(None, description="Do not verify TLS (never in production).")
    timeout: float | None = Field(None, gt=0, le=600, description="Seconds to wait per answer.")
    write_interval: float | None = Field(
        None, ge=0, le=60, description="Seconds between this PBX's writes (default 0.5)."
    )
    labels: Labels = Field(default_factory=dict, description="For --select LABEL=VALUE.")
    manifests: list[Layer] | None = Field(
        None,
        description="Manifest layers (files or directories, relative to the inventory), "
        "first the base: each later layer overrides the ones before it, by identity and "
        "field by field.",
    )
    variables: dict[EnvName, str] = Field(
        default_factory=dict,
        description="${VAR} values for this PBX's manifests; they may name the environment's "
        "own (${LISBON_TRUNK_PASSWORD}).",
    )


class PbxEntry(Settings):
    name: Annotated[str, StringConstraints(pattern=NAME)] = Field(
        description="The PBX's name in the fleet (--pbx NAME, export directories)."
    )
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")] = Field(
        description="The PBX's base URL, e.g. https://pbx.example.com."
    )


class InventoryModel(_Strict):
    """`pbxconf.yaml`: the PBXes of a fleet."""

    version: int = Field(description="The inventory format version: 1.")
    secrets: SecretsSource | None = None
    defaults: Settings = Field(default_factory=Settings)
    pbxes: list[PbxEntry] = Field(min_length=1)


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
        raise _one(None, f"{name}: cannot read the inventory: {err.strerror or err}") from None
    document = _parse(name, raw)
    try:
        model = InventoryModel.model_validate(_plain(document))
    except ValidationError as err:
        raise InventoryErrors(_located(name, document, err)) from None
    errors: list[ManifestError] = []
    if model.version != INVENTORY_VERSION:
        errors.append(
            ManifestError(
                value_pos(name, document, "version"),
                "version",
                f"expected `version: {INVENTORY_VERSION}`, found {model.version}",
            )
        )
    if model.secrets and model.secrets.file and model.secrets.command:
        errors.append(
            ManifestError(
                key_pos(name, document, "secrets"),
                "secrets",
                "give a secrets `file` or a `command`, not both",
            )
        )
    base = path.parent
    members = [
        _member(name, document, i, entry, model.defaults, base, errors)
        for i, entry in enumerate(model.pbxes)
    ]
    _check_unique(name, document, members, errors)
    if errors:
        raise InventoryErrors(sorted(errors, key=_order))
    secrets = model.secrets or SecretsSource()
    return Inventory(
        path=path,
        members=members,
        secrets_file=(base / secrets.file) if secrets.file else None,
        secrets_command=secrets.command,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _member(
    name: str,
    document: PosMap,
    index: int,
    entry: PbxEntry,
    defaults: Settings,
    base: Path,
    errors: list[ManifestError],
) -> Member:
    node = document["pbxes"][index]
    at = item_pos(name, document["pbxes"], index)
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
                key_pos(name, node, "username_env"),
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
    return Member(
        name=entry.name,
        url=entry.url.rstrip("/"),
        labels=labels,
        layers=tuple(_resolve(base, layer) for layer in layers),
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
    )


def _resolve(base: Path, text: str) -> Path:
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else base / path


def _check_unique(
    name: str, document: PosMap, members: list[Member], errors: list[ManifestError]
) -> None:
    """A name or a URL given twice: two entries would plan one PBX, or one name two."""
    items = document["pbxes"]
    for field_name, value_of in (("name", lambda m: m.name), ("url", _same_url)):
        seen: dict[str, int] = {}
        for i, member in enumerate(members):
            value = value_of(member)
            if value in seen:
                first = value_pos(name, items[seen[value]], field_name)
                errors.append(
                    ManifestError(
                        value_pos(name, items[i], field_name),
                        f"pbxes[name={member.name}].{field_name}",
                        f"{field_name} {getattr(member, field_name)!r} is given twice: also at "
                        f"{first}",
                    )
                )
            else:
                seen[value] = i


def _same_url(member: Member) -> str:
    return member.url.lower().rstrip("/")


def _parse(name: str, raw: bytes) -> PosMap:
    if len(raw) > MAX_BYTES:
        raise _one(Position(name, 1, 1), f"larger than {MAX_BYTES // 2**20} MiB: not an inventory")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise _one(Position(name, line, 1), f"not UTF-8 text (byte {err.start})") from None
    try:
        document = load_yaml(text, MAX_DEPTH, MAX_NODES)
    except YamlRefused as err:
        raise _one(Position(name, err.line + 1, err.col + 1), err.message) from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        at = Position(name, mark.line + 1, mark.column + 1) if mark else Position(name, 1, 1)
        raise _one(at, f"YAML syntax: {err.problem or err.context or 'invalid YAML'}") from None
    except (YAMLError, RecursionError) as err:
        raise _one(Position(name, 1, 1), f"YAML syntax: {err}") from None
    if not isinstance(document, PosMap):
        raise _one(
            Position(name, 1, 1),
            f"an inventory is a mapping that starts with `version: {INVENTORY_VERSION}` and "
            f"lists `pbxes:`; found {what(document)}",
        )
    return document


def _plain(node: Any) -> Any:
    if isinstance(node, PosMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, PosSeq):
        return [_plain(v) for v in node]
    return node


_FIELDS: dict[str, set[str]] = {
    "": set(InventoryModel.model_fields),
    "defaults": set(Settings.model_fields),
    "pbxes": set(PbxEntry.model_fields),
    "secrets": set(SecretsSource.model_fields),
}


def _located(name: str, document: PosMap, err: ValidationError) -> list[ManifestError]:
    errors = []
    for problem in err.errors():
        loc = list(problem["loc"])
        position, path = locate(name, document, loc)
        where = _path_text(document, path)
        kind = problem["type"]
        if kind == "extra_forbidden":
            leaf = str(loc[-1])
            parent = str(loc[0]) if len(loc) > 1 else ""
            holder = follow(document, loc[:-1])
            if isinstance(holder, PosMap) and leaf in holder:
                position = key_pos(name, holder, leaf)  # where the key is, not its value
            if leaf in ("password", "secret", "token"):
                message = (
                    f"`{leaf}`: the inventory never holds a secret; name the environment "
                    "variable that does with `password_env`"
                )
            else:
                message = f"unknown key `{leaf}`{did_you_mean(leaf, _FIELDS.get(parent, set()))}"
        elif kind == "missing":
            message = f"missing required key `{loc[-1]}`"
        elif kind == "string_pattern_mismatch":
            message = _pattern_message(loc, problem.get("input"))
        else:
            text = problem["msg"].removeprefix("Value error, ")
            message = f"{text}; found {problem.get('input')!r}"
        errors.append(ManifestError(position, where, message))
    return sorted(errors, key=_order)


def _pattern_message(loc: list[Any], found: Any) -> str:
    leaf = str(loc[-1])
    if loc[0] == "pbxes" and leaf == "name":
        return (
            f"a PBX's name is letters, digits, `.`, `_` and `-` (it names a directory); "
            f"found {found!r}"
        )
    if leaf == "url":
        return f"expected an http(s) base URL like https://pbx.example.com; found {found!r}"
    if "labels" in loc:
        return (
            "labels are letters, digits, `.`, `_`, `/` and `-` (values up to 63 characters); "
            f"found {found!r}"
        )
    return f"expected an environment variable name like PBX_API_PASSWORD; found {found!r}"


def _path_text(document: PosMap, path: list[Any]) -> str:
    """`pbxes[name=lisbon].labels` rather than `pbxes.2.labels`."""
    out = ""
    node: Any = document
    for part in path:
        if isinstance(part, int) and isinstance(node, PosSeq):
            item = node[part] if part < len(node) else None
            label = item.get("name") if isinstance(item, PosMap) else None
            out += f"[name={label}]" if isinstance(label, str) else f"[{part}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, PosMap) else None
    return out


def _order(error: ManifestError) -> tuple[int, int]:
    return (error.position.line, error.position.col) if error.position else (0, 0)


def _one(position: Position | None, message: str) -> InventoryErrors:
    return InventoryErrors([ManifestError(position, "", message)])


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
