"""Matchmaking events between banks and firms (银企对接): an event with its lenders and firms, what
came of each firm × lender × product (an intention, credit granted, loans disbursed, linked to the
registered loan where there is one), the event's totals and the totals by year and by chain.

Whom to invite: the open needs matched to the products of the catalogue by the eligibility
engine of the 一企一策 plan (`products.plan`): a need is matched to a product the firm qualifies
for (or nearly) whose amount range holds the need; the lenders of those products are proposed
with the firms. The finance office writes; finance staff read; a firm reads its own outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import loans, needs, products, service
from wulian.capital.models import FinancingNeed, FinancingProduct, Loan, MatchEvent, MatchOutcome
from wulian.chains import service as chains
from wulian.core import audit, forms
from wulian.core.errors import Conflict, InvalidInput, NotFound, WulianError
from wulian.core.permissions import Actor
from wulian.enterprises import read
from wulian.enterprises import service as enterprises

MAX_LENDERS = 50
MAX_FIRMS = 500


def _names(text: str | list[str]) -> list[str]:
    items = text if isinstance(text, list) else text.replace("，", "、").replace(",", "、")
    parts = items if isinstance(items, list) else items.replace("\n", "、").split("、")
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def create_event(
    session: Session, *, actor: Actor, today: dt.date, name: str, held_on: dt.date | None,
    lenders: str | list[str], firms: str | list[str], place: str = "", chain: str = "",
    note: str = "", unread: Iterable[WulianError] = (),
) -> MatchEvent:  # fmt: skip
    """Register an event with its lenders and the firms of the zone taking part; a form with
    problems is refused with all of them (and those the view could not read, unread)."""
    service.require_write(session, actor)
    found = forms.Problems(unread)
    name = name.strip()
    if not name or len(name) > 200:
        found.add(InvalidInput("活动名称不能为空，且不超过 200 个字", field="name", value=name))
    if held_on is None:
        if not found.has("held_on"):  # not a day the view could read: named already
            found.add(InvalidInput("请填写活动日期", field="held_on"))
    elif held_on > today + dt.timedelta(days=366):
        found.add(
            InvalidInput(
                f"活动日期 {held_on} 过远，请核对", field="held_on", value=held_on.isoformat()
            )
        )
    banks = _names(lenders)
    if not banks:
        found.add(InvalidInput("请至少填写一家参会银行或金融机构（用顿号分隔）", field="lenders"))
    elif len(banks) > MAX_LENDERS or any(len(b) > 200 for b in banks):
        found.add(
            InvalidInput(
                f"参会机构最多 {MAX_LENDERS} 家，每个名称不超过 200 个字",
                field="lenders",
                value="、".join(banks)[:200],
            )
        )
    ids: list[int] = []
    for text in _names(firms):
        try:
            ids.append(_zone_firm(session, text))
        except InvalidInput as error:
            found.add(error)
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_FIRMS:
        found.add(InvalidInput(f"参会企业最多 {MAX_FIRMS} 家", field="firms"))
    checked = found.check(lambda: chains.checked_position(session, actor=actor, chain=chain))
    if found or held_on is None or checked is None:  # None only with its problem
        raise found.error("银企对接活动")
    chain_id = checked[0]
    event = MatchEvent(
        name=name, held_on=held_on, place=place.strip()[:200], chain=chain_id, lenders=banks,
        firms=ids, note=note.strip()[:2000], created_by=actor.label,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


def _zone_firm(session: Session, text: str) -> int:
    """A participating firm: a firm of the registry in the zone (number, credit code or name)."""
    found = enterprises.find_id(session, text=text)
    if found is None:
        raise InvalidInput(f"企业名录里没有“{text}”", field="firms", value=text)
    firm = read.get_or_raise(session, found)
    if not firm.in_zone:
        raise InvalidInput(f"企业“{firm.name}”不在园区内", field="firms", value=text)
    return firm.id


def event_or_raise(session: Session, *, actor: Actor, event_id: int) -> MatchEvent:
    service.require_read(actor)
    event = session.get(MatchEvent, event_id)
    if event is None:
        raise NotFound(f"没有编号为 {event_id} 的银企对接活动")
    return event


def events(session: Session, *, actor: Actor) -> list[MatchEvent]:
    service.require_read(actor)
    query = sa.select(MatchEvent).order_by(MatchEvent.held_on.desc(), MatchEvent.id.desc())
    return list(session.scalars(query))


@dataclass(frozen=True)
class NewOutcome:
    firm: str  # a participating firm: number, credit code or full name
    lender: str
    product_id: int | None = None
    need_id: int | None = None
    loan_id: int | None = None
    intention: bool = True
    granted_wan: str | Decimal | None = None
    disbursed_wan: str | Decimal | None = None


def record(
    session: Session,
    *,
    actor: Actor,
    event_id: int,
    data: NewOutcome,
    today: dt.date | None = None,
    unread: Iterable[WulianError] = (),
) -> MatchOutcome:
    """What came of a firm and a lender (and product) at an event; a linked loan gives the
    credit granted and disbursed when they are not typed. An event still to come has no
    outcomes yet (today given), and credit granted with 无意向 is a contradiction, not an
    intention. Every problem of the form is named at once (with unread, those the view could
    not read)."""
    service.require_write(session, actor)
    event = event_or_raise(session, actor=actor, event_id=event_id)
    if today is not None and event.held_on > today:
        raise InvalidInput(
            f"“{event.name}”在 {event.held_on.isoformat()} 举行，还没有开，活动之后再登记对接成效",
            field="event",
        )
    found = forms.Problems(unread)
    firm = found.check(lambda: _participant(session, event, data.firm))
    lender = data.lender.strip()
    if lender not in event.lenders:
        found.add(
            InvalidInput(
                f"机构“{lender}”不是本次活动的参会机构（{'、'.join(event.lenders)}）",
                field="lender",
                value=lender,
            )
        )
    if data.product_id is not None:
        product = session.get(FinancingProduct, data.product_id)
        if product is None:
            found.add(
                InvalidInput(
                    f"产品：没有编号为 {data.product_id} 的融资产品",
                    field="product_id",
                    value=str(data.product_id),
                )
            )
        elif product.lender != lender:
            found.add(
                InvalidInput(
                    f"产品“{product.name}”属于“{product.lender}”，不是“{lender}”",
                    field="product_id",
                    value=str(data.product_id),
                )
            )
    if data.need_id is not None:
        need = session.get(FinancingNeed, data.need_id)
        if need is None or (firm is not None and need.enterprise_id != firm.id):
            whose = f"“{firm.name}”的需求" if firm is not None else "登记过的需求"
            found.add(
                InvalidInput(
                    f"融资需求编号 {data.need_id} 不是{whose}",
                    field="need_id",
                    value=str(data.need_id),
                )
            )
    granted = found.check(lambda: _amount(data.granted_wan, "granted_wan", "授信金额"))
    disbursed = found.check(lambda: _amount(data.disbursed_wan, "disbursed_wan", "放款金额"))
    amounts_read = all(
        p.extra.get("field") not in ("granted_wan", "disbursed_wan") for p in found.errors
    )
    if data.loan_id is not None:
        loan = session.get(Loan, data.loan_id)
        if loan is None:
            found.add(
                InvalidInput(
                    f"贷款编号：没有编号为 {data.loan_id} 的贷款",
                    field="loan_id",
                    value=str(data.loan_id),
                )
            )
        else:
            if (firm is not None and loan.enterprise_id != firm.id) or loan.lender != lender:
                found.add(
                    InvalidInput(
                        f"贷款 {loan.id} 是“{loan.firm_name}”在“{loan.lender}”的贷款，与本条不符",
                        field="loan_id",
                        value=str(data.loan_id),
                    )
                )
            granted = loan.granted_yuan if granted is None else granted
            disbursed = loan.disbursed_yuan if disbursed is None else disbursed
    typed = any(str(t).strip() for t in (data.granted_wan, data.disbursed_wan) if t is not None)
    if not data.intention and (typed or granted is not None or disbursed is not None):
        # named with the amounts' own problems: an amount typed at all conflicts with 无意向
        found.add(
            InvalidInput(
                "选了“无意向”，却填了授信或放款金额：有授信的请选“有意向”，无意向的请清空金额",
                field="intention",
                value="无",
            )
        )
    if amounts_read:
        if disbursed is not None and granted is None:
            found.add(
                InvalidInput(
                    "已放款的须填写授信金额", field="granted_wan", value=str(data.granted_wan or "")
                )
            )
        if disbursed is not None and granted is not None and disbursed > granted:
            found.add(
                InvalidInput(
                    f"放款金额 {service.show(disbursed, '万元')} 万元大于授信金额 "
                    f"{service.show(granted, '万元')} 万元",
                    field="disbursed_wan",
                    value=str(data.disbursed_wan or ""),
                )
            )
    if found or firm is None:  # firm is None only with its problem
        raise found.error("对接成效")
    same = session.scalar(
        sa.select(MatchOutcome.id).where(
            MatchOutcome.event_id == event.id, MatchOutcome.enterprise_id == firm.id,
            MatchOutcome.lender == lender,
            MatchOutcome.product_id.is_(None) if data.product_id is None
            else MatchOutcome.product_id == data.product_id,
        )
    )  # fmt: skip
    if same is not None:
        raise Conflict(f"已登记“{firm.name}”与“{lender}”的对接成效（编号 {same}）")
    row = MatchOutcome(
        event_id=event.id, enterprise_id=firm.id, firm_name=firm.name, lender=lender,
        product_id=data.product_id, need_id=data.need_id, loan_id=data.loan_id,
        intention=data.intention or granted is not None, granted_yuan=granted,
        disbursed_yuan=disbursed, created_by=actor.label,
    )  # fmt: skip
    session.add(row)
    if data.need_id is not None and (granted is not None or data.intention):
        # an intention or credit on the need: it is being matched, no longer to invite
        need = session.get(FinancingNeed, data.need_id)
        if need is not None and need.status == "open":
            need.status = "matching"
    session.flush()
    return row


def _participant(session: Session, event: MatchEvent, text: str) -> read.Firm:
    found = enterprises.find_id(session, text=text.strip()) if text.strip() else None
    if found is None or found not in event.firms:
        raise InvalidInput(f"企业“{text.strip()}”不是本次活动的参会企业", field="firm", value=text)
    return read.get_or_raise(session, found)


def _amount(text: str | Decimal | None, field: str, label: str) -> int | None:
    """An amount of an outcome typed in 万元 (None: not typed)."""
    yuan = service.parse_money(text, "万元", field=field, label=label, min_wan=loans.LOAN_MIN_WAN)
    loans.check_not_yuan(yuan, text, "万元", field=field, label=label)
    return yuan


def outcomes(session: Session, *, actor: Actor, event_id: int) -> list[MatchOutcome]:
    event_or_raise(session, actor=actor, event_id=event_id)
    query = sa.select(MatchOutcome).where(MatchOutcome.event_id == event_id)
    return list(session.scalars(query.order_by(MatchOutcome.firm_name, MatchOutcome.id)))


def firm_outcomes(session: Session, *, actor: Actor, enterprise_id: int) -> list[MatchOutcome]:
    """A firm's outcomes at every event: its own user, or finance staff."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
    else:
        service.require_read(actor)
    query = sa.select(MatchOutcome).where(MatchOutcome.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(MatchOutcome.id)))


# ---------------------------------------------------------------- totals


@dataclass
class Totals:
    events: int = 0
    firms: int = 0  # firms taking part
    intentions: int = 0  # firm × lender pairs with an intention
    granted: int = 0  # 元
    disbursed: int = 0  # 元
    firms_granted: set[int] = field(default_factory=set)

    def add(self, row: MatchOutcome) -> None:
        self.intentions += bool(row.intention)
        self.granted += row.granted_yuan or 0
        self.disbursed += row.disbursed_yuan or 0
        if row.granted_yuan:
            self.firms_granted.add(row.enterprise_id)


def event_totals(session: Session, *, actor: Actor, event_id: int) -> Totals:
    event = event_or_raise(session, actor=actor, event_id=event_id)
    total = Totals(events=1, firms=len(event.firms))
    for row in outcomes(session, actor=actor, event_id=event_id):
        total.add(row)
    return total


def all_totals(session: Session, *, actor: Actor, rows: list[MatchEvent]) -> dict[int, Totals]:
    """The totals of many events with one grouped query (by event and firm), for the list."""
    service.require_read(actor)
    out = {e.id: Totals(events=1, firms=len(e.firms)) for e in rows}
    if not out:
        return out
    granted = sa.func.coalesce(sa.func.sum(MatchOutcome.granted_yuan), 0)
    query = (
        sa.select(
            MatchOutcome.event_id,
            MatchOutcome.enterprise_id,
            sa.func.count().filter(MatchOutcome.intention == sa.true()),
            granted,
            sa.func.coalesce(sa.func.sum(MatchOutcome.disbursed_yuan), 0),
        )
        .where(MatchOutcome.event_id.in_(list(out)))
        .group_by(MatchOutcome.event_id, MatchOutcome.enterprise_id)
    )
    for event_id, firm, intentions, given, paid in session.execute(query):
        total = out[int(event_id)]
        total.intentions += int(intentions or 0)
        total.granted += int(given or 0)
        total.disbursed += int(paid or 0)
        if given:
            total.firms_granted.add(int(firm))
    return out


@dataclass(frozen=True)
class Summary:
    by_year: dict[int, Totals]
    by_chain: dict[str, Totals]  # chain name (or 未归链) → totals of its firms' outcomes


def summary(session: Session, *, actor: Actor) -> Summary:
    """Every event's totals by the year it was held and by the chain of each firm (a firm's
    outcomes count on its chain in the atlas)."""
    service.require_read(actor)
    all_events = {e.id: e for e in session.scalars(sa.select(MatchEvent))}
    by_year: dict[int, Totals] = defaultdict(Totals)
    by_chain: dict[str, Totals] = defaultdict(Totals)
    for event in all_events.values():
        year = by_year[event.held_on.year]
        year.events += 1
        year.firms += len(event.firms)
    names = chains.chain_names(session)
    outcomes = list(session.scalars(sa.select(MatchOutcome).order_by(MatchOutcome.id)))
    codes = chains.chains_of(session, ids={row.enterprise_id for row in outcomes})
    for row in outcomes:
        by_year[all_events[row.event_id].held_on.year].add(row)
        code = codes.get(row.enterprise_id)
        by_chain[names.get(code, code) if code else "未归链"].add(row)
    return Summary(dict(sorted(by_year.items(), reverse=True)), dict(by_chain))


# ---------------------------------------------------------------- whom to invite


@dataclass(frozen=True)
class Proposal:
    need: FinancingNeed
    matches: list[products.Match]  # products the firm qualifies (or nearly) for, amount fitting


@dataclass(frozen=True)
class Invitations:
    proposals: list[Proposal]
    lenders: dict[str, int]  # lender → needs it may serve
    firms: list[str]  # firms with at least one proposed product


def _fits(product: FinancingProduct, amount: int) -> bool:
    low, high = product.min_yuan, product.max_yuan
    return (low is None or amount >= low) and (high is None or amount <= high)


def invitations(session: Session, *, actor: Actor, today: dt.date) -> Invitations:
    """The open needs against the catalogue: the plans of every firm with an open need evaluated
    together (`products.batch_matches`: one evaluation of each product's conditions over all of
    them)."""
    service.require_read(actor)
    open_needs = sorted(needs.needs(session, actor=actor, status="open"), key=lambda n: n.id)
    plans = products.batch_matches(
        session, actor=actor, enterprise_ids=[n.enterprise_id for n in open_needs], today=today
    )
    proposals: list[Proposal] = []
    lenders: dict[str, int] = defaultdict(int)
    for need in open_needs:
        matches = [
            m for m in plans.get(need.enterprise_id, [])
            if m.status != "no" and _fits(m.product, need.amount_yuan)
        ]  # fmt: skip
        proposals.append(Proposal(need, matches))
        for lender in dict.fromkeys(m.product.lender for m in matches):
            lenders[lender] += 1
    firms = list(dict.fromkeys(p.need.firm_name for p in proposals if p.matches))
    ranked = dict(sorted(lenders.items(), key=lambda kv: (-kv[1], kv[0])))
    return Invitations(proposals, ranked, firms)


def invitations_one_by_one(session: Session, *, actor: Actor, today: dt.date) -> Invitations:
    """The same as `invitations`, each firm's plan built on its own (`products.plan`): the
    reference the batch is tested and measured against (benchmarks/bench_events.py)."""
    service.require_read(actor)
    open_needs = needs.needs(session, actor=actor, status="open")
    proposals: list[Proposal] = []
    lenders: dict[str, int] = defaultdict(int)
    plans: dict[int, products.Plan] = {}
    for need in sorted(open_needs, key=lambda n: n.id):
        if need.enterprise_id not in plans:
            plans[need.enterprise_id] = products.plan(
                session, actor=actor, enterprise_id=need.enterprise_id, today=today
            )
        matches = [
            m for m in plans[need.enterprise_id].matches
            if m.status != "no" and _fits(m.product, need.amount_yuan)
        ]  # fmt: skip
        proposals.append(Proposal(need, matches))
        for lender in dict.fromkeys(m.product.lender for m in matches):
            lenders[lender] += 1
    firms = list(dict.fromkeys(p.need.firm_name for p in proposals if p.matches))
    ranked = dict(sorted(lenders.items(), key=lambda kv: (-kv[1], kv[0])))
    return Invitations(proposals, ranked, firms)


# ---------------------------------------------------------------- a firm merged into another


def fold_merged_firm(session: Session, *, kept_id: int, merged_id: int, actor: Actor) -> None:
    """The registry merged merged_id into kept_id: every event that lists the duplicate lists
    the kept firm instead (once). Each rewritten event is audited by the audit hook (its firms
    before and after) and the fold as a whole is recorded."""
    changed = []
    for event in session.scalars(sa.select(MatchEvent).order_by(MatchEvent.id)):
        if merged_id not in event.firms:
            continue
        event.firms = list(dict.fromkeys(kept_id if f == merged_id else f for f in event.firms))
        changed.append(event.id)
    if changed:
        session.flush()
        audit.record(
            session, action="capital.events_firm_merged", object_type="capital_events",
            object_id=kept_id,
            after={"kept": kept_id, "merged": merged_id, "events": changed},
        )  # fmt: skip
