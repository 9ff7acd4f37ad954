"""A chart in a Word document is Word's own chart of the very figures given: its cached values,
its embedded workbook and the table under it agree, an unknown is a gap, and text is text."""

from __future__ import annotations

import io
import zipfile

import docx
from lxml import etree
from python_calamine import CalamineWorkbook

from wulian.core import charts
from wulian.core.docxchart import add_chart

C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}


def _desk_chart(title: str = "企呼我应诉求（近 3 个月）") -> charts.Chart:
    return charts.Chart(
        "desk", title, "月份", ["2026-01", "2026-02", "2026-03"],
        [charts.Series("提交", [5, 8, 12], "件"),
         charts.Series("办结", [4, None, 11], "件"),
         charts.Series("按时办结率", [80.0, None, 100.0], charts.PERCENT, kind="line", axis=1),
         charts.Series("满意率", [90.0, 95.0, None], charts.PERCENT, kind="line", drawn=False)],
        axes=["诉求（件）", "按时办结率（%）"],
    )  # fmt: skip


def _save(*made: charts.Chart) -> bytes:
    document = docx.Document()
    for chart in made:
        add_chart(document, chart)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _parts(content: bytes, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return {
            n: package.read(n)
            for n in sorted(package.namelist())
            if n.startswith(prefix) and "/_rels/" not in n
        }


def test_the_chart_is_words_own_with_the_figures_cached_and_unknowns_left_as_gaps() -> None:
    content = _save(_desk_chart())
    (name, xml), = _parts(content, "word/charts/").items()  # fmt: skip
    assert name == "word/charts/chart1.xml"
    root = etree.fromstring(xml)
    bars = root.find(".//c:barChart", C)
    lines = root.find(".//c:lineChart", C)
    assert bars is not None
    assert lines is not None
    names = [v.text for v in root.iterfind(".//c:ser/c:tx//c:v", C)]
    assert names == ["提交（件）", "办结（件）", "按时办结率（%）"]  # not the undrawn one

    def cached(series: int) -> dict[int, float]:
        ser = root.findall(".//c:ser", C)[series]
        return {int(p.get("idx")): float(p.findtext("c:v", namespaces=C))
                for p in ser.iterfind("c:val//c:pt", C)}  # fmt: skip

    assert cached(0) == {0: 5, 1: 8, 2: 12}
    assert cached(1) == {0: 4, 2: 11}  # unknown in February: no point, not a zero
    assert cached(2) == {0: 80.0, 2: 100.0}
    categories = [v.text for v in root.findall(".//c:ser", C)[0].iterfind("c:cat//c:v", C)]
    assert categories == ["2026-01", "2026-02", "2026-03"]
    titles = ["".join(t.itertext()) for t in root.iterfind(".//c:valAx/c:title", C)]
    assert titles == ["诉求（件）", "按时办结率（%）"]  # each axis with its unit
    assert root.find(".//c:dispBlanksAs", C).get("val") == "gap"


def test_the_embedded_workbook_and_the_table_hold_the_same_figures() -> None:
    content = _save(_desk_chart())
    (book,) = _parts(content, "word/embeddings/").values()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["月份", "提交（件）", "办结（件）", "按时办结率（%）"]
    assert rows[1] == ["2026-01", 5, 4, 80]
    assert rows[2][:3] == ["2026-02", 8, ""]  # unknown: an empty cell
    document = docx.Document(io.BytesIO(content))
    (table,) = document.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["月份", "提交（件）", "办结（件）", "按时办结率（%）", "满意率（%）"]
    assert cells[2] == ["2026-02", "8", "—", "—", "95.0%"]
    captions = [p.text for p in document.paragraphs if p.runs and p.runs[0].bold]
    assert captions == ["企呼我应诉求（近 3 个月）"]


def test_text_that_looks_like_markup_or_a_formula_stays_text() -> None:
    title = '<研发&投入> "=SUM(A1)"'
    chart = charts.Chart(
        "x", title, "类别", ["=1+1", "A&B"], [charts.Series("<企业>", [1, 2], "家")]
    )
    content = _save(chart, _desk_chart())
    parts = _parts(content, "word/charts/")
    assert list(parts) == ["word/charts/chart1.xml", "word/charts/chart2.xml"]
    root = etree.fromstring(parts["word/charts/chart1.xml"])
    assert [v.text for v in root.iterfind(".//c:cat//c:v", C)] == ["=1+1", "A&B"]
    assert root.findtext(".//c:tx//c:v", namespaces=C) == "<企业>（家）"
    books = list(_parts(content, "word/embeddings/").values())
    assert len(books) == 2
    with zipfile.ZipFile(io.BytesIO(books[0])) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # written as strings, never as formulas
    document = docx.Document(io.BytesIO(content))
    drawing = document.element.body.xpath(".//wp:docPr")[0]
    assert drawing.get("descr") == title


def test_an_empty_chart_adds_nothing() -> None:
    empty = charts.Chart("e", "无数据", "年度", [], [charts.Series("企业", [], "家")])
    content = _save(empty)
    assert _parts(content, "word/charts/") == {}
    assert docx.Document(io.BytesIO(content)).paragraphs == []
