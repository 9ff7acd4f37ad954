"""The leaders' cockpit: the zone in figures from every module (chains, innovation points, 亩均
classes, benefits paid, the request desk), each section only where the reader may see it and
only from published results, with a chart where people would rather look than read, and the
same figures as a workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.chains.health import money
from wulian.core import xlsx
from wulian.core.errors import Conflict, PermissionDenied
from wulian.core.permissions import Actor
from wulian.desk import stats as desk_stats
from wulian.innovation import service as innovation_service
from wulian.landuse import service as landuse_service
from wulian.policy import service as policy_service

T = TypeVar("T")
GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Cockpit:
    chains: list[chains_service.ChainState] | None
    innovation: innovation_service.Summary | None
    landuse: tuple[Any, dict[str, int]] | None  # the newest published run, its counts
    payouts: list[policy_service.PayoutYear] | None
    desk: desk_stats.Overview | None
    charts: dict[str, str]


def _may(read: Callable[[], T]) -> T | None:
    """A section's figures, or None where the reader may not see them (or the module is not set
    up yet, such as a desk without its configuration)."""
    try:
        return read()
    except (PermissionDenied, Conflict):
        return None


def build(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> Cockpit:
    desk = _may(lambda: desk_stats.overview(session, actor=actor, now=now))
    payouts = _may(lambda: policy_service.payout_years(session, actor=actor))
    landuse = _may(lambda: landuse_service.published_counts(session, actor=actor))
    charts = {}
    if desk is not None and desk.months:
        months = desk.months[-12:]
        charts["desk"] = columns(
            [m.month for m in months],
            [
                ("提交", [m.submitted for m in months], "a"),
                ("办结", [m.closed for m in months], "b"),
            ],
            label="近 12 个月诉求提交与办结（件）",
        )
    if payouts:
        years = list(reversed(payouts))
        charts["payouts"] = columns(
            [p.period for p in years],
            [
                ("兑现笔数", [p.payouts for p in years], "a"),
                ("免申即享", [p.free for p in years], "b"),
            ],
            label="各年度政策兑现笔数",
        )
    innovation = _may(lambda: innovation_service.published_summary(session, actor=actor))
    if innovation:
        charts["innovation"] = columns(
            [band for band, _ in innovation.bands],
            [("企业数", [n for _, n in innovation.bands], "a")],
            label="创新积分各榜单企业数",
        )
    if landuse is not None:
        counts = landuse[1]
        charts["landuse"] = columns(
            list(GRADES), [("企业数", [counts.get(g, 0) for g in GRADES], "a")],
            label="亩均效益分类企业数",
        )  # fmt: skip
    return Cockpit(
        chains=_may(lambda: chains_service.states(session, actor=actor)),
        innovation=innovation,
        landuse=landuse,
        payouts=payouts,
        desk=desk,
        charts=charts,
    )


def columns(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | float], str]],
    *,
    label: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """Grouped vertical bars as SVG: categories along the bottom, one bar per series (name,
    values, CSS class suffix), the value above each bar, a legend below."""
    if not categories:
        return ""
    top = max((v for _, values, _ in series for v in values), default=0) or 1
    left, bottom, legend = 10, 40, 20
    plot_h = height - bottom - legend
    slot = (width - left * 2) / len(categories)
    bar = min(28.0, slot * 0.8 / len(series))
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for i, name in enumerate(categories):
        x0 = left + slot * i + (slot - bar * len(series)) / 2
        for j, (series_name, values, css) in enumerate(series):
            value = values[i]
            h = plot_h * value / top
            x, y = x0 + bar * j, legend + plot_h - h
            parts.append(
                f'<rect class="bar-{css}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{escape(name)} {escape(series_name)}：{value:,}'
                f"</title></rect>"
            )
            if value:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value:,}'
                    "</text>"
                )
        parts.append(
            f'<text x="{left + slot * (i + 0.5):.1f}" y="{legend + plot_h + 16}" '
            f'text-anchor="middle">{escape(name)}</text>'
        )
    for j, (series_name, _, css) in enumerate(series):
        x = left + j * 110
        parts.append(
            f'<rect class="bar-{css}" x="{x}" y="{height - 14}" width="10" height="10"/>'
            f'<text x="{x + 14}" y="{height - 5}">{escape(series_name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _percent(value: float | None) -> str:
    return "未知" if value is None else f"{value * 100:.1f}%"


def export_xlsx(cockpit: Cockpit) -> bytes:
    """The cockpit's figures as a workbook, a sheet per section the reader may see."""
    book = xlsx.ListWorkbook()
    if cockpit.chains is not None:
        book.table(
            "产业链",
            headers=["产业链", "完整度", "强", "弱", "缺", "园区企业（家）", "营收合计",
                     "营收增长", "研发强度", "待复核（家）"],
            rows=[
                [s.chain.spec.name, _percent(s.health.completeness), s.health.counts.get("强", 0),
                 s.health.counts.get("弱", 0), s.health.counts.get("缺", 0), s.health.totals.firms,
                 money(s.health.totals.revenue), _percent(s.health.totals.growth),
                 _percent(s.health.totals.rd_intensity), s.waiting]
                for s in cockpit.chains
            ],
            widths=[18, 10, 6, 6, 6, 14, 14, 10, 10, 12],
        )  # fmt: skip
    if cockpit.innovation is not None:
        summary = cockpit.innovation
        rows: list[list[Any]] = [["榜单", band, n] for band, n in summary.bands]
        rows += [["阶段", stage, n] for stage, n in summary.stages]
        book.table(
            "创新积分", headers=[f"{summary.run.period} 年度", "名称", "企业（家）"], rows=rows,
            widths=[14, 24, 12],
        )  # fmt: skip
    if cockpit.landuse is not None:
        run, counts = cockpit.landuse
        book.table(
            "亩均效益",
            headers=[f"{run.period} 年度类别", "企业（家）"],
            rows=[*([g, counts.get(g, 0)] for g in GRADES), ["低效企业", counts.get("low", 0)]],
            widths=[16, 12],
        )
    if cockpit.payouts is not None:
        book.table(
            "政策兑现",
            headers=["年度", "兑现企业（家）", "兑现笔数", "金额（按政策单位，默认万元）",
                     "免申即享笔数", "免申即享占比"],
            rows=[[p.period, p.firms, p.payouts, p.amount, p.free, _percent(p.free_share)]
                  for p in cockpit.payouts],
            widths=[10, 14, 10, 26, 14, 14],
        )  # fmt: skip
    if cockpit.desk is not None:
        desk = cockpit.desk
        book.table(
            "企呼我应",
            headers=["诉求总数", "办理中", "已办结", "已超期", "办结率", "按时办结率", "满意率"],
            rows=[[desk.total, desk.open, desk.closed, desk.overdue, _percent(desk.closure_rate),
                   _percent(desk.on_time_rate), _percent(desk.satisfaction_rate)]],
            widths=[10, 10, 10, 10, 10, 12, 10],
        )  # fmt: skip
        book.table(
            "诉求按部门",
            headers=["部门", "诉求", "办理中", "已超期", "按时办结率", "满意率"],
            rows=[[g.label, g.total, g.open, g.overdue, _percent(g.on_time),
                   _percent(g.satisfaction)] for g in desk.by_department],
            widths=[24, 8, 8, 8, 12, 10],
        )  # fmt: skip
    return book.close()
