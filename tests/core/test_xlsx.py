"""Every workbook the platform writes stores user text as text: a firm name or a cell that starts
with “=” stays a string in the registry export, the import check report and published lists."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl

from tests.conftest import SYSTEM
from wulian.core.errors import RowProblem
from wulian.core.xlsx import ListWorkbook
from wulian.enterprises import importreport
from wulian.enterprises import service as enterprise_service

HOSTILE = '=HYPERLINK("http://example.invalid/","点击查看")'
SRC = Path(__file__).resolve().parents[2] / "src" / "wulian"


def _cells(data: bytes) -> list[tuple[str, object]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [(c.data_type, c.value) for s in book.worksheets for r in s.iter_rows() for c in r]


def _no_formula(data: bytes, text: str = HOSTILE) -> None:
    cells = _cells(data)
    assert ("s", text) in cells
    assert not [v for t, v in cells if t == "f"]


def test_a_published_list_keeps_text_as_text():
    book = ListWorkbook()
    book.sheet("名单", title="名单", notice="公示", headers=["企业", "说明"],
               rows=[[HOSTILE, "-"], ["+1", "@x"]], widths=[20, 10])  # fmt: skip
    data = book.close()
    _no_formula(data)
    assert ("s", "+1") in _cells(data)


def test_the_import_report_keeps_cell_values_as_text():
    report = importreport.ImportReport(filename="x.xlsx", kind="facts")
    report.problems.append(RowProblem(2, "企业名称", HOSTILE, "不认识的企业"))
    _no_formula(importreport.report_xlsx(report))


def test_the_registry_export_keeps_firm_names_as_text(world):
    firm = world.enterprise(HOSTILE)
    name = world.run(lambda s: enterprise_service.get(s, actor=SYSTEM, enterprise_id=firm).name)
    assert name.startswith("=HYPERLINK")
    data = world.run(
        lambda s: enterprise_service.export_xlsx(
            s, actor=SYSTEM, filters=enterprise_service.Filters()
        )
    )
    _no_formula(data, name)


def test_workbooks_are_opened_only_through_core_xlsx():
    opened = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"xlsxwriter\.Workbook\(", path.read_text("utf-8"))
    ]
    assert opened == ["core/xlsx.py"]
