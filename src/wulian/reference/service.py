"""Reference data: the GB/T 4754 taxonomy with its tags, and the metric catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.errors import InvalidFile, NotFound, RowProblem
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import decode
from wulian.reference import catalogue
from wulian.reference.models import Industry, IndustryTag, Metric, Occupation, Region

LEVEL_PATTERNS = {
    1: re.compile(r"^[A-T]$"),
    2: re.compile(r"^\d{2}$"),
    3: re.compile(r"^\d{3}$"),
    4: re.compile(r"^\d{4}$"),
}
LEVEL_NAMES = {1: "门类", 2: "大类", 3: "中类", 4: "小类"}
MAX_PROBLEMS = 200


def read_csv_text(path: Path) -> pl.DataFrame:
    """A CSV file as strings (UTF-8 with or without BOM, else GB18030), header on line 1."""
    try:
        text, _ = decode(path.read_bytes())
    except InvalidFile as error:
        raise InvalidFile(error.problems, path.name) from None
    try:
        frame = pl.read_csv(text.encode("utf-8"), infer_schema=False)
        return frame.with_columns(pl.all().fill_null(""))
    except pl.exceptions.PolarsError as error:
        raise InvalidFile(
            [RowProblem(None, None, None, f"不是有效的 CSV：{error}")], path.name
        ) from None


def _require_columns(frame: pl.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidFile([RowProblem(1, c, None, "缺少这一列") for c in missing], source)


@dataclass(frozen=True)
class TaxonomyImport:
    industries: int
    leaves: int
    tags: int
    removed: int


def check_taxonomy(frame: pl.DataFrame, source: str = "行业分类文件") -> list[RowProblem]:
    """Problems of a GB/T 4754 table: codes, levels and parents (pure; no database)."""
    _require_columns(frame, ["code", "name", "parent_code", "level"], source)
    problems: list[RowProblem] = []
    rows = frame.select("code", "name", "parent_code", "level").rows()
    levels: dict[str, int] = {}
    for index, (code, name, parent, level) in enumerate(rows, start=2):
        code, parent = code.strip(), parent.strip()
        if not level.strip().isdigit() or int(level) not in LEVEL_PATTERNS:
            problems.append(RowProblem(index, "level", level, "层级应为 1–4"))
            continue
        number = int(level)
        if not LEVEL_PATTERNS[number].match(code):
            problems.append(RowProblem(index, "code", code, f"{LEVEL_NAMES[number]}代码格式不正确"))
        elif code in levels:
            problems.append(RowProblem(index, "code", code, "代码重复"))
        if not name.strip():
            problems.append(RowProblem(index, "name", name, "名称不能为空"))
        levels[code] = number
    for index, (code, _name, parent, level) in enumerate(rows, start=2):
        code, parent = code.strip(), parent.strip()
        known_level = levels.get(code)
        if known_level is None or not level.strip().isdigit():
            continue
        number = known_level
        if number == 1:
            if parent:
                problems.append(RowProblem(index, "parent_code", parent, "门类不应有上级"))
        elif levels.get(parent) != number - 1:
            problems.append(
                RowProblem(
                    index, "parent_code", parent, f"上级应为已列出的{LEVEL_NAMES[number - 1]}"
                )
            )
        elif number > 2 and not code.startswith(parent):
            problems.append(RowProblem(index, "parent_code", parent, "代码与上级代码不一致"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _tag_rows(
    frame: pl.DataFrame, known: set[str], source: str, *, tag: str | None = None
) -> tuple[list[dict[str, object]], list[RowProblem]]:
    problems: list[RowProblem] = []
    out: list[dict[str, object]] = []
    if tag is None:
        _require_columns(
            frame, ["gbt_code", "tag", "tag_name", "partial_star", "category_path"], source
        )
        rows = frame.select("gbt_code", "tag", "tag_name", "partial_star", "category_path").rows()
    else:
        _require_columns(frame, ["gbt_code", "partial_star", "sei_path"], source)
        rows = [
            (code, tag, "战略性新兴产业", star, path)
            for code, star, path in frame.select("gbt_code", "partial_star", "sei_path").rows()
        ]
    for index, (code, tag_key, tag_name, star, path) in enumerate(rows, start=2):
        code = code.strip()
        if code not in known:
            problems.append(RowProblem(index, "gbt_code", code, "行业代码不在分类表中"))
            continue
        if star.strip() not in ("", "0", "1"):
            problems.append(RowProblem(index, "partial_star", star, "应为 0 或 1"))
            continue
        out.append(
            {
                "code": code,
                "tag": tag_key.strip(),
                "tag_name": tag_name.strip(),
                "partial": star.strip() == "1",
                "category_path": path.strip(),
            }
        )
    return out, problems


def import_gbt4754(
    session: Session,
    *,
    actor: Actor,
    notes: Path,
    tags: Path | None = None,
    strategic: Path | None = None,
) -> TaxonomyImport:
    """Load the GB/T 4754 table (and tag tables) as a whole: all of it, or nothing."""
    actor.require(Permission.REFERENCE_MANAGE)
    frame = read_csv_text(notes)
    problems = check_taxonomy(frame, notes.name)
    if problems:
        raise InvalidFile(problems, notes.name)
    note_column = next((c for c in ("description_notes", "notes") if c in frame.columns), None)
    industries = [
        {
            "code": code.strip(),
            "name": name.strip(),
            "parent_code": parent.strip() or None,
            "level": int(level),
            "notes": (note or "").strip(),
        }
        for code, name, parent, level, note in frame.select(
            "code",
            "name",
            "parent_code",
            "level",
            pl.col(note_column) if note_column else pl.lit("").alias("notes"),
        ).rows()
    ]
    known = {row["code"] for row in industries}
    tag_rows: list[dict[str, object]] = []
    for path, fixed in ((tags, None), (strategic, "strategic")):
        if path is None:
            continue
        rows, tag_problems = _tag_rows(read_csv_text(path), known, path.name, tag=fixed)
        if tag_problems:
            raise InvalidFile(tag_problems, path.name)
        tag_rows.extend(rows)
    unique_tags = {(r["code"], r["tag"], r["category_path"]): r for r in tag_rows}

    existing = set(session.scalars(sa.select(Industry.code)))
    removed = existing - known
    session.execute(sa.delete(IndustryTag))
    if removed:
        session.execute(sa.delete(Industry).where(Industry.code.in_(removed)))
    if existing & known:
        session.execute(
            sa.update(Industry),
            [row for row in industries if row["code"] in existing],
        )
    new_rows = [row for row in industries if row["code"] not in existing]
    if new_rows:
        session.execute(sa.insert(Industry), new_rows)
    if unique_tags:
        session.execute(sa.insert(IndustryTag), list(unique_tags.values()))
    result = TaxonomyImport(
        industries=len(industries),
        leaves=sum(1 for row in industries if row["level"] == 4),
        tags=len(unique_tags),
        removed=len(removed),
    )
    audit.record(
        session,
        action="reference.import",
        object_type="industries",
        after={"file": notes.name, **result.__dict__},
    )
    return result


OCCUPATION_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
OCCUPATION_LEVELS = {1: "大类", 2: "中类", 3: "小类", 4: "细类（职业）"}


def check_occupations(frame: pl.DataFrame, source: str = "职业分类表") -> list[RowProblem]:
    """Problems of a 职业分类大典 table: codes, levels, names, duplicates, parents (pure)."""
    _require_columns(frame, ["level", "code", "name", "parent_code"], source)
    problems: list[RowProblem] = []
    rows = frame.select("level", "code", "name", "parent_code").rows()
    levels: dict[str, int] = {}
    for index, (level, code, name, _parent) in enumerate(rows, start=2):
        code = code.strip()
        if not level.strip().isdigit() or int(level) not in OCCUPATION_LEVELS:
            problems.append(RowProblem(index, "level", level, "层级应为 1–4"))
        elif not OCCUPATION_CODE.match(code):
            problems.append(RowProblem(index, "code", code, "代码格式应为 x-xx-xx-xx"))
        elif code in levels:
            problems.append(RowProblem(index, "code", code, "代码重复"))
        else:
            levels[code] = int(level)
        if not name.strip():
            problems.append(RowProblem(index, "name", name, "名称不能为空"))
        if len(problems) >= MAX_PROBLEMS:
            return problems
    for index, (_level, code, _name, parent) in enumerate(rows, start=2):
        code, parent = code.strip(), parent.strip()
        own = levels.get(code)
        if own is None or own == 1:
            if own == 1 and parent:
                problems.append(RowProblem(index, "parent_code", parent, "大类不应有上级代码"))
            continue
        # a 小类 without subdivisions is itself an occupation (level 4, code ending in 00), and
        # the table has such a 小类 above occupations too: only a higher level is refused
        if parent not in levels or parent == code:
            problems.append(RowProblem(index, "parent_code", parent, "上级代码不在表中"))
        elif levels[parent] > own:
            problems.append(RowProblem(index, "parent_code", parent, "上级代码的层级不应低于本行"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


@dataclass(frozen=True)
class OccupationImport:
    entries: int
    occupations: int


def import_occupations(session: Session, *, actor: Actor, path: Path) -> OccupationImport:
    """Load the 职业分类大典 table as a whole, replacing the one loaded before: all, or nothing."""
    actor.require(Permission.REFERENCE_MANAGE)
    frame = read_csv_text(path)
    problems = check_occupations(frame, path.name)
    if problems:
        raise InvalidFile(problems, path.name)
    definition = pl.col("definition") if "definition" in frame.columns else pl.lit("")
    rows = [
        {
            "code": code.strip(),
            "level": int(level),
            "name": name.strip(),
            "parent_code": parent.strip() or None,
            "definition": (text or "").strip(),
        }
        for level, code, name, parent, text in frame.select(
            "level", "code", "name", "parent_code", definition.alias("definition")
        ).rows()
    ]
    session.execute(sa.delete(Occupation))
    session.execute(sa.insert(Occupation), rows)
    result = OccupationImport(len(rows), sum(1 for row in rows if row["level"] == 4))
    audit.record(
        session,
        action="reference.import",
        object_type="occupations",
        after={"file": path.name, **result.__dict__},
    )
    return result


def occupation_names(session: Session) -> dict[str, str] | None:
    """The loaded occupations (细类): code → name; None when no table has been loaded."""
    rows = session.execute(
        sa.select(Occupation.code, Occupation.name).where(Occupation.level == 4)
    ).all()
    return {str(code): str(name) for code, name in rows} or None


def occupation_table(session: Session) -> pl.DataFrame | None:
    """The loaded classification as text columns code, name, parent_code, definition (every
    level, by code), for engines that learn from it; None when no table has been loaded."""
    rows = session.execute(
        sa.select(
            Occupation.code, Occupation.name, Occupation.parent_code, Occupation.definition
        ).order_by(Occupation.code)
    ).all()
    if not rows:
        return None
    return pl.DataFrame(
        [(c, n, p or "", d or "") for c, n, p, d in rows],
        schema={"code": pl.String, "name": pl.String, "parent_code": pl.String,
                "definition": pl.String},
        orient="row",
    )  # fmt: skip


def industry_notes(session: Session) -> pl.DataFrame:
    """Every loaded industry's code, name and notes (the 说明 of GB/T 4754), for engines that
    relate products through the classification (code, name, notes: Utf8)."""
    rows = session.execute(sa.select(Industry.code, Industry.name, Industry.notes)).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"code": pl.Utf8, "name": pl.Utf8, "notes": pl.Utf8},
        orient="row",
    )


def get_industry(session: Session, *, code: str) -> Industry | None:
    """The industry with code, if loaded."""
    return session.get(Industry, code.strip())


def get_leaf_or_raise(session: Session, *, code: str) -> Industry:
    """A 小类 (level 4) industry, or a clear error."""
    industry = get_industry(session, code=code)
    if industry is None:
        raise NotFound(f"国民经济行业分类中没有代码“{code}”（请先导入 GB/T 4754 分类表）")
    if industry.level != 4:
        raise NotFound(f"行业代码“{code}”是{LEVEL_NAMES[industry.level]}，应填写四位小类代码")
    return industry


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricSync:
    added: int
    updated: int


def sync_metrics(session: Session, *, actor: Actor) -> MetricSync:
    """Bring the metrics table in step with the shipped catalogue (added and changed entries)."""
    actor.require(Permission.REFERENCE_MANAGE)
    existing = {m.key: m for m in session.scalars(sa.select(Metric))}
    next_id = max((m.id for m in existing.values()), default=0) + 1
    added = updated = 0
    for spec in catalogue.shipped():
        values = {
            "name": spec.name,
            "unit": spec.unit,
            "period": spec.period,
            "value_type": spec.type,
            "kind": spec.kind,
            "owner": spec.owner,
            "min_value": spec.min,
            "max_value": spec.max,
            "formula": spec.formula,
            "definition": spec.definition,
            "used_by": list(spec.used_by),
        }
        metric = existing.get(spec.key)
        if metric is None:
            session.add(Metric(key=spec.key, id=next_id, **values))
            next_id += 1
            added += 1
        elif any(getattr(metric, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(metric, k, v)
            updated += 1
    session.flush()
    return MetricSync(added=added, updated=updated)


def region_known(session: Session, code: str) -> bool | None:
    """Whether code is an administrative division of the loaded region table; None when no
    region table is loaded (then a code cannot be checked, which is not the same as wrong)."""
    if session.get(Region, code) is not None:
        return True
    return False if session.scalar(sa.select(Region.code).limit(1)) is not None else None


def sections(session: Session) -> dict[str, str]:
    """Every industry code → its 门类 (the level-1 letter it belongs to)."""
    parents = dict(session.execute(sa.select(Industry.code, Industry.parent_code)).all())
    out: dict[str, str] = {}
    for code in parents:
        at: str | None = code
        seen = 0
        while at is not None and parents.get(at) is not None and seen < 5:
            at, seen = parents[at], seen + 1
        if at is not None:
            out[code] = at
    return out


def region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The names of the regions of codes that the loaded region table knows: a county with its
    city (衢州市柯城区), a city or province by itself; codes it does not know are left out."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(Region.code, Region.name, Region.level, Region.parent_code).where(
            Region.code.in_(sorted(wanted))
        )
    ).all()
    parents = {p for _, _, level, p in rows if level == 3 and p}
    above = (
        dict(
            session.execute(
                sa.select(Region.code, Region.name).where(Region.code.in_(parents))
            ).all()
        )
        if parents
        else {}
    )
    out = {}
    for code, name, level, parent in rows:
        city = above.get(parent or "", "") if level == 3 else ""
        out[code] = name if name.startswith(city) else city + name
    return out
