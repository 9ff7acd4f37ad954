"""The fund matrix as its users meet it: the finance office enters funds, commitments and
investments (in registry firms and in 招商 projects); others read or are refused; leverage and
返投 follow the documented definition, worked through by hand."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.capital.conftest import TODAY, commit, fund, invest, matrix_of
from wulian.capital import service
from wulian.capital.models import Commitment, Fund, FundInvestment
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, PermissionDenied


def count(world, model) -> int:
    return int(world.scalar(sa.select(sa.func.count()).select_from(model)))


def two_funds(world, zone):
    """The worked example of docs/guide/capital.md."""
    fin = zone.actor(world, "fin1")
    mother = fund(world, fin, "衢州产业母基金", "mother", reinvest_pct="50")
    sub = fund(world, fin, "锂电子基金", "sub", parent="衢州产业母基金", reinvest_pct="100")
    commit(world, fin, mother, "市财政局", "government", "10", "10")
    commit(world, fin, mother, "市国资公司", "state_owned", "5", "5")
    commit(world, fin, sub, "衢州产业母基金", "government", "2", "2")
    commit(world, fin, sub, "某私募投资机构", "social", "8", "4")
    invest(world, fin, fund="衢州产业母基金", firm="衢州锂测材料有限公司", amount="1",
           round_total="5")  # fmt: skip
    invest(world, fin, fund="锂电子基金", project_id=zone.project, amount="2")
    return fin, mother, sub


def test_leverage_worked_example(world, zone):
    fin, mother, sub = two_funds(world, zone)
    m = matrix_of(world, fin)
    # the matrix: government money is the city's 10亿 paid in (the mother fund's 2亿 in its
    # sub-fund stays inside); the funded firm's round of 5亿 and the project's 20亿 → 25亿
    assert m.total.government == 10 * 10**8
    assert m.total.leveraged == 25 * 10**8
    assert m.total.leverage == Decimal("2.50")
    assert m.total.committed == 23 * 10**8  # 10 + 5 + 8; the mother fund's 2亿 not twice
    assert m.total.paid_in == 19 * 10**8
    assert m.total.projects == 1
    assert m.total.projects_total == 20 * 10**8
    # the sub-fund alone: the mother fund's 2亿 is its government money; 20亿 ÷ 2亿
    assert m.per_fund[sub].leverage == Decimal("10.00")
    assert m.per_fund[mother].leverage == Decimal("2.50")  # with its sub-fund
    # what is left to invest: 15 − 1 − 2 (its commitment to the sub-fund); 10 − 2
    assert m.own[mother].remaining == 12 * 10**8
    assert m.own[sub].remaining == 8 * 10**8
    # 返投: the mother fund must invest 50% of 15亿 locally, the sub-fund 100% of 10亿
    assert m.own[mother].reinvest_required == Decimal("7.5") * 10**8
    assert m.own[mother].reinvest_done == 1 * 10**8
    assert m.own[mother].reinvest_share == Decimal("13.33")
    assert m.own[sub].reinvest_share == Decimal("20.00")
    rows = {(r.chain, r.node): r for r in m.by_chain}
    assert rows[("lithium", "cathode")].leveraged == 20 * 10**8


def test_government_money_is_configurable(world, zone):
    fin, _, _ = two_funds(world, zone)
    admin = zone.actor(world, "admin")
    world.run(
        lambda s: service.update_config(
            s, actor=admin, government_kinds=["government", "state_owned"], leverage_base="paid_in"
        )
    )
    m = matrix_of(world, fin)
    assert m.total.government == 15 * 10**8
    assert m.total.leverage == Decimal("1.67")
    world.run(
        lambda s: service.update_config(
            s, actor=admin, government_kinds=["social"], leverage_base="committed"
        )
    )
    m = matrix_of(world, fin)
    assert m.total.government == 8 * 10**8
    assert m.total.leverage == Decimal("3.12")
    with pytest.raises(PermissionDenied):  # finance.admin only
        world.run(
            lambda s: service.update_config(
                s, actor=fin, government_kinds=["government"], leverage_base="paid_in"
            )
        )


def test_leverage_is_unknown_without_government_money(world, zone):
    fin = zone.actor(world, "fin1")
    f = fund(world, fin, "社会资本基金", "ma")
    commit(world, fin, f, "某私募", "social", "3", "3")
    m = matrix_of(world, fin)
    assert m.total.government == 0
    assert m.total.leverage is None  # unknown, not zero
    assert m.own[f].reinvest_required is None


def test_a_firm_round_without_its_total_counts_the_funds_own_amount(world, zone):
    fin = zone.actor(world, "fin1")
    f = fund(world, fin, "政府产业基金", "industry")
    commit(world, fin, f, "市财政局", "government", "4", "4")
    invest(world, fin, fund="政府产业基金", firm=str(zone.firm_b), amount="3000", unit="万元")
    m = matrix_of(world, fin)
    assert m.total.leveraged == 3000 * 10**4
    assert m.total.unknown_rounds == 1
    assert m.total.leverage == Decimal("0.08")


def test_an_investment_outside_the_zone_does_not_count_for_reinvestment(world, zone):
    fin = zone.actor(world, "fin1")
    f = fund(world, fin, "并购基金", "ma", reinvest_pct="60")
    commit(world, fin, f, "市财政局", "government", "1")
    invest(world, fin, fund="并购基金", firm="上海外测电子有限公司", amount="0.4")
    invest(world, fin, fund="并购基金", firm="衢州硅测科技有限公司", amount="0.2")
    m = matrix_of(world, fin)
    assert m.own[f].reinvest_done == 2 * 10**7
    assert m.own[f].reinvest_required == 6 * 10**7
    assert m.own[f].reinvest_share == Decimal("33.33")


def test_an_investment_beyond_the_remaining_commitment_is_refused(world, zone):
    fin, _, sub = two_funds(world, zone)
    with pytest.raises(InvalidInput) as refused:
        invest(world, fin, fund="锂电子基金", firm="衢州硅测科技有限公司", amount="8.5")
    assert "超过基金“锂电子基金”的剩余认缴额 8 亿元" in refused.value.message
    assert "已投资 2 亿元" in refused.value.message
    assert count(world, FundInvestment) == 2
    invest(world, fin, fund="锂电子基金", firm="衢州硅测科技有限公司", amount="8")  # exactly all
    with pytest.raises(InvalidInput, match="剩余认缴额 0 亿元"):
        invest(world, fin, fund="锂电子基金", firm="衢州硅测科技有限公司", amount="0.001")
    # a mother fund commits to a sub-fund from its own remaining commitment too
    with pytest.raises(InvalidInput, match="认缴金额 13 亿元超过基金“衢州产业母基金”"):
        commit(world, fin, sub, "衢州产业母基金", "government", "13")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"amount": "50000"}, "疑似按万元填写（按万元即 5 亿元）"),
        ({"amount": "0.5", "unit": "万元"}, "疑似按亿元填写（按亿元即 5000 万元）"),
        ({"amount": "一亿"}, "不是数字"),
        ({"amount": "-1"}, "应大于 0"),
        ({"amount": "1", "unit": "元"}, "金额单位应为亿元或万元"),
        ({"amount": "1", "fund": "不存在的基金"}, "没有名为“不存在的基金”的基金"),
        ({"amount": "1", "firm": "不存在的公司"}, "企业名録里没有".replace("録", "录")),
        ({"amount": "1", "firm": ""}, "二选一"),
        ({"amount": "1", "round_total": "0.5"}, "本轮融资总额 0.5 亿元小于"),
        ({"amount": "1", "chain": "lithium", "node": "nowhere"}, "没有编号为“nowhere”的环节"),
    ],
)
def test_a_bad_investment_is_refused_with_the_reason(world, zone, fields, words):
    fin = zone.actor(world, "fin1")
    f = fund(world, fin, "测试基金", "industry")
    commit(world, fin, f, "市财政局", "government", "10")
    values = {"fund": "测试基金", "firm": "衢州锂测材料有限公司"} | fields
    with pytest.raises(InvalidInput) as refused:
        invest(world, fin, **values)
    assert words in refused.value.message
    assert count(world, FundInvestment) == 0


def test_a_project_investment_counts_the_project_and_is_checked(world, zone):
    fin = zone.actor(world, "fin1")
    f = fund(world, fin, "子基金甲", "industry")
    commit(world, fin, f, "市财政局", "government", "30")
    with pytest.raises(InvalidInput, match="没有编号为 999 的项目"):
        invest(world, fin, fund="子基金甲", project_id=999, amount="1")
    with pytest.raises(InvalidInput, match="投资金额大于项目"):
        invest(world, fin, fund="子基金甲", project_id=zone.project, amount="25")
    row = invest(world, fin, fund="子基金甲", project_id=zone.project, amount="3")
    saved = world.scalar(sa.select(FundInvestment).where(FundInvestment.id == row))
    assert (saved.chain, saved.node, saved.local) == ("lithium", "cathode", True)
    assert saved.round_total_yuan == 20 * 10**8


# ---------------------------------------------------------------- who may do what


def test_only_the_finance_office_writes_and_a_refusal_is_audited(world, zone):
    other = zone.actor(world, "inv1")
    with pytest.raises(PermissionDenied) as refused:
        fund(world, other, "越权基金")
    assert "只有金融办的工作人员" in refused.value.message
    for name in ("analyst", "firm_user"):
        with pytest.raises(PermissionDenied):
            fund(world, zone.actor(world, name), "越权基金")
    assert count(world, Fund) == 0

    def attempt(s):
        error = PermissionDenied(service.OFFICE_ONLY)
        service.refused(s, actor=other, object_type="capital_funds", object_id=None,
                        attempt="登记基金", error=error)  # fmt: skip

    world.run(attempt)
    entry = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "capital.refused"))
    assert entry is not None
    assert entry.after["attempt"] == "登记基金"
    fund(world, zone.actor(world, "admin"), "管理员登记的基金")  # administrators answer for all


def test_staff_read_the_matrix_and_a_firm_only_its_own_investments(world, zone):
    two_funds(world, zone)
    for name in ("inv1", "analyst", "admin"):
        assert matrix_of(world, zone.actor(world, name)).total.leverage == Decimal("2.50")
    firm_user = zone.actor(world, "firm_user")
    with pytest.raises(PermissionDenied, match="只对园区工作人员开放"):
        matrix_of(world, firm_user)
    own = world.run(lambda s: service.firm_capital(s, actor=firm_user, enterprise_id=zone.firm))
    assert [r.target_name for r in own.investments] == ["衢州锂测材料有限公司"]
    with pytest.raises(PermissionDenied, match="只能查看本企业的数据"):
        world.run(lambda s: service.firm_capital(s, actor=firm_user, enterprise_id=zone.firm_b))


def test_commitments_paid_in_valuation_and_exit(world, zone):
    fin, mother, _ = two_funds(world, zone)
    with pytest.raises(InvalidInput, match="实缴金额 12 亿元大于认缴金额 10 亿元"):
        commit(world, fin, mother, "区财政局", "government", "10", "12")
    cid = world.scalar(sa.select(Commitment.id).where(Commitment.investor == "某私募投资机构"))
    world.run(lambda s: service.pay_in(s, actor=fin, commitment_id=cid, paid_in="80000",
                                       unit="万元"))  # fmt: skip
    assert matrix_of(world, fin).total.paid_in == 23 * 10**8
    row = world.scalar(
        sa.select(FundInvestment.id).where(FundInvestment.enterprise_id.is_not(None))
    )
    world.run(lambda s: service.value(s, actor=fin, today=TODAY, investment_id=row,
                                      valuation="1.6"))  # fmt: skip
    world.run(lambda s: service.exit_investment(s, actor=fin, today=TODAY, investment_id=row,
                                                proceeds="1.8"))  # fmt: skip
    m = matrix_of(world, fin)
    assert m.total.held == 2 * 10**8
    assert m.total.invested == 3 * 10**8
    with pytest.raises(Exception, match="已于 2026-06-30 退出"):
        world.run(lambda s: service.exit_investment(s, actor=fin, today=TODAY,
                                                    investment_id=row, proceeds="1"))  # fmt: skip


def test_the_export_lists_funds_and_investments_in_wan(world, zone):
    fin, _, _ = two_funds(world, zone)
    data = world.run(lambda s: service.export_xlsx(s, actor=fin))
    book = load_workbook(io.BytesIO(data))
    funds = list(book["基金矩阵"].values)
    assert funds[0][0] == "基金名称"
    mother = next(r for r in funds if r[0] == "衢州产业母基金")
    assert mother[4] == 150000
    assert mother[10] == 2.5
    rows = list(book["基金投资"].values)
    assert {r[1] for r in rows[1:]} == {"衢州锂测材料有限公司", "年产 5 万吨正极材料项目"}
