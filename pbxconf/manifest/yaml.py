"""YAML -> plain dicts and lists that remember where each key, value and item was.

ruamel's round-trip loader keeps positions but is pure Python and gathers comments: a
2,000-extension manifest took 10 s to load. Here libyaml (ruamel.yaml.clib) composes the
node tree, and a small walk turns it into PosMap/PosSeq, which carry the same `.lc`
interface (`line`, `col`, `key(k)`, `value(k)`, `item(i)`) as ruamel's CommentedMap.

The walk is also where hostile input is refused: duplicate keys, tags that would build
objects (`!!python/object`...) or that nothing defines (`!secret`), nesting deeper than
`max_depth`, and documents that aliases expand past `max_nodes` values (alias bombs).
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

STD = "tag:yaml.org,2002:"
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")
PLAIN_COLLECTION_TAGS = (STD + "map", STD + "seq")


class LineCol:
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
    lc: LineCol


class PosSeq(list):  # type: ignore[type-arg]
    lc: LineCol


class YamlRefused(Exception):
    """Input refused by the walk (not by the YAML parser): message and 0-based position."""

    def __init__(self, message: str, line: int, col: int) -> None:
        self.message, self.line, self.col = message, line, col
        super().__init__(message)


class _OneVersionResolver(VersionedResolver):
    """ruamel works out the document's YAML version again for every scalar (over half of
    the load time of a large manifest); it cannot change within a document, so keep it."""

    _table: Any = None

    @property
    def versioned_resolver(self) -> Any:
        if self._table is None:
            self._table = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
        return self._table


def _parser() -> YAML:
    try:
        yaml = YAML(typ="safe", pure=False)  # libyaml, when ruamel.yaml.clib is there
    except Exception:  # pragma: no cover - a platform without the C extension
        yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = _OneVersionResolver
    return yaml


def load(text: str, max_depth: int, max_nodes: int) -> Any:
    """Compose with libyaml and convert; raises MarkedYAMLError or YamlRefused."""
    yaml = _parser()
    root = yaml.compose(text)
    if root is None:
        return None
    return _Converter(yaml, max_depth, max_nodes).convert(root, 0)


class _Converter:
    def __init__(self, yaml: YAML, max_depth: int, max_nodes: int) -> None:
        self.constructor = yaml.constructor
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.count = 0

    def convert(self, node: Node, depth: int) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise YamlRefused(
                f"the document expands to more than {self.max_nodes} values (aliases?); refused",
                0,
                0,
            )
        if depth > self.max_depth:
            raise YamlRefused(f"nested deeper than {self.max_depth} levels", *_mark(node))
        tag = node.tag or ""  # a property that builds a string: read it once
        if isinstance(node, ScalarNode):
            return self.scalar(node, tag)
        if tag not in PLAIN_COLLECTION_TAGS:
            raise YamlRefused(f"YAML tag {tag} is not allowed in manifests", *_mark(node))
        if isinstance(node, SequenceNode):
            seq = PosSeq()
            seq.lc = LineCol(*_mark(node))
            for child in node.value:
                seq.lc.items.append(_mark(child))
                seq.append(self.convert(child, depth + 1))
            return seq
        assert isinstance(node, MappingNode)
        out = PosMap()
        out.lc = LineCol(*_mark(node))
        for key_node, value_node in node.value:
            if key_node.tag == STD + "merge":
                self.merge(out, value_node, depth)
                continue
            key = self.convert(key_node, depth + 1)
            if isinstance(key, (PosMap, PosSeq)):
                raise YamlRefused("a key must be plain text or a number", *_mark(key_node))
            if key in out.lc.keys:
                first = out.lc.keys[key][0] + 1
                raise YamlRefused(
                    f'duplicate key "{key}" (first at line {first})', *_mark(key_node)
                )
            out.lc.keys[key] = _mark(key_node)
            out.lc.values[key] = _mark(value_node)
            out[key] = self.convert(value_node, depth + 1)
        return out

    def merge(self, out: PosMap, value_node: Node, depth: int) -> None:
        """`<<: *defaults`: keys of the merged mapping(s) that the mapping does not set."""
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            merged = self.convert(source, depth + 1)
            if not isinstance(merged, PosMap):
                raise YamlRefused("`<<` merges mappings only", *_mark(value_node))
            for key, value in merged.items():
                if key not in out:
                    out[key] = value
                    out.lc.keys[key] = merged.lc.keys[key]
                    out.lc.values[key] = merged.lc.values[key]

    def scalar(self, node: ScalarNode, tag: str) -> Any:
        if tag in (STD + "str", STD + "timestamp"):
            return node.value  # a time or date stays the text that was written
        if tag == STD + "int" and not _DECIMAL.fullmatch(node.value):
            # YAML reads 0123 as 123, 0x10 as 16 and 1_000 as 1000; in a PBX's numbers and
            # PINs a leading zero is a digit. Keep what was written: a digits field takes
            # it as written, a number field says what it expected.
            return node.value
        if tag in (STD + "int", STD + "float", STD + "bool", STD + "null"):
            return self.constructor.construct_object(node)
        raise YamlRefused(
            f"values tagged {tag} are not allowed in manifests (only text, numbers, booleans, "
            "lists and mappings)",
            *_mark(node),
        )


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


__all__ = ["MarkedYAMLError", "PosMap", "PosSeq", "YamlRefused", "load"]
