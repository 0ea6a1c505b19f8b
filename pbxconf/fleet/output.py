"""A fleet run's output: every PBX's section, in the inventory's order, then one summary
table (PBX, changes, result); as text, one JSON document, or one Markdown comment that
groups the PBXes whose plans are the same and keeps under GitHub's comment limit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pbxconf import __version__
from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.documents import FLEET_FORMAT_VERSION, document_lines
from pbxconf.fleet.runner import Outcome, Spool
from pbxconf.fleet.sections import changes_text
from pbxconf.render.markdown import BUDGET, COMMENT_LIMIT, MARKER, md_code, md_text

Echo = Callable[[str], None]

RESULT_WORDS = {
    "changes": "changes",
    "no-changes": "no changes",
    "applied": "applied",
    "nothing-to-do": "nothing to do",
    "dry-run": "dry run",
    "exported": "exported",
    "not-run": "not run",
    "refused": "refused",
    "failed": "failed",
}


@dataclass(frozen=True)
class Row:
    name: str
    changes: str
    result: str


def rows(outcomes: Sequence[Outcome]) -> list[Row]:
    out = []
    for outcome in outcomes:
        changes = changes_text(outcome.counts) if outcome.counts else ""
        result = RESULT_WORDS[outcome.result]
        if outcome.result == "applied":
            result += f" ({outcome.calls} call(s))"
        if outcome.canary:
            result += ", canary"
        if outcome.message:
            result += f": {outcome.message}"
        out.append(Row(outcome.name, changes, result))
    return out


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows (the first is the header) as aligned text: a CI log's columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    ]


def tally(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for outcome in outcomes:
        counted[outcome.result] = counted.get(outcome.result, 0) + 1
    return counted


# How the headline counts PBXes: `2 with changes, 1 without changes, 1 failed`.
HEADLINE_WORDS = {**RESULT_WORDS, "changes": "with changes", "no-changes": "without changes"}


def headline(verb: str, run: FleetRun, outcomes: Sequence[Outcome]) -> str:
    counted = tally(outcomes)
    shard = (
        f" (shard {run.selection.shard} of {run.selected} selected)" if run.selection.shard else ""
    )
    parts = [
        f"{n} {HEADLINE_WORDS[result]}"
        for result, n in sorted(counted.items(), key=lambda item: _ORDER.index(item[0]))
    ]
    return f"Fleet {verb}: {len(run.members)} PBX(es){shard}: " + ", ".join(parts) + "."


_ORDER = list(RESULT_WORDS)


def write_text(
    echo: Echo,
    spool: Spool,
    run: FleetRun,
    outcomes: Sequence[Outcome],
    verb: str,
) -> None:
    for _index, text in spool.each("text", len(run.members)):
        echo(text + "\n")
    cells = [("PBX", "CHANGES", "RESULT"), *((r.name, r.changes, r.result) for r in rows(outcomes))]
    lines = [headline(verb, run, outcomes), "", *table(cells)]
    echo("\n".join(lines) + "\n")


def write_json(
    echo: Echo,
    spool: Spool,
    run: FleetRun,
    outcomes: Sequence[Outcome],
    kind: str,
    tail: dict[str, object],
) -> None:
    head = {
        "format": f"pbxconf-fleet-{kind}",
        "format_version": FLEET_FORMAT_VERSION,
        "pbxconf_version": __version__,
        "inventory": str(run.inventory.path),
        "selection": run.selection.describe(),
    }
    entries = (text for _index, text in spool.each("json", len(run.members)))
    for piece in document_lines(head, entries, tail):
        echo(piece)


def plan_summary(run: FleetRun, outcomes: Sequence[Outcome]) -> dict[str, object]:
    counted = tally(outcomes)
    return {
        "pbxes": len(run.members),
        "selected": run.selected,
        "changes": counted.get("changes", 0),
        "no_changes": counted.get("no-changes", 0),
        "failed": counted.get("failed", 0),
    }


# ---- Markdown: one comment for the fleet ----------------------------------------------

# Names listed in a row of the Markdown table, and rows shown, before "and N more".
NAMES_SHOWN = 12
ROWS_SHOWN = 60


@dataclass
class _Group:
    indexes: list[int]
    outcome: Outcome


def write_markdown(
    echo: Echo,
    spool: Spool,
    run: FleetRun,
    outcomes: Sequence[Outcome],
    limit: int = BUDGET,
) -> None:
    echo(markdown_document(spool, run, outcomes, limit))


def markdown_document(
    spool: Spool, run: FleetRun, outcomes: Sequence[Outcome], limit: int = BUDGET
) -> str:
    """The comment: the summary, a table with one row per group of PBXes whose plans are
    the same, then each group's plan (the same for all of them) as far as room allows."""
    groups = _groups(outcomes)
    head = [
        MARKER,
        f"### pbxconf plan for {len(run.members)} PBX(es) ({md_code(run.selection.describe())})",
        "",
        f"**{md_text(headline('plan', run, outcomes))}**",
        "",
        "| PBX | changes | result |",
        "|---|---|---|",
    ]
    for group in groups[:ROWS_SHOWN]:
        head.append(_row(run, group))
    if len(groups) > ROWS_SHOWN:
        more = sum(len(g.indexes) for g in groups[ROWS_SHOWN:])
        head.append(f"| _{len(groups) - ROWS_SHOWN} more rows ({more} PBXes)_ | | |")
    text = "\n".join(head) + "\n"
    room = limit - len(text) - 600  # the closing note
    cut = 0
    for group in groups:
        if group.outcome.result == "no-changes":
            continue
        section = _details(spool, run, group, room)
        if section is None:
            cut += 1
            continue
        text += section
        room -= len(section)
    if cut:
        text += (
            f"\n_{cut} group(s) of PBXes are not shown in detail: this comment keeps under "
            f"GitHub's {COMMENT_LIMIT:,}-character limit. Each PBX's whole plan: "
            "`pbxconf plan --pbx NAME --format markdown`, or `--format json`._\n"
        )
    return text


def _groups(outcomes: Sequence[Outcome]) -> list[_Group]:
    """PBXes with the same plan (or the same failure) together, in order of the first;
    every PBX without changes in one group."""
    found: dict[str, _Group] = {}
    for index, outcome in enumerate(outcomes):
        key = "no-changes" if outcome.result == "no-changes" else outcome.group or str(index)
        group = found.setdefault(key, _Group([], outcome))
        group.indexes.append(index)
    return list(found.values())


def _names(run: FleetRun, indexes: list[int]) -> str:
    names = [md_code(run.members[i].name, cell=True) for i in indexes[:NAMES_SHOWN]]
    more = len(indexes) - NAMES_SHOWN
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _row(run: FleetRun, group: _Group) -> str:
    outcome = group.outcome
    changes = changes_text(outcome.counts) if outcome.counts else ""
    result = RESULT_WORDS[outcome.result]
    if outcome.result == "failed" and outcome.message:
        result += f": {outcome.message[:200]}"
    count = f" ({len(group.indexes)})" if len(group.indexes) > 1 else ""
    return f"| {_names(run, group.indexes)}{count} | {changes} | {md_text(result)} |"


def _details(spool: Spool, run: FleetRun, group: _Group, room: int) -> str | None:
    """A group's plan in a <details> block, in full or shortened to what fits; None when
    not even the short one does."""
    first = group.indexes[0]
    names = ", ".join(run.members[i].name for i in group.indexes[:NAMES_SHOWN])
    if len(group.indexes) > NAMES_SHOWN:
        names += f" and {len(group.indexes) - NAMES_SHOWN} more"
    summary = f"<details><summary>{md_text(names)}: {RESULT_WORDS[group.outcome.result]}</summary>"
    for channel in ("markdown", "markdown-short"):
        body = spool.get(channel, first)
        if body is None:
            continue
        section = f"\n{summary}\n\n{body}\n\n</details>\n"
        if len(section) <= room:
            return section
    return None
