"""A fleet command's JSON: one document for the whole run, with each PBX's entry (its
plan, or its apply, as `plan --format json` and `apply --format json` write them for one
PBX), the rollout's verdict and a summary. Stable and versioned; the schema is
`schemas/fleet-output.schema.json`, generated from these models and tested.

The document is written as it is read back from the spool, entry by entry: a thousand
PBXes' plans are never one object in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from pbxconf.render.json_apply import JsonApply
from pbxconf.render.json_plan import JsonPlan, JsonProblem, JsonSummary
from pbxconf.text import printable_json

FLEET_FORMAT_VERSION: Literal[1] = 1
Result = Literal[
    "changes",
    "no-changes",
    "applied",
    "nothing-to-do",
    "dry-run",
    "not-run",
    "refused",
    "failed",
]


class FleetPbx(BaseModel):
    name: str = Field(description="The PBX's name in the inventory.")
    url: str
    labels: dict[str, str]
    result: Result = Field(
        description="plan: changes, no-changes or failed; apply: applied, nothing-to-do, "
        "dry-run, not-run (the rollout stopped first, or it was not in the saved plan), "
        "refused (a stale or different PBX, a plan that changed since it was confirmed) "
        "or failed."
    )
    message: str = Field(description="Why it failed, was refused or not run; else empty.")
    problems: list[JsonProblem] = Field(
        description="What stopped it, each manifest error at its file:line:col."
    )
    summary: JsonSummary | None = Field(description="Its plan's counts, when it was planned.")


class FleetPbxPlan(FleetPbx):
    plan: JsonPlan | None


class FleetPbxApply(FleetPbx):
    canary: bool = Field(description="Applied as one of the rollout's canaries.")
    apply: JsonApply | None


class FleetPlanSummary(BaseModel):
    pbxes: int = Field(description="PBXes in this run (after --shard).")
    selected: int = Field(description="PBXes the selection chose, before --shard.")
    changes: int
    no_changes: int
    failed: int


class FleetApplySummary(BaseModel):
    pbxes: int
    selected: int
    applied: int
    nothing_to_do: int
    failed: int = Field(description="Failed or refused.")
    not_run: int


class Rollout(BaseModel):
    canaries: list[str] = Field(description="The PBXes applied first (--canary).")
    stopped: str = Field(description="Why the rollout stopped early; empty if it did not.")


class FleetPlanDocument(BaseModel):
    """`pbxconf plan --format json` over a fleet."""

    format: Literal["pbxconf-fleet-plan"]
    format_version: Literal[1]
    pbxconf_version: str
    inventory: str
    selection: str = Field(description="The selection, as given: `--select region=eu`.")
    pbxes: list[FleetPbxPlan]
    summary: FleetPlanSummary


class FleetApplyDocument(BaseModel):
    """`pbxconf apply --format json` over a fleet."""

    format: Literal["pbxconf-fleet-apply"]
    format_version: Literal[1]
    pbxconf_version: str
    inventory: str
    selection: str
    pbxes: list[FleetPbxApply]
    rollout: Rollout
    summary: FleetApplySummary


def entry_text(entry: BaseModel) -> str:
    """One PBX's entry, as the document holds it (indented for its place there)."""
    text = json.dumps(entry.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return printable_json("\n".join("    " + line for line in text.splitlines()))


def document_lines(
    head: dict[str, Any], entries: Iterable[str], tail: dict[str, Any]
) -> Iterable[str]:
    """The document's text in pieces: `head`'s keys, `pbxes` (the entries as they come),
    then `tail`'s keys: the same JSON as one json.dumps(indent=2) would write."""
    yield "{\n"
    for key, value in head.items():
        yield f"  {json.dumps(key)}: {_indented(value)},\n"
    yield '  "pbxes": ['
    first = True
    for entry in entries:
        yield ("\n" if first else ",\n") + entry
        first = False
    yield "\n  ]" if not first else "]"
    for key, value in tail.items():
        yield f",\n  {json.dumps(key)}: {_indented(value)}"
    yield "\n}\n"


def _indented(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return printable_json(text.replace("\n", "\n  "))


def fleet_output_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    schema = TypeAdapter(FleetPlanDocument | FleetApplyDocument).json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
