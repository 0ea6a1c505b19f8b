"""What the PBXes of a fleet run share of their manifests: the files parsed, and the
layers below each PBX's own as loaded. A thousand hotels on one base read and check the
base once; each then loads only its own layer.

A loaded prefix of layers is kept by what decides it: each file's name and sha256, the
values of the `${VAR}`s those files name (a PBX whose variables differ loads them
again), and how unset secrets are treated. Keys are digests: no value is kept in them.
Both are bounded, least recently used first out."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_VARIABLE = re.compile(rb"\$\{([A-Za-z_][A-Za-z0-9_]*)")

PARSED_KEPT = 256
PREFIXES_KEPT = 16


class LayerCache:
    def __init__(self, parsed: int = PARSED_KEPT, prefixes: int = PREFIXES_KEPT) -> None:
        # A layer's files, by its path: a directory is listed once per run.
        self.files: dict[Path, list[Path]] = {}
        self._parsed: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._prefixes: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._most_parsed, self._most_prefixes = parsed, prefixes

    def parsed(self, name: str, raw: bytes) -> tuple[tuple[str, str], Any]:
        """(the file's key, its parsed document or None)."""
        key = (name, hashlib.sha256(raw).hexdigest())
        return key, _get(self._parsed, key)

    def keep_parsed(self, key: tuple[str, str], document: Any) -> None:
        _keep(self._parsed, key, document, self._most_parsed)

    def prefix_keys(
        self, files: Sequence[Sequence[Path]], env: Mapping[str, str], missing_secrets: str
    ) -> list[str]:
        """The key of each prefix of layers but the last (the PBX's own): the first
        layer, the first two, ..."""
        digest = hashlib.sha256(missing_secrets.encode())
        keys: list[str] = []
        for layer in files[:-1]:
            for path in layer:
                try:
                    raw = path.read_bytes()
                except OSError:
                    return keys  # the loader says why; nothing from here on is kept
                names = sorted({m.decode() for m in _VARIABLE.findall(raw)})
                values = {name: env.get(name) for name in names}
                digest.update(
                    json.dumps([str(path), hashlib.sha256(raw).hexdigest(), values]).encode()
                )
            digest.update(b"\0")  # where one layer ends
            keys.append(digest.copy().hexdigest())
        return keys

    def prefix(self, key: str) -> dict[str, Any] | None:
        return _get(self._prefixes, key)

    def keep_prefix(self, key: str, snapshot: dict[str, Any]) -> None:
        _keep(self._prefixes, key, snapshot, self._most_prefixes)


def _get(kept: OrderedDict[Any, Any], key: Any) -> Any:
    found = kept.get(key)
    if found is not None:
        kept.move_to_end(key)
    return found


def _keep(kept: OrderedDict[Any, Any], key: Any, value: Any, most: int) -> None:
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > most:
        kept.popitem(last=False)
