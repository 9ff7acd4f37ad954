"""The policy module's service: runs with 免申即享 and 快申快享, payouts once per firm, policy
and period, the calculator, what-if, pools, versions that must pass their tests; per role."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.policy.conftest import actor_of
from wulian.core.errors import Conflict, InvalidFile, InvalidInput, PermissionDenied
from wulian.policy import service
from wulian.policy.models import Payout, PolicyOutcome, PolicyVersion


def outcomes(world, run_id, code):
    def read(session):
        rows = session.scalars(
            sa.select(PolicyOutcome)
            .where(PolicyOutcome.run_id == run_id, PolicyOutcome.policy_code == code)
            .order_by(PolicyOutcome.enterprise_id)
        )
        return [(o.status, o.amount, o.mode, o.missing, o.supply) for o in rows]

    return world.run(read)


def test_a_run_says_who_gets_what_and_how(world, zone):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    assert outcomes(world, run_id, "rd_subsidy") == [
        ("eligible", 10.0, "免申即享", [], []),
        ("eligible", 20.0, "快申快享", [], ["rd_expense"]),  # self-reported, not yet verified
        ("unknown", None, "快申快享", ["rd_expense_1"], ["rd_expense_1"]),
        ("ineligible", 0.0, None, [], []),
        ("eligible", 100.0, "免申即享", [], []),  # 10% of 2,900, capped at 100
    ]
    # 亩均 classes were never published: unknown, never "not eligible"
    assert {o[0] for o in outcomes(world, run_id, "landuse_tax")} == {"unknown"}
    assert all(
        o[3] == ["grade", "landuse_low", "land_area"]
        for o in outcomes(world, run_id, "landuse_tax")
    )


def test_payouts_are_approved_once_per_firm_policy_and_period(world, zone):
    analyst = actor_of(world, "analyst1")
    officer = actor_of(world, "officer1")
    first = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    second = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    ids = zone["ids"]
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.approve(s, actor=analyst, run_id=first, code="rd_subsidy",
                                            enterprise_ids=[ids[0]]))  # fmt: skip
    with pytest.raises(InvalidInput, match="不符合条件"):
        world.run(lambda s: service.approve(s, actor=officer, run_id=first, code="rd_subsidy",
                                            enterprise_ids=[ids[0], ids[3]]))  # fmt: skip
    assert world.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0  # all or nothing
    world.run(lambda s: service.approve(s, actor=officer, run_id=first, code="rd_subsidy",
                                        enterprise_ids=[ids[0], ids[4]]))  # fmt: skip
    with pytest.raises(Conflict, match="政策甲科技有限公司"):
        world.run(lambda s: service.approve(s, actor=officer, run_id=second, code="rd_subsidy",
                                            enterprise_ids=[ids[0], ids[1]]))  # fmt: skip
    query = sa.select(Payout.enterprise_id, Payout.amount).order_by(Payout.enterprise_id)
    paid = world.run(lambda s: [tuple(r) for r in s.execute(query)])
    assert paid == [(ids[0], 10.0), (ids[4], 100.0)]
    audited = world.scalar(
        sa.text("SELECT count(*) FROM audit_log WHERE object_type = 'policy_payouts'")
    )
    assert audited == 2


def test_roles(world, zone):
    firm = actor_of(world, "firm0")
    officer = actor_of(world, "officer1")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.create_run(s, actor=firm, period=2024))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.create_run(s, actor=officer, period=2024))
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.calculator(s, actor=firm, enterprise_id=zone["ids"][1], period=2024)
        )
    own = world.run(
        lambda s: service.calculator(s, actor=firm, enterprise_id=zone["ids"][0], period=2024)
    )
    assert "rd_subsidy" in [e.policy for e in own.eligible]
    assert [
        i.policy.id for i in world.run(lambda s: service.library(s, actor=firm, q="增量补助"))
    ] == ["rd_subsidy"]


def test_the_calculator_explains_in_chinese(world, zone):
    analyst = actor_of(world, "analyst1")
    result = world.run(
        lambda s: service.calculator(s, actor=analyst, enterprise_id=zone["ids"][3], period=2024)
    )
    subsidy = next(e for e in result.ineligible + result.near if e.policy == "rd_subsidy")
    grew = next(line for line in subsidy.conditions if line.key == "grew")
    assert grew.reason() == "研发费用增量 -200 万元，需 > 0"
    unknown = next(e for e in result.unknown if e.policy == "landuse_tax")
    assert unknown.missing == [
        ("grade", "亩均效益评价类别"),
        ("landuse_low", "列入低效企业名单"),
        ("land_area", "用地面积"),
    ]
    kexing = next(
        e
        for e in (*result.eligible, *result.near, *result.ineligible, *result.unknown)
        if e.policy == "kexing"
    )
    assert kexing.score == 4 + 20 + 12  # 12% tech staff, R&D 3% of revenue, two Class II items


def test_what_if_shows_the_change_before_publishing(world, zone):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    result = world.run(
        lambda s: service.what_if(
            s, actor=analyst, run_id=run_id, code="rd_subsidy", parameter="rate", value=0.2
        )
    )
    assert (result.total_before, result.total_after) == (130.0, 160.0)
    assert [c.name for c in result.gainers] == ["政策乙科技有限公司", "政策甲科技有限公司"]
    assert result.losers == []
    with pytest.raises(InvalidInput, match="没有参数"):
        world.run(lambda s: service.what_if(s, actor=analyst, run_id=run_id, code="rd_subsidy",
                                            parameter="nope", value=1))  # fmt: skip


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("rate", -0.2, "“补助比例”应在 0% 至 100% 之间（给出的是 -20%）"),
        ("rate", 5.0, "“补助比例”应在 0% 至 100% 之间（给出的是 500%）"),
        ("cap", -10.0, "“单个企业年度补助上限”应在 0 万元 至 10000 万元 之间"),
        ("rate", float("nan"), "“补助比例”应为数字"),
    ],
)
def test_a_what_if_outside_a_parameters_declared_range_is_refused(
    world, zone, parameter, value, message
):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        world.run(lambda s: service.what_if(s, actor=analyst, run_id=run_id, code="rd_subsidy",
                                            parameter=parameter, value=value))  # fmt: skip


def test_a_what_if_at_the_edge_of_the_range_stays_within_cap_and_floor(world, zone):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    result = world.run(
        lambda s: service.what_if(
            s, actor=analyst, run_id=run_id, code="rd_subsidy", parameter="rate", value=1.0
        )
    )
    changes = result.gainers + result.losers
    assert changes
    assert all(0 <= (c.amount_after or 0) <= 100 for c in changes)


def test_a_new_version_must_pass_its_tests_and_name_known_sources(world, zone):
    analyst = actor_of(world, "analyst1")
    base = world.scalar(sa.select(PolicyVersion.id).where(PolicyVersion.code == "rd_subsidy"))
    text = service.shipped_text("rd_subsidy")
    wrong = text.replace(
        "expect: {status: eligible, amount: 10}", "expect: {status: eligible, amount: 11}"
    )
    with pytest.raises(InvalidFile) as caught:
        world.run(lambda s: service.save_version(s, actor=analyst, text=wrong, based_on_id=base))
    line = next(i for i, t in enumerate(wrong.splitlines(), 1) if "2024年增加100万元" in t)
    assert caught.value.problems[0].row == line
    assert "金额应为 11，实际为 10" in caught.value.problems[0].reason
    unknown = text.replace(
        "source: {metric: rd_expense, lag: 1}", "source: {metric: rd_spend, lag: 1}"
    )
    with pytest.raises(InvalidFile, match="指标目录中没有这个指标"):
        world.run(lambda s: service.save_version(s, actor=analyst, text=unknown, based_on_id=base))
    reads_another = text.replace("expr: increase > 0", "expr: increase > 0 and award.eligible")
    with pytest.raises(InvalidFile, match="没有政策“award”"):
        world.run(
            lambda s: service.save_version(s, actor=analyst, text=reads_another, based_on_id=base)
        )
    higher = text.replace("value: 0.10, reference", "value: 0.12, reference").replace(
        "amount: 10}", "amount: 12}"
    )
    row = world.run(lambda s: service.save_version(s, actor=analyst, text=higher, based_on_id=base))
    assert world.scalar(sa.select(PolicyVersion.version).where(PolicyVersion.id == row.id)) == 2
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    assert outcomes(world, run_id, "rd_subsidy")[0][1] == 12.0
    assert (
        world.run(lambda s: service.create_run(s, actor=SYSTEM, period=2024).versions["rd_subsidy"])
        == row.id
    )


def test_a_version_may_not_drop_an_output_other_policies_read(world, zone):
    """专精特新、小巨人、创新型 read 科小's R&D ratio (kexing.rd_revenue_ratio): a kexing version
    without it is refused, naming them; the run reads it once for all of them."""
    analyst = actor_of(world, "analyst1")
    base = world.scalar(sa.select(PolicyVersion.id).where(PolicyVersion.code == "kexing"))
    text = service.shipped_text("kexing")
    renamed = text.replace("key: rd_revenue_ratio", "key: rd_share").replace(
        "band(rd_revenue_points, rd_revenue_ratio)", "band(rd_revenue_points, rd_share)"
    )
    with pytest.raises(InvalidFile) as caught:
        world.run(lambda s: service.save_version(s, actor=analyst, text=renamed, based_on_id=base))
    message = caught.value.message
    assert "chuangxin" in message
    assert "没有结果“rd_revenue_ratio”" in message
    policy = world.run(lambda s: service.current_policy(s, "xiaojuren"))
    assert set(policy.uses) == {"chuangxin", "kexing"}
    assert {"rd_expense", "revenue", "main_business_revenue"} <= set(policy.all_inputs)
    readable = service.readable(policy)
    label = "科技型中小企业评价·研发费用占销售收入比例"
    assert any(label in rule for _, rule in readable.conditions)


def test_pools_list_near_misses_without_the_title(world, zone):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    _, found = world.run(lambda s: service.pools(s, actor=analyst, run_id=run_id))
    assert [p.policy.id for p in found][:2] == ["kexing", "chuangxin"]
    for pool in found:
        for members in pool.by_chain.values():
            for member in members:
                assert member.explanation.status == "ineligible"
                assert member.explanation.near
