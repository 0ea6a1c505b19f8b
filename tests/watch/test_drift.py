"""Each thing told once: drift that is new or changed, drift that is over, unmanaged
objects that come and go."""

from __future__ import annotations

from pbxconf.plan import Action, Change, FieldChange
from pbxconf.watch.drift import DriftTracker, everything


def name_change(live: str) -> Change:
    return Change(Action.UPDATE, "extension", ("1001",), fields=[FieldChange("name", live, "A")])


def told(tracker: DriftTracker, changes: list[Change], unmanaged: set) -> list[tuple]:
    events = tracker.reconcile(everything, changes, unmanaged, "report", lambda kind: False)
    return [(e.event, e.key, e.extra.get("operation")) for e in events]


def test_drift_is_told_once_until_it_changes_or_ends() -> None:
    tracker = DriftTracker()
    assert told(tracker, [name_change("B")], set()) == [("drift", ("1001",), None)]
    assert told(tracker, [name_change("B")], set()) == []  # a duplicate, a late report
    assert told(tracker, [name_change("C")], set()) == [("drift", ("1001",), None)]
    assert told(tracker, [], set()) == [("resolved", ("1001",), None)]
    assert told(tracker, [], set()) == []


def test_unmanaged_objects_are_news_after_the_baseline_only() -> None:
    tracker = DriftTracker()
    baseline = {("trunk", ("old",))}
    assert told(tracker, [], baseline) == []
    assert told(tracker, [], baseline | {("trunk", ("new",))}) == [("unmanaged", ("new",), "add")]
    assert told(tracker, [], {("trunk", ("new",))}) == [("unmanaged", ("old",), "del")]


def test_a_check_of_some_objects_says_nothing_of_the_others() -> None:
    tracker = DriftTracker()
    told(tracker, [name_change("B")], {("trunk", ("web",))})
    only_trunks = tracker.reconcile(
        lambda ident: ident[0] == "trunk", [], set(), "report", lambda kind: False
    )
    assert [(e.event, e.key) for e in only_trunks] == [("unmanaged", ("web",))]
    assert tracker.known  # the extension's drift stands
