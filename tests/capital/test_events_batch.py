"""The events page at scale: whom to invite from every open need with one evaluation of each
product's conditions over all the firms (the same outcomes as each firm's own plan), the events'
totals with one grouped query (the same as each event's), and a firm merged into another leaves
no dead id among an event's firms."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.capital.conftest import TODAY
from tests.capital.test_events import event, outcome
from tests.capital.test_products import BIG, GAOXIN, KEJI, TAX, product
from tests.capital.test_products import firm_data as firm_data  # the fixture
from tests.conftest import SYSTEM
from wulian.capital import events, loans, needs, products
from wulian.capital.models import MatchEvent
from wulian.core.audit.models import AuditEntry
from wulian.engines.rules import expr
from wulian.enterprises import service as enterprises


def _shape(found: events.Invitations) -> list[tuple[int, list[tuple[str, str, list]]]]:
    return [
        (p.need.id, [(m.product.name, m.status,
                      [(c.label, c.met, c.missing) for c in m.checks]) for m in p.matches])
        for p in found.proposals
    ]  # fmt: skip


def test_the_batch_gives_each_firms_own_plan(world, zone, firm_data):
    fin = zone.actor(world, "fin1")
    product(world, fin, "科技贷", KEJI, max_wan="1000")
    product(world, fin, "高企贷", GAOXIN)
    product(world, fin, "税易贷", TAX, kind="tax")
    product(world, fin, "大额贷", BIG)
    for firm in ("衢州锂测材料有限公司", "衢州硅测科技有限公司"):
        data = needs.NewNeed(firm=firm, amount_wan="500", purpose="流动资金")
        world.run(lambda s, data=data: needs.create(s, actor=fin, today=TODAY, data=data))
    batch = world.run(lambda s: events.invitations(s, actor=fin, today=TODAY))
    reference = world.run(lambda s: events.invitations_one_by_one(s, actor=fin, today=TODAY))
    assert _shape(batch) == _shape(reference)
    assert (batch.lenders, batch.firms) == (reference.lenders, reference.firms)
    by_firm = {p.need.firm_name: {m.product.name: m.status for m in p.matches}
               for p in batch.proposals}  # fmt: skip
    # figures and the 高企 title: qualifies; no figures at all: unknown, so only "nearly"
    assert by_firm["衢州锂测材料有限公司"]["科技贷"] == "qualifies"
    assert set(by_firm["衢州硅测科技有限公司"].values()) == {"nearly"}
    # an overdue loan: the extra condition, not met, in the batch as in the plan
    loan = loans.NewLoan(firm="衢州锂测材料有限公司", lender="衢州某银行", granted="300",
                         disbursed="300", granted_on=dt.date(2026, 1, 5))  # fmt: skip
    loan_id = world.run(lambda s: loans.register(s, actor=fin, today=TODAY, data=loan).id)
    world.run(lambda s: loans.update(s, actor=fin, today=TODAY, loan_id=loan_id,
                                     status="overdue"))  # fmt: skip
    batch = world.run(lambda s: events.invitations(s, actor=fin, today=TODAY))
    reference = world.run(lambda s: events.invitations_one_by_one(s, actor=fin, today=TODAY))
    assert _shape(batch) == _shape(reference)
    assert any(c[0] == "无逾期、违约贷款" for _, matches in _shape(batch) for m in matches
               for c in m[2])  # fmt: skip


def test_a_figure_too_fine_for_exact_arithmetic_is_left_to_the_interpreter(
    world, zone, firm_data, monkeypatch
):
    fin = zone.actor(world, "fin1")
    product(world, fin, "科技贷", KEJI, max_wan="1000")
    product(world, fin, "高企贷", GAOXIN)
    for firm in ("衢州锂测材料有限公司", "衢州硅测科技有限公司"):
        data = needs.NewNeed(firm=firm, amount_wan="500", purpose="流动资金")
        world.run(lambda s, data=data: needs.create(s, actor=fin, today=TODAY, data=data))
    reference = world.run(lambda s: events.invitations_one_by_one(s, actor=fin, today=TODAY))

    def inexact(*args, **kwargs):
        raise expr.Inexact("1e-400")

    monkeypatch.setattr(products.expr, "exact_frame", inexact)
    batch = world.run(lambda s: events.invitations(s, actor=fin, today=TODAY))
    assert _shape(batch) == _shape(reference)


def test_the_grouped_totals_are_each_events_totals(world, zone):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    second = event(world, fin, name="2025 年银企对接会", held_on=dt.date(2025, 11, 3))
    empty = event(world, fin, name="2026 年第二场", held_on=dt.date(2026, 6, 1))
    outcome(world, fin, first, granted_wan="1000", disbursed_wan="500")
    outcome(world, fin, first, lender="衢州农商银行")
    outcome(world, fin, first, firm="衢州硅测科技有限公司", granted_wan="200")
    outcome(world, fin, second, granted_wan="300")

    def both(session):
        rows = events.events(session, actor=fin)
        grouped = events.all_totals(session, actor=fin, rows=rows)
        single = {e.id: events.event_totals(session, actor=fin, event_id=e.id) for e in rows}
        return grouped, single

    grouped, single = world.run(both)
    assert grouped == single
    assert (grouped[first].granted, grouped[first].intentions) == (12_000_000, 3)
    assert len(grouped[first].firms_granted) == 2
    assert (grouped[empty].granted, grouped[empty].firms) == (0, 2)


def test_a_merged_duplicate_firm_is_replaced_in_the_events(world, zone):
    fin = zone.actor(world, "fin1")
    duplicate = world.enterprise("衢州锂测材料公司")  # no credit code: a duplicate
    first = event(world, fin, firms="衢州锂测材料有限公司、衢州锂测材料公司")
    second = event(world, fin, name="2025 年银企对接会", held_on=dt.date(2025, 11, 3),
                   firms="衢州锂测材料公司、衢州硅测科技有限公司")  # fmt: skip
    world.run(lambda s: enterprises.merge(s, actor=SYSTEM, keep_id=zone.firm, drop_id=duplicate))
    firms = dict(world.run(lambda s: [(e.id, list(e.firms)) for e in s.scalars(
        sa.select(MatchEvent))]))  # fmt: skip
    assert firms[first] == [zone.firm]  # once, not twice
    assert firms[second] == [zone.firm, zone.firm_b]
    entry = world.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "capital.events_firm_merged")
    )
    assert entry.after == {"kept": zone.firm, "merged": duplicate, "events": [first, second]}
    changed = world.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "capital_events", AuditEntry.action == "update")
    )  # fmt: skip
    assert changed == 2  # each event's firms, before and after, by the audit hook
    # the kept firm's outcomes are recorded at the event as before
    outcome(world, fin, first, granted_wan="100")
