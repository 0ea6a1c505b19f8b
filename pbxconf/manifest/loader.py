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
    what,
)
from pbxconf.manifest.positions import (
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
from pbxconf.manifest.yaml import PosMap, PosSeq, YamlRefused
from pbxconf.manifest.yaml import load as load_yaml
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
    with collector_paused():
        for path in manifest_files(paths):
            loader.load_file(path)
        loader.check_references()
    if loader.errors:
        raise ManifestErrors(sorted(loader.errors, key=error_order))
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
                f"`version: {FORMAT_VERSION}`; found {what(document)}",
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
            if "tab" in problem or (mark and char_at(text, mark.line, mark.column) == "\t"):
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
            at = key_pos(name, doc, "version") if "version" in doc else Position(name, 1, 1)
            found = "nothing" if "version" not in doc else repr(version)
            self.error(at, "version", f"expected `version: {FORMAT_VERSION}`, found {found}")
        for key in doc:
            if key not in TOP_LEVEL:
                self.error(
                    key_pos(name, doc, key),
                    str(key),
                    f"unknown top-level key{did_you_mean(str(key), TOP_LEVEL)}",
                )
        if "settings" in doc:
            self._settings(name, doc)
        if "external" in doc:
            self._external(name, doc)
        for section, kind in ((k.section, k) for k in KINDS.values()):
            if section in doc:
                self._section(name, doc, section, kind)

    def _settings(self, name: str, doc: PosMap) -> None:
        at = key_pos(name, doc, "settings")
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
            kind = KINDS.section(section)
            for entry in names:
                key = tuple(part.strip() for part in str(entry).split(","))
                self.desired.protected.add((kind.name, key))
        for section, fields in self.desired.settings.ignore_fields.items():
            known = field_names(KINDS.section(section))
            for f in fields:
                if f not in known:
                    self.error(
                        at,
                        f"settings.ignore_fields.{section}",
                        f"unknown field `{f}`{did_you_mean(f, known)}",
                    )

    def _external(self, name: str, doc: PosMap) -> None:
        node = doc["external"]
        if not isinstance(node, PosMap):
            self.error(
                key_pos(name, doc, "external"),
                "external",
                f"expected a mapping of kind -> names, found {what(node)}",
            )
            return
        for section, items in node.items():
            path = f"external.{section}"
            external_sections = [k.section for k in KINDS.values() if k.may_be_external]
            if section not in external_sections:
                self.error(
                    key_pos(name, node, section),
                    path,
                    "only "
                    + ", ".join(external_sections)
                    + " can be external"
                    + did_you_mean(str(section), external_sections),
                )
                continue
            if not isinstance(items, PosSeq):
                self.error(
                    key_pos(name, node, section), path, f"expected a list, found {what(items)}"
                )
                continue
            kind = KINDS.section(section)
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
                        item_pos(name, items, i),
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
                key_pos(name, doc, section),
                section,
                f"expected a list of {kind.title}s, found {what(items)}",
            )
            return
        for index, item in enumerate(items):
            self._object(name, items, index, item, section, kind)

    def _object(
        self, name: str, items: PosSeq, index: int, item: Any, section: str, kind: Kind
    ) -> None:
        label = item_label(kind, item, section, index)
        if not isinstance(item, PosMap):
            self.error(
                item_pos(name, items, index),
                label,
                f"expected a mapping (one {kind.title}), found {what(item)}",
            )
            return
        before = len(self.errors)
        data = self._plain(name, item, label, secrets=kind.sensitive)
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
        at = item_pos(name, items, index)
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
        if obj.by_hand:
            self._check_by_hand(name, item, kind.label(key), kind, obj)
        old = getattr(obj, "renamed_from", None)
        if old is not None:
            if not kind.can_rename:
                self.error(at, kind.label(key), f"{kind.title}s cannot be renamed")
            elif (old,) == key:
                self.error(
                    key_pos(name, item, "renamed_from"),
                    f"{kind.label(key)}.renamed_from",
                    "renamed_from names the object itself",
                )
            else:
                self.desired.renames[(kind.name, key)] = (str(old),)

    def _check_by_hand(self, name: str, item: PosMap, label: str, kind: Kind, obj: Any) -> None:
        """`by_hand` names fields of the kind, each not also declared as a value."""
        node = item["by_hand"]
        known = {w.field for w in kind.wire} - set(kind.key_fields)
        values = declared(obj)
        for field in obj.by_hand:
            at = (
                key_pos(name, node, field)
                if isinstance(node, PosMap)
                else key_pos(name, item, "by_hand")
            )
            if field not in known:
                self.error(
                    at,
                    f"{label}.by_hand.{field}",
                    f"not a field of {kind.title}s{did_you_mean(field, known)}",
                )
            elif field in values:
                self.error(
                    at,
                    f"{label}.by_hand.{field}",
                    "declared twice: as a value and under `by_hand`; keep one",
                )

    def _refuse_unwritable(self, name: str, node: PosMap, label: str, kind: Kind) -> list[str]:
        refused = [key for key in node if key in kind.read_only or key in kind.moved]
        for key in refused:
            if key in kind.read_only:
                self.error(
                    key_pos(name, node, key),
                    f"{label}.{key}",
                    f"the API can read `{key}` (wire `{kind.read_only[key]}`) but cannot "
                    "change it; remove it from the manifest",
                )
            elif key in kind.moved:
                self.error(
                    key_pos(name, node, key),
                    f"{label}.{key}",
                    f"not a field of {kind.title}s: {kind.moved[key]}",
                )
        return refused

    def _plain(
        self,
        name: str,
        node: Any,
        path: str,
        at: Position | None = None,
        secrets: frozenset[str] = frozenset(),
        field: str = "",
    ) -> Any:
        """YAML nodes -> plain data, with ${ENV} substituted in every string. `secrets`
        are the object's sensitive fields, `field` the dotted one this node is."""
        if isinstance(node, PosMap):
            out = {}
            for key, value in node.items():
                if value is None:
                    self.error(
                        key_pos(name, node, key),
                        f"{path}.{key}",
                        "no value; remove the line to leave the field unmanaged",
                    )
                    continue
                inner = f"{field}.{key}" if field else str(key)
                try:
                    out[str(key)] = self._plain(
                        name, value, f"{path}.{key}", value_pos(name, node, key), secrets, inner
                    )
                except _SecretLeftOut:
                    continue  # the field is not managed
            return out
        if isinstance(node, PosSeq):
            return [
                self._plain(name, v, f"{path}[{i}]", item_pos(name, node, i), secrets, field)
                for i, v in enumerate(node)
            ]
        if isinstance(node, str):
            return self._substitute(at or Position(name, 1, 1), node, path, field in secrets)
        return node

    def _substitute(self, at: Position, text: str, path: str, secret: bool = False) -> str:
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
            if secret and self.leave_unset_secrets:
                self.desired.unset_secrets.append((path, var))
                raise _SecretLeftOut
            self.error(
                at,
                path,
                f"environment variable {var} is not set (write "
                f"${{{var}:-default}} to give a default"
                + (", or plan with --missing-secrets unmanaged)" if secret else ")"),
            )
            return ""

        return ENV_PATTERN.sub(value, text) if "$" in text else text

    def _validation_errors(
        self, name: str, node: PosMap, label: str, err: ValidationError, model: Any
    ) -> None:
        fields = field_names(model) if isinstance(model, Kind) else set(model.model_fields)
        for problem in err.errors():
            if PBX_SIDE in problem["loc"]:
                continue  # what only an answer can hold: never a manifest's value
            loc = [p for p in problem["loc"] if p != MANIFEST_SIDE]
            position, path = locate(name, node, loc)
            where = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            kind_of = problem["type"]
            found = problem.get("input")
            dotted = ".".join(str(p) for p in path if not isinstance(p, int))
            if isinstance(model, Kind) and dotted in model.sensitive:
                found = _MASKED  # the value may be a secret: never echo it
            if kind_of == "extra_forbidden":
                leaf = str(path[-1]) if path else ""
                parent = follow(node, path[:-1])
                if isinstance(parent, PosMap) and leaf in parent:
                    position = key_pos(name, parent, leaf)
                message = unknown_field(leaf, dotted, fields, model, parent)
            elif kind_of == "missing":
                message = f"missing required field `{loc[-1]}`"
                where = label + "".join(f".{p}" for p in path)
            elif kind_of == "union_tag_invalid":
                found = node.get("type")
                position = value_pos(name, node, "type")
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
                position, _ = locate(name, node, parse_path(ref.path))
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


class _SecretLeftOut(Exception):
    """An unset secret: its field is left out (not managed)."""


class _Masked:
    def __repr__(self) -> str:
        return "a value not shown (sensitive)"


_MASKED = _Masked()
