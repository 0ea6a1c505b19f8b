"""A plan's changes in a safe order, and the API calls that carry them out.

Order comes from references: an object is written after what it references and deleted
before what it references; a rename comes before whatever names the new name. A kind's
deletes go in one comma-list call, and so do the creates of a kind that batches them
(wake-up calls with the same settings, for many extensions): each batch is one node of
the ordering graph, so a batched call never jumps a dependency.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pbxconf.kinds import KINDS, Key
from pbxconf.plan.model import Action, Change, Plan, PlanProblem, Step
from pbxconf.state import State

# (kind, key) -> the object as it will be after the plan.
Merged = dict[tuple[str, Key], Any]
Node = tuple[Any, ...]


def _batch(change: Change) -> Node | None:
    """The batch a change goes in (one call for many changes), or None."""
    if change.action == Action.DELETE or (
        change.action == Action.CREATE and KINDS[change.kind].batches_creates
    ):
        return (change.action, change.kind)
    return None


def order_changes(plan: Plan, merged: Merged, live: State) -> list[Change]:
    """The plan's changes in a safe order; a cycle is reported in `plan.errors`."""
    changes = plan.changes
    node_of: list[Node] = [_batch(c) or ("one", i) for i, c in enumerate(changes)]
    members: dict[Node, list[int]] = defaultdict(list)
    for i, node in enumerate(node_of):
        members[node].append(i)
    writes = {c.ident: i for i, c in enumerate(changes) if c.action.writes}
    deletes = {c.ident: i for i, c in enumerate(changes) if c.action == Action.DELETE}
    by_old_key = {(c.kind, c.old_key): i for i, c in enumerate(changes) if c.old_key}
    after: dict[Node, set[Node]] = defaultdict(set)

    def must_precede(first: int, then: int) -> None:
        if node_of[first] != node_of[then]:
            after[node_of[then]].add(node_of[first])

    for i, change in enumerate(changes):
        if change.action.writes:
            obj = merged.get(change.ident)
            for ref in KINDS[change.kind].refs(obj) if obj is not None else []:
                j = writes.get((ref.kind, ref.key))
                if j is not None:
                    must_precede(j, i)  # written after what it references
            if change.action == Action.CREATE and change.ident in by_old_key:
                must_precede(by_old_key[change.ident], i)  # the name is freed first
        # Whatever stops referencing a doomed object goes before its delete.
        live_obj = live.get(change.kind, change.old_key or change.key)
        if live_obj is not None and change.action != Action.CANNOT:
            for ref in KINDS[change.kind].refs(live_obj):
                j = deletes.get((ref.kind, ref.key))
                if j is not None:
                    must_precede(i, j)
    order = _topological(list(members), after, changes, members, plan)
    return [changes[i] for node in order for i in members[node]]


def steps_for(ordered: list[Change], merged: Merged, live: State) -> list[Step]:
    """Calls for the ordered changes, a batch's changes in one step."""
    steps: list[Step] = []
    batches: dict[Node, Step] = {}
    for change in ordered:
        if change.action == Action.CANNOT:
            continue
        kind = KINDS[change.kind]
        batch = _batch(change)
        if batch is not None:
            step = batches.get(batch)
            if step is None:
                step = batches[batch] = Step([], [])
                steps.append(step)
            step.changes.append(change)
        elif change.action == Action.CREATE:
            steps.append(Step([change], kind.create_calls([merged[change.ident]])))
        else:
            old = change.old_key or change.key
            changed = [f.field for f in change.fields]
            if change.action == Action.RENAME:
                changed += list(kind.key_fields)
            call = kind.update_call(
                old,
                live.ids[change.kind].get(old),
                live.get(change.kind, old),
                merged[change.ident],
                changed,
            )
            steps.append(Step([change], [call]))
    for (action, kind_name), step in batches.items():
        kind = KINDS[kind_name]
        if action == Action.DELETE:
            step.calls = kind.delete_calls(
                [(c.key, live.ids[kind_name].get(c.key)) for c in step.changes]
            )
        else:
            step.calls = kind.create_calls([merged[c.ident] for c in step.changes])
    return steps


def _topological(
    nodes: list[Node],
    after: dict[Node, set[Node]],
    changes: list[Change],
    members: dict[Node, list[int]],
    plan: Plan,
) -> list[Node]:
    """Stable order: among nodes that are ready, the first in plan order goes first;
    deletes before the rest, since they free names and trunks for what follows."""
    done: set[Node] = set()
    ordered: list[Node] = []
    remaining = list(nodes)
    while remaining:
        ready = [n for n in remaining if after[n] <= done]
        if not ready:
            cycle = ", ".join(changes[i].label for n in remaining for i in members[n])
            plan.errors.append(PlanProblem(f"the changes reference each other in a cycle: {cycle}"))
            return ordered + remaining
        ready.sort(key=lambda n: (changes[members[n][0]].action != Action.DELETE, members[n][0]))
        first = ready[0]
        done.add(first)
        remaining.remove(first)
        ordered.append(first)
    return ordered
