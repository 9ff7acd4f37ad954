"""Facts and the input frame: supersession, source priority, as-of, unknown is not zero."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.enterprises import facts
from wulian.enterprises.models import Fact, FactStatus
from wulian.reference import service as reference_service

D1, D2, D3 = dt.date(2025, 3, 1), dt.date(2025, 6, 1), dt.date(2025, 9, 1)


@pytest.fixture
def zone(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    return {
        "a": world.enterprise("甲公司"),
        "b": world.enterprise("乙公司"),
        "c": world.enterprise("丙公司"),
        "outside": world.enterprise("园外公司", in_zone=False),
    }


def put(world, enterprise_id, metric, value, source="stats", as_of=D1, period="2024", actor=SYSTEM):
    return world.run(
        lambda s: (
            facts.record(
                s,
                actor=actor,
                enterprise_id=enterprise_id,
                metric_key=metric,
                period=period,
                value=value,
                source=source,
                as_of=as_of,
            ).id
        )
    )


def matrix(world, metrics, **kwargs):
    return world.run(
        lambda s: facts.build_matrix(s, actor=SYSTEM, metrics=metrics, period="2024", **kwargs)
    )


def test_newer_value_supersedes_and_history_stays(world, zone):
    first = put(world, zone["a"], "revenue", 1200.0)
    again = put(world, zone["a"], "revenue", 1200.0)  # the same value again changes nothing
    assert again == first
    second = put(world, zone["a"], "revenue", 1350.5, as_of=D2)
    rows = world.run(
        lambda s: [
            (f.value, f.is_current)
            for f in facts.history(
                s, actor=SYSTEM, enterprise_id=zone["a"], metric_key="revenue", period="2024"
            )
        ]
    )
    assert rows == [(1350.5, True), (1200.0, False)]
    assert second != first
    result = matrix(world, ["revenue"])
    assert result.frame.filter(pl.col("enterprise_id") == zone["a"])["revenue"].item() == 1350.5


def test_unknown_is_null_never_zero_and_is_reported_missing(world, zone):
    put(world, zone["a"], "revenue", 0.0)  # a real zero stays zero
    put(world, zone["b"], "rd_expense", 12.5)
    result = matrix(world, ["revenue", "rd_expense"])
    frame = result.frame.sort("enterprise_id")
    assert frame["enterprise_id"].to_list() == [zone["a"], zone["b"], zone["c"]]  # in-zone only
    assert frame["revenue"].to_list() == [0.0, None, None]
    assert frame["rd_expense"].to_list() == [None, 12.5, None]
    assert frame.schema["revenue"] == pl.Float64
    missing = set(result.missing.iter_rows())
    assert missing == {
        (zone["a"], "rd_expense"),
        (zone["b"], "revenue"),
        (zone["c"], "revenue"),
        (zone["c"], "rd_expense"),
    }


def test_the_most_trusted_source_wins_and_provenance_names_it(world, zone):
    put(world, zone["a"], "revenue", 900.0, source="self", as_of=D3)
    put(world, zone["a"], "revenue", 1000.0, source="tax", as_of=D1)
    result = matrix(world, ["revenue"], with_provenance=True)
    row = result.provenance.filter(pl.col("enterprise_id") == zone["a"]).row(0, named=True)
    assert (row["source"], row["as_of"], row["status"]) == ("tax", D1, "reported")
    assert result.frame["revenue"][0] == 1000.0
    assert matrix(world, ["revenue"]).provenance is None  # only when asked for
    # Priorities are configuration: trust the firm's own report more, and it wins.
    world.run(lambda s: facts.set_source_priority(s, actor=SYSTEM, code="self", priority=1))
    assert matrix(world, ["revenue"]).frame["revenue"][0] == 900.0


def test_two_sources_cannot_share_a_priority(world, zone):
    with pytest.raises(InvalidInput, match="优先级 10 已由“税务部门”使用"):
        world.run(lambda s: facts.set_source_priority(s, actor=SYSTEM, code="self", priority=10))


def test_a_matrix_sees_values_written_earlier_in_the_same_transaction(world, zone):
    def write_then_read(s):
        facts.record(
            s,
            actor=SYSTEM,
            enterprise_id=zone["b"],
            metric_key="revenue",
            period="2024",
            value=77.0,
            source="stats",
            as_of=D1,
        )
        return facts.build_matrix(s, actor=SYSTEM, metrics=["revenue"], period="2024")

    frame = world.run(write_then_read).frame
    assert frame.filter(pl.col("enterprise_id") == zone["b"])["revenue"].item() == 77.0


def test_rejected_values_are_not_used(world, zone):
    fact_id = put(world, zone["a"], "revenue", 5000.0, source="self")
    put(world, zone["a"], "revenue", 1000.0, source="officer")
    world.run(lambda s: facts.set_source_priority(s, actor=SYSTEM, code="self", priority=1))
    assert matrix(world, ["revenue"]).frame["revenue"][0] == 5000.0
    world.run(lambda s: facts.reject(s, actor=SYSTEM, fact_id=fact_id, reason="与税务数据不符"))
    assert matrix(world, ["revenue"]).frame["revenue"][0] == 1000.0


def test_as_of_gives_what_was_known_then(world, zone):
    put(world, zone["a"], "revenue", 1000.0, as_of=D1)
    put(world, zone["a"], "revenue", 1100.0, as_of=D3)
    assert matrix(world, ["revenue"], as_of=D2).frame["revenue"][0] == 1000.0
    assert matrix(world, ["revenue"], as_of=D3).frame["revenue"][0] == 1100.0
    assert matrix(world, ["revenue"], as_of=dt.date(2025, 1, 1)).frame["revenue"][0] is None


def test_bad_values_are_refused_in_chinese_and_change_nothing(world, zone):
    cases = [
        ({"metric": "revenue", "value": -5.0}, "“营业收入”不能小于 0 万元"),
        ({"metric": "staff_total", "value": 10.5}, "“职工总数”应为整数"),
        ({"metric": "revenue", "value": 1.0, "period": "24"}, "期间应为 YYYY（如 2024）"),
        ({"metric": "rd_intensity", "value": 0.05}, "是计算指标"),
        ({"metric": "revenue", "value": 1.0, "source": "rumour"}, "数据来源“rumour”不存在"),
        ({"metric": "revenue", "value": float("nan")}, "不是有效的数字"),
    ]
    for arguments, message in cases:
        with pytest.raises(InvalidInput, match=message):
            put(world, zone["a"], **arguments)
    with pytest.raises(NotFound, match="没有“profit_margin”"):
        put(world, zone["a"], "profit_margin", 1.0)
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0


def test_enterprise_users_report_only_their_own_firm_as_self_reports(world, zone):
    firm = Actor(
        kind="user",
        id=5,
        label="firm-a",
        role=Role.ENTERPRISE,
        enterprise_id=zone["a"],
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
    )
    put(world, zone["a"], "revenue", 10.0, source="self", actor=firm)
    with pytest.raises(PermissionDenied, match="只能填报本企业"):
        put(world, zone["b"], "revenue", 10.0, source="self", actor=firm)
    with pytest.raises(PermissionDenied, match="企业自报"):
        put(world, zone["a"], "revenue", 10.0, source="tax", actor=firm)
    with pytest.raises(PermissionDenied):
        world.run(lambda s: facts.build_matrix(s, actor=firm, metrics=["revenue"], period="2024"))
    own = world.run(
        lambda s: facts.build_matrix(
            s, actor=firm, metrics=["revenue"], period="2024", enterprise_ids=[zone["a"]]
        )
    )
    assert own.frame.to_dicts() == [{"enterprise_id": zone["a"], "revenue": 10.0}]
    with pytest.raises(PermissionDenied):
        world.run(lambda s: facts.verify(s, actor=firm, fact_id=1))


def test_review_rules(world, zone):
    old = put(world, zone["a"], "revenue", 1.0)
    new = put(world, zone["a"], "revenue", 2.0, as_of=D2)
    with pytest.raises(InvalidInput, match="已被更新的数据取代"):
        world.run(lambda s: facts.verify(s, actor=SYSTEM, fact_id=old))
    with pytest.raises(InvalidInput, match="必须填写理由"):
        world.run(lambda s: facts.reject(s, actor=SYSTEM, fact_id=new, reason=" "))
    world.run(lambda s: facts.verify(s, actor=SYSTEM, fact_id=new))
    with pytest.raises(InvalidInput, match="已经审核过"):
        world.run(lambda s: facts.verify(s, actor=SYSTEM, fact_id=new))
    status = world.scalar(sa.select(Fact.status).where(Fact.id == new))
    assert status == FactStatus.VERIFIED


def test_unknown_metric_in_a_matrix_is_named(world, zone):
    with pytest.raises(InvalidInput, match="指标目录中没有：nonsense"):
        matrix(world, ["revenue", "nonsense"])


PRIORITY = {"tax": 10, "stats": 20, "officer": 50, "self": 60}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matrix_agrees_with_a_plain_python_reference(world, zone, seed):
    rng = random.Random(seed)
    firms = [zone["a"], zone["b"], zone["c"]]
    metrics = ["revenue", "rd_expense", "tax_paid"]
    written: list[dict] = []
    for _ in range(40):
        row = {
            "enterprise_id": rng.choice(firms),
            "metric": rng.choice(metrics),
            "value": float(rng.randint(0, 50)),
            "source": rng.choice(list(PRIORITY)),
            "as_of": rng.choice([D1, D2, D3]),
        }
        put(world, row["enterprise_id"], row["metric"], row["value"], row["source"], row["as_of"])
        written.append(row)
    # Reference: the latest write per (firm, metric, source) is current; then the best source,
    # the latest date, the latest write.
    current: dict[tuple, dict] = {}
    for order, row in enumerate(written):
        key = (row["enterprise_id"], row["metric"], row["source"])
        previous = current.get(key)
        if previous and previous["value"] == row["value"] and previous["as_of"] == row["as_of"]:
            continue
        current[key] = {**row, "order": order}
    expected: dict[tuple, float] = {}
    for firm in firms:
        for metric in metrics:
            candidates = [r for (f, m, _), r in current.items() if f == firm and m == metric]
            if candidates:
                best = min(
                    candidates,
                    key=lambda r: (PRIORITY[r["source"]], -r["as_of"].toordinal(), -r["order"]),
                )
                expected[(firm, metric)] = best["value"]
    frame = matrix(world, metrics).frame
    detailed = matrix(world, metrics, with_provenance=True)
    assert detailed.frame.equals(frame)
    assert detailed.provenance is not None
    known = frame.drop("enterprise_id").unpivot().drop_nulls().height
    assert detailed.provenance.height == known
    for row in frame.iter_rows(named=True):
        for metric in metrics:
            assert row[metric] == expected.get((row["enterprise_id"], metric)), (row, metric)


def test_a_period_not_yet_begun_or_absurdly_old_is_refused(world, zone):
    """A value is for a period that had begun by its as-of date, and not before 1990."""
    with pytest.raises(InvalidInput, match="期间 2099 尚未开始"):
        put(world, zone["a"], "revenue", 1.0, period="2099")
    with pytest.raises(InvalidInput, match="期间 2026 尚未开始（数据日期 2025-03-01）"):
        put(world, zone["a"], "revenue", 1.0, period="2026", as_of=D1)
    with pytest.raises(InvalidInput, match="1990 年以前"):
        put(world, zone["a"], "revenue", 1.0, period="1901")
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0
    put(world, zone["a"], "revenue", 1.0, period="2025", as_of=D1)  # the year under way
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 1
