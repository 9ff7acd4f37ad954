"""The leaders' cockpit: the zone in figures from every module (chains, innovation points, 亩均
classes, benefits paid, the request desk), each section only where the reader may see it and
only from published results, with a chart where people would rather look than read (trends by
year or month, the points distribution, the 亩均 classes: `core.charts`, drawn in the browser),
and the same figures, each chart's among them, as a workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from wulian.capital import service as capital_service
from wulian.chains import service as chains_service
from wulian.chains import views as chains_views
from wulian.chains.health import money
from wulian.core import charts, xlsx
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
    trends: chains_service.Trends | None = None
    capital: list[capital_service.ChainCapital] | None = None  # by chain (finance staff)
    capital_registers: capital_service.Registers | None = None  # which registers are kept
    charts: dict[str, charts.Chart] = field(default_factory=dict)


# The capital card on each chain's page, added here in the web layer so that the chains and the
# capital domains stay independent of each other (capital reads chains.service, not the reverse).
chains_views.chain_part("capital", capital_service.chain_capital)


def _may(read: Callable[[], T]) -> T | None:
    """A section's figures, or None where the reader may not see them (or the module is not set
    up yet, such as a desk without its configuration)."""
    try:
        return read()
    except (PermissionDenied, Conflict):
        return None


def _whole_desk(figures: desk_stats.Overview) -> desk_stats.Overview:
    """The zone's desk figures: a handling department's own share is not the zone's."""
    if not figures.complete:
        raise PermissionDenied("驾驶舱的诉求统计只对能看全部诉求的读者显示")
    return figures


def build(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> Cockpit:
    figures = Cockpit(
        chains=_may(lambda: chains_service.states(session, actor=actor)),
        innovation=_may(lambda: innovation_service.published_summary(session, actor=actor)),
        landuse=_may(lambda: landuse_service.published_counts(session, actor=actor)),
        payouts=_may(lambda: policy_service.payout_years(session, actor=actor)),
        desk=_may(lambda: _whole_desk(desk_stats.overview(session, actor=actor, now=now))),
        trends=_may(lambda: chains_service.trends(session, actor=actor)),
        capital=_may(lambda: capital_service.chain_capital(session, actor=actor)),
        capital_registers=_may(lambda: capital_service.registers(session, actor=actor)),
    )
    return replace(figures, charts={c.key: c for c in cockpit_charts(figures) if not c.empty})


def cockpit_charts(figures: Cockpit) -> list[charts.Chart]:
    """The cockpit's charts, each from figures the cockpit already holds."""
    out: list[charts.Chart] = []
    if figures.trends is not None and figures.trends.years:
        trends = figures.trends
        years = [str(y) for y in trends.years]
        out.append(
            charts.Chart(
                "chains-trend", "产业链企业与营收（按年度）", "年度", years,
                [charts.Series("报送营收的企业", [t.reported for t in trends.zone], "家"),
                 charts.Series("营收合计", [charts.yi(t.revenue) for t in trends.zone], "亿元",
                               kind="line", axis=1),
                 charts.Series("营收增长", [charts.percent(t.growth) for t in trends.zone],
                               charts.PERCENT, kind="line", drawn=False)],
                axes=["企业（家）", "营收（亿元）"],
            )
        )  # fmt: skip
        names = {s.chain.spec.id: s.chain.spec.name for s in figures.chains or []}
        out.append(
            charts.Chart(
                "chains-revenue", "各产业链营收（亿元，按年度）", "年度", years,
                [charts.Series(names.get(code, code), [charts.yi(t.revenue) for t in rows],
                               "亿元", kind="line")
                 for code, rows in trends.chains.items()],
                axes=["营收（亿元）"],
            )
        )  # fmt: skip
    if figures.payouts:
        years_paid = list(reversed(figures.payouts))
        out.append(
            charts.Chart(
                "payouts", "政策兑现（按年度）", "年度", [p.period for p in years_paid],
                [charts.Series("兑现笔数", [p.payouts for p in years_paid], "笔"),
                 charts.Series("其中免申即享", [p.free for p in years_paid], "笔"),
                 charts.Series("兑现金额", [round(p.amount, 2) for p in years_paid], "万元",
                               kind="line", axis=1),
                 charts.Series("免申即享占比", [charts.percent(p.free_share) for p in years_paid],
                               charts.PERCENT, kind="line", drawn=False)],
                axes=["笔数（笔）", "金额（万元）"],
            )
        )  # fmt: skip
    if figures.desk is not None and figures.desk.months:
        months = figures.desk.months[-12:]
        out.append(
            charts.Chart(
                "desk", "企呼我应诉求（近 12 个月）", "月份", [m.month for m in months],
                [charts.Series("提交", [m.submitted for m in months], "件"),
                 charts.Series("办结", [m.closed for m in months], "件"),
                 charts.Series("按时办结率", [charts.percent(m.on_time) for m in months],
                               charts.PERCENT, kind="line", axis=1)],
                axes=["诉求（件）", "按时办结率（%）"],
            )
        )  # fmt: skip
    if figures.innovation and figures.innovation.points:
        points = figures.innovation.points
        bins = charts.histogram(points)
        out.append(
            charts.Chart(
                "innovation-points",
                f"创新积分分布（{figures.innovation.run.period} 年度，{len(points):,} 家）",
                "积分区间", [label for label, _ in bins],
                [charts.Series("企业", [n for _, n in bins], "家")], axes=["企业（家）"],
            )
        )  # fmt: skip
    if figures.landuse is not None:
        run, counts = figures.landuse
        out.append(
            charts.Chart(
                "landuse", f"亩均效益分类（{run.period} 年度）", "类别",
                [f"{g} 类" for g in GRADES],
                [charts.Series("企业", [counts.get(g, 0) for g in GRADES], "家")],
                axes=["企业（家）"],
            )
        )  # fmt: skip
    return out


def _percent(value: float | None) -> str:
    return "未知" if value is None else f"{value * 100:.1f}%"


UNKNOWN = "未知"
CAPITAL_HEADERS = [
    "产业链", "基金投资（笔）", "基金投资（亿元）", "获授信企业（家）", "授信（万元）",
    "贷款余额（万元）", "其中逾期、违约（万元）", "逾期、违约占比", "上市企业（家）",
    "新三板挂牌（家）", "梯队中未上市（家）",
]  # fmt: skip


def _amount(yuan: int, unit: str) -> int | float:
    value = float(capital_service.show(yuan, unit) or 0)
    return int(value) if value.is_integer() else value


def capital_rows(cockpit: Cockpit) -> list[list[Any]]:
    """The chains' capital as rows (CAPITAL_HEADERS), for the workbook and the briefing: fund
    investment, credit and loans, listed and reserve firms of each chain (a firm on two chains
    counts on each). A register the zone does not keep yet (nothing in it at all) is “未知”, not
    0, and so is the overdue share of a chain with nothing outstanding."""
    if cockpit.capital is None or cockpit.capital_registers is None:
        return []
    kept = cockpit.capital_registers
    rows = []
    for cc in cockpit.capital:
        t = cc.total
        invest: list[Any] = (
            [t.investments, _amount(t.invested, "亿元")] if kept.investments else [UNKNOWN] * 2
        )
        share = f"{t.bad / t.outstanding * 100:.1f}%" if t.outstanding else UNKNOWN
        loans: list[Any] = (
            [t.loan_firms, _amount(t.granted, "万元"), _amount(t.outstanding, "万元"),
             _amount(t.bad, "万元"), share]
            if kept.loans else [UNKNOWN] * 5
        )  # fmt: skip
        listed: list[Any] = [t.listed, t.quoted, t.reserve] if kept.listings else [UNKNOWN] * 3
        rows.append([cc.name, *invest, *loans, *listed])
    return rows


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
    if cockpit.capital is not None and cockpit.capital_registers is not None:
        book.table(
            "资金链", headers=CAPITAL_HEADERS, rows=capital_rows(cockpit),
            widths=[18, 12, 14, 14, 14, 14, 18, 12, 12, 14, 12],
        )  # fmt: skip
    for chart in cockpit.charts.values():
        chart.sheet_into(book)
    return book.close()
