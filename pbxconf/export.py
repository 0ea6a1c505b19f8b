"""Live -> manifests: backups, adoption of an existing PBX, disaster recovery.

Everything the API can write is exported, in a stable order and format (exporting an
unchanged PBX twice gives the same bytes, so git diffs mean something), with a header that
names the PBX. Secrets are written as `${VARIABLE}` references (the default), in clear, or
left out. One thing cannot be exported: an extension's user password, which the PBX only
ever answers as an md5 digest.

A split export writes one file per kind, and a kind of more than OBJECTS_PER_FILE objects
in several (`extensions-1.yaml`, `extensions-2.yaml`...): every file stays well inside
the limits a manifest file is read with (its size, its number of values), so an export of
any PBX loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbxconf.bulk import collector_paused
from pbxconf.kinds import KINDS, Kind
from pbxconf.kinds.base import META_FIELDS
from pbxconf.kinds.fields import LiveValue, natural_key
from pbxconf.manifest import FORMAT_VERSION
from pbxconf.state import State
from pbxconf.text import number_runs

SECRET_MODES = ("env", "inline", "redact")
# Objects per file of a split export: 2,000 extensions are about 1.3 MB and 120,000
# values, far inside a manifest file's limits (8 MiB, 500,000 values).
OBJECTS_PER_FILE = 2000
HEADER_START = "# Exported by pbxconf from "
META = set(META_FIELDS)
BY_HAND = "by_hand"


@dataclass
class Export:
    files: dict[str, str] = field(default_factory=dict)  # file name -> YAML text
    variables: list[tuple[str, str]] = field(default_factory=list)  # (VARIABLE, where)
    counts: dict[str, int] = field(default_factory=dict)
    # Values the API cannot write, kept under `by_hand` (a restore lists them as steps).
    by_hand: list[str] = field(default_factory=list)
    # Records the PBX answered that pbxconf cannot read: not in the export, and said so.
    unreadable: list[str] = field(default_factory=list)


def variable_name(kind: Kind, key: tuple[str, ...], field_name: str) -> str:
    raw = "_".join(["PBX", kind.name, *key, field_name])
    return re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_").upper()


def export_state(
    live: State, device: dict[str, Any], kinds: list[str], secrets: str, split: bool
) -> Export:
    with collector_paused():
        return _export(live, device, kinds, secrets, split)


def _export(
    live: State, device: dict[str, Any], kinds: list[str], secrets: str, split: bool
) -> Export:
    result = Export()
    sections: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS.values():
        if kind.name not in kinds:
            continue
        objs = sorted(
            live.objects[kind.name].items(),
            key=lambda item: [natural_key(part) for part in item[0]],
        )
        sections[kind.section] = [_object(kind, key, obj, secrets, result) for key, obj in objs]
        result.counts[kind.section] = len(objs)
    external = _external(live, kinds)
    result.unreadable = [f"{u.label} ({u.reason})" for u in live.unreadable if u.kind in kinds]
    header = _header(device, secrets, result.unreadable)
    if split:
        top: dict[str, Any] = {"version": FORMAT_VERSION}
        if external:
            top["external"] = external
        result.files["pbx.yaml"] = header + _dump(top)
        for section, items in sections.items():
            for name, part in _parts(section, items):
                result.files[name] = header + _dump({"version": FORMAT_VERSION, section: part})
    else:
        doc: dict[str, Any] = {"version": FORMAT_VERSION}
        if external:
            doc["external"] = external
        doc.update(sections)
        result.files["pbx.yaml"] = header + _dump(doc)
    return result


def _parts(section: str, items: list[Any]) -> list[tuple[str, list[Any]]]:
    """A section's files: `extensions.yaml`, or `extensions-1.yaml`... for a large one."""
    if len(items) <= OBJECTS_PER_FILE:
        return [(f"{section}.yaml", items)]
    chunks = [items[i : i + OBJECTS_PER_FILE] for i in range(0, len(items), OBJECTS_PER_FILE)]
    width = len(str(len(chunks)))
    return [(f"{section}-{n:0{width}d}.yaml", chunk) for n, chunk in enumerate(chunks, 1)]


def superseded(directory: Path, result: Export) -> list[Path]:
    """Files of an earlier split export in `directory` that this one replaces: a kind's
    files under their other names (`extensions.yaml` once it is `extensions-1.yaml`...),
    which would otherwise declare the same objects twice. Only files that an export
    wrote (they open with its header) are named."""
    pattern = re.compile(
        r"(" + "|".join(re.escape(s) for s in result.counts) + r")(-[0-9]+)?\.yaml"
    )
    stale = []
    for path in sorted(directory.glob("*.yaml")) if result.counts else []:
        if path.name in result.files or not pattern.fullmatch(path.name):
            continue
        try:
            with path.open(encoding="utf-8") as handle:
                head = [handle.readline(), handle.readline()]
        except (OSError, UnicodeDecodeError):
            continue
        # The header's first line, after the $schema line exports now start with.
        if any(line.startswith(HEADER_START) for line in head):
            stale.append(path)
    return stale


def _object(
    kind: Kind, key: tuple[str, ...], obj: Any, secrets: str, result: Export
) -> dict[str, Any]:
    data = obj.model_dump(exclude_none=True, exclude=META)
    for name in kind.not_exportable:
        data.pop(name, None)
    # What the PBX holds that no manifest value can say: kept under `by_hand`, which
    # validates, and which a plan lists as a step for a person.
    by_hand = {dotted: str(value) for dotted, value in _pop_live_values(data)}
    for dotted in sorted(kind.sensitive):
        if dotted in by_hand:
            holder, leaf = by_hand, dotted
        else:
            *parents, leaf = dotted.split(".")
            holder = data
            for part in parents:
                holder = holder.get(part, {})
        value = holder.get(leaf)
        if value in (None, ""):
            continue
        if secrets == "redact":
            del holder[leaf]
        elif secrets == "env":
            name = variable_name(kind, key, dotted)
            holder[leaf] = f"${{{name}}}"
            result.variables.append((name, f"{kind.label(key)}.{dotted}"))
    if by_hand:
        data[BY_HAND] = by_hand
        result.by_hand += [f"{kind.label(key)}.{f}: {v!r}" for f, v in sorted(by_hand.items())]
    return data


def _pop_live_values(data: dict[str, Any], prefix: str = "") -> list[tuple[str, LiveValue]]:
    """Take the LiveValues out of a model's dump, with their dotted field names."""
    found: list[tuple[str, LiveValue]] = []
    for name, value in list(data.items()):
        if isinstance(value, LiveValue):
            found.append((prefix + name, value))
            del data[name]
        elif isinstance(value, dict):
            found += _pop_live_values(value, f"{prefix}{name}.")
            if not value:
                del data[name]
    return found


def _external(live: State, kinds: list[str]) -> dict[str, list[str]]:
    """Objects referenced by what is exported but not exported themselves: of the kinds
    left out, and those the PBX references without having them (the manual's own queue
    example lists agents that are no extensions)."""
    wanted: dict[str, set[tuple[str, ...]]] = {}
    for kind_name in kinds:
        for obj in live.objects[kind_name].values():
            for ref in KINDS[kind_name].refs(obj):
                if ref.kind not in kinds or live.get(ref.kind, ref.key) is None:
                    wanted.setdefault(ref.kind, set()).add(ref.key)
    return {
        KINDS[name].section: number_runs([k[0] for k in keys])
        for name, keys in sorted(wanted.items())
        if KINDS[name].may_be_external
    }


# Editors check a manifest against the schema this names (the YAML language server):
# `export --split` writes it beside the files, `pbxconf schema -d DIR` anywhere.
SCHEMA_LINE = "# yaml-language-server: $schema=pbxconf.schema.json"


def _header(device: dict[str, Any], secrets: str, unreadable: list[str]) -> str:
    lines = [
        SCHEMA_LINE,
        f"{HEADER_START}{device.get('devicename', '?')}, SN {device.get('sn', '?')}, "
        f"firmware {device.get('firmwarever', '?')}.",
    ]
    unexported = [text for kind in KINDS.values() for text in kind.not_exportable.values()]
    if unexported:
        lines.append(f"# Not exported: {'; '.join(unexported)}.")
    for record in unreadable:
        lines.append(f"# Not exported, the PBX answered it in a form pbxconf cannot read: {record}")
    if secrets == "env":
        lines.append("# Secrets are ${VARIABLE} references: set them before plan or apply.")
    elif secrets == "redact":
        lines.append("# Secrets were left out: those fields are not managed by this export.")
    else:
        lines.append("# Secrets are written in clear: keep this file out of version control.")
    return "\n".join(lines) + "\n"


# Text that YAML reads back as the same string when written bare: it starts with a letter
# and holds only letters, digits, spaces and . @ / + - _ (no `: `, `#`, quotes, braces).
# (fullmatch: `$` would also match before a trailing newline)
_PLAIN = re.compile(r"[^\W\d_][\w .@/+-]*(?<! )")
# Bare words YAML 1.1 or 1.2 would read as booleans or null.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return _quoted(text)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Characters YAML will not take as they are inside quotes, or reads as line breaks
# (NEL, LINE and PARAGRAPH SEPARATOR), or as a byte-order mark.
_NEEDS_ESCAPE = {0x7F, 0x85, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF}


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: UTF-8 kept as it is, the rest escaped."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\uFFFD")  # a lone surrogate is not text; nothing can hold it
        elif code < 0x20 or 0x80 <= code <= 0x9F or code in _NEEDS_ESCAPE:
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _dump(document: dict[str, Any]) -> str:
    """Block-style YAML for exports: stable bytes, one value per line, fast for large PBXes
    (ruamel's emitter took seconds for a 2,000-extension PBX)."""
    lines: list[str] = []
    _emit_mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def _emit_mapping(data: dict[str, Any], indent: int, lines: list[str], first: str = "") -> None:
    pad = " " * indent
    for i, (key, value) in enumerate(data.items()):
        lead = first if i == 0 and first else pad
        if key == BY_HAND:
            lines.append(
                f"{pad}# The PBX holds these values, which the API cannot write: set them in"
            )
            lines.append(f"{pad}# its web page when restoring (plan lists them).")
        _emit_value(f"{lead}{key}:", value, indent, lines)


def _emit_value(head: str, value: Any, indent: int, lines: list[str]) -> None:
    if isinstance(value, dict) and value:
        lines.append(head)
        _emit_mapping(value, indent + 2, lines)
    elif isinstance(value, list) and value:
        lines.append(head)
        for item in value:
            _emit_item(item, indent + 2, lines)
    elif isinstance(value, (dict, list)):
        lines.append(f"{head} {'{}' if isinstance(value, dict) else '[]'}")
    else:
        lines.append(f"{head} {_scalar(value)}")


def _emit_item(item: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(item, dict) and item:
        _emit_mapping(item, indent + 2, lines, first=f"{pad}- ")
    elif isinstance(item, list) and item:
        lines.append(f"{pad}-")
        for inner in item:
            _emit_item(inner, indent + 2, lines)
    elif isinstance(item, (dict, list)):
        lines.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]'}")
    else:
        lines.append(f"{pad}- {_scalar(item)}")
