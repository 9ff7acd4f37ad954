"""The enterprise list at real volume: 100,000 firms, a page of 50 through the whole app (target:
p95 at most 200 ms), on SQLite and on PostgreSQL.

Builds a database with the firms (names with their pinyin keys, chains, regions, staff sizes,
a title on one firm in ten), signs in as an analyst and requests list pages as a browser would:
the first page, a deep page, a chain filter, a search by part of a name, by pinyin initials and
by credit code, and a sort by staff. The baseline in the same run is the list query alone (the
same SELECT … LIMIT 50 and its count, straight on the connection), so the difference is what
the app adds: permissions, the ORM, tags and the page's HTML.

    python benchmarks/bench_lists.py [--firms 100000] [--requests 40] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from wulian.core import audit
from wulian.core.auth import service as auth_service
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.permissions import Actor, Role
from wulian.core.settings import Settings
from wulian.enterprises.names import name_key, pinyin_key, search_key
from wulian.enterprises.uscc import synthetic
from wulian.web.app import create_app

SYSTEM = Actor.system("基准测试")
PASSWORD = "Lists-at-volume-2026!"  # noqa: S105 (a throwaway database)
CHAINS = ["lithium", "chips", "biomed", "chemicals", "paper", "silicon"]
PLACES = ["衢州", "杭州", "宁波", "温州", "金华", "台州", "丽水", "绍兴", "嘉兴", "湖州"]
WORDS = ["新材料", "电子", "精工", "生物", "化学", "纸业", "硅业", "科技", "智能", "能源"]


def build(url: str, firms: int) -> float:
    started = time.perf_counter()
    engine = create_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(11)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(1, firms + 1):
        name = f"{rng.choice(PLACES)}{rng.choice(WORDS)}{i:06d}有限公司"
        rows.append(
            {
                "id": i, "uscc": synthetic(i), "name": name, "name_key": name_key(name),
                "name_pinyin": pinyin_key(name), "name_search": search_key(name),
                "former_names": [], "in_zone": rng.random() < 0.6,
                "chain": rng.choice(CHAINS), "staff_size": rng.randint(1, 3000),
                "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    from wulian.enterprises.models import Enterprise, EnterpriseTag

    with unit_of_work(session_factory(engine)) as session:
        audit.track(session, SYSTEM)
        for start in range(0, len(rows), 10_000):
            session.execute(sa.insert(Enterprise), rows[start : start + 10_000])
        tags = [{"enterprise_id": i, "tag": "gaoxin"} for i in range(1, firms + 1, 10)]
        session.execute(sa.insert(EnterpriseTag), tags)
        auth_service.create_user(
            session, actor=SYSTEM, username="bench", role=Role.ANALYST, password=PASSWORD,
            must_change_password=False,
        )  # fmt: skip
    with engine.begin() as connection:  # as autovacuum would within a minute of the load
        connection.execute(sa.text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def sign_in(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert token is not None
    client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, firms: int, requests: int, label: str) -> None:
    built = build(url, firms)
    print(f"[{label}] built {firms:,} firms in {built:.1f} s")
    engine = create_engine(url)
    settings = Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()))
    deep = max(1, firms // 50 // 2)
    cases = {
        "第 1 页（按拼音）": "/enterprises",
        f"第 {deep} 页": f"/enterprises?page={deep}",
        "按产业链筛选": "/enterprises?chain=lithium",
        "名称片段“精工0123”": "/enterprises?q=精工0123",
        "拼音首字母 qzxcl": "/enterprises?q=qzxcl",
        "信用代码": f"/enterprises?q={synthetic(firms // 3)}",
        "按从业人数排序": "/enterprises?sort=-staff",
    }
    baseline_sql = sa.text(
        "SELECT id, name FROM enterprises ORDER BY name_pinyin, name, id LIMIT 50 OFFSET :o"
    )
    count_sql = sa.text("SELECT count(*) FROM enterprises")
    with TestClient(create_app(settings, engine=engine)) as client:
        sign_in(client)
        assert client.get("/enterprises").status_code == 200
        for name, path in cases.items():
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            print(
                f"[{label}] {name:<18} p50 {statistics.median(times):6.1f} ms  "
                f"p95 {percentile(times, 0.95):6.1f} ms"
            )
    base = []
    with engine.connect() as connection:
        for i in range(requests):
            started = time.perf_counter()
            connection.execute(count_sql).scalar()
            connection.execute(baseline_sql, {"o": (i * 997 % deep) * 50}).all()
            base.append((time.perf_counter() - started) * 1000)
    print(
        f"[{label}] baseline: the list query and its count alone  p50 "
        f"{statistics.median(base):6.1f} ms  p95 {percentile(base, 0.95):6.1f} ms"
    )
    engine.dispose()


def main() -> None:
    logging.getLogger("wulian.request").setLevel(logging.WARNING)  # not a line per request
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    measure(f"sqlite:///{folder / 'lists.db'}", args.firms, args.requests, "SQLite")
    if args.postgres:
        name = f"wulian_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.postgres + "postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            measure(args.postgres + name, args.firms, args.requests, "PostgreSQL")
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
