"""Converters between a wire value (always a string on this API) and a canonical value.

Normalising happens here, once: `"30"` and `30`, `"on"` and `true`, `"103,102,"` and
`["102", "103"]`, `Hang up` and `Hangup`. A converter's `decode` must accept every spelling
the manual shows; its `encode` writes what the endpoint's request example writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DecodeError(ValueError):
    """A wire value that no spelling in the manual explains."""


def as_text(raw: Any) -> str:
    """A wire value as text. The API answers strings; the other branches are for PBXes that
    answer a number or null, and for answers that are not configuration at all."""
    if type(raw) is str:
        return raw
    if isinstance(raw, (dict, list)):
        raise DecodeError(f"expected text, got {type(raw).__name__}")
    return "" if raw is None else str(raw)


@dataclass(frozen=True)
class Text:
    def decode(self, raw: Any) -> Any:
        return as_text(raw)

    def encode(self, value: Any) -> Any:
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Integer:
    # What an empty answer means (None: not set).
    blank: int | None = None

    def decode(self, raw: Any) -> Any:
        text = as_text(raw).strip()
        if text == "":
            return self.blank
        try:
            return int(text)
        except ValueError:
            raise DecodeError(f"expected a number, got {text!r}") from None

    def encode(self, value: Any) -> Any:
        return "" if value is None else str(value)


_SWITCH = {
    **dict.fromkeys(("on", "yes", "1", "true", "enable", "enabled"), True),
    **dict.fromkeys(("off", "no", "0", "false", "disable", "disabled", ""), False),
}


@dataclass(frozen=True)
class OnOff:
    def decode(self, raw: Any) -> Any:
        value = _SWITCH.get(raw) if type(raw) is str else None
        if value is None:
            value = _SWITCH.get(as_text(raw).strip().lower())
        if value is None:
            raise DecodeError(f"expected on/off, got {raw!r}")
        return value

    def encode(self, value: Any) -> Any:
        return "on" if value else "off"


@dataclass(frozen=True)
class Choice:
    """An enum: canonical value -> the wire spelling to send; `aliases` are other wire
    spellings a query may answer with (compared without case and spaces)."""

    to_wire: dict[Any, str]
    aliases: dict[str, Any] = field(default_factory=dict)
    _lookup: dict[str, Any] = field(init=False, repr=False, compare=False)
    # The spellings exactly as written, tried before folding case and spaces.
    _exact: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {_fold(wire): canonical for wire, canonical in self.aliases.items()}
        lookup.update({_fold(wire): canonical for canonical, wire in self.to_wire.items()})
        object.__setattr__(self, "_lookup", lookup)
        exact = dict(self.aliases)
        exact.update({wire: canonical for canonical, wire in self.to_wire.items()})
        object.__setattr__(self, "_exact", exact)

    def decode(self, raw: Any) -> Any:
        if type(raw) is str and raw in self._exact:
            return self._exact[raw]
        text = as_text(raw)
        try:
            return self._lookup[_fold(text)]
        except KeyError:
            raise DecodeError(f"{text!r} is not one of the manual's values") from None

    def encode(self, value: Any) -> Any:
        return self.to_wire[value]


@dataclass(frozen=True)
class CommaList:
    """A comma-joined list; `ordered=False` means it is a set (sorted, so order never shows
    as a change), `ordered=True` keeps the order (trunk failover order)."""

    ordered: bool = False

    def decode(self, raw: Any) -> Any:
        text = as_text(raw)
        if not text:
            return []
        items = [part.strip() for part in text.split(",") if part.strip()]
        return items if self.ordered else sorted(set(items), key=_natural)

    def encode(self, value: Any) -> Any:
        return ",".join(value or [])


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


def _natural(text: str) -> tuple[int, int | str]:
    """Numbers in numeric order, then names: 1000 < 1002 < 10000 < sales."""
    return (0, int(text)) if text.isdigit() else (1, text)


def natural_key(text: str) -> tuple[int, int | str]:
    return _natural(text)


TEXT = Text()
INTEGER = Integer()
ON_OFF = OnOff()
SET = CommaList(ordered=False)
ORDERED = CommaList(ordered=True)
