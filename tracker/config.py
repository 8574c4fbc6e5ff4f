"""The one policy file, ``tracker.yml``: loaded once, validated, passed down as typed objects.

Pydantic checks shapes (unknown keys, types, durations);
:func:`tracker.config_checks.cross_check` checks references (a grade not in the scale,
a role with nobody in it, overlapping windows).
Every fault is reported as ``file: key.path: what is wrong`` and raises
:class:`~tracker.errors.ConfigError` before anything is touched.

Longer than most modules on purpose: the whole schema lives in one file, so the policy's
shape reads in one place, section by section.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)
from pydantic.functional_validators import field_validator

from tracker.config_checks import cross_check
from tracker.config_values import Duration, Matcher, Range, Scalar, Window, parse_duration
from tracker.config_yaml import parse_policy_text, read_policy
from tracker.errors import ConfigError
from tracker.i18n import DEFAULT_LOCALE, locales


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------- parts


class Named(_Model):
    """Something with an id and a display name in each language."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: str
    name_en: str | None = None
    description: str = ""

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class Grade(Named):
    color: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{6}$")] = "d73a4a"


class Role(_Model):
    name: str
    name_en: str | None = None
    members: Annotated[list[str], Field(min_length=1)]

    @property
    def users(self) -> list[str]:
        """Members that can be assigned (teams, written @org/team, can only be mentioned)."""
        return [m for m in self.members if "/" not in m]

    def mentions(self) -> list[str]:
        return [m if m.startswith("@") else f"@{m}" for m in self.members]

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


FieldKind = Literal["input", "textarea", "dropdown", "checkboxes", "number", "ratio", "datetime"]
FREE_TEXT: frozenset[str] = frozenset({"input", "textarea"})  # kinds whose answer is the writer's own words


class FormField(_Model):
    """One answer on an intake form. ``id`` is also the fact name rules use."""

    label: str
    label_en: str | None = None
    kind: FieldKind = "input"
    description: str = ""
    options: list[Named] = []
    required: bool = False
    multiple: bool = False
    private: bool = False  # never published
    symptom: bool | None = None  # shown as a symptom in articles (None: free text and reports.symptom_fields)
    placeholder: str = ""
    render: str | None = None  # code highlighting for textarea

    def text(self, locale: str) -> str:
        return self.label_en if locale == "en" and self.label_en else self.label


class Form(Named):
    type: str  # ticket type id
    fields: Annotated[list[str], Field(min_length=1)]
    labels: list[str] = []
    title_prefix: str = ""


class Rule(_Model):
    """If every fact in ``when`` matches, the ticket is at least ``grade``."""

    when: dict[str, Matcher] = {}
    grade: str
    incident: bool = False  # the rule alone opens an incident (e.g. affected ratio >= 1 %)
    fixed: bool = False  # the rulebook fixes the grade: no staff regrade goes below it
    note: str = ""


class Derived(_Model):
    """A fact worked out from others: the first rule whose ``when`` holds gives the value."""

    when: dict[str, Matcher] = {}
    value: Scalar


class Grading(_Model):
    default: str
    rules: list[Rule] = []
    owners: dict[str, str] = {}  # grade -> role who owns it end to end
    circles: dict[str, list[str]] = {}  # grade -> roles told when the circle widens
    field: str | None = None  # a form field that states the grade directly (e.g. priority)


class Surge(_Model):
    """Same-group tickets inside a sliding window over a tier's threshold open one incident."""

    window: Duration
    group_by: str  # fact that names the group (e.g. problem_class)
    tier_fact: str = "tier"
    thresholds: dict[str, dict[str, Annotated[int, Field(ge=1)]]]  # group -> tier -> count
    grade: dict[str, str] = {}  # group -> minimum grade of the incident
    type: str | None = None  # ticket type of the incident (default: the members' type)
    count_fact: str | None = None  # grade the incident by the rules with this fact = member count


class Measure(_Model):
    """One input of the final grade: the ticket's highest band wins."""

    fact: str
    bands: dict[str, Range]  # grade -> band


class FinalGrade(_Model):
    measures: list[Measure] = []
    include_first_grade: bool = True  # "complaints: per first-grade table"
    resolve_within: dict[str, Duration] = {}  # final grade -> resolution target


Trigger = Annotated[
    str,
    Field(
        pattern=r"^(opened|graded|resolved|closed|confirmed|rated|staff_reply|assigned|"
        r"command:[a-z][a-z0-9-]*|label:.+|clock:[a-z0-9_-]+|field:[a-z0-9][a-z0-9_-]*)$"
    ),
]


class Split(_Model):
    """A limit that depends on the calendar state when the clock starts."""

    working: Duration
    off_hours: Duration | None = None  # manned off hours; default: same as working


def _limit_kind(value: Any) -> str:
    return "split" if isinstance(value, dict | Split) else "duration"


Limit = Annotated[
    Annotated[Duration, Tag("duration")] | Annotated[Split, Tag("split")],
    Discriminator(_limit_kind),
]


def _within_kind(value: Any) -> str:
    if isinstance(value, dict) and not set(value) <= {"working", "off_hours"}:
        return "per_grade"
    return "limit"


Within = Annotated[
    Annotated[Limit, Tag("limit")] | Annotated[dict[str, Limit], Tag("per_grade")],
    Discriminator(_within_kind),
]


Counting = Literal["elapsed", "manned", "working"]  # which time a clock counts


class Clock(Named):
    applies: dict[str, Matcher] = {}
    start: Trigger | list[Trigger] = "opened"  # a list: the first of them that happened
    stop: Annotated[list[Trigger], Field(min_length=1)]
    within: Within  # one limit, or per grade (a grade absent: no clock)
    counting: Counting = "elapsed"
    calendar: str = "default"
    repeat: bool = False  # after each stop, the clock starts again (customer updates)
    until: list[Trigger] = ["resolved"]  # for repeat clocks: when the cycle ends
    at_risk: Annotated[float, Field(gt=0, lt=1)] = 0.8
    ladder: str | dict[str, str] | None = None
    checklist: list[str] = []  # a due item: what the written report must contain
    stop_by: list[str] = []  # roles whose action stops it (empty: any staff)
    deadline_arg: str | None = None  # e.g. "eta": the starting command's eta=... sets the due time

    @property
    def start_triggers(self) -> list[str]:
        return [self.start] if isinstance(self.start, str) else list(self.start)


class LadderStep(_Model):
    after: Annotated[int, BeforeValidator(lambda v: 0 if v in (0, "0") else parse_duration(v))] = 0
    assign: list[str] = []
    mention: list[str] = []
    labels: list[str] = []
    circle: bool = False  # also mention the grade's circle (grading.circles)


class Ladder(_Model):
    steps: Annotated[list[LadderStep], Field(min_length=1)]


class Score(_Model):
    score: int
    name: str
    name_en: str | None = None

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class Satisfaction(_Model):
    scale: Annotated[list[Score], Field(min_length=2)]
    close_at_or_above: int
    escalate_at_or_below: int
    escalate_to: str  # role
    reopen_on_low: bool = False
    penalties: dict[int, int] = {}  # score -> points deducted (reports)
    request_on_resolve: bool = True


class CloseRule(_Model):
    """A ticket matching ``applies`` may close only after ``requires`` happened."""

    applies: dict[str, Matcher] = {}
    requires: Trigger
    by: list[str] = []  # roles allowed to satisfy it (empty: any staff)


class Labels(_Model):
    grade: str = "grade:{id}"
    type: str = "type:{id}"
    category: str = "category:{id}"
    breach: str = "sla:breach"
    at_risk: str = "sla:at-risk"
    needs_info: str = "needs-info"
    incident: str = "incident"
    paused: str = "waiting-customer"
    resolved: str = "status:resolved"
    kb: str = "kb"


class Weekly(_Model):
    weekdays: Annotated[list[int], Field(min_length=1)] = [1, 2, 3, 4, 5]


class CalendarSpec(_Model):
    """Working hours, manned off hours, and (everything else) unmanned hours."""

    workdays: list[Annotated[int, Field(ge=1, le=7)]] = [1, 2, 3, 4, 5]  # ISO weekdays
    workday: DaySchedule
    restday: DaySchedule
    official: Literal["cn", "none"] = "none"  # mainland China's holidays and make-up days
    holidays: list[date] = []
    makeup_workdays: list[date] = []


class DaySchedule(_Model):
    working: list[Window] = []
    manned: list[Window] = []  # manned off hours


CalendarSpec.model_rebuild()


class Publishing(_Model):
    site_name: str = "服务台"
    site_name_en: str | None = None
    private_fields: list[str] = []
    kb_label: str = "kb"
    people: bool = False  # per-person figures (agents, best agent) on the public reports
    docs_dir: str = "site-src"  # the desk's site source, beside mkdocs.yml (never the product's docs/)
    repository: str | None = None  # "owner/name": ticket numbers link to its issues (else GITHUB_REPOSITORY)
    server_url: str = "https://github.com"


class Reports(_Model):
    """What the weekly and monthly reports read from the policy (named, never guessed)."""

    departments: list[str] = []  # roles that are departments (a ticket's assignees' role)
    department_clocks: list[str] = []  # clocks whose rounds measure department timeliness
    department_field: str | None = None  # the fact naming a ticket's department
    channel_field: str | None = None  # the fact naming the channel a ticket came in by
    symptom_fields: list[str] = []  # facts naming the symptom, first given wins


class ClockComments(_Model):
    """What the grader says about one clock besides its escalations."""

    todo: bool = True  # the to-do note when a checklist clock starts
    reminders: bool = True  # the one reminder as its deadline nears


class Comments(_Model):
    """How much the grader says: every new comment and @-mention notifies someone."""

    one_per_run: bool = True  # everything new about a ticket in one run is one comment
    status_alone: bool = False  # post the status comment before there is anything else to say
    after_stop: bool = False  # still comment on a clock (escalation, to-do) once it stopped
    whole_roles: list[str] = []  # roles mentioned in full; others by the one person picked
    retell: bool = False  # escalate in a comment to people told since anyone last spoke
    # a reply to the person who just acted, about their own act (the knowledge-base record,
    # the rating request after their /resolve, a to-do only they own), is said in the status
    # comment (posted with it, or edited in: an edit notifies nobody), not in a new comment
    replies_in_status: bool = True
    incident_carries: bool = True  # a linked ticket's clocks the incident also runs escalate there only
    clocks: dict[str, ClockComments] = {}  # per clock id


class Bot(_Model):
    login: str = "github-actions[bot]"


class Staff(_Model):
    """Who is staff besides the members of ``roles``: people whose ``author_association``
    with the repository is listed here (none by default; ``[OWNER]`` is a common choice)."""

    associations: list[Literal["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR"]] = []


# Where the generated workflows find the grader action: OWNER/REPO@SHA (a full commit SHA), or
# ./ when the repository holding the desk is the grader's own (the action of the same commit).
ACTION_PLACEHOLDER = "OWNER/REPO@SHA"
ACTION_PATTERN = r"^(OWNER/REPO@SHA|\./|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40})$"


class GitHubRuns(_Model):
    """How hard the grader may write to GitHub, and how it spends runner minutes.

    GitHub allows about 500 content-creating requests an hour; a first pass that needs more
    than ``writes_per_hour`` spreads over the following runs, most urgent tickets first.

    The timer (README, "On time"): a wake moment within ``timer_horizon`` is met by a job
    that sleeps until ``timer_lead`` before it and dispatches the grader. Where minutes are
    billed (``minutes_per_month`` > 0; 0 = free, as on public repositories), once the month's
    spend passes ``timer_share`` of the budget pro-rated to the day, the timer arms only for
    clocks at most ``timer_short_clock`` long, and not at all past the pro-rated budget; and
    since its sleep is billed, only for a moment at most ``timer_billed_horizon`` away."""

    writes_per_hour: Annotated[int, Field(ge=10)] = 400
    # The generated workflows (``tracker workflows``): the month's runner minutes the grader's
    # schedule is fitted to (GitHub Free's private-repository quota by default; 0 = free), the grader
    # action they use at a full commit SHA, and the runner labels.
    minutes_per_month: Annotated[int, Field(ge=0)] = 2000  # 0: minutes are free (public repositories)
    # the part of minutes_per_month the schedule may spend; the rest pays for openings and the timer
    schedule_share: Annotated[float, Field(gt=0, le=1)] = 0.65
    action: Annotated[str, Field(pattern=ACTION_PATTERN)] = ACTION_PLACEHOLDER
    runs_on: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]], Field(min_length=1)] = [
        "ubuntu-latest"
    ]
    timer_horizon: Duration = 1800
    timer_lead: Duration = 45
    timer_short_clock: Duration = 1800
    timer_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    timer_billed_horizon: Duration = 180  # bench/latency.py: a month of each preset, 180 s against 300 and 600


class Config(_Model):
    version: Literal[1] = 1
    name: str
    name_en: str | None = None
    preset: str | None = None
    locale: str = DEFAULT_LOCALE  # any locale with a catalog (tracker/locale/), or the source's
    timezone: str = "Asia/Shanghai"
    bot: Bot = Bot()
    staff: Staff = Staff()
    roles: dict[str, Role]
    calendars: dict[str, CalendarSpec]
    grades: Annotated[list[Grade], Field(min_length=1)]  # highest first
    types: Annotated[list[Named], Field(min_length=1)]
    categories: list[Named] = []
    fields: dict[str, FormField] = {}
    derived: dict[str, list[Derived]] = {}  # fact -> rules, first match wins
    forms: Annotated[list[Form], Field(min_length=1)]
    grading: Grading
    surge: Surge | None = None
    final_grade: FinalGrade = FinalGrade()
    clocks: list[Clock] = []
    ladders: dict[str, Ladder] = {}
    satisfaction: Satisfaction | None = None
    close_rules: list[CloseRule] = []
    commands: list[str] = []  # extra staff commands that clocks may wait for
    labels: Labels = Labels()
    publishing: Publishing = Publishing()
    reports: Reports = Reports()
    comments: Comments = Comments()
    # The day the grader was installed (``tracker init`` writes it): issues opened before it
    # are tickets only once staff give them a type or grade label.
    adopted: date | None = None
    github: GitHubRuns = GitHubRuns()

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in locales():
            raise ValueError(f"no catalog for locale {value!r}; choose one of: {', '.join(locales())}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    # -- derived, read-only views used by the core (computed once per config object)

    @cached_property
    def lookups(self) -> dict[str, Any]:
        """Tables other modules derive from this policy, each built once per loaded policy
        under the module's own key (e.g. the intake's heading -> field maps)."""
        return {}

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def grade_rank(self) -> dict[str, int]:
        """Higher number = more severe. The scale is written highest first."""
        n = len(self.grades)
        return {g.id: n - i for i, g in enumerate(self.grades)}

    @cached_property
    def grade_by_id(self) -> dict[str, Grade]:
        return {g.id: g for g in self.grades}

    @cached_property
    def form_by_id(self) -> dict[str, Form]:
        return {f.id: f for f in self.forms}

    @cached_property
    def known_commands(self) -> frozenset[str]:
        return frozenset(BUILTIN_COMMANDS) | frozenset(self.commands)

    def highest(self, grades: list[str]) -> str | None:
        known = [g for g in grades if g in self.grade_rank]
        return max(known, key=self.grade_rank.__getitem__) if known else None

    def is_staff_login(self, login: str) -> bool:
        return login in self.staff_logins

    @cached_property
    def staff_logins(self) -> frozenset[str]:
        return frozenset(m for r in self.roles.values() for m in r.users)


BUILTIN_COMMANDS = (
    "grade", "plan", "root-cause", "update", "resolve", "confirm", "rate", "pause", "resume",
    "kb", "wording", "reopen", "ack", "circle", "handoff", "eta", "report", "verify", "link",
)  # fmt: skip


# ----------------------------------------------------------------------------- loading


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_config(data: Any, file: str = "tracker.yml") -> Config:
    """Validate already-parsed YAML data. Raises ConfigError naming file, key and fault."""
    if not isinstance(data, dict):
        raise ConfigError(file, [("", "the file must hold a mapping of settings")])
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        faults = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            faults.append((_key_path(loc), msg))
        raise ConfigError(file, _dedupe(faults)) from None
    faults = cross_check(cfg)
    if faults:
        raise ConfigError(file, faults)
    return cfg


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts the tried union member into the location; hide those."""
    return isinstance(part, str) and (
        part in {"str", "int", "float", "bool", "value", "any_of", "band", "duration", "split"}
        or part in {"limit", "per_grade"}
        or part.startswith(("function-", "list[", "union[", "tuple[", "dict["))
    )


def _dedupe(faults: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for key, msg in faults:
        seen.setdefault(key, msg)
    return list(seen.items())


def load_config(path: str | Path) -> Config:
    """Read and validate a policy file: any bytes, any nesting end in :class:`ConfigError`."""
    path = Path(path)
    return _parse_checked(read_policy(path), str(path))


def load_config_text(text: str, file: str) -> Config:
    """Validate the text of a policy file read elsewhere (``git show REF:tracker.yml``)."""
    return _parse_checked(parse_policy_text(text, file), file)


def _parse_checked(data: Any, file: str) -> Config:
    try:
        return parse_config(data, file)
    except RecursionError:
        raise ConfigError(file, [("", "nested too deeply")]) from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to check tracker.yml as it is typed."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tracker.yml"
    return schema


PRESETS = ("yoga", "club", "online", "emergency", "desk")


def preset_path(name: str) -> Path:
    from tracker.errors import NotFound

    if name not in PRESETS:
        raise NotFound(f"no preset named {name!r}; choose one of: {', '.join(PRESETS)}")
    return Path(__file__).parent / "presets" / f"{name}.yml"
