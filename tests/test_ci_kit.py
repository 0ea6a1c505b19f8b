"""The CI kit (examples/ci) run the way CI would: each workflow parses and has the shape
its CI needs (one apply at a time per PBX, the plan comment found by pbxconf's marker),
and the shell of every step that runs pbxconf is executed by bash against the simulator
over TCP, in a repository holding the small-office manifests under pbx/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pbxconf.render import MARKER
from pbxconf.sim import DEFAULT_PASSWORD, DEFAULT_USERNAME
from pbxconf.sim.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "examples" / "ci"
GITHUB = sorted((KIT / "github").glob("*.yml"))
FLEET = ROOT / "examples" / "hotel-group" / ".github" / "workflows" / "pbxconf.yml"
BIN = Path(sys.executable).parent

# What the kit's GitHub workflows are given: the environment's variables and secrets.
VAULT = "CARRIER_PASSWORD=from-the-vault\nRECEPTION_VM_PIN=4321"


def read(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository as a team keeps it: the manifests under pbx/. Beside it, the runner's
    temporary directory (RUNNER_TEMP)."""
    shutil.copytree(ROOT / "examples" / "small-office", tmp_path / "repo" / "pbx")
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    (tmp_path / "runner-temp").mkdir()
    return tmp_path / "repo"


def run_step(script: str, repo: Path, server: ThreadedServer, **extra: str) -> int:
    """A step's shell as CI runs it (bash -e, pipefail), with the job's environment and
    what earlier steps appended to $GITHUB_ENV, as GitHub gives it to the steps after."""
    github_env = repo.parent / "github-env"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PBXCONF_URL": server.url,
        "PBXCONF_USERNAME": DEFAULT_USERNAME,
        "PBXCONF_PASSWORD": DEFAULT_PASSWORD,
        "RUNNER_TEMP": str(repo.parent / "runner-temp"),
        "GITHUB_OUTPUT": str(repo / "github-output"),
        "GITHUB_ENV": str(github_env),
        **extra,
        **name_value_lines(github_env),
    }
    command = ["bash", "-e", "-o", "pipefail", "-c", script]
    done = subprocess.run(command, cwd=repo, env=env, check=False)
    return done.returncode


def name_value_lines(path: Path, skip: int = 0) -> dict[str, str]:
    """The NAME=value lines of $GITHUB_ENV or $GITHUB_OUTPUT, from its `skip`-th line on."""
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()[skip:]
    return dict(line.split("=", 1) for line in lines if "=" in line)


def filled_in(text: str, server: ThreadedServer) -> str:
    """An env value of a workflow, its `${{ vars.X }}` and `${{ secrets.X }}` filled in as
    the environment `pbx` holds them; any other expression fails the test."""
    known = {
        "vars.PBXCONF_URL": server.url,
        "vars.PBXCONF_USERNAME": DEFAULT_USERNAME,
        "secrets.PBXCONF_PASSWORD": DEFAULT_PASSWORD,
        "secrets.PBX_SECRETS": VAULT,
    }

    def value(match: re.Match[str]) -> str:
        name = match[1].strip()
        assert name in known, f"no value for ${{{{ {name} }}}} here"
        return known[name]

    return EXPRESSION.sub(value, str(text))


def step_env(job: dict[str, Any], step: dict[str, Any], server: ThreadedServer) -> dict[str, str]:
    """The environment GitHub gives a step: the job's env, then the step's own."""
    declared = {**job.get("env", {}), **step.get("env", {})}
    return {name: filled_in(value, server) for name, value in declared.items()}


def run_job(
    workflow: str, repo: Path, server: ThreadedServer, *, until: str | None = None
) -> dict[str, str]:
    """A workflow's job as GitHub runs it, up to the step named `until`: each step's `if`
    (success() when it has none) says whether it runs; a `run` step runs here, and an
    action (`uses`) and the install (pbxconf is installed here) count as succeeding.
    Each step's outcome (success, failure, skipped), by name."""
    (job,) = read(KIT / "github" / workflow)["jobs"].values()
    (repo.parent / "github-env").unlink(missing_ok=True)  # a job starts with none
    (repo / "github-output").unlink(missing_ok=True)
    outcomes: dict[str, str] = {}
    steps: dict[str, Any] = {}  # the `steps` context, by step id
    for step in job["steps"]:
        name = step.get("name") or step["uses"]
        failed = "failure" in outcomes.values()
        lines_before = len(name_value_lines(repo / "github-output"))
        outcome = "skipped"
        if condition_holds(step.get("if", "success()"), failed, steps, repo):
            outcome = "success"
            if "run" in step and name != "Install pbxconf":
                code = run_step(step["run"], repo, server, **step_env(job, step, server))
                outcome = "success" if code == 0 else "failure"
        if "id" in step:
            outputs = name_value_lines(repo / "github-output", skip=lines_before)
            steps[step["id"]] = {"outcome": outcome, "outputs": outputs}
        outcomes[name] = outcome
        if name == until:
            break
    return outcomes


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*))"
)
_STATUS_CHECK = re.compile(r"\b(?:always|success|failure|cancelled)\s*\(")


def condition_holds(condition: str, failed: bool, steps: dict[str, Any], repo: Path) -> bool:
    """A step's `if`, as GitHub reads it, for the expressions the kit writes: status
    functions, hashFiles of a path, the steps context, strings, == != && || and !. Without
    a status function it holds only while no step failed (GitHub adds success() &&)."""
    text = condition.strip().removeprefix("${{").removesuffix("}}").strip()
    if not _STATUS_CHECK.search(text):
        text = f"success() && ({text})"
    functions = {
        "always": lambda: True,
        "success": lambda: not failed,
        "failure": lambda: failed,
        "cancelled": lambda: False,
        "hashFiles": lambda path: "a hash" if (repo / path).is_file() else "",
    }
    python = []
    position = 0
    while position < len(text):
        token = _TOKEN.match(text, position)
        assert token and token.end() > position, f"cannot read the condition {condition!r}"
        position = token.end()
        if token["string"]:
            python.append(repr(token["string"][1:-1].replace("''", "'")))
        elif token["op"]:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(token["op"], token["op"]))
        elif token["name"] in functions:
            python.append(f"functions[{token['name']!r}]")
        else:
            python.append(repr(context_value(token["name"], steps)))
    return bool(eval("".join(python), {"functions": functions}))


def context_value(path: str, steps: dict[str, Any]) -> Any:
    """`steps.<id>.outcome`, `steps.<id>.outputs.<name>`: '' for what is not there, as in
    GitHub."""
    context, *keys = path.split(".")
    assert context == "steps", f"the test cannot evaluate {path}"
    value: Any = steps
    for key in keys:
        value = value.get(key, "") if isinstance(value, dict) else ""
    return value


# An expression in a workflow, and where each may stand: the contexts and the functions
# beyond the general ones (contains, format...) that GitHub allows there (its "Context
# availability" table, docs.github.com, Contexts reference). Another one is refused when
# the workflow is read ("Unrecognized named-value: 'runner'"), before any job runs.
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_STEP = {"github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets"}
_STEP |= {"steps", "inputs"}
_JOB = {"github", "needs", "strategy", "matrix", "vars", "inputs"}
_STATUS = {"always", "cancelled", "success", "failure"}
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "run-name": ({"github", "inputs", "vars"}, set()),
    "concurrency": ({"github", "inputs", "vars"}, set()),
    "env": ({"github", "secrets", "inputs", "vars"}, set()),
    "jobs.*.concurrency": (_JOB, set()),
    "jobs.*.env": (_JOB | {"secrets"}, set()),
    "jobs.*.environment": (_JOB, set()),
    "jobs.*.if": ({"github", "needs", "vars", "inputs"}, _STATUS),
    "jobs.*.name": (_JOB, set()),
    "jobs.*.runs-on": (_JOB, set()),
    "jobs.*.steps.if": (_STEP - {"secrets"}, _STATUS | {"hashFiles"}),
    **{
        f"jobs.*.steps.{key}": (_STEP, {"hashFiles"})
        for key in ("env", "run", "with", "name", "working-directory", "continue-on-error")
    },
}
GENERAL_FUNCTIONS = {"contains", "startsWith", "endsWith", "format", "join", "toJSON", "fromJSON"}


def expressions(workflow: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    """(where it stands, the expression) for every expression in a workflow; an `if:` is
    an expression whether or not it is written in ${{ }}."""
    for place, text in _strings(workflow):
        if place.endswith(".if") and "${{" not in text:
            yield place, text
        else:
            yield from ((place, found) for found in EXPRESSION.findall(text))


def _strings(workflow: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    for key, value in workflow.items():
        if key != "jobs":
            yield from _leaves(str(key), value)
            continue
        for job in value.values():
            for job_key, job_value in job.items():
                if job_key != "steps":
                    yield from _leaves(f"jobs.*.{job_key}", job_value)
                    continue
                for step in job_value:
                    for step_key, step_value in step.items():
                        yield from _leaves(f"jobs.*.steps.{step_key}", step_value)


def _leaves(place: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield place, value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _leaves(place, inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(place, inner)


def names_used(expression: str) -> tuple[set[str], set[str]]:
    """The contexts and the functions an expression names."""
    code = re.sub(r"'(?:[^']|'')*'", "''", expression)  # a string's words name nothing
    contexts: set[str] = set()
    functions: set[str] = set()
    for match in re.finditer(r"(?<![\w.\-])([A-Za-z_][\w\-]*)(\s*\()?", code):
        if match[2]:
            functions.add(match[1])
        elif match[1] not in ("true", "false", "null"):
            contexts.add(match[1])
    return contexts, functions


def misused(place: str, expression: str) -> list[str]:
    if place not in ALLOWED:
        return [f"{place}: no expression may stand here (or the test's table lacks it)"]
    contexts, functions = names_used(expression)
    allowed_contexts, allowed_functions = ALLOWED[place]
    return [
        f"{place}: {name} is not available here: ${{{{{expression}}}}}"
        for name in sorted(contexts - allowed_contexts)
        + sorted(functions - allowed_functions - GENERAL_FUNCTIONS)
    ]


@pytest.mark.parametrize("workflow", GITHUB, ids=[p.stem for p in GITHUB])
def test_github_workflows_have_the_shape_ci_needs(workflow: Path) -> None:
    data = read(workflow)
    assert data["name"] and data["jobs"]
    trigger = data.get("on") or data.get(True)  # YAML 1.1 reads `on` as true
    assert trigger
    for job in data["jobs"].values():
        assert job["runs-on"] and job["steps"]
        names = [s.get("name", "") for s in job["steps"]]
        assert "Install pbxconf" in names
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), "expressions belong in env:, not the shell"


@pytest.mark.parametrize("workflow", [*GITHUB, FLEET], ids=[p.stem for p in [*GITHUB, FLEET]])
def test_github_workflows_use_each_context_only_where_github_allows_it(workflow: Path) -> None:
    found = list(expressions(read(workflow)))
    assert found
    assert [problem for place, text in found for problem in misused(place, text)] == []


def test_the_expression_check_finds_a_context_used_where_github_refuses_it() -> None:
    job_env = {"jobs": {"j": {"env": {"F": "${{ runner.temp }}/f"}, "steps": []}}}
    assert misused(*next(expressions(job_env))) == [
        "jobs.*.env: runner is not available here: ${{ runner.temp }}"
    ]
    step_if = {"jobs": {"j": {"steps": [{"if": "always() && secrets.X != ''"}]}}}
    assert misused(*next(expressions(step_if))) == [
        "jobs.*.steps.if: secrets is not available here: ${{always() && secrets.X != ''}}"
    ]
    assert misused("jobs.*.if", "hashFiles('plan.md') != 'github.x'") == [
        "jobs.*.if: hashFiles is not available here: ${{hashFiles('plan.md') != 'github.x'}}"
    ]
    assert misused("on", "github.ref")[0].startswith("on: no expression may stand here")


def test_a_value_a_step_appends_to_github_env_is_set_for_the_steps_after(
    repo: Path, server: ThreadedServer
) -> None:
    write = 'echo "SEEN=${SEEN:-unset}" > first; echo "SEEN=from the first" >> "$GITHUB_ENV"'
    assert run_step(write, repo, server) == 0
    assert run_step('echo "SEEN=$SEEN" > second', repo, server) == 0
    assert (repo / "first").read_text() == "SEEN=unset\n"
    assert (repo / "second").read_text() == "SEEN=from the first\n"


def test_apply_runs_one_at_a_time_per_pbx() -> None:
    concurrency = read(KIT / "github" / "pbx-apply.yml")["concurrency"]
    assert "PBXCONF_URL" in concurrency["group"] and concurrency["cancel-in-progress"] is False
    gitlab = read(KIT / "gitlab" / ".gitlab-ci.yml")
    group = gitlab["apply"]["resource_group"]
    assert group == "pbx-$PBX_NAME"
    # GitLab takes letters, digits, - _ / $ { } . and spaces in a group's name (a URL's ':'
    # is refused), so the group is named by a variable that is a plain name.
    assert re.fullmatch(r"[\w\-/${}. ]+", group)


def test_the_plan_comment_is_found_by_pbxconfs_marker() -> None:
    assert MARKER in (KIT / "github" / "pbx-plan.yml").read_text()
    assert read(KIT / "gitlab" / ".gitlab-ci.yml")["variables"]["MARKER"] == MARKER


def test_github_plan_and_apply_run_against_the_pbx(repo: Path, server: ThreadedServer) -> None:
    plan = run_job("pbx-plan.yml", repo, server)
    assert set(plan.values()) == {"success"}  # every step ran, the comment too
    assert "exitcode=2" in (repo / "github-output").read_text()  # changes to apply
    assert (repo / "plan.md").read_text().startswith(MARKER)
    assert set(run_job("pbx-apply.yml", repo, server).values()) == {"success"}
    assert '"outcome": "applied"' in (repo / "apply.json").read_text()
    drift = run_job("pbx-drift.yml", repo, server)
    assert "exitcode=0" in (repo / "github-output").read_text()  # no drift after the apply
    assert drift["Plan"] == "success" and drift["Open or update the drift issue"] == "skipped"


def test_github_drift_check_finds_a_change_made_in_the_web_page(
    repo: Path, server: ThreadedServer
) -> None:
    assert set(run_job("pbx-apply.yml", repo, server).values()) == {"success"}
    server.sim.state.admin_put("extension", {"extnumber": "1000", "username": "Someone"})
    drift = run_job("pbx-drift.yml", repo, server)
    assert "exitcode=2" in (repo / "github-output").read_text()
    assert drift["Plan"] == "success" and drift["Open or update the drift issue"] == "success"
    assert "Someone" in (repo / "plan.md").read_text()


def test_invalid_manifests_still_update_the_plan_comment(
    repo: Path, server: ThreadedServer
) -> None:
    (repo / "pbx" / "broken.yaml").write_text(
        "version: 1\nextensions: [{number: 1000, dnd: maybe}]\n"
    )
    steps = run_job("pbx-plan.yml", repo, server)
    assert steps["Validate"] == "failure" and steps["Plan"] == "failure"
    assert steps["Comment"] == "success"  # the comment says why, rather than stay stale
    plan = (repo / "plan.md").read_text()
    assert plan.startswith(MARKER)
    assert "pbx/broken.yaml:2:34:" in plan and "No plan: 1 error in the manifests" in plan


def test_the_job_runner_skips_what_github_skips(repo: Path, server: ThreadedServer) -> None:
    steps: dict[str, Any] = {"plan": {"outcome": "success", "outputs": {"exitcode": "2"}}}
    assert condition_holds("steps.plan.outputs.exitcode == '2'", False, steps, repo)
    assert not condition_holds("steps.plan.outputs.exitcode == '2'", True, steps, repo)
    assert not condition_holds("${{ steps.other.outcome == 'failure' }}", False, steps, repo)
    assert condition_holds("always() && hashFiles('pbx/pbx.yaml') != ''", True, steps, repo)
    assert not condition_holds("always() && hashFiles('plan.md') != ''", True, steps, repo)
    assert condition_holds("failure() || !success()", True, steps, repo)


def test_github_backup_exports_the_pbx_from_a_fresh_checkout(
    repo: Path, server: ThreadedServer
) -> None:
    assert not (repo / "backup").exists()  # the first night: no backup yet
    steps = run_job("pbx-backup.yml", repo, server, until="Export")
    assert steps["Export"] == "success"
    assert (repo / "backup" / "pbx" / "extensions.yaml").exists()
    assert "Set these environment variables" in (repo / "backup" / "variables.txt").read_text()


def gitlab_run(
    job: str, repo: Path, server: ThreadedServer, script: str | None = None, **extra: str
) -> int:
    """A job's script, its file variable PBX_SECRETS a file as GitLab makes one."""
    secrets = repo.parent / "gitlab-pbx-secrets"
    secrets.write_text("CARRIER_PASSWORD=from-the-vault\nRECEPTION_VM_PIN=4321\n")
    given = {"PBX_SECRETS": str(secrets), "PBXCONF_SECRETS_FILE": str(secrets), **extra}
    return run_step(script or gitlab_script(job), repo, server, **given)


def gitlab_script(job: str) -> str:
    return "\n".join(read(KIT / "gitlab" / ".gitlab-ci.yml")[job]["script"])


def test_gitlab_jobs_run_against_the_pbx(repo: Path, server: ThreadedServer) -> None:
    assert gitlab_run("validate", repo, server) == 0
    assert gitlab_run("apply", repo, server) == 0
    assert '"ok": true' in (repo / "apply.json").read_text()
    export = gitlab_script("backup").splitlines()[0]
    assert gitlab_run("backup", repo, server, export) == 0
    assert (repo / "backup" / "pbx" / "pbx.yaml").exists()


def test_gitlab_plan_updates_its_note_when_validate_failed(
    repo: Path, server: ThreadedServer
) -> None:
    (repo / "pbx" / "broken.yaml").write_text(
        "version: 1\nextensions: [{number: 1000, dnd: maybe}]\n"
    )
    assert gitlab_run("validate", repo, server) == 1
    # A job of a later stage runs after a failed one only with `when: always`.
    rules = read(KIT / "gitlab" / ".gitlab-ci.yml")["plan"]["rules"]
    assert [rule.get("when") for rule in rules] == ["always"]
    api = gitlab_api(repo.parent)
    assert gitlab_run("plan", repo, server, **api) == 1
    assert "-X POST" in Path(api["CURL_LOG"]).read_text()  # the note: a new one, here
    plan = (repo / "plan.md").read_text()
    assert plan.startswith(MARKER) and "pbx/broken.yaml:2:34:" in plan


def gitlab_api(where: Path) -> dict[str, str]:
    """The variables GitLab gives a merge request's job, and a curl that answers as an API
    with no notes yet, each call it gets logged."""
    bin_dir = where / "fake-bin"
    bin_dir.mkdir()
    curl = bin_dir / "curl"
    curl.write_text('#!/bin/sh\necho "$*" >> "$CURL_LOG"\necho "[]"\n')
    curl.chmod(0o755)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
        "CURL_LOG": str(where / "curl.log"),
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_IID": "12",
        "GITLAB_API_TOKEN": "glpat-test",
        "MARKER": read(KIT / "gitlab" / ".gitlab-ci.yml")["variables"]["MARKER"],
    }


def test_the_pre_commit_hook_validates(repo: Path, server: ThreadedServer) -> None:
    (hook,) = read(KIT / "pre-commit-config.yaml")["repos"][0]["hooks"]
    laptop = {"PBXCONF_SECRETS_FILE": "", "CARRIER_PASSWORD": ""}  # no vault here
    laptop.pop("CARRIER_PASSWORD")
    assert run_step(hook["entry"], repo, server, **laptop) == 0
    (repo / "pbx" / "broken.yaml").write_text("version: 1\nextensions: [{number: x}]\n")
    assert run_step(hook["entry"], repo, server, **laptop) == 1
