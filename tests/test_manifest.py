"""Manifests: loading, merging, ${ENV}, validation messages with positions, references,
hostile input, the JSON Schema and the examples."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from pbxconf import manifest
from pbxconf.cli import main
from pbxconf.schema import manifest_schema_text

ROOT = Path(__file__).resolve().parents[1]
# One PBX's manifests each: examples/ci holds CI workflows (tests/test_ci_kit.py), and a
# fleet's example, with its pbxconf.yaml, is tested in tests/fleet/.
EXAMPLES = sorted(
    p
    for p in (ROOT / "examples").iterdir()
    if p.is_dir() and p.name != "ci" and not (p / "pbxconf.yaml").exists()
)


def write(tmp_path: Path, text: str, name: str = "pbx.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    write(tmp_path, text)
    with pytest.raises(manifest.ManifestErrors) as caught:
        manifest.load([tmp_path], env=env or {})
    return [str(e).replace(str(tmp_path) + "/", "") for e in caught.value.errors]


def only_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    (error,) = errors(tmp_path, text, env)
    return error


EXT = "version: 1\nexternal: {extensions: ['1000-1019'], trunks: [carrier]}\n"


# ---- the format ----------------------------------------------------------------------


def test_a_manifest_loads_into_canonical_models(tmp_path: Path) -> None:
    write(
        tmp_path,
        EXT
        + """
extensions:
  - number: 1000
    name: Reception
    ring_timeout: 60
    voicemail: {enabled: true, pin: "${PIN:-1234}"}
outbound_routes:
  - name: out
    pattern: "9."
    trunks: [carrier]
    extensions: [1002, 1000, 1000]
""",
    )
    desired = manifest.load([tmp_path], env={})
    ext = desired.state.get("extension", ("1000",))
    assert (ext.name, ext.ring_timeout, ext.voicemail.pin) == ("Reception", 60, "1234")
    assert ext.model_fields_set == {"number", "name", "ring_timeout", "voicemail"}
    route = desired.state.get("outbound_route", ("out",))
    assert route.extensions == ["1000", "1002"]  # a set: sorted, no repeats
    assert desired.is_external("extension", ("1019",))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_what_a_plan_compares_is_what_the_manifest_declared(example: Path) -> None:
    """The view a plan compares of each object, read off the object itself, is its dump's
    fields (groups flattened, lists of groups as dumped, a password as its md5)."""
    from pbxconf.kinds import KINDS
    from pbxconf.kinds.base import declared

    desired = manifest.load([example], env={}, missing_secrets="unmanaged")
    seen = set()
    for kind_name, objects in desired.state.objects.items():
        kind = KINDS[kind_name]
        for key, obj in objects.items():
            view = desired.view(kind_name, key)
            fields = declared(obj)
            assert view.fields == fields and view.names == tuple(fields)
            assert view.wanted == {f: kind.comparable(f, v) for f, v in fields.items()}
            seen |= {f for f in fields if "." in f or isinstance(fields[f], list)}
    assert seen  # groups and lists were compared


def test_files_and_directories_merge(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nextensions: [{number: 1000, name: A}]\n", "a.yaml")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "version: 1\nivrs: [{number: 6500, name: Main}]\n", "b.yml")
    write(tmp_path, "not: yaml: here", "notes.txt")
    desired = manifest.load([tmp_path], env={})
    assert desired.state.count() == 2
    assert len(desired.files) == 2


def test_env_substitution_and_escape(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nextensions:\n  - number: 1000\n    name: ${WHO} $${LITERAL}\n")
    desired = manifest.load([tmp_path], env={"WHO": "Ann"})
    assert desired.state.get("extension", ("1000",)).name == "Ann ${LITERAL}"


def test_missing_env_variable_names_file_and_line(tmp_path: Path) -> None:
    text = "version: 1\nextensions:\n  - number: 1000\n    name: ${WHO}\n"
    assert only_error(tmp_path, text) == (
        "pbx.yaml:4:11: extensions[number=1000].name: environment variable WHO is not set "
        "(write ${WHO:-default} to give a default)"
    )


def test_all_errors_are_reported_together(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        EXT
        + """
extensions:
  - number: 1000
    ring_timeout: 45
    ring_timout: 30
    language: English
    dnd: maybe
  - number: 1001
    outbound_routes: [out]
""",
    )
    assert found == [
        "pbx.yaml:6:19: extensions[number=1000].ring_timeout: expected 15, 30, 60, 120 or 300; "
        "found 45",
        "pbx.yaml:7:5: extensions[number=1000].ring_timout: unknown field `ring_timout`; "
        "did you mean `ring_timeout`?",
        "pbx.yaml:8:5: extensions[number=1000].language: the API can read `language` (wire "
        "`language`) but cannot change it; remove it from the manifest",
        "pbx.yaml:9:10: extensions[number=1000].dnd: expected a valid boolean, unable to "
        "interpret input; found 'maybe'",
        "pbx.yaml:11:5: extensions[number=1001].outbound_routes: not a field of extensions: list "
        "the extension in each outbound route's `extensions` instead",
    ]


def test_trunk_union_requires_the_types_fields(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        "version: 1\ntrunks:\n  - {name: t, type: peer, host: h}\n"
        "  - {name: u, type: sip, host: h}\n",
    )
    assert found == [
        "pbx.yaml:3:5: trunks[name=t].port: missing required field `port`",
        "pbx.yaml:3:5: trunks[name=t].domain: missing required field `domain`",
        "pbx.yaml:4:21: trunks[name=u].type: `type` must be one of 'register', 'peer', "
        "'account'; found 'sip'",
    ]


def test_destination_needs_a_target(tmp_path: Path) -> None:
    text = EXT + "inbound_routes:\n  - {name: i, trunks: [carrier], destination: {type: ivr}}\n"
    assert only_error(tmp_path, text) == (
        "pbx.yaml:4:34: inbound_routes[name=i].destination: a `ivr` destination needs a `target`"
    )


def test_duplicate_object_across_files_names_both(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nextensions: [{number: 1000}]\n", "a.yaml")
    write(tmp_path, "version: 1\nextensions:\n  - number: 1000\n", "b.yaml")
    with pytest.raises(manifest.ManifestErrors) as caught:
        manifest.load([tmp_path], env={})
    (error,) = caught.value.errors
    assert str(error) == (
        f"{tmp_path}/b.yaml:3:5: extensions[number=1000]: declared twice: also at "
        f"{tmp_path}/a.yaml:2:14"
    )


def test_references_must_be_declared_or_external(tmp_path: Path) -> None:
    text = (
        "version: 1\nextensions: [{number: 1000}]\noutbound_routes:\n"
        "  - {name: o, pattern: '9.', trunks: [ghost], extensions: [1000, 1001]}\n"
    )
    assert errors(tmp_path, text) == [
        "pbx.yaml:4:39: outbound_routes[name=o].trunks[0]: SIP trunk `ghost` is not declared in "
        "the manifests; declare it under `trunks`, or list it under `external: trunks` if it "
        "exists only on the PBX",
        "pbx.yaml:4:66: outbound_routes[name=o].extensions[1]: extension `1001` is not declared "
        "in the manifests; declare it under `extensions`, or list it under `external: "
        "extensions` if it exists only on the PBX",
    ]


def test_queue_and_wakeup_references(tmp_path: Path) -> None:
    text = (
        "version: 1\nqueues:\n  - {number: 6700, agents: [1000], failover: "
        "{action: ivr, target: '6501'}}\nwakeup_calls:\n"
        "  - {extension: 1003, time: '07:00', type: everyday}\n"
    )
    found = errors(tmp_path, text)
    assert [e.split(": ")[1] for e in found] == [
        "queues[number=6700].agents[0]",
        "queues[number=6700].failover.target",
        "wakeup_calls[extension=1003,time=07:00].extension",
    ]


def test_renamed_from_and_protect(tmp_path: Path) -> None:
    write(
        tmp_path,
        "version: 1\ntrunks:\n  - {name: new, renamed_from: old, type: peer, "
        "host: h, port: 5060, domain: d, protect: true}\n",
    )
    desired = manifest.load([tmp_path], env={})
    assert desired.renames == {("trunk", ("new",)): ("old",)}
    assert desired.protected == {("trunk", ("new",))}
    assert only_error(
        tmp_path,
        "version: 1\nwakeup_calls:\n  - {extension: 1000, time: '07:00',"
        " type: everyday, renamed_from: x}\nexternal: {extensions: [1000]}\n",
    ) == (
        "pbx.yaml:3:54: wakeup_calls[extension=1000,time=07:00].renamed_from: unknown field "
        "`renamed_from`"
    )


def test_settings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "version: 1\nsettings:\n  prune: {trunks: true}\n  safety: "
        "{max_change_share: 0.5}\n  ignore_fields: {extensions: [voicemail.pin]}\n",
    )
    settings = manifest.load([tmp_path], env={}).settings
    assert settings.prunes("trunks") and not settings.prunes("extensions")
    assert settings.safety.max_change_share == 0.5 and settings.safety.min_objects == 10
    assert (
        only_error(tmp_path, "version: 1\nsettings:\n  ignore_fields: {extensions: [pin]}\n")
        == "pbx.yaml:2:1: settings.ignore_fields.extensions: unknown field `pin`"
    )


# ---- hostile input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "pbx.yaml:1:1: the file is empty; a manifest starts with `version: 1`"),
        (
            "# only a comment\n",
            "pbx.yaml:1:1: the file is empty; a manifest starts with `version: 1`",
        ),
        (
            "- a\n- b\n",
            "pbx.yaml:1:1: a manifest is a mapping that starts with `version: 1`; found a list",
        ),
        ("extensions: []\n", "pbx.yaml:1:1: version: expected `version: 1`, found nothing"),
        ("version: 2\n", "pbx.yaml:1:1: version: expected `version: 1`, found 2"),
        (
            "version: 1\nextension: []\n",
            "pbx.yaml:2:1: extension: unknown top-level key; did you mean `extensions`?",
        ),
        (
            "version: 1\nversion: 1\n",
            'pbx.yaml:2:1: duplicate key "version" (first at line 1)',
        ),
        (
            "version: 1\nextensions:\n\t- number: 1000\n",
            "pbx.yaml:3:1: YAML syntax: a tab character; YAML indents with spaces only",
        ),
        (
            "version: 1\nextensions: [\n",
            "pbx.yaml:3:1: YAML syntax: did not find expected node content",
        ),
        (
            "version: 1\nextensions: !!python/object/apply:os.system [ls]\n",
            "pbx.yaml:2:13: YAML "
            "tag tag:yaml.org,2002:python/object/apply:os.system is not allowed in manifests",
        ),
        (
            "version: 1\nextensions:\n  - number: !secret 1000\n",
            "pbx.yaml:3:13: values tagged !secret are not allowed in manifests (only text, "
            "numbers, booleans, lists and mappings)",
        ),
        (
            "version: 1\nextensions:\n  - number: 1000\n    name:\n",
            "pbx.yaml:4:5: "
            "extensions[number=1000].name: no value; remove the line to leave the field unmanaged",
        ),
        (
            "version: 1\nextensions: {number: 1000}\n",
            "pbx.yaml:2:1: extensions: expected a list of extensions, found a mapping",
        ),
        (
            "version: 1\nextensions: [1000]\n",
            "pbx.yaml:2:14: extensions[0]: expected a mapping "
            "(one extension), found the number 1000",
        ),
    ],
)
def test_hostile_and_broken_input(tmp_path: Path, text: str, expected: str) -> None:
    assert only_error(tmp_path, text) == expected


def test_binary_junk(tmp_path: Path) -> None:
    (tmp_path / "pbx.yaml").write_bytes(b"version: 1\n\x00\xff\xfe junk")
    with pytest.raises(manifest.ManifestErrors) as caught:
        manifest.load([tmp_path], env={})
    assert str(caught.value).endswith("pbx.yaml:1:1: the file is binary, not YAML text")
    (tmp_path / "pbx.yaml").write_bytes(b"version: 1\nname: \xff\xfe\n")
    with pytest.raises(manifest.ManifestErrors) as caught:
        manifest.load([tmp_path], env={})
    assert str(caught.value).endswith("pbx.yaml:2:1: not UTF-8 text (byte 17)")


def test_very_deep_nesting(tmp_path: Path) -> None:
    message = only_error(tmp_path, "version: 1\nextensions: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nest" in message


def test_nesting_30000_deep_is_refused_not_a_crash(tmp_path: Path) -> None:
    """libyaml's composer recursed in C: `[` 30,000 deep (60 KB) ended the process with a
    segfault (exit 139). The depth is counted as the parser's events arrive. In a
    subprocess, so that a crash fails this test and not the whole run."""
    path = write(tmp_path, "version: 1\nextensions: " + "[" * 30_000 + "]" * 30_000 + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pbxconf", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"{path}:2:53: nested deeper than 40 levels"


def test_an_integer_python_cannot_read_is_a_manifest_error(tmp_path: Path) -> None:
    """Python refuses to read an integer of more than 4,300 digits: it was a traceback."""
    text = "version: 1\nextensions:\n  - number: 1000\n    ring_timeout: " + "9" * 5000 + "\n"
    assert only_error(tmp_path, text) == (
        "pbx.yaml:4:19: a number of more than 4300 digits; quote it if it is text"
    )
    quoted = text.replace("9" * 5000, '"' + "9" * 5000 + '"')
    assert "pbx.yaml:4:19: extensions[number=1000].ring_timeout:" in only_error(tmp_path, quoted)


@pytest.mark.parametrize("text", ["", "# nothing\n", "~\n", "null\n", "---\n", "--- ~\n...\n"])
def test_a_file_with_no_manifest_is_one_error(tmp_path: Path, text: str) -> None:
    """`~` validated as a manifest of no objects, where an empty file was an error."""
    assert only_error(tmp_path, text) == (
        "pbx.yaml:1:1: the file is empty; a manifest starts with `version: 1`"
    )
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nx: !!float abc\n", "pbx.yaml:2:4: 'abc' is not a value of the tag "),
        ("version: 1\nx: !!bool maybe\n", "pbx.yaml:2:4: 'maybe' is not a value of the tag "),
        ("version: 1\nx: &a [1, *a]\n", "pbx.yaml:2:11: the alias *a is inside the node it "),
        ("version: 1\nx: *a\n", "pbx.yaml:2:4: YAML syntax: found undefined alias"),
        ("version: 1\n---\nversion: 1\n", "pbx.yaml:2:1: YAML syntax: but found another doc"),
        ("version: 1\nx: <<\n", "pbx.yaml:2:4: values tagged tag:yaml.org,2002:merge are "),
    ],
)
def test_yaml_that_is_no_manifest_value(tmp_path: Path, text: str, expected: str) -> None:
    assert only_error(tmp_path, text).startswith(expected)


def test_yaml_values_as_yaml_1_2_reads_them(tmp_path: Path) -> None:
    from pbxconf.manifest.yaml import load

    text = (
        "a: yes\nb: 10:30\nc: 0o17\nd: 2020-01-01\ne: 1.5\nf: -.inf\ng: ~\nh:\n"
        "i: !!str 5\nj: '5'\nk: !!int '7'\nl: 012\nm: +5\nn: true\no: 1_000\np: -0\n"
        "q: &d {x: 1, y: 2}\nr: {y: 3, <<: *d}\ns: [*d]\n"
    )
    assert load(text, max_depth=40, max_nodes=1000) == {
        "a": "yes",
        "b": "10:30",
        "c": "0o17",
        "d": "2020-01-01",
        "e": 1.5,
        "f": float("-inf"),
        "g": None,
        "h": None,
        "i": "5",
        "j": "5",
        "k": 7,
        "l": "012",
        "m": "+5",
        "n": True,
        "o": "1_000",
        "p": 0,
        "q": {"x": 1, "y": 2},
        "r": {"y": 3, "x": 1},
        "s": [{"x": 1, "y": 2}],
    }


def test_the_limits_are_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PBX's manifests may be split over many files (a large export is): each file is
    held to the limits, not the run. Here a file may hold 400 values."""
    from pbxconf.manifest import loader

    monkeypatch.setattr(loader, "MAX_NODES", 400)
    extensions = "".join(f"  - {{number: {n}, name: x}}\n" for n in range(1000, 1060))
    write(tmp_path, "version: 1\nextensions:\n" + extensions, "a.yaml")
    more = extensions.replace("number: 1", "number: 2")
    write(tmp_path, "version: 1\nextensions:\n" + more, "b.yaml")
    desired = manifest.load([tmp_path], env={})  # 2 x 300 values: each file is within
    assert len(desired.state.objects["extension"]) == 120
    write(tmp_path, "version: 1\nextensions:\n" + extensions + more, "b.yaml")
    with pytest.raises(manifest.ManifestErrors) as caught:
        manifest.load([tmp_path / "b.yaml"], env={})
    assert str(caught.value).endswith(
        "b.yaml:1:1: the document expands to more than 400 values (aliases?); refused"
    )


def test_alias_bomb(tmp_path: Path) -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    assert only_error(tmp_path, "\n".join(lines) + "\n") == (
        "pbx.yaml:1:1: the document expands to more than 500000 values (aliases?); refused"
    )


def test_hidden_files_and_folders_in_a_directory_are_not_manifests(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nextensions:\n  - number: 1000\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("name: ci\non: [push]\n")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    desired = manifest.load([tmp_path], env={})
    assert list(desired.files) == [str(tmp_path / "pbx.yaml")]
    # A hidden file named on its own is read.
    with pytest.raises(manifest.ManifestErrors, match="repos: unknown top-level key"):
        manifest.load([tmp_path / ".pre-commit-config.yaml"], env={})


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        manifest.ManifestErrors, match=re.escape("nope.yaml: no such file or directory")
    ):
        manifest.load([tmp_path / "nope.yaml"])
    with pytest.raises(
        manifest.ManifestErrors, match=re.escape("no *.yaml or *.yml manifest found")
    ):
        manifest.load([tmp_path])


# ---- the command ---------------------------------------------------------------------


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path, "version: 1\nextensions: [{number: 1000, name: A}]\n", "good.yaml")
    result = CliRunner().invoke(main, ["validate", str(good)])
    assert result.exit_code == 0
    assert result.stdout == "1 file(s) valid: 1 extension\n"
    bad = write(tmp_path, "version: 1\nextensions: [{number: x}]\n", "bad.yaml")
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:2:23: extensions[number=x].number: expected to match pattern '^[0-9]+$'; found 'x'",
        "Error: 1 error in the manifests",
    ]


# ---- schema and examples -------------------------------------------------------------


def test_committed_schema_matches_the_models() -> None:
    committed = (ROOT / "schemas" / "pbxconf.schema.json").read_text(encoding="utf-8")
    assert committed == manifest_schema_text(), "run `pbxconf schema` and commit the result"


def test_schema_command_check(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["schema", "--check", "-d", str(tmp_path)]).exit_code == 1
    assert runner.invoke(main, ["schema", "-d", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["schema", "--check", "-d", str(tmp_path)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "apply-output.schema.json",
        "fleet-output.schema.json",
        "inventory.schema.json",
        "pbxconf-overlay.schema.json",
        "pbxconf.schema.json",
        "plan-output.schema.json",
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate_without_environment(example: Path) -> None:
    desired = manifest.load([example], env={})
    assert desired.state.count() > 0


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_follow_the_json_schema(example: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "pbxconf.schema.json").read_text())
    for path in sorted(example.glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/pbxconf.schema.json"
        data = json.loads(json.dumps(YAML(typ="safe").load(path.read_text())))
        jsonschema.validate(data, schema)


@pytest.mark.parametrize("name", [" carrier", "carrier ", "a,b"])
def test_names_that_a_comma_list_would_mangle_are_refused(tmp_path: Path, name: str) -> None:
    text = (
        f"version: 1\ntrunks:\n  - {{name: {json.dumps(name)}, type: peer, host: h, "
        "port: 5060, domain: d}\n"
    )
    assert "trunks[name=" in only_error(tmp_path, text)
    assert "expected to match pattern" in only_error(tmp_path, text)


def test_a_leading_zero_is_a_digit(tmp_path: Path) -> None:
    """YAML reads `pin: 0123` as the number 123; a PBX's PIN or number keeps its zero."""
    text = "version: 1\nextensions:\n  - number: 0100\n    voicemail: {pin: 0123}\n"
    desired = manifest.load([write(tmp_path, text)], env={})
    ext = desired.state.objects["extension"][("0100",)]
    assert ext.voicemail.pin == "0123"


@pytest.mark.parametrize(
    ("value", "field"),
    [("0x10", "number: 0x10"), ("1_000", "number: 1_000"), ("0o17", "number: 0o17")],
)
def test_a_number_yaml_would_convert_is_shown_as_written(
    tmp_path: Path, value: str, field: str
) -> None:
    error = only_error(tmp_path, f"version: 1\nextensions:\n  - {field}\n")
    assert error.startswith("pbx.yaml:3:13: ")
    assert f"expected to match pattern '^[0-9]+$'; found '{value}'" in error


@pytest.mark.parametrize("value", ["${}", "${NAME:?set it}", "pa${ss", "${1X}", "${X-y}"])
def test_a_dollar_brace_that_is_no_variable_is_refused_unechoed(tmp_path: Path, value: str) -> None:
    """Left alone, these reached the PBX as text (`${VAR:?message}` is common elsewhere)."""
    text = "version: 1\nextensions:\n  - number: 1000\n    registration:\n"
    text += f"      password: {json.dumps(value)}\n"
    error = only_error(tmp_path, text)
    assert error.startswith(
        "pbx.yaml:5:17: extensions[number=1000].registration.password: a `${` that is not a "
    )
    assert value not in error  # it may be a secret


def test_a_field_of_another_place_or_type_is_not_called_a_typo(tmp_path: Path) -> None:
    text = "version: 1\nextensions:\n  - number: 1000\n    pin: '1'\n"
    assert only_error(tmp_path, text) == (
        "pbx.yaml:4:5: extensions[number=1000].pin: unknown field `pin` here; it goes in "
        "`voicemail.pin`"
    )
    text = "version: 1\ntrunks:\n  - {name: t, type: peer, host: h, port: 5060, domain: d, "
    text += "password: p}\n"
    assert only_error(tmp_path, text).endswith(
        "trunks[name=t].password: `password` is not a field of a SIP trunk of type peer"
    )
    text = "version: 1\ninbound_routes:\n  - {name: r, trunks: [t], "
    text += "destination: {type: extension, extension: '1000'}}\n"
    assert "destination.extension: unknown field `extension`; the extension goes in `target`" in (
        "\n".join(errors(tmp_path, text))
    )


def test_the_readme_example_validates(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```yaml\n") + len("```yaml\n")
    (tmp_path / "pbx.yaml").write_text(readme[start : readme.index("```", start)])
    desired = manifest.load([tmp_path], env={})
    assert desired.state.get("extension", ("1000",)).voicemail.pin == "4321"
