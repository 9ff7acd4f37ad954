"""Import of a wide xlsx: 100,000 rows × 20 metric columns with full validation, into SQLite
(target: at most 20 s and 1 GiB on the reference machine).

Writes the workbook, registers the firms, then times `imports.import_facts` (read with
python-calamine, every cell checked, 2 million facts written), then imports the same file again
(every value unchanged, nothing written), and in the same run times reading the same
file with pandas + openpyxl (reading only, no checks, no writes), and prints the ratio.

    python benchmarks/bench_import.py [--rows 100000] [--folder PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import xlsxwriter

from wulian.core import audit
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.permissions import Actor
from wulian.enterprises import imports
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service

SYSTEM = Actor.system("基准测试")
HEADERS = [
    ("营业收入（万元）", 6.0),
    ("主营业务收入（万元）", 5.9),
    ("资产总额（万元）", 6.2),
    ("净资产（万元）", 5.5),
    ("净利润（万元）", 3.5),
    ("成本费用总额（万元）", 5.8),
    ("职工总数", 4.0),
    ("年平均职工人数", 3.9),
    ("科技人员数", 2.5),
    ("研发费用（千元）", 5.0),
    ("境内研发费用（千元）", 4.9),
    ("实缴税金（元）", 12.0),
    ("工业增加值（万元）", 4.5),
    ("用地面积（亩）", 3.0),
    ("综合能耗（吨标准煤）", 5.0),
    ("用电量（万千瓦时）", 4.0),
    ("主要污染物排放量（吨）", 1.0),
    ("技术合同成交额（万元）", 3.0),
    ("发明专利申请量", 1.0),
    ("吸纳应届毕业生人数", 1.0),
]
INTEGERS = {"职工总数", "年平均职工人数", "科技人员数", "发明专利申请量", "吸纳应届毕业生人数"}


def write_workbook(path: Path, rows: int) -> None:
    rng = random.Random(11)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("数据")
    sheet.write_row(0, 0, ["统一社会信用代码", "企业名称", *[h for h, _ in HEADERS]])
    for row in range(1, rows + 1):
        values: list[object] = [synthetic(row), f"基准企业{row:06d}有限公司"]
        staff = round(rng.lognormvariate(4.0, 0.8)) + 10
        for header, mu in HEADERS:
            if header in INTEGERS:
                value: float = {
                    "职工总数": staff,
                    "年平均职工人数": staff,
                    "科技人员数": staff // 5,
                }.get(header, rng.randint(0, 5))
            elif header.startswith(("研发费用", "境内研发费用")):
                value = round(rng.lognormvariate(mu, 1.0), 2)
            else:
                value = round(rng.lognormvariate(mu, 1.2), 2)
            values.append(value)
        # Keep the parts below their wholes so that the file is clean (R&D is in 千元).
        at = {h: i + 2 for i, (h, _) in enumerate(HEADERS)}
        revenue = values[at["营业收入（万元）"]]
        values[at["主营业务收入（万元）"]] = round(revenue * rng.uniform(0.8, 1.0), 2)  # type: ignore[operator]
        values[at["净资产（万元）"]] = round(values[at["资产总额（万元）"]] * 0.5, 2)  # type: ignore[operator]
        rd = min(values[at["研发费用（千元）"]], revenue * 5)  # type: ignore[type-var,operator]
        values[at["研发费用（千元）"]] = rd
        values[at["境内研发费用（千元）"]] = round(rd * 0.95, 2)  # type: ignore[operator]
        sheet.write_row(row, 0, values)
    workbook.close()


def register_firms(database: Path, rows: int) -> None:
    engine = create_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    with unit_of_work(session_factory(engine)) as session:
        audit.track(session, SYSTEM)
        reference_service.sync_metrics(session, actor=SYSTEM)
    engine.dispose()
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    connection = sqlite3.connect(database)
    connection.executemany(
        "INSERT INTO enterprises (uscc, name, name_key, name_pinyin, name_search, former_names,"
        " in_zone, created_at, updated_at) VALUES (?,?,?,'','','[]',1,?,?)",  # no search here
        (
            (synthetic(i), f"基准企业{i:06d}有限公司", f"基准企业{i:06d}", now, now)
            for i in range(1, rows + 1)
        ),
    )
    connection.commit()
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    workbook = folder / f"bench_{args.rows}.xlsx"
    if not workbook.exists():
        write_workbook(workbook, args.rows)
    database = folder / "bench_import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    register_firms(database, args.rows)
    data = workbook.read_bytes()

    engine = create_engine(f"sqlite:///{database}")
    timings = []
    for _ in range(2):  # the second run imports the same file again: every value is unchanged
        started = time.perf_counter()
        with unit_of_work(session_factory(engine)) as session:
            audit.track(session, SYSTEM)
            report = imports.import_facts(
                session,
                actor=SYSTEM,
                data=data,
                filename=workbook.name,
                period="2024",
                source="tax",
            )
        timings.append(time.perf_counter() - started)
        assert report.committed, report.problems[:5]
    assert report.unchanged == args.rows * len(HEADERS), report.summary()
    ours, again = timings
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)

    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_excel(workbook, engine="openpyxl")
    reference = time.perf_counter() - started
    assert len(frame) == args.rows
    print(
        f"import_facts: {args.rows:,} rows × {len(HEADERS)} metrics "
        f"({workbook.stat().st_size / 1e6:.1f} MB xlsx), {args.rows * len(HEADERS):,} facts "
        f"written: {ours:.1f} s; the same file again (nothing changes): {again:.1f} s; "
        f"peak memory {peak:,.0f} MiB; "
        f"pandas + openpyxl reading only: {reference:.1f} s; ratio {reference / ours:.1f}×"
    )


if __name__ == "__main__":
    main()
