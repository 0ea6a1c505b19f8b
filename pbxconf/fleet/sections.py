"""What a fleet run prints of each PBX: its section in the text output (its plan, as
`pbxconf plan` prints one), its entry in the JSON document, and its body in the
Markdown comment; and the same for a PBX that failed, with the reason and, for
manifests, every error at its file:line:col."""

from __future__ import annotations

import hashlib

from pbxconf.errors import PbxconfError
from pbxconf.fleet.inventory import Member
from pbxconf.manifest import ManifestErrors
from pbxconf.plan import Action, Plan
from pbxconf.redact import without_userinfo
from pbxconf.render.json_plan import JsonProblem, JsonSummary
from pbxconf.render.markdown import markdown_body, md_text

# A PBX's plan body in a fleet's comment: a few large plans fit, and the rest shorter.
MARKDOWN_LIMIT = 16_000


def target_of(member: Member) -> str:
    """How a fleet's output names a PBX: `lisbon (https://pbx-lisbon.example.com)`."""
    where = without_userinfo(member.url) if member.url else "not in the inventory"
    return f"{member.name} ({where})"


def counts(plan: Plan) -> dict[str, int]:
    return {action.value: plan.count(action) for action in Action}


def json_summary(plan: Plan) -> JsonSummary:
    return JsonSummary(**counts(plan), unmanaged=plan.unmanaged)


def changes_text(counts: dict[str, int]) -> str:
    """`2 to create, 1 to update`, or `none`."""
    parts = [
        f"{n} cannot" if action == "cannot" else f"{n} to {action}"
        for action, n in counts.items()
        if n
    ]
    return ", ".join(parts) or "none"


def one_line(err: PbxconfError) -> str:
    """A failure in the summary table: its summary, on one line."""
    return " ".join(err.summary.split())


def problems(err: PbxconfError) -> list[JsonProblem]:
    if isinstance(err, ManifestErrors):
        return [
            JsonProblem(
                message=e.message,
                file=e.position.file if e.position else None,
                line=e.position.line if e.position else None,
                col=e.position.col if e.position else None,
                path=e.path or None,
            )
            for e in err.errors
        ]
    return [JsonProblem(message=err.summary)]


def failure_text(verb: str, member: Member, err: PbxconfError) -> str:
    lines = [f"pbxconf {verb} for {target_of(member)}", "", f"  Failed: {err.summary}"]
    lines += [f"    {line}" for line in err.details()]
    return "\n".join(lines) + "\n"


def failure_markdown(err: PbxconfError) -> list[str]:
    lines = [f"**Failed: {md_text(err.summary)}**"]
    details = err.details()
    if details:
        lines += [""] + [f"- {md_text(line)}" for line in details[:50]]
        if len(details) > 50:
            lines.append(f"- _{len(details) - 50} more_")
    return lines


def plan_markdown(plan: Plan) -> tuple[list[str], list[str]]:
    """A plan's Markdown body in full (within MARKDOWN_LIMIT), and without its details,
    for a comment that has no room left for them."""
    return markdown_body(plan, limit=MARKDOWN_LIMIT), markdown_body(plan, limit=0)


def digest(lines: list[str]) -> str:
    """PBXes whose bodies are the same are one group in the Markdown."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]
