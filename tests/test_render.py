"""Plans printed in every format: no name that came from a PBX can forge output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pbxconf import render
from pbxconf.kinds import KINDS
from pbxconf.manifest import Desired, load
from pbxconf.plan import make_plan
from pbxconf.state import State

FORGED = "evil\nPlan: 0 to create, 0 to update, 0 to rename, 0 to delete.\nNothing to do.\x00"
TURNED = "safe\u202etxt.exe"


def _plan_deleting(*names: str) -> object:
    live = State()
    for name in names:
        live.add(
            "trunk",
            KINDS["trunk"].read(
                {"name": name, "type": "peer", "host": f"h{name}", "port": 5060, "domain": "d"}
            ),
        )
    want = Desired()
    want.settings = want.settings.model_copy(update={"prune": True})
    return make_plan(want, live)


def test_a_live_name_cannot_forge_lines_in_the_text_plan() -> None:
    plan = _plan_deleting(FORGED, TURNED)
    text = render.render_text(plan, "pbx")  # type: ignore[arg-type]
    lines = text.splitlines()
    # The forged name holds commas: a "cannot" (never sent to a delete), the other a delete.
    assert [line for line in lines if line.startswith("Plan:")] == [
        "Plan: 0 to create, 0 to update, 0 to rename, 1 to delete. 1 cannot be done."
    ]
    assert "\x00" not in text and "\u202e" not in text
    assert "trunks[name=evil\\nPlan: 0 to create" in text and "\\u0000" in text
    assert "trunks[name=safe\\u202etxt.exe]" in text


def test_a_live_name_is_escaped_in_json_and_reads_back_the_same() -> None:
    plan = _plan_deleting(TURNED)
    text = render.render_json(plan, "pbx")  # type: ignore[arg-type]
    assert "\u202e" not in text and "\\u202e" in text
    assert json.loads(text)["changes"][0]["key"] == {"name": TURNED}


def test_a_live_name_cannot_break_the_markdown_table() -> None:
    plan = _plan_deleting(FORGED, "a|b")
    text = render.render_markdown(plan, "pbx")  # type: ignore[arg-type]
    html = MarkdownIt("commonmark").enable("table").render(text)
    # The per-kind counts (a header and one row) and the changes (a header and the one
    # delete; the forged name, holding commas, is a "cannot", listed once with its reason).
    assert html.count("<tr>") == 4
    assert "<td><code>trunks[name=a|b]</code></td>" in html
    assert "\x00" not in text


@pytest.mark.parametrize(
    "name", ['"a\\nb"', '"a\\u0000b"', '"a\\u202eb"', '"a\\tb"', '"a\\u2028b"', '"\\x1b[31mred"']
)
def test_manifests_refuse_control_characters_in_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"version: 1\nextensions: [{{number: 1000, name: {name}}}]\n")
    from pbxconf.manifest import ManifestErrors

    with pytest.raises(ManifestErrors) as caught:
        load([path], env={})
    assert "holds a control character" in str(caught.value)
