"""YAML manifests -> desired State: many files, positions, ${ENV}, validation, references.

Every error names `file:line:col`, the path inside the document
(`extensions[number=1002].ring_timeout`), what was expected and what was found. All the
errors of a run are collected and reported together. Hostile input (syntax errors,
duplicate keys, tabs, binary junk, deep nesting, alias bombs, object-constructing tags)
is refused quickly with a clear message: YAML is loaded round-trip (no Python objects are
ever constructed) and every tree is walked with a depth and a size bound.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pbxconf.bulk import collector_paused
from pbxconf.kinds import KINDS, Key, Kind
from pbxconf.kinds.base import declared
from pbxconf.kinds.fields import MANIFEST_SIDE, PBX_SIDE
from pbxconf.manifest.desired import Desired
from pbxconf.manifest.errors import ManifestError, ManifestErrors, Position
from pbxconf.manifest.files import manifest_files
from pbxconf.manifest.messages import (
    did_you_mean,
    field_names,
    item_label,
    or_list,
    unknown_field,
    validation_message,
    what,
)
from pbxconf.manifest.positions import (
    Document,
    char_at,
    error_order,
    follow,
    item_pos,
    key_pos,
    locate,
    parse_path,
    value_pos,
)
from pbxconf.manifest.settings import Settings
from pbxconf.manifest.yaml import YamlRefused
from pbxconf.manifest.yaml import read as read_yaml
from pbxconf.text import has_control

FORMAT_VERSION = 1
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 500_000
TOP_LEVEL = ("version", "settings", "external", *KINDS.sections)


# What an unset `${VAR}` in a sensitive field does: an error, or the field is left
# unmanaged (an adopted PBX planned before every secret of its export is in the vault).
MISSING_SECRETS = ("error", "unmanaged")


def load(
    paths: Iterable[str | Path],
    env: Mapping[str, str] | None = None,
    *,
    missing_secrets: str = "error",
) -> Desired:
    """Load, merge and validate manifests; raise ManifestErrors with every problem found."""
    loader = _Loader(os.environ if env is None else env)
    loader.leave_unset_secrets = missing_secrets == "unmanaged"
    try:
        with collector_paused():
            for path in manifest_files(paths):
                loader.load_file(path)
            loader.check_references()
    finally:
        for doc in loader.documents:
            doc.release()
    if loader.errors:
        raise ManifestErrors(sorted(loader.errors, key=error_order))
    return loader.desired


class _Loader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.errors: list[ManifestError] = []
        self.desired = Desired()
        self.documents: list[Document] = []
        self.nodes: dict[tuple[str, Key], tuple[Document, dict[str, Any]]] = {}
        # Where `settings:` was first declared (a position only an error works out).
        self.settings_in: tuple[Document, dict[str, Any]] | None = None
        self.invalid_keys: set[tuple[str, Key]] = set()
        self.unreadable = False
        self.leave_unset_secrets = False

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
        doc = self._parse(name, raw)
        if doc is None:
            # What this file declares is unknown, so references cannot be judged.
            self.unreadable = True
            return
        self.documents.append(doc)
        if doc.root is None:  # no document, or only `~`: nothing a manifest declares
            self.error(
                Position(name, 1, 1),
                "",
                f"the file is empty; a manifest starts with `version: {FORMAT_VERSION}`",
            )
            self.unreadable = True
            return
        if not isinstance(doc.root, dict):
            # A whole file of text is not echoed: it may be a secrets file named by mistake.
            found = "text" if isinstance(doc.root, str) else what(doc.root)
            self.error(
                Position(name, 1, 1),
                "",
                f"a manifest is a mapping that starts with `version: {FORMAT_VERSION}`; "
                f"found {found}",
            )
            return
        self._top_level(doc, doc.root)

    def _parse(self, name: str, raw: bytes) -> Document | None:
        """The file's YAML, or None where it cannot be read (the error is recorded). The
        limits are per file: a PBX's manifests may be split over many files."""
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
        try:
            root, as_written = read_yaml(text, MAX_DEPTH, MAX_NODES)
        except YamlRefused as err:
            self.error(Position(name, err.line + 1, err.col + 1), "", err.message)
        except MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            position = Position(name, mark.line + 1, mark.column + 1) if mark else None
            problem = err.problem or err.context or "invalid YAML"
            if "tab" in problem or (mark and char_at(text, mark.line, mark.column) == "\t"):
                problem = "a tab character; YAML indents with spaces only"
            self.error(position, "", f"YAML syntax: {problem}")
        except YAMLError as err:
            self.error(Position(name, 1, 1), "", f"YAML syntax: {err}")
        else:
            return Document(name, text, root, (MAX_DEPTH, MAX_NODES), as_written=as_written)
        return None

    def _top_level(self, doc: Document, root: dict[str, Any]) -> None:
        version = root.get("version")
        if version != FORMAT_VERSION:
            at = key_pos(doc, root, "version") if "version" in root else Position(doc.name, 1, 1)
            found = "nothing" if "version" not in root else repr(version)
            self.error(at, "version", f"expected `version: {FORMAT_VERSION}`, found {found}")
        for key in root:
            if key not in TOP_LEVEL:
                self.error(
                    key_pos(doc, root, key),
                    str(key),
                    f"unknown top-level key{did_you_mean(str(key), TOP_LEVEL)}",
                )
        if "settings" in root:
            self._settings(doc, root)
        if "external" in root:
            self._external(doc, root)
        for section, kind in ((k.section, k) for k in KINDS.values()):
            if section in root:
                self._section(doc, root, section, kind)

    def _settings(self, doc: Document, root: dict[str, Any]) -> None:
        if self.settings_in is not None:
            first = key_pos(*self.settings_in, "settings")
            self.error(
                key_pos(doc, root, "settings"),
                "settings",
                f"settings are declared twice (also at {first})",
            )
            return
        self.settings_in = (doc, root)
        node = root["settings"]
        try:
            self.desired.settings = Settings.model_validate(self._plain(doc, node, "settings"))
        except ValidationError as err:
            self._validation_errors(doc, node, "settings", err, Settings)
            return
        for section, names in self.desired.settings.protect.items():
            kind = KINDS.section(section)
            for entry in names:
                key = tuple(part.strip() for part in str(entry).split(","))
                self.desired.protected.add((kind.name, key))
        for section, fields in self.desired.settings.ignore_fields.items():
            known = field_names(KINDS.section(section))
            for f in fields:
                if f not in known:
                    self.error(
                        key_pos(doc, root, "settings"),
                        f"settings.ignore_fields.{section}",
                        f"unknown field `{f}`{did_you_mean(f, known)}",
                    )

    def _external(self, doc: Document, root: dict[str, Any]) -> None:
        node = root["external"]
        if not isinstance(node, dict):
            self.error(
                key_pos(doc, root, "external"),
                "external",
                f"expected a mapping of kind -> names, found {what(node)}",
            )
            return
        for section, items in node.items():
            path = f"external.{section}"
            external_sections = [k.section for k in KINDS.values() if k.may_be_external]
            if section not in external_sections:
                self.error(
                    key_pos(doc, node, section),
                    path,
                    "only "
                    + ", ".join(external_sections)
                    + " can be external"
                    + did_you_mean(str(section), external_sections),
                )
                continue
            if not isinstance(items, list):
                self.error(
                    key_pos(doc, node, section), path, f"expected a list, found {what(items)}"
                )
                continue
            kind = KINDS.section(section)
            keys = self.desired.external.setdefault(kind.name, set())
            for i, item in enumerate(items):
                text = str(item)
                numeric = kind.key_fields == ("number",)
                match = EXTERNAL_RANGE.fullmatch(text) if numeric else None
                if (
                    match
                    and int(match[1]) <= int(match[2])
                    and int(match[2]) - int(match[1]) < 100000
                ):
                    keys.update((str(n),) for n in range(int(match[1]), int(match[2]) + 1))
                elif numeric and not text.isdigit():
                    self.error(
                        item_pos(doc, items, i),
                        f"{path}[{i}]",
                        f"expected a number or a range like 1000-1019, found {text!r}",
                    )
                else:
                    keys.add((text,))

    # -- one section --

    def _section(self, doc: Document, root: dict[str, Any], section: str, kind: Kind) -> None:
        items = root[section]
        if items is None:
            return
        if not isinstance(items, list):
            self.error(
                key_pos(doc, root, section),
                section,
                f"expected a list of {kind.title}s, found {what(items)}",
            )
            return
        refused = _unwritable_names(kind)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                self.error(
                    item_pos(doc, items, index),
                    item_label(kind, item, section, index),
                    f"expected a mapping (one {kind.title}), found {what(item)}",
                )
                continue
            data = None
            if refused.isdisjoint(item):
                data = item if doc.as_written else _filled(item, self.env)
            if data is None:  # something to report: the slow way, with places and paths
                data = self._checked_data(doc, item, item_label(kind, item, section, index), kind)
            if data is not None:
                self._object(doc, items, index, item, data, section, kind)

    def _checked_data(
        self, doc: Document, item: dict[str, Any], label: str, kind: Kind
    ) -> dict[str, Any] | None:
        """The object's data where it has something to report (a field with no value, an
        ${ENV} that cannot be filled in, a field the API cannot write): each is reported
        with its place, and validation errors too; None if any was found."""
        before = len(self.errors)
        data = self._reported_data(doc, item, label, kind)
        if len(self.errors) == before:
            return data
        try:
            kind.validate(data)
        except ValidationError as err:
            self._validation_errors(doc, item, label, err, kind)
        self._remember_invalid(kind, data)
        return None

    def _reported_data(
        self, doc: Document, item: dict[str, Any], label: str, kind: Kind
    ) -> dict[str, Any]:
        """The object's plain data, each field it cannot have reported and left out."""
        data: dict[str, Any] = self._plain(doc, item, label, secrets=kind.sensitive)
        for unwritable in self._refuse_unwritable(doc, item, label, kind):
            data.pop(unwritable, None)
        return data

    def _remember_invalid(self, kind: Kind, data: dict[str, Any]) -> None:
        """An object that is declared but invalid: references to it are not errors of
        their own (they would only repeat its error)."""
        if all(f in data for f in kind.key_fields):
            self.invalid_keys.add((kind.name, tuple(str(data[f]) for f in kind.key_fields)))

    def _object(
        self,
        doc: Document,
        items: list[Any],
        index: int,
        item: dict[str, Any],
        data: dict[str, Any],
        section: str,
        kind: Kind,
    ) -> None:
        try:
            obj = kind.validate(data)
        except ValidationError as err:
            label = item_label(kind, item, section, index)
            self._validation_errors(doc, item, label, err, kind)
            self._remember_invalid(kind, data)
            return
        key = kind.key_of(obj)
        if (kind.name, key) in self.nodes:
            first = self.desired.positions[(kind.name, key)]
            at = item_pos(doc, items, index)
            self.error(at, kind.label(key), f"declared twice: also at {first}")
            return
        self.nodes[(kind.name, key)] = (doc, item)
        self.desired.positions.add((kind.name, key), doc, section, index)
        self.desired.state.objects[kind.name][key] = obj
        self.desired.view(kind.name, key)
        if obj.protect:
            self.desired.protected.add((kind.name, key))
        if obj.by_hand:
            self._check_by_hand(doc, item, kind.label(key), kind, obj)
        old = getattr(obj, "renamed_from", None)
        if old is not None:
            if not kind.can_rename:
                at = item_pos(doc, items, index)
                self.error(at, kind.label(key), f"{kind.title}s cannot be renamed")
            elif (old,) == key:
                self.error(
                    key_pos(doc, item, "renamed_from"),
                    f"{kind.label(key)}.renamed_from",
                    "renamed_from names the object itself",
                )
            else:
                self.desired.renames[(kind.name, key)] = (str(old),)

    def _check_by_hand(
        self, doc: Document, item: dict[str, Any], label: str, kind: Kind, obj: Any
    ) -> None:
        """`by_hand` names fields of the kind, each not also declared as a value."""
        node = item["by_hand"]
        known = {w.field for w in kind.wire} - set(kind.key_fields)
        values = declared(obj)
        for field in obj.by_hand:
            if field in known and field not in values:
                continue
            at = (
                key_pos(doc, node, field)
                if isinstance(node, dict)
                else key_pos(doc, item, "by_hand")
            )
            if field not in known:
                self.error(
                    at,
                    f"{label}.by_hand.{field}",
                    f"not a field of {kind.title}s{did_you_mean(field, known)}",
                )
            else:
                self.error(
                    at,
                    f"{label}.by_hand.{field}",
                    "declared twice: as a value and under `by_hand`; keep one",
                )

    def _refuse_unwritable(
        self, doc: Document, node: dict[str, Any], label: str, kind: Kind
    ) -> list[str]:
        refused = [key for key in node if key in kind.read_only or key in kind.moved]
        for key in refused:
            if key in kind.read_only:
                self.error(
                    key_pos(doc, node, key),
                    f"{label}.{key}",
                    f"the API can read `{key}` (wire `{kind.read_only[key]}`) but cannot "
                    "change it; remove it from the manifest",
                )
            elif key in kind.moved:
                self.error(
                    key_pos(doc, node, key),
                    f"{label}.{key}",
                    f"not a field of {kind.title}s: {kind.moved[key]}",
                )
        return refused

    def _plain(
        self,
        doc: Document,
        node: Any,
        path: str,
        at: Any = None,
        secrets: frozenset[str] = frozenset(),
        field: str = "",
    ) -> Any:
        """YAML nodes -> plain data, with ${ENV} substituted in every string; what cannot
        be is reported with its place (see `_filled` for the usual case). `secrets` are the
        object's sensitive fields, `field` the dotted one this node is."""
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if value is None:
                    self.error(
                        key_pos(doc, node, key),
                        f"{path}.{key}",
                        "no value; remove the line to leave the field unmanaged",
                    )
                    continue
                inner = f"{field}.{key}" if field else str(key)
                try:
                    out[str(key)] = self._plain(
                        doc, value, f"{path}.{key}", _ValueAt(doc, node, key), secrets, inner
                    )
                except _SecretLeftOut:
                    continue  # the field is not managed
            return out
        if isinstance(node, list):
            return [
                self._plain(doc, v, f"{path}[{i}]", _ItemAt(doc, node, i), secrets, field)
                for i, v in enumerate(node)
            ]
        if isinstance(node, str):
            return self._substitute(at or Position(doc.name, 1, 1), node, path, field in secrets)
        return node

    def _substitute(self, at: Any, text: str, path: str, secret: bool = False) -> str:
        def value(match: re.Match[str]) -> str:
            if match[0] == "$${":
                return "${"
            var, default = match[1], match[2]
            if var is None:
                # Not echoed: the field may hold a secret that happens to contain `${`.
                self.error(
                    _where(at),
                    path,
                    "a `${` that is not a variable pbxconf can fill in: write ${VAR} or "
                    "${VAR:-default}, or $${ for a literal ${",
                )
                return ""
            if var in self.env:
                return self.env[var]
            if default is not None:
                return default
            if secret and self.leave_unset_secrets:
                self.desired.unset_secrets.append((path, var))
                raise _SecretLeftOut
            self.error(
                _where(at),
                path,
                f"environment variable {var} is not set (write "
                f"${{{var}:-default}} to give a default"
                + (", or plan with --missing-secrets unmanaged)" if secret else ")"),
            )
            return ""

        return ENV_PATTERN.sub(value, text) if "$" in text else text

    def _validation_errors(
        self, doc: Document, node: dict[str, Any], label: str, err: ValidationError, model: Any
    ) -> None:
        fields = field_names(model) if isinstance(model, Kind) else set(model.model_fields)
        for problem in err.errors():
            if PBX_SIDE in problem["loc"]:
                continue  # what only an answer can hold: never a manifest's value
            loc = [p for p in problem["loc"] if p != MANIFEST_SIDE]
            position, path = locate(doc, node, loc)
            where = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            kind_of = problem["type"]
            found = problem.get("input")
            dotted = ".".join(str(p) for p in path if not isinstance(p, int))
            if isinstance(model, Kind) and dotted in model.sensitive:
                found = _MASKED  # the value may be a secret: never echo it
            if kind_of == "extra_forbidden":
                leaf = str(path[-1]) if path else ""
                parent = follow(node, path[:-1])
                if isinstance(parent, dict) and leaf in parent:
                    position = key_pos(doc, parent, leaf)
                message = unknown_field(leaf, dotted, fields, model, parent)
            elif kind_of == "missing":
                message = f"missing required field `{loc[-1]}`"
                where = label + "".join(f".{p}" for p in path)
            elif kind_of == "union_tag_invalid":
                found = node.get("type")
                position = value_pos(doc, node, "type")
                where = f"{label}.type"
                message = (
                    f"`type` must be one of {problem['ctx']['expected_tags']}; found {found!r}"
                )
            elif kind_of == "union_tag_not_found":
                tags = list(model.variant_tags()) if isinstance(model, Kind) else []
                message = f"missing required field `type` ({or_list(tags)})"
            elif kind_of == "string_pattern_mismatch" and has_control(str(problem["input"])):
                message = (
                    "holds a control character (a newline, a NUL, a right-to-left override "
                    "...), which every output showing it would show as something else; "
                    "remove it"
                )
            else:
                text = validation_message(problem["msg"])
                message = f"{text}; found {found!r}" if kind_of != "value_error" else text
            self.error(position, where, message)

    # -- across files --

    def check_references(self) -> None:
        if self.unreadable:
            return
        state = self.desired.state
        for kind_name, key, obj in state.items():
            kind = KINDS[kind_name]
            for ref in kind.refs(obj):
                if (
                    state.get(ref.kind, ref.key) is not None
                    or self.desired.is_external(ref.kind, ref.key)
                    or (ref.kind, ref.key) in self.invalid_keys
                ):
                    continue
                target = KINDS[ref.kind]
                doc, node = self.nodes[(kind_name, key)]
                position, _ = locate(doc, node, parse_path(ref.path))
                self.error(
                    position,
                    f"{kind.label(key)}.{ref.path}",
                    f"{target.title} `{target.key_text(ref.key)}` is not "
                    f"declared in the manifests; declare it under `{target.section}`, or list it "
                    f"under `external: {target.section}` if it exists only on the PBX",
                )


class _ValueAt:
    """Where a mapping's value was: worked out only if an error names it."""

    def __init__(self, doc: Document, node: dict[str, Any], key: Any) -> None:
        self.doc, self.node, self.key = doc, node, key

    def position(self) -> Position:
        return value_pos(self.doc, self.node, self.key)


class _ItemAt:
    """Where a list's item was: worked out only if an error names it."""

    def __init__(self, doc: Document, node: list[Any], index: int) -> None:
        self.doc, self.node, self.index = doc, node, index

    def position(self) -> Position:
        return item_pos(self.doc, self.node, self.index)


def _where(at: Any) -> Position:
    return at if isinstance(at, Position) else at.position()


class _CannotFill(Exception):
    """An object whose data has something to report (see `_filled`)."""


def _filled(node: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any] | None:
    """An object's data as plain dicts and lists with every ${ENV} filled in: the usual
    case, with nothing to report, worked out without a single position or path. None
    where a field has no value or an ${ENV} cannot be filled in: the loader then goes the
    slow way and reports each with its place."""
    try:
        return _fill(node, env)  # type: ignore[no-any-return]
    except _CannotFill:
        return None


def _fill(node: Any, env: Mapping[str, str]) -> Any:
    if type(node) is dict:
        out = {}
        for key, value in node.items():
            if value is None:
                raise _CannotFill
            kind = type(value)
            if kind is str:
                if "$" in value:
                    value = _fill_text(value, env)
            elif kind is dict or kind is list:
                value = _fill(value, env)
            out[key if type(key) is str else str(key)] = value
        return out
    if type(node) is list:
        return [
            _fill(v, env) if type(v) in (dict, list) or (type(v) is str and "$" in v) else v
            for v in node
        ]
    if type(node) is str:
        return _fill_text(node, env)
    return node


def _fill_text(text: str, env: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match[0] == "$${":
            return "${"
        var, default = match[1], match[2]
        if var is not None and var in env:
            return env[var]
        if var is not None and default is not None:
            return default
        raise _CannotFill

    return ENV_PATTERN.sub(value, text)


def _unwritable_names(kind: Kind) -> frozenset[str]:
    return frozenset(kind.read_only) | frozenset(kind.moved)


# `lo-hi`: a range of numbers under `external:` (bounded: Python reads at most 4,300 digits).
EXTERNAL_RANGE = re.compile(r"(\d{1,18})-(\d{1,18})")


# `$${` (a literal `${`), `${VAR}`, `${VAR:-default}`, and any other `${`, which is refused:
# left as it is, `${VAR:?message}` or a typo would reach the PBX as text.
ENV_PATTERN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?")


class _SecretLeftOut(Exception):
    """An unset secret: its field is left out (not managed)."""


class _Masked:
    def __repr__(self) -> str:
        return "a value not shown (sensitive)"


_MASKED = _Masked()
