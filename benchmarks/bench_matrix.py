"""Input frame for 100,000 firms × 30 metrics (target: at most 2 s on SQLite).

Builds a SQLite database with the firms and one current fact per firm and metric from one of two
sources (3.3 million facts), then times `facts.build_matrix` against a reference implementation
measured in the same run: fetch every current fact and keep the best per firm and metric in a
Python dict, then build the rows.

    python benchmarks/bench_matrix.py [--firms 100000] [--metrics 30] [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from wulian.core import audit
from wulian.core.db import create_engine, migrate, session_factory
from wulian.core.permissions import Actor
from wulian.enterprises import facts
from wulian.reference import catalogue
from wulian.reference import service as reference_service

SYSTEM = Actor.system("基准测试")


def build(path: Path, firms: int, metric_keys: list[str]) -> None:
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with session_factory(engine)() as session:
        audit.track(session, SYSTEM)
        reference_service.sync_metrics(session, actor=SYSTEM)
        session.commit()
    engine.dispose()
    metric_ids = dict(connection_rows(path, "SELECT key, id FROM metrics"))
    source_ids = dict(connection_rows(path, "SELECT code, id FROM fact_sources"))
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.executemany(
        "INSERT INTO enterprises (id, name, name_key, name_pinyin, name_search, former_names,"
        " in_zone, created_at, updated_at) VALUES (?,?,?,'','','[]',1,?,?)",  # no search here
        ((i, f"企业{i:06d}", f"企业{i:06d}", now, now) for i in range(1, firms + 1)),
    )

    def rows():
        for firm in range(1, firms + 1):
            for key in metric_keys:
                if rng.random() < 0.05:  # about 5 % unknown
                    continue
                metric = metric_ids[key]
                value = rng.lognormvariate(6, 1.5)
                yield (firm, metric, "2024", value, source_ids["stats"], "2025-03-01")
                if rng.random() < 0.1:  # a second source for some values
                    value = rng.lognormvariate(6, 1.5)
                    yield (firm, metric, "2024", value, source_ids["tax"], "2025-04-01")

    connection.executemany(
        "INSERT INTO facts (enterprise_id, metric_id, period, value, source_id, as_of, status,"
        " is_current, note, entered_by, created_at) VALUES (?,?,?,?,?,?,'reported',1,'','bench',?)",
        ((*row, now) for row in rows()),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def connection_rows(path: Path, query: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    rows = connection.execute(query).fetchall()
    connection.close()
    return rows


def reference(path: Path, metric_keys: list[str]) -> int:
    connection = sqlite3.connect(path)
    priority = dict(connection.execute("SELECT id, priority FROM fact_sources"))
    metric_ids = dict(connection.execute("SELECT key, id FROM metrics"))
    best: dict[tuple[int, int], tuple[tuple[int, str, int], float]] = {}
    placeholders = ",".join("?" * len(metric_keys))
    query = (
        "SELECT enterprise_id, metric_id, value, source_id, as_of, id FROM facts WHERE period = ?"  # noqa: S608  (placeholders only)
        f" AND is_current AND status != 'rejected' AND metric_id IN ({placeholders})"
    )
    for firm, key, value, source, as_of, fact_id in connection.execute(
        query, ["2024", *(metric_ids[k] for k in metric_keys)]
    ):
        rank = (priority[source], as_of, fact_id)
        current = best.get((firm, key))
        if (
            current is None
            or (rank[0], "", 0) < (current[0][0], "", 0)
            or (rank[0] == current[0][0] and rank[1:] > current[0][1:])
        ):
            best[(firm, key)] = (rank, value)
    firms = [row[0] for row in connection.execute("SELECT id FROM enterprises WHERE in_zone")]
    table = [
        [best.get((firm, metric_ids[key]), (None, None))[1] for key in metric_keys]
        for firm in firms
    ]
    connection.close()
    return len(table)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--metrics", type=int, default=30)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    metric_keys = [m.key for m in catalogue.shipped() if m.kind == "input"][: args.metrics]
    folder = Path(tempfile.mkdtemp())
    path = args.db or folder / "bench.db"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.firms, metric_keys)
        elapsed = time.perf_counter() - started
        print(f"built {args.firms:,} firms × {len(metric_keys)} metrics in {elapsed:.1f} s")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        fact_count = connection.scalar(sa.text("SELECT count(*) FROM facts"))
    timings = []
    for _ in range(3):
        with session_factory(engine)() as session:
            started = time.perf_counter()
            result = facts.build_matrix(session, actor=SYSTEM, metrics=metric_keys, period="2024")
            timings.append(time.perf_counter() - started)
    engine.dispose()
    started = time.perf_counter()
    rows = reference(path, metric_keys)
    reference_time = time.perf_counter() - started
    ours = min(timings)
    assert rows == result.frame.height
    print(
        f"build_matrix: {result.frame.height:,} firms × {len(metric_keys)} metrics "
        f"from {fact_count:,} facts, "
        f"{result.missing.height:,} missing: {ours:.2f} s (best of 3); "
        f"reference (plain Python): {reference_time:.2f} s; ratio {reference_time / ours:.1f}×"
    )


if __name__ == "__main__":
    main()
