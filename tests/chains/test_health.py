"""Chain health and gaps as pure functions: unknown figures stay unknown, HHI and coverage keep
their bounds, ratings follow the spec's rule, and gaps are exactly the weak and missing nodes."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.chains import health
from wulian.chains.service import parse, shipped_text

LITHIUM = parse(shipped_text("lithium"))
NODES = [n.key for n in LITHIUM.nodes]

revenue = st.one_of(
    st.none(), st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_subnormal=False)
)
firm = st.tuples(st.sampled_from(NODES), revenue, revenue, st.booleans())


def frame(rows):
    return pl.DataFrame(
        [
            {"enterprise_id": i + 1, "node": node, "name": f"企业{i + 1}", "anchor": anchor,
             "revenue": now, "revenue_prev": before, "output": None if now is None else now / 4,
             "rd": None if now is None else now / 20}
            for i, (node, now, before, anchor) in enumerate(rows)
        ],
        schema=health.FIRM_SCHEMA,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(firm, max_size=40))
def test_figures_keep_their_bounds_and_unknown_stays_unknown(rows):
    state = health.health(LITHIUM, frame(rows))
    assert 0 <= state.completeness <= 1
    assert sum(state.counts.values()) == len(NODES)
    for node in state.nodes:
        on = [r for r in rows if r[0] == node.key]
        assert node.firms == len(on)
        assert (node.rating == health.MISSING) == (not on)
        known = [r[1] for r in on if r[1] is not None]
        assert node.revenue_unknown == len(on) - len(known)
        if known:
            assert node.revenue == pytest.approx(sum(known))
        else:
            assert node.revenue is None  # never 0 for "nobody reported"
        if node.hhi is not None:
            positive = [v for v in known if v > 0]
            assert 10_000 / len(positive) - 1e-6 <= node.hhi <= 10_000 + 1e-6
        if node.coverage is not None:
            assert 0 <= node.coverage <= 1
        if any(r[3] for r in on):
            assert node.rating == health.STRONG
    gaps = health.gaps(LITHIUM, state)
    assert {g.node.key for g in gaps} == {n.key for n in state.nodes if n.rating != health.STRONG}
    assert all(0 <= g.importance <= 100 for g in gaps)
    assert [g.importance for g in gaps] == sorted((g.importance for g in gaps), reverse=True)


def test_the_rule_and_the_reasons():
    rows = [
        ("cathode", 60_000.0, 50_000.0, False),
        ("cathode", 40_000.0, 50_000.0, False),
        ("cathode", 10_000.0, None, False),
        ("anode", 5_000.0, 4_000.0, False),
        ("anode", None, None, False),
        ("cell", 200_000.0, 100_000.0, False),
    ]
    state = health.health(LITHIUM, frame(rows))
    cathode, anode = state.node("cathode"), state.node("anode")
    assert cathode.rating == health.STRONG  # 3 firms and 11 亿元
    assert cathode.hhi == pytest.approx((36 + 16 + 1) / 121 * 10_000)
    assert cathode.growth == pytest.approx(0.0)  # only firms known in both years
    assert anode.rating == health.WEAK
    assert "1 家营收未知" in anode.reason
    assert state.node("separator").rating == health.MISSING
    assert state.totals.firms == 6
    gaps = {g.node.key: g for g in health.gaps(LITHIUM, state)}
    # the cell's 20 亿元 needs separators for 8% of its inputs
    assert gaps["separator"].demand == pytest.approx(200_000 * 0.08)
    assert gaps["recycling"].demand is None or gaps["recycling"].demand >= 0
    assert health.money(None) == "未知"
    assert health.money(123_456.0) == "12.35 亿元"
    assert health.money(9_675.0) == "9,675 万元"
