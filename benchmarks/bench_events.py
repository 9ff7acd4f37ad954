"""The 银企对接 events page with hundreds of open needs: the whole page through the app (signed in
as an officer of the finance office), computed as it is now — whom to invite in one batch (the
plans' inputs of every firm with an open need read together, each product's conditions
evaluated once over all of them by the rules engine's compiled form) and the events' totals in
one grouped query — against the way it was, in the same run: each firm's plan built on its own
(`products.plan`, the reference the batch is tested against) and each event's totals read on
their own.

Builds an SQLite database with 500 zone firms (figures for most, a title on some), 10 products,
one open need per firm, and 50 events of 10 firms with 5 outcomes each.

    PYTHONPATH=src python -m benchmarks.bench_events [--needs 500] [--events 50] [--requests 5]
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from wulian.capital import events, needs, products
from wulian.core import audit
from wulian.core.auth import service as auth_service
from wulian.core.calendar import today
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.permissions import Actor, Role
from wulian.core.settings import Settings
from wulian.enterprises import facts
from wulian.enterprises import service as enterprises
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference
from wulian.web.app import create_app

SYSTEM = Actor.system("基准测试")
PASSWORD = "Events-at-volume-2026!"  # noqa: S105 (a throwaway database)
RULES = [
    "园区企业: in_zone\n营业收入不低于 500 万元: revenue >= 500\n"
    "研发投入占营业收入 3% 以上: rd_expense / revenue >= 3%",
    "高新技术企业: 'gaoxin' in tags\n营业收入不低于 2000 万元: revenue >= 2000",
    "纳税额不低于 50 万元: tax_paid >= 50",
    "营业收入不低于 5 亿元: revenue >= 50000\n从业人员 500 人以上: staff_total >= 500",
    "园区企业: in_zone\n资产负债率不高于 70%: debt_ratio <= 70%",
]


def build(url: str, firms: int, events_n: int) -> float:
    started = time.perf_counter()
    engine = create_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    day = today()
    with unit_of_work(session_factory(engine)) as session:
        audit.track(session, SYSTEM)
        reference.sync_metrics(session, actor=SYSTEM)
        office = auth_service.create_department(session, actor=SYSTEM, code="finance",
                                                name="金融办")  # fmt: skip
        auth_service.create_user(
            session, actor=SYSTEM, username="bench", role=Role.OFFICER, password=PASSWORD,
            department_id=office.id, must_change_password=False,
        )  # fmt: skip
        ids = []
        for i in range(1, firms + 1):
            firm = enterprises.create(session, actor=SYSTEM, name=f"衢州测试{i:04d}有限公司",
                                      code=synthetic(50_000 + i))  # fmt: skip
            ids.append(firm.id)
            if rng.random() < 0.85:  # most firms report figures; the rest are unknown
                for key, value in (("revenue", rng.lognormvariate(7.5, 1.0)),
                                   ("rd_expense", rng.lognormvariate(4.0, 1.0)),
                                   ("tax_paid", rng.lognormvariate(3.5, 1.0)),
                                   ("staff_total", float(rng.randint(10, 900)))):  # fmt: skip
                    facts.record(
                        session, actor=SYSTEM, enterprise_id=firm.id, metric_key=key,
                        period=str(day.year - 1), value=round(value, 1), source="stats",
                        as_of=day,
                    )  # fmt: skip
        for n in range(10):
            data = products.NewProduct(
                name=f"产品{n}", lender=f"银行{n % 4}", kind="credit",
                eligibility=RULES[n % len(RULES)], min_wan="50", max_wan=str(500 * (n + 1)),
            )  # fmt: skip
            products.create(session, actor=SYSTEM, data=data)
        for firm_id in ids:
            need = needs.NewNeed(firm=str(firm_id), amount_wan=str(rng.randint(100, 3000)),
                                 purpose="流动资金")  # fmt: skip
            needs.create(session, actor=SYSTEM, today=day, data=need, source="import")
        for e in range(events_n):
            chosen = rng.sample(ids, 10)
            made = events.create_event(
                session, actor=SYSTEM, today=day, name=f"银企对接会{e}",
                held_on=day - dt.timedelta(days=e * 7), lenders=["银行0", "银行1"],
                firms=[str(i) for i in chosen],
            )  # fmt: skip
            for firm_id in chosen[:5]:
                events.record(session, actor=SYSTEM, event_id=made.id, data=events.NewOutcome(
                    firm=str(firm_id), lender="银行0", granted_wan="300",
                    disbursed_wan="200"))  # fmt: skip
    engine.dispose()
    return time.perf_counter() - started


def _totals_one_by_one(session: Session, *, actor: Actor, rows: list[Any]) -> dict[int, Any]:
    return {e.id: events.event_totals(session, actor=actor, event_id=e.id) for e in rows}


@contextmanager
def before() -> Iterator[None]:
    """The page as it was: each firm's plan on its own, each event's totals on their own."""
    saved = events.invitations, events.all_totals
    events.invitations, events.all_totals = (  # type: ignore[assignment]
        events.invitations_one_by_one, _totals_one_by_one,
    )  # fmt: skip
    try:
        yield
    finally:
        events.invitations, events.all_totals = saved  # type: ignore[assignment]


def sign_in(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert token is not None
    client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=500)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'events.db'}"
    built = build(url, args.needs, args.events)
    print(f"数据库：{args.needs} 条待对接需求（每家企业一条）、10 个产品、{args.events} 场活动，"
          f"建库 {built:.1f} s")  # fmt: skip
    engine = create_engine(url)
    settings = Settings(
        database_url=url, data_dir=folder / "data", log_requests=False, warm_up=False
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        sign_in(client)
        first = client.get("/capital/events")
        assert first.status_code == 200, first.status_code
        results: dict[str, list[float]] = {"现在（批量）": [], "原来（逐家、逐场）": []}
        pages: dict[str, str] = {}
        for _ in range(args.requests):  # alternated, so that both meet the same machine load
            for label in results:
                with before() if label.startswith("原来") else _nothing():
                    started = time.perf_counter()
                    response = client.get("/capital/events")
                    results[label].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                pages[label] = re.sub(r'name="csrf_token" value="[0-9a-f]+"', "", response.text)
        same = len(set(pages.values())) == 1
        for label, times in results.items():
            print(f"  {label}：中位数 {statistics.median(times):8.1f} ms  "
                  f"最慢 {max(times):8.1f} ms（{args.requests} 次）")  # fmt: skip
        ratio = statistics.median(results["原来（逐家、逐场）"]) / statistics.median(
            results["现在（批量）"]
        )
        print(f"  快 {ratio:.1f} 倍；两种算法的页面内容{'相同' if same else '不同！'}")
    engine.dispose()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    main()
