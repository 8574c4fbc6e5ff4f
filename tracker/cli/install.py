"""``tracker init`` and ``tracker workflows``: a whole desk written into an empty repository.

``init`` writes tracker.yml from a preset (with ``adopted:`` and the ``github:`` section the
workflows are generated from), the issue forms and the workflows, and, given a token and a
repository, creates the labels. ``workflows`` regenerates the workflows from tracker.yml;
``--check`` fails when they are stale and ``--minutes`` prints what the schedule costs.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import click

from tracker.cli.common import CONFIG_OPTION, config_path
from tracker.config import ACTION_PLACEHOLDER, PRESETS, Config, load_config, preset_path
from tracker.errors import UsageError
from tracker.i18n import Translator, format_names, format_span

_ACTION_REF = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
_LABEL = re.compile(r"^[A-Za-z0-9_.-]+$")
FORMS_DIR = Path(".github/ISSUE_TEMPLATE")
WORKFLOWS_DIR = Path(".github/workflows")


def _action_ref(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or value == ACTION_PLACEHOLDER or _ACTION_REF.match(value):
        return value
    raise click.BadParameter(f"{value!r} is not OWNER/REPO@SHA with a full 40-character commit SHA")


def _runs_on(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    labels = [part.strip() for part in value.split(",") if part.strip()]
    if not labels or not all(_LABEL.match(label) for label in labels):
        raise click.BadParameter(f"{value!r} is not a runner label or a comma-separated list of them")
    return labels


def _github_section(action: str, runs_on: list[str]) -> str:
    return (
        "\n# The generated workflows (`tracker workflows`): the grader action at a full commit SHA,\n"
        "# the runner labels and the month's runner minutes the grader's schedule is fitted to.\n"
        "github:\n"
        f"  action: {action}\n"
        f"  runs_on: [{', '.join(runs_on)}]\n"
        "  minutes_per_month: 2000\n"
    )


@click.command()
@click.option("--preset", type=click.Choice(PRESETS), required=True, help="Which rulebook.")
@click.option(
    "--path", type=click.Path(dir_okay=False, path_type=Path), default=Path("tracker.yml"),
    show_default=True, help="Where to write it; the forms and workflows go under .github/ beside it.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing tracker.yml.")
@click.option(
    "--adopted", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="The day the desk starts (default: today in the preset's time zone); older issues are "
         "tickets only once staff label them.",
)  # fmt: skip
@click.option(
    "--action-ref", default=ACTION_PLACEHOLDER, show_default=True, callback=_action_ref, metavar="OWNER/REPO@SHA",
    help="The grader action the workflows use, at a full commit SHA. Left as the placeholder, "
         "`tracker workflows --check` fails until it is named.",
)  # fmt: skip
@click.option(
    "--runs-on", default="ubuntu-latest", show_default=True, callback=_runs_on, metavar="LABELS",
    help="The runner: ubuntu-latest, or self-hosted labels separated by commas (self-hosted,linux).",
)  # fmt: skip
@click.option("--repo", envvar="GITHUB_REPOSITORY", show_envvar=True, metavar="OWNER/NAME",
              help="With --token: create the labels in this repository.")  # fmt: skip
@click.option("--token", envvar="GITHUB_TOKEN", show_envvar=True, help="A token with issues: write.")
@click.option("--api-url", envvar="GITHUB_API_URL", default="https://api.github.com", show_default=True,
              show_envvar=True, help="The REST API root (Enterprise: https://HOST/api/v3).")  # fmt: skip
def init(
    preset: str, path: Path, force: bool, adopted: datetime | None, action_ref: str, runs_on: list[str],
    repo: str | None, token: str | None, api_url: str,
) -> None:  # fmt: skip
    """Write a desk from a preset: tracker.yml, the issue forms and the workflows (and the labels)."""
    from zoneinfo import ZoneInfo

    from tracker.forms import write_issue_forms
    from tracker.workflows import unset_action, write_workflows

    if path.exists() and not force:
        raise UsageError(
            f"{path} exists: run `tracker workflows` to regenerate the workflows (`tracker forms` for "
            "the issue forms), or `tracker init --force` to start over"
        )
    source = preset_path(preset)
    day = adopted.date() if adopted else datetime.now(ZoneInfo(load_config(source).timezone)).date()
    text = source.read_text(encoding="utf-8").rstrip("\n")
    section = _github_section(action_ref, runs_on)
    if re.search(r"(?m)^github:[ \t]*$", text):  # the preset's own github: section takes the keys
        keys = section.split("github:\n", 1)[1].rstrip("\n")
        text, section = re.sub(r"(?m)^github:[ \t]*$", lambda _: "github:\n" + keys, text, count=1), ""
    path.write_text(
        text + "\n\n# The day the desk was adopted: issues opened before it are tickets only once staff\n"
        f"# give them a type or grade label.\nadopted: {day.isoformat()}\n" + section,
        encoding="utf-8",
    )
    click.echo(f"wrote {path} from the {preset} preset; edit roles to name your people")
    cfg = load_config(path)
    root = path.parent
    forms = write_issue_forms(cfg, root / FORMS_DIR)
    click.echo(f"wrote {len(forms)} issue forms in {root / FORMS_DIR}")
    flows = write_workflows(cfg, root / WORKFLOWS_DIR)
    click.echo(f"wrote {', '.join(str(p) for p in flows)}")
    from tracker.schedule import schedule_for

    if schedule_for(cfg).slots:
        click.echo("the grader workflow has wake slots: save a token with this repository's Variables: read and "
                   "write as the secret TRACKER_WAKE_TOKEN, or no slot ever runs (docs/install-github.md, "
                   "\"What it costs\")")  # fmt: skip
    if unset_action(cfg):
        click.echo(
            f"warning: github.action is still {ACTION_PLACEHOLDER}: set it to the grader action "
            "at a full commit SHA, then run `tracker workflows`", err=True,
        )  # fmt: skip
    if token and repo:
        _create_labels(cfg, repo, token, api_url)
    else:
        click.echo("labels: not created (no --repo and --token); run `tracker labels sync` once the "
                   "repository exists, or let the first grader run create them")  # fmt: skip


def _create_labels(cfg: Config, repo: str, token: str, api_url: str) -> None:
    from tracker.github_hub import GitHubHub
    from tracker.runner import sync_labels

    hub = GitHubHub(repo, token, api_url=api_url, bot_login=cfg.bot.login)
    try:
        created = sync_labels(cfg, hub)
    finally:
        hub.disconnect()
    click.echo(f"labels: {len(created)} created in {repo}")


@click.command("workflows")
@CONFIG_OPTION
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=WORKFLOWS_DIR,
    show_default=True,
)  # fmt: skip
@click.option("--check", is_flag=True, help="Fail if the files differ from the config or github.action is unset.")
@click.option(
    "--minutes", is_flag=True, help="Print the grader's schedule and its runner minutes a month; write nothing."
)
def workflows_command(cfg: Config, directory: Path, check: bool, minutes: bool) -> None:
    """Generate the grader and site workflows from the config (they use the grader action)."""
    from tracker.schedule import schedule_for
    from tracker.workflows import write_workflows

    _ = Translator(cfg.locale)
    if minutes:
        s = schedule_for(cfg)
        for line in s.lines:
            click.echo(f"cron: {line}")
        for tier in s.tiers:
            click.echo(_(
                "every %(step)s in %(hours)s hours a week (UTC) whose shortest clock is %(shortest)s",
                step=format_span(tier.step * 60, cfg.locale), hours=tier.hours,
                shortest=format_span(tier.shortest * 60, cfg.locale),
            ))  # fmt: skip
        click.echo(_(
            "%(runs)s runs a month, about %(minutes)s runner minutes (the schedule's share of "
            "github.minutes_per_month: %(budget)s)",
            runs=s.runs_per_month, minutes=s.minutes_per_month, budget=s.budget,
        ))  # fmt: skip
        if s.slots:
            click.echo(_(
                "plus %(n)s wake slots, every 5 minutes in %(hours)s UTC hours a day, each run only when the "
                "variable TRACKER_WAKE names it (the secret TRACKER_WAKE_TOKEN writes it)",
                n=len(s.slots), hours=s.slot_hours_a_day,
            ))  # fmt: skip
        return
    written = write_workflows(cfg, directory, check=check, source=str(config_path()))
    paths = format_names((str(p) for p in written), cfg.locale)
    click.echo(_("up to date: %(paths)s", paths=paths) if check else _("wrote: %(paths)s", paths=paths))


COMMANDS: list[click.Command] = [init, workflows_command]
