"""Plan -> text, JSON, Markdown. Sensitive values never leave here: they show as
`(sensitive)` in every format, and API call bodies are masked the same way.

The JSON format is versioned (`format_version`); its schema is
`schemas/plan-output.schema.json`, generated from the models below and tested.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import click
from pydantic import BaseModel, Field

from pbxconf import __version__
from pbxconf.kinds import KINDS, ApiCall
from pbxconf.plan import Action, Change, FieldChange, Plan

MASK = "(sensitive)"
MANUAL_HEADING = "To do by hand in the PBX's web page (the API cannot write these values):"
JSON_FORMAT_VERSION: Literal[1] = 1
COLOURS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.RENAME: "cyan",
    Action.DELETE: "red",
    Action.CANNOT: "red",
}


def shown(value: Any, sensitive: bool) -> Any:
    if sensitive and value not in (None, ""):
        return MASK
    return value


def _value_text(value: Any, sensitive: bool) -> str:
    value = shown(value, sensitive)
    if value == MASK:
        return MASK
    return "(unset)" if value is None else json.dumps(value, ensure_ascii=False)


def field_line(change: FieldChange, action: Action) -> str:
    """One field's change as plans show it (`name: "Amy" -> "Front desk"`), masked."""
    new = _value_text(change.new, change.sensitive)
    if action == Action.CREATE:
        return f"{change.field}: {new}"
    old = _value_text(change.old, change.sensitive)
    if change.sensitive and old == new == MASK:
        return f"{change.field}: {MASK} (changed)"
    return f"{change.field}: {old} -> {new}"


def _headline(change: Change) -> str:
    symbol = change.action.symbol
    if change.action == Action.RENAME:
        assert change.old_key is not None
        old = KINDS[change.kind].key_text(change.old_key)
        return f"{symbol} {change.label} (renamed from {old})"
    if change.action == Action.CANNOT:
        return f"{symbol} {change.label}: cannot: {change.reason}"
    return f"{symbol} {change.label}"


# ---- text ---------------------------------------------------------------------------


def render_text(plan: Plan, target: str, colour: bool | None = None) -> str:
    lines = [f"pbxconf plan for {target}", ""]
    if not plan.changes:
        lines.append("  No changes: the PBX matches the manifests.")
    for change in plan.changes:
        head = _headline(change)
        lines.append(
            "  "
            + click.style(
                head,
                fg=COLOURS[change.action],
                bold=change.action in (Action.DELETE, Action.CANNOT),
            )
        )
        for fchange in change.fields:
            lines.append("      " + field_line(fchange, change.action))
    lines += ["", plan.summary()]
    if plan.unmanaged:
        lines.append(_unmanaged_line(plan.unmanaged))
    if plan.protected:
        lines.append("Kept, protected from pruning: " + ", ".join(plan.protected) + ".")
    if plan.manual:
        lines.append(click.style(MANUAL_HEADING, fg="yellow"))
        lines += [f"  - {step}" for step in plan.manual]
    if plan.skipped:
        lines.append(
            click.style(
                "Skipped (--skip-unreachable); do these by hand in the PBX's web page, then apply "
                "again:",
                fg="yellow",
            )
        )
        lines += [f"  - {item}" for item in plan.skipped]
    for warning in plan.warnings:
        lines.append(click.style(f"Warning: {warning}", fg="yellow"))
    if plan.errors:
        lines += ["", click.style("This plan cannot be applied:", fg="red", bold=True)]
        lines += [f"  - {error}" for error in plan.errors]
    text = "\n".join(lines) + "\n"
    return text if colour else click.unstyle(text)


def render_calls(calls: list[ApiCall]) -> str:
    """`apply --dry-run`: the exact calls, secrets masked."""
    lines = [
        f"{i}. POST /api/v1.1.0/{call.endpoint}\n   "
        + json.dumps(call.masked_body(), ensure_ascii=False, sort_keys=True)
        for i, call in enumerate(calls, 1)
    ]
    return "\n".join(lines) + ("\n" if lines else "")


# ---- JSON ---------------------------------------------------------------------------


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
        skipped=plan.skipped,
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
    model = plan_to_json_model(plan, target)
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def plan_output_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **JsonPlan.model_json_schema(),
    }


# ---- Markdown -----------------------------------------------------------------------


def _unmanaged_line(unmanaged: dict[str, int]) -> str:
    """What the PBX holds beyond the manifests, and what --prune can do about it: the API
    deletes trunks, routes and wake-up calls, but not extensions, IVRs or queues."""
    counts = ", ".join(
        f"{n} {KINDS.section(section).name if n == 1 else section}"
        for section, n in unmanaged.items()
    )
    deletable = [s for s in unmanaged if KINDS.section(s).can_delete]
    kept = [s for s in unmanaged if not KINDS.section(s).can_delete]
    advice = []
    if deletable:
        advice.append(f"--prune deletes the {_and(deletable)}")
    if kept:
        advice.append(f"the API cannot delete {_and(kept)}")
    said = "; ".join(advice)
    return f"Unmanaged (on the PBX, in no manifest): {counts}. {said[0].upper()}{said[1:]}."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def render_markdown(plan: Plan, target: str) -> str:
    """For a pull-request comment. Names come from manifests and the PBX, so anything in
    them that Markdown reads (`|` in a table, a backtick, `<details>`...) is escaped."""
    lines = [f"### pbxconf plan for {_md_code(target)}", "", f"**{plan.summary()}**", ""]
    if plan.changes:
        lines += ["| | object | change |", "|---|---|---|"]
        for change in plan.changes:
            what = str(change.action)
            if change.action == Action.CANNOT:
                what = f"cannot: {change.reason}"
            symbol, label = _md_code(change.action.symbol), _md_code(change.label, cell=True)
            lines.append(f"| {symbol} | {label} | {_md_text(what)} |")
        body = []
        for change in plan.changes:
            body.append(_headline(change))
            body += ["    " + field_line(f, change.action) for f in change.fields]
        fence = "`" * max(3, _longest_backtick_run("\n".join(body)) + 1)
        lines += ["", "<details><summary>Details</summary>", "", fence + "diff", *body, fence]
        lines += ["", "</details>"]
    else:
        lines.append("No changes: the PBX matches the manifests.")
    if plan.manual:
        lines += ["", f"**{_md_text(MANUAL_HEADING)}**", ""]
        lines += [f"- {_md_text(str(step))}" for step in plan.manual]
    if plan.warnings:
        lines += [""] + [f"> **Warning:** {_md_text(w)}" for w in plan.warnings]
    if plan.errors:
        lines += ["", "**This plan cannot be applied:**", ""]
        lines += [f"- {_md_text(str(e))}" for e in plan.errors]
    return "\n".join(lines) + "\n"


_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md_text(text: str) -> str:
    """Plain text in Markdown: every character it could read as markup, backslashed."""
    return _MD_PUNCTUATION.sub(r"\\\1", text)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _md_code(text: str, cell: bool = False) -> str:
    """Text as inline code whatever backticks it holds (a longer fence; CommonMark), with
    `|` escaped in a table cell (GitHub splits cells on it even inside code)."""
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    code = f"{fence}{pad}{text}{pad}{fence}"
    return code.replace("|", "\\|") if cell else code
