"""YAML manifests -> desired State: many files, positions, ${ENV}, validation, references.

Every error names `file:line:col`, the path inside the document
(`extensions[number=1002].ring_timeout`), what was expected and what was found. All the
errors of a run are collected and reported together. Hostile input (syntax errors,
duplicate keys, tabs, binary junk, deep nesting, alias bombs, object-constructing tags)
is refused quickly with a clear message: YAML is loaded round-trip (no Python objects are
ever constructed) and every tree is walked with a depth and a size bound.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pbxconf.bulk import collector_paused
from pbxconf.kinds import KINDS, ORDERED_KINDS, Key, Kind
from pbxconf.kinds.base import declared, values_getter
from pbxconf.state import State
from pbxconf.yaml_positions import PosMap, PosSeq, YamlRefused
from pbxconf.yaml_positions import load as load_yaml

FORMAT_VERSION = 1
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 500_000
SECTIONS = {kind.section: kind for kind in ORDERED_KINDS}
# Kinds an `external:` block may list: objects that exist on the PBX without a manifest.
EXTERNAL_SECTIONS = ("extensions", "ivrs", "queues", "trunks", "outbound_routes")
TOP_LEVEL = ("version", "settings", "external", *SECTIONS)


# ---- errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class ManifestError:
    position: Position | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.message}"


class ManifestErrors(Exception):
    def __init__(self, errors: list[ManifestError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# ---- settings -----------------------------------------------------------------------


class Safety(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_change_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Refuse (without --force) a plan that updates or deletes more than this "
        "share of a kind's existing objects.",
    )
    min_objects: int = Field(
        10, ge=0, description="The share rule applies to kinds with at least this many objects."
    )


Section = Literal[
    "extensions", "trunks", "inbound_routes", "outbound_routes", "ivrs", "queues", "wakeup_calls"
]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prune: bool | dict[Section, bool] = Field(
        False,
        description="Delete objects on the PBX that no manifest names: true for every kind, "
        "or per kind. Objects with `protect: true` are never deleted.",
    )
    safety: Safety = Field(default_factory=lambda: Safety())
    protect: dict[Section, list[str | int]] = Field(
        default_factory=dict,
        description="Objects never deleted, even when pruning, by identity: numbers or names "
        "(wake-up calls as `extension,time`). For objects on the PBX that no manifest declares.",
    )
    ignore_fields: dict[Section, list[str]] = Field(
        default_factory=dict,
        description="Fields (dotted, e.g. `voicemail.pin`) never diffed, per kind.",
    )

    def prunes(self, section: str) -> bool:
        if isinstance(self.prune, bool):
            return self.prune
        return bool(self.prune.get(section, False))  # type: ignore[call-overload]


# ---- the result ---------------------------------------------------------------------


@dataclass
class Desired:
    state: State = field(default_factory=State)
    settings: Settings = field(default_factory=lambda: Settings())
    # kind -> identity keys that exist on the PBX only (checked by plan).
    external: dict[str, set[Key]] = field(default_factory=dict)
    positions: dict[tuple[str, Key], Position] = field(default_factory=dict)
    renames: dict[tuple[str, Key], Key] = field(default_factory=dict)  # new key -> old key
    protected: set[tuple[str, Key]] = field(default_factory=set)
    # Every file read, with the sha256 of its bytes (saved plans pin them).
    files: dict[str, str] = field(default_factory=dict)
    # (kind, key) -> what the plan compares of each object (see `view`).
    _views: dict[tuple[str, Key], DesiredView] = field(default_factory=dict, repr=False)

    def is_external(self, kind: str, key: Key) -> bool:
        return key in self.external.get(kind, set())

    def view(self, kind: str, key: Key) -> DesiredView:
        """What the plan compares of an object. The loader works it out as it reads each
        object, so a plan only compares; an object replaced since is worked out again."""
        obj = self.state.objects[kind][key]
        cached = self._views.get((kind, key))
        if cached is None or cached.obj is not obj:
            cached = self._views[(kind, key)] = DesiredView.of(KINDS[kind], obj)
        return cached


@dataclass(frozen=True)
class DesiredView:
    """A desired object's declared fields, flattened (`voicemail.pin`); the values the PBX
    will read back for them (`wanted`: e.g. a password as its md5); and a getter that
    reads those fields off a live object in one C call, for the usual equal case."""

    obj: Any
    fields: dict[str, Any]
    wanted: dict[str, Any]
    getter: Any
    values: tuple[Any, ...]

    @classmethod
    def of(cls, kind: Kind, obj: Any) -> DesiredView:
        fields = declared(obj)
        wanted = {f: kind.comparable(f, v) for f, v in fields.items()}
        return cls(obj, fields, wanted, values_getter(tuple(wanted)), tuple(wanted.values()))


# ---- loading ------------------------------------------------------------------------


def manifest_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every *.yaml / *.yml inside given directories, sorted. Hidden
    files and folders inside a directory are skipped: a repository's `.github` workflows
    or `.pre-commit-config.yaml` are not manifests."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml")
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.is_file()
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ManifestErrors([ManifestError(None, "", f"{raw}: no such file or directory")])
    if not found:
        raise ManifestErrors(
            [
                ManifestError(
                    None,
                    "",
                    "no *.yaml or *.yml manifest found in " + ", ".join(str(p) for p in paths),
                )
            ]
        )
    return found


def load(paths: Iterable[str | Path], env: Mapping[str, str] | None = None) -> Desired:
    """Load, merge and validate manifests; raise ManifestErrors with every problem found."""
    loader = _Loader(os.environ if env is None else env)
    with collector_paused():
        for path in manifest_files(paths):
            loader.load_file(path)
        loader.check_references()
    if loader.errors:
        raise ManifestErrors(sorted(loader.errors, key=_error_order))
    return loader.desired


class _Loader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[ManifestError] = []
        self.desired = Desired()
        self.nodes: dict[tuple[str, Key], tuple[str, PosMap]] = {}
        self.settings_at: Position | None = None
        self.invalid_keys: set[tuple[str, Key]] = set()
        self.unreadable = False

    def error(self, position: Position | None, path: str, message: str) -> None:
        self.errors.append(ManifestError(position, path, message))

    # -- one file --

    def load_file(self, path: Path) -> None:
        name = str(path)
        try:
            raw = path.read_bytes()
        except OSError as err:
            self.error(None, "", f"{name}: cannot read: {err.strerror}")
            return
        self.desired.files[name] = hashlib.sha256(raw).hexdigest()
        document = self._parse(name, raw)
        if document is None:
            # What this file declares is unknown, so references cannot be judged.
            self.unreadable = True
            return
        if not isinstance(document, PosMap):
            self.error(
                Position(name, 1, 1),
                "",
                "a manifest is a mapping that starts with "
                f"`version: {FORMAT_VERSION}`; found {_what(document)}",
            )
            return
        self._top_level(name, document)

    def _parse(self, name: str, raw: bytes) -> Any:
        if len(raw) > MAX_FILE_BYTES:
            self.error(
                Position(name, 1, 1),
                "",
                f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB; is it really a manifest?",
            )
            return None
        if b"\0" in raw:
            self.error(Position(name, 1, 1), "", "the file is binary, not YAML text")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            self.error(Position(name, line, 1), "", f"not UTF-8 text (byte {err.start})")
            return None
        if not text.strip() or all(
            not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
        ):
            self.error(
                Position(name, 1, 1),
                "",
                f"the file is empty; a manifest starts with `version: {FORMAT_VERSION}`",
            )
            return None
        try:
            return load_yaml(text, MAX_DEPTH, MAX_NODES)
        except YamlRefused as err:
            self.error(Position(name, err.line + 1, err.col + 1), "", err.message)
        except MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            position = Position(name, mark.line + 1, mark.column + 1) if mark else None
            problem = err.problem or err.context or "invalid YAML"
            if "tab" in problem or (mark and _char_at(text, mark.line, mark.column) == "\t"):
                problem = "a tab character; YAML indents with spaces only"
            self.error(position, "", f"YAML syntax: {problem}")
        except RecursionError:
            self.error(Position(name, 1, 1), "", "nesting deeper than YAML can parse")
        except YAMLError as err:
            self.error(Position(name, 1, 1), "", f"YAML syntax: {err}")
        return None

    def _top_level(self, name: str, doc: PosMap) -> None:
        version = doc.get("version")
        if version != FORMAT_VERSION:
            at = _key_pos(name, doc, "version") if "version" in doc else Position(name, 1, 1)
            found = "nothing" if "version" not in doc else repr(version)
            self.error(at, "version", f"expected `version: {FORMAT_VERSION}`, found {found}")
        for key in doc:
            if key not in TOP_LEVEL:
                self.error(
                    _key_pos(name, doc, key),
                    str(key),
                    f"unknown top-level key{_did_you_mean(str(key), TOP_LEVEL)}",
                )
        if "settings" in doc:
            self._settings(name, doc)
        if "external" in doc:
            self._external(name, doc)
        for section, kind in SECTIONS.items():
            if section in doc:
                self._section(name, doc, section, kind)

    def _settings(self, name: str, doc: PosMap) -> None:
        at = _key_pos(name, doc, "settings")
        if self.settings_at is not None:
            self.error(at, "settings", f"settings are declared twice (also at {self.settings_at})")
            return
        self.settings_at = at
        node = doc["settings"]
        try:
            self.desired.settings = Settings.model_validate(self._plain(name, node, "settings"))
        except ValidationError as err:
            self._validation_errors(name, node, "settings", err, Settings)
            return
        for section, names in self.desired.settings.protect.items():
            kind = SECTIONS[section]
            for entry in names:
                key = tuple(part.strip() for part in str(entry).split(","))
                self.desired.protected.add((kind.name, key))
        for section, fields in self.desired.settings.ignore_fields.items():
            known = _field_names(SECTIONS[section])
            for f in fields:
                if f not in known:
                    self.error(
                        at,
                        f"settings.ignore_fields.{section}",
                        f"unknown field `{f}`{_did_you_mean(f, known)}",
                    )

    def _external(self, name: str, doc: PosMap) -> None:
        node = doc["external"]
        if not isinstance(node, PosMap):
            self.error(
                _key_pos(name, doc, "external"),
                "external",
                f"expected a mapping of kind -> names, found {_what(node)}",
            )
            return
        for section, items in node.items():
            path = f"external.{section}"
            if section not in EXTERNAL_SECTIONS:
                self.error(
                    _key_pos(name, node, section),
                    path,
                    "only "
                    + ", ".join(EXTERNAL_SECTIONS)
                    + " can be external"
                    + _did_you_mean(str(section), EXTERNAL_SECTIONS),
                )
                continue
            if not isinstance(items, PosSeq):
                self.error(
                    _key_pos(name, node, section), path, f"expected a list, found {_what(items)}"
                )
                continue
            kind = SECTIONS[section]
            keys = self.desired.external.setdefault(kind.name, set())
            for i, item in enumerate(items):
                text = str(item)
                numeric = kind.key_fields == ("number",)
                match = re.fullmatch(r"(\d+)-(\d+)", text) if numeric else None
                if (
                    match
                    and int(match[1]) <= int(match[2])
                    and int(match[2]) - int(match[1]) < 100000
                ):
                    keys.update((str(n),) for n in range(int(match[1]), int(match[2]) + 1))
                elif numeric and not text.isdigit():
                    self.error(
                        _item_pos(name, items, i),
                        f"{path}[{i}]",
                        f"expected a number or a range like 1000-1019, found {text!r}",
                    )
                else:
                    keys.add((text,))

    # -- one section --

    def _section(self, name: str, doc: PosMap, section: str, kind: Kind) -> None:
        items = doc[section]
        if items is None:
            return
        if not isinstance(items, PosSeq):
            self.error(
                _key_pos(name, doc, section),
                section,
                f"expected a list of {kind.title}s, found {_what(items)}",
            )
            return
        for index, item in enumerate(items):
            self._object(name, items, index, item, section, kind)

    def _object(
        self, name: str, items: PosSeq, index: int, item: Any, section: str, kind: Kind
    ) -> None:
        label = _label(kind, item, section, index)
        if not isinstance(item, PosMap):
            self.error(
                _item_pos(name, items, index),
                label,
                f"expected a mapping (one {kind.title}), found {_what(item)}",
            )
            return
        before = len(self.errors)
        data = self._plain(name, item, label)
        for unwritable in self._refuse_unwritable(name, item, label, kind):
            data.pop(unwritable, None)
        if all(f in data for f in kind.key_fields):
            # Known even if invalid, so references to it do not cascade into more errors.
            self.invalid_keys.add((kind.name, tuple(str(data[f]) for f in kind.key_fields)))
        try:
            obj = kind.validate(data)
        except ValidationError as err:
            self._validation_errors(name, item, label, err, kind)
            return
        if len(self.errors) > before:
            return
        key = kind.key_of(obj)
        at = _item_pos(name, items, index)
        seen = self.nodes.get((kind.name, key))
        if seen is not None:
            first = self.desired.positions[(kind.name, key)]
            self.error(at, kind.label(key), f"declared twice: also at {first}")
            return
        self.nodes[(kind.name, key)] = (name, item)
        self.desired.positions[(kind.name, key)] = at
        self.desired.state.add(kind.name, obj)
        self.desired.view(kind.name, key)
        if getattr(obj, "protect", None):
            self.desired.protected.add((kind.name, key))
        old = getattr(obj, "renamed_from", None)
        if old is not None:
            if not kind.can_rename:
                self.error(at, kind.label(key), f"{kind.title}s cannot be renamed")
            elif (old,) == key:
                self.error(
                    _key_pos(name, item, "renamed_from"),
                    f"{kind.label(key)}.renamed_from",
                    "renamed_from names the object itself",
                )
            else:
                self.desired.renames[(kind.name, key)] = (str(old),)

    def _refuse_unwritable(self, name: str, node: PosMap, label: str, kind: Kind) -> list[str]:
        refused = [key for key in node if key in kind.read_only or key in kind.moved]
        for key in refused:
            if key in kind.read_only:
                self.error(
                    _key_pos(name, node, key),
                    f"{label}.{key}",
                    f"the API can read `{key}` (wire `{kind.read_only[key]}`) but cannot "
                    "change it; remove it from the manifest",
                )
            elif key in kind.moved:
                self.error(
                    _key_pos(name, node, key),
                    f"{label}.{key}",
                    f"not a field of {kind.title}s: {kind.moved[key]}",
                )
        return refused

    def _plain(self, name: str, node: Any, path: str, at: Position | None = None) -> Any:
        """YAML nodes -> plain data, with ${ENV} substituted in every string."""
        if isinstance(node, PosMap):
            out = {}
            for key, value in node.items():
                if value is None:
                    self.error(
                        _key_pos(name, node, key),
                        f"{path}.{key}",
                        "no value; remove the line to leave the field unmanaged",
                    )
                    continue
                out[str(key)] = self._plain(
                    name, value, f"{path}.{key}", _value_pos(name, node, key)
                )
            return out
        if isinstance(node, PosSeq):
            return [
                self._plain(name, v, f"{path}[{i}]", _item_pos(name, node, i))
                for i, v in enumerate(node)
            ]
        if isinstance(node, str):
            return self._substitute(at or Position(name, 1, 1), node, path)
        return node

    def _substitute(self, at: Position, text: str, path: str) -> str:
        def value(match: re.Match[str]) -> str:
            if match[0] == "$${":
                return "${"
            var, default = match[1], match[2]
            if var is None:
                # Not echoed: the field may hold a secret that happens to contain `${`.
                self.error(
                    at,
                    path,
                    "a `${` that is not a variable pbxconf can fill in: write ${VAR} or "
                    "${VAR:-default}, or $${ for a literal ${",
                )
                return ""
            if var in self.env:
                return self.env[var]
            if default is not None:
                return default
            self.error(
                at,
                path,
                f"environment variable {var} is not set (write "
                f"${{{var}:-default}} to give a default)",
            )
            return ""

        return ENV_PATTERN.sub(value, text) if "$" in text else text

    def _validation_errors(
        self, name: str, node: PosMap, label: str, err: ValidationError, model: Any
    ) -> None:
        fields = _field_names(model) if isinstance(model, Kind) else set(model.model_fields)
        for problem in err.errors():
            loc = [p for p in problem["loc"]]
            position, path = _locate(name, node, loc)
            where = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            kind_of = problem["type"]
            found = problem.get("input")
            dotted = ".".join(str(p) for p in path if not isinstance(p, int))
            if isinstance(model, Kind) and dotted in model.sensitive:
                found = _MASKED  # the value may be a secret: never echo it
            if kind_of == "extra_forbidden":
                leaf = str(path[-1]) if path else ""
                parent = _follow(node, path[:-1])
                if isinstance(parent, PosMap) and leaf in parent:
                    position = _key_pos(name, parent, leaf)
                message = _unknown_field(leaf, dotted, fields, model, parent)
            elif kind_of == "missing":
                message = f"missing required field `{loc[-1]}`"
                where = label + "".join(f".{p}" for p in path)
            elif kind_of == "union_tag_invalid":
                found = node.get("type")
                position = _value_pos(name, node, "type")
                where = f"{label}.type"
                message = (
                    f"`type` must be one of {problem['ctx']['expected_tags']}; found {found!r}"
                )
            elif kind_of == "union_tag_not_found":
                message = "missing required field `type` (register, peer or account)"
            else:
                text = problem["msg"].removeprefix("Value error, ")
                text = re.sub(
                    r"^(Input|String|Value|List|Integer) should (be|have|match)",
                    r"expected to \2",
                    text,
                )
                text = text.replace("expected to be ", "expected ")
                message = f"{text}; found {found!r}" if kind_of != "value_error" else text
            self.error(position, where, message)

    # -- across files --

    def check_references(self) -> None:
        if self.unreadable:
            return
        state = self.desired.state
        for kind_name, key, obj in state.items():
            kind = KINDS[kind_name]
            name, node = self.nodes[(kind_name, key)]
            for ref in kind.refs(obj):
                if (
                    state.get(ref.kind, ref.key) is not None
                    or self.desired.is_external(ref.kind, ref.key)
                    or (ref.kind, ref.key) in self.invalid_keys
                ):
                    continue
                target = KINDS[ref.kind]
                position, _ = _locate(name, node, _parse_path(ref.path))
                self.error(
                    position,
                    f"{kind.label(key)}.{ref.path}",
                    f"{target.title} `{target.key_text(ref.key)}` is not "
                    f"declared in the manifests; declare it under `{target.section}`, or list it "
                    f"under `external: {target.section}` if it exists only on the PBX",
                )


# `$${` (a literal `${`), `${VAR}`, `${VAR:-default}`, and any other `${`, which is refused:
# left as it is, `${VAR:?message}` or a typo would reach the PBX as text.
ENV_PATTERN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?")


class _Masked:
    def __repr__(self) -> str:
        return "a value not shown (sensitive)"


_MASKED = _Masked()


# ---- positions ----------------------------------------------------------------------


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    return lines[line][col] if line < len(lines) and col < len(lines[line]) else ""


def _error_order(error: ManifestError) -> tuple[str, int, int]:
    at = error.position
    return (at.file, at.line, at.col) if at else ("", 0, 0)


def _pos(name: str, node: Any) -> Position:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return Position(name, lc.line + 1, lc.col + 1)
    return Position(name, 1, 1)


def _key_pos(name: str, node: PosMap, key: Any) -> Position:
    try:
        line, col = node.lc.key(key)
        return Position(name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return _pos(name, node)


def _value_pos(name: str, node: PosMap, key: Any) -> Position:
    try:
        line, col = node.lc.value(key)
        return Position(name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return _key_pos(name, node, key)


def _item_pos(name: str, node: PosSeq, index: int) -> Position:
    try:
        line, col = node.lc.item(index)
        return Position(name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError, IndexError):
        return _pos(name, node)


def _locate(name: str, node: Any, loc: list[Any]) -> tuple[Position, list[Any]]:
    """Follow a validation error's location through the YAML nodes as far as it goes."""
    position = _pos(name, node)
    path: list[Any] = []
    for part in loc:
        if isinstance(node, PosMap) and part in node:
            child = node[part]
            position = (
                _value_pos(name, node, part)
                if not isinstance(child, (PosMap, PosSeq))
                else _key_pos(name, node, part)
            )
            node = child
            path.append(part)
        elif isinstance(node, PosSeq) and isinstance(part, int) and part < len(node):
            position = _item_pos(name, node, part)
            node = node[part]
            path.append(part)
        elif isinstance(part, str) and part in ("register", "peer", "account", "function-after"):
            continue  # a union's or validator's step that has no node of its own
        else:
            path.append(part)
    return position, path


def _follow(node: Any, path: list[Any]) -> Any:
    """The node at `path`, or the deepest one the path reaches."""
    for part in path:
        in_map = isinstance(node, PosMap) and part in node
        in_seq = isinstance(node, PosSeq) and isinstance(part, int) and part < len(node)
        if not (in_map or in_seq):
            break
        node = node[part]
    return node


def _parse_path(path: str) -> list[Any]:
    parts: list[Any] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return parts


# ---- helpers ------------------------------------------------------------------------


def _label(kind: Kind, item: Any, section: str, index: int) -> str:
    if isinstance(item, PosMap) and all(f in item for f in kind.key_fields):
        return kind.label(tuple(str(item[f]) for f in kind.key_fields))
    return f"{section}[{index}]"


def _what(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, PosMap):
        return "a mapping"
    if isinstance(value, PosSeq):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    tag = getattr(getattr(value, "tag", None), "value", None)
    return f"a value tagged {tag}" if tag else type(value).__name__


def _unknown_field(leaf: str, dotted: str, fields: set[str], model: Any, parent: Any) -> str:
    """What to say of a field the model does not take there. A name it takes elsewhere is
    not a typo: say where it goes (`voicemail.pin`), or that this type lacks it (a peer
    trunk has no `password`)."""
    elsewhere = sorted(f for f in fields if f.rsplit(".", 1)[-1] == leaf and f != dotted)
    if dotted in fields and isinstance(parent, dict) and isinstance(parent.get("type"), str):
        title = model.title if isinstance(model, Kind) else "object"
        return f"`{leaf}` is not a field of a {title} of type {parent['type']}"
    if elsewhere:
        return f"unknown field `{leaf}` here; it goes in `{elsewhere[0]}`"
    prefix = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
    if isinstance(parent, dict) and parent.get("type") == leaf and prefix + "target" in fields:
        # {type: extension, extension: 1000}: the type's own name is a natural guess
        return f"unknown field `{leaf}`; the {leaf} goes in `target`"
    return f"unknown field `{leaf}`{_did_you_mean(leaf, _leaf_names(fields) - {leaf})}"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _schema_fields(model: Any, prefix: str = "") -> set[str]:
    names: set[str] = set()
    models = [model]
    if hasattr(model, "__metadata__"):  # Annotated union
        models = list(model.__origin__.__args__)
    for m in models:
        if not (isinstance(m, type) and issubclass(m, BaseModel)):
            continue
        for fname, info in m.model_fields.items():
            names.add(prefix + fname)
            for arg in getattr(info.annotation, "__args__", (info.annotation,)):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    names |= _schema_fields(arg, f"{prefix}{fname}.")
    return names


def _field_names(kind: Kind) -> set[str]:
    return _schema_fields(kind.model)


def _leaf_names(fields: Iterable[str]) -> set[str]:
    return {f.rsplit(".", 1)[-1] for f in fields}


# ---- the JSON Schema ----------------------------------------------------------------


class External(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extensions: list[str | int] | None = Field(
        None, description="Numbers or ranges like 1000-1019."
    )
    ivrs: list[str | int] | None = None
    queues: list[str | int] | None = None
    trunks: list[str] | None = None
    outbound_routes: list[str] | None = None


def manifest_model() -> type[BaseModel]:
    """The whole manifest format as one model, for the JSON Schema editors use."""
    fields: dict[str, Any] = {
        "version": (Literal[1], Field(description="The manifest format version.")),
        "settings": (Settings | None, None),
        "external": (
            External | None,
            Field(
                None,
                description="Objects that exist on the PBX only: references to them "
                "are allowed, and plan checks they exist.",
            ),
        ),
    }
    for kind in ORDERED_KINDS:
        item = kind.model
        # A model built at run time: its field types are values here, not annotations.
        fields[kind.section] = (Optional[list[item]], None)  # type: ignore[valid-type]  # noqa: UP045
    model = create_model(  # type: ignore[call-overload]
        "PbxconfManifest", __config__=ConfigDict(extra="forbid"), **fields
    )
    model.__doc__ = "A pbxconf manifest: the configuration of a cloud PBX (API v1.1.0)."
    return model  # type: ignore[no-any-return]
