"""Reading tables: a CSV of 1,000,000 rows × 12 columns (target: at most 2 s) and an xlsx of
100,000 rows × 12 columns, through `core.tabular.read_table`, against Polars' own CSV reader in
the same run.

Times, best of --repeat runs each:
- `read_table` on the CSV in UTF-8, and on the same CSV in GBK;
- `polars.read_csv` alone on the UTF-8 bytes (every column as text, nothing stripped);
- the csv-module reader `read_table` used before (and still uses for files Polars and the csv
  module might read differently), once;
- `read_table` on the xlsx, the sheet span check within it, python-calamine alone (its rows as
  Python values), and the cell-by-cell conversion `read_table` used before, once.

    python benchmarks/bench_tabular.py [--rows 1000000] [--xlsx-rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import time
from collections.abc import Callable
from typing import TypeVar

import polars as pl
import python_calamine
import xlsxwriter

from wulian.core import tabular
from wulian.core.tabular import read_table

HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "所属行业",
    "成立日期",
    "营业收入（万元）",
    "研发费用（万元）",
    "职工总数",
    "科技人员数",
    "实缴税金（万元）",
    "用地面积（亩）",
    "是否高新技术企业",
    "备注",
]
T = TypeVar("T")
TITLE = "2025 年度高新区企业数据（单位：万元）"


def rows(count: int) -> list[list[object]]:
    rng = random.Random(27)
    industries = ["软件和信息技术服务业", "专用设备制造业", "医药制造业", "研究和试验发展"]
    notes = ["", "", "", "-", "无", "新增，含分支机构", "地址：园区路 1 号, 2 栋"]
    start = dt.date(1995, 1, 1)
    out = []
    for i in range(count):
        out.append(
            [
                f"91330{i:013d}",
                f"测试科技有限公司{i}",
                industries[i % 4],
                start + dt.timedelta(days=rng.randrange(11_000)),
                round(rng.lognormvariate(8, 1.5), 2),
                round(rng.lognormvariate(5, 1.5), 2) if rng.random() > 0.05 else "",
                rng.randrange(5, 3000),
                rng.randrange(0, 500),
                round(rng.lognormvariate(4, 1.5), 2),
                round(rng.uniform(1, 300), 1),
                "是" if rng.random() < 0.3 else "否",
                notes[i % len(notes)],
            ]
        )
    return out


def csv_bytes(body: list[list[object]], encoding: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([TITLE])
    writer.writerow(HEADERS)
    writer.writerows([c.isoformat() if isinstance(c, dt.date) else c for c in row] for row in body)
    return text.getvalue().encode(encoding)


def xlsx_bytes(body: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("数据")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, [TITLE])
    sheet.write_row(1, 0, HEADERS)
    for r, row in enumerate(body, start=2):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            else:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def best(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return min(times), result


def is_header(cells: object) -> bool:
    return "企业名称" in cells  # type: ignore[operator]


def csv_module_reader(data: bytes) -> tabular.Table:
    grid, encoding = tabular._csv_grid(data, "企业.csv")
    return tabular._table(grid, "企业.csv", is_header, None, encoding)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-old", action="store_true", help="do not time the csv module")
    args = parser.parse_args()

    body = rows(args.rows)
    utf8 = csv_bytes(body, "utf-8")
    gbk = csv_bytes(body, "gbk")
    print(f"CSV: {args.rows:,} rows × {len(HEADERS)} columns, {len(utf8) / 2**20:.0f} MiB UTF-8")

    def polars_alone() -> pl.DataFrame:
        return pl.read_csv(utf8, infer_schema=False, skip_rows=1)

    def new(data: bytes) -> Callable[[], tabular.Table]:
        return lambda: read_table(data, "企业.csv", is_header=is_header)

    polars_time, frame = best(args.repeat, polars_alone)
    new_time, table = best(args.repeat, new(utf8))
    gbk_time, gbk_table = best(args.repeat, new(gbk))
    assert frame.height == table.frame.height == args.rows
    assert table.frame.equals(gbk_table.frame)
    assert table.rows[0] == 3
    ratio = new_time / polars_time
    print(f"  polars.read_csv alone (all text)    {polars_time:6.2f} s")
    print(f"  read_table, UTF-8                   {new_time:6.2f} s  ({ratio:.1f}× polars)")
    print(f"  read_table, GBK                     {gbk_time:6.2f} s")
    if not args.skip_old:
        old_time, old = best(1, lambda: csv_module_reader(utf8))
        assert old.frame.equals(table.frame)
        assert old.rows.equals(table.rows)
        print(f"  csv-module reader (before), UTF-8   {old_time:6.2f} s  (once; same cells, rows)")
    del body[args.xlsx_rows :]

    data = xlsx_bytes(body)
    print(f"xlsx: {args.xlsx_rows:,} rows × {len(HEADERS)} columns, {len(data) / 2**20:.1f} MiB")

    def calamine_alone() -> int:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return sum(1 for _ in book.get_sheet_by_name("数据").iter_rows())

    def cell_by_cell() -> tabular.Table:  # as read_table did before, sheet span check aside
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_name("数据").iter_rows()
        grid = [[tabular._cell_text(v) for v in row] for row in rows]
        return tabular._table(grid, "企业.xlsx", is_header, "数据", None)

    raw_time, _ = best(args.repeat, calamine_alone)
    xlsx_time, xlsx = best(args.repeat, lambda: read_table(data, "企业.xlsx", is_header=is_header))
    assert xlsx.frame.height == args.xlsx_rows
    span_time, _ = best(args.repeat, lambda: tabular._sheet_span(data, "数据"))
    before_time, before = best(1, cell_by_cell)
    assert before.frame.equals(xlsx.frame)
    print(f"  python-calamine alone (Python rows) {raw_time:6.2f} s")
    print(f"  read_table                          {xlsx_time:6.2f} s")
    print(f"    of which the sheet span check     {span_time:6.2f} s")
    print(f"  cell-by-cell reader (before)        {before_time:6.2f} s  (once; no span check)")


if __name__ == "__main__":
    main()
