"""What `pbxconf apply --format json` prints: the plan, then what was done, what failed
(the errno and its meaning), what was not run, and what the check after the calls found,
each call with the objects it was for, so that a pipeline can act on the result. Its
schema is `schemas/apply-output.schema.json`, generated from these models and tested."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from pbxconf import __version__
from pbxconf.api import ApiError
from pbxconf.apply import ApplyResult
from pbxconf.kinds import ApiCall
from pbxconf.plan import Plan, Step
from pbxconf.render.json_plan import JsonChange, JsonPlan, dumped, plan_to_json_model

APPLY_FORMAT_VERSION: Literal[1] = 1


class JsonCallDone(BaseModel):
    endpoint: str
    objects: list[str] = Field(description="The objects the call was for, as plans name them.")


class JsonCallFailed(JsonCallDone):
    errno: str | None = Field(description="The PBX's errno; null for a transport failure.")
    meaning: str | None = Field(description="The errno's meaning from the manual's table.")
    message: str = Field(description="The whole failure, said for a person.")


class JsonVerification(BaseModel):
    checked: bool = Field(description="Whether the PBX was read again after the calls.")
    remaining: list[JsonChange] = Field(
        description="What the apply undertook that the PBX still differs in (should be none)."
    )
    changed_by_others: list[str] = Field(
        description="Objects this apply did not write that changed while it ran."
    )


class JsonApply(BaseModel):
    """`pbxconf apply --format json`: stable, versioned."""

    format: Literal["pbxconf-apply"]
    format_version: Literal[1]
    pbxconf_version: str
    target: str
    outcome: Literal["applied", "nothing-to-do", "dry-run", "declined", "refused", "failed",
                     "interrupted"] = Field(description="How the apply ended.")  # fmt: skip
    ok: bool = Field(description="Applied (or nothing to do) and the check found nothing left.")
    plan: JsonPlan
    done: list[JsonCallDone]
    failed: JsonCallFailed | None
    abandoned: JsonCallDone | None = Field(
        description="The call a second signal left in flight: it may or may not have landed."
    )
    not_run: list[JsonCallDone]
    interrupted: str = Field(description="The signal that stopped the apply, if one did.")
    verification: JsonVerification
    notes: list[str]


def _call(step: Step, call: ApiCall) -> JsonCallDone:
    return JsonCallDone(endpoint=call.endpoint, objects=[c.label for c in step.changes])


def apply_to_json(
    plan: Plan, target: str, outcome: str, result: ApplyResult | None = None
) -> JsonApply:
    result = result or ApplyResult()
    failed = None
    if result.failed is not None:
        step, call, err = result.failed
        failed = JsonCallFailed(
            **_call(step, call).model_dump(),
            errno=err.errno if isinstance(err, ApiError) else None,
            meaning=err.meaning if isinstance(err, ApiError) else None,
            message=str(err),
        )
    remaining = result.remaining
    return JsonApply(
        format="pbxconf-apply",
        format_version=APPLY_FORMAT_VERSION,
        pbxconf_version=__version__,
        target=target,
        outcome=outcome,  # type: ignore[arg-type]
        ok=outcome in ("applied", "nothing-to-do") and result.ok,
        plan=plan_to_json_model(plan, target),
        done=[_call(step, call) for step, call in result.done],
        failed=failed,
        abandoned=_call(*result.abandoned) if result.abandoned else None,
        not_run=[_call(step, call) for step, call in result.not_run],
        interrupted=result.interrupted,
        verification=JsonVerification(
            checked=remaining is not None,
            remaining=plan_to_json_model(remaining, target).changes if remaining else [],
            changed_by_others=result.changed_by_others,
        ),
        notes=result.notes,
    )


def render_apply_json(
    plan: Plan, target: str, outcome: str, result: ApplyResult | None = None
) -> str:
    return dumped(apply_to_json(plan, target, outcome, result))


def apply_output_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **JsonApply.model_json_schema(),
    }
