"""People and posts: read from text cells, checked, encoded as arrays.

People: id, skills, education, experience_years, occupation, expected_salary, location.
Posts: id, skills (required), education (the least), experience_years (the least), occupation,
salary_min, salary_max, location, count.

Empty cells are unknown (never zero). Skills are separated by 、 ， , ； ; / or spaces and
compared after normalisation (full-width to normal width, lower case). Education is one of the
levels below (不限 on a post: any). Salaries are 元 per month (8000, 8k, 0.8万, 1.2万 are read);
a value under 500 or over 1,000,000 is refused as a likely wrong unit. Occupations are codes of
职业分类大典 (x-xx-xx-xx). Locations are 6-digit region codes (compared by province, city and
district) or names (浙江省杭州市滨江区: the province and city are read from the name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from wulian.core.errors import InvalidFile, RowProblem

PEOPLE_COLUMNS = (
    "id",
    "skills",
    "education",
    "experience_years",
    "occupation",
    "expected_salary",
    "location",
)
POST_COLUMNS = (
    "id",
    "skills",
    "education",
    "experience_years",
    "occupation",
    "salary_min",
    "salary_max",
    "location",
    "count",
)
REQUIRED = ("id",)

ANY = 0
EDUCATION_LEVELS: dict[str, int] = {
    "不限": ANY,
    "学历不限": ANY,
    "小学": 1,
    "初中": 1,
    "初中及以下": 1,
    "高中": 2,
    "中专": 2,
    "中职": 2,
    "技校": 2,
    "职高": 2,
    "中技": 2,
    "大专": 3,
    "专科": 3,
    "高职": 3,
    "本科": 4,
    "学士": 4,
    "大学本科": 4,
    "硕士": 5,
    "研究生": 5,
    "硕士研究生": 5,
    "博士": 6,
    "博士研究生": 6,
}
LEVEL_NAMES = {1: "初中及以下", 2: "高中/中专", 3: "大专", 4: "本科", 5: "硕士", 6: "博士"}
SKILL_SEPARATORS = r"[、，,；;/|\s]+"
OCCUPATION = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
SALARY_LOW, SALARY_HIGH = 500.0, 1_000_000.0
MAX_YEARS = 60.0
WRONG_UNIT = "薪资应为每月的元数，在 500 到 1,000,000 之间（是否把万元或年薪填成了月薪？）"
REGION = re.compile(r"^\d{6}$")
PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)")
CITY = re.compile(r"^(.+?(?:市|自治州|地区|盟))")
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


@dataclass
class Side:
    """One table encoded (rows sorted by id, so that a row's position is its id's order)."""

    ids: list[str]
    skills_indptr: np.ndarray  # CSR of rows × skill vocabulary
    skills_indices: np.ndarray
    education: np.ndarray  # int64 level; -1 unknown
    experience: np.ndarray  # float64 years; NaN unknown
    occupation: np.ndarray  # rows × 3 int64: ids of the code, its 小类, its 中类; -1 unknown
    salary_low: np.ndarray  # float64 元/月; people: the expectation; NaN unknown
    salary_high: np.ndarray  # posts: the band's top (its bottom when only that is known)
    location: np.ndarray  # rows × 3 int64: ids of the place, its city, its province; -1
    count: np.ndarray  # posts: openings (1 where not given)
    frame: pl.DataFrame  # the cells as read (text), in the same order

    def __len__(self) -> int:
        return len(self.ids)

    def skills_of(self, row: int) -> np.ndarray:
        return self.skills_indices[self.skills_indptr[row] : self.skills_indptr[row + 1]]


@dataclass
class Vocabulary:
    """The ids shared by both sides: skills (with their text as written first), codes, places."""

    skills: dict[str, int]
    skill_text: list[str]
    codes: dict[str, int]
    places: dict[str, int]

    @classmethod
    def new(cls) -> Vocabulary:
        return cls({}, [], {}, {})


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def _column(frame: pl.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * frame.height
    return [(v or "").strip() for v in frame[name].cast(pl.String).to_list()]


EMPTY = ("", "-", "—", "--", "/", "无", "未知", "null", "n/a", "#n/a")


def _is_empty(text: str) -> bool:
    return text.strip().lower() in EMPTY


def salary(text: str) -> float | None:
    """元/月 from 8000, 8,000, 8k, 8千, 0.8万, 1.2万元; None when not a number."""
    t = _norm(text).replace(",", "").replace("，", "").replace("元/月", "").replace("元", "")
    factor = 1.0
    if t.endswith("万"):
        factor, t = 10_000.0, t[:-1]
    elif t.endswith("k") or t.endswith("千"):
        factor, t = 1_000.0, t[:-1]
    try:
        value = float(t) * factor
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _place_keys(text: str) -> tuple[str, str | None, str | None]:
    """(place, city, province) keys of a location: a region code's 6, 4 and 2 digits, or a
    name's place without its province (杭州市滨江区 and 浙江省杭州市滨江区 are one place), its
    city and its province (None where the name does not say)."""
    t = _norm(text).replace(" ", "")
    if REGION.match(t):
        return "r" + t, "r" + t[:4], "r" + t[:2]
    province = PROVINCE.match(t)
    municipality = province is not None and province.group(1) in MUNICIPALITIES
    rest = t if municipality or province is None else t[province.end() :]
    city = province.group(1) if municipality and province else None
    if city is None:
        found = CITY.match(rest)
        city = found.group(1) if found else None
    return (
        "n" + (rest or t),
        "n" + city if city else None,
        "n" + province.group(1) if province else None,
    )


def _distinct(frame: pl.DataFrame, name: str) -> tuple[list[str], np.ndarray]:
    """The column's distinct cells (stripped text) and each row's position among them."""
    cells = frame[name].cast(pl.String).fill_null("").str.strip_chars().to_list()
    seen: dict[str, int] = {}
    codes = np.fromiter((seen.setdefault(c, len(seen)) for c in cells), np.int64, len(cells))
    return list(seen), codes


def _id_of(table: dict[str, int], key: str | None) -> int:
    if key is None:
        return -1
    return table.setdefault(key, len(table))


def encode(
    frame: pl.DataFrame,
    kind: str,
    vocabulary: Vocabulary,
    rows: list[int] | None = None,
    source: str = "文件",
) -> Side:
    """The table (text cells) checked and encoded; kind is "people" or "posts". Every problem
    is reported with its row, column and value, and nothing is encoded then."""
    posts = kind == "posts"
    columns = POST_COLUMNS if posts else PEOPLE_COLUMNS
    rows = rows if rows is not None else list(range(2, frame.height + 2))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidFile([RowProblem(1, c, None, "缺少这一列") for c in missing], source)
    problems: list[RowProblem] = []
    ids = _column(frame, "id")
    seen: dict[str, int] = {}
    for row, key in zip(rows, ids, strict=True):
        if not key:
            problems.append(RowProblem(row, "id", None, "缺少编号"))
        elif key in seen:
            problems.append(RowProblem(row, "id", key, f"编号重复（第 {seen[key]} 行已有）"))
        else:
            seen[key] = row
    n = frame.height

    def education_of(text: str) -> tuple[int, str | None]:
        level = EDUCATION_LEVELS.get(_norm(text).replace("及以上", "").replace("以上", ""))
        if level is None:
            return -1, "学历无法识别（如：高中、大专、本科、硕士）"
        if level == ANY and not posts:
            return -1, "人才的学历不能是“不限”"
        return level, None

    def years_of(text: str) -> tuple[float, str | None]:
        if posts and _norm(text) in ("不限", "经验不限"):
            return 0.0, None
        t = _norm(text).removesuffix("年以上").removesuffix("年")
        try:
            value = float(t)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value < 0 or value > MAX_YEARS:
            return float("nan"), f"工作年限应为 0 到 {MAX_YEARS:.0f} 的年数"
        return value, None

    def occupation_of(text: str) -> tuple[tuple[int, int, int], str | None]:
        if not OCCUPATION.match(text):
            return (-1, -1, -1), "职业编码应为 x-xx-xx-xx（职业分类大典）"
        return (
            _id_of(vocabulary.codes, text),
            _id_of(vocabulary.codes, text[:7] + "-*"),
            _id_of(vocabulary.codes, text[:4] + "-*"),
        ), None

    def salary_of(text: str) -> tuple[float, str | None]:
        if posts and _norm(text) == "面议":
            return float("nan"), None
        money = salary(text)
        if money is None:
            return float("nan"), "薪资应为每月的元数（如 8000）"
        if not SALARY_LOW <= money <= SALARY_HIGH:
            return float("nan"), WRONG_UNIT
        return money, None

    def location_of(text: str) -> tuple[tuple[int, int, int], str | None]:
        place, city, province = _place_keys(text)
        return (
            _id_of(vocabulary.places, place),
            _id_of(vocabulary.places, city),
            _id_of(vocabulary.places, province),
        ), None

    def count_of(text: str) -> tuple[int, str | None]:
        try:
            value = float(_norm(text).removesuffix("人").removesuffix("名"))
        except ValueError:
            value = -1.0
        if value < 1 or value != int(value):
            return 1, "招聘人数应为正整数"
        return int(value), None

    def column(name: str, parse: Any, empty: Any) -> np.ndarray:
        """The column parsed once per distinct cell; problems reported for every row."""
        values, inverse = _distinct(frame, name)
        parsed = []
        for at, text in enumerate(values):
            if _is_empty(text):
                parsed.append(empty)
                continue
            value, reason = parse(text)
            parsed.append(value)
            if reason is not None:
                for i in np.flatnonzero(inverse == at).tolist():
                    problems.append(RowProblem(rows[i], name, text, reason))
        table = np.array(parsed) if parsed else np.zeros((0,))
        return table[inverse] if len(inverse) else np.array([empty] * 0)

    education = column("education", education_of, -1).astype(np.int64)
    experience = column("experience_years", years_of, float("nan")).astype(np.float64)
    occupation = column("occupation", occupation_of, (-1, -1, -1)).astype(np.int64).reshape(n, 3)
    if posts:
        low = column("salary_min", salary_of, float("nan")).astype(np.float64)
        high = column("salary_max", salary_of, float("nan")).astype(np.float64)
        both = ~np.isnan(low) & ~np.isnan(high)
        for i in np.flatnonzero(both & (low > high)).tolist():
            problems.append(
                RowProblem(
                    rows[i],
                    "salary_max",
                    _column(frame, "salary_max")[i],
                    f"薪资上限低于下限（{_column(frame, 'salary_min')[i]}）",
                )
            )
        high = np.where(np.isnan(high), low, high)
        count = column("count", count_of, 1).astype(np.int64)
    else:
        low = column("expected_salary", salary_of, float("nan")).astype(np.float64)
        high = low.copy()
        count = np.ones(n, np.int64)
    location = column("location", location_of, (-1, -1, -1)).astype(np.int64).reshape(n, 3)
    skills_lists = _skills(frame, vocabulary)
    if problems:
        problems.sort(
            key=lambda p: (p.row or 0, columns.index(p.column) if p.column in columns else 0)
        )
        raise InvalidFile(problems, source)
    order = sorted(range(n), key=ids.__getitem__)
    at = np.array(order, np.int64)
    lists = [skills_lists[i] for i in order]
    lengths = np.array([len(s) for s in lists], np.int64)
    indptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    indices = np.concatenate([np.array(s, np.int64) for s in lists]) if n else np.zeros(0, np.int64)
    return Side(
        ids=[ids[i] for i in order],
        skills_indptr=indptr,
        skills_indices=indices.astype(np.int64),
        education=education[at],
        experience=experience[at],
        occupation=occupation[at],
        salary_low=low[at],
        salary_high=high[at],
        location=location[at],
        count=count[at],
        frame=frame[at] if n else frame,
    )


def _skills(frame: pl.DataFrame, vocabulary: Vocabulary) -> list[list[int]]:
    """Each row's skill ids (each skill once, in the order written)."""
    split = frame["skills"].cast(pl.String).fill_null("").to_list()
    out: list[list[int]] = []
    table, texts = vocabulary.skills, vocabulary.skill_text
    done: dict[str, list[int]] = {}
    for cell in split:
        known = done.get(cell)
        if known is not None:
            out.append(known)
            continue
        ids: list[int] = []
        if not _is_empty(cell):
            for raw in re.split(SKILL_SEPARATORS, unicodedata.normalize("NFKC", cell)):
                raw = raw.strip()
                if not raw or _is_empty(raw):
                    continue
                key = raw.lower()
                skill = table.get(key)
                if skill is None:
                    skill = table[key] = len(texts)
                    texts.append(raw)
                if skill not in ids:
                    ids.append(skill)
        done[cell] = ids
        out.append(ids)
    return out
