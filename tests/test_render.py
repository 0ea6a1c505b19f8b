"""Plans printed in every format: no name that came from a PBX can forge output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pbxconf import render
from pbxconf.kinds import KINDS
from pbxconf.manifest import Desired, load
from pbxconf.plan import make_plan
from pbxconf.render.json_plan import render_json
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
    text = render_json(plan, "pbx")  # type: ignore[arg-type]
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


# ---- plans for pull requests -----------------------------------------------------------


def _manifest(tmp_path: Path, body: str) -> Desired:
    path = tmp_path / "m.yaml"
    path.write_text("version: 1\n" + body)
    return load([path], env={})


def _live_trunks(*names: str) -> State:
    live = State()
    for number, name in enumerate(names, 1):
        record = {"name": name, "type": "peer", "host": "h", "port": 5060, "domain": "d"}
        live.add("trunk", KINDS["trunk"].read(record), wire_id=str(number))
    return live


def plain(markdown: str) -> str:
    """Markdown's text with its escapes undone."""
    return re.sub(r"\\(.)", r"\1", markdown)


def test_number_runs() -> None:
    from pbxconf.text import number_runs

    assert number_runs(["1005", "1003", "1004", "1021", "lobby", "1022"]) == [
        "1003-1005",
        "1021",
        "1022",
        "lobby",
    ]
    # A leading zero makes another name: 0123 is not extension 123.
    assert number_runs(["0123", "122", "123", "124"]) == ["122-124", "0123"]


def test_a_reason_is_said_once_with_the_objects_as_ranges(tmp_path: Path) -> None:
    # A restore onto a factory PBX listed 518 lines of "1003 is not on the PBX...".
    numbers = [*range(1003, 1020), 1021]
    want = _manifest(tmp_path, f"extensions: [{', '.join(f'{{number: {n}}}' for n in numbers)}]\n")
    plan = make_plan(want, State())
    for text in (render.render_text(plan, "pbx"), plain(render.render_markdown(plan, "pbx"))):
        lines = [line for line in text.splitlines() if "not on the PBX" in line]
        assert len(lines) == 1, text
        assert "extensions 1003-1019, 1021 (18)" in lines[0]


def test_the_markdown_plan_fits_one_comment_and_says_what_it_cut(tmp_path: Path) -> None:
    # A restore's plan was 581 KB; GitHub refuses a comment over 65,536 characters.
    from pbxconf.render.markdown import COMMENT_LIMIT, MARKER

    names = [f"trunk-{n:04}" for n in range(3000)]
    trunks = ", ".join(
        f"{{name: {n}, type: peer, host: h{n}.example.com, port: 5060, domain: d}}" for n in names
    )
    plan = make_plan(_manifest(tmp_path, f"trunks: [{trunks}]\n"), State())
    text = render.render_markdown(plan, "pbx")
    assert text.startswith(MARKER + "\n")
    assert len(text) < COMMENT_LIMIT - 1_000  # room for what a workflow adds around it
    head = text.index("Plan: 3000 to create")
    assert head < 400  # the summary first
    cut = re.search(r"_(\d+) more changes are not shown", text)
    assert "The whole plan: `pbxconf plan ...` (text) or `pbxconf plan ... --format json`" in text
    shown = text.count("\n+ trunks[name=trunk-")
    assert cut and shown > 300 and shown + int(cut[1]) == 3000
    small = render.render_markdown(plan, "pbx", limit=5_000)
    assert len(small) < 5_000 and "more changes are not shown" in small


def test_a_rename_is_not_coloured_as_a_delete(tmp_path: Path) -> None:
    want = _manifest(
        tmp_path,
        "trunks: [{name: new, renamed_from: old, type: peer, host: h, port: 5060, domain: d}]\n",
    )
    plan = make_plan(want, _live_trunks("old"))
    text = render.render_markdown(plan, "pbx")
    diff = text[text.index("```diff") :]
    assert "~> trunks[name=new] (renamed from old)" in diff
    assert not any(line.startswith("-") for line in diff.splitlines())


def test_the_unmanaged_line_is_in_every_format(tmp_path: Path) -> None:
    plan = make_plan(_manifest(tmp_path, "trunks: []\n"), _live_trunks("legacy"))
    for text in (render.render_text(plan, "pbx"), plain(render.render_markdown(plan, "pbx"))):
        assert "Unmanaged (on the PBX, in no manifest): 1 SIP trunk." in text
    assert json.loads(render_json(plan, "pbx"))["summary"]["unmanaged"] == {"trunks": 1}
