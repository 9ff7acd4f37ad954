"""A `core.charts.Chart` as a native chart of a Word document: the figure Word and WPS draw
themselves (columns and lines over one or two value axes, the axes named with their units), with
its figures cached in the chart and kept in an embedded workbook (Word's 编辑数据 opens it), and
the table of the same figures under it, as the page shows beside its chart.

Office Open XML (ECMA-376 part 1, §21.2, DrawingML charts): the document relates a chart part
(`word/charts/chartN.xml`), which relates its workbook (`word/embeddings/...xlsx`); the document's
paragraph holds an inline drawing that names the chart part. Every text reaches the XML as an
element's text, never spliced into markup. An unknown figure is left out of the cache, so the
chart shows a gap, not a zero."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt
from lxml import etree

from wulian.core import xlsx
from wulian.core.charts import PERCENT, Chart, Series

C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET = "Sheet1"
FONT = "宋体"
LABELLED_BARS = 12  # values written on the bars up to this many bars


class _ChartPart(Part):
    """A chart part whose XML is written once its workbook's relationship id is known."""

    xml: bytes = b""

    @property
    def blob(self) -> bytes:
        return self.xml


def add_chart(
    document: Any, chart: Chart, *, width: float = 16.0, height: float = 7.5, table: bool = True
) -> None:
    """Adds the chart's caption, the chart (width × height in cm) and, with table, the table of
    its figures (every series, the undrawn ones too) to the end of the document."""
    if chart.empty:
        return
    caption = document.add_paragraph()
    caption.add_run(chart.title).bold = True
    caption.paragraph_format.space_before = Pt(12)
    caption.paragraph_format.keep_with_next = True  # never a caption alone at a page's foot
    package = document.part.package
    part = _ChartPart(package.next_partname("/word/charts/chart%d.xml"), CT.DML_CHART, b"", package)
    workbook = Part(
        package.next_partname("/word/embeddings/Microsoft_Excel_Sheet%d.xlsx"),
        CT.SML_SHEET, _workbook(chart), package,
    )  # fmt: skip
    part.xml = _chart_xml(chart, workbook_rid=part.relate_to(workbook, RT.PACKAGE))
    rid = document.part.relate_to(part, RT.CHART)
    shape_id = document.part.next_id
    inline = parse_xml(
        f"<wp:inline {nsdecls('wp', 'a', 'r')}>"
        f'<wp:extent cx="{Cm(width)}" cy="{Cm(height)}"/>'
        f'<wp:docPr id="{shape_id}" name="图表 {shape_id}"/>'
        "<wp:cNvGraphicFramePr/>"
        f'<a:graphic><a:graphicData uri="{C}">'
        f'<c:chart xmlns:c="{C}" r:id="{rid}"/>'
        "</a:graphicData></a:graphic></wp:inline>"
    )
    inline.docPr.set("descr", chart.title)  # the alternative text, escaped by lxml
    holder = document.add_paragraph()
    holder.paragraph_format.keep_with_next = table
    holder.add_run()._r.add_drawing(inline)
    if table:
        _table(document, chart.headers(), chart.cells())


def _table(document: Any, headers: list[str], rows: list[list[str]]) -> None:
    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        for cell, text in zip(grid.add_row().cells, values, strict=True):
            cell.text = text


def _workbook(chart: Chart) -> bytes:
    """The chart's figures as the workbook Word edits: categories in column A, one series per
    column, the drawn series first (the chart's references point at them)."""
    buffer = io.BytesIO()
    book = xlsx.workbook(buffer)  # every string stored as text
    sheet = book.add_worksheet(SHEET)
    drawn = _drawn(chart)
    sheet.write_string(0, 0, chart.category)
    for col, series in enumerate(drawn, start=1):
        sheet.write_string(0, col, series.header)
    for row, category in enumerate(chart.categories, start=1):
        sheet.write_string(row, 0, category)
        for col, series in enumerate(drawn, start=1):
            value = series.values[row - 1]
            if value is not None:
                sheet.write_number(row, col, value)
    book.close()
    return buffer.getvalue()


def _drawn(chart: Chart) -> list[Series]:
    return [s for s in chart.series if s.drawn]


def _el(parent: Any, tag: str, val: object | None = None, **attrs: str) -> Any:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{C if prefix == 'c' else A}}}{name}")
    if val is not None:
        element.set("val", str(val))
    for key, value in attrs.items():
        element.set(key, value)
    return element


def _text_properties(parent: Any, size: int = 900) -> None:
    tx = _el(parent, "c:txPr")
    _el(tx, "a:bodyPr")
    _el(tx, "a:lstStyle")
    p = _el(tx, "a:p")
    rpr = _el(_el(p, "a:pPr"), "a:defRPr", sz=str(size))
    _el(rpr, "a:latin", typeface=FONT)
    _el(rpr, "a:ea", typeface=FONT)
    _el(p, "a:endParaRPr", lang="zh-CN")


def _title(parent: Any, text: str) -> None:
    title = _el(parent, "c:title")
    rich = _el(_el(title, "c:tx"), "c:rich")
    _el(rich, "a:bodyPr")
    _el(rich, "a:lstStyle")
    run = _el(_el(rich, "a:p"), "a:r")
    _el(run, "a:rPr", lang="zh-CN", sz="900", b="0")
    _el(run, "a:t").text = text
    _el(title, "c:overlay", 0)


def _column(index: int) -> str:
    name: str = xlsxwriter.utility.xl_col_to_name(index, col_abs=True)
    return name


def _series(parent: Any, chart: Chart, series: Series, index: int) -> None:
    ser = _el(parent, "c:ser")
    _el(ser, "c:idx", index)
    _el(ser, "c:order", index)
    column = _column(index + 1)
    ref = _el(_el(ser, "c:tx"), "c:strRef")
    _el(ref, "c:f").text = f"{SHEET}!{column}$1"
    cache = _el(ref, "c:strCache")
    _el(cache, "c:ptCount", 1)
    _el(_el(cache, "c:pt", idx="0"), "c:v").text = series.header
    if series.kind == "line":
        _el(_el(ser, "c:marker"), "c:symbol", "circle")
    else:
        _el(ser, "c:invertIfNegative", 0)
    last = len(chart.categories) + 1
    ref = _el(_el(ser, "c:cat"), "c:strRef")
    _el(ref, "c:f").text = f"{SHEET}!$A$2:$A${last}"
    cache = _el(ref, "c:strCache")
    _el(cache, "c:ptCount", len(chart.categories))
    for i, category in enumerate(chart.categories):
        _el(_el(cache, "c:pt", idx=str(i)), "c:v").text = category
    ref = _el(_el(ser, "c:val"), "c:numRef")
    _el(ref, "c:f").text = f"{SHEET}!{column}$2:{column}${last}"
    cache = _el(ref, "c:numCache")
    _el(cache, "c:formatCode").text = "General"
    _el(cache, "c:ptCount", len(chart.categories))
    for i, value in enumerate(series.values):
        if value is not None:  # unknown: a gap, not a zero
            _el(_el(cache, "c:pt", idx=str(i)), "c:v").text = repr(value)
    if series.kind == "line":
        _el(ser, "c:smooth", 0)


def _group(plot: Any, chart: Chart, kind: str, axis: int, axes: tuple[int, int]) -> bool:
    """One chart group (columns or lines) of the series on one value axis; False if none."""
    members = [(i, s) for i, s in enumerate(_drawn(chart)) if s.kind == kind and s.axis == axis]
    if not members:
        return False
    if kind == "line":
        group = _el(plot, "c:lineChart")
        _el(group, "c:grouping", "standard")
    else:
        group = _el(plot, "c:barChart")
        _el(group, "c:barDir", "col")
        _el(group, "c:grouping", "clustered")
    _el(group, "c:varyColors", 0)
    for i, series in members:
        _series(group, chart, series, i)
    if kind == "bar" and len(members) * len(chart.categories) <= LABELLED_BARS:
        labels = _el(group, "c:dLbls")
        for flag in ("showLegendKey", "showVal", "showCatName", "showSerName", "showPercent",
                     "showBubbleSize"):  # fmt: skip
            _el(labels, f"c:{flag}", int(flag == "showVal"))
    if kind == "bar":
        _el(group, "c:gapWidth", 80)
    else:
        _el(group, "c:marker", 1)
    for ax in axes:
        _el(group, "c:axId", ax)
    return True


def _axes(plot: Any, chart: Chart, axis: int, ids: tuple[int, int]) -> None:
    """The category axis (shown only for the first value axis) and the value axis, named with
    its unit, on the left (first) or right (second)."""
    category, value = ids
    names = list(chart.axes) or [s.header for s in _drawn(chart)[:1]]
    cat = _el(plot, "c:catAx")
    _el(cat, "c:axId", category)
    _el(_el(cat, "c:scaling"), "c:orientation", "minMax")
    _el(cat, "c:delete", int(axis == 1))
    _el(cat, "c:axPos", "b")
    if axis == 0:
        _title(cat, chart.category)
    _el(cat, "c:numFmt", formatCode="General", sourceLinked="1")
    _el(cat, "c:majorTickMark", "none")
    _el(cat, "c:minorTickMark", "none")
    _el(cat, "c:tickLblPos", "nextTo")
    _el(cat, "c:crossAx", value)
    _el(cat, "c:crosses", "autoZero")
    _el(cat, "c:auto", 1)
    _el(cat, "c:lblAlgn", "ctr")
    _el(cat, "c:lblOffset", 100)
    _el(cat, "c:noMultiLvlLbl", 0)
    val = _el(plot, "c:valAx")
    _el(val, "c:axId", value)
    _el(_el(val, "c:scaling"), "c:orientation", "minMax")
    _el(val, "c:delete", 0)
    _el(val, "c:axPos", "l" if axis == 0 else "r")
    if axis == 0:
        _el(val, "c:majorGridlines")
    if axis < len(names):
        _title(val, names[axis])
    percent = axis < len(names) and names[axis].endswith(f"（{PERCENT}）")
    _el(val, "c:numFmt", formatCode='0"%"' if percent else "#,##0", sourceLinked="0")
    _el(val, "c:majorTickMark", "out")
    _el(val, "c:minorTickMark", "none")
    _el(val, "c:tickLblPos", "nextTo")
    _el(val, "c:crossAx", category)
    _el(val, "c:crosses", "autoZero" if axis == 0 else "max")
    _el(val, "c:crossBetween", "between")


def _chart_xml(chart: Chart, *, workbook_rid: str) -> bytes:
    space = etree.Element(f"{{{C}}}chartSpace", nsmap={"c": C, "a": A, "r": R})
    _el(space, "c:lang", "zh-CN")
    _el(space, "c:roundedCorners", 0)
    body = _el(space, "c:chart")
    _el(body, "c:autoTitleDeleted", 1)  # the caption above the chart is its title
    plot = _el(body, "c:plotArea")
    _el(plot, "c:layout")
    axis_ids: Sequence[tuple[int, int]] = ((1, 2), (3, 4))
    used = []
    for axis, ids in enumerate(axis_ids):
        bars = _group(plot, chart, "bar", axis, ids)
        lines = _group(plot, chart, "line", axis, ids)
        if bars or lines:
            used.append((axis, ids))
    if used and used[0][0] == 1:  # only right-axis series: draw them on the left
        used = [(0, used[0][1])]
    for axis, ids in used:
        _axes(plot, chart, axis, ids)
    if len(_drawn(chart)) > 1:
        legend = _el(body, "c:legend")
        _el(legend, "c:legendPos", "b")
        _el(legend, "c:overlay", 0)
    _el(body, "c:plotVisOnly", 1)
    _el(body, "c:dispBlanksAs", "gap")
    _text_properties(space)
    _el(_el(space, "c:externalData", **{f"{{{R}}}id": workbook_rid}), "c:autoUpdate", 0)
    xml: bytes = etree.tostring(space, xml_declaration=True, encoding="UTF-8", standalone=True)
    return xml
