"""A plan as text, for a terminal or a CI log."""

from __future__ import annotations

import json

import click

from pbxconf.kinds import ApiCall
from pbxconf.plan import Action, CannotDo, Plan
from pbxconf.render.common import (
    MANUAL_HEADING,
    SKIPPED_HEADING,
    cannot_lines,
    field_line,
    headline,
    skipped_lines,
    unmanaged_line,
)
from pbxconf.text import printable

COLOURS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.RENAME: "cyan",
    Action.DELETE: "red",
    Action.CANNOT: "red",
}


def render_text(plan: Plan, target: str, colour: bool | None = None) -> str:
    lines = [f"pbxconf plan for {target}", ""]
    if not plan.changes:
        lines.append("  No changes: the PBX matches the manifests.")
    for change in plan.changes:
        if change.action == Action.CANNOT:
            continue  # said once per reason, below
        bold = change.action == Action.DELETE
        lines.append("  " + click.style(headline(change), fg=COLOURS[change.action], bold=bold))
        for fchange in change.fields:
            lines.append("      " + field_line(fchange, change.action))
    for line in cannot_lines(plan):
        lines.append("  " + click.style(f"! {line}", fg="red", bold=True))
    lines += ["", plan.summary()]
    if plan.unmanaged:
        lines.append(unmanaged_line(plan.unmanaged))
    if plan.protected:
        lines.append("Kept, protected from pruning: " + ", ".join(plan.protected) + ".")
    if plan.manual:
        lines.append(click.style(MANUAL_HEADING, fg="yellow"))
        lines += [f"  - {step}" for step in plan.manual]
    if plan.skipped:
        lines.append(click.style(SKIPPED_HEADING, fg="yellow"))
        lines += [f"  - {item}" for item in skipped_lines(plan)]
    for warning in plan.warnings:
        lines.append(click.style(f"Warning: {warning}", fg="yellow"))
    if plan.errors:
        lines += ["", click.style("This plan cannot be applied:", fg="red", bold=True)]
        lines += [f"  - {error}" for error in plan.errors if not isinstance(error, CannotDo)]
        cannots = sum(isinstance(error, CannotDo) for error in plan.errors)
        if cannots:  # their reasons are the `!` lines above: said once
            lines.append(f"  - {cannots} cannot be done: the `!` lines above say why")
    text = "\n".join(lines) + "\n"
    return text if colour else click.unstyle(text)


def render_calls(calls: list[ApiCall]) -> str:
    """`apply --dry-run`: the exact calls, secrets masked."""
    lines = [
        f"{i}. POST /api/v1.1.0/{call.endpoint}\n   "
        + printable(json.dumps(call.masked_body(), ensure_ascii=False, sort_keys=True))
        for i, call in enumerate(calls, 1)
    ]
    return "\n".join(lines) + ("\n" if lines else "")
