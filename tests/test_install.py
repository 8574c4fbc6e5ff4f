"""``tracker init`` writes a whole desk; ``tracker workflows`` regenerates and checks its workflows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from github_desk import Desk, open_desk
from test_cli import run

from tracker.config import PRESETS, load_config

SHA = "0123456789abcdef0123456789abcdef01234567"
REF = f"acme/desk-grader@{SHA}"
NO_LABELS = (
    "labels: not created (no --repo and --token); run `tracker labels sync` once the repository exists, "
    "or let the first grader run create them\n"
)


@pytest.fixture
def gh(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from open_desk(tmp_path / "fake", capsys, monkeypatch)


def test_init_writes_the_policy_the_forms_and_the_workflows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code, out, err = run(["init", "--preset", "desk", "--adopted", "2026-05-01", "--action-ref", REF], tmp_path)
    assert (code, err) == (0, "")
    assert out == (
        "wrote tracker.yml from the desk preset; edit roles to name your people\n"
        "wrote 5 issue forms in .github/ISSUE_TEMPLATE\n"
        "wrote .github/workflows/grader.yml, .github/workflows/publish.yml\n"
        "the grader workflow has wake slots: save a token with this repository's Variables: read and write as "
        'the secret TRACKER_WAKE_TOKEN, or no slot ever runs (docs/install-github.md, "What it costs")\n' + NO_LABELS
    )
    cfg = load_config(tmp_path / "tracker.yml")
    assert (cfg.github.action, cfg.github.runs_on, cfg.github.minutes_per_month) == (REF, ["ubuntu-latest"], 2000)
    grader = (tmp_path / ".github/workflows/grader.yml").read_text()
    assert f"uses: {REF}\n" in grader
    assert run(["forms", "--check"], tmp_path)[0] == 0
    code, out, _ = run(["workflows", "--check"], tmp_path)
    assert (code, out) == (0, "已是最新：.github/workflows/grader.yml、.github/workflows/publish.yml\n")


def test_init_on_self_hosted_runners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    args = ["init", "--preset", "club", "--action-ref", REF, "--runs-on", "self-hosted, linux"]
    assert run(args, tmp_path)[0] == 0
    data = yaml.safe_load((tmp_path / ".github/workflows/grader.yml").read_text())
    assert data["jobs"]["grade"]["runs-on"] == ["self-hosted", "linux"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--action-ref", "acme/desk-grader@v1"],
         "Invalid value for '--action-ref': 'acme/desk-grader@v1' is not OWNER/REPO@SHA with a full "
         "40-character commit SHA"),
        (["--action-ref", f"acme@{SHA}"],
         f"Invalid value for '--action-ref': 'acme@{SHA}' is not OWNER/REPO@SHA with a full 40-character "
         "commit SHA"),
        (["--runs-on", "ubuntu latest"],
         "Invalid value for '--runs-on': 'ubuntu latest' is not a runner label or a comma-separated list of them"),
    ],
)  # fmt: skip
def test_init_refuses_a_bad_ref_or_runner(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run(["init", "--preset", "desk", *args], tmp_path)
    assert code == 2
    assert err.endswith(f"Error: {message}\n")
    assert not (tmp_path / "tracker.yml").exists()


def test_the_placeholder_action_is_written_but_never_passes_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code, _, err = run(["init", "--preset", "online"], tmp_path)
    assert code == 0
    assert err == (
        "warning: github.action is still OWNER/REPO@SHA: set it to the grader action at a full commit SHA, "
        "then run `tracker workflows`\n"
    )
    code, _, err = run(["workflows", "--check"], tmp_path)
    assert code == 2
    assert err == (
        "error: tracker.yml: github.action: still OWNER/REPO@SHA: name the grader action as OWNER/REPO@SHA "
        "(a full commit SHA) and run `tracker workflows`\n"
    )


def test_workflows_check_fails_when_the_policy_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert run(["init", "--preset", "desk", "--action-ref", REF], tmp_path)[0] == 0
    policy = tmp_path / "tracker.yml"
    policy.write_text(policy.read_text().replace("minutes_per_month: 2000", "minutes_per_month: 500"))
    code, _, err = run(["workflows", "--check"], tmp_path)
    assert code == 1
    assert err == (
        "error: workflows are out of date with tracker.yml: .github/workflows/grader.yml; run `tracker workflows`\n"
    )
    assert run(["workflows"], tmp_path) == (0, "已写入：.github/workflows/grader.yml、.github/workflows/publish.yml\n",
                                            "")  # fmt: skip
    assert run(["workflows", "--check"], tmp_path)[0] == 0


def test_workflows_never_overwrite_a_hand_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert run(["init", "--preset", "desk", "--action-ref", REF], tmp_path)[0] == 0
    (tmp_path / ".github/workflows/publish.yml").write_text("name: mine\n")
    code, _, err = run(["workflows"], tmp_path)
    assert code == 1
    assert err == (
        "error: .github/workflows/publish.yml: written by hand, not by `tracker workflows`; "
        "move or delete it so the generated workflow can take its place\n"
    )


def test_workflows_minutes_prints_the_schedule_and_its_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert run(["init", "--preset", "online", "--action-ref", REF], tmp_path)[0] == 0
    code, out, _ = run(["workflows", "--minutes"], tmp_path)
    assert code == 0
    assert out.splitlines() == [
        "cron: 7,47 0,10,12,14 * * 1-5",
        "cron: 7,22,37,52 1-9 * * 1-5",  # 09:00-18:00 on weekdays in Shanghai: a 5-minute clock counts then
        "cron: 27 11,13,15,23 * * 1-5",
        "cron: 7,47 0,2,4,6,8,10,12,14 * * 0,6",  # weekends: manned, the shortest clock 30 minutes
        "cron: 27 1,3,5,7,9,11,13,15,23 * * 0,6",
        "cron: 3 23 * * 0-6",  # 07:03 in Shanghai, as the desk is manned again
        "每 15分钟 运行一次：每周 45 个小时（UTC），其中最短的时钟为 5分钟",
        "每 40分钟 运行一次：每周 74 个小时（UTC），其中最短的时钟为 30分钟",
        "每月 1273 次，约 1273 分钟运行器时间（定时运行在 github.minutes_per_month 中的份额：1300）",
        "另有 204 个唤醒时段：每天 17 个 UTC 小时内每 5 分钟一个，仅当变量 TRACKER_WAKE 列出时才运行（由密钥 TRACKER_WAKE_TOKEN 写入）",
    ]


def test_init_with_a_token_and_a_repository_creates_the_labels(gh: Desk, tmp_path: Path) -> None:
    root = tmp_path / "desk"
    root.mkdir()
    args = ["init", "--preset", "club", "--action-ref", REF, "--path", str(root / "tracker.yml"),
            "--repo", "acme/desk", "--token", gh.srv.token, "--api-url", gh.srv.base_url]  # fmt: skip
    done = gh.tracker(*args)
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1].startswith("labels: ") and done.out.endswith(" created in acme/desk\n")
    assert "grade:l3" in gh.srv.labels or len(gh.srv.labels) > 5
    assert (root / ".github/workflows/grader.yml").exists()


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_makes_workflows_that_use_the_action(preset: str, tmp_path: Path) -> None:
    from tracker.workflows import workflows

    text = tmp_path / "tracker.yml"
    code, out, _ = run(["init", "--preset", preset, "--action-ref", REF], tmp_path)
    assert code == 0
    cfg = load_config(text)
    files = workflows(cfg)
    grader = yaml.safe_load(files["grader.yml"])
    slots = [e["cron"] for e in grader[True]["schedule"] if e["cron"].endswith(" * * *")]  # YAML 1.1: on is True
    told = "the grader workflow has wake slots: save a token with this repository's Variables" in out
    assert told == bool(slots) == (preset != "club")  # the club's hours are run every 20 minutes: no slot
    if slots:
        assert grader["jobs"]["grade"]["steps"][1]["with"]["wake-token"] == "${{ secrets.TRACKER_WAKE_TOKEN }}"
    assert grader["jobs"]["grade"]["concurrency"] == {"group": "grader", "cancel-in-progress": False}
    assert [s.get("uses") for s in grader["jobs"]["grade"]["steps"]][1] == REF
    assert [s.get("uses") for s in grader["jobs"]["timer"]["steps"]][1] == REF


def test_the_install_guide_states_the_minutes_each_preset_costs() -> None:
    from tracker.config import preset_path
    from tracker.schedule import schedule_for

    guide = (Path(__file__).resolve().parent.parent / "docs" / "install-github.md").read_text(encoding="utf-8")
    table = guide.split("<!-- minutes-table:", 1)[1].split("<!-- /minutes-table -->", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    expected = []
    for preset in PRESETS:
        cfg = load_config(preset_path(preset))
        s = schedule_for(cfg)
        assert s.fits and s.budget == int(2000 * cfg.github.schedule_share)  # of the default 2,000
        intervals = "; ".join(f"{t.step} min in {t.hours} h (shortest clock {t.shortest:,} min)" for t in s.tiers)
        expected.append(
            f"| `{preset}` | {s.manned_hours_per_week} | {intervals} | {s.runs_per_month:,} | {s.minutes_per_month:,} "
            f"| {s.slot_hours_a_day} |"
        )
    assert rows == expected
