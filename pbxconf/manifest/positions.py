"""Positions in a manifest: where a key, value or item of the YAML was, and following a
validation error's location through the document."""

from __future__ import annotations

import re
from typing import Any

from pbxconf.kinds import KINDS
from pbxconf.manifest.errors import ManifestError, Position
from pbxconf.manifest.yaml import PosMap, PosSeq


def char_at(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    return lines[line][col] if line < len(lines) and col < len(lines[line]) else ""


def error_order(error: ManifestError) -> tuple[str, int, int]:
    at = error.position
    return (at.file, at.line, at.col) if at else ("", 0, 0)


def pos(name: str, node: Any) -> Position:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return Position(name, lc.line + 1, lc.col + 1)
    return Position(name, 1, 1)


def key_pos(name: str, node: PosMap, key: Any) -> Position:
    try:
        line, col = node.lc.key(key)
        return Position(name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return pos(name, node)


def value_pos(name: str, node: PosMap, key: Any) -> Position:
    try:
        line, col = node.lc.value(key)
        return Position(name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return key_pos(name, node, key)


def item_pos(name: str, node: PosSeq, index: int) -> Position:
    try:
        line, col = node.lc.item(index)
        return Position(name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError, IndexError):
        return pos(name, node)


# A union's member (a trunk's type) is a step of a validation error's location that has no
# node of its own in the document.
VARIANT_TAGS = frozenset(tag for kind in KINDS.values() for tag in kind.variant_tags())


def locate(name: str, node: Any, loc: list[Any]) -> tuple[Position, list[Any]]:
    """Follow a validation error's location through the YAML nodes as far as it goes."""
    position = pos(name, node)
    path: list[Any] = []
    for part in loc:
        if isinstance(node, PosMap) and part in node:
            child = node[part]
            position = (
                value_pos(name, node, part)
                if not isinstance(child, (PosMap, PosSeq))
                else key_pos(name, node, part)
            )
            node = child
            path.append(part)
        elif isinstance(node, PosSeq) and isinstance(part, int) and part < len(node):
            position = item_pos(name, node, part)
            node = node[part]
            path.append(part)
        elif isinstance(part, str) and (part in VARIANT_TAGS or part == "function-after"):
            continue  # a union's or validator's step that has no node of its own
        else:
            path.append(part)
    return position, path


def follow(node: Any, path: list[Any]) -> Any:
    """The node at `path`, or the deepest one the path reaches."""
    for part in path:
        in_map = isinstance(node, PosMap) and part in node
        in_seq = isinstance(node, PosSeq) and isinstance(part, int) and part < len(node)
        if not (in_map or in_seq):
            break
        node = node[part]
    return node


def parse_path(path: str) -> list[Any]:
    parts: list[Any] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return parts
