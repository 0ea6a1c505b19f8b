"""How a manifest error describes what it found, and names a field a person meant."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from pbxconf.kinds import Kind


def item_label(kind: Kind, item: Any, section: str, index: int) -> str:
    if isinstance(item, dict) and all(f in item for f in kind.key_fields):
        return kind.label(tuple(str(item[f]) for f in kind.key_fields))
    return f"{section}[{index}]"


def validation_message(msg: str) -> str:
    """pydantic's message as the manifests' errors say it: `expected ...`."""
    text = msg.removeprefix("Value error, ")
    text = re.sub(
        r"^(Input|String|Value|List|Integer) should (be|have|match)", r"expected to \2", text
    )
    return text.replace("expected to be ", "expected ")


def what(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    tag = getattr(getattr(value, "tag", None), "value", None)
    return f"a value tagged {tag}" if tag else type(value).__name__


def unknown_field(leaf: str, dotted: str, fields: set[str], model: Any, parent: Any) -> str:
    """What to say of a field the model does not take there. A name it takes elsewhere is
    not a typo: say where it goes (`voicemail.pin`), or that this type lacks it (a peer
    trunk has no `password`)."""
    elsewhere = sorted(f for f in fields if f.rsplit(".", 1)[-1] == leaf and f != dotted)
    if dotted in fields and isinstance(parent, dict) and isinstance(parent.get("type"), str):
        title = model.title if isinstance(model, Kind) else "object"
        return f"`{leaf}` is not a field of a {title} of type {parent['type']}"
    if elsewhere:
        return f"unknown field `{leaf}` here; it goes in `{elsewhere[0]}`"
    prefix = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
    if isinstance(parent, dict) and parent.get("type") == leaf and prefix + "target" in fields:
        # {type: extension, extension: 1000}: the type's own name is a natural guess
        return f"unknown field `{leaf}`; the {leaf} goes in `target`"
    return f"unknown field `{leaf}`{did_you_mean(leaf, leaf_names(fields) - {leaf})}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib  # only a manifest with a mistake needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def schema_fields(model: Any, prefix: str = "") -> set[str]:
    names: set[str] = set()
    models = [model]
    if hasattr(model, "__metadata__"):  # Annotated union
        models = list(model.__origin__.__args__)
    for m in models:
        if not (isinstance(m, type) and issubclass(m, BaseModel)):
            continue
        for fname, info in m.model_fields.items():
            names.add(prefix + fname)
            for arg in getattr(info.annotation, "__args__", (info.annotation,)):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    names |= schema_fields(arg, f"{prefix}{fname}.")
    return names


def field_names(kind: Kind) -> set[str]:
    return schema_fields(kind.model)


def leaf_names(fields: Iterable[str]) -> set[str]:
    return {f.rsplit(".", 1)[-1] for f in fields}


def or_list(words: list[str]) -> str:
    """`register, peer or account`."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
