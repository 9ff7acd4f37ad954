"""The talent domain's occupation model on the whole 职业分类大典 table: building it (done once
per table, in the background), reading it back from disk, and suggesting for 100 post titles.

    PYTHONPATH=src python -m benchmarks.bench_occupation_model /path/to/csco2022.csv
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from wulian.talent import occupations


def main(table: Path) -> None:
    source = occupations.source_of(table, None)
    assert source is not None
    with tempfile.TemporaryDirectory() as folder:
        store = occupations.ModelStore(Path(folder))
        start = time.perf_counter()
        store.build(source)
        build = time.perf_counter() - start
        fresh = occupations.ModelStore(Path(folder))
        start = time.perf_counter()
        model = fresh.get(source)
        load = time.perf_counter() - start
        assert model is not None
        titles = ["高级Java开发工程师", "正极材料研发工程师", "行政前台", "数据分析师",
                  "电气工程师（PLC方向）"] * 20  # fmt: skip
        start = time.perf_counter()
        occupations.suggest(model, titles)
        suggest = time.perf_counter() - start
        size = store.path(source.key).stat().st_size / 1e6
    print(f"建立 {build:.1f} s，从磁盘读取 {load:.2f} s，100 个岗位名称 {suggest:.2f} s，"
          f"模型文件 {size:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]))
