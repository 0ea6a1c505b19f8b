"""What the PBX API manual says, as data: its parameter tables, examples and error codes.

``facts()`` reads ``facts.json``, which ``python -m pbxconf.manual.extract MANUAL.txt``
writes from the manual's text dump (see that module for the manual's layout and quirks).
The data records each table as printed, misspellings included: extension/query answers
``moblie`` while extension/update takes ``mobile``; each table is its own fact.

- ``Manual.endpoints``: by endpoint path (``"extension/update"``); ``Manual.reports``: the
  reports the PBX sends, by their ``action`` (``"ConfigChange"``), their body in
  ``request``/``request_examples``; ``Manual.errnos``: by error code.
- ``Param.required`` is None in tables without a required column (responses, reports).
  ``parent`` is the container the key sits in (None at the top level of the body); ``group``
  the SIP trunk kind a row applies to (register, peer, account, dod); ``values`` the allowed
  values the description lists; ``raw`` the name cell as printed; ``note`` the limit the
  description states, else its first sentence; ``line`` the manual's 1-based line.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Endpoint", "ErrnoFact", "Example", "Manual", "Param", "facts", "load", "raw_facts"]

SIDES = ("request", "response")


@dataclass(frozen=True)
class Param:
    key: str
    required: bool | None
    type: str
    values: tuple[str, ...]
    line: int
    parent: str | None
    group: str | None
    raw: str
    note: str


@dataclass(frozen=True)
class Example:
    line: int  # the body's first line; for a request sent without a body, its request line
    body: Any  # the JSON body, None when there is none


@dataclass(frozen=True)
class Endpoint:
    name: str
    line: int
    request: tuple[Param, ...]
    response: tuple[Param, ...]
    request_examples: tuple[Example, ...]
    response_examples: tuple[Example, ...]

    def params(self, side: str = "request") -> tuple[Param, ...]:
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        return self.request if side == "request" else self.response

    def request_keys(self, parent: str | None = None) -> list[str]:
        """The request keys directly under ``parent`` (None: the top level), in table order."""
        return _keys(self.request, parent)

    def response_keys(self, parent: str | None = None) -> list[str]:
        """The response keys directly under ``parent`` (None: the top level), in table order."""
        return _keys(self.response, parent)

    def param(
        self, key: str, parent: str | None = None, side: str = "request", group: str | None = None
    ) -> Param:
        """The row for ``key`` under ``parent``; ``group`` picks one of a SIP trunk's kinds.

        KeyError when there is none; ValueError when several rows match (``host`` is in
        both the register and the peer group: pass ``group``).
        """
        found = [p for p in self.params(side) if p.key == key and p.parent == parent]
        if group is not None:
            found = [p for p in found if p.group == group]
        if not found:
            raise KeyError(f"{self.name} {side}: no {key!r} under {parent or 'the top level'}")
        if len(found) > 1:
            groups = sorted(str(p.group) for p in found)
            raise ValueError(f"{self.name} {side}: {key!r} is in groups {groups}; pass group=")
        return found[0]


@dataclass(frozen=True)
class ErrnoFact:
    errno: str
    text: str
    line: int


@dataclass(frozen=True)
class Manual:
    source_sha256: str
    endpoints: dict[str, Endpoint]
    reports: dict[str, Endpoint]
    errnos: dict[str, ErrnoFact]

    def endpoint(self, name: str) -> Endpoint:
        try:
            return self.endpoints[name]
        except KeyError:
            raise KeyError(f"the manual facts have no endpoint {name!r}") from None


def _keys(params: tuple[Param, ...], parent: str | None) -> list[str]:
    return list(dict.fromkeys(p.key for p in params if p.parent == parent))


def _param(data: dict[str, Any]) -> Param:
    return Param(**{**data, "values": tuple(data["values"])})


def _endpoint(data: dict[str, Any]) -> Endpoint:
    def examples(side: str) -> tuple[Example, ...]:
        return tuple(Example(e["line"], e["body"]) for e in data[f"{side}_examples"])

    return Endpoint(
        name=data["name"],
        line=data["line"],
        request=tuple(_param(p) for p in data["request"]),
        response=tuple(_param(p) for p in data["response"]),
        request_examples=examples("request"),
        response_examples=examples("response"),
    )


def load(data: dict[str, Any]) -> Manual:
    """A Manual from facts.json's data (or from ``extract.extract``'s)."""
    return Manual(
        source_sha256=data["source_sha256"],
        endpoints={name: _endpoint(e) for name, e in data["endpoints"].items()},
        reports={name: _endpoint(e) for name, e in data["reports"].items()},
        errnos={code: ErrnoFact(**fact) for code, fact in data["errnos"].items()},
    )


def raw_facts() -> dict[str, Any]:
    """facts.json as JSON data (read from the installed package)."""
    text = resources.files(__name__).joinpath("facts.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def facts() -> Manual:
    """The manual's facts, read once."""
    return load(raw_facts())
