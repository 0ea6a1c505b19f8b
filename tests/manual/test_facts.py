"""The manual's facts: regenerated from the manual when it is here, spot-checked always.

Line numbers in the comments are lines of pbx-api-v1.1.0.zh.txt. The spot checks pin the
facts the rest of pbxconf leans on, misspellings included: each table is recorded as printed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from pbxconf.manual import Endpoint, Manual, Param, facts, load, raw_facts
from pbxconf.manual import extract as extractor

REPO = Path(__file__).resolve().parents[2]
FACTS_JSON = REPO / "pbxconf" / "manual" / "facts.json"


def manual_path() -> Path:
    return Path(
        os.environ.get("PBXCONF_MANUAL") or REPO.parent / "shared/api/pbx-api-v1.1.0.zh.txt"
    )


@pytest.fixture(scope="module")
def manual_text() -> str:
    path = manual_path()
    if not path.is_file():
        pytest.skip(f"the manual is not at {path} (set PBXCONF_MANUAL); CI clones lack it")
    return path.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def manual() -> Manual:
    return facts()


def endpoint(name: str) -> Endpoint:
    return facts().endpoint(name)


def values(name: str, key: str, side: str = "request", parent: str | None = None) -> list[str]:
    return list(endpoint(name).param(key, parent, side).values)


# --------------------------------------------------------------------------- regeneration


def test_facts_json_is_what_the_manual_gives(manual_text: str) -> None:
    rendered = extractor.render(extractor.extract(manual_text))
    assert rendered == FACTS_JSON.read_text("utf-8"), (
        "facts.json is stale: python -m pbxconf.manual.extract MANUAL.txt"
    )


def test_check_mode_reports_a_stale_file(
    manual_text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "facts.json"
    output.write_text(FACTS_JSON.read_text("utf-8"), "utf-8")
    assert extractor.main([str(manual_path()), "-o", str(output), "--check"]) == 0
    output.write_text(FACTS_JSON.read_text("utf-8").replace('"moblie"', '"mobile"'), "utf-8")
    assert extractor.main([str(manual_path()), "-o", str(output), "--check"]) == 1
    added = [line for line in capsys.readouterr().out.splitlines() if line.startswith("+")]
    assert any('"moblie"' in line for line in added)


def test_a_garbled_key_that_matches_nothing_stops_the_run(manual_text: str) -> None:
    # Line 2058 prints dialExt as "diale <code>xt</code>"; unrecognisable pieces must fail.
    broken = manual_text.replace("diale <code>xt</code>", "zork <code>xt</code>")
    with pytest.raises(extractor.ManualError, match="zorkxt"):
        extractor.extract(broken)


def test_source_hash_is_the_manual_bytes(manual_text: str, manual: Manual) -> None:
    import hashlib

    assert manual.source_sha256 == hashlib.sha256(manual_path().read_bytes()).hexdigest()


# --------------------------------------------------------------------------- coverage


def test_every_required_endpoint_is_there(manual: Manual) -> None:
    crud = ("query", "add", "update", "delete")
    required = {
        *("login", "token/refresh", "logout", "deviceinfo/query", "extensionlist/query"),
        *("extension/query", "extension/update", "trunklist/query"),
        *(f"{kind}/{action}" for kind in ("siptrunk", "inroute", "outroute") for action in crud),
        *("ivr/query", "ivr/update", "queue/query", "queue/update"),
        *(f"wakeupcall/{action}" for action in ("create", "query", "update", "delete")),
    }
    assert required <= set(manual.endpoints)
    assert {"BootUp", "ConfigChange"} <= set(manual.reports)


# --------------------------------------------------------------------------- extensions


def test_extension_update_takes_mobile_and_atransfertto() -> None:
    update = endpoint("extension/update")
    keys = update.request_keys()
    assert update.param("extid").required is True  # line 1104
    assert "mobile" in keys  # line 1113
    assert "atransfertto" in keys  # line 1120: double t, as printed
    assert "moblie" not in keys
    assert "atransferto" not in keys


def test_extension_query_answers_moblie() -> None:
    query = endpoint("extension/query")
    assert query.response_keys() == ["extinfos"]  # line 962
    assert "moblie" in query.response_keys("extinfos")  # line 973
    assert "mobile" not in query.response_keys("extinfos")
    assert query.response_examples[0].body["extinfos"][0]["moblie"] == ""  # line 1059


def test_extension_query_splits_the_row_naming_four_keys() -> None:
    # Line 982: "atransferto atransferext atransferprefix atransfernum" in one cell.
    query = endpoint("extension/query")
    split = [p for p in query.response if p.line == 982]
    assert [p.key for p in split] == [
        "atransferto",
        "atransferext",
        "atransferprefix",
        "atransfernum",
    ]
    assert {p.raw for p in split} == {"atransferto atransferext atransferprefix atransfernum"}


def test_extension_query_call_objects_nest_under_the_extension() -> None:
    # Lines 996-1009: inbound/outbound/ext objects, then the extension's route fields again.
    query = endpoint("extension/query")
    assert query.response_keys("inbound") == ["inboundid", "from", "to", "trunk"]
    assert query.response_keys("outbound") == ["outboundid", "from", "to", "trunk"]
    assert query.response_keys("ext") == ["extid"]
    for key in ("inbound", "outbound", "ext", "unselectoutroute", "selectoutroute"):
        assert query.param(key, "extinfos", "response").parent == "extinfos"


def test_extension_update_values() -> None:
    assert values("extension/update", "ringtimeout") == ["15", "30", "60", "120", "300"]  # 1139
    # Line 1140, continued after the page break at line 1143.
    maxduration = values("extension/update", "maxduration")
    assert maxduration[:2] == ["Follow System", "Unlimited"]
    assert maxduration[-3:] == ["1800", "3600", "6000"]
    assert "Barge-in" in values("extension/update", "monitormode")  # line 1138
    assert values("extension/update", "atransfertto") == [  # line 1120
        "Voicemail",
        "Extension",
        "Mobile Number",
        "Custom Number",
    ]


def test_extension_limits_are_in_the_note() -> None:
    update = endpoint("extension/update")
    assert update.param("atransferprefix").note == "限制: 数字, 最大7位。"  # line 1122
    assert "不为空" in update.param("atransfernum").note  # line 1123
    # Prose bullets are not values (line 957: "查询单个分机：...").
    assert endpoint("extension/query").param("extid").values == ()


# --------------------------------------------------------------------------- queues


def test_queue_update_spells_announce_frequencies_with_re() -> None:
    keys = endpoint("queue/update").request_keys()
    assert "announcerefreq" in keys  # line 2237
    assert "userannouncerefreq" in keys  # line 2239
    assert "announcefreq" not in keys
    assert "announceholdtime" in keys  # line 2238


def test_queue_update_values() -> None:
    assert values("queue/update", "maxwaittime") == ["300", "600", "900", "1200", "1800"]  # 2233
    failover = values("queue/update", "failoveraction")  # line 2222
    assert "Hangup" in failover
    assert failover[-1] == "Dial by name"
    breakout = values("queue/update", "breakoutaction")  # lines 2241 and 2244
    assert "Hang up" in breakout
    assert "Dial by Name" in breakout
    assert values("queue/update", "breakoutkey")[-2:] == ["*", "#"]  # line 2240


def test_queue_query_answers_its_own_spellings() -> None:
    query = endpoint("queue/query")
    keys = query.response_keys("queues")
    assert "queueenname" in keys  # line 2110
    assert "announcholdtime" in keys  # line 2130
    assert "announcfreq" in keys  # line 2129
    assert "userannouncfreq" in keys  # line 2132
    record = query.response_examples[0].body["queues"][0]
    assert record["maxwaittime"] == "30"  # line 2186
    assert "queue name" in record  # line 2176
    assert record["failoveraction"] == "Hang up"  # line 2178


# --------------------------------------------------------------------------- routes, trunks


def test_inroute_destination_types() -> None:
    assert "exrange" in values("inroute/add", "desttype")  # line 1603
    assert "extrange" not in values("inroute/add", "desttype")
    assert "extrange" in values("inroute/update", "desttype")  # line 1657
    assert "extrange" in values("inroute/query", "desttype", "response", "inroutes")  # 1545


def test_inroute_add_name_cell_is_code() -> None:
    name = endpoint("inroute/add").param("name")  # line 1597
    assert name.raw == "<code>name</code>"
    assert name.required is True


def test_siptrunk_groups() -> None:
    add = endpoint("siptrunk/add")
    passwords = [p for p in add.request if p.key == "password"]
    assert [(p.group, p.required) for p in passwords] == [("register", True), ("account", True)]
    assert [p.line for p in passwords] == [1343, 1351]
    assert add.param("host", group="peer").line == 1345
    assert add.param("extensionsdod").group == "dod"  # line 1355
    assert add.param("trunktype").values == ("register", "peer", "account")  # line 1335
    assert add.param("fromuser", group="register").required is False  # line 1342


# --------------------------------------------------------------------------- IVR


def test_ivr_update_keys_are_reconstructed() -> None:
    # Lines 2052-2059 print the keys broken by the PDF's wrapping.
    update = endpoint("ivr/update")
    assert update.request_keys() == [
        "ivrId",
        "ivrNumber",
        "ivrName",
        "promptRepeat",
        "responseTimeout",
        "digitTimeout",
        "dialExt",
        "dialToCheckVoiceMail",
    ]
    ivr_id = update.param("ivrId")
    assert ivr_id.required is True
    assert ivr_id.raw == "ivr <code>id</code>"
    assert "reconstructed" in ivr_id.note
    assert update.param("responseTimeout").raw == "respon <code>settimeout</code>"
    assert update.param("dialExt").values == ("on", "off")  # "<ul>on：允许。off：不允许。"
    assert update.param("promptRepeat").values == ("1", "2", "3", "4", "5")  # line 2055
    name_note = update.param("ivrName").note  # line 2054: forbidden characters, verbatim
    assert name_note.startswith("限制")
    assert "< > & ' ` ^ % @ { }" in name_note
    assert "最大31位" in name_note


def test_ivr_query_answers_ivr_container() -> None:
    query = endpoint("ivr/query")
    container = query.param("ivr", side="response")  # the example's "ivr": [...], line 2023
    assert (container.type, container.line, container.raw) == ("Object", 2023, "")
    assert "ivrNumber" in query.response_keys("ivr")  # line 1978
    assert "ivrnumber" in query.response_examples[0].body["ivr"][0]  # line 2025


# --------------------------------------------------------------------------- wake-up calls


def test_wakeup_create() -> None:
    create = endpoint("wakeupcall/create")
    assert create.request_keys() == ["extid", "wakeup"]  # lines 4367-4368
    assert create.param("repeats", "wakeup").required is True  # line 4375
    assert create.param("Repeatinterval", "wakeup").line == 4376
    assert create.param("Prompt", "wakeup").line == 4377
    assert "repeatinterval" not in create.request_keys("wakeup")


def test_wakeup_query_answers_wakeups() -> None:
    query = endpoint("wakeupcall/query")
    assert query.response_keys() == ["wakeups"]  # example, line 4462
    assert query.response_keys("wakeups") == ["extid", "wakeup"]
    assert "Repeatinterval" in query.response_keys("wakeup")  # line 4437
    assert endpoint("wakeupcall/update").param("repeats", "wakeup").required is False  # 4499


# --------------------------------------------------------------------------- reports, errors


def test_config_change_report() -> None:
    report = facts().reports["ConfigChange"]
    assert {"action", "type", "operation", "sn"} <= set(report.request_keys())  # 4646-4650
    assert report.param("operation").values == ("add", "del", "update")  # line 4649
    example = report.request_examples[0].body  # line 4660
    assert example["action"] == "ConfigChange"
    assert example["extid"] == "1001"  # line 4663; the table names trunkname, not extid
    assert facts().reports["BootUp"].request_examples[0].body["action"] == "BootUp"


def test_error_codes(manual: Manual) -> None:
    assert manual.errnos["10025"].line == 6172
    assert manual.errnos["20010"].line == 6189
    assert "apply" in manual.errnos["10025"].text


# --------------------------------------------------------------------------- loader


def test_loader_matches_the_json(manual: Manual) -> None:
    as_json = json.loads(json.dumps(dataclasses.asdict(manual)))
    assert as_json == raw_facts()
    assert load(raw_facts()) == manual
    assert facts() is manual


def test_param_lookup() -> None:
    update = endpoint("extension/update")
    param = update.param("extid")
    assert isinstance(param, Param)
    assert (param.key, param.type, param.line, param.parent) == ("extid", "Int", 1104, None)
    with pytest.raises(KeyError):
        update.param("moblie")
    with pytest.raises(KeyError):
        endpoint("extension/query").param("moblie", side="response")  # it is under extinfos
    with pytest.raises(ValueError, match="group"):
        endpoint("siptrunk/add").param("password")
    with pytest.raises(ValueError, match="side"):
        update.param("extid", side="answer")


def test_unknown_endpoint_raises_key_error(manual: Manual) -> None:
    with pytest.raises(KeyError):
        manual.endpoint("extension/delete")
    with pytest.raises(KeyError):
        manual.endpoints["extension/delete"]


# --------------------------------------------------------------------------- extractor parts


def test_allowed_values_take_ascii_heads_only() -> None:
    description = "<ul> • on: 开启。 • off: 关闭。 • 查询单个分机：设置 extid。"
    assert extractor.allowed_values(description) == ("on", "off")
    assert extractor.allowed_values("可选 值: 0、15、30") == ("0", "15", "30")
    assert extractor.allowed_values("可选择的值：1、2、3") == ("1", "2", "3")


def test_reconstruct_takes_the_one_near_spelling() -> None:
    known = {"responseTimeout": "table", "digitTimeout": "table"}
    assert extractor.reconstruct("responsettimeout", known, "t") == ("responseTimeout", "table")
    with pytest.raises(extractor.ManualError):
        extractor.reconstruct("ringtimeout", known, "t")
