"""The lists as a bureau publishes them: an xlsx workbook with a title, a notice line and Chinese
headers, one sheet per list (领跑榜, 竞跑榜, 进取榜), stages one after another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wulian.core.runs import RunStatus
from wulian.core.xlsx import ListWorkbook

if TYPE_CHECKING:
    from wulian.enterprises.read import Firm
    from wulian.innovation.models import InnovationResult, InnovationRun

HEADERS = (
    "序号",
    "发展阶段",
    "企业名称",
    "统一社会信用代码",
    "创新积分",
    "阶段内排名",
    "阶段企业数",
)


def lists_workbook(
    run: InnovationRun, by_band: dict[str, list[tuple[InnovationResult, Firm]]]
) -> bytes:
    """One sheet per band; each row a firm of the band, by stage and rank."""
    book = ListWorkbook()
    status = {
        RunStatus.NOTICE.value: "公示",
        RunStatus.PUBLISHED.value: "正式发布",
    }.get(run.status, "草稿，未公示")
    notice = f"评价方案：{run.spec.name}（第 {run.spec.version} 版）"
    if run.notice_from and run.notice_until:
        notice += f"；公示期 {run.notice_from:%Y年%m月%d日} 至 {run.notice_until:%Y年%m月%d日}"
    for band, items in by_band.items() or {"名单": []}.items():
        rows = [
            (i, r.cohort, e.name, e.uscc or "", r.points, r.rank or 0, r.cohort_size)
            for i, (r, e) in enumerate(items, start=1)
        ]
        book.sheet(
            band or "名单",
            title=f"{run.period} 年度企业创新积分{band}（{status}）",
            notice=notice,
            headers=HEADERS,
            rows=rows,
            widths=(6, 10, 36, 22, 11, 11, 11),
        )
    return book.close()
