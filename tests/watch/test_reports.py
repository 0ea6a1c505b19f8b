"""Reports as the manual prints them, and which are believed."""

from __future__ import annotations

import ipaddress
import json

import pytest

from pbxconf.manual import facts
from pbxconf.watch.options import parse_allow_from
from pbxconf.watch.reports import BadReport, Report, ReportGate, parse_report


def example(action: str) -> bytes:
    (first,) = facts().reports[action].request_examples
    return json.dumps(first.body).encode()


def test_the_manuals_examples() -> None:
    assert parse_report(example("BootUp")) == Report("BootUp", "369351034049")
    assert parse_report(example("ConfigChange")) == Report(
        "ConfigChange", "369362089179", "extension", "1001", "update"
    )
    # Not configuration: counted, never acted on.
    assert parse_report(example("ExtensionStatus")).kind is None


def test_a_trunk_change_is_named_by_trunkname() -> None:
    body = {"action": "ConfigChange", "type": "trunk", "trunkname": "a,b", "operation": "del"}
    report = parse_report(json.dumps(body).encode())
    assert (report.kind, report.key, report.operation, report.sn) == ("trunk", "a,b", "del", None)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON (log in with version 1.0.2"),
        (b"[1]", "not a JSON object with an `action`"),
        (b'{"action": "ConfigChange", "type": "ivr"}', "a ConfigChange of type 'ivr'"),
        (b'{"action": "ConfigChange", "type": "extension"}', "without `extid`"),
        (
            b'{"action": "ConfigChange", "type": "trunk", "trunkname": "t", "operation": "x"}',
            "operation 'x'",
        ),
    ],
)
def test_what_is_no_report(body: bytes, reason: str) -> None:
    with pytest.raises(BadReport, match=None) as caught:
        parse_report(body)
    assert reason in str(caught.value)


def test_the_gate_believes_the_pbx_only() -> None:
    gate = ReportGate(
        sn="SN1",
        pbx_addresses={ipaddress.ip_address("198.51.100.7")},
        allow_from=[parse_allow_from("10.0.0.0/8")],
    )
    report = Report("BootUp", "SN1")
    assert gate.refusal(report, "198.51.100.7") is None
    assert gate.refusal(report, "::ffff:198.51.100.7") is None  # a dual-stack listener
    assert gate.refusal(report, "10.1.2.3") is None  # --allow-from: the proxy
    assert gate.refusal(report, "203.0.113.9") == "source"
    assert gate.refusal(Report("BootUp", "SN2"), "198.51.100.7") == "sn"
    assert gate.refusal(Report("BootUp", None), "198.51.100.7") == "sn"
