"""The lists as a bureau publishes them: an xlsx workbook with a title, a notice line and Chinese
headers, one sheet per list (领跑榜, 竞跑榜, 进取榜), stages one after another."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import xlsxwriter

from wulian.innovation.models import RunStatus

if TYPE_CHECKING:
    from wulian.enterprises.models import Enterprise
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
    run: InnovationRun, by_band: dict[str, list[tuple[InnovationResult, Enterprise]]]
) -> bytes:
    """One sheet per band; each row a firm of the band, by stage and rank."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    title = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    header = workbook.add_format(
        {"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center"}
    )
    cell = workbook.add_format({"border": 1})
    number = workbook.add_format({"border": 1, "num_format": "0.00"})
    status = {
        RunStatus.NOTICE.value: "公示",
        RunStatus.PUBLISHED.value: "正式发布",
    }.get(run.status, "草稿，未公示")
    for band, items in by_band.items() or {"名单": []}.items():
        sheet = workbook.add_worksheet(band[:31] or "名单")
        sheet.merge_range(
            0, 0, 0, len(HEADERS) - 1, f"{run.period} 年度企业创新积分{band}（{status}）", title
        )
        notice = f"评价方案：{run.spec.name}（第 {run.spec.version} 版）"
        if run.notice_from and run.notice_until:
            notice += f"；公示期 {run.notice_from:%Y年%m月%d日} 至 {run.notice_until:%Y年%m月%d日}"
        sheet.merge_range(1, 0, 1, len(HEADERS) - 1, notice)
        sheet.write_row(2, 0, HEADERS, header)
        for index, (result, enterprise) in enumerate(items, start=1):
            row = index + 2
            sheet.write_number(row, 0, index, cell)
            sheet.write_string(row, 1, result.cohort, cell)
            sheet.write_string(row, 2, enterprise.name, cell)
            sheet.write_string(row, 3, enterprise.uscc or "", cell)
            if result.points is None:
                sheet.write_blank(row, 4, None, cell)
            else:
                sheet.write_number(row, 4, result.points, number)
            sheet.write_number(row, 5, result.rank or 0, cell)
            sheet.write_number(row, 6, result.cohort_size, cell)
        sheet.set_column(0, 0, 6)
        sheet.set_column(1, 1, 10)
        sheet.set_column(2, 2, 36)
        sheet.set_column(3, 3, 22)
        sheet.set_column(4, 6, 11)
        sheet.freeze_panes(3, 0)
    workbook.close()
    return buffer.getvalue()
