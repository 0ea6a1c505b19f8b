"""Text that came from outside (a PBX's answer, a manifest), made safe to print.

A name can hold characters that change what a terminal, a CI log or a pull-request
comment shows: a newline forges a line ("Plan: 0 to create."), a NUL or an escape
sequence is printed raw, a right-to-left override turns text around. Manifests refuse
them (CONTROLS); every value that comes from a PBX is printed through `printable`.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the bidirectional marks, embeddings, overrides and isolates,
# and the line and paragraph separators, as a character class in the syntax that both
# pydantic's Rust regex and JSON Schema's (ECMA-262, for editors) read: `\u` and four hex digits.
CONTROL_CLASS = r"\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
# The same for Python's re.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def printable(text: str) -> str:
    """The text with every control character written as an escape (`\\n`, `\\u202e`)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: _NAMED.get(m[0], f"\\u{ord(m[0]):04x}"), text)


# What json.dumps leaves raw in a string (it escapes the C0 controls itself): JSON text
# may keep its own newlines between values.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def printable_json(text: str) -> str:
    """JSON text with every control character inside its strings as a \\u escape: the
    same JSON, safe to print."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def number_runs(names: list[str]) -> list[str]:
    """Numbers in a row as one range, `1001-1019` (the form `external:` takes), the rest
    as they are after them: `["1003", "1004", "1005", "1021", "lobby"]` ->
    `["1003-1005", "1021", "lobby"]`. A number written with a leading zero is a name: it
    is not the same extension as the number without it."""
    numbers = sorted({int(n) for n in names if n.isdigit() and str(int(n)) == n})
    rest = sorted({n for n in names if not (n.isdigit() and str(int(n)) == n)})
    out: list[str] = []
    run: list[int] = []
    for number in [*numbers, None]:
        if number is not None and run and number == run[-1] + 1:
            run.append(number)
            continue
        if len(run) > 2:
            out.append(f"{run[0]}-{run[-1]}")
        else:
            out += [str(n) for n in run]
        run = [number] if number is not None else []
    return out + rest
