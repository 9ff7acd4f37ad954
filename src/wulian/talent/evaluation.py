"""Talent evaluation, pure: the 七维 points of a person (an index-engine spec of seven weighted
dimensions, each scored by a table) and the A–E catalogue class (a rule set on the rules
engine, one policy per class), each result explained.

Polars in, plain data out; no database. The inputs of a person are internal ids and coded
values only (no name, no identity number): education, years of work, the lower bound of the
salary band (万元), position, innovation achievements, professional title and honours.

Unknown is not zero: an unknown dimension does not count in the 七维 points (its weight goes to
the known ones, as the index engine's `reweight` does) and fewer than `min_known` known
dimensions give no points at all; for the catalogue, a class whose rules cannot be decided for
want of data is "待补充" only when it would be a higher class than the one the person holds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wulian.engines.index import pipeline
from wulian.engines.index.spec import IndexSpec, Normalise, PointStep
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules import policy as rule_files
from wulian.engines.rules.explain import explain_row
from wulian.engines.rules.policy import Policy
from wulian.engines.specfile import SpecProblem, load_spec

UNIT = "person_id"
SHIPPED = "seven.yaml"
CATALOGUE_FILES = ("a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml")  # highest class first
TOO_FEW = "资料不足"
TO_COMPLETE = "待补充"

# The coded fields of a person (key → Chinese name), highest first; their rank is what the 七维
# tables score (education: 6 for a doctor … 1; the others: the highest is len − 1 … 0 or 1).
EDUCATION_RANK = {
    "doctor": 6, "master": 5, "bachelor": 4, "college": 3, "secondary": 2, "other": 1,
}  # fmt: skip
TITLE_LEVELS: dict[str, str] = {
    "full_senior": "正高级",
    "deputy_senior": "副高级",
    "intermediate": "中级",
    "junior": "初级",
    "none": "无职称",
}
POSITION_LEVELS: dict[str, str] = {
    "executive": "企业负责人（董事长、总经理、首席技术官等）",
    "senior": "高级管理或首席专家",
    "middle": "中层管理或部门负责人",
    "core": "技术骨干或项目负责人",
    "staff": "一般员工",
}
HONOUR_LEVELS: dict[str, str] = {
    "top": "顶尖（两院院士、国际顶尖奖项等）",
    "national": "国家级人才计划或国家级奖励",
    "provincial": "省级人才计划或省级奖励",
    "city": "市级人才计划或市级奖励",
    "none": "无",
}
TITLE_RANK = {"full_senior": 4, "deputy_senior": 3, "intermediate": 2, "junior": 1, "none": 0}
POSITION_RANK = {"executive": 5, "senior": 4, "middle": 3, "core": 2, "staff": 1}
HONOUR_RANK = {"top": 4, "national": 3, "provincial": 2, "city": 1, "none": 0}
GRADE_NAMES = {
    "A": "A 类 顶尖人才",
    "B": "B 类 国家级领军人才",
    "C": "C 类 省级领军人才",
    "D": "D 类 市级领军人才",
    "E": "E 类 高级人才",
}
# What each field is called in the 七维 frame, and the catalogue's inputs.
SEVEN_COLUMNS = (
    "education_rank", "experience_years", "salary_floor", "position_rank", "achievements",
    "title_rank", "honour_rank",
)  # fmt: skip
CATALOGUE_COLUMNS = ("education", "title_level", "honour_level", "salary_floor")


class SevenSpec(BaseModel):
    """The 七维 spec: an index spec scored by tables, how many dimensions must be known, and
    the Chinese names of the coded values (for the explanations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str = Field(min_length=1, max_length=100)
    version: int | str = 1
    description: str = ""
    min_known: int = Field(default=1, ge=1)
    codes: dict[str, dict[int, str]] = Field(default_factory=dict)
    index: IndexSpec

    @model_validator(mode="after")
    def _tables(self) -> SevenSpec:
        if self.index.unit != UNIT:
            raise SpecProblem(f"七维评价按人员评价，unit 应为 {UNIT}", ("index", "unit"))
        if self.min_known > len(self.index.indicators):
            raise SpecProblem("min_known 不能多于维度数", ("min_known",))
        unknown = [i.source for i in self.index.indicators if i.source not in SEVEN_COLUMNS]
        if unknown:
            raise SpecProblem(
                f"没有这些人员数据：{'、'.join(unknown)}（可用：{'、'.join(SEVEN_COLUMNS)}）",
                ("index", "indicators"),
            )
        for i, ind in enumerate(self.index.indicators):
            if ind.key not in self.tables:
                raise SpecProblem(
                    f"维度“{ind.name}”需要一个 normalise 步骤的分档表（method: steps）",
                    ("index", "indicators", i),
                )
        for key in self.codes:
            if key not in {i.key for i in self.index.indicators}:
                raise SpecProblem(f"codes 中的“{key}”不是维度", ("codes", key))
        return self

    @property
    def tables(self) -> dict[str, list[PointStep]]:
        """Each dimension's scoring table (the last steps normalise that names it)."""
        out: dict[str, list[PointStep]] = {}
        every = [i.key for i in self.index.indicators]
        for step in self.index.pipeline:
            if isinstance(step, Normalise) and step.method == "steps" and step.steps:
                for key in step.indicators or every:
                    out[key] = list(step.steps)
        return out


def load(text: str, filename: str = SHIPPED) -> SevenSpec:
    """A 七维 spec from YAML text; InvalidFile naming file, line and field."""
    return load_spec(text, filename, SevenSpec)


def shipped_text() -> str:
    return resources.files("wulian.talent").joinpath("specs", SHIPPED).read_text("utf-8")


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PersonInput:
    """What the evaluations read of a person: the internal id and coded fields only."""

    person_id: int
    education: str | None = None
    experience_years: int | None = None
    salary_floor_wan: float | None = None  # the lower bound of the salary band
    position_level: str | None = None
    achievements: int | None = None
    title_level: str | None = None
    honour_level: str | None = None


def frame_of(people: Iterable[PersonInput]) -> pl.DataFrame:
    """The input frame of both evaluations, one row per person, in id order."""
    rows = [
        {
            UNIT: p.person_id,
            "education_rank": EDUCATION_RANK.get(p.education or ""),
            "experience_years": p.experience_years,
            "salary_floor": p.salary_floor_wan,
            "position_rank": POSITION_RANK.get(p.position_level or ""),
            "achievements": p.achievements,
            "title_rank": TITLE_RANK.get(p.title_level or ""),
            "honour_rank": HONOUR_RANK.get(p.honour_level or ""),
            "education": p.education if p.education in EDUCATION_RANK else None,
            "title_level": p.title_level if p.title_level in TITLE_RANK else None,
            "honour_level": p.honour_level if p.honour_level in HONOUR_RANK else None,
        }
        for p in people
    ]
    schema: dict[str, Any] = {UNIT: pl.Int64} | dict.fromkeys(SEVEN_COLUMNS, pl.Float64)
    schema |= {"education": pl.String, "title_level": pl.String, "honour_level": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").sort(UNIT)


# ---------------------------------------------------------------- 七维


def _number(value: float) -> str:
    return f"{value:g}"


def _row_text(step: PointStep, unit: str) -> str:
    """A table row as a person reads it: “5 ≤ 值 < 10 年：60 分”."""
    suffix = f" {unit}" if unit and unit != "等级" else ""
    if step.min is not None and step.below is not None:
        span = f"{_number(step.min)}–{_number(step.below)}{suffix}（含下限）"
    elif step.min is not None:
        span = f"≥ {_number(step.min)}{suffix}"
    elif step.below is not None:
        span = f"< {_number(step.below)}{suffix}"
    else:
        span = "任何值"
    return f"{span}：{_number(step.points)} 分"


def _row_of(steps: list[PointStep], value: float) -> PointStep | None:
    for step in steps:
        if (step.min is None or value >= step.min) and (step.below is None or value < step.below):
            return step
    return None


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    weight: float  # as written in the spec
    share: float | None  # of the points, after unknown dimensions' weights went to known ones
    value: float | None
    shown: str  # the input as a person reads it (未知 when unknown)
    points: float | None
    row: str  # the table row that gave the points ("" when unknown)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class SevenResult:
    person_id: int
    score: float | None  # None: fewer than min_known dimensions known
    known: int
    dimensions: list[Dimension] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"dimensions": [d.as_dict() for d in self.dimensions]}


def score(spec: SevenSpec, frame: pl.DataFrame) -> list[SevenResult]:
    """Every person of frame (person_id + the 七维 columns), in id order, explained."""
    if frame.is_empty():
        return []
    columns = [UNIT, *dict.fromkeys(i.source for i in spec.index.indicators)]
    result = pipeline.run(spec.index, frame.select(columns))
    root = spec.index.root
    indicators = spec.index.indicators
    tables = spec.tables
    raws = {i.key: result.raw[i.key].to_list() for i in indicators}
    points = {i.key: result.normalised[i.key].to_list() for i in indicators}
    totals = result.scores[root].to_list()
    ids = result.scores[UNIT].to_list()
    out = []
    for row, person_id in enumerate(ids):
        known_weight = sum(i.weight for i in indicators if raws[i.key][row] is not None)
        dims = []
        for ind in indicators:
            value = raws[ind.key][row]
            point = points[ind.key][row]
            if value is None:
                shown, line = "未知", ""
            else:
                codes = spec.codes.get(ind.key)
                label = codes.get(int(value)) if codes and float(value).is_integer() else None
                unit = "" if ind.unit == "等级" else ind.unit
                shown = label or f"{_number(float(value))}{(' ' + unit) if unit else ''}"
                found = _row_of(tables[ind.key], float(value))
                line = _row_text(found, ind.unit) if found else ""
                if label and found:
                    line = f"{label}：{_number(found.points)} 分"
            share = ind.weight / known_weight if value is not None and known_weight else None
            dims.append(
                Dimension(
                    key=ind.key, name=ind.name, weight=ind.weight, share=share,
                    value=None if value is None else float(value), shown=shown,
                    points=None if point is None else round(float(point), 1), row=line,
                )
            )  # fmt: skip
        known = sum(1 for d in dims if d.value is not None)
        total = totals[row]
        enough = known >= spec.min_known and total is not None
        out.append(
            SevenResult(int(person_id), round(float(total), 1) if enough else None, known, dims)
        )
    return out


# ---------------------------------------------------------------- the A–E catalogue


@functools.cache
def catalogue_texts() -> tuple[tuple[str, str], ...]:
    """The catalogue's rule files as shipped: (text, filename), class A first."""
    folder = resources.files("wulian.talent").joinpath("rules/catalogue")
    return tuple((folder.joinpath(name).read_text("utf-8"), name) for name in CATALOGUE_FILES)


def catalogue(texts: Iterable[tuple[str, str]] | None = None) -> list[Policy]:
    """The catalogue's policies, class A first (validated; their test cases run)."""
    return rule_files.load_set(list(texts if texts is not None else catalogue_texts()))


def grade_of(policy: Policy) -> str:
    return policy.id.rsplit("_", 1)[-1].upper()


@dataclass(frozen=True)
class GradeResult:
    person_id: int
    grade: str | None  # the highest class whose rules hold; None: none
    status: str  # matched | none | unknown (no class, and a class could hold with more data)
    award_wan: float | None
    matched: list[str]  # the explanation of the class held
    near: list[dict[str, Any]]  # the next class up: what fails
    to_complete: list[dict[str, Any]]  # higher classes undecided: which data they need

    @property
    def label(self) -> str:
        if self.grade is not None:
            return GRADE_NAMES.get(self.grade, self.grade)
        return TO_COMPLETE if self.status == "unknown" else "未达到目录标准"

    def as_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "near": self.near, "to_complete": self.to_complete}


def grade(policies: list[Policy], frame: pl.DataFrame, *, period: int) -> list[GradeResult]:
    """The class of every person of frame (person_id + the catalogue's inputs), in id order:
    the highest class whose rules hold; above it, classes the data cannot decide are listed as
    待补充 with the data they need, and the class just above, if it fails, as the near miss."""
    if frame.is_empty():
        return []
    data = frame.select(UNIT, *CATALOGUE_COLUMNS)
    result = rules.evaluate(policies, data, period=period, unit=UNIT, trace=True)
    rows: dict[str, list[dict[str, Any]]] = {
        p.id: list(result.frames[p.id].sort(UNIT).iter_rows(named=True)) for p in policies
    }
    ordered = sorted(policies, key=grade_of)  # A first
    out = []
    for index in range(data.height):
        person_id = int(rows[ordered[0].id][index][UNIT])
        held: str | None = None
        award: float | None = None
        matched: list[str] = []
        near: list[dict[str, Any]] = []
        pending: list[dict[str, Any]] = []
        for policy in ordered:
            row = rows[policy.id][index]
            status = str(row["status"])
            explained = explain_row(policy, row, result.parameters[policy.id])
            if status == "eligible":
                held = grade_of(policy)
                award = None if row.get("amount") is None else float(row["amount"])
                matched = explained.lines()
                break
            entry = {
                "grade": grade_of(policy),
                "name": GRADE_NAMES.get(grade_of(policy), policy.title),
                "reasons": [c.reason() for c in explained.conditions if c.holds is not True],
                "missing": [name for _, name in explained.missing],
            }
            if status == "unknown":
                pending.append(entry)
            else:
                near = [entry]  # the last failing class before the one held: the nearest
        status = ("unknown" if pending else "none") if held is None else "matched"
        out.append(GradeResult(person_id, held, status, award, matched, near, pending))
    return out


def salary_floor(band_low_yuan: int | None) -> float | None:
    """The lower bound of a salary band, in 万元."""
    return None if band_low_yuan is None else band_low_yuan / 10_000


def levels(kind: str) -> Mapping[str, str]:
    """The coded values of kind (title, position, honour) with their Chinese names."""
    return {"title": TITLE_LEVELS, "position": POSITION_LEVELS, "honour": HONOUR_LEVELS}[kind]


# ---------------------------------------------------------------- what changed between versions


def _band_text(step: PointStep, unit: str) -> str:
    return _row_text(step, unit)


def changes(old_text: str, new_text: str) -> list[str]:
    """What changed from one 七维 spec to the next, in plain Chinese, computed from the parsed
    specs (not their text): dimensions added or removed, renamed, weights, the least number of
    known dimensions, and each scoring table's bands (a band's bounds or points; bands added or
    removed). Empty when either text cannot be read (the raw diff still shows)."""
    try:
        old, new = load(old_text, "旧版本"), load(new_text, "新版本")
    except Exception:  # an unreadable older version: no summary, never a failed page
        return []
    out: list[str] = []
    before = {i.key: i for i in old.index.indicators}
    after = {i.key: i for i in new.index.indicators}
    for key, ind in after.items():
        if key not in before:
            out.append(f"增加维度“{ind.name}”（权重 {_number(ind.weight)}）")
    for key, ind in before.items():
        if key not in after:
            out.append(f"删除维度“{ind.name}”（原权重 {_number(ind.weight)}）")
    if old.min_known != new.min_known:
        out.append(f"至少已知的维度数：{old.min_known} → {new.min_known}")
    old_tables, new_tables = old.tables, new.tables
    for key, ind in after.items():
        was = before.get(key)
        if was is None:
            continue
        if was.name != ind.name:
            out.append(f"维度名称：{was.name} → {ind.name}")
        if was.weight != ind.weight:
            out.append(f"{ind.name}：权重 {_number(was.weight)} → {_number(ind.weight)}")
        out += _table_changes(ind.name, ind.unit, old_tables.get(key, []), new_tables.get(key, []))
    return out


def _table_changes(name: str, unit: str, old: list[PointStep], new: list[PointStep]) -> list[str]:
    out: list[str] = []
    shown = f" {unit}" if unit and unit != "等级" else ""

    def bound(value: float | None, missing: str) -> str:
        return missing if value is None else f"{_number(value)}{shown}"

    if len(old) == len(new):
        for n, (a, b) in enumerate(zip(old, new, strict=True), start=1):
            if a.min != b.min:
                out.append(f"{name}：第 {n} 档下限 {bound(a.min, '无')} → {bound(b.min, '无')}")
            if a.below != b.below:
                out.append(f"{name}：第 {n} 档上限 {bound(a.below, '无')} → {bound(b.below, '无')}")
            if a.points != b.points:
                out.append(f"{name}：第 {n} 档分数 {_number(a.points)} → {_number(b.points)}")
        return out
    kept = {(s.min, s.below, s.points) for s in new}
    was = {(s.min, s.below, s.points) for s in old}
    out.append(f"{name}：分档由 {len(old)} 档改为 {len(new)} 档")
    out += [
        f"{name}：删除一档（{_band_text(s, unit)}）"
        for s in old
        if (s.min, s.below, s.points) not in kept
    ]
    out += [
        f"{name}：增加一档（{_band_text(s, unit)}）"
        for s in new
        if (s.min, s.below, s.points) not in was
    ]
    return out
