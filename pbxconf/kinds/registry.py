"""The one ordered registry of resource kinds.

Its order is the order manifests, plans and exports list kinds in, and the order a plan
works through them: what others reference comes first (extensions before the routes that
name them). Look-ups take a kind's name (`trunk`) or its manifest section (`trunks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from pbxconf.kinds.base import Kind


class Registry(Mapping[str, Kind]):
    """Kinds by name, in order."""

    def __init__(self, kinds: Iterable[Kind]) -> None:
        self._by_name = {kind.name: kind for kind in kinds}
        self._by_section = {kind.section: kind for kind in self._by_name.values()}

    def __getitem__(self, name: str) -> Kind:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def section(self, section: str) -> Kind:
        return self._by_section[section]

    def lookup(self, text: str) -> Kind | None:
        """The kind named `text`, by its name or its manifest section."""
        return self._by_name.get(text) or self._by_section.get(text)

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(self._by_section)

    def position(self, name: str) -> int:
        """Where a kind stands in the order (for sorting)."""
        return list(self._by_name).index(name)
