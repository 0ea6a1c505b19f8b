"""Positions in a manifest: where a key, value or item of the YAML was, and following a
validation error's location through the document.

Only errors need positions, and a valid manifest has none: a file is read into plain
dicts and lists (yaml.load), and the first time an error in it needs a place, the file
is read again with positions (yaml.load_positioned) and each of its dicts and lists is
paired with its positioned twin. A 2,000-extension manifest loads without a single
position worked out.
"""

from __future__ import annotations

import re
from typing import Any

from pbxconf.kinds import KINDS
from pbxconf.manifest.errors import ManifestError, Position
from pbxconf.manifest.yaml import LineCol, load_positioned


class Document:
    """One manifest file: its name, its text, and what it holds (`root`). Its positions
    are worked out on demand (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        text: str,
        root: Any,
        limits: tuple[int, int],
        *,
        as_written: bool = False,
    ) -> None:
        self.name = name
        self.text = text
        self.root = root
        # Every key text, no mapping value empty, no ${ENV}: objects validate as they are.
        self.as_written = as_written
        self._limits = limits  # the depth and values a file may have, as it was read
        self._positioned: Any = None
        self._twins: dict[int, Any] | None = None

    def lc(self, node: Any) -> LineCol | None:
        """Where a dict or list of `root` was, and its keys, values and items."""
        if self._twins is None:
            self._twins = {}
            _pair(self.root, self.positioned(), self._twins)
        twin = self._twins.get(id(node))
        return getattr(twin, "lc", None)

    def positioned(self) -> Any:
        if self._positioned is None:
            self._positioned = load_positioned(self.text, *self._limits)
        return self._positioned

    def item_at(self, section: str, index: int) -> Position:
        """Where item `index` of a top-level list was, by path (`root` may be gone)."""
        items = self.positioned().get(section)
        try:
            line, col = items.lc.item(index)
        except (AttributeError, IndexError):
            return Position(self.name, 1, 1)
        return Position(self.name, line + 1, col + 1)

    def release(self) -> None:
        """Forget the data (loading is done); keep the text to find positions by path."""
        self.root = None
        self._twins = None


def _pair(fast: Any, slow: Any, twins: dict[int, Any]) -> None:
    """Pair each dict and list with its positioned twin: both were built from the same
    text by the same rules, so they have the same shape. A part shared by aliases is
    paired where it first appears."""
    if not isinstance(fast, (dict, list)) or id(fast) in twins:
        return
    twins[id(fast)] = slow
    if isinstance(fast, dict):
        for key, value in fast.items():
            _pair(value, slow.get(key), twins)
    else:
        for value, twin in zip(fast, slow, strict=False):
            _pair(value, twin, twins)


def char_at(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    return lines[line][col] if line < len(lines) and col < len(lines[line]) else ""


def error_order(error: ManifestError) -> tuple[str, int, int]:
    at = error.position
    return (at.file, at.line, at.col) if at else ("", 0, 0)


def pos(doc: Document, node: Any) -> Position:
    lc = doc.lc(node)
    if lc is not None and lc.line is not None:
        return Position(doc.name, lc.line + 1, lc.col + 1)
    return Position(doc.name, 1, 1)


def key_pos(doc: Document, node: Any, key: Any) -> Position:
    lc = doc.lc(node)
    try:
        line, col = lc.key(key)  # type: ignore[union-attr]
        return Position(doc.name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return pos(doc, node)


def value_pos(doc: Document, node: Any, key: Any) -> Position:
    lc = doc.lc(node)
    try:
        line, col = lc.value(key)  # type: ignore[union-attr]
        return Position(doc.name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError):
        return key_pos(doc, node, key)


def item_pos(doc: Document, node: Any, index: int) -> Position:
    lc = doc.lc(node)
    try:
        line, col = lc.item(index)  # type: ignore[union-attr]
        return Position(doc.name, line + 1, col + 1)
    except (KeyError, TypeError, AttributeError, IndexError):
        return pos(doc, node)


# A union's member (a trunk's type) is a step of a validation error's location that has no
# node of its own in the document.
VARIANT_TAGS = frozenset(tag for kind in KINDS.values() for tag in kind.variant_tags())


def locate(doc: Document, node: Any, loc: list[Any]) -> tuple[Position, list[Any]]:
    """Follow a validation error's location through the YAML nodes as far as it goes."""
    position = pos(doc, node)
    path: list[Any] = []
    for part in loc:
        if isinstance(node, dict) and part in node:
            child = node[part]
            position = (
                value_pos(doc, node, part)
                if not isinstance(child, (dict, list))
                else key_pos(doc, node, part)
            )
            node = child
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            position = item_pos(doc, node, part)
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
        in_map = isinstance(node, dict) and part in node
        in_seq = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_map or in_seq):
            break
        node = node[part]
    return node


def parse_path(path: str) -> list[Any]:
    parts: list[Any] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return parts
