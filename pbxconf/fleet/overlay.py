"""A PBX's manifests as layers: a shared base, then overlays (a region, a site), each
overriding the layers before it.

The rule, exactly:
- Within one layer, the usual rule: an object declared twice is an error naming both
  places, and so is `settings:` given twice.
- A later layer may declare an object an earlier layer declares (the same kind and
  identity) with only the fields it changes. Field by field: each field it gives
  replaces the earlier value; a group (`voicemail`, `busy_forward`, a queue's `failover`)
  is merged key by key the same way; a list (a route's `trunks`, a queue's `agents`, a
  trunk's `dod`) is replaced whole. The first layer that declares an object declares it
  whole: valid on its own.
- An overlay cannot turn an object into another of its kind's variants (a `register`
  trunk into a `peer` one): that is a conflict, an error naming both places. Declare such
  an object in the sites' layers only.
- `settings:` merges the same way, key by key (a list inside it replaced whole);
  `external:` lists add up.
- An overlay cannot remove an object or a field: leave out of the base what the sites
  do not share.

Parsed files are kept between PBXes (a fleet's base is read once, not once per PBX);
`${VAR}` values are filled in for each PBX, from its inventory `variables` first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pbxconf.bulk import collector_paused
from pbxconf.fleet.layer_cache import LayerCache
from pbxconf.kinds import KINDS, Key, Kind
from pbxconf.manifest import Desired, ManifestError, ManifestErrors, Position
from pbxconf.manifest.desired import ObjectPositions
from pbxconf.manifest.files import manifest_files
from pbxconf.manifest.loader import _Loader
from pbxconf.manifest.messages import did_you_mean, field_names, item_label
from pbxconf.manifest.positions import Document, error_order, item_pos, key_pos, value_pos
from pbxconf.manifest.settings import Settings


def load_layers(
    layers: Sequence[Path],
    env: Mapping[str, str],
    *,
    missing_secrets: str = "error",
    cache: LayerCache | None = None,
) -> Desired:
    """Load each layer in order, overlaying what comes later; ManifestErrors with every
    problem found. With a cache, the layers below the PBX's own that another PBX already
    loaded the same way (the same files, the same values for their `${VAR}`s) are taken
    from it: a fleet's base is loaded once."""
    loader = _LayeredLoader(env, cache)
    loader.leave_unset_secrets = missing_secrets == "unmanaged"
    with collector_paused():
        files: list[list[Path]] = []
        for path in layers:
            try:
                files.append(_layer_files(path, cache))
            except ManifestErrors as err:
                loader.errors += err.errors
                files.append([])
        keys = cache.prefix_keys(files, env, missing_secrets) if cache else []
        start = 0
        for below in reversed(range(len(keys))):
            snapshot = cache.prefix(keys[below]) if cache else None
            if snapshot is not None:
                loader.restore(snapshot)
                start = below + 1
                break
        for layer in range(start, len(layers)):
            loader.layer = layer
            for file in files[layer]:
                loader.load_file(file)
            if cache and layer < len(keys) and not loader.errors:
                cache.keep_prefix(keys[layer], loader.snapshot())
        loader.check_references()
        loader.protect_again()
    if loader.errors:
        raise ManifestErrors(sorted(loader.errors, key=error_order))
    return loader.desired


def _layer_files(path: Path, cache: LayerCache | None) -> list[Path]:
    """A layer's manifest files; listed once per run where there is a cache."""
    if cache is None:
        return manifest_files([path])
    if path not in cache.files:
        cache.files[path] = manifest_files([path])
    return cache.files[path]


def overlaid(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`: mappings merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            out[key] = overlaid(below, value)
        else:
            out[key] = value
    return out


class _LayeredLoader(_Loader):
    """The manifest loader, with objects and settings of a later layer laid over the
    earlier layers' (see the module's docstring) instead of refused as declared twice."""

    def __init__(self, env: Mapping[str, str], cache: LayerCache | None) -> None:
        super().__init__(env)
        self.layer = 0
        self.cache = cache
        # (kind, key) -> the layer that declared it first.
        self.first_layer: dict[tuple[str, Key], int] = {}
        # (kind, key) -> the layer of its last overlay, and where that was.
        self.overlays: dict[tuple[str, Key], tuple[int, Position]] = {}
        # (kind, key) -> its data as merged so far (only for objects overlaid).
        self.merged: dict[tuple[str, Key], dict[str, Any]] = {}
        self.settings_layer = -1

    def _parse(self, name: str, raw: bytes) -> Document | None:
        if self.cache is None:
            return super()._parse(name, raw)
        key, document = self.cache.parsed(name, raw)
        if document is None:
            document = super()._parse(name, raw)
            if document is not None:  # a file that failed says so for every PBX
                self.cache.keep_parsed(key, document)
        return document

    # -- what a cache keeps of the layers below a PBX's own --

    def snapshot(self) -> dict[str, Any]:
        return {k: copied(v) for k, v in vars(self).items() if k not in _PER_PBX}

    def restore(self, snapshot: dict[str, Any]) -> None:
        for name, value in snapshot.items():
            setattr(self, name, copied(value))

    # -- objects --

    def _checked_data(
        self, doc: Document, item: dict[str, Any], label: str, kind: Kind
    ) -> dict[str, Any] | None:
        """An overlay's data, with what it cannot fill in reported; not validated on its
        own (it gives only the fields it changes): `_overlay` validates it merged."""
        if self._overlaid_ident(kind, item) is None:
            return super()._checked_data(doc, item, label, kind)
        before = len(self.errors)
        data = self._reported_data(doc, item, label, kind)
        return data if len(self.errors) == before else None

    def _overlaid_ident(self, kind: Kind, item: dict[str, Any]) -> tuple[str, Key] | None:
        """The object's identity if an earlier layer declares it: this one overlays it."""
        key = _written_key(kind, item)
        if key is None:
            return None
        ident = (kind.name, key)
        return ident if self.first_layer.get(ident, self.layer) != self.layer else None

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
        ident = self._overlaid_ident(kind, item)
        if ident is None:
            known = len(self.nodes)
            super()._object(doc, items, index, item, data, section, kind)
            if len(self.nodes) > known:  # declared: remember in which layer
                self.first_layer.setdefault(next(reversed(self.nodes)), self.layer)
            return
        self._overlay(doc, items, index, item, data, kind, ident)

    def _overlay(
        self,
        doc: Document,
        items: list[Any],
        index: int,
        item: dict[str, Any],
        data: dict[str, Any],
        kind: Kind,
        ident: tuple[str, Key],
    ) -> None:
        label = item_label(kind, item, kind.section, index)
        at = item_pos(doc, items, index)
        base_at = self.desired.positions.get(ident)
        earlier = self.overlays.get(ident)
        if earlier is not None and earlier[0] == self.layer:
            self.error(at, label, f"declared twice in one layer: also at {earlier[1]}")
            return
        before = len(self.errors)
        base = self._data_of(ident)
        if base is None:
            return
        tag = _discriminator(kind)
        if tag and tag in data and str(data[tag]) != str(base.get(tag)):
            self.error(
                value_pos(doc, item, tag),
                f"{label}.{tag}",
                f"conflict: this overlay makes it `{tag}: {data[tag]}`, the layer below "
                f"declares `{tag}: {base.get(tag)}` at {base_at}; an overlay changes fields, "
                f"not what a {kind.title} is: declare it in the sites' layers only",
            )
            return
        merged = overlaid(base, data)
        try:
            obj = kind.validate(merged)
        except ValidationError as err:
            self._validation_errors(doc, item, label, err, kind)
            self._say_over(before, base_at)
            return
        self.merged[ident] = merged
        self.overlays[ident] = (self.layer, at)
        self.desired.state.add(kind.name, obj)
        self.desired.view(kind.name, ident[1])
        if obj.by_hand and "by_hand" in item:  # the base's own were checked with it
            self._check_by_hand(doc, item, label, kind, obj)
        old = getattr(obj, "renamed_from", None)
        if old is not None and kind.can_rename and (str(old),) != ident[1]:
            self.desired.renames[ident] = (str(old),)

    def _data_of(self, ident: tuple[str, Key]) -> dict[str, Any] | None:
        """What the layers below declare of an object, as plain data."""
        if ident in self.merged:
            return self.merged[ident]
        found = self.nodes.get(ident)
        if found is None:  # the base's declaration was refused: said already
            return None
        doc, node = found
        kind = KINDS[ident[0]]
        # Made again from its node: its ${VAR}s were filled in without error the first
        # time, so this adds nothing to say (and nothing is said twice).
        errors, unset = len(self.errors), len(self.desired.unset_secrets)
        data = self._plain(doc, node, kind.label(ident[1]), secrets=kind.sensitive)
        del self.errors[errors:], self.desired.unset_secrets[unset:]
        return dict(data)

    def _say_over(self, before: int, base_at: Position | None) -> None:
        """An overlaid object's errors say where the object it overlays is."""
        if base_at is None:
            return
        for i in range(before, len(self.errors)):
            e = self.errors[i]
            self.errors[i] = ManifestError(
                e.position, e.path, f"{e.message} (overlaying the object declared at {base_at})"
            )

    def protect_again(self) -> None:
        """`protect` as every layer left it: the objects that say so and `settings`."""
        protected = {
            (kind_name, key)
            for kind_name, key, obj in self.desired.state.items()
            if getattr(obj, "protect", None)
        }
        for section, names in self.desired.settings.protect.items():
            kind = KINDS.section(section)
            protected |= {(kind.name, tuple(p.strip() for p in str(e).split(","))) for e in names}
        self.desired.protected = protected

    # -- settings --

    def _settings(self, doc: Document, root: dict[str, Any]) -> None:
        if self.settings_in is None or self.settings_layer == self.layer:
            self.settings_layer = self.layer
            super()._settings(doc, root)
            return
        self.settings_layer = self.layer
        self.settings_in = (doc, root)
        node = root["settings"]
        below = self.desired.settings.model_dump(exclude_unset=True)
        try:
            self.desired.settings = Settings.model_validate(
                overlaid(below, self._plain(doc, node, "settings"))
            )
        except ValidationError as err:
            self._validation_errors(doc, node, "settings", err, Settings)
            return
        for section, fields in self.desired.settings.ignore_fields.items():
            known = field_names(KINDS.section(section))
            for f in fields:
                if f not in known:
                    self.error(
                        key_pos(doc, root, "settings"),
                        f"settings.ignore_fields.{section}",
                        f"unknown field `{f}`{did_you_mean(f, known)}",
                    )


# What a loader holds that is the PBX's own, never taken from another's snapshot.
_PER_PBX = frozenset({"env", "cache", "layer"})


def copied(value: Any, depth: int = 2) -> Any:
    """A copy of what a loader builds up: its containers (and theirs, `depth` deep) are
    new, what they hold (models, positions, nodes: never changed once made) is shared."""
    if isinstance(value, ObjectPositions):
        return value.copy()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return value
        changes = {
            f.name: copied(getattr(value, f.name), depth)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if depth == 0:
        return value
    if isinstance(value, dict):
        return {k: copied(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [copied(v, depth - 1) for v in value]
    if isinstance(value, set):
        return set(value)
    return value


def _written_key(kind: Kind, item: Any) -> Key | None:
    """An object's identity as written (before validation), where it is plain: numbers
    and names, not `${VAR}`s (such an object is never an overlay's)."""
    if not isinstance(item, dict):
        return None
    parts = []
    for field in kind.key_fields:
        value = item.get(field)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        text = str(value)
        if "$" in text:
            return None
        parts.append(text)
    return tuple(parts)


def _discriminator(kind: Kind) -> str | None:
    """The field that says which variant an object is (a trunk's `type`), if any."""
    for meta in getattr(kind.model, "__metadata__", ()):
        tag = getattr(meta, "discriminator", None)
        if isinstance(tag, str):
            return tag
    return None
