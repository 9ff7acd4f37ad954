"""Loans and the risk-compensation pool as their users meet them: loans only for firms of the
zone, the bad-loan ratio against the pool's thresholds (warn at 5%, no new loans from 8%),
compensation of a default proposed and approved by the finance office only."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.capital.conftest import TODAY
from wulian.capital import loans
from wulian.capital.models import Compensation, Loan
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied


def pool(world, actor, **fields):
    values = {"name": "科技贷风险池", "lender": "衢州某银行", "government": "500", "bank": "500"}
    values |= fields
    return int(world.run(lambda s: loans.create_pool(s, actor=actor, **values).id))


def loan(world, actor, **fields):
    values = {"firm": "衢州锂测材料有限公司", "lender": "衢州某银行", "granted": "100",
              "disbursed": "100"} | fields  # fmt: skip
    data = loans.NewLoan(**values)
    return int(world.run(lambda s: loans.register(s, actor=actor, today=TODAY, data=data).id))


def state(world, actor, pool_id):
    return world.run(lambda s: loans.pool_state(s, actor=actor, pool_id=pool_id))


def set_status(world, actor, loan_id, status, repaid=None):
    world.run(lambda s: loans.update(s, actor=actor, today=TODAY, loan_id=loan_id,
                                     status=status, repaid=repaid))  # fmt: skip


def test_a_loan_for_a_firm_outside_the_zone_is_refused(world, zone):
    fin = zone.actor(world, "fin1")
    with pytest.raises(InvalidInput, match="企业“上海外测电子有限公司”不在园区内"):
        loan(world, fin, firm="上海外测电子有限公司")
    with pytest.raises(InvalidInput, match="放款金额 200 万元大于授信金额 100 万元"):
        loan(world, fin, disbursed="200")
    with pytest.raises(InvalidInput, match="疑似按亿元填写（按亿元即 5000 万元）"):
        loan(world, fin, granted="0.5")
    # 3,000,000 万元 (300 亿元) for one firm's loan: 3,000,000 元 typed in the 万元 field
    with pytest.raises(
        InvalidInput, match="即 300 亿元，超过单笔 100 亿元，疑似按元填写（按元即 300 万元）"
    ):
        loan(world, fin, granted="3000000", disbursed="")
    with pytest.raises(PermissionDenied, match="只有金融办"):
        loan(world, zone.actor(world, "inv1"))
    assert world.scalar(sa.select(sa.func.count()).select_from(Loan)) == 0


def test_the_bad_loan_ratio_passes_the_warning_then_stops_new_loans(world, zone):
    fin = zone.actor(world, "fin1")
    pid = pool(world, fin)
    ids = [loan(world, fin, pool_id=pid, granted="190", disbursed="190") for _ in range(5)]
    small = loan(world, fin, pool_id=pid, firm="衢州硅测科技有限公司", granted="50",
                 disbursed="50")  # fmt: skip
    first = state(world, fin, pid)
    assert (first.outstanding, first.ratio_bp, first.level) == (1000 * 10**4, 0, "ok")
    set_status(world, fin, small, "overdue")
    assert state(world, fin, pid).level == "ok"  # overdue is not yet bad
    set_status(world, fin, small, "default")
    after = state(world, fin, pid)
    assert after.ratio == "5.00"  # 50 of 1000 万元
    assert after.level == "warn"
    loan(world, fin, pool_id=pid, granted="100", disbursed="100")  # still taking loans
    set_status(world, fin, ids[0], "default", repaid="100")  # 90 more bad; 1000 outstanding
    stopped = state(world, fin, pid)
    assert stopped.ratio == "14.00"
    assert stopped.level == "stop"
    with pytest.raises(
        Conflict, match=re.escape("不良率 14.00% 已达到暂停线 8%，暂停新增入池贷款")
    ):
        loan(world, fin, pool_id=pid)
    loan(world, fin)  # a loan outside the pool is not stopped


def test_thresholds_are_the_pools_own_and_checked(world, zone):
    fin = zone.actor(world, "fin1")
    with pytest.raises(InvalidInput, match="预警线 9% 应低于暂停线 8%"):
        pool(world, fin, warn_pct="9")
    pid = pool(world, fin, warn_pct="3", stop_pct="6")
    admin = zone.actor(world, "admin")
    world.run(lambda s: loans.set_thresholds(s, actor=admin, pool_id=pid, warn_pct="4.5",
                                             stop_pct="7"))  # fmt: skip
    assert state(world, fin, pid).pool.warn_bp == 450
    with pytest.raises(PermissionDenied):
        world.run(lambda s: loans.set_thresholds(s, actor=fin, pool_id=pid, warn_pct="1",
                                                 stop_pct="2"))  # fmt: skip


def test_compensation_is_split_by_shares_and_approved_by_the_finance_office_only(world, zone):
    fin = zone.actor(world, "fin1")
    pid = pool(world, fin, government="600", bank="400")
    bad = loan(world, fin, pool_id=pid, granted="100", disbursed="100")
    with pytest.raises(InvalidInput, match="只有违约贷款可以申请风险补偿"):
        world.run(lambda s: loans.propose(s, actor=fin, loan_id=bad))
    set_status(world, fin, bad, "default", repaid="20")
    cid = int(world.run(lambda s: loans.propose(s, actor=fin, loan_id=bad).id))
    row = world.scalar(sa.select(Compensation).where(Compensation.id == cid))
    # 80% of the 80 万元 outstanding, shared 6:4
    assert (row.amount_yuan, row.government_yuan, row.bank_yuan) == (
        64 * 10**4, 384_000, 256_000,
    )  # fmt: skip
    for name in ("inv1", "analyst"):
        with pytest.raises(PermissionDenied):
            world.run(lambda s, n=name: loans.approve(s, actor=zone.actor(world, n), today=TODAY,
                                                      compensation_id=cid))  # fmt: skip
    other = zone.actor(world, "inv1")
    with pytest.raises(PermissionDenied, match="风险补偿只能由金融办的工作人员审批"):
        world.run(lambda s: loans.approve(s, actor=other, today=TODAY, compensation_id=cid))
    assert world.scalar(sa.select(Compensation.status)) == "proposed"
    world.run(lambda s: loans.approve(s, actor=fin, today=TODAY, compensation_id=cid))
    assert state(world, fin, pid).funds == 936 * 10**4
    with pytest.raises(Conflict, match="已于 2026-06-30 审批"):
        world.run(lambda s: loans.approve(s, actor=fin, today=TODAY, compensation_id=cid))
    with pytest.raises(Conflict, match="不能改回正常或逾期"):
        set_status(world, fin, bad, "normal")


def test_a_firm_sees_only_its_own_loans(world, zone):
    fin = zone.actor(world, "fin1")
    loan(world, fin)
    loan(world, fin, firm="衢州硅测科技有限公司")
    firm_user = zone.actor(world, "firm_user")
    own = world.run(lambda s: loans.firm_loans(s, actor=firm_user, enterprise_id=zone.firm))
    assert [r.firm_name for r in own] == ["衢州锂测材料有限公司"]
    with pytest.raises(PermissionDenied):
        world.run(lambda s: loans.firm_loans(s, actor=firm_user, enterprise_id=zone.firm_b))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: loans.loans(s, actor=firm_user))
    assert len(world.run(lambda s: loans.loans(s, actor=zone.actor(world, "analyst")))) == 2
