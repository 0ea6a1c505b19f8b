"""The kinds against the facts taken from the manual (pbxconf/manual/facts.json): every
key pbxconf writes is in that endpoint's request table or example, every enum value it
sends is in that field's list, and every key an answer holds is read or declared not
read, with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from pbxconf.kinds import KINDS, Kind
from pbxconf.kinds.base import full
from pbxconf.kinds.fields import Choice
from pbxconf.manual import facts
from pbxconf.manual.check import check_request

# One object of each kind that declares every field the API can write.
EVERY_FIELD: dict[str, dict[str, Any]] = {
    "extension": {
        "number": "1000",
        "name": "Reception",
        "caller_id": "100",
        "registration": {"name": "1000", "password": "pw", "max_registrations": 2},
        "user_password": "secret",
        "email": "a@example.com",
        "mobile": "5550100",
        "voicemail": {"enabled": True, "pin": "4321", "to_email": False},
        "always_forward": {
            "enabled": True,
            "to": "custom",
            "extension": "",
            "prefix": "9",
            "number": "555",
        },
        "no_answer_forward": {
            "enabled": True,
            "to": "extension",
            "extension": "1001",
            "prefix": "",
            "number": "",
        },
        "busy_forward": {
            "enabled": False,
            "to": "mobile",
            "extension": "",
            "prefix": "0",
            "number": "555",
        },
        "allow_monitoring": True,
        "monitor_mode": "listen",
        "ring_timeout": 60,
        "max_call_duration": 600,
        "dnd": False,
        "call_restriction": True,
        "agent_id": "12",
    },
    "ivr": {
        "number": "6500",
        "name": "Main",
        "prompt_repeat": 2,
        "response_timeout": 5,
        "digit_timeout": 4,
        "dial_extensions": True,
        "dial_to_check_voicemail": False,
    },
    "queue": {
        "number": "6700",
        "name": "Sales",
        "password": "6700123",
        "ring_strategy": "linear",
        "agents": ["1000", "1001"],
        "agent_timeout": 20,
        "wrapup_time": 30,
        "retry": 10,
        "max_wait_time": 600,
        "ring_in_use": True,
        "join_empty": False,
        "leave_when_empty": True,
        "announce_position": True,
        "announce_frequency": 45,
        "announce_hold_time": True,
        "user_announce_frequency": 60,
        "failover": {"action": "ivr", "target": "6500"},
        "breakout": {"key": "#", "action": "extension", "target": "1000"},
        "id_announcement": "Default",
        "satisfaction_survey": "None",
    },
    "trunk": {
        "name": "carrier",
        "type": "register",
        "host": "sip.example.net",
        "port": 5060,
        "domain": "example.net",
        "username": "u",
        "auth_name": "a",
        "password": "p",
        "from_user": "f",
        "dod": [{"number": "5550100", "name": "main", "extension": "1000"}],
        "group_dod": [{"number": "5550101", "name": "g", "group": "sales"}],
    },
    "outbound_route": {
        "name": "out",
        "pattern": "9.",
        "strip": 1,
        "prepend": "0",
        "trunks": ["carrier"],
        "extensions": ["1000"],
        "extension_groups": ["sales"],
    },
    "inbound_route": {
        "name": "main",
        "did": "100",
        "caller_id": "",
        "trunks": ["carrier"],
        "destination": {"type": "extension_range", "target": "1000-1009"},
    },
    "wakeup_call": {
        "extension": "1000",
        "time": "07:00",
        "type": "custom",
        "weekdays": [1, 3, 5],
        "repeats": 2,
        "repeat_interval": 5,
        "prompt": "wake",
    },
}
# The other variants of union kinds: every field of each trunk type.
TRUNK_TYPES = [
    {"name": "peer1", "type": "peer", "host": "h", "port": 5060, "domain": "d"},
    {"name": "acc1", "type": "account", "username": "u", "auth_name": "a", "password": "p"},
]


def calls_for(kind: Kind, obj: Any) -> list[Any]:
    """Every call the kind makes for an object: its create, its update (every field
    changed, the identity renumbered or renamed) and its delete."""
    fields = list(full(obj))
    calls = []
    if kind.can_create:
        calls += kind.create_calls([obj])
    calls.append(kind.update_call(("0",) * len(kind.key_fields), "7", obj, obj, fields))
    if kind.can_delete:
        calls += kind.delete_calls([(kind.key_of(obj), "7")])
    return calls


def variants(kind: Kind) -> list[Any]:
    """The full object, and one per value of each enum field (each value a write sends)."""
    base = EVERY_FIELD[kind.name]
    out = [kind.validate(base)] + [
        kind.validate(extra) for extra in TRUNK_TYPES * (kind.name == "trunk")
    ]
    for wire in kind.wire:
        if not isinstance(wire.conv, Choice):
            continue
        for value in wire.conv.values:
            out.append(kind.validate(_with(base, wire.field, value)))
    return out


def _with(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *parents, leaf = dotted.split(".")
    out = {**data}
    holder = out
    for part in parents:
        holder[part] = {**holder[part]}
        holder = holder[part]
    holder[leaf] = value
    if leaf == "action" and value not in ("extension", "voicemail", "ivr", "queue"):
        holder.pop("target", None)
    if leaf == "type" and value in ("hangup",):
        holder.pop("target", None)
    if leaf == "to" and value == "custom":
        holder["number"] = "5550100"  # a custom forward needs its number
    return out


@pytest.mark.parametrize("name", list(KINDS))
def test_every_field_is_in_the_object_under_test(name: str) -> None:
    declared = set(full(KINDS[name].validate(EVERY_FIELD[name])))
    missing = {w.field for w in KINDS[name].wire} - declared
    assert not missing, f"add {missing} to EVERY_FIELD: the kind has a field this test lacks"


@pytest.mark.parametrize("name", list(KINDS))
def test_every_call_writes_only_what_the_manual_names(name: str) -> None:
    kind = KINDS[name]
    for obj in variants(kind):
        for call in calls_for(kind, obj):
            assert check_request(call.endpoint, call.body) == [], (call.endpoint, call.body)


@pytest.mark.parametrize("name", list(KINDS))
def test_every_enum_value_sent_is_in_the_fields_list(name: str) -> None:
    # The same, field by field, so that a failure names the value.
    kind = KINDS[name]
    manual = facts()
    for obj in variants(kind):
        for call in calls_for(kind, obj):
            spec = manual.endpoints[call.endpoint]
            body = call.body
            items = [(None, body)] + [("wakeup", item) for item in body.get("wakeup", [])]
            for parent, values in items:
                for key, value in values.items():
                    params = [p for p in spec.request if p.key == key and p.parent == parent]
                    for param in params:
                        if param.values and key != "weekdays":
                            assert value in param.values, (call.endpoint, key, value)


def response_keys(kind: Kind) -> set[str]:
    """The keys the manual's response table and example give a record of the kind."""
    spec = facts().endpoints[kind.query.endpoint]
    container = kind.query.grouped.items if kind.query.grouped else kind.query.answer[0]
    keys = {p.key for p in spec.response if p.parent == container}
    for example in spec.response_examples:
        for record in example.body.get(kind.query.answer[0], []):
            if kind.query.grouped:
                keys |= {k for item in record[kind.query.grouped.items] for k in item}
            else:
                keys |= set(record)
    return keys


@pytest.mark.parametrize("name", list(KINDS))
def test_every_response_key_is_read_or_declared_not_read(name: str) -> None:
    kind = KINDS[name]
    read = {n.lower() for w in kind.wire for n in (w.name, *w.read)}
    if kind.query.grouped:
        read.add(kind.query.grouped.key)
    not_read = {k.lower() for k in kind.not_read}
    for key in response_keys(kind):
        assert key.lower() in read | not_read, f"{kind.query.endpoint} answers `{key}`"
    assert all(reason for reason in kind.not_read.values())


def test_the_three_fidelity_bugs_stay_fixed() -> None:
    # The update table's keys and values (lines 2237-2239, 2244), not the query's.
    queue = KINDS["queue"]
    obj = queue.validate(
        {
            "number": "6700",
            "announce_frequency": 15,
            "user_announce_frequency": 30,
            "breakout": {"action": "dial_by_name"},
            "failover": {"action": "dial_by_name"},
        }
    )
    (call,) = [queue.update_call(("6700",), None, obj, obj, list(full(obj)))]
    assert call.body["announcerefreq"] == "15" and call.body["userannouncerefreq"] == "30"
    assert "announcefreq" not in call.body and "userannouncefreq" not in call.body
    assert call.body["breakoutaction"] == "Dial by Name"
    assert call.body["failoveraction"] == "Dial by name"


def test_the_reports_kinds_and_keys_are_the_manuals() -> None:
    report = facts().reports["ConfigChange"]
    types = next(p.values for p in report.request if p.key == "type")
    keys = {p.key for p in report.request} | {k for e in report.request_examples for k in e.body}
    reported = {kind.reported_as for kind in KINDS.values() if kind.reported_as}
    assert {t for t, _ in reported} == set(types)  # every type the PBX reports has its kind
    assert all(key in keys for _, key in reported)
