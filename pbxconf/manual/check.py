"""A request checked against the manual's own tables: the keys an endpoint's request table
or request example names, the keys it marks required, and each field's list of values.

The strict simulator refuses what this finds, as a PBX that reads the manual strictly
would; the tests check every call pbxconf writes with it; and a plan checks its calls with
it before anything is sent. It knows nothing of pbxconf's kinds or codecs: only the facts
extracted from the manual (facts.json).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pbxconf.manual import Endpoint, Param, facts

# Params whose value is a comma list of the listed values: a custom wake-up call's days
# ("可选值：0、1、2、3、4、5、6", lines 4378, 4470, 4523).
LIST_PARAMS = frozenset({"weekdays"})
# The SIP trunk tables list fields per trunk type; a row's group names the type.
TYPE_KEY = "trunktype"


@dataclass(frozen=True)
class Problem:
    """What the manual does not allow in a request: `missing` (a required key is not
    there), `unknown` (the endpoint names no such key), `value` (not one of the field's
    values, or not text)."""

    kind: str
    key: str
    message: str

    def __str__(self) -> str:
        return self.message


def check_request(endpoint: str, body: Any) -> list[Problem]:
    """What the manual's tables refuse in a request to `endpoint` (empty: nothing)."""
    spec = facts().endpoints.get(endpoint)
    if spec is None:
        return [Problem("unknown", "", f"{endpoint} is not an endpoint the manual names")]
    if not isinstance(body, dict):
        return [Problem("value", "", "the body is not a JSON object")]
    variant = body.get(TYPE_KEY) if isinstance(body.get(TYPE_KEY), str) else None
    # A trunk example names the fields of its own type only.
    examples = [
        ex.body
        for ex in spec.request_examples
        if isinstance(ex.body, dict) and ex.body.get(TYPE_KEY) in (None, variant)
    ]
    return _check_object(spec, None, body, variant, examples)


def _check_object(
    spec: Endpoint,
    parent: str | None,
    body: dict[str, Any],
    variant: str | None,
    examples: list[Any],
) -> list[Problem]:
    rows = [p for p in spec.request if p.parent == parent and _applies(p, variant)]
    by_key = {p.key: p for p in rows}
    allowed = set(by_key) | {k for ex in examples for k in ex}
    where = f" in `{parent}`" if parent else ""
    problems = [
        Problem("missing", p.key, f"{spec.name}: `{p.key}`{where} is required (line {p.line})")
        for p in rows
        if p.required and p.key not in body
    ]
    for key, value in body.items():
        if key not in allowed:
            problems.append(_unknown(spec, key, where, variant))
            continue
        param = by_key.get(key)
        if param is not None and param.type == "Object":
            problems += _check_items(spec, param, value, variant, examples)
        elif isinstance(value, (dict, list)) or not isinstance(value, str):
            problems.append(
                Problem(
                    "value",
                    key,
                    f"{spec.name}: `{key}` must be text (the manual's numbers travel as strings)",
                )
            )
        elif param is not None and param.values and not _listed(param, value):
            problems.append(
                Problem(
                    "value",
                    key,
                    f"{spec.name}: `{key}`={value!r} is not one of {list(param.values)} "
                    f"(line {param.line})",
                )
            )
    return problems


def _check_items(
    spec: Endpoint, param: Param, value: Any, variant: str | None, examples: list[Any]
) -> list[Problem]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return [
            Problem("value", param.key, f"{spec.name}: `{param.key}` must be a list of objects")
        ]
    if not value:
        return [Problem("missing", param.key, f"{spec.name}: `{param.key}` is empty")]
    inner = [item for ex in examples for item in ex.get(param.key, []) if isinstance(item, dict)]
    return [p for item in value for p in _check_object(spec, param.key, item, variant, inner)]


def _applies(param: Param, variant: str | None) -> bool:
    """A trunk table's row applies to its own trunk type (and the DOD rows to all)."""
    return param.group in (None, "dod") or param.group == variant


def _listed(param: Param, value: str) -> bool:
    if param.key in LIST_PARAMS:
        return all(piece in param.values for piece in value.split(",")) and value != ""
    return value in param.values


def _unknown(spec: Endpoint, key: str, where: str, variant: str | None) -> Problem:
    other = [p for p in spec.request if p.key == key and p.group not in (None, "dod")]
    if other and variant:
        return Problem("unknown", key, f"{spec.name}: `{key}` is not a field of a {variant} trunk")
    close = _close(key, (p.key for p in spec.request))
    hint = f" (the table has `{close}`)" if close else ""
    return Problem("unknown", key, f"{spec.name}: the manual names no `{key}`{where}{hint}")


def _close(key: str, names: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(names), n=1, cutoff=0.8)
    return found[0] if found else None
