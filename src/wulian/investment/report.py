"""The 招商图谱 of a chain as charts (the gaps, the application domains, the technology roadmap),
as a workbook (core/xlsx.py) and as a printable Word document with native charts
(core/docxchart.py): the same figures as the pages, so that they never disagree."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlalchemy.orm import Session

from wulian.core import xlsx
from wulian.core.charts import Chart, Series
from wulian.core.docxchart import add_chart
from wulian.core.permissions import Actor
from wulian.enterprises import read
from wulian.investment import approach, atlas
from wulian.investment.models import ApproachPlan
from wulian.investment.service import labels, require_read

FONT = "宋体"
TARGETS_PER_GAP = 10
MATURITY_COLOURS = {"研究": "#8e44ad", "中试": "#d35400", "产业化": "#12509e", "成熟": "#1e7e34"}


# ---------------------------------------------------------------- charts


def gap_chart(found: atlas.ChainMap) -> Chart:
    gaps = found.gaps
    return Chart(
        key="atlas-gaps", title=f"{found.spec.name}：缺口重要度", category="缺口",
        categories=[f"{g.name}（{g.kind}）" for g in gaps],
        series=[Series("重要度", [g.importance for g in gaps], "分")],
        axes=["重要度（分）"],
    )  # fmt: skip


def domain_chart(found: atlas.ChainMap) -> Chart:
    domains = found.domains
    return Chart(
        key="atlas-domains", title=f"{found.spec.name}：应用领域与园区企业", category="应用领域",
        categories=[d.name for d in domains],
        series=[
            Series("供给本领域的园区链上企业", [d.supplier_count for d in domains], "家"),
            Series("园区本领域企业", [d.inside_count for d in domains], "家"),
        ],
        axes=["企业（家）"],
    )  # fmt: skip


@dataclass(frozen=True)
class Roadmap:
    """The technology roadmap: one bar per technology over its years, coloured by maturity,
    drawn by static/js/investment-atlas.js; the table of the same rows beside it."""

    title: str
    technologies: list[atlas.Technology]
    today: int

    @property
    def empty(self) -> bool:
        return not self.technologies

    def headers(self) -> list[str]:
        return ["环节", "重点技术", "代际", "成熟度", "开始年份", "结束年份", "说明"]

    def rows(self) -> list[list[Any]]:
        return [
            [t.node_name, t.name, t.generation, t.maturity, t.start, t.end, t.note]
            for t in self.technologies
        ]

    def data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "today": self.today,
            "maturities": [[name, colour] for name, colour in MATURITY_COLOURS.items()],
            "rows": [
                {"label": f"{t.node_name} · {t.name}", "node": t.node_name, "name": t.name,
                 "generation": t.generation, "maturity": t.maturity, "start": t.start,
                 "end": t.end}
                for t in self.technologies
            ],
        }  # fmt: skip


def roadmap(found: atlas.ChainMap, today: dt.date) -> Roadmap:
    return Roadmap(f"{found.spec.name}：技术路线图", found.technologies, today.year)


# ---------------------------------------------------------------- the whole map


@dataclass(frozen=True)
class GapReport:
    node: atlas.NodeMap
    targets: list[atlas.Target]
    plans: list[ApproachPlan]


@dataclass(frozen=True)
class Report:
    map: atlas.ChainMap
    gaps: list[GapReport]
    teams: dict[int, str]
    officers: dict[int, str]
    introducers: dict[int, str] = field(default_factory=dict)  # 以商招商's zone firms, by id

    def route(self, p: ApproachPlan) -> str:
        """The plan's route, with the zone firm that introduces (以商招商（经X牵线）)."""
        name = approach.ROUTES.get(p.route, p.route)
        via = self.introducers.get(p.via_enterprise_id) if p.via_enterprise_id else None
        return f"{name}（经{via}牵线）" if via else name


def report(session: Session, *, actor: Actor, chain: str, year: int | None = None) -> Report:
    """Every layer of every gap of the chain."""
    require_read(actor)
    found = atlas.chain_map(session, actor=actor, chain=chain, year=year)
    out = []
    for gap in found.gaps:
        node = atlas.node_map(session, actor=actor, chain=chain, key=gap.key, base=found)
        targets = atlas.rank_targets(
            session, actor=actor, chain=chain, node=gap.key, year=found.state.year,
            top_k=TARGETS_PER_GAP,
        )  # fmt: skip
        out.append(GapReport(node, targets, approach.plans(session, actor=actor, chain=chain,
                                                           node=gap.key)))  # fmt: skip
    names = labels(session, actor=actor)
    vias = {p.via_enterprise_id for g in out for p in g.plans if p.via_enterprise_id}
    return Report(found, out, names.teams, names.officers, read.names(session, vias))


def _plan_row(r: Report, gap: atlas.Gap, p: ApproachPlan) -> list[Any]:
    return [
        gap.name, p.firm_name, r.teams.get(p.team_id, ""),
        r.officers.get(p.officer_id, "") if p.officer_id else "",
        r.route(p), p.fund_name, p.steps, p.next_step, p.next_on,
        approach.STATUSES.get(p.status, p.status), p.project_id,
    ]  # fmt: skip


PLAN_HEADERS = ["缺口", "目标企业", "负责小组", "负责人", "对接方式", "基金", "攻关步骤",
                "下一步", "下次跟进日期", "状态", "项目库编号"]  # fmt: skip


def report_xlsx(r: Report, *, today: dt.date) -> bytes:
    """The 招商图谱 as a workbook: one sheet per layer, and each chart's figures."""
    book = xlsx.ListWorkbook()
    found = r.map
    book.table(
        "招商方向", headers=["缺口", "类型", "评级", "重要度（分）", "下游需求（万元）", "理由"],
        rows=[[g.name, g.kind, g.rating, g.importance, g.demand, "；".join(g.reasons)]
              for g in found.gaps],
        widths=[20, 8, 8, 12, 16, 80],
    )  # fmt: skip
    path_rows = []
    for g in r.gaps:
        n = g.node
        path_rows.append([
            n.need.name, "、".join(f"{c} {name}" for c, name in n.codes),
            "、".join(n.need.products),
            "；".join(f"{d.name}（{d.firms} 家，需本环节供给 {atlas.money(d.need)}）"
                     for d in n.downstream),
            "；".join(f"{u.name}（{u.firms} 家）" for u in n.upstream),
        ])  # fmt: skip
    book.table(
        "行业路径", headers=["缺口", "行业代码（GB/T 4754）", "产品", "下游需求", "上游配套"],
        rows=path_rows, widths=[20, 40, 40, 60, 40],
    )  # fmt: skip
    book.table(
        "技术路线图", headers=roadmap(found, today).headers(), rows=roadmap(found, today).rows(),
        widths=[20, 30, 12, 10, 10, 10, 30],
    )  # fmt: skip
    book.table(
        "应用领域", headers=["应用领域", "供给环节", "供给的园区链上企业（家）",
                           "其营收（万元）", "园区本领域企业（家）", "园区本领域企业"],
        rows=[[d.name, "、".join(d.nodes), d.supplier_count, d.supplier_revenue,
               d.inside_count, "、".join(name for _, name in d.inside)] for d in found.domains],
        widths=[16, 30, 14, 14, 14, 60],
    )  # fmt: skip
    book.table(
        "现状匹配", headers=["缺口", "园区企业（家）", "营收（万元）", "现状"],
        rows=[[g.node.need.name, g.node.firms, g.node.revenue, "".join(g.node.statements)]
              for g in r.gaps],
        widths=[20, 12, 14, 100],
    )  # fmt: skip
    criteria = [label for label, _ in atlas.CRITERIA.values()]
    book.table(
        "目标企业", headers=["缺口", "名次", "企业", "总分", *criteria, "营收（万元）", "地区",
                           "理由"],
        rows=[[g.node.need.name, i, t.name, t.score, *(t.points[k] for k in atlas.CRITERIA),
               t.revenue, t.region, "；".join(t.reasons)]
              for g in r.gaps for i, t in enumerate(g.targets, start=1)],
        widths=[18, 6, 30, 8, *([10] * len(criteria)), 14, 14, 80],
    )  # fmt: skip
    by_key = {g.key: g for g in found.gaps}
    book.table(
        "攻关路径", headers=PLAN_HEADERS,
        rows=[_plan_row(r, by_key[g.node.need.key], p) for g in r.gaps for p in g.plans],
        widths=[18, 30, 18, 10, 14, 16, 50, 30, 14, 10, 12],
    )  # fmt: skip
    for chart in (gap_chart(found), domain_chart(found)):
        if not chart.empty:
            chart.sheet_into(book)
    return book.close()


def _table(document: Any, headers: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = "" if value is None else str(value)


def report_docx(r: Report, *, zone: str, today: dt.date) -> bytes:
    """The 招商图谱 as a printable Word document, a section per gap with its five layers."""
    found = r.map
    spec = found.spec
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    title = document.add_heading(f"{zone}{spec.name}产业链招商图谱", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    year = f"{found.state.year} 年度数据" if found.state.year else "尚无年度数据"
    sub = document.add_paragraph(f"{year}，{today:%Y年%m月%d日}编制")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    counts = {kind: sum(g.kind == kind for g in found.gaps) for kind in
              (atlas.FILL, atlas.STRENGTHEN, atlas.EXTEND)}  # fmt: skip
    document.add_paragraph(
        f"本链共 {len(spec.nodes)} 个环节，招商方向 {len(found.gaps)} 个："
        f"补链 {counts['补链']} 个、"
        f"强链 {counts['强链']} 个、延链 {counts['延链']} 个。每个方向列出行业路径、重点技术、"
        "现状匹配、目标企业与攻关路径。"
    )
    document.add_heading("一、招商方向", level=1)
    rows = [[g.name, g.kind, f"{g.importance:.1f}", "；".join(g.reasons)] for g in found.gaps]
    _table(document, ["缺口", "类型", "重要度", "理由"], rows)
    add_chart(document, gap_chart(found), table=False)
    if found.technologies:
        document.add_heading("二、技术路线图", level=1)
        _table(document, ["环节", "重点技术", "代际", "成熟度", "时间"],
               [[t.node_name, t.name, t.generation, t.maturity, f"{t.start}—{t.end} 年"]
                for t in found.technologies])  # fmt: skip
    if found.domains:
        document.add_heading("三、应用领域", level=1)
        add_chart(document, domain_chart(found))
        for d in found.domains:
            names = "、".join(n for _, n in d.inside) or "暂无"
            document.add_paragraph(
                f"{d.name}：供给环节 {'、'.join(d.nodes)}；园区本领域企业：{names}。"
            )
    document.add_heading("四、各方向招商图谱", level=1)
    by_key = {g.key: g for g in found.gaps}
    for i, g in enumerate(r.gaps, start=1):
        n, gap = g.node, by_key[g.node.need.key]
        document.add_heading(f"{i}. {gap.name}（{gap.kind}）", level=2)
        codes = "、".join(f"{c} {name}" for c, name in n.codes) or "未列"
        lines = [f"行业路径：行业代码 {codes}；产品 {'、'.join(n.need.products) or '未列'}。"]
        if n.downstream:
            lines.append("下游需求：" + "；".join(
                f"{d.name} {d.firms} 家，约需本环节供给 {atlas.money(d.need)}"
                for d in n.downstream) + "。")  # fmt: skip
        if n.upstream:
            lines.append(
                "上游配套：" + "；".join(f"{u.name} {u.firms} 家" for u in n.upstream) + "。"
            )
        if n.technologies:
            lines.append("重点技术：" + "；".join(
                f"{t.name}（{t.generation}，{t.maturity}，{t.start}—{t.end}）"
                for t in n.technologies) + "。")  # fmt: skip
        lines.append("现状匹配：" + "".join(n.statements))
        for line in lines:
            document.add_paragraph(line)
        if g.targets:
            document.add_paragraph("目标企业：")
            _table(document, ["名次", "企业", "总分", "地区", "理由"],
                   [[k, t.name, f"{t.score:.1f}", t.region, "；".join(t.reasons)]
                    for k, t in enumerate(g.targets[:5], start=1)])  # fmt: skip
        else:
            document.add_paragraph("目标企业：名录中暂无符合的园区外企业。")
        if g.plans:
            document.add_paragraph("攻关路径：")
            _table(document, ["目标企业", "负责小组", "对接方式", "下一步", "状态"],
                   [[p.firm_name, r.teams.get(p.team_id, ""), r.route(p),
                     p.next_step + (f"（{p.next_on}）" if p.next_on else ""),
                     approach.STATUSES.get(p.status, p.status)] for p in g.plans])  # fmt: skip
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
