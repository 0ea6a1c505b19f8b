"""A shared base proposed from a fleet's exports (`export --all -o DIR`): what every PBX
has in common goes in the base, and each PBX keeps only what differs, as an overlay
(overlay.py's rule).

- An object every export has (the same kind and identity) goes in the base with the
  fields whose values are the same everywhere; each PBX's overlay declares it again with
  its identity and the fields that differ (or that only some PBXes set). Where what is
  common is not a whole object on its own (trunks of different types, a trunk whose
  host differs), the object stays whole in each PBX's own layer.
- An object only some exports have stays in their own layers.
- `external:` items every export lists go in the base; the rest stay.

The proposal is checked before it is written: each PBX's layers, overlaid, give back
exactly its export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pbxconf.errors import PbxconfError
from pbxconf.export import _dump as dump_yaml  # the exports' own emitter: the same style
from pbxconf.files import write_whole
from pbxconf.fleet.overlay import overlaid
from pbxconf.kinds import KINDS, Key, Kind
from pbxconf.kinds.base import flatten, unflatten
from pbxconf.manifest import FORMAT_VERSION, ManifestErrors, manifest_files
from pbxconf.manifest import load as load_manifests
from pbxconf.manifest.yaml import load as load_yaml

HEADER = "# Proposed by `pbxconf fleet propose-base` from the fleet's exports.\n"


class ProposalError(PbxconfError):
    """The exports cannot be read, or give nothing to propose from."""


@dataclass
class Site:
    """One PBX's export as plain data."""

    name: str
    objects: dict[tuple[str, Key], dict[str, Any]] = field(default_factory=dict)
    external: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Proposal:
    base: Site
    sites: list[Site]
    # How many objects the base holds whole (no PBX changes them), and overlaid.
    whole: int = 0
    overlaid: int = 0


def read_site(folder: Path) -> Site:
    """A PBX's export as plain data. It is checked as any manifest is first, so every
    problem is said at file:line:col and what follows reads a valid export."""
    try:
        files = manifest_files([folder])
        load_manifests([folder], missing_secrets="unmanaged")
    except ManifestErrors as err:
        more = len(err.errors) - 1
        raise ProposalError(
            f"{folder}: not a valid export: {err.errors[0]}"
            + (f" (and {more} more: `pbxconf validate {folder}` lists them)" if more else "")
        ) from None
    site = Site(folder.name)
    for path in files:
        document = _plain(load_yaml(path.read_text(encoding="utf-8"), 40, 2_000_000))
        for section, items in (document.get("external") or {}).items():
            site.external.setdefault(section, []).extend(items or [])
        for kind in KINDS.values():
            for item in document.get(kind.section) or []:
                key = tuple(str(item.get(f)) for f in kind.key_fields)
                site.objects[(kind.name, key)] = item
    return site


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def propose(sites: list[Site]) -> Proposal:
    if len(sites) < 2:
        raise ProposalError("a shared base needs the exports of two PBXes or more")
    base = Site("base")
    layers = [Site(s.name) for s in sites]
    proposal = Proposal(base, layers)
    first = sites[0]
    for ident in first.objects:
        if not all(ident in s.objects for s in sites[1:]):
            continue
        common = _common([flatten(s.objects[ident]) for s in sites])
        kind = KINDS[ident[0]]
        if not _whole(kind, unflatten(common)):
            continue
        base.objects[ident] = unflatten(common)
        differs = False
        for site, layer in zip(sites, layers, strict=True):
            own = {f: v for f, v in flatten(site.objects[ident]).items() if f not in common}
            if own:
                differs = True
                keys = {f: site.objects[ident][f] for f in kind.key_fields}
                layer.objects[ident] = {**keys, **unflatten(own)}
        proposal.overlaid += differs
        proposal.whole += not differs
    for site, layer in zip(sites, layers, strict=True):
        for ident, obj in site.objects.items():
            if ident not in base.objects:
                layer.objects[ident] = obj
    for section, items in first.external.items():
        shared = [i for i in items if all(i in s.external.get(section, []) for s in sites)]
        if shared:
            base.external[section] = shared
    for site, layer in zip(sites, layers, strict=True):
        for section, items in site.external.items():
            rest = [i for i in items if i not in base.external.get(section, [])]
            if rest:
                layer.external[section] = rest
    _check(proposal, sites)
    return proposal


def _common(flats: list[dict[str, Any]]) -> dict[str, Any]:
    """The fields with the same value in every one."""
    missing = object()
    return {
        f: v for f, v in flats[0].items() if all(other.get(f, missing) == v for other in flats[1:])
    }


_REFERENCE = re.compile(r"\$\{[^}]*\}")


def _whole(kind: Kind, data: dict[str, Any]) -> bool:
    """Whether the common fields make an object on their own (a base declares its
    objects whole). `${VAR}` references stand for values the check cannot know."""
    try:
        kind.validate(_without_references(data))
    except ValidationError:
        return False
    return True


def _without_references(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_references(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_without_references(v) for v in data]
    if isinstance(data, str) and "${" in data:
        return _REFERENCE.sub("0", data)
    return data


def _check(proposal: Proposal, sites: list[Site]) -> None:
    """Each PBX's layers, overlaid by the loader's rule, give back its export."""
    for site, layer in zip(sites, proposal.sites, strict=True):
        rebuilt = {ident: dict(obj) for ident, obj in proposal.base.objects.items()}
        for ident, obj in layer.objects.items():
            rebuilt[ident] = overlaid(rebuilt[ident], obj) if ident in rebuilt else obj
        if rebuilt != site.objects:
            raise ProposalError(f"internal error: the proposal does not rebuild {site.name}")


def write_proposal(proposal: Proposal, output: Path) -> list[Path]:
    """OUT/base/ and OUT/sites/NAME/, one file per kind."""
    written = [*_write_layer(proposal.base, output / "base")]
    for layer in proposal.sites:
        written += _write_layer(layer, output / "sites" / layer.name)
    return written


def _write_layer(layer: Site, folder: Path) -> list[Path]:
    files: dict[str, dict[str, Any]] = {}
    if layer.external:
        files["pbx.yaml"] = {"version": FORMAT_VERSION, "external": layer.external}
    for kind in KINDS.values():
        items = [obj for (name, _key), obj in layer.objects.items() if name == kind.name]
        if items:
            files[f"{kind.section}.yaml"] = {"version": FORMAT_VERSION, kind.section: items}
    if not files:  # a PBX with nothing of its own: its layer says so, and loads
        files["pbx.yaml"] = {"version": FORMAT_VERSION}
    written = []
    for name, document in files.items():
        write_whole(folder / name, HEADER + dump_yaml(document))
        written.append(folder / name)
    return written
