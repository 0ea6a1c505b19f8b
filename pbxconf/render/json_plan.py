"""A plan as JSON: stable and versioned (`format_version`); its schema is
`schemas/plan-output.schema.json`, generated from these models and tested. A plan that
could not be made is a JSON document too, saying why and where."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from pbxconf import __version__
from pbxconf.kinds import KINDS
from pbxconf.plan import Action, Plan
from pbxconf.render.common import shown
from pbxconf.text import printable_json

JSON_FORMAT_VERSION: Literal[1] = 1


class JsonField(BaseModel):
    field: str = Field(description="Dotted canonical field name, e.g. `voicemail.pin`.")
    old: Any = Field(description="Value on the PBX (null on create); `(sensitive)` if secret.")
    new: Any = Field(description="Value in the manifests; `(sensitive)` if secret.")
    sensitive: bool


class JsonChange(BaseModel):
    action: Literal["create", "update", "rename", "delete", "cannot"]
    kind: str = Field(description="Kind name, e.g. `extension`.")
    section: str = Field(description="Manifest section, e.g. `extensions`.")
    key: dict[str, str] = Field(description="Identity fields and values.")
    old_key: dict[str, str] | None = Field(description="For renames: the identity on the PBX.")
    label: str = Field(description="How plans name the object: `extensions[number=1000]`.")
    reason: str
    fields: list[JsonField]


class JsonCall(BaseModel):
    endpoint: str
    body: dict[str, Any] = Field(description="The request body, secrets masked.")


class JsonSummary(BaseModel):
    create: int
    update: int
    rename: int
    delete: int
    cannot: int
    unmanaged: dict[str, int]


class JsonManualStep(BaseModel):
    kind: str
    key: dict[str, str]
    label: str
    field: str
    want: str = Field(description="The value under `by_hand`.")
    have: str | None = Field(description="The PBX's value; null when the object is not there.")
    text: str = Field(description="The step, said for a person.")


class JsonPlan(BaseModel):
    """`pbxconf plan --format json`: stable, versioned."""

    format: Literal["pbxconf-plan"]
    format_version: Literal[1]
    pbxconf_version: str
    target: str = Field(description="The PBX planned against.")
    has_changes: bool
    applicable: bool = Field(description="False when the plan has errors.")
    summary: JsonSummary
    changes: list[JsonChange]
    calls: list[JsonCall]
    errors: list[str]
    warnings: list[str]
    protected: list[str] = Field(description="Objects pruning would delete but `protect` keeps.")
    skipped: list[str] = Field(description="With --skip-unreachable: changes set aside, and why.")
    differs: bool = Field(
        description="Whether the PBX differs from the manifests: changes, or steps by hand "
        "(what --detailed-exitcode reports with 2)."
    )
    manual: list[JsonManualStep] = Field(
        description="Values under `by_hand` the PBX does not hold: the API cannot write "
        "them, so a person sets them in the PBX's web page."
    )


def plan_to_json_model(plan: Plan, target: str) -> JsonPlan:
    def key(kind: str, value: tuple[str, ...] | None) -> dict[str, str] | None:
        if value is None:
            return None
        return dict(zip(KINDS[kind].key_fields, value, strict=True))

    return JsonPlan(
        format="pbxconf-plan",
        format_version=JSON_FORMAT_VERSION,
        pbxconf_version=__version__,
        target=target,
        has_changes=plan.has_changes,
        applicable=not plan.errors,
        summary=JsonSummary(
            **{a.value: plan.count(a) for a in Action},
            unmanaged=plan.unmanaged,
        ),
        changes=[
            JsonChange(
                action=c.action.value,  # type: ignore[arg-type]
                kind=c.kind,
                section=KINDS[c.kind].section,
                key=key(c.kind, c.key) or {},
                old_key=key(c.kind, c.old_key),
                label=c.label,
                reason=c.reason,
                fields=[
                    JsonField(
                        field=f.field,
                        old=shown(f.old, f.sensitive),
                        new=shown(f.new, f.sensitive),
                        sensitive=f.sensitive,
                    )
                    for f in c.fields
                ],
            )
            for c in plan.changes
        ],
        calls=[JsonCall(endpoint=call.endpoint, body=call.masked_body()) for call in plan.calls],
        errors=[str(e) for e in plan.errors],
        warnings=plan.warnings,
        protected=plan.protected,
        skipped=[str(s) for s in plan.skipped],
        differs=plan.differs,
        manual=[
            JsonManualStep(
                kind=m.kind,
                key=key(m.kind, m.key) or {},
                label=KINDS[m.kind].label(m.key),
                field=m.field,
                want=m.want,
                have=m.have,
                text=str(m),
            )
            for m in plan.manual
        ],
    )


def render_json(plan: Plan, target: str) -> str:
    return dumped(plan_to_json_model(plan, target))


class JsonProblem(BaseModel):
    """An error that stopped the plan before it was made, where it is."""

    message: str
    file: str | None = Field(None, description="The manifest, for a manifest error.")
    line: int | None = None
    col: int | None = None
    path: str | None = Field(None, description="Where inside the document.")


class JsonFailure(BaseModel):
    """`pbxconf plan --format json` when no plan could be made (a manifest error, a PBX
    that cannot be reached): the document says why, so a pull request still shows it."""

    format: Literal["pbxconf-plan"]
    format_version: Literal[1]
    pbxconf_version: str
    target: str
    applicable: Literal[False]
    failed: str = Field(description="Why no plan was made.")
    problems: list[JsonProblem]


def render_json_failure(target: str, summary: str, problems: list[JsonProblem]) -> str:
    return dumped(
        JsonFailure(
            format="pbxconf-plan",
            format_version=JSON_FORMAT_VERSION,
            pbxconf_version=__version__,
            target=target,
            applicable=False,
            failed=summary,
            problems=problems,
        )
    )


def dumped(model: BaseModel) -> str:
    # A control character a PBX answered becomes its \u escape: the same JSON string.
    text = json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return printable_json(text) + "\n"


def plan_output_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    schema = TypeAdapter(JsonPlan | JsonFailure).json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
