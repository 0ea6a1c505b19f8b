"""The planner and applier against the in-process simulator: every kind's create, update,
rename, delete and cannot; ordering; batching; safety; targets; protection."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from pbxconf import manifest
from pbxconf.apply import ApplyResult, run_steps, verify
from pbxconf.live import read_live
from pbxconf.manifest import Desired
from pbxconf.plan import Plan, PlanOptions, make_plan, parse_target
from pbxconf.sim import Simulator
from tests.conftest import sim_client

pytestmark = pytest.mark.anyio

HEAD = "version: 1\nexternal: {extensions: ['1000-1019'], ivrs: ['6500'], queues: ['6700']}\n"
PEER = "type: peer, host: h, port: 5060, domain: d"


def desired(tmp_path: Path, text: str) -> Desired:
    (tmp_path / "pbx.yaml").write_text(HEAD + dedent(text), encoding="utf-8")
    return manifest.load([tmp_path], env={})


class Run:
    def __init__(self, plan: Plan, result: ApplyResult, left: Plan) -> None:
        self.plan, self.result, self.left = plan, result, left

    @property
    def endpoints(self) -> list[str]:
        return [call.endpoint for call in self.plan.calls]

    @property
    def actions(self) -> list[tuple[str, str]]:
        return [(c.action, c.label) for c in self.plan.changes]


async def converge(sim: Simulator, want: Desired, **options: object) -> Run:
    """Plan, apply, and plan again, as `pbxconf apply` does."""
    opts = PlanOptions(**options)  # type: ignore[arg-type]
    async with sim_client(sim) as pbx:
        plan = make_plan(want, await read_live(pbx), opts)
        if plan.errors:
            return Run(plan, ApplyResult(), plan)
        result = await run_steps(pbx, plan)
        left = await verify(pbx, want, opts)
    return Run(plan, result, left)


async def plan_only(sim: Simulator, want: Desired, **options: object) -> Plan:
    async with sim_client(sim) as pbx:
        return make_plan(want, await read_live(pbx), PlanOptions(**options))  # type: ignore[arg-type]


# ---- per kind -----------------------------------------------------------------------


async def test_extension_update_only_touches_declared_fields(
    tmp_path: Path, sim: Simulator
) -> None:
    want = desired(
        tmp_path,
        """
        extensions:
          - number: 1000
            name: Reception
            ring_timeout: 60
            voicemail: {pin: "4321"}
            busy_forward: {enabled: true, to: extension, extension: 1001}
    """,
    )
    run = await converge(sim, want)
    assert run.actions == [("update", "extensions[number=1000]")]
    (change,) = run.plan.changes
    # The PBX answers no `btransferext` while busy forwarding goes to voicemail (as the
    # manual's example does): the target is unknown, not a change; it is sent with `to`.
    assert [f.field for f in change.fields] == [
        "busy_forward.to",
        "name",
        "ring_timeout",
        "voicemail.pin",
    ]
    assert run.plan.calls[0].body == {
        "extid": "1000",
        "username": "Reception",
        "ringtimeout": "60",
        "vmsecret": "4321",
        # the forwarding group travels whole, as the PBX holds it, so the PBX checks a
        # consistent target; the update table spells the destination `btransfertto`
        "busyforward": "on",
        "btransfertto": "Extension",
        "btransferext": "1001",
        "btransferprefix": "",
    }
    assert run.left.changes == [] and run.result.ok
    ext = sim.state.extensions["1000"]
    assert (ext["username"], ext["busyforward"], ext["email"]) == ("Reception", "on", "")


async def test_extension_user_password_compares_by_md5(tmp_path: Path, sim: Simulator) -> None:
    want = desired(tmp_path, "extensions: [{number: 1000, user_password: s3cret}]\n")
    run = await converge(sim, want)
    assert run.endpoints == ["extension/update"]
    assert run.left.changes == []  # the PBX answers md5(s3cret), which matches


async def test_extension_renumber_and_cannot(tmp_path: Path, sim: Simulator) -> None:
    want = desired(
        tmp_path,
        """
        extensions:
          - {number: 2019, renamed_from: 1019, name: Moved}
          - {number: 1500, name: Nobody}
    """,
    )
    plan = await plan_only(sim, want)
    assert [(c.action, c.label) for c in plan.changes] == [
        ("rename", "extensions[number=2019]"),
        ("cannot", "extensions[number=1500]"),
    ]
    assert plan.errors == [
        "extensions[number=1500]: extension 1500 is not on the PBX and the API cannot create "
        f"extensions: create it in the PBX's web page (or fix the number), then plan again "
        f"(declared at {tmp_path}/pbx.yaml:6:5)"
    ]
    want = desired(tmp_path, "extensions: [{number: 2019, renamed_from: 1019, name: Moved}]\n")
    run = await converge(sim, want)
    assert run.plan.calls[0].body == {"extid": "1019", "username": "Moved", "extnumber": "2019"}
    assert "2019" in sim.state.extensions and run.left.changes == []
    again = await converge(sim, want)  # renamed_from is history once the rename is done
    assert again.plan.changes == []


async def test_trunk_create_update_rename_delete(tmp_path: Path, sim: Simulator) -> None:
    run = await converge(
        sim, desired(tmp_path, f"trunks: [{{name: a, {PEER}}}, {{name: b, {PEER}}}]\n")
    )
    assert run.endpoints == ["siptrunk/add", "siptrunk/add"] and run.left.changes == []
    want = desired(
        tmp_path,
        f"""
        trunks:
          - {{name: a2, renamed_from: a, {PEER}}}
          - {{name: b, type: peer, host: h, port: 5080, domain: d}}
    """,
    )
    run = await converge(sim, want)
    assert run.actions == [("rename", "trunks[name=a2]"), ("update", "trunks[name=b]")]
    assert run.plan.calls[1].body["port"] == "5080" and run.plan.calls[1].body["id"] == "2"
    assert run.left.changes == []
    run = await converge(
        sim,
        desired(tmp_path, "trunks: [{name: b, type: peer, host: h, port: 5080, domain: d}]\n"),
        prune=True,
    )
    assert run.actions == [("delete", "trunks[name=a2]")]
    assert [t["trunkname"] for t in sim.state.trunks.values()] == ["b"]


async def test_trunk_type_change_sends_the_whole_new_object(tmp_path: Path, sim: Simulator) -> None:
    await converge(sim, desired(tmp_path, f"trunks: [{{name: t, {PEER}}}]\n"))
    run = await converge(
        sim,
        desired(
            tmp_path, "trunks: [{name: t, type: account, username: u, auth_name: u, password: p}]\n"
        ),
    )
    assert run.plan.calls[0].body == {
        "id": "1",
        "trunkname": "t",
        "trunktype": "account",
        "username": "u",
        "authname": "u",
        "password": "p",
        "extensionsdod": "",
        "extensionsgroupdod": "",
    }
    assert run.left.changes == []


async def test_unchanged_lists_of_groups_plan_nothing(tmp_path: Path, sim: Simulator) -> None:
    # DOD entries are models inside a list: the quick equal check cannot see them equal,
    # so the plan must fall back to comparing dumps, and still find nothing to do.
    text = f"""
        trunks:
          - {{name: t, {PEER}, dod: [{{number: "5501", name: b, extension: "1001"}},
                                   {{number: "5500", name: a, extension: "1000"}}]}}
    """
    run = await converge(sim, desired(tmp_path, text))
    assert run.endpoints == ["siptrunk/add"] and run.left.changes == []
    again = desired(tmp_path, text.replace('"5501"', '"5509"'))
    plan = await plan_only(sim, again)
    assert [(c.action, [f.field for f in c.fields]) for c in plan.changes] == [("update", ["dod"])]


async def test_ignored_fields_never_show_as_changes(tmp_path: Path, sim: Simulator) -> None:
    run = await converge(
        sim, desired(tmp_path, 'extensions: [{number: "1000", voicemail: {pin: "1234"}}]\n')
    )
    assert run.left.changes == []
    changed = 'extensions: [{number: "1000", name: Desk, voicemail: {pin: "9999"}}]\n'
    plan = await plan_only(sim, desired(tmp_path, changed))
    assert [[f.field for f in c.fields] for c in plan.changes] == [["name", "voicemail.pin"]]
    ignoring = "settings: {ignore_fields: {extensions: [voicemail.pin]}}\n" + changed
    plan = await plan_only(sim, desired(tmp_path, ignoring))
    assert [[f.field for f in c.fields] for c in plan.changes] == [["name"]]
    same = 'extensions: [{number: "1000", voicemail: {pin: "9999"}}]\n'
    plan = await plan_only(
        sim, desired(tmp_path, "settings: {ignore_fields: {extensions: [voicemail.pin]}}\n" + same)
    )
    assert plan.changes == []


def test_a_group_the_pbx_does_not_answer_is_unknown_not_a_change() -> None:
    # The manual's examples leave out keys whose value does not apply (a forward's
    # destination while it is off): such a field is unknown, and a plan that showed it
    # as changing would show it again after every apply.
    from pbxconf.kinds.extension import Extension
    from pbxconf.state import State

    live = State()
    live.add("extension", Extension(number="1000", name="a"))
    want = Desired()
    want.state.add("extension", Extension(number="1000", name="a", voicemail={"pin": "12"}))
    assert make_plan(want, live).changes == []
    want.state.add("extension", Extension(number="1000", name="b", voicemail={"pin": "12"}))
    assert [(c.action, [f.field for f in c.fields]) for c in make_plan(want, live).changes] == [
        ("update", ["name"])
    ]


ROUTES = f"""
    trunks: [{{name: carrier, {PEER}}}, {{name: backup, {PEER}}}]
    inbound_routes:
      - {{name: main, trunks: [carrier], destination: {{type: ivr, target: "6500"}}}}
    outbound_routes:
      - {{name: out, pattern: "9.", strip: 1, trunks: [backup, carrier], extensions: [1001, 1000]}}
"""


async def test_routes_are_written_after_their_trunks(tmp_path: Path, sim: Simulator) -> None:
    run = await converge(sim, desired(tmp_path, ROUTES))
    assert run.endpoints == ["siptrunk/add", "siptrunk/add", "outroute/add", "inroute/add"]
    assert run.left.changes == []
    assert sim.state.outroutes["1"]["trunks"] == "backup,carrier"  # failover order kept
    assert sim.state.outroutes["1"]["extensions"] == "1000,1001"


async def test_route_update_rename_and_trunk_order(tmp_path: Path, sim: Simulator) -> None:
    await converge(sim, desired(tmp_path, ROUTES))
    changed = (
        ROUTES.replace("name: out,", "name: out2, renamed_from: out,")
        .replace("[backup, carrier]", "[carrier, backup]")
        .replace('target: "6500"', 'target: "6700"')
    )
    changed = changed.replace("destination: {type: ivr", "destination: {type: queue")
    run = await converge(sim, desired(tmp_path, changed))
    assert run.actions == [
        ("rename", "outbound_routes[name=out2]"),
        ("update", "inbound_routes[name=main]"),
    ]
    assert [f.field for f in run.plan.changes[0].fields] == ["trunks"]
    assert run.left.changes == []
    assert sim.state.outroutes["1"]["name"] == "out2"


async def test_deletes_go_before_what_they_reference(tmp_path: Path, sim: Simulator) -> None:
    await converge(sim, desired(tmp_path, ROUTES))
    run = await converge(sim, desired(tmp_path, "ivrs: [{number: 6500}]\n"), prune=True)
    assert run.endpoints == ["outroute/delete", "inroute/delete", "siptrunk/delete"]
    assert run.plan.calls[-1].body == {"trunkname": "carrier,backup"}  # one batched call
    assert run.left.changes == [] and sim.state.trunks == {}


async def test_route_stops_using_a_trunk_before_it_is_deleted(
    tmp_path: Path, sim: Simulator
) -> None:
    await converge(sim, desired(tmp_path, ROUTES))
    only_carrier = ROUTES.replace(f", {{name: backup, {PEER}}}", "").replace(
        "[backup, carrier]", "[carrier]"
    )
    run = await converge(sim, desired(tmp_path, only_carrier), prune=True)
    assert run.endpoints == ["outroute/update", "siptrunk/delete"]
    assert run.result.ok and run.left.changes == []


async def test_ivr_and_queue_update_renumber_and_cannot(tmp_path: Path, sim: Simulator) -> None:
    want = desired(
        tmp_path,
        """
        ivrs: [{number: 6501, renamed_from: 6500, name: Main, prompt_repeat: 2}]
        queues:
          - number: 6700
            name: Sales
            agents: [1001, 1000]
            ring_strategy: least-recent
            failover: {action: voicemail, target: "1000"}
            breakout: {key: "0", action: ivr, target: "6501"}
    """,
    )
    run = await converge(sim, want)
    assert run.actions == [("rename", "ivrs[number=6501]"), ("update", "queues[number=6700]")]
    assert run.plan.calls[0].body == {
        "ivrId": "6500",
        "ivrName": "Main",
        "promptRepeat": "2",
        "ivrNumber": "6501",
    }
    assert run.left.changes == []
    plan = await plan_only(sim, desired(tmp_path, "queues: [{number: 6799, name: X}]\n"))
    assert [c.action for c in plan.changes] == ["cannot"]


async def test_wakeup_calls_batched_updated_and_pruned(tmp_path: Path, sim: Simulator) -> None:
    rows = "\n".join(
        f"  - {{extension: {n}, time: '07:00', type: everyday, repeats: 2}}"
        for n in range(1000, 1010)
    )
    run = await converge(sim, desired(tmp_path, "wakeup_calls:\n" + rows + "\n"))
    assert run.endpoints == ["wakeupcall/create"]  # ten identical alarms, one call
    assert run.plan.calls[0].body["extid"] == ",".join(str(n) for n in range(1000, 1010))
    assert run.left.changes == []
    fewer = "wakeup_calls:\n" + "\n".join(rows.splitlines()[:2]).replace("repeats: 2", "repeats: 3")
    run = await converge(sim, desired(tmp_path, fewer + "\n"), prune=True, force=True)
    assert sorted(run.endpoints) == ["wakeupcall/delete"] * 8 + ["wakeupcall/update"] * 2
    assert run.left.changes == []


async def test_unmanaged_objects_are_counted_not_touched(tmp_path: Path, sim: Simulator) -> None:
    await converge(sim, desired(tmp_path, ROUTES))
    plan = await plan_only(sim, desired(tmp_path, "ivrs: [{number: 6500}]\n"))
    assert plan.changes == []
    assert plan.unmanaged == {
        "extensions": 20,
        "queues": 1,
        "trunks": 2,
        "outbound_routes": 1,
        "inbound_routes": 1,
    }


async def test_protected_objects_survive_pruning(tmp_path: Path, sim: Simulator) -> None:
    await converge(sim, desired(tmp_path, ROUTES))
    want = desired(
        tmp_path,
        "settings: {protect: {trunks: [carrier], inbound_routes: [main]}}\n"
        "ivrs: [{number: 6500}]\n",
    )
    plan = await plan_only(sim, want, prune=True)
    assert [c.label for c in plan.changes] == ["outbound_routes[name=out]", "trunks[name=backup]"]
    assert plan.protected == ["trunks[name=carrier]", "inbound_routes[name=main]"]


# ---- safety and targets --------------------------------------------------------------


async def test_large_share_of_changes_is_refused_without_force(
    tmp_path: Path, sim: Simulator
) -> None:
    rows = "\n".join(f"  - {{number: {n}, dnd: true}}" for n in range(1000, 1004))
    plan = await plan_only(sim, desired(tmp_path, "extensions:\n" + rows + "\n"))
    assert plan.errors == [] and plan.count("update") == 4  # 4 of 20 = 20%
    rows = "\n".join(f"  - {{number: {n}, dnd: true}}" for n in range(1000, 1007))
    plan = await plan_only(sim, desired(tmp_path, "extensions:\n" + rows + "\n"))
    assert plan.errors == [
        "extensions: the plan updates or deletes 7 of 20 (35%), more than the "
        "30% allowed; review it, then use --force"
    ]
    assert plan.steps == []
    plan = await plan_only(sim, desired(tmp_path, "extensions:\n" + rows + "\n"), force=True)
    assert plan.errors == [] and plan.warnings


async def test_target_limits_the_plan_to_an_object_and_its_needs(
    tmp_path: Path, sim: Simulator
) -> None:
    want = desired(tmp_path, ROUTES)
    plan = await plan_only(sim, want, targets=[parse_target("inbound_route/main")])
    assert [c.label for c in plan.changes] == ["trunks[name=carrier]", "inbound_routes[name=main]"]
    plan = await plan_only(sim, want, targets=[parse_target("trunks/backup")])
    assert [c.label for c in plan.changes] == ["trunks[name=backup]"]
    plan = await plan_only(sim, want, targets=[("trunk", ("ghost",))])
    assert plan.errors == ["--target trunk/ghost: no such object in the manifests or on the PBX"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nothing", "expected KIND/KEY with KIND one of"),
        ("queue/", "a queue is named by number"),
        ("wakeup_call/1000", "a wake-up call is named by extension,time"),
    ],
)
def test_bad_targets(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_target(text)


async def test_external_references_must_exist(tmp_path: Path, sim: Simulator) -> None:
    (tmp_path / "pbx.yaml").write_text(
        "version: 1\nexternal: {extensions: ['1000-1030'], trunks: [carrier]}\n"
        "wakeup_calls: [{extension: 1025, time: '07:00', type: everyday}]\n"
        "outbound_routes: [{name: o, pattern: '9.', trunks: [carrier], extensions: [1000]}]\n"
    )
    plan = await plan_only(sim, manifest.load([tmp_path], env={}))
    assert sorted(c.label for c in plan.changes if c.action == "cannot") == [
        "extensions[number=1025]",
        "trunks[name=carrier]",
    ]


async def test_pruning_a_trunk_a_route_no_manifest_manages_still_uses_is_refused_up_front(
    tmp_path: Path, sim: Simulator
) -> None:
    # It was learnt from the PBX's refusal, after other deletes had already been sent.
    sim.state.add_trunk({"trunkname": "old", "trunktype": "peer", "host": "h", "port": "5060",
                         "domain": "d"})  # fmt: skip
    sim.state.add_inroute({"name": "theirs", "trunks": "old", "desttype": "hangup", "dest": ""})
    want = desired(tmp_path, "settings: {prune: {trunks: true}}\n")
    plan = await plan_only(sim, want)
    (change,) = plan.changes
    assert (change.action, change.label) == ("cannot", "trunks[name=old]")
    assert "still used by inbound_routes[name=theirs], which the plan leaves as it is" in (
        change.reason
    )
    assert not plan.steps
