"""Reading the inventory file, and what its errors say: every one at file:line:col, with
the PBX it is about (`pbxes[name=lisbon].labels`) and, for an unknown key, the key
meant."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pbxconf.fleet.inventory_model import InventoryModel, PbxEntry, SecretsSource, Settings
from pbxconf.manifest.errors import ManifestError, ManifestErrors, Position
from pbxconf.manifest.messages import did_you_mean, validation_message, what
from pbxconf.manifest.positions import Document, follow, key_pos, locate
from pbxconf.manifest.yaml import YamlRefused
from pbxconf.manifest.yaml import load as load_yaml

INVENTORY_VERSION = 1
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 20
MAX_NODES = 2_000_000


class InventoryErrors(ManifestErrors):
    """Every error in the inventory, each at file:line:col."""

    @property
    def summary(self) -> str:
        noun = "error" if len(self.errors) == 1 else "errors"
        return f"{len(self.errors)} {noun} in the inventory"


def parse_inventory(name: str, raw: bytes) -> Document:
    """The inventory's YAML; its positions are worked out only if an error needs them."""
    if len(raw) > MAX_BYTES:
        raise one_error(
            Position(name, 1, 1), f"larger than {MAX_BYTES // 2**20} MiB: not an inventory"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise one_error(Position(name, line, 1), f"not UTF-8 text (byte {err.start})") from None
    try:
        document = load_yaml(text, MAX_DEPTH, MAX_NODES)
    except YamlRefused as err:
        raise one_error(Position(name, err.line + 1, err.col + 1), err.message) from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        at = Position(name, mark.line + 1, mark.column + 1) if mark else Position(name, 1, 1)
        raise one_error(
            at, f"YAML syntax: {err.problem or err.context or 'invalid YAML'}"
        ) from None
    except (YAMLError, RecursionError) as err:
        raise one_error(Position(name, 1, 1), f"YAML syntax: {err}") from None
    if not isinstance(document, dict):
        raise one_error(
            Position(name, 1, 1),
            f"an inventory is a mapping that starts with `version: {INVENTORY_VERSION}` and "
            f"lists `pbxes:`; found {what(document)}",
        )
    return Document(name, text, document, (MAX_DEPTH, MAX_NODES))


def plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


_FIELDS: dict[str, set[str]] = {
    "": set(InventoryModel.model_fields),
    "defaults": set(Settings.model_fields),
    "pbxes": set(PbxEntry.model_fields),
    "secrets": set(SecretsSource.model_fields),
}


def located(doc: Document, err: ValidationError) -> list[ManifestError]:
    document = doc.root
    errors = []
    for problem in err.errors():
        loc = list(problem["loc"])
        position, path = locate(doc, document, loc)
        where = _path_text(document, path)
        kind = problem["type"]
        if kind == "extra_forbidden":
            leaf = str(loc[-1])
            parent = str(loc[0]) if len(loc) > 1 else ""
            holder = follow(document, loc[:-1])
            if isinstance(holder, dict) and leaf in holder:
                position = key_pos(doc, holder, leaf)  # where the key is, not its value
            if leaf in ("password", "secret", "token"):
                message = (
                    f"`{leaf}`: the inventory never holds a secret; name the environment "
                    "variable that does with `password_env`"
                )
            else:
                message = f"unknown key `{leaf}`{did_you_mean(leaf, _FIELDS.get(parent, set()))}"
        elif kind == "missing":
            message = f"missing required key `{loc[-1]}`"
        elif kind == "too_short" and loc[-1] == "manifests":
            message = "no layers: list its manifest layers, the base first"
        elif kind == "string_pattern_mismatch":
            message = _pattern_message(loc, problem.get("input"))
        else:
            text = validation_message(problem["msg"])
            message = f"{text}; found {_shown(loc, problem.get('input'))}"
        errors.append(ManifestError(position, where, message))
    return sorted(errors, key=order)


def _pattern_message(loc: list[Any], found: Any) -> str:
    leaf = str(loc[-1])
    if loc[0] == "pbxes" and leaf == "name":
        return (
            f"a PBX's name is letters, digits, `.`, `_` and `-` (it names a directory); "
            f"found {found!r}"
        )
    if leaf == "url":
        if "@" in str(found):
            return (
                "holds credentials (`user:password@`), which would print wherever the URL "
                "does: give `username` and `password_env` instead"
            )
        return f"expected an http(s) base URL like https://pbx.example.com; found {found!r}"
    if "labels" in loc:
        return (
            "labels are letters, digits, `.`, `_`, `/` and `-` (values up to 63 characters); "
            f"found {found!r}"
        )
    # Not echoed: a value given where a variable's name goes may be the secret itself.
    return "expected an environment variable name like PBX_API_PASSWORD (the value is not shown)"


def _shown(loc: list[Any], found: Any) -> str:
    """A wrong value as an error shows it: never a variable's (it may be a secret)."""
    if "variables" in loc or str(loc[-1]).endswith("_env"):
        return "a value not shown (it may be a secret)"
    return repr(found)


def _path_text(document: dict[str, Any], path: list[Any]) -> str:
    """`pbxes[name=lisbon].labels` rather than `pbxes.2.labels`."""
    out = ""
    node: Any = document
    for part in path:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if part < len(node) else None
            label = item.get("name") if isinstance(item, dict) else None
            out += f"[name={label}]" if isinstance(label, str) else f"[{part}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def order(error: ManifestError) -> tuple[int, int]:
    return (error.position.line, error.position.col) if error.position else (0, 0)


def one_error(position: Position | None, message: str) -> InventoryErrors:
    return InventoryErrors([ManifestError(position, "", message)])
