"""The xlsx imports of a firm's staff list (人员名单) and its open posts (岗位需求), all or nothing.

Each row is checked by the same rules as the form (`service.create_person`, `service.create_post`;
a check writes the rows and rolls the unit of work back, so an import is its request's whole unit
of work), and problems are reported with their row, column and value. The unit of each salary
column comes from its header (万元/年, 元/年 or 元/月). A salary that looks off by 10⁴ (1,000 万元 a
year and more in a 万元 column; under 1,000 元 a year, or 100 元 a month, in a 元 column) is
flagged before anything is written; the row is checked in the other unit and written so once the
user confirms it. Nothing is written while any row has a problem or an unconfirmed flag. Identity
numbers never appear in a report: they are shown masked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from wulian.core import audit, xlsx
from wulian.core.errors import RowProblem, WulianError
from wulian.core.permissions import Actor
from wulian.core.tabular import EMPTY, read_table
from wulian.talent import service
from wulian.talent.crypto import Keys, mask, shown_identity

MAX_ROWS = 5_000
_STRIP = re.compile(r"[\s*＊（()）]|万元/年|万元|元/年|元/月|元")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")  # a number Excel kept as a float
_UNIT = re.compile(r"[（(]\s*(万元/年|万元|元/年|元/月|元)\s*[)）]")
PURPOSE_WORDS = {label: key for key, label in service.PURPOSES.items()} | {
    "企业人才登记": "employment", "在职人员统计": "employment", "人才登记": "employment",
    "产业人才地图": "talent_map", "人才地图": "talent_map", "人才认定": "recognition",
    "自主评价": "recognition", "岗位匹配": "matching", "人才岗位匹配": "matching",
    "政策兑现": "benefits", "人才政策兑现": "benefits",
}  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One import: its columns (field → header names), labels, required and salary columns."""

    key: str
    title: str
    fields: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    required: tuple[str, ...]
    money: tuple[str, ...]
    template: list[str]
    example: list[str]


STAFF = Kind(
    key="staff",
    title="企业人员名单",
    fields={
        "name": ("姓名",), "identity_number": ("身份证号", "身份证号码", "居民身份证号"),
        "birth_date": ("出生日期",), "education": ("学历", "最高学历"),
        "major": ("专业", "所学专业"),
        "occupation_code": ("职业代码", "职业分类代码"), "skills": ("技能", "专业技能", "技能特长"),
        "salary": ("年薪", "年收入", "月薪"), "chain": ("产业链",), "node": ("环节", "产业链环节"),
        "purposes": ("同意用途", "授权用途"), "consent_on": ("同意日期", "授权日期"),
        "retain_until": ("保存期限", "保存至"),
        "experience_years": ("工作年限", "工作经验", "工作年限年"),
        "region_code": ("所在地", "所在地代码", "工作地行政区划代码"),
        "title_level": ("职称", "专业技术职称"),
        "position_level": ("职务层级", "职务"),
        "honour_level": ("荣誉与人才计划", "荣誉", "人才计划"),
        "achievements": ("创新成果", "创新成果项"),
    },
    labels={
        "name": "姓名", "identity_number": "身份证号", "birth_date": "出生日期",
        "education": "学历", "major": "专业", "occupation_code": "职业代码", "skills": "技能",
        "salary": "年薪",
        "chain": "产业链", "node": "环节", "purposes": "同意用途", "consent_on": "同意日期",
        "retain_until": "保存期限", "experience_years": "工作年限（年）",
        "region_code": "所在地", "title_level": "职称", "position_level": "职务层级",
        "honour_level": "荣誉与人才计划", "achievements": "创新成果（项）",
    },
    required=("name", "identity_number", "consent_on"),
    money=("salary",),
    template=["姓名", "身份证号", "出生日期", "学历", "专业", "职业代码", "技能", "年薪（万元）",
              "产业链", "环节", "同意用途", "同意日期", "保存期限", "工作年限（年）", "所在地",
              "职称", "职务层级", "荣誉与人才计划", "创新成果（项）"],
    example=["张三（示例行：导入前请删除）", "330802199001010029", "1990-01-01", "硕士",
             "材料科学与工程", "2-02-29-03", "正极材料、电化学", "25", "锂电新材料", "正极材料",
             "企业人才登记、岗位匹配", "2026-06-01", "", "6", "330802", "中级", "技术骨干",
             "无", "2"],
)  # fmt: skip

POSTS = Kind(
    key="posts",
    title="企业岗位需求",
    fields={
        "title": ("岗位名称", "岗位", "职位名称"), "occupation_code": ("职业代码", "职业分类代码"),
        "skills": ("技能要求", "技能"), "education": ("学历要求", "学历"),
        "experience_years": ("经验要求年", "工作经验年", "经验要求", "工作年限"),
        "salary_min": ("年薪下限", "薪资下限", "月薪下限"),
        "salary_max": ("年薪上限", "薪资上限", "月薪上限"),
        "openings": ("招聘人数", "需求人数", "人数"), "chain": ("产业链",),
        "node": ("环节", "产业链环节"),
    },
    labels={
        "title": "岗位名称", "occupation_code": "职业代码", "skills": "技能要求",
        "education": "学历要求", "experience_years": "经验要求（年）", "salary_min": "年薪下限",
        "salary_max": "年薪上限", "openings": "招聘人数", "chain": "产业链", "node": "环节",
    },
    required=("title", "openings"),
    money=("salary_min", "salary_max"),
    template=["岗位名称", "职业代码", "技能要求", "学历要求", "经验要求（年）", "年薪下限（万元）",
              "年薪上限（万元）", "招聘人数", "产业链", "环节"],
    example=["电池材料研发工程师（示例行：导入前请删除）", "", "正极材料、电化学", "硕士", "3",
             "20", "35", "2", "锂电新材料", "正极材料"],
)  # fmt: skip
KINDS = {k.key: k for k in (STAFF, POSTS)}


@dataclass
class Flag:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    filename: str
    kind: str
    rows_total: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field → the header it was read from
    units: dict[str, str] = field(default_factory=dict)  # salary field → its unit
    problems: list[RowProblem] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    confirmed: set[int] = field(default_factory=set)
    preview: list[dict[str, str]] = field(default_factory=list)
    committed: bool = False
    created: int = 0

    @property
    def unconfirmed(self) -> list[Flag]:
        return [f for f in self.flags if f.row not in self.confirmed]

    @property
    def ready(self) -> bool:
        return not self.problems and not self.unconfirmed


def _key(header: str) -> str:
    return _STRIP.sub("", header)


def _columns(kind: Kind, headers: list[str], report: ImportReport) -> None:
    wanted = {_key(alias): name for name, aliases in kind.fields.items() for alias in aliases}
    for header in headers:
        name = wanted.get(_key(header))
        if name is None or name in report.columns:
            continue
        report.columns[name] = header
        if name in kind.money:
            unit = _UNIT.search(header)
            if unit is None:
                report.problems.append(
                    RowProblem(
                        1, header, None, "薪酬列的表头须注明单位：（万元）、（元/年）或（元/月）"
                    )
                )
            else:
                report.units[name] = unit.group(1)
    for name in kind.required:
        if name not in report.columns:
            label = kind.labels[name]
            report.problems.append(RowProblem(1, label, None, f"缺少“{label}”列", kind="缺少列"))


def _to_yuan(value: Decimal, unit: str) -> int:
    per_year = value * 12 if unit.endswith("/月") else value
    return int(per_year * 10_000 if unit.startswith("万") else per_year)


def _other(unit: str) -> str:
    return unit[1:] if unit.startswith("万") else "万" + unit


def _flag(value: Decimal, unit: str) -> str | None:
    """Why a salary looks typed in the other unit (off by 10⁴), or None."""
    if unit.startswith("万") and value >= 1000:
        return f"超过 1000 {unit}，疑似按元填写（按元即 {value / 10_000:f} {unit}）"
    if unit in ("元", "元/年") and 0 < value < 1000:
        return f"不足 1000 元/年，疑似按万元填写（按万元即 {value * 10_000:f} {unit}）"
    if unit == "元/月" and 0 < value < 100:
        return f"不足 100 元/月，疑似按万元填写（按万元即 {value * 10_000:f} 元/月）"
    return None


def _day(text: str) -> dt.date | str | None:
    t = text.strip().replace("/", "-").replace(".", "-")
    if not t:
        return None
    try:
        return dt.date.fromisoformat(t[:10])
    except ValueError:
        return "日期格式应为 YYYY-MM-DD"


def _is_header(cells: object) -> bool:
    texts = {_key(str(c)) for c in cells}  # type: ignore[attr-defined]
    return bool(texts & {"姓名", "岗位名称", "岗位", "职位名称"})


_FIELD_OF_ERROR = {"identity_number": "identity_number", "salary": "salary",
                   "salary_min": "salary_min", "salary_max": "salary_max"}  # fmt: skip


def run_import(
    session: Session,
    *,
    kind: Kind,
    actor: Actor,
    keys: Keys,
    today: dt.date,
    data: bytes,
    filename: str,
    dry_run: bool,
    enterprise_id: int | None = None,
    confirm_rows: Collection[int] = (),
    table: Mapping[str, str] | None = None,
) -> ImportReport:
    """Check (dry_run) or write a staff or posts file; every row or none."""
    enterprise_id = enterprise_id or actor.enterprise_id
    if kind is STAFF:
        service.require_people_write(session, actor, enterprise_id)
    else:
        service.require_posts_write(actor, enterprise_id or 0, session)
    report = ImportReport(filename=filename, kind=kind.key, confirmed=set(confirm_rows))
    if enterprise_id is None:
        report.problems.append(RowProblem(None, None, None, "请先选择企业"))
        return report
    sheet = read_table(data, filename, is_header=_is_header)
    _columns(kind, sheet.headers, report)
    if report.problems:
        return report
    rows = sheet.frame.to_dicts()
    report.rows_total = len(rows)
    if len(rows) > MAX_ROWS:
        report.problems.append(RowProblem(None, None, None, f"一次最多导入 {MAX_ROWS} 行"))
        return report
    seen: dict[str, int] = {}
    for index, cells in enumerate(rows):
        line = int(sheet.rows[index])

        def cell(name: str, cells: dict[str, object] = cells) -> str:
            header = report.columns.get(name)
            value = "" if header is None else str(cells.get(header) or "").strip()
            return "" if value in EMPTY else value

        if not any(cell(n) for n in report.columns):
            continue
        problems: list[RowProblem] = []

        def problem(
            name: str, reason: str, value: str | None = None, line: int = line,
            problems: list[RowProblem] = problems,
        ) -> None:  # fmt: skip
            column = report.columns.get(name, kind.labels.get(name, name))
            if name == "identity_number":  # never the cell itself (PIPL): masked when whole
                value = shown_identity(value)
            problems.append(RowProblem(line, column, value, reason))

        salaries: dict[str, int | None] = {}
        for name in kind.money:
            text = cell(name)
            salaries[name] = None
            if not text:
                continue
            unit = report.units[name]
            try:
                value = Decimal(text.replace(",", "").replace("，", ""))
            except InvalidOperation:
                problem(name, f"不是数字（本列单位为{unit}）", text)
                continue
            if not value.is_finite() or value <= 0:
                problem(name, "应大于 0", text)
                continue
            reason = _flag(value, unit)
            if reason is not None:
                report.flags.append(Flag(line, report.columns[name], text, reason))
                unit = _other(unit)  # checked (and, once confirmed, written) in the other unit
            salaries[name] = _to_yuan(value, unit)
        build: Callable[[], dict[str, str]] | None = None
        if kind is STAFF:
            build = _staff_row(
                session, actor=actor, keys=keys, today=today, enterprise_id=enterprise_id,
                cell=cell, problem=problem, salary=salaries.get("salary"), table=table,
                seen=seen, line=line,
            )  # fmt: skip
        else:
            build = _post_row(
                session, actor=actor, enterprise_id=enterprise_id, cell=cell, problem=problem,
                salaries=salaries, table=table,
            )  # fmt: skip
        if not problems and build is not None:
            try:  # every check of create comes before its first write
                preview = build()
                report.created += 1
                if len(report.preview) < 20:
                    report.preview.append({"row": str(line)} | dict(preview))
            except WulianError as error:
                name = str(error.extra.get("field") or "")
                bad = error.extra.get("value")
                column = name if name in kind.labels else _FIELD_OF_ERROR.get(name, "")
                if kind is STAFF and name == "consents":
                    column = "purposes"
                problem(
                    column or kind.required[0], error.message, None if bad is None else str(bad)
                )
        report.problems.extend(problems)
    if dry_run or not report.ready:
        session.rollback()  # the check wrote the rows to run every rule: none of them stay
        return report
    after = {"filename": filename, "rows": report.created, "enterprise_id": enterprise_id}
    if kind is STAFF:
        audit.record(
            session, action="talent.import_staff", object_type="talent_people", after=after
        )
    else:
        audit.record(session, action="talent.import_posts", object_type="talent_posts", after=after)
    report.committed = True
    return report


def _staff_row(
    session: Session, *, actor: Actor, keys: Keys, today: dt.date, enterprise_id: int,
    cell: Callable[[str], str], problem: Callable[..., None], salary: int | None,
    table: Mapping[str, str] | None, seen: dict[str, int], line: int,
) -> Callable[[], dict[str, str]] | None:  # fmt: skip
    number = cell("identity_number").replace(" ", "").upper()
    if _SCIENTIFIC.match(number):
        problem(
            "identity_number",
            "身份证号被 Excel 存成了数字，后几位已经丢失：请把该列设为“文本”后重新填写",
        )
        return None
    if not number:
        problem("identity_number", "缺少身份证号")
        return None
    try:
        normalised, _ = service.check_identity(number, today=today)
    except WulianError as error:
        problem("identity_number", error.message, number)  # shown masked by problem()
        return None
    index = keys.index(normalised)
    if index in seen:
        problem("identity_number", f"与第 {seen[index]} 行是同一个身份证号", number)
        return None
    seen[index] = line
    days: dict[str, dt.date | None] = {}
    for name in ("birth_date", "consent_on", "retain_until"):
        parsed = _day(cell(name))
        if isinstance(parsed, str):
            problem(name, parsed, cell(name))
            return None
        days[name] = parsed
    if days["consent_on"] is None:
        problem("consent_on", "缺少同意日期：没有本人同意不能登记个人信息")
        return None
    purposes: list[str] = []
    for word in re.split(r"[、,，;；\s]+", cell("purposes") or service.PURPOSES["employment"]):
        if not word:
            continue
        key = PURPOSE_WORDS.get(word) or (word if word in service.PURPOSES else None)
        if key is None:
            problem("purposes", f"同意用途应为：{'、'.join(service.PURPOSES.values())}", word)
            return None
        purposes.append(key)
    counts: dict[str, int | None] = {}
    for name, most in (("experience_years", service.MAX_EXPERIENCE_YEARS),
                       ("achievements", service.MAX_ACHIEVEMENTS)):  # fmt: skip
        text = cell(name).replace("年", "").replace("项", "").strip()
        counts[name] = None
        if not text:
            continue
        try:
            whole = Decimal(text)
        except InvalidOperation:
            problem(name, "应为整数", cell(name))
            return None
        if not whole.is_finite() or whole != whole.to_integral_value():
            problem(name, "应为整数", cell(name))
            return None
        if not 0 <= whole <= most:
            problem(name, f"应为 0–{most}", cell(name))
            return None
        counts[name] = int(whole)
    consent_on = days["consent_on"]
    data = service.NewPerson(
        name=cell("name"), identity_number=normalised, enterprise_id=enterprise_id,
        birth_date=days["birth_date"], education=cell("education"), major=cell("major"),
        occupation_code=cell("occupation_code"), skills=[cell("skills")], salary_yuan=salary,
        chain=cell("chain"), node=cell("node"),
        consents=dict.fromkeys(purposes, consent_on), retain_until=days["retain_until"],
        experience_years=counts["experience_years"], achievements=counts["achievements"],
        region_code=cell("region_code"), title_level=cell("title_level"),
        position_level=cell("position_level"), honour_level=cell("honour_level"),
    )  # fmt: skip
    chain_text, node_text = cell("chain"), cell("node")

    def build() -> dict[str, str]:
        chain, node = service.check_chain(session, actor, chain_text, node_text)
        person = service.create_person(
            session, actor=actor, keys=keys, today=today,
            data=dataclasses.replace(data, chain=chain or "", node=node or ""),
            table=table,
        )  # fmt: skip
        return {"name": person.name, "identity": mask(normalised),
                "education": service.EDUCATION.get(person.education or "", "未知")}  # fmt: skip

    return build


def _post_row(
    session: Session, *, actor: Actor, enterprise_id: int, cell: Callable[[str], str],
    problem: Callable[..., None], salaries: dict[str, int | None],
    table: Mapping[str, str] | None,
) -> Callable[[], dict[str, str]] | None:  # fmt: skip
    numbers: dict[str, int | None] = {}
    for name in ("openings", "experience_years"):
        text = cell(name).replace("年", "").replace("人", "").strip()
        if not text:
            numbers[name] = None
            continue
        try:
            numbers[name] = int(Decimal(text))
        except (InvalidOperation, ValueError):
            problem(name, "应为整数", cell(name))
            return None
    if numbers["openings"] is None:
        problem("openings", "缺少招聘人数")
        return None
    data = service.NewPost(
        title=cell("title"), openings=numbers["openings"], enterprise_id=enterprise_id,
        occupation_code=cell("occupation_code"), skills=[cell("skills")],
        education=cell("education"), experience_years=numbers["experience_years"],
        salary_min_yuan=salaries.get("salary_min"), salary_max_yuan=salaries.get("salary_max"),
        chain=cell("chain"), node=cell("node"),
    )  # fmt: skip

    def build() -> dict[str, str]:
        post = service.create_post(session, actor=actor, data=data, table=table)
        salary = "–".join(service.wan(v) for v in (post.salary_min_yuan, post.salary_max_yuan) if v)
        return {"title": post.title, "openings": str(post.openings),
                "salary": f"{salary}万元/年" if salary else "面议"}  # fmt: skip

    return build


def template_xlsx(kind: Kind) -> bytes:
    """A file to fill in: the columns the import reads, units in the headers, one example."""
    book = xlsx.ListWorkbook()
    book.table(kind.title, headers=kind.template, rows=[kind.example],
               widths=[max(10, len(h) * 2 + 4) for h in kind.template])  # fmt: skip
    return book.close()
