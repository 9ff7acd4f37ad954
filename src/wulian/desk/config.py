"""The request desk's configuration: one versioned YAML file an administrator edits.

It holds the tables that FixMyStreet and Request Tracker keep as data, not code: the states of a
request and the actions allowed from each (who may take them, what they require), the categories
(with Open311 attributes and the keywords the classifier starts from), the routing rules from
category, level and chain to a department, the deadline policies per category and priority on a
named working-time calendar, and the desk's settings (who dispatches, who supervises, when a firm
may reopen, when the follow-up questionnaire is due). Checked on load with the line of every
problem. See docs/guide/desk.md for the format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wulian.core import calendar as workcal
from wulian.core.calendar import Source, WorkCalendar, YearTable
from wulian.engines.classify.taxonomy import Taxonomy
from wulian.engines.specfile import SpecProblem, load_spec

Key = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
Role = Literal["officer", "enterprise", "supervisor", "system"]
SAME = "@same"  # an action that leaves the state as it is (督办, 评价, 回访)
PREVIOUS = "@previous"  # back to the state before the pause (补充材料, 恢复办理)
ANY = "*"
# Actions the platform itself takes or offers (the sweep escalates, a low rating is reviewed, the
# workbench offers 受理/交办/转办/合并); the file must define them.
REQUIRED_ACTIONS = ("accept", "assign", "transfer", "escalate", "rate", "reopen", "review", "merge")
# What an action may do besides moving the request's state (see desk/effects.py), by name.
EFFECTS = {
    "choose_category": "受理时可改正诉求类别",
    "other_department": "须转到另一个部门",
    "take_request": "开始处置的工作人员成为承办人（尚无承办人时）",
    "mark_escalated": "记为已督办（巡检不再重复督办）",
    "rate": "记录企业的评分（1–5）",
    "review_low_rating": "评分不高于 settings.low_rating 时转入复核",
    "reopen": "重新办理：企业须在办结后的期限内；清除办结时间和评价",
    "merge": "合并到同一企业的另一件未结束诉求",
    "schedule_survey": "按 settings.survey_days 安排回访",
    "notify_assigned": "通知承办部门的工作人员（指定了承办人时只通知承办人）",
}
Effect = Literal[
    "choose_category", "other_department", "take_request", "mark_escalated", "rate",
    "review_low_rating", "reopen", "merge", "schedule_survey", "notify_assigned",
]  # fmt: skip
# The effects of an action whose file does not list them (configurations written before actions
# declared their effects keep their meaning).
DEFAULT_EFFECTS: dict[str, tuple[Effect, ...]] = {
    "accept": ("choose_category",),
    "assign": ("notify_assigned",),
    "transfer": ("other_department", "notify_assigned"),
    "handle": ("take_request",),
    "escalate": ("mark_escalated",),
    "rate": ("rate", "review_low_rating"),
    "reopen": ("reopen",),
    "merge": ("merge",),
    "close": ("schedule_survey",),
}
CLOCKS = ("response", "progress", "closure")
CLOCK_NAMES = {"response": "首次响应", "progress": "进展反馈", "closure": "办结"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class State(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=20)
    initial: bool = False  # a new request starts here (exactly one)
    closed: bool = False  # finished: no clock runs, the firm may rate it
    pauses: bool = False  # waiting for the firm: the deadline clocks stop


class Action(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=20)
    source: list[str] = Field(alias="from", min_length=1)  # states, or "*" for every open state
    target: str = Field(alias="to", min_length=1)  # a state, "@same" or "@previous"
    by: list[Role] = Field(min_length=1)
    reason: bool = False  # a reason must be given (退回, 转办, 挂起)
    note: bool = False  # a note to the firm must be given (反馈)
    department: bool = False  # the action names the receiving department (交办, 转办)
    public: bool = True  # shown to the firm on its timeline
    effects_: list[Effect] | None = Field(default=None, alias="effects")  # see EFFECTS

    @property
    def effects(self) -> tuple[Effect, ...]:
        """What the action does besides moving the state: as listed, or the platform's default
        for its key when the file lists none."""
        if self.effects_ is not None:
            return tuple(self.effects_)
        return DEFAULT_EFFECTS.get(self.key, ())


class Attribute(Strict):
    """A typed field of a category (Open311 service definition)."""

    code: Key
    name: str = Field(min_length=1, max_length=40)
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist"] = "string"
    required: bool = False
    values: list[str] = Field(default_factory=list)  # for singlevaluelist
    # The valid range of a number (inclusive); a firm's value outside it is refused.
    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range(self) -> Attribute:
        if (self.min is not None or self.max is not None) and self.datatype != "number":
            raise SpecProblem("只有数字属性（datatype: number）可以设定 min、max", ("min",))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SpecProblem(f"min（{self.min:g}）大于 max（{self.max:g}）", ("min",))
        return self


class Category(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=30)
    group: str = Field(default="", max_length=30)
    description: str = Field(default="", max_length=300)
    keywords: list[str] = Field(default_factory=list)
    level: str = "zone"  # the default level of its requests
    attributes: list[Attribute] = Field(default_factory=list)


class Route(Strict):
    """Requests matching category, level, chain and common go to department (a code); the
    route that matches on the most fields wins, the first written among equals."""

    category: str = ANY
    level: str = ANY
    chain: str = ANY
    common: bool | None = None  # 共性诉求 (common to a chain's firms) or not; None: either
    department: str = Field(min_length=1, max_length=32)


class Target(Strict):
    amount: float = Field(gt=0, le=365)
    unit: Literal["hours", "days"]

    def label(self) -> str:
        amount = f"{self.amount:g}"
        return f"{amount} 个工作小时" if self.unit == "hours" else f"{amount} 个工作日"


class Deadline(Strict):
    """Targets for the requests of a category and priority ("*" for any), on a calendar."""

    category: str = ANY
    priority: str = ANY
    calendar: Key
    response: Target | None = None
    progress: Target | None = None
    closure: Target | None = None
    warn: float = Field(default=0.2, gt=0, lt=1)  # due soon when less than this share remains


class Clock(Strict):
    """Which actions start a deadline clock and which stop it."""

    starts: list[str] = Field(min_length=1)
    stops: list[str] = Field(min_length=1)


class YearNotice(Strict):
    """One year of the State Council's holiday notice written in the file (the notices entered on
    the administration page win over it)."""

    year: int = Field(ge=2000, le=2100)
    holidays: list[dt.date] = Field(default_factory=list)  # weekdays off
    workdays: list[dt.date] = Field(default_factory=list)  # weekends worked (调休)


class CalendarSpec(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=40)
    natural: bool = False  # every hour of every day
    hours: list[str] = Field(default_factory=lambda: ["09:00-12:00", "13:30-17:30"])
    years: list[YearNotice] = Field(default_factory=list)


class Settings(Strict):
    dispatcher: str = Field(min_length=1, max_length=32)  # department that accepts and assigns
    supervisor: str = Field(min_length=1, max_length=32)  # department that escalates (督办)
    chain_office: str | None = None  # department that receives a chain's common requests
    reopen_days: int = Field(default=5, ge=0, le=60)  # working days a firm may reopen
    survey_days: int = Field(default=3, ge=0, le=60)  # working days after closure
    low_rating: int = Field(default=2, ge=1, le=4)  # a rating at or below reopens review
    duplicate_similarity: float = Field(default=0.6, gt=0, le=1)
    max_attachments: int = Field(default=5, ge=0, le=20)
    max_attachment_mb: int = Field(default=10, ge=1, le=100)


class DeskConfig(Strict):
    id: Key
    name: str = Field(min_length=1, max_length=40)
    levels: dict[str, str] = Field(min_length=1)  # key → 市级 / 区（县）级 / 镇街
    priorities: dict[str, str] = Field(min_length=1)  # key → 一般 / 紧急
    states: list[State] = Field(min_length=2)
    actions: list[Action] = Field(min_length=1)
    clocks: dict[Literal["response", "progress", "closure"], Clock]
    categories: list[Category] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1)
    deadlines: list[Deadline] = Field(min_length=1)
    calendars: list[CalendarSpec] = Field(min_length=1)
    settings: Settings

    @model_validator(mode="after")
    def _check(self) -> DeskConfig:
        states = _unique([s.key for s in self.states], "states", "状态")
        if sum(s.initial for s in self.states) != 1:
            raise SpecProblem("须有且只有一个初始状态（initial: true）", ("states",))
        actions = _unique([a.key for a in self.actions], "actions", "动作")
        for key in REQUIRED_ACTIONS:
            if key not in actions:
                raise SpecProblem(f"缺少平台依赖的动作“{key}”", ("actions",))
        for i, action in enumerate(self.actions):
            if len(set(action.effects)) != len(action.effects):
                raise SpecProblem("效果重复", ("actions", i, "effects"))
            for j, source in enumerate(action.source):
                if source != ANY and source not in states:
                    raise SpecProblem(f"没有名为“{source}”的状态", ("actions", i, "from", j))
            if action.target not in (SAME, PREVIOUS) and action.target not in states:
                raise SpecProblem(f"没有名为“{action.target}”的状态", ("actions", i, "to"))
        at = [a.key for a in self.actions].index("escalate")
        if "mark_escalated" not in self.actions[at].effects:
            where = ("actions", at, "effects")
            raise SpecProblem(
                "督办动作（escalate）须有效果 mark_escalated，否则巡检会重复督办", where
            )
        for name, clock in self.clocks.items():
            for field_name, keys in (("starts", clock.starts), ("stops", clock.stops)):
                for j, key in enumerate(keys):
                    if key != "submit" and key not in actions:
                        raise SpecProblem(f"没有名为“{key}”的动作", ("clocks", name, field_name, j))
        categories = _unique([c.key for c in self.categories], "categories", "类别")
        for i, category in enumerate(self.categories):
            if category.level not in self.levels:
                raise SpecProblem(f"没有名为“{category.level}”的层级", ("categories", i, "level"))
        for i, route in enumerate(self.routes):
            if route.category != ANY and route.category not in categories:
                raise SpecProblem(f"没有名为“{route.category}”的类别", ("routes", i, "category"))
            if route.level != ANY and route.level not in self.levels:
                raise SpecProblem(f"没有名为“{route.level}”的层级", ("routes", i, "level"))
        if not any(r.category == ANY and r.level == ANY and r.chain == ANY for r in self.routes):
            raise SpecProblem("须有一条兜底路由（类别、层级、产业链均为 *）", ("routes",))
        calendars = _unique([c.key for c in self.calendars], "calendars", "日历")
        for i, spec in enumerate(self.calendars):
            for j, span in enumerate(spec.hours):
                try:
                    _span(span)
                except ValueError:
                    raise SpecProblem(
                        "工作时段应写作 HH:MM-HH:MM，且开始早于结束", ("calendars", i, "hours", j)
                    ) from None
        for i, deadline in enumerate(self.deadlines):
            if deadline.category != ANY and deadline.category not in categories:
                raise SpecProblem(
                    f"没有名为“{deadline.category}”的类别", ("deadlines", i, "category")
                )
            if deadline.priority != ANY and deadline.priority not in self.priorities:
                raise SpecProblem(
                    f"没有名为“{deadline.priority}”的优先级", ("deadlines", i, "priority")
                )
            if deadline.calendar not in calendars:
                raise SpecProblem(
                    f"没有名为“{deadline.calendar}”的日历", ("deadlines", i, "calendar")
                )
        if not any(d.category == ANY and d.priority == ANY for d in self.deadlines):
            raise SpecProblem("须有一条兜底期限（类别、优先级均为 *）", ("deadlines",))
        return self

    # ------------------------------------------------------------ look-ups

    @cached_property
    def state_map(self) -> dict[str, State]:
        return {s.key: s for s in self.states}

    @cached_property
    def action_map(self) -> dict[str, Action]:
        return {a.key: a for a in self.actions}

    @cached_property
    def category_map(self) -> dict[str, Category]:
        return {c.key: c for c in self.categories}

    @property
    def initial(self) -> State:
        return next(s for s in self.states if s.initial)

    def open_states(self) -> list[str]:
        return [s.key for s in self.states if not s.closed]

    def pause_states(self) -> frozenset[str]:
        return frozenset(s.key for s in self.states if s.pauses)

    def allowed(self, state: str) -> list[Action]:
        """The actions allowed from state, in the order of the file."""
        is_open = not self.state_map[state].closed
        return [a for a in self.actions if state in a.source or (ANY in a.source and is_open)]

    def route(self, *, category: str, level: str, chain: str | None, common: bool) -> str:
        """The department code for a request: the most specific matching route."""
        best: tuple[int, int] | None = None
        found = ""
        for i, r in enumerate(self.routes):
            checks = (
                (r.category, category),
                (r.level, level),
                (r.chain, chain or ""),
            )
            if any(rule != ANY and rule != value for rule, value in checks):
                continue
            if r.common is not None and r.common != common:
                continue
            score = sum(rule != ANY for rule, _ in checks) + (r.common is not None)
            if best is None or (score, -i) > best:
                best, found = (score, -i), r.department
        return found

    def deadline(self, *, category: str, priority: str) -> Deadline:
        """The deadline policy of a category and priority: exact, then by category, by priority,
        then the fallback."""
        for want_category, want_priority in (
            (category, priority),
            (category, ANY),
            (ANY, priority),
            (ANY, ANY),
        ):
            for d in self.deadlines:
                if d.category == want_category and d.priority == want_priority:
                    return d
        raise AssertionError("validated: a fallback deadline exists")

    def calendar(
        self,
        key: str,
        notices: Mapping[int, YearTable] | None = None,
        sources: tuple[Source, ...] | None = None,
    ) -> WorkCalendar:
        """The working-time calendar named key. The notices entered by an administrator win over
        the years written in this file; after them come sources (the packages by default)."""
        spec = next(c for c in self.calendars if c.key == key)
        years = {
            y.year: YearTable(frozenset(y.holidays), frozenset(y.workdays)) for y in spec.years
        }
        return WorkCalendar(
            name=spec.name,
            hours=tuple(_span(h) for h in spec.hours),
            natural=spec.natural,
            years=years | dict(notices or {}),
            sources=workcal.statutory_sources() if sources is None else sources,
        )

    def taxonomy(self) -> Taxonomy:
        """The categories as a flat taxonomy for the classify engine."""
        return Taxonomy(
            [c.key for c in self.categories],
            [c.name for c in self.categories],
            [-1] * len(self.categories),
            [c.description for c in self.categories],
            [[*c.keywords, c.group] if c.group else list(c.keywords) for c in self.categories],
        )


def _unique(keys: list[str], where: str, what: str) -> set[str]:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise SpecProblem(f"{what}编号“{key}”重复", (where, i, "key"))
        seen.add(key)
    return seen


def _span(text: str) -> tuple[dt.time, dt.time]:
    begin, _, end = text.partition("-")
    start, finish = dt.time.fromisoformat(begin.strip()), dt.time.fromisoformat(end.strip())
    if finish <= start:
        raise ValueError(text)
    return start, finish


def load(text: str, filename: str = "desk.yaml") -> DeskConfig:
    return load_spec(text, filename, DeskConfig)
