"""Partner colleges (院校): their majors mapped to chain nodes and occupations, and per major and
year the graduates, those employed in zone firms and those retained in the zone (留存率 = retained ÷
graduates), against a target rate per year set by the talent office.

A count not given is unknown (None), never zero: a year without a retained count shows "—".
The talent office writes; zone staff with talent.read see; firms' users are refused. Every
table is audited through its `__audit__` flag. The xlsx import writes every row or none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from wulian.chains import service as chains_service
from wulian.core import audit, xlsx
from wulian.core.db import Base, utcnow
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied, RowProblem, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import EMPTY, read_table
from wulian.talent import occupations, service

STAFF_ONLY = "院校毕业生数据只对园区工作人员开放"
OFFICE_WRITES = "院校、专业和毕业生数据由人才办工作人员登记"
# The default target (DOMAIN: the vocational college's graduate retention 30% → 45% by 2030):
# 30% in 2025, three points more each year, 45% from 2030 on.
DEFAULT_BASE_YEAR, DEFAULT_BASE_RATE, DEFAULT_STEP, DEFAULT_CAP = 2025, 30, 3, 45
MAX_COUNT = 100_000


class College(Base):
    """A partner college (合作院校)."""

    __tablename__ = "talent_colleges"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Major(Base):
    """A college's major, mapped to a chain node and an occupation."""

    __tablename__ = "talent_college_majors"
    __table_args__ = (sa.UniqueConstraint("college_id", "name", name="uq_talent_college_major"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(sa.ForeignKey("talent_colleges.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    chain: Mapped[str | None] = mapped_column(sa.String(48))
    node: Mapped[str | None] = mapped_column(sa.String(64))
    occupation_code: Mapped[str | None] = mapped_column(sa.String(12))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Cohort(Base):
    """One major's graduates of one year: how many, employed in zone firms, retained in the zone."""

    __tablename__ = "talent_college_cohorts"
    __table_args__ = (
        sa.UniqueConstraint("major_id", "year", name="uq_talent_college_cohort"),
        sa.CheckConstraint("graduates >= 0", name="graduates_not_negative"),
    )
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    major_id: Mapped[int] = mapped_column(sa.ForeignKey("talent_college_majors.id"), index=True)
    year: Mapped[int]
    graduates: Mapped[int]
    employed: Mapped[int | None]  # None: unknown
    retained: Mapped[int | None]  # None: unknown
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RetentionTarget(Base):
    """The talent office's target retention rate (percent) for one graduation year."""

    __tablename__ = "talent_retention_targets"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    target_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))  # percent
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- access


def require_read(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.TALENT_READ)


def require_write(session: Session, actor: Actor) -> None:
    actor.require(Permission.TALENT_WRITE)
    if not service.in_office(session, actor):
        raise PermissionDenied(OFFICE_WRITES)


# ---------------------------------------------------------------- targets


def default_target(year: int) -> Decimal:
    """The default target rate (percent) of a graduation year."""
    rate = DEFAULT_BASE_RATE + DEFAULT_STEP * (year - DEFAULT_BASE_YEAR)
    return Decimal(min(max(rate, DEFAULT_BASE_RATE), DEFAULT_CAP))


def targets(session: Session, years: list[int]) -> dict[int, tuple[Decimal, bool]]:
    """year → (target percent, whether the talent office set it)."""
    set_ = {t.year: t.target_rate for t in session.scalars(sa.select(RetentionTarget))}
    return {y: (Decimal(set_[y]), True) if y in set_ else (default_target(y), False) for y in years}


def _year(value: int | str, name: str = "year") -> int:
    try:
        year = int(str(value).strip().removesuffix("届").removesuffix("年"))
    except ValueError:
        raise InvalidInput(f"年度“{value}”应为四位年份", field=name, value=str(value)) from None
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"年度 {year} 应在 2000–2100 之间", field=name, value=str(value))
    return year


def set_target(session: Session, *, actor: Actor, year: int | str, rate: str) -> RetentionTarget:
    """Set one year's target rate (percent, 0–100)."""
    require_write(session, actor)
    the_year = _year(year)
    try:
        value = Decimal(rate.strip().removesuffix("%").removesuffix("％"))
    except InvalidOperation:
        raise InvalidInput(f"目标留存率“{rate}”不是数字", field="target_rate", value=rate) from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInput("目标留存率应为 0–100（%）", field="target_rate", value=rate)
    found = session.scalar(sa.select(RetentionTarget).where(RetentionTarget.year == the_year))
    if found is None:
        found = RetentionTarget(year=the_year, target_rate=value, created_by=actor.label)
        session.add(found)
    else:
        found.target_rate = value
    session.flush()
    return found


# ---------------------------------------------------------------- entry


def _name(text: str, what: str, name: str) -> str:
    value = text.strip()
    if not value or len(value) > 100:
        raise InvalidInput(f"{what}不能为空，且不超过 100 个字", field=name, value=value[:100])
    return value


def _count(value: int | str | None, label: str, name: str) -> int | None:
    """A count as stored: None when not given (unknown), else a whole number ≥ 0."""
    if value is None:
        return None
    text = str(value).strip().removesuffix("人")
    if text in EMPTY:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"{label}“{text}”不是整数", field=name, value=text) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise InvalidInput(f"{label}“{text}”应为整数", field=name, value=text)
    if number < 0:
        raise InvalidInput(f"{label}不能为负数", field=name, value=text)
    if number > MAX_COUNT:
        raise InvalidInput(f"{label}不能超过 {MAX_COUNT}", field=name, value=text)
    return int(number)


def add_college(session: Session, *, actor: Actor, name: str) -> College:
    require_write(session, actor)
    value = _name(name, "院校名称", "name")
    if session.scalar(sa.select(College.id).where(College.name == value)) is not None:
        raise InvalidInput(f"院校“{value}”已登记", field="name", value=value)
    college = College(name=value, created_by=actor.label)
    session.add(college)
    session.flush()
    return college


def add_major(
    session: Session, *, actor: Actor, college_id: int, name: str, chain: str = "",
    node: str = "", occupation_code: str = "", table: Mapping[str, str] | None = None,
) -> Major:  # fmt: skip
    """Enter a major of a college with its chain node and occupation (both checked)."""
    require_write(session, actor)
    if session.get(College, college_id) is None:
        raise NotFound("没有这所院校")
    value = _name(name, "专业名称", "major")
    chain_key, node_key = service.check_chain(session, actor, chain, node)
    code = occupations.check(occupation_code, table)
    found = session.scalar(
        sa.select(Major.id).where(Major.college_id == college_id, Major.name == value)
    )
    if found is not None:
        raise InvalidInput(f"该院校已有专业“{value}”", field="major", value=value)
    major = Major(
        college_id=college_id, name=value, chain=chain_key, node=node_key,
        occupation_code=code, created_by=actor.label,
    )  # fmt: skip
    session.add(major)
    session.flush()
    return major


def record_cohort(
    session: Session, *, actor: Actor, major_id: int, year: int | str,
    graduates: int | str | None, employed: int | str | None = None,
    retained: int | str | None = None,
) -> Cohort:  # fmt: skip
    """Enter (or correct) one major's graduates of one year; checked in full before writing."""
    require_write(session, actor)
    if session.get(Major, major_id) is None:
        raise NotFound("没有这个专业")
    the_year = _year(year)
    total = _count(graduates, "毕业生人数", "graduates")
    if total is None:
        raise InvalidInput("请填写毕业生人数", field="graduates")
    in_firms = _count(employed, "区内企业就业人数", "employed")
    kept = _count(retained, "留在园区人数", "retained")
    if in_firms is not None and in_firms > total:
        raise InvalidInput(
            f"区内企业就业人数 {in_firms} 超过毕业生人数 {total}",
            field="employed",
            value=str(in_firms),
        )
    if kept is not None and kept > total:
        raise InvalidInput(
            f"留在园区人数 {kept} 超过毕业生人数 {total}", field="retained", value=str(kept)
        )
    found = session.scalar(
        sa.select(Cohort).where(Cohort.major_id == major_id, Cohort.year == the_year)
    )
    if found is None:
        found = Cohort(major_id=major_id, year=the_year, graduates=total, created_by=actor.label)
        session.add(found)
    found.graduates, found.employed, found.retained = total, in_firms, kept
    session.flush()
    return found


# ---------------------------------------------------------------- reading


def rate(retained: int | None, graduates: int | None) -> Decimal | None:
    """留存率 in percent (one decimal), None when unknown or no graduates."""
    if retained is None or not graduates:
        return None
    return (Decimal(retained) * 100 / graduates).quantize(Decimal("0.1"))


def shown(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return f"{value}%" if isinstance(value, Decimal) else str(value)


@dataclass
class CohortRow:
    college: str
    major: str
    major_id: int
    chain_name: str
    node_name: str
    occupation_code: str | None
    year: int
    graduates: int
    employed: int | None
    retained: int | None
    rate: Decimal | None
    target: Decimal
    target_set: bool

    @property
    def met(self) -> bool | None:
        return None if self.rate is None else self.rate >= self.target


@dataclass
class YearTotal:
    year: int
    graduates: int
    employed: int | None  # None: some major's count unknown
    retained: int | None
    target: Decimal
    target_set: bool

    @property
    def rate(self) -> Decimal | None:
        return rate(self.retained, self.graduates)


@dataclass
class NodeSupply:
    chain_name: str
    node_name: str
    year: int
    graduates: int
    majors: list[str] = field(default_factory=list)


@dataclass
class Overview:
    colleges: list[College]
    majors: list[tuple[Major, str, str, str]]  # major, college, chain name, node name
    rows: list[CohortRow]
    years: list[YearTotal]
    nodes: list[NodeSupply]


def _names(session: Session, actor: Actor) -> dict[tuple[str | None, str | None], tuple[str, str]]:
    names: dict[tuple[str | None, str | None], tuple[str, str]] = {(None, None): ("未归链", "")}
    for found in chains_service.chains(session, actor=actor):
        names[(found.spec.id, None)] = (found.spec.name, "")
        for node in found.spec.nodes:
            names[(found.spec.id, node.key)] = (found.spec.name, node.name)
    return names


def overview(session: Session, *, actor: Actor) -> Overview:
    """Colleges, majors, every cohort with its rate and target, totals per year, and the
    graduates of the latest year per chain node (the supply colleges add to the talent map)."""
    require_read(actor)
    names = _names(session, actor)
    colleges = list(session.scalars(sa.select(College).order_by(College.name)))
    college_names = {c.id: c.name for c in colleges}
    majors = list(session.scalars(sa.select(Major).order_by(Major.college_id, Major.name)))
    by_id = {m.id: m for m in majors}
    cohorts = list(session.scalars(sa.select(Cohort).order_by(Cohort.year.desc(), Cohort.id)))
    wanted = targets(session, sorted({c.year for c in cohorts}))

    def where(m: Major) -> tuple[str, str]:
        return names.get((m.chain, m.node), (m.chain or "未归链", m.node or ""))

    rows = []
    for c in cohorts:
        m = by_id[c.major_id]
        chain_name, node_name = where(m)
        target, target_set = wanted[c.year]
        rows.append(
            CohortRow(
                college_names.get(m.college_id, ""), m.name, m.id, chain_name, node_name,
                m.occupation_code, c.year, c.graduates, c.employed, c.retained,
                rate(c.retained, c.graduates), target, target_set,
            )
        )  # fmt: skip
    years = []
    for year in sorted(wanted, reverse=True):
        items = [c for c in cohorts if c.year == year]
        employed = [c.employed for c in items]
        kept = [c.retained for c in items]
        years.append(
            YearTotal(
                year, sum(c.graduates for c in items),
                None if None in employed else sum(p or 0 for p in employed),
                None if None in kept else sum(k or 0 for k in kept), *wanted[year],
            )
        )  # fmt: skip
    nodes: dict[tuple[str, str], NodeSupply] = {}
    latest = max((c.year for c in cohorts), default=None)
    for c in cohorts:
        if c.year != latest:
            continue
        m = by_id[c.major_id]
        if m.chain is None:
            continue
        chain_name, node_name = where(m)
        item = nodes.setdefault(
            (chain_name, node_name), NodeSupply(chain_name, node_name or "—", c.year, 0)
        )
        item.graduates += c.graduates
        item.majors.append(f"{college_names.get(m.college_id, '')} {m.name}")
    listed = [(m, college_names.get(m.college_id, ""), *where(m)) for m in majors]
    return Overview(
        colleges, listed, rows, years, sorted(nodes.values(), key=lambda n: -n.graduates)
    )


# ---------------------------------------------------------------- xlsx import

COLUMNS: dict[str, tuple[str, ...]] = {
    "college": ("院校", "院校名称", "学校"),
    "major": ("专业", "专业名称"),
    "chain": ("产业链",),
    "node": ("环节", "产业链环节"),
    "occupation_code": ("职业代码", "职业分类代码"),
    "year": ("毕业年度", "年度", "届别"),
    "graduates": ("毕业生人数", "毕业生"),
    "employed": ("区内企业就业人数", "区内就业人数"),
    "retained": ("留在园区人数", "留存人数"),
}
LABELS = {
    "college": "院校", "major": "专业", "chain": "产业链", "node": "环节",
    "occupation_code": "职业代码", "year": "毕业年度", "graduates": "毕业生人数",
    "employed": "区内企业就业人数", "retained": "留在园区人数",
}  # fmt: skip
REQUIRED = ("college", "major", "year", "graduates")
TEMPLATE = list(LABELS.values())
EXAMPLE = ["衢州职业技术学院（示例行：导入前请删除）", "应用化工技术", "氟硅新材料", "",
           "6-11-01-01", "2026", "120", "40", "38"]  # fmt: skip


@dataclass
class ImportReport:
    filename: str
    rows_total: int = 0
    created: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False


def _key(text: str) -> str:
    return "".join(ch for ch in str(text) if not ch.isspace() and ch not in "*＊()（）")


def run_import(
    session: Session, *, actor: Actor, data: bytes, filename: str,
    table: Mapping[str, str] | None = None,
) -> ImportReport:  # fmt: skip
    """Write every row of a colleges file (college, major and its mapping, one year's counts),
    or none: any problem rolls the whole file back. A college or major not yet known is added."""
    require_write(session, actor)
    report = ImportReport(filename=filename)
    sheet = read_table(data, filename, is_header=lambda cells: "院校" in {_key(c) for c in cells})
    wanted = {_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, str] = {}
    for header in sheet.headers:
        name = wanted.get(_key(header))
        if name is not None and name not in columns:
            columns[name] = header
    for name in REQUIRED:
        if name not in columns:
            report.problems.append(
                RowProblem(1, LABELS[name], None, f"缺少“{LABELS[name]}”列", kind="缺少列")
            )
    if report.problems:
        return report
    rows = sheet.frame.to_dicts()
    report.rows_total = len(rows)
    colleges = {c.name: c.id for c in session.scalars(sa.select(College))}
    seen: dict[tuple[str, str, int], int] = {}
    for index, cells in enumerate(rows):
        line = int(sheet.rows[index])

        def cell(name: str, cells: dict[str, object] = cells) -> str:
            header = columns.get(name)
            value = "" if header is None else str(cells.get(header) or "").strip()
            return "" if value in EMPTY else value

        if not any(cell(n) for n in columns):
            continue
        try:
            college_name = _name(cell("college"), "院校名称", "college")
            if college_name not in colleges:
                colleges[college_name] = add_college(session, actor=actor, name=college_name).id
            college_id = colleges[college_name]
            major_name = _name(cell("major"), "专业名称", "major")
            major = session.scalar(
                sa.select(Major).where(Major.college_id == college_id, Major.name == major_name)
            )
            if major is None:
                major = add_major(
                    session, actor=actor, college_id=college_id, name=major_name,
                    chain=cell("chain"), node=cell("node"),
                    occupation_code=cell("occupation_code"), table=table,
                )  # fmt: skip
            elif cell("chain") or cell("occupation_code"):
                chain_key, node_key = service.check_chain(
                    session, actor, cell("chain"), cell("node")
                )
                major.chain, major.node = chain_key, node_key
                major.occupation_code = occupations.check(cell("occupation_code"), table)
            year = _year(cell("year"))
            again = seen.get((college_name, major_name, year))
            if again is not None:
                raise InvalidInput(f"与第 {again} 行是同一院校、专业和年度", field="year")
            seen[(college_name, major_name, year)] = line
            record_cohort(
                session, actor=actor, major_id=major.id, year=year,
                graduates=cell("graduates"), employed=cell("employed"), retained=cell("retained"),
            )  # fmt: skip
            report.created += 1
        except WulianError as error:
            name = str(error.extra.get("field") or "")
            bad = error.extra.get("value")
            column = columns.get(name) or LABELS.get(name) or LABELS["college"]
            report.problems.append(
                RowProblem(line, column, None if bad is None else str(bad), error.message)
            )
    if report.problems:
        session.rollback()
        return report
    audit.record(
        session, action="talent.import_colleges", object_type="talent_college_cohorts",
        after={"filename": filename, "rows": report.created},
    )  # fmt: skip
    report.committed = True
    return report


def template_xlsx() -> bytes:
    book = xlsx.ListWorkbook()
    book.table("院校毕业生", headers=TEMPLATE, rows=[EXAMPLE],
               widths=[max(10, len(h) * 2 + 4) for h in TEMPLATE])  # fmt: skip
    return book.close()
