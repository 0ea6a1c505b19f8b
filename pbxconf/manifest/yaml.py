"""YAML -> plain dicts and lists, built straight from libyaml's parser events.

ruamel's composer builds a node tree (a Python object per node, a resolver call per
scalar) that is then walked again into data: at 2,000 extensions that was most of the
time to load the manifests, and libyaml's composer recurses in C, so a deeply nested
document crashed the process. Here one loop reads the C parser's events (ruamel.yaml.clib)
and builds the data as they arrive, refusing hostile input as it goes: duplicate keys,
tags that would build objects (`!!python/object`...) or that nothing defines (`!secret`),
nesting deeper than `max_depth` (counted as events arrive, so no depth can crash it),
documents that aliases expand past `max_nodes` values (alias bombs), and integers too long
for Python to read.

`load` builds plain dicts and lists and keeps no positions: only an error needs them.
`load_positioned` builds the same data as PosMap/PosSeq, which remember where each key,
value and item was (`.lc`: `line`, `col`, `key(k)`, `value(k)`, `item(i)`, 0-based); the
loader asks for it only for a file that has an error (see positions.py).

Scalars resolve as YAML 1.2 (ruamel's own rules: `10:30` and `yes` stay text), and a
number written with a leading zero, `0x`, `0o` or `_` stays as written: in a PBX's numbers
and PINs a leading zero is a digit.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import CParser
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.resolver import VersionedResolver

STD = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (STD + t for t in ("str", "int", "float", "bool", "null"))
TIMESTAMP, MERGE, MAP, SEQ = (STD + t for t in ("timestamp", "merge", "map", "seq"))
PLAIN_COLLECTION_TAGS = (MAP, SEQ)
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")
# Python refuses to read a longer integer (sys.get_int_max_str_digits): no manifest value
# is one, and reading one would take time that grows with the square of its length.
MAX_INT_DIGITS = 4300
_BOOLS: dict[str, bool] = SafeConstructor.bool_values


class LineCol:
    """Where a mapping or list was, and each of its keys, values and items (0-based)."""

    __slots__ = ("col", "items", "keys", "line", "values")

    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col
        self.keys: dict[Any, tuple[int, int]] = {}
        self.values: dict[Any, tuple[int, int]] = {}
        self.items: list[tuple[int, int]] = []

    def key(self, k: Any) -> tuple[int, int]:
        return self.keys[k]

    def value(self, k: Any) -> tuple[int, int]:
        return self.values[k]

    def item(self, i: int) -> tuple[int, int]:
        return self.items[i]


class PosMap(dict):  # type: ignore[type-arg]
    __slots__ = ("lc",)
    lc: LineCol


class PosSeq(list):  # type: ignore[type-arg]
    __slots__ = ("lc",)
    lc: LineCol


class YamlRefused(Exception):
    """Input refused by the builder (not by the YAML parser): message and 0-based position."""

    def __init__(self, message: str, line: int, col: int) -> None:
        self.message, self.line, self.col = message, line, col
        super().__init__(message)


class _NeedsPositions(Exception):
    """A refusal whose message names another place (a duplicate key's first line)."""


def load(text: str, max_depth: int, max_nodes: int) -> Any:
    """Plain dicts and lists (None for an empty document); raises MarkedYAMLError (the
    parser's syntax errors) or YamlRefused."""
    return read(text, max_depth, max_nodes)[0]


def read(text: str, max_depth: int, max_nodes: int) -> tuple[Any, bool]:
    """As `load`, and whether the data is as written: every key text, no mapping value
    empty, no text holding a `$` (an ${ENV} to fill in). Such data needs no copy."""
    builder = _Builder(max_depth, max_nodes, positions=False)
    try:
        return builder.build(text), builder.as_written
    except _NeedsPositions:
        load_positioned(text, max_depth, max_nodes)  # raises the refusal in full
        raise AssertionError("a refusal without positions, not with them") from None


def load_positioned(text: str, max_depth: int, max_nodes: int) -> Any:
    """As `load`, as PosMap and PosSeq that remember where everything was."""
    return _Builder(max_depth, max_nodes, positions=True).build(text)


def _plain_tags() -> dict[str, list[tuple[str, Any]]]:
    """ruamel's YAML 1.2 implicit resolvers, by first character: the same rules as its
    own loader, without its per-scalar lookups."""
    resolver = VersionedResolver(version=(1, 2))
    return {first: list(rules) for first, rules in resolver.versioned_resolver.items()}


_RULES = _plain_tags()
_MISSING = object()
_MERGE_KEY = object()


class _Builder:
    def __init__(self, max_depth: int, max_nodes: int, *, positions: bool) -> None:
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.positions = positions
        self.count = 0
        # anchor -> (value, values it expands to, its mark); open: anchors being built.
        self.anchors: dict[str, tuple[Any, int, tuple[int, int]]] = {}
        self.open: set[str] = set()
        self.resolved: dict[str, Any] = {}  # plain scalar text -> value (keys repeat)
        self.as_written = True  # see `read`

    def build(self, text: str) -> Any:
        parser = CParser(text)
        try:
            try:
                return self._document(parser)
            except (YamlRefused, _NeedsPositions):
                # A syntax error anywhere in the file is told first, as when the file was
                # composed whole before it was looked at.
                self._drain(parser.get_event)
                raise
        finally:
            parser.dispose()

    def _drain(self, get: Any) -> None:
        """Read the rest of the stream for the errors libyaml's composer would find: syntax,
        an undefined or repeated anchor, a second document."""
        defined = set(self.anchors) | self.open
        while True:
            event = get()
            cls = event.__class__
            if cls is StreamEndEvent:
                return
            if cls is DocumentEndEvent:
                event = get()
                if event.__class__ is not StreamEndEvent:
                    raise _another_document(event)
                return
            at = (event.start_mark.line, event.start_mark.column)
            if cls is AliasEvent:
                if event.anchor not in defined:
                    raise ComposerError(None, None, "found undefined alias", _Mark(*at))
            elif getattr(event, "anchor", None) is not None:
                if event.anchor in defined:
                    raise ComposerError(
                        "found duplicate anchor; first occurrence",
                        None,
                        "second occurrence",
                        _Mark(*at),
                    )
                defined.add(event.anchor)

    def _document(self, parser: Any) -> Any:
        get = parser.get_event
        get()  # stream start
        event = get()
        if event.__class__ is StreamEndEvent:
            return None
        root = self._node(get)
        get()  # document end
        event = get()
        if event.__class__ is not StreamEndEvent:
            raise _another_document(event)
        return root

    def _node(self, get: Any) -> Any:
        """The document's root node, built from the events in one loop (no recursion).
        The open mapping or list is held in local variables, its parents' on a stack of
        tuples: this loop runs once per event, a million times for 10,000 extensions."""
        positions, resolved = self.positions, self.resolved
        max_depth, max_nodes = self.max_depth, self.max_nodes
        missing, merge_key = _MISSING, _MERGE_KEY
        scalar_event, alias_event = ScalarEvent, AliasEvent
        map_start, seq_start = MappingStartEvent, SequenceStartEvent
        stack: list[tuple[Any, ...]] = []
        # The open mapping or list (None while the root is read), and what goes with it.
        container: Any = None
        is_map = False
        key: Any = missing  # a mapping's key waiting for its value
        key_at: Any = None
        depth = -1  # the container's; its children are one deeper
        anchor: Any = None  # the container's anchor, if any
        count_at = 0  # values built before it (an anchored container's size)
        mark: Any = None  # where the container started
        count = self.count
        while True:
            event = get()
            cls = event.__class__
            if cls is scalar_event:
                # The hot path (most events): a position is worked out only where it is
                # kept or an error names it.
                at = None
                if event.anchor is not None:
                    self._define(event.anchor, _at(event))
                count += 1
                if count > max_nodes:
                    raise self._bomb()
                if depth >= max_depth:
                    raise YamlRefused(f"nested deeper than {max_depth} levels", *_at(event))
                tag = event.ctag
                if tag is None or tag == "!":
                    if event.implicit[0]:
                        value = resolved.get(event.value, missing)
                        if value is missing:
                            value = self._plain(event.value, event)
                    else:
                        value = event.value
                        if "$" in value:
                            self.as_written = False
                else:
                    value = _tagged(tag, event.value, event)
                    if value.__class__ is str and "$" in value:
                        self.as_written = False
                if value is merge_key and not (is_map and key is missing):
                    raise YamlRefused(_not_allowed(MERGE), *_at(event))  # a key or nothing
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1, _at(event))
                    self.open.discard(event.anchor)
                if positions or key is merge_key:
                    at = _at(event)
            elif cls is map_start or cls is seq_start:
                at = _at(event)
                if event.anchor is not None:
                    self._define(event.anchor, at)
                count += 1
                if count > max_nodes:
                    raise self._bomb()
                if depth >= max_depth:
                    raise YamlRefused(f"nested deeper than {max_depth} levels", *at)
                if is_map and key is missing:
                    raise YamlRefused("a key must be plain text or a number", *at)
                tag = event.ctag
                if tag is not None and tag != "!" and tag not in PLAIN_COLLECTION_TAGS:
                    raise YamlRefused(f"YAML tag {tag} is not allowed in manifests", *at)
                stack.append((container, is_map, key, key_at, depth, anchor, count_at, mark))
                depth += 1
                if key is merge_key and cls is seq_start:
                    # `<<: [*a, *b]`: the list is no value of its own; its mappings are
                    # merged as if each were the value.
                    count -= 1
                    depth -= 1
                is_map = cls is map_start
                if positions:
                    container = PosMap() if is_map else PosSeq()
                    container.lc = LineCol(*at)
                else:
                    container = {} if is_map else []
                key, key_at, anchor, count_at, mark = missing, None, event.anchor, count - 1, at
                continue
            elif cls is alias_event:
                self.count = count
                value, at = self._alias(event.anchor, _at(event), depth + 1)
                count = self.count
            else:  # the end of the open mapping or list: it is the value built
                value, at = container, mark
                if anchor is not None:
                    self.anchors[anchor] = (value, count - count_at, at)
                    self.open.discard(anchor)
                was_map = is_map
                container, is_map, key, key_at, depth, anchor, count_at, mark = stack.pop()
                if key is merge_key and not was_map:
                    self._merge_all(container, value, at)
                    key = missing
                    continue
            # A value is built: put it in its place.
            if container is None:
                self.count = count
                return value
            if not is_map:
                container.append(value)
                if positions:
                    container.lc.items.append(at)
            elif key is missing:
                if value.__class__ is str and value not in container:
                    key, key_at = value, at  # the usual key: text, and new
                elif value is merge_key:
                    count -= 1  # `<<` is no value
                    key = merge_key
                else:
                    self._check_key(container, value, at)
                    key, key_at = value, at
            elif key is merge_key:
                self._merge_all(container, [value], at)
                key = missing
            else:
                container[key] = value
                if value is None:
                    self.as_written = False
                if positions:
                    container.lc.keys[key] = key_at
                    container.lc.values[key] = at
                key = missing

    def _check_key(self, container: Any, key: Any, at: Any) -> None:
        """A key that is not new text: refused if it is a mapping or a list, or a second
        one of the mapping's keys."""
        if isinstance(key, (dict, list)):
            raise YamlRefused("a key must be plain text or a number", *at)
        if key.__class__ is not str:
            self.as_written = False
        if key in container:
            if not self.positions:
                raise _NeedsPositions
            first = container.lc.keys[key][0] + 1
            raise YamlRefused(f'duplicate key "{key}" (first at line {first})', *at)

    def _merge_all(self, out: Any, sources: list[Any], at: Any) -> None:
        """`<<: *defaults`: keys of the merged mapping(s) that the mapping does not set."""
        for source in sources:
            if not isinstance(source, dict):
                raise YamlRefused("`<<` merges mappings only", *at)
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    if self.positions:
                        where: Any = source  # a PosMap
                        out.lc.keys[key] = where.lc.keys[key]
                        out.lc.values[key] = where.lc.values[key]

    def _plain(self, text: str, event: Any) -> Any:
        """A plain scalar's value, by ruamel's YAML 1.2 rules."""
        tag = STR
        for rule_tag, pattern in _RULES.get(text[:1], ()):
            if pattern.match(text):
                tag = rule_tag
                break
        if tag == MERGE:
            return _MERGE_KEY
        value = _tagged(tag, text, event)
        if tag == STR and "$" in text:
            self.as_written = False
        if len(text) <= 16:  # short texts repeat (keys, on/off, small numbers)
            self.resolved[text] = value
        return value

    def _define(self, anchor: str, at: tuple[int, int]) -> None:
        if anchor in self.anchors or anchor in self.open:
            first = self.anchors[anchor][2] if anchor in self.anchors else at
            raise ComposerError(
                "found duplicate anchor; first occurrence",
                _Mark(*first),
                "second occurrence",
                _Mark(*at),
            )
        self.open.add(anchor)

    def _alias(self, anchor: str, at: tuple[int, int], depth: int) -> tuple[Any, tuple[int, int]]:
        if anchor in self.open:
            raise YamlRefused(
                f"the alias *{anchor} is inside the node it names, which would nest for ever",
                *at,
            )
        if anchor not in self.anchors:
            raise ComposerError(None, None, "found undefined alias", _Mark(*at))
        value, size, where = self.anchors[anchor]
        self.count += size
        if self.count > self.max_nodes:
            raise self._bomb()
        if depth + _height(value) > self.max_depth:
            raise YamlRefused(f"nested deeper than {self.max_depth} levels", *at)
        # An alias is the node it names: its position is the anchor's.
        return value, where

    def _bomb(self) -> YamlRefused:
        return YamlRefused(
            f"the document expands to more than {self.max_nodes} values (aliases?); refused",
            0,
            0,
        )


def _at(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line, mark.column


def _another_document(event: Any) -> ComposerError:
    return ComposerError(
        "expected a single document in the stream",
        None,
        "but found another document",
        event.start_mark,
    )


def _tagged(tag: str, text: str, event: Any) -> Any:
    """A scalar's value by its (resolved or explicit) tag; YamlRefused for one a manifest
    cannot hold."""
    if tag in (STR, TIMESTAMP):
        return text  # a time or date stays the text that was written
    if tag == INT:
        if not _DECIMAL.fullmatch(text):
            # YAML reads 0123 as 123, 0x10 as 16 and 1_000 as 1000: keep what was written;
            # a digits field takes it as written, a number field says what it expected.
            return text
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise YamlRefused(
                f"a number of more than {MAX_INT_DIGITS} digits; quote it if it is text",
                *_at(event),
            )
        return int(text)
    if tag == NULL:
        return None
    if tag == BOOL and text.lower() in _BOOLS:
        return _BOOLS[text.lower()]
    if tag == FLOAT:
        number = _float(text)
        if number is not None:
            return number
    if tag in (BOOL, FLOAT):
        raise YamlRefused(f"{text!r} is not a value of the tag {tag}", *_at(event))
    raise YamlRefused(_not_allowed(tag), *_at(event))


def _not_allowed(tag: str) -> str:
    return (
        f"values tagged {tag} are not allowed in manifests (only text, numbers, booleans, "
        "lists and mappings)"
    )


def _float(text: str) -> float | None:
    """As ruamel reads a YAML 1.2 float; None for text that is none."""
    value = text.replace("_", "").lower()
    sign = -1 if value[:1] == "-" else 1
    value = value.lstrip("+-") if value[:1] in "+-" else value
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    try:
        return sign * float(value)
    except ValueError:
        return None


def _height(value: Any, seen: dict[int, int] | None = None) -> int:
    """How deep a built value nests (0 for a scalar); shared parts are measured once."""
    if not isinstance(value, (dict, list)):
        return 0
    seen = {} if seen is None else seen
    known = seen.get(id(value))
    if known is None:
        children = value.values() if isinstance(value, dict) else value
        known = seen[id(value)] = 1 + max((_height(c, seen) for c in children), default=0)
    return known


class _Mark:
    """A position for a ComposerError, as the parser's own marks give it."""

    def __init__(self, line: int, column: int) -> None:
        self.name, self.line, self.column = "<unicode string>", line, column
        self.index, self.buffer, self.pointer = 0, None, 0

    def __str__(self) -> str:
        return f'  in "{self.name}", line {self.line + 1}, column {self.column + 1}'


__all__ = ["MarkedYAMLError", "PosMap", "PosSeq", "YamlRefused", "load", "load_positioned"]
