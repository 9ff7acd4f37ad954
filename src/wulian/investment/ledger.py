"""The xlsx import of an existing project ledger (招商项目台账), all or nothing.

Each row is checked by the same rules as a lead typed into the form (`service.create`; a check
writes the rows and rolls the unit of work back, so an import is its request's whole unit of
work), and problems are reported with their row, column and value. The
unit of each amount column comes from its header (亿元 or 万元). An amount that looks off by 10⁴
(≥ 1 万亿 in a 亿元 column, under 10 万元 in a 万元 column) is flagged before anything is written;
the row is checked in the other unit, and written so once the officer confirms it. Nothing is
written while any row has a problem or an unconfirmed flag.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains
from wulian.core import audit, xlsx
from wulian.core.auth.models import Department, User
from wulian.core.errors import RowProblem, WulianError
from wulian.core.permissions import Actor, Permission, Role
from wulian.core.tabular import EMPTY, read_table
from wulian.investment import service
from wulian.investment.models import InvestmentProject

# field → the header names a ledger uses for it (compared without spaces, brackets and units)
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称", "项目"),
    "firm_name": ("企业名称", "投资方", "投资主体", "签约企业", "企业"),
    "firm_uscc": ("统一社会信用代码", "信用代码"),
    "amount": ("总投资", "计划总投资", "协议投资额", "投资额", "项目总投资"),
    "fixed_asset": ("固定资产投资", "其中固定资产投资", "固投"),
    "source": ("项目来源", "来源", "招商方式"),
    "fund_name": ("基金", "基金名称"),
    "chain": ("产业链",),
    "node": ("环节", "产业链环节"),
    "industry_code": ("行业代码", "国民经济行业代码"),
    "manufacturing": ("制造业", "是否制造业"),
    "high_tech": ("高新技术", "是否高新技术"),
    "reinvestment": ("新引进/再投资", "再投资", "是否再投资", "项目类型"),
    "team": ("负责小组", "责任单位", "招商小组"),
    "officer": ("负责人", "责任人"),
    "stage": ("阶段", "项目阶段", "进展阶段"),
    "lead_on": ("线索日期", "首次接洽日期", "登记日期"),
    "signed_on": ("签约日期",),
    "note": ("备注", "进展情况"),
}
LABELS = {
    "name": "项目名称", "firm_name": "企业名称", "firm_uscc": "统一社会信用代码",
    "amount": "总投资", "fixed_asset": "固定资产投资", "source": "项目来源", "fund_name": "基金",
    "chain": "产业链", "node": "环节", "industry_code": "行业代码", "manufacturing": "制造业",
    "high_tech": "高新技术", "reinvestment": "新引进/再投资", "team": "负责小组",
    "officer": "负责人", "stage": "阶段", "lead_on": "线索日期", "signed_on": "签约日期",
    "note": "备注",
}  # fmt: skip
REQUIRED = ("name", "amount")
MONEY = ("amount", "fixed_asset")
SOURCE_WORDS = {
    "以商招商": "business", "基金招商": "fund", "以投促引": "fund", "基金招商/以投促引": "fund",
    "驻外招商": "overseas", "展会": "expo", "展会招商": "expo", "平台推荐": "platform",
    "其他": "other",
}  # fmt: skip
YES = {"是", "y", "yes", "1", "√", "true"}
NO = {"否", "n", "no", "0", "", "false"}
REINVEST = {"再投资", "二期", "再投资/二期", "增资扩产"} | YES
NEW = {"新引进", "新项目", "新设"} | NO
_UNIT = re.compile(r"[（(]\s*(亿元|万元|亿|万)\s*[)）]")
_STRIP = re.compile(r"[\s*＊（()）]|亿元|万元")
WAN_FLAG_BELOW = Decimal(10)  # under 10 万元 in a 万元 column: probably typed in 亿元
MAX_ROWS = 5_000


@dataclass
class Flag:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class LedgerReport:
    filename: str
    rows_total: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field → the header it was read from
    units: dict[str, str] = field(default_factory=dict)  # money field → 亿元 | 万元
    problems: list[RowProblem] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    confirmed: set[int] = field(default_factory=set)
    preview: list[dict[str, str]] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    total_wan: int = 0

    @property
    def unconfirmed(self) -> list[Flag]:
        return [f for f in self.flags if f.row not in self.confirmed]

    @property
    def ready(self) -> bool:
        return not self.problems and not self.unconfirmed


def _key(header: str) -> str:
    return _STRIP.sub("", header).replace("（", "").replace("）", "")


def _columns(headers: list[str], report: LedgerReport) -> None:
    wanted = {_key(alias): name for name, aliases in FIELDS.items() for alias in aliases}
    for header in headers:
        name = wanted.get(_key(header))
        if name is None or name in report.columns:
            continue
        report.columns[name] = header
        if name in MONEY:
            unit = _UNIT.search(header)
            if unit is None:
                report.problems.append(
                    RowProblem(1, header, None, "金额列的表头须注明单位：（亿元）或（万元）")
                )
            else:
                report.units[name] = "亿元" if unit.group(1).startswith("亿") else "万元"
    for name in REQUIRED:
        if name not in report.columns:
            report.problems.append(
                RowProblem(1, LABELS[name], None, f"缺少“{LABELS[name]}”列", kind="缺少列")
            )
    if "firm_name" not in report.columns and "firm_uscc" not in report.columns:
        report.problems.append(RowProblem(1, "企业名称", None, "缺少“企业名称”列"))


def _is_header(cells: object) -> bool:
    texts = [_key(str(c)) for c in cells]  # type: ignore[attr-defined]
    return any(t in ("项目名称", "项目") for t in texts)


def _flag(value: Decimal, unit: str) -> str | None:
    if unit == "亿元" and value >= service.UNIT_SUSPECT_YI:
        return f"超过 1 万亿元，疑似按万元填写（按万元即 {value / 10_000:f} 亿元）"
    if unit == "万元" and 0 < value < WAN_FLAG_BELOW:
        return f"不足 {WAN_FLAG_BELOW} 万元，疑似按亿元填写（按亿元即 {value * 10_000:f} 万元）"
    return None


def _bool(text: str, yes: set[str], no: set[str]) -> bool | None:
    t = text.strip().lower()
    return True if t in yes else False if t in no else None


def _day(text: str) -> dt.date | str | None:
    t = text.strip().replace("/", "-").replace(".", "-")
    if not t:
        return None
    try:
        return dt.date.fromisoformat(t[:10])
    except ValueError:
        return "日期格式应为 YYYY-MM-DD"


@dataclass
class _Lookups:
    stages: dict[str, str]
    teams: dict[str, int]
    officers: dict[str, int]
    chains: dict[str, str]
    nodes: dict[tuple[str, str], str]


def _lookups(session: Session, actor: Actor) -> _Lookups:
    stage_rows = service.stages(session)
    stages = {s.name: s.key for s in stage_rows} | {s.key: s.key for s in stage_rows}
    stages |= {"落地": "land", "供地": "land"} if "land" in stages.values() else {}
    teams = {d.name: d.id for d in session.scalars(sa.select(Department))}
    officers: dict[str, int] = {}
    for user in session.scalars(sa.select(User).where(User.role != Role.ENTERPRISE)):
        officers.setdefault(user.username, user.id)
        if user.display_name:
            officers.setdefault(user.display_name, user.id)
    atlas = chains.chains(session, actor=actor)
    names = {c.spec.name: c.spec.id for c in atlas} | {c.spec.id: c.spec.id for c in atlas}
    nodes = {(c.spec.id, n.name): n.key for c in atlas for n in c.spec.nodes}
    nodes |= {(c.spec.id, n.key): n.key for c in atlas for n in c.spec.nodes}
    return _Lookups(stages, teams, officers, names, nodes)


def import_ledger(
    session: Session,
    *,
    actor: Actor,
    today: dt.date,
    data: bytes,
    filename: str,
    dry_run: bool,
    confirm_rows: Collection[int] = (),
) -> LedgerReport:
    """Check (dry_run) or write a ledger file; every row or none."""
    actor.require(Permission.INVESTMENT_WRITE)
    service.require_read(actor)
    report = LedgerReport(filename=filename, confirmed=set(confirm_rows))
    table = read_table(data, filename, is_header=_is_header)
    _columns(table.headers, report)
    if report.problems:
        return report
    rows = table.frame.to_dicts()
    report.rows_total = len(rows)
    if len(rows) > MAX_ROWS:
        report.problems.append(RowProblem(None, None, None, f"一次最多导入 {MAX_ROWS} 行"))
        return report
    look = _lookups(session, actor)
    seen: dict[tuple[str, str], int] = {}
    query = sa.select(InvestmentProject.name, InvestmentProject.firm_name)
    existing = {(n, f) for n, f in session.execute(query)}
    for index, cells in enumerate(rows):
        line = int(table.rows[index])

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
            column = report.columns.get(name, LABELS.get(name, name))
            problems.append(RowProblem(line, column, value, reason))

        amounts: dict[str, Decimal | None] = {}
        for name in MONEY:
            text = cell(name)
            amounts[name] = None
            if not text:
                continue
            unit = report.units[name]
            try:
                value = Decimal(text.replace(",", "").replace("，", ""))
            except InvalidOperation:
                problem(name, f"不是数字（本列单位为{unit}）", text)
                continue
            reason = _flag(value, unit)
            if reason is not None:
                report.flags.append(Flag(line, report.columns[name], text, reason))
            if reason is not None:  # checked (and, once confirmed, written) in the other unit
                unit = "万元" if unit == "亿元" else "亿元"
            amounts[name] = value / 10_000 if unit == "万元" else value
        if not cell("amount"):
            problem("amount", "缺少总投资")
        source_text = cell("source") or "其他"
        source = SOURCE_WORDS.get(
            source_text, source_text if source_text in service.SOURCES else ""
        )
        if not source:
            problem("source", f"项目来源应为：{'、'.join(service.SOURCES.values())}", source_text)
        chain_text, node_text = cell("chain"), cell("node")
        chain = look.chains.get(chain_text, chain_text) if chain_text else ""
        node = look.nodes.get((chain, node_text), node_text) if node_text else ""
        stage_text = cell("stage") or "线索"
        stage = look.stages.get(stage_text)
        if stage is None:
            problem("stage", "阶段表里没有这个阶段", stage_text)
        team_text, officer_text = cell("team"), cell("officer")
        team = look.teams.get(team_text) if team_text else actor.department_id
        if team_text and team is None:
            problem("team", "没有这个部门（招商小组）", team_text)
        officer = look.officers.get(officer_text) if officer_text else None
        if officer_text and officer is None:
            problem("officer", "没有这位工作人员", officer_text)
        flags: dict[str, bool] = {}
        for name, yes, no in (
            ("manufacturing", YES, NO), ("high_tech", YES, NO), ("reinvestment", REINVEST, NEW)
        ):  # fmt: skip
            answer = _bool(cell(name), yes, no)
            if answer is None:
                problem(
                    name,
                    "应为“是”或“否”" if name != "reinvestment" else "应为新引进或再投资",
                    cell(name),
                )
            flags[name] = bool(answer)
        days: dict[str, dt.date | None] = {}
        for name in ("lead_on", "signed_on"):
            parsed = _day(cell(name))
            if isinstance(parsed, str):
                problem(name, parsed, cell(name))
                parsed = None
            days[name] = parsed
        pair = (cell("name"), cell("firm_name"))
        if pair in existing:
            problem("name", "项目库中已有同名项目（同一企业）", cell("name"))
        elif pair in seen:
            problem("name", f"与第 {seen[pair]} 行重复", cell("name"))
        seen.setdefault(pair, line)
        if not problems:
            lead_on = days["lead_on"] or days["signed_on"] or today
            item = service.NewProject(
                name=cell("name"), amount_yi=amounts["amount"], source=source,
                firm_name=cell("firm_name"), firm_uscc=cell("firm_uscc"),
                reinvestment=flags["reinvestment"], fixed_asset_yi=amounts["fixed_asset"],
                industry_code=cell("industry_code"), manufacturing=flags["manufacturing"],
                high_tech=flags["high_tech"], chain=chain, node=node,
                fund_name=cell("fund_name"), team_id=team, officer_id=officer,
                stage=stage or "lead", lead_on=lead_on, signed_on=days["signed_on"],
                note=cell("note")[:2000],
            )  # fmt: skip
            try:  # every check of create comes before its first write
                project = service.create(session, actor=actor, today=today, data=item)
                report.created += 1
                report.total_wan += project.amount_wan
                if len(report.preview) < 20:
                    report.preview.append(
                        {"row": str(line), "name": project.name, "firm": project.firm_name,
                         "amount": service.yi(project.amount_wan), "stage": stage_text}
                    )  # fmt: skip
            except WulianError as error:
                name = str(error.extra.get("field") or "")
                mapped = {"amount_yi": "amount", "fixed_asset_yi": "fixed_asset", "team_id": "team",
                          "officer_id": "officer", "firm": "firm_name"}.get(name, name)  # fmt: skip
                bad = error.extra.get("value")
                problem(mapped or "name", error.message, None if bad is None else str(bad))
        report.problems.extend(problems)
    if dry_run or not report.ready:
        session.rollback()  # the check wrote the rows to run every rule: none of them stay
        return report
    audit.record(
        session, action="investment.import", object_type="investment_projects",
        after={"filename": filename, "rows": report.created, "amount_wan": report.total_wan},
    )  # fmt: skip
    report.committed = True
    return report


TEMPLATE_HEADERS = [
    "项目名称", "企业名称", "统一社会信用代码", "新引进/再投资", "总投资（亿元）",
    "其中固定资产投资（亿元）", "项目来源", "基金", "产业链", "环节", "行业代码", "制造业",
    "高新技术", "负责小组", "负责人", "阶段", "线索日期", "签约日期", "备注",
]  # fmt: skip
TEMPLATE_EXAMPLE = [
    "年产 5 万吨磷酸铁锂正极材料项目", "某新能源材料有限公司", "", "新引进", "35.5", "30",
    "以商招商", "", "锂电新材料", "正极材料", "3985", "是", "是", "投资促进局（招商）", "",
    "洽谈", "2026-03-02", "", "示例行：导入前请删除",
]  # fmt: skip


def template_xlsx() -> bytes:
    """A ledger to fill in: the columns the import reads, units in the headers, one example."""
    book = xlsx.ListWorkbook()
    book.table(
        "招商项目台账",
        headers=TEMPLATE_HEADERS,
        rows=[TEMPLATE_EXAMPLE],
        widths=[30, 26, 22, 12, 14, 16, 14, 14, 14, 16, 10, 8, 8, 18, 10, 10, 12, 12, 24],
    )
    return book.close()
