"""A fleet's plan as one pull-request comment: PBXes with the same plan grouped, and
never over GitHub's limit, however many PBXes and changes."""

from __future__ import annotations

from pathlib import Path

from pbxconf.fleet.context import FleetRun
from pbxconf.fleet.inventory import Inventory
from pbxconf.fleet.output import markdown_document
from pbxconf.fleet.plan import PlanJob
from pbxconf.fleet.runner import Spool
from pbxconf.fleet.selection import Selection
from pbxconf.plan import Action, Change, FieldChange, Plan, PlanOptions
from pbxconf.render.markdown import COMMENT_LIMIT
from tests.fleet.test_selection import member


def plan(changes: int, label: str) -> Plan:
    return Plan(
        changes=[
            Change(
                Action.UPDATE,
                "extension",
                (str(1000 + i),),
                fields=[FieldChange("name", f"Extension {i}", f"{label} room {i} " + "x" * 40)],
            )
            for i in range(changes)
        ]
    )


def document(plans: list[Plan]) -> str:
    members = [member(f"hotel-{i:04d}") for i in range(len(plans))]
    run = FleetRun(Inventory(Path("pbxconf.yaml"), members), Selection(everything=True),
                   members, len(members), env={})  # fmt: skip
    with Spool() as spool:
        job = PlanJob(run, PlanOptions(), "markdown", spool)
        outcomes = [
            job.planned(i, m, p) for i, (m, p) in enumerate(zip(members, plans, strict=True))
        ]
        return markdown_document(spool, run, outcomes)


def test_the_same_plan_is_shown_once_for_its_pbxes() -> None:
    text = document([plan(3, "same")] * 40 + [Plan()] * 60)
    assert text.count("<details><summary>hotel-0000, hotel-0001") == 1
    assert "| `hotel-0000`, `hotel-0001`" in text and "and 28 more (40) | 3 to update |" in text
    assert "and 48 more (60) | none | no changes |" in text


def test_a_thousand_different_plans_fit_one_comment() -> None:
    text = document([plan(200, f"site{i}") for i in range(1000)])
    assert len(text) <= COMMENT_LIMIT - 2_000
    assert "_940 more rows (940 PBXes)_" in text
    assert "group(s) of PBXes are not shown in detail" in text
    assert text.count("<details><summary>hotel-") >= 3
