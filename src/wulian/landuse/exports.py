"""The 亩均效益 lists as the bureau publishes them: the classes of each group, the low-efficiency
list with its history, and the firms not rated with the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.permissions import Actor
from wulian.core.runs import RunStatus
from wulian.core.xlsx import ListWorkbook
from wulian.enterprises import read
from wulian.landuse.evaluate import STATUS_NAMES
from wulian.landuse.lists import LowFirm, low_list
from wulian.landuse.models import LanduseResult
from wulian.landuse.runs import get_run_or_raise
from wulian.landuse.versions import STAFF_ONLY, parse

# the class ranks the total score; the low-efficiency list reads 亩均税收 alone: both can hold
LOW_NOTE = (
    "类别按综合得分排名，低效企业按亩均税收认定，二者分别列示；排除低效企业的差别化政策对其不适用"
)

if TYPE_CHECKING:
    from wulian.enterprises.read import Firm
    from wulian.landuse.models import LanduseRun
    from wulian.landuse.spec import LanduseSpec


def export_xlsx(session: Session, *, actor: Actor, run_id: int) -> bytes:
    """The published lists: every firm with its class, score and rank; the low-efficiency list;
    firms not rated with the reason. Chinese headers."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_staff(STAFF_ONLY)
    results = session.scalars(
        sa.select(LanduseResult)
        .where(LanduseResult.run_id == run.id)
        .order_by(LanduseResult.group, LanduseResult.rank.is_(None), LanduseResult.rank,
                  LanduseResult.enterprise_id)
    )  # fmt: skip
    pairs = read.attach(session, results, lambda r: r.enterprise_id)
    return workbook(run, parse(run.spec.text), pairs, low_list(session, actor=actor, run_id=run_id))


def workbook(
    run: LanduseRun,
    spec: LanduseSpec,
    pairs: list[tuple[LanduseResult, Firm]],
    low: list[LowFirm],
) -> bytes:
    book = ListWorkbook()
    status = "正式发布" if run.status == RunStatus.PUBLISHED.value else "草稿，未发布"
    notice = f"评价方案：{run.spec.name}（第 {run.spec.version} 版）"
    for group in spec.groups:
        rated = [(r, e) for r, e in pairs if r.group == group.key and r.status == "rated"]
        rows = [
            (i, e.name, e.uscc or "", r.grade, r.low, r.score, r.rank, r.size, r.tax_per_mu,
             r.value_added_per_mu)
            for i, (r, e) in enumerate(rated, start=1)
        ]  # fmt: skip
        book.sheet(
            f"{group.label}分类",
            title=f"{run.year} 年度{group.label}亩均效益综合评价分类名单（{status}）",
            notice=f"{notice}；{LOW_NOTE}",
            headers=("序号", "企业名称", "统一社会信用代码", "类别", "列入低效企业名单",
                     "综合得分", "排名", "参评企业数", "亩均税收（万元/亩）",
                     "亩均增加值（万元/亩）"),
            rows=rows,
            widths=(6, 36, 22, 6, 10, 10, 8, 10, 16, 18),
        )  # fmt: skip
    years = sorted({y for firm in low for y in firm.history})
    book.sheet(
        "低效企业",
        title=f"{run.year} 年度低效企业名单（亩均税收低于 {spec.scope.low_tax_per_mu:g} 万元/亩）",
        notice=notice,
        headers=("序号", "企业名称", "统一社会信用代码", "类别", "连续低效年数",
                 *(f"{y} 年亩均税收" for y in years)),
        rows=[
            (i, f.enterprise.name, f.enterprise.uscc or "", f.result.grade or "", f.years_low,
             *(f.history.get(y) for y in years))
            for i, f in enumerate(low, start=1)
        ],
        widths=(6, 36, 22, 6, 12, *(14 for _ in years)),
    )  # fmt: skip
    apart = [(r, e) for r, e in pairs if r.status != "rated"]
    book.sheet(
        "未分类企业",
        title=f"{run.year} 年度未参与分类的企业",
        notice=notice,
        headers=("序号", "企业名称", "统一社会信用代码", "情况", "类别", "综合得分", "说明"),
        rows=[
            (i, e.name, e.uscc or "", STATUS_NAMES.get(r.status, r.status), r.grade, r.score,
             r.reason or "")
            for i, (r, e) in enumerate(apart, start=1)
        ],
        widths=(6, 36, 22, 16, 6, 10, 48),
    )  # fmt: skip
    return book.close()
