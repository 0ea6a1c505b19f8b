"""A plan as Markdown, for a pull-request comment.

It fits one comment: GitHub refuses a comment over 65,536 characters, so the summary,
the errors (each reason once, with its objects' numbers) and the steps come first, and
the per-change details are cut where the limit is, with a note saying how to get the
whole plan. It starts with a stable marker, so a workflow updates its one comment
instead of adding another. Names come from manifests and the PBX: anything in them that
Markdown reads (`|` in a table, a backtick, `<details>`...) is escaped.
"""

from __future__ import annotations

import re

from pbxconf.kinds import KINDS
from pbxconf.plan import Action, Plan
from pbxconf.render.common import (
    MANUAL_HEADING,
    SKIPPED_HEADING,
    error_lines,
    field_line,
    headline,
    skipped_lines,
    unmanaged_line,
)
from pbxconf.text import printable

# What a workflow finds its own comment by.
MARKER = "<!-- pbxconf-plan -->"
# GitHub's limit on a comment, less room for what a workflow adds around the plan.
COMMENT_LIMIT = 65_536
BUDGET = COMMENT_LIMIT - 2_000


def render_markdown(plan: Plan, target: str, *, limit: int = BUDGET) -> str:
    head = [MARKER, f"### pbxconf plan for {md_code(target)}", ""]
    body = markdown_body(plan, limit=limit - len("\n".join(head)) - 1)
    return "\n".join(head + body) + "\n"


def markdown_body(plan: Plan, *, limit: int) -> list[str]:
    """A plan's lines below its heading (a fleet's comment shows many), in `limit`
    characters: the summary, the errors and steps, then the details that fit."""
    head = [f"**{plan.summary()}**", *_kind_table(plan)]
    tail = _problems_and_steps(plan)
    if not plan.changes:
        head += ["", "No changes: the PBX matches the manifests."]
    budget = limit - len("\n".join(head + tail)) - 400  # the note and the fences
    return head + tail + _details(plan, budget)


def render_markdown_failure(target: str, summary: str, problems: list[str]) -> str:
    """No plan could be made: the comment says why and where, instead of being empty."""
    lines = [
        MARKER,
        f"### pbxconf plan for {md_code(target)}",
        "",
        f"**No plan: {md_text(summary)}**",
    ]
    if problems:
        lines += [""] + [f"- {md_text(problem)}" for problem in problems[:200]]
        if len(problems) > 200:
            lines.append(f"- _{len(problems) - 200} more_")
    return "\n".join(lines) + "\n"


def _kind_table(plan: Plan) -> list[str]:
    """How many changes of each action, per kind."""
    actions = list(Action)
    rows = []
    for kind in KINDS.values():
        counts = [
            sum(1 for c in plan.changes if c.kind == kind.name and c.action == a) for a in actions
        ]
        if any(counts):
            rows.append(f"| {kind.section} | " + " | ".join(str(n or "") for n in counts) + " |")
    if not rows:
        return []
    header = "| kind | " + " | ".join(f"{md_code(a.symbol)} {a}" for a in actions) + " |"
    return ["", header, "|---|" + "---:|" * len(actions), *rows]


def _problems_and_steps(plan: Plan) -> list[str]:
    lines: list[str] = []
    if plan.errors:
        lines += ["", "**This plan cannot be applied:**", ""]
        lines += [f"- {md_text(line)}" for line in error_lines(plan)]
    if plan.manual:
        lines += ["", f"**{md_text(MANUAL_HEADING)}**", ""]
        lines += [f"- {md_text(str(step))}" for step in plan.manual]
    if plan.skipped:
        lines += ["", f"**{md_text(SKIPPED_HEADING)}**", ""]
        lines += [f"- {md_text(line)}" for line in skipped_lines(plan)]
    if plan.unmanaged:
        lines += ["", md_text(unmanaged_line(plan.unmanaged))]
    if plan.protected:
        lines += ["", md_text("Kept, protected from pruning: " + ", ".join(plan.protected) + ".")]
    if plan.warnings:
        lines += [""] + [f"> **Warning:** {md_text(w)}" for w in plan.warnings]
    return lines


def _details(plan: Plan, budget: int) -> list[str]:
    """The changes one by one (a table, then a diff of their fields), as many as fit."""
    changes = [c for c in plan.changes if c.action != Action.CANNOT]  # those: errors above
    if not changes:
        return []
    rows: list[str] = []
    body: list[str] = []
    used = shown = 0
    for change in changes:
        what = str(change.action)
        row = f"| {md_code(change.action.symbol)} | {md_code(change.label, cell=True)} | {what} |"
        lines = [headline(change)] + ["    " + field_line(f, change.action) for f in change.fields]
        cost = len(row) + sum(len(line) + 1 for line in lines) + 1
        if used + cost > budget:
            break
        rows.append(row)
        body += lines
        used += cost
        shown += 1
    out = ["", f"<details><summary>Changes ({len(changes)})</summary>", ""]
    if rows:
        out += ["| | object | change |", "|---|---|---|", *rows]
    fence = "`" * max(3, _longest_backtick_run("\n".join(body)) + 1)
    out += ["", fence + "diff", *body, fence]
    if shown < len(changes):
        out += [
            "",
            f"_{len(changes) - shown} more changes are not shown: this comment keeps under "
            f"GitHub's {COMMENT_LIMIT:,}-character limit. The whole plan: "
            "`pbxconf plan ...` (text) or `pbxconf plan ... --format json`._",
        ]
    return [*out, "", "</details>"]


_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_text(text: str) -> str:
    """Plain text in Markdown: every character it could read as markup, backslashed."""
    return _MD_PUNCTUATION.sub(r"\\\1", printable(text))


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def md_code(text: str, cell: bool = False) -> str:
    """Text as inline code whatever backticks it holds (a longer fence; CommonMark), with
    `|` escaped in a table cell (GitHub splits cells on it even inside code)."""
    text = printable(text)
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    code = f"{fence}{pad}{text}{pad}{fence}"
    return code.replace("|", "\\|") if cell else code
