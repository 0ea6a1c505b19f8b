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
BIN = Path(sys.executable).parent


def read(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository as a team keeps it: the manifests under pbx/, its secrets in a file."""
    shutil.copytree(ROOT / "examples" / "small-office", tmp_path / "pbx")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def run_step(script: str, repo: Path, server: ThreadedServer, **extra: str) -> int:
    """A step's shell as CI runs it (bash -e), with the job's environment."""
    outputs = repo / "github-output"
    secrets = repo / "pbx-secrets.env"
    vault = "CARRIER_PASSWORD=from-the-vault\nRECEPTION_VM_PIN=4321"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PBXCONF_URL": server.url,
        "PBXCONF_USERNAME": DEFAULT_USERNAME,
        "PBXCONF_PASSWORD": DEFAULT_PASSWORD,
        "PBXCONF_SECRETS_FILE": str(secrets),
        "PBX_SECRETS": vault,
        "GITHUB_OUTPUT": str(outputs),
        **extra,
    }
    done = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, check=False)
    return done.returncode


def steps_named(workflow: Path, *names: str) -> list[str]:
    steps = {s.get("name"): s for job in read(workflow)["jobs"].values() for s in job["steps"]}
    return [steps[name]["run"] for name in names]


def run_steps(workflow: str, *names: str, repo: Path, server: ThreadedServer) -> int:
    """The named steps of one workflow in order, as its job runs them; the last one's code."""
    code = 0
    for script in steps_named(KIT / "github" / workflow, *names):
        code = run_step(script, repo, server)
    return code


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
    secrets, validate, plan = (
        run for run in steps_named(KIT / "github" / "pbx-plan.yml", "Secrets", "Validate", "Plan")
    )
    assert run_step(secrets, repo, server) == 0
    assert run_step(validate, repo, server) == 0
    assert run_step(plan, repo, server) == 0
    assert "exitcode=2" in (repo / "github-output").read_text()  # changes to apply
    assert (repo / "plan.md").read_text().startswith(MARKER)
    assert run_steps("pbx-apply.yml", "Secrets", "Apply", repo=repo, server=server) == 0
    assert '"outcome": "applied"' in (repo / "apply.json").read_text()
    (repo / "github-output").unlink()
    assert run_steps("pbx-drift.yml", "Secrets", "Plan", repo=repo, server=server) == 0
    assert "exitcode=0" in (repo / "github-output").read_text()  # no drift after the apply


def test_github_drift_check_finds_a_change_made_in_the_web_page(
    repo: Path, server: ThreadedServer
) -> None:
    assert run_steps("pbx-apply.yml", "Secrets", "Apply", repo=repo, server=server) == 0
    server.sim.state.admin_put("extension", {"extnumber": "1000", "username": "Someone"})
    assert run_steps("pbx-drift.yml", "Secrets", "Plan", repo=repo, server=server) == 0
    assert "exitcode=2" in (repo / "github-output").read_text()
    assert "Someone" in (repo / "plan.md").read_text()


def test_a_plan_that_fails_still_writes_the_comment(repo: Path, server: ThreadedServer) -> None:
    (repo / "pbx" / "broken.yaml").write_text(
        "version: 1\nextensions: [{number: 1000, dnd: maybe}]\n"
    )
    assert run_steps("pbx-plan.yml", "Secrets", "Plan", repo=repo, server=server) != 0
    assert "broken.yaml:2:" in (repo / "plan.md").read_text()


def test_github_backup_exports_the_pbx(repo: Path, server: ThreadedServer) -> None:
    steps = read(KIT / "github" / "pbx-backup.yml")["jobs"]["backup"]["steps"]
    export = next(s["run"] for s in steps if s.get("name") == "Export")
    (repo / "backup").mkdir()
    assert run_step(export, repo, server) == 0
    assert (repo / "backup" / "pbx" / "extensions.yaml").exists()


def gitlab_run(job: str, repo: Path, server: ThreadedServer, script: str | None = None) -> int:
    """A job's script, its file variable PBX_SECRETS a file as GitLab makes one."""
    secrets = repo / "gitlab-pbx-secrets"
    secrets.write_text("CARRIER_PASSWORD=from-the-vault\nRECEPTION_VM_PIN=4321\n")
    given = {"PBX_SECRETS": str(secrets), "PBXCONF_SECRETS_FILE": str(secrets)}
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


def test_the_pre_commit_hook_validates(repo: Path, server: ThreadedServer) -> None:
    (hook,) = read(KIT / "pre-commit-config.yaml")["repos"][0]["hooks"]
    laptop = {"PBXCONF_SECRETS_FILE": "", "CARRIER_PASSWORD": ""}  # no vault here
    laptop.pop("CARRIER_PASSWORD")
    assert run_step(hook["entry"], repo, server, **laptop) == 0
    (repo / "pbx" / "broken.yaml").write_text("version: 1\nextensions: [{number: x}]\n")
    assert run_step(hook["entry"], repo, server, **laptop) == 1
