"""Two officers committing the same file at once, or a double-clicked self-report, leave one
current value per firm, metric, period and source: writers of a source take turns, and the
database refuses a second current value outright. Both databases, real threads, bounded."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.enterprises.test_imports import A, B, xlsx
from wulian.core import audit
from wulian.core.db import gave_up, session_factory, unit_of_work
from wulian.core.errors import Busy
from wulian.enterprises import facts, imports
from wulian.enterprises.models import Fact
from wulian.reference import service as reference_service

FIRMS = 30


def _duplicates(world) -> int:
    keys = (
        sa.select(Fact.enterprise_id, Fact.metric_id, Fact.period, Fact.source_id, Fact.status)
        .where(Fact.is_current)
        .group_by(Fact.enterprise_id, Fact.metric_id, Fact.period, Fact.source_id, Fact.status)
        .having(sa.func.count() > 1)
        .subquery()
    )
    return int(world.scalar(sa.select(sa.func.count()).select_from(keys)))  # type: ignore[arg-type]


def _together(engine, jobs) -> list[object]:
    """Run each job in its own thread and unit of work, started together; what each returned or
    raised."""
    start = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def run(index, job):
        start.wait(timeout=30)
        try:
            with unit_of_work(session_factory(engine)) as session:
                audit.track(session, SYSTEM)
                outcomes[index] = job(session)
        except Exception as error:  # the outcome is what the test checks
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return outcomes


def _accepted(outcomes) -> int:
    """How many succeeded; every failure must be the Chinese 'busy' answer, nothing else."""
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            assert isinstance(gave_up(outcome), Busy), repr(outcome)
    return sum(not isinstance(o, Exception) for o in outcomes)


def test_two_commits_of_the_same_file_leave_one_current_value_each(world, engine):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    rows = [["统一社会信用代码", "企业名称", "营业收入（万元）", "实缴税金（万元）"]]
    for i in range(FIRMS):
        code = A if i == 0 else (B if i == 1 else None)
        firm = world.enterprise(f"并发测试{i:02d}有限公司", code=code)
        rows.append([code or "", f"并发测试{i:02d}有限公司", 100 + i, 10 + i])
        assert firm
    data = xlsx(rows)

    def commit(session):
        return imports.import_facts(
            session, actor=SYSTEM, data=data, filename="税务.xlsx", period="2024",
            source="tax", as_of=dt.date(2025, 5, 1),
        )  # fmt: skip

    outcomes = _together(engine, [commit, commit])
    assert _accepted(outcomes) >= 1
    assert _duplicates(world) == 0
    assert world.scalar(sa.select(sa.func.count()).where(Fact.is_current)) == FIRMS * 2


def test_a_double_clicked_value_is_stored_once(world, engine):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    firm = world.enterprise("双击测试有限公司")

    def report(session):
        return facts.record(
            session, actor=SYSTEM, enterprise_id=firm, metric_key="revenue", period="2024",
            value=321.0, source="self", as_of=dt.date(2025, 5, 1),
        ).id  # fmt: skip

    outcomes = _together(engine, [report] * 4)
    assert _accepted(outcomes) >= 1
    assert _duplicates(world) == 0
    current = sa.select(sa.func.count()).where(Fact.is_current, Fact.enterprise_id == firm)
    assert world.scalar(current) == 1
