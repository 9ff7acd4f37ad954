"""The xlsx import of a fund ledger (基金投资台账): one investment per row, all or nothing.

Each row is checked by the same rules as an investment typed into the form (`service.invest`,
including the fund's remaining commitment, counted row after row); problems are reported with
their row, column and value. The unit of the amount columns comes from their header (亿元 or 万元);
an amount off by 10⁴ for its unit is a problem of its row. Nothing is written while any row has a
problem.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from wulian.capital import service
from wulian.chains import service as chains
from wulian.core import audit, xlsx
from wulian.core.errors import RowProblem, WulianError
from wulian.core.permissions import Actor
from wulian.core.tabular import EMPTY, read_table

FIELDS: dict[str, tuple[str, ...]] = {
    "fund": ("基金名称", "基金"),
    "firm": ("投资企业", "投资对象", "被投企业", "企业名称", "统一社会信用代码"),
    "project": ("招商项目编号", "项目编号"),
    "amount": ("投资金额", "出资金额", "投资额"),
    "round_total": ("本轮融资总额", "融资总额", "项目总投资"),
    "invested_on": ("投资日期", "出资日期"),
    "chain": ("产业链",),
    "node": ("环节", "产业链环节"),
    "note": ("备注",),
}
LABELS = {
    "fund": "基金名称", "firm": "投资企业", "project": "招商项目编号", "amount": "投资金额",
    "round_total": "本轮融资总额", "invested_on": "投资日期", "chain": "产业链", "node": "环节",
    "note": "备注",
}  # fmt: skip
REQUIRED = ("fund", "amount")
MONEY = ("amount", "round_total")
_UNIT = re.compile(r"[（(]\s*(亿元|万元|亿|万)\s*[)）]")
_STRIP = re.compile(r"[\s*＊（()）]|亿元|万元")
MAX_ROWS = 5_000


@dataclass
class LedgerReport:
    filename: str
    rows_total: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    preview: list[dict[str, str]] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    total_yuan: int = 0


def _key(header: str) -> str:
    return _STRIP.sub("", header)


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
    if "firm" not in report.columns and "project" not in report.columns:
        report.problems.append(RowProblem(1, "投资企业", None, "缺少“投资企业”或“招商项目编号”列"))
    if len(set(report.units.values())) > 1:
        report.problems.append(
            RowProblem(1, report.columns["round_total"], None, "本轮融资总额与投资金额的单位应相同")
        )


def _is_header(cells: object) -> bool:
    return any(_key(str(c)) in ("基金名称", "基金") for c in cells)  # type: ignore[attr-defined]


def _day(text: str) -> dt.date | str | None:
    t = text.strip().replace("/", "-").replace(".", "-")
    if not t:
        return None
    try:
        return dt.date.fromisoformat(t[:10])
    except ValueError:
        return "日期格式应为 YYYY-MM-DD"


def import_ledger(
    session: Session, *, actor: Actor, today: dt.date, data: bytes, filename: str, dry_run: bool
) -> LedgerReport:
    """Check (dry_run) or write a fund ledger; every row or none."""
    service.require_write(session, actor)
    report = LedgerReport(filename=filename)
    table = read_table(data, filename, is_header=_is_header)
    _columns(table.headers, report)
    if report.problems:
        return report
    rows = table.frame.to_dicts()
    report.rows_total = len(rows)
    if len(rows) > MAX_ROWS:
        report.problems.append(RowProblem(None, None, None, f"一次最多导入 {MAX_ROWS} 行"))
        return report
    unit = report.units.get("amount", "亿元")
    atlas = chains.chains(session, actor=actor)
    chain_ids = {c.spec.name: c.spec.id for c in atlas}
    node_keys = {(c.spec.id, n.name): n.key for c in atlas for n in c.spec.nodes}
    for index, cells in enumerate(rows):
        line = int(table.rows[index])

        def cell(name: str, cells: dict[str, object] = cells) -> str:
            header = report.columns.get(name)
            value = "" if header is None else str(cells.get(header) or "").strip()
            return "" if value in EMPTY else value

        if not any(cell(n) for n in report.columns):
            continue

        def problem(name: str, reason: str, value: str | None, line: int = line) -> None:
            column = report.columns.get(name, LABELS.get(name, name))
            report.problems.append(RowProblem(line, column, value, reason))

        project_text = cell("project")
        if project_text and not project_text.isdigit():
            problem("project", "招商项目编号应为整数", project_text)
            continue
        day = _day(cell("invested_on"))
        if isinstance(day, str):
            problem("invested_on", day, cell("invested_on"))
            continue
        chain = chain_ids.get(cell("chain"), cell("chain"))
        node = node_keys.get((chain, cell("node")), cell("node"))
        item = service.NewInvestment(
            fund=cell("fund"), amount=cell("amount"), unit=unit, firm=cell("firm"),
            project_id=int(project_text) if project_text else None,
            round_total=cell("round_total") or None, invested_on=day, chain=chain, node=node,
            note=cell("note"),
        )  # fmt: skip
        try:  # every check of invest comes before its write
            row = service.invest(session, actor=actor, today=today, data=item)
        except WulianError as error:
            name = str(error.extra.get("field") or "")
            mapped = {"project_id": "project", "round_total": "round_total"}.get(name, name)
            bad = error.extra.get("value")
            if bad is None and mapped in LABELS:
                bad = cell(mapped) or None
            problem(mapped if mapped in LABELS else "fund", error.message, bad)
            continue
        report.created += 1
        report.total_yuan += row.amount_yuan
        if len(report.preview) < 20:
            report.preview.append(
                {"row": str(line), "fund": cell("fund"), "target": row.target_name,
                 "amount": service.show(row.amount_yuan, unit)}
            )  # fmt: skip
    if dry_run or report.problems:
        session.rollback()  # the check wrote the rows to run every rule: none of them stay
        return report
    audit.record(
        session, action="capital.import", object_type="capital_investments",
        after={"filename": filename, "rows": report.created, "amount_yuan": report.total_yuan},
    )  # fmt: skip
    report.committed = True
    return report


TEMPLATE_HEADERS = [
    "基金名称", "投资企业", "招商项目编号", "投资金额（亿元）", "本轮融资总额（亿元）", "投资日期",
    "产业链", "环节", "备注",
]  # fmt: skip
TEMPLATE_EXAMPLE = [
    "衢州市产业投资母基金", "某新材料有限公司", "", "0.5", "2", "2026-03-02", "锂电新材料",
    "正极材料", "示例行：导入前请删除（投资企业与招商项目编号二选一）",
]  # fmt: skip


def template_xlsx() -> bytes:
    """A ledger to fill in: the columns the import reads, units in the headers, one example."""
    book = xlsx.ListWorkbook()
    book.table(
        "基金投资台账",
        headers=TEMPLATE_HEADERS,
        rows=[TEMPLATE_EXAMPLE],
        widths=[30, 30, 14, 16, 18, 12, 14, 16, 40],
    )
    return book.close()
