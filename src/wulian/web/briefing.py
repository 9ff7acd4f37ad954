"""The leaders' weekly briefing (领导简报) as a Word document: the cockpit's figures written as
sentences, tables and the cockpit's charts (drawn by Word itself, core/docxchart.py), for the week
that ends on the given day, and the requests overdue that day. The same figures as the cockpit
(web/cockpit.py), so the two never disagree."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from wulian.chains.health import money
from wulian.core.calendar import CHINA_TIME
from wulian.core.docxchart import add_chart
from wulian.web.cockpit import CAPITAL_HEADERS, GRADES, UNKNOWN, Cockpit, capital_rows

FONT = "宋体"


def _percent(value: float | None) -> str:
    return "未知" if value is None else f"{value * 100:.1f}%"


def _table(document: Any, headers: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)


def _chart(document: Any, figures: Cockpit, key: str) -> None:
    """The cockpit's chart of that key, drawn by Word, with its table (none if it is empty)."""
    chart = figures.charts.get(key)
    if chart is not None:
        add_chart(document, chart)


def briefing_docx(figures: Cockpit, *, zone: str, day: dt.date) -> bytes:
    """The briefing of the week ending on day (a Monday-to-Sunday week, Asia/Shanghai)."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # Chinese text in the Chinese font
    start = day - dt.timedelta(days=day.weekday())
    title = document.add_heading(f"{zone}五链融合工作简报", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    week = f"{day.isocalendar().year} 年第 {day.isocalendar().week} 周"
    subtitle = document.add_paragraph(f"{week}（{start:%Y年%m月%d日}—{day:%Y年%m月%d日}）")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(
        "本简报的数字均取自平台数据库中已发布的结果，与领导驾驶舱一致；无权查看或尚无数据的模块不列入。"
    )
    if figures.chains:
        document.add_heading("一、产业链", level=1)
        _table(
            document,
            ["产业链", "完整度", "强/弱/缺", "园区企业", "营收合计", "营收增长", "研发强度"],
            [
                [s.chain.spec.name, _percent(s.health.completeness),
                 f"{s.health.counts.get('强', 0)}/{s.health.counts.get('弱', 0)}/"
                 f"{s.health.counts.get('缺', 0)}", f"{s.health.totals.firms:,} 家",
                 money(s.health.totals.revenue), _percent(s.health.totals.growth),
                 _percent(s.health.totals.rd_intensity)]
                for s in figures.chains
            ],
        )  # fmt: skip
        _chart(document, figures, "chains-trend")
        _chart(document, figures, "chains-revenue")
    if figures.innovation:
        summary = figures.innovation
        document.add_heading("二、创新积分", level=1)
        bands = "，".join(f"{band} {n:,} 家" for band, n in summary.bands)
        run = summary.run
        document.add_paragraph(
            f"{run.period} 年度“{run.spec.name}”已发布：参评 {run.firms:,} 家，"
            f"有积分 {run.scored:,} 家；{bands}。"
        )
        _chart(document, figures, "innovation-points")
    if figures.landuse:
        landuse_run, counts = figures.landuse
        document.add_heading("三、亩均效益", level=1)
        grades = "，".join(f"{g} 类 {counts.get(g, 0):,} 家" for g in GRADES)
        document.add_paragraph(
            f"{landuse_run.period} 年度评价已发布：{grades}；低效企业 {counts.get('low', 0):,} 家。"
        )
        _chart(document, figures, "landuse")
    if figures.payouts:
        document.add_heading("四、政策兑现", level=1)
        _table(
            document,
            ["年度", "兑现企业", "笔数", "金额（万元）", "免申即享占比"],
            [[p.period, f"{p.firms:,} 家", f"{p.payouts:,}", f"{p.amount:,.2f}",
              _percent(p.free_share)] for p in figures.payouts],
        )  # fmt: skip
        _chart(document, figures, "payouts")
    if figures.desk is not None:
        desk = figures.desk
        document.add_heading("五、企呼我应", level=1)
        document.add_paragraph(
            f"诉求 {desk.total:,} 件，办理中 {desk.open:,} 件，已超期 {desk.overdue:,} 件；"
            f"办结率 {_percent(desk.closure_rate)}，按时办结率 {_percent(desk.on_time_rate)}，"
            f"满意率 {_percent(desk.satisfaction_rate)}。"
        )
        _chart(document, figures, "desk")
        _table(
            document,
            ["部门", "诉求", "办理中", "已超期", "按时办结率"],
            [[g.label, g.total, g.open, g.overdue, _percent(g.on_time)]
             for g in desk.by_department],
        )  # fmt: skip
        if desk.overdue_list:
            document.add_paragraph("已超期的诉求：")
            _table(
                document,
                ["受理编号", "标题", "期限"],
                [[r.tracking_no, r.title,
                  f"{r.due_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}" if r.due_at else ""]
                 for r in desk.overdue_list[:20]],
            )  # fmt: skip
    if figures.capital is not None and figures.capital_registers is not None:
        document.add_heading("六、资金链", level=1)
        kept = figures.capital_registers
        missing = [name for name, held in (("基金投资", kept.investments), ("贷款", kept.loans),
                                           ("上市梯队", kept.listings)) if not held]  # fmt: skip
        document.add_paragraph(
            "各产业链的基金投资（按登记时所属的产业链计）、授信与贷款、上市企业和上市梯队中"
            "尚未上市的企业（上市后备至注册）如下；"
            "授信与贷款余额取自贷款台账（全部登记的贷款），不是银企对接登记的对接成效；"
            "同一企业在多条产业链上时各链都计。"
            + (
                f"{'、'.join(missing)}台账尚无记录，相应数字为“{UNKNOWN}”，不是 0。"
                if missing
                else ""
            )
        )
        rows = [
            [f"{v:,}" if isinstance(v, int | float) and not isinstance(v, bool) else v for v in r]
            for r in capital_rows(figures)
        ]
        if rows:
            _table(document, CAPITAL_HEADERS, rows)
        else:
            document.add_paragraph("还没有产业链文件。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
