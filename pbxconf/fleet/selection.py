"""Which PBXes of the inventory a command runs on: `--pbx NAME`, `--select LABEL=VALUE`
or `--all`, then `--shard K/N`.

A shard is stable: a PBX's shard is fixed by its name and N alone (the sha256 of the
name, modulo N), never by the order of the inventory, nor by which other PBXes exist or
are selected. A CI matrix of N jobs, each `--shard K/N`, covers the selection exactly
once, and a PBX added to the fleet moves no other PBX to another job.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pbxconf.errors import UsageError
from pbxconf.fleet.inventory import Inventory, Member
from pbxconf.manifest.messages import did_you_mean

_SELECTOR = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._/-]*)\s*(!=|=)\s*([A-Za-z0-9._/,-]*)$")


@dataclass(frozen=True)
class Selector:
    """`region=eu`, `region=eu,us` (any of), `tier!=test` (none of)."""

    label: str
    values: frozenset[str]
    negated: bool = False

    @classmethod
    def parse(cls, text: str) -> Selector:
        match = _SELECTOR.fullmatch(text.strip())
        values = frozenset(v for v in (match[3].split(",") if match else []) if v)
        if match is None or not values:
            raise UsageError(
                f"--select {text!r}: expected LABEL=VALUE, LABEL=VALUE1,VALUE2 or "
                "LABEL!=VALUE, e.g. --select region=eu"
            )
        return cls(match[1], values, match[2] == "!=")

    def matches(self, member: Member) -> bool:
        found = member.labels.get(self.label) in self.values
        return found != self.negated

    def __str__(self) -> str:
        return f"{self.label}{'!=' if self.negated else '='}{','.join(sorted(self.values))}"


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based: K of K/N
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None:
            raise UsageError(f"--shard {text!r}: expected K/N, e.g. --shard 2/4")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise UsageError(
                f"--shard {text}: K must be between 1 and N ({count}), e.g. --shard 1/{count or 1}"
            )
        return cls(index, count)

    def holds(self, member: Member) -> bool:
        return shard_of(member.name, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of a PBX named `name` among `count`."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Selection:
    """What the command line asked for. `chosen(inventory)` applies it."""

    names: tuple[str, ...] = ()
    selectors: tuple[Selector, ...] = ()
    everything: bool = False
    shard: Shard | None = None

    def describe(self) -> str:
        if self.names:
            text = "--pbx " + ",".join(self.names)
        elif self.selectors:
            text = " ".join(f"--select {s}" for s in self.selectors)
        else:
            text = "--all"
        return text + (f" --shard {self.shard}" if self.shard else "")

    def chosen(self, inventory: Inventory) -> list[Member]:
        """The PBXes selected, in the inventory's order (before sharding: `shard`)."""
        if self.names:
            unknown = [n for n in self.names if n not in inventory.by_name]
            if unknown:
                known = list(inventory.by_name)
                hint = did_you_mean(unknown[0], known)
                raise UsageError(
                    f"--pbx: no PBX named {', '.join(map(repr, unknown))} in {inventory.path}"
                    f"{hint or '; it names ' + _some(known)}"
                )
            wanted = set(self.names)
            return [m for m in inventory.members if m.name in wanted]
        members = inventory.members
        if self.selectors:
            labels = inventory.labels()
            for selector in self.selectors:
                if selector.label not in labels:
                    hint = did_you_mean(selector.label, labels)
                    raise UsageError(
                        f"--select {selector}: no PBX has the label `{selector.label}`"
                        + (hint or f"; labels in use: {_some(sorted(labels)) or 'none'}")
                    )
            members = [m for m in members if all(s.matches(m) for s in self.selectors)]
            if not members:
                shown = " ".join(f"--select {s}" for s in self.selectors)
                values = "; ".join(
                    f"{s.label} is one of {_some(sorted(labels[s.label]))}" for s in self.selectors
                )
                raise UsageError(f"{shown}: no PBX matches ({values})")
        return members

    def sharded(self, members: list[Member]) -> list[Member]:
        if self.shard is None:
            return members
        return [m for m in members if self.shard.holds(m)]


def _some(names: list[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
