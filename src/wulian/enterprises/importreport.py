"""The check report of an import: each problem with its row, column, value and reason in Chinese,
the warnings an officer confirms, the columns as recognised, and the report as an xlsx workbook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import xlsx
from wulian.core.errors import RowProblem
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import Table
from wulian.reference.aliases import Resolver
from wulian.reference.models import Metric

MAX_PROBLEMS = 100_000  # a report lists at most this many problems (the counts stay exact)

MAX_FLAGS = 100_000  # and at most this many warnings

PREVIEW_ROWS = 10

# Problem kinds, in the order a report lists their counts.
BAD_CODE = "代码无效"

UNKNOWN_FIRM = "未登记企业"

UNKNOWN_HEADER = "未知表头"

NOT_NUMBER = "不是数字"

OUT_OF_RANGE = "超出范围"

IMPOSSIBLE_KIND = "数据矛盾"

CONFLICT = "重复且不一致"

BAD_PERIOD = "期间有误"

BAD_UNIT = "单位有误"

MISSING = "缺少必填项"

BAD_VALUE = "取值有误"

# Warning kinds: written only when the officer confirms the row.
SHARP_CHANGE = "大幅变动"

OTHER_NAME = "名称不符"


@dataclass(frozen=True)
class Flag:
    """A value that may be right but must be confirmed: a sharp change or another firm's name."""

    row: int
    kind: str
    firm: str  # the registered name (else the name in the file)
    code: str
    column: str
    reason: str
    metric: str = ""  # the metric's Chinese name (sharp changes)
    unit: str = ""
    old: float | None = None
    new: float | None = None
    old_source: str = ""  # where the value in use came from, and whether it is verified

    @property
    def change(self) -> str:
        """The change as a Chinese percentage (or 由 0 起) for the report."""
        if self.old is None or self.new is None:
            return ""
        if self.old == 0:
            return "原值为 0"
        return f"{(self.new - self.old) / abs(self.old) * 100:+.1f}%"


@dataclass(frozen=True)
class Column:
    header: str
    target: str  # what the platform took it for, in Chinese
    unit: str | None
    note: str = ""


@dataclass
class ImportReport:
    """What an import found and did."""

    filename: str
    kind: str  # "facts" or "enterprises"
    layout: str = ""  # "wide" or "long" (facts)
    sheet: str | None = None
    encoding: str | None = None
    header_row: int = 1
    columns: list[Column] = field(default_factory=list)
    rows_total: int = 0
    rows_rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    kind_counts: Counter[str] = field(default_factory=Counter)  # exact, however many are listed
    bad_rows: set[int] = field(default_factory=set)  # every row with a problem
    flags: list[Flag] = field(default_factory=list)
    flag_count: int = 0
    flag_counts: Counter[str] = field(default_factory=Counter)
    flagged_rows: set[int] = field(default_factory=set)
    confirmed_rows: set[int] = field(default_factory=set)  # flagged rows the officer confirmed
    row_names: dict[int, str] = field(default_factory=dict)  # firm of a listed row
    preview: list[dict[str, str]] = field(default_factory=list)
    mode: str = "all"  # all | partial | dry-run
    committed: bool = False
    added: int = 0
    superseded: int = 0
    beside: int = 0  # written beside a verified or more trusted value, which stays in use
    unchanged: int = 0
    missing_values: int = 0
    created: int = 0
    updated: int = 0

    def add(self, problems: Iterable[RowProblem]) -> None:
        for problem in problems:
            self.problem_count += 1
            self.kind_counts[problem.kind or BAD_VALUE] += 1
            if problem.row is not None and problem.row != self.header_row:
                self.bad_rows.add(problem.row)
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(problem)
        self.rows_rejected = len(self.bad_rows)

    def flag(self, flags: Iterable[Flag]) -> None:
        for item in flags:
            self.flag_count += 1
            self.flag_counts[item.kind] += 1
            self.flagged_rows.add(item.row)
            if len(self.flags) < MAX_FLAGS:
                self.flags.append(item)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def capped(self) -> bool:
        """Whether the problem list stops short of the count (the counts are exact)."""
        return len(self.problems) < self.problem_count

    @property
    def flags_capped(self) -> bool:
        return len(self.flags) < self.flag_count

    @property
    def unconfirmed_rows(self) -> set[int]:
        """Flagged rows without problems that the officer has not confirmed."""
        return self.flagged_rows - self.confirmed_rows - self.bad_rows

    def counts_by_kind(self) -> list[tuple[str, int]]:
        """Problems by kind, exact (they add up to `problem_count`)."""
        return self.kind_counts.most_common()

    def flags_by_kind(self) -> list[tuple[str, int]]:
        return self.flag_counts.most_common()

    def summary(self) -> str:
        """One Chinese sentence for the CLI, the page and the audit trail."""
        head = f"{self.filename}：{self.rows_total} 行"
        if self.problem_count:
            head += f"，发现 {self.problem_count} 处问题（涉及 {self.rows_rejected} 行）"
        if self.flag_count:
            rows = len(self.flagged_rows)
            waiting = len(self.unconfirmed_rows)
            head += f"，{self.flag_count} 处警告（涉及 {rows} 行，其中 {waiting} 行待确认）"
        if not self.committed:
            if self.mode == "dry-run":
                reason = "仅检查，尚未写入"
            elif self.problem_count and self.mode != "partial":
                reason = "有问题，未写入任何数据"
            else:
                reason = "有警告的行尚未确认，未写入任何数据"
            return f"{head}；{reason}"
        if self.kind == "facts":
            done = f"新增 {self.added} 条，更新 {self.superseded} 条，未变 {self.unchanged} 条"
            if self.beside:
                done += f"，{self.beside} 条存于已核实或更可信的值旁（评价仍用原值）"
            if self.created:
                done += f"，新登记企业 {self.created} 家"
        else:
            done = f"新登记 {self.created} 家，更新 {self.updated} 家，未变 {self.unchanged} 家"
        skipped = []
        if self.problem_count:
            skipped.append("有问题的行已跳过")
        if self.unconfirmed_rows:
            skipped.append(f"未确认警告的 {len(self.unconfirmed_rows)} 行已跳过")
        tail = "；" + "，".join(skipped) if skipped else ""
        return f"{head}；已写入：{done}{tail}"

    def capped_note(self) -> str:
        """Says so when the lists hold fewer entries than the counts."""
        notes = []
        if self.capped:
            notes.append(f"问题清单只列出前 {len(self.problems)} 处（共 {self.problem_count} 处）")
        if self.flags_capped:
            notes.append(f"警告清单只列出前 {len(self.flags)} 处（共 {self.flag_count} 处）")
        return "；".join(notes)


def start_report(
    table: Table, filename: str, kind: str, *, partial: bool, dry_run: bool
) -> ImportReport:
    """The report of an import of table, before any checks."""
    return ImportReport(
        filename=filename,
        kind=kind,
        sheet=table.sheet,
        encoding=table.encoding,
        header_row=table.header_row,
        rows_total=table.frame.height,
        mode="dry-run" if dry_run else "partial" if partial else "all",
        preview=table.frame.head(PREVIEW_ROWS).to_dicts(),
    )


def unknown_header(resolver: Resolver, table: Table, header: str) -> RowProblem:
    """The problem of a header the platform does not know, with the closest known name."""
    reason = "不认识这个表头；管理员可在“系统管理 → 表头别名”中添加"
    hint = resolver.suggest(header)
    if hint:
        reason += f"（是否指“{hint}”？）"
    return RowProblem(table.header_row, header, None, reason, UNKNOWN_HEADER)


def shown_number(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


FIELD_LABELS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "period": "期间",
    "metric": "指标名称",
    "value": "数值",
    "unit": "单位",
    "former_names": "曾用名",
    "legal_rep": "法定代表人",
    "founded_on": "成立日期",
    "registered_capital": "注册资本（万元）",
    "address": "地址",
    "region_code": "区县代码",
    "industry_code": "行业代码（GB/T 4754 小类）",
    "chain": "所属产业链",
    "staff_size": "从业人数",
    "land_area": "用地面积（亩）",
    "main_products": "主营产品",
    "business_scope": "经营范围",
    "in_zone": "是否园区企业",
    "tag_guishang": "规上企业",
    "tag_gaoxin": "高新技术企业",
    "gaoxin_number": "高企证书编号",
    "gaoxin_from": "高企发证日期",
    "gaoxin_to": "高企有效期至",
    "tag_kexing": "科技型中小企业",
    "kexing_number": "科小入库编号",
    "kexing_year": "科小入库年度",
    "tag_zhuanjing": "专精特新",
    "tag_xiaojuren": "专精特新小巨人",
    "tag_danxiang": "单项冠军",
    "tag_lianzhu": "链主企业",
    "tag_listed": "上市企业",
    "listed_exchange": "上市交易所",
    "listed_code": "股票代码",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def report_xlsx(report: ImportReport) -> bytes:
    """The report as an xlsx workbook: problems (row, firm, column, value, kind, reason), the
    warnings with old and new values, and the summary with exact counts and the mapping."""
    book = xlsx.ListWorkbook()
    book.table(
        "问题清单",
        headers=["行号", "企业名称", "列", "值", "问题类型", "原因"],
        rows=(
            [
                problem.row,
                report.row_names.get(problem.row, "") if problem.row is not None else "",
                problem.column or "",
                problem.value or "",
                problem.kind or BAD_VALUE,
                problem.reason,
            ]
            for problem in report.problems
        ),
        widths=[8, 30, 22, 22, 22, 60],
    )
    book.table(
        "警告清单",
        headers=["行号", "企业名称", "统一社会信用代码", "类型", "指标", "现行值", "现行值来源",
                 "新值", "单位", "变化", "已确认", "说明"],
        rows=(
            [
                item.row, item.firm, item.code, item.kind, item.metric or item.column, item.old,
                item.old_source, item.new, item.unit, item.change,
                "是" if item.row in report.confirmed_rows else "否", item.reason,
            ]
            for item in report.flags
        ),
        widths=[8, 28, 28, 14, 14, 14, 14, 14, 14, 14, 14, 70],
    )  # fmt: skip
    lines: Sequence[tuple[Any, ...]] = [
        ("文件", report.filename),
        ("结果", report.summary()),
        ("表头所在行", report.header_row),
        ("数据行数", report.rows_total),
        ("问题数", report.problem_count),
        ("有问题的行数", report.rows_rejected),
        *[(f"问题：{kind}", count) for kind, count in report.counts_by_kind()],
        ("警告数", report.flag_count),
        *[(f"警告：{kind}", count) for kind, count in report.flags_by_kind()],
        *([("清单说明", report.capped_note())] if report.capped_note() else []),
        (),
        tuple(xlsx.Header(h) for h in ("表头", "识别为", "单位", "说明")),
        *[(c.header, c.target, c.unit or "", c.note) for c in report.columns],
    ]
    book.table("导入概况", headers=["项目", "内容"], rows=lines, widths=[28, 36, 36, 36])
    return book.close()


# The demo zone writes a sample file of this name into the data folder; the import page offers it.
SAMPLE_NAME = "示例导入-年度税务数据.xlsx"


def template_xlsx(session: Session, *, actor: Actor) -> bytes:
    """An empty wide-table workbook to fill in: the firm's credit code and name, then one column
    per metric that can be reported (name and unit, as the import reads them), and a sheet that
    explains each metric (period, type, range, definition)."""
    actor.require(Permission.FACTS_WRITE)
    metrics = session.scalars(
        sa.select(Metric).where(Metric.kind == "input").order_by(Metric.id)
    ).all()
    book = xlsx.ListWorkbook()
    book.table(
        "企业数据",
        headers=["统一社会信用代码", "企业名称", *(f"{m.name}（{m.unit}）" for m in metrics)],
        rows=[],
        widths=[22, 30, *(max(12, len(m.name) + len(m.unit) + 4) for m in metrics)],
        frozen_columns=2,
    )
    kinds = {"number": "数值", "integer": "整数", "ratio": "比例（可写 5% 或 0.05）"}
    book.table(
        "指标说明",
        headers=["表头", "期间", "类型", "下限", "上限", "定义"],
        rows=[
            [f"{m.name}（{m.unit}）", "年" if m.period == "year" else "月",
             kinds.get(m.value_type, m.value_type), m.min_value, m.max_value,
             m.definition or ""]
            for m in metrics
        ],
        widths=[30, 6, 22, 10, 10, 60],
    )  # fmt: skip
    return book.close()
