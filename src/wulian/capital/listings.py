"""The listing pipeline (上市梯队: 培育一批、申报一批、上市一批): firms of the zone from the
reserve list through 股改, 辅导备案, 申报, 审核 and 注册 to 上市, or to 新三板挂牌 and from there
through 创新层 and the 北交所's 辅导备案, 申报, 审核 and 注册 to 上市 on 北交所; the board, the
intermediaries and the day each stage was reached; counts by year, stage, board and chain.

A firm moves one stage forward at a time (新三板挂牌 from 股改 on), on a day between the day it
reached its stage and today; 上市 needs its board (北交所 on the 新三板 path). A firm put on the
list by mistake is removed with a reason (not once listed or quoted, nor with a paid reward).
Only the finance office writes; staff with the finance permission read; a firm sees its own
listing status.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import service
from wulian.capital.models import ListingCase
from wulian.chains import service as chains
from wulian.core import audit
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor
from wulian.enterprises import facts, read
from wulian.enterprises import service as enterprises
from wulian.policy import service as policy

STAGES: dict[str, str] = {
    "reserve": "上市后备",
    "shareholding": "股改",
    "tutoring": "辅导备案",
    "filing": "申报",
    "review": "审核",
    "registered": "注册",
    "listed": "上市",
    "neeq": "新三板挂牌",
    "neeq_innovation": "新三板创新层",
    "bse_tutoring": "北交所辅导备案",
    "bse_filing": "北交所申报",
    "bse_review": "北交所审核",
    "bse_registered": "北交所注册",
}
ORDER = ["reserve", "shareholding", "tutoring", "filing", "review", "registered", "listed"]
# the 北交所 path of a firm quoted on 新三板: 挂牌 (基础层) → 创新层 → 辅导备案 → 申报 → 审核 → 注册
# → 上市 on 北交所 (the exchange lists 新三板 firms of the 创新层)
BSE_PATH = ["neeq", "neeq_innovation", "bse_tutoring", "bse_filing", "bse_review",
            "bse_registered", "listed"]  # fmt: skip
QUOTED = service.QUOTED_STAGES  # quoted on 新三板 (挂牌), not listed
# the order stages are reached in (a tie of days is read in this order)
POSITION = {k: i for i, k in enumerate([*ORDER[:-1], *BSE_PATH])}
# the stages the listing-reward policy (policy/policies/listing_reward.yaml) rewards: reaching
# one records the registry metric it reads (1 for the year of the day reached), as the officer
REWARD_METRICS: dict[str, str] = {
    "shareholding": "listing_shareholding",
    "tutoring": "listing_tutoring",
    "filing": "listing_filing",
    "listed": "listing_listed",
    "neeq": "listing_neeq",
    "bse_tutoring": "listing_tutoring",  # the 北交所 path's 辅导备案 and 申报 are rewarded as such
    # (once a firm: see SAME_REWARD)
    "bse_filing": "listing_filing",
}
# a stage of the 北交所 path and the main path's stage of the same reward: a firm that reached
# it on the main path (and then went to 新三板) is not rewarded for it a second time
SAME_REWARD = {"bse_tutoring": "tutoring", "bse_filing": "filing"}
REWARD_POLICY = "listing_reward"  # the policy paying for the stages (payouts: per firm, year)
REASON_MAX = 500
BOARDS: dict[str, str] = {
    "main": "主板",
    "star": "科创板",
    "chinext": "创业板",
    "bse": "北交所",
    "neeq": "新三板",
}


def allowed_next(stage: str) -> list[str]:
    """The stages a case may move to from stage: the next of its path (上市 or, from 新三板, the
    北交所 path); 新三板挂牌 from 股改 on."""
    if stage == "listed":
        return []
    if stage in BSE_PATH:
        return [BSE_PATH[BSE_PATH.index(stage) + 1]]
    out = [ORDER[ORDER.index(stage) + 1]]
    if stage != "reserve":
        out.append("neeq")
    return out


def add(
    session: Session, *, actor: Actor, today: dt.date, firm: str, board: str = "",
    intermediaries: str = "", on: dt.date | None = None,
) -> ListingCase:  # fmt: skip
    """Put a firm of the zone on the reserve list."""
    service.require_write(session, actor)
    text = firm.strip()
    found = enterprises.find_id(session, text=text) if text else None
    if found is None:
        raise InvalidInput(f"企业名录里没有“{text}”", field="firm", value=text)
    record = read.get_or_raise(session, found)
    if not record.in_zone:
        raise InvalidInput(f"企业“{record.name}”不在园区内，不能列入上市后备", field="firm")
    if session.scalar(sa.select(ListingCase.id).where(ListingCase.enterprise_id == record.id)):
        raise Conflict(f"企业“{record.name}”已在上市梯队中", field="firm")
    if board and board not in BOARDS:
        raise InvalidInput(f"拟上市板块应为：{'、'.join(BOARDS.values())}", field="board")
    day = on or today
    if day > today:
        raise InvalidInput(f"日期 {day} 晚于今天", field="on")
    case = ListingCase(
        enterprise_id=record.id, firm_name=record.name, stage="reserve", board=board or None,
        intermediaries=intermediaries.strip()[:300], stage_dates={"reserve": day.isoformat()},
        created_by=actor.label,
    )  # fmt: skip
    session.add(case)
    session.flush()
    return case


def advance(
    session: Session, *, actor: Actor, today: dt.date, case_id: int, to_stage: str,
    on: dt.date | None = None, board: str = "",
) -> ListingCase:  # fmt: skip
    """Move a case one stage on (or to 新三板挂牌; from there on the 北交所 path, its board 新三板
    until it lists on 北交所)."""
    service.require_write(session, actor)
    case = session.get(ListingCase, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"没有编号为 {case_id} 的上市梯队企业")
    nexts = allowed_next(case.stage)
    if to_stage not in nexts:
        allowed = "、".join(STAGES[k] for k in nexts) or "无（已完成）"
        raise InvalidInput(
            f"“{case.firm_name}”处于“{STAGES.get(case.stage, case.stage)}”，不能直接转到"
            f"“{STAGES.get(to_stage, to_stage)}”（可转到：{allowed}）",
            field="to_stage", value=to_stage,
        )  # fmt: skip
    day = on or today
    since = dt.date.fromisoformat(case.stage_dates[case.stage])
    if day > today or day < since:
        raise InvalidInput(f"日期 {day} 应在 {since} 与今天之间", field="on")
    if board and board not in BOARDS:
        raise InvalidInput(f"板块应为：{'、'.join(BOARDS.values())}", field="board", value=board)
    if case.stage in BSE_PATH:  # quoted on 新三板: on to 北交所
        if board and board != "bse":
            raise InvalidInput(
                f"“{case.firm_name}”在新三板挂牌，经创新层申请在北交所上市，板块为北交所，"
                f"不能选“{BOARDS[board]}”",
                field="board", value=board,
            )  # fmt: skip
        if to_stage == "listed":
            quoted = case.stage_dates.get("neeq")
            due = _year_after(dt.date.fromisoformat(quoted)) if quoted else None
            if due is not None and day < due:
                raise InvalidInput(
                    f"“{case.firm_name}”于 {quoted} 在新三板挂牌，在北交所上市须连续挂牌满十二个月"
                    f"（{due} 起）",
                    field="on", value=day.isoformat(),
                )  # fmt: skip
            case.board = "bse"
    else:
        if board:
            case.board = board
        if to_stage == "neeq":
            case.board = "neeq"
        if to_stage == "listed" and case.board in (None, "neeq"):
            raise InvalidInput("上市须选择板块：主板、科创板、创业板或北交所", field="board")
    if to_stage in ("listed", "neeq"):
        case.listed_on = day
    case.stage = to_stage
    case.stage_dates = {**case.stage_dates, to_stage: day.isoformat()}
    session.flush()
    metric = REWARD_METRICS.get(to_stage)
    if SAME_REWARD.get(to_stage) in case.stage_dates:
        metric = None  # rewarded once a firm: 辅导备案 or 申报 reached before on the main path
    if metric is not None:  # the stage as the policies read it: the listing reward's input
        facts.record(
            session, actor=actor, enterprise_id=case.enterprise_id, metric_key=metric,
            period=str(day.year), value=1.0, source="officer", as_of=day,
            note=f"上市梯队：{STAGES[to_stage]}（{day.isoformat()}）",
        )  # fmt: skip
    return case


def _year_after(day: dt.date) -> dt.date:
    """The same day a year later (29 February: 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return dt.date(day.year + 1, 3, 1)


def _case(session: Session, case_id: int) -> ListingCase:
    case = session.get(ListingCase, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"没有编号为 {case_id} 的上市梯队企业")
    return case


def _reason(text: str, verb: str = "更正或撤回") -> str:
    reason = text.strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            f"请填写{verb}的原因（不超过 {REASON_MAX} 个字）", field="reason", value=reason[:50]
        )
    return reason


def _stage_of(case: ListingCase, stage: str) -> str:
    if stage not in case.stage_dates:
        reached = "、".join(STAGES.get(k, k) for k in _reached(case)) or "无"
        raise InvalidInput(
            f"“{case.firm_name}”没有“{STAGES.get(stage, stage)}”阶段的记录（已登记：{reached}）",
            field="stage", value=stage,
        )  # fmt: skip
    return stage


def _reached(case: ListingCase) -> list[str]:
    """The stages the case has records of, in the order they were reached."""
    return sorted(case.stage_dates, key=lambda k: (case.stage_dates[k], POSITION.get(k, 99)))


def _refuse_if_paid(
    session: Session,
    actor: Actor,
    case: ListingCase,
    stage: str,
    to_year: int | None = None,
    verb: str = "不能更正或撤回",
) -> None:
    """A stage whose reward was paid (the listing-reward policy's payout to the firm for the
    year of the day it was reached) is not corrected: the payout rests on it; nor is a stage
    moved into a year already paid (that payout would leave it out)."""
    if stage not in REWARD_METRICS:
        return
    paid = policy.paid_periods(
        session, actor=actor, code=REWARD_POLICY, enterprise_ids=[case.enterprise_id]
    )
    if to_year is not None and (str(to_year), case.enterprise_id) in paid:
        raise Conflict(
            f"“{case.firm_name}”{to_year} 年度的上市奖励已经兑现，“{STAGES[stage]}”不能改到该年度"
            "（该笔兑现不含这一阶段）；如确有错误，请先在政策兑现中处理该笔兑现",
            field="on",
        )  # fmt: skip
    year = case.stage_dates[stage][:4]
    if (year, case.enterprise_id) in paid:
        amount = paid[(year, case.enterprise_id)]
        shown = "" if amount is None else f"（{amount:g} 万元）"
        raise Conflict(
            f"“{case.firm_name}”{year} 年度的上市奖励已经兑现{shown}，其“{STAGES[stage]}”阶段记录"
            f"是兑现的依据，{verb}；如确有错误，请先在政策兑现中处理该笔兑现",
            field="stage",
        )  # fmt: skip


def _fact(
    session: Session, actor: Actor, case: ListingCase, stage: str, day: dt.date, value: float,
    note: str,
) -> None:  # fmt: skip
    metric = REWARD_METRICS.get(stage)
    if value == 0.0 and any(
        REWARD_METRICS.get(k) == metric and v[:4] == str(day.year)
        for k, v in case.stage_dates.items() if k != stage
    ):  # fmt: skip
        return  # another stage of the case gives the same fact that year (辅导备案 on both paths)
    if metric is not None:  # the stage as the policies read it (0: not reached that year)
        facts.record(
            session, actor=actor, enterprise_id=case.enterprise_id, metric_key=metric,
            period=str(day.year), value=value, source="officer", as_of=day, note=note,
        )  # fmt: skip


def correct(
    session: Session, *, actor: Actor, today: dt.date, case_id: int, stage: str, reason: str,
    on: dt.date | None = None, board: str | None = None, intermediaries: str | None = None,
) -> ListingCase:  # fmt: skip
    """Correct a stage record: the day it was reached (between the stages before and after it,
    not after today), the board, the intermediaries; with a reason. The registry fact the
    listing-reward policy reads follows the day (a day in another year moves it to that year).
    A stage whose reward was paid is refused (its day or board; the intermediaries may be
    corrected)."""
    service.require_write(session, actor)
    why = _reason(reason)
    case = _case(session, case_id)
    _stage_of(case, stage)
    old_day = dt.date.fromisoformat(case.stage_dates[stage])
    day = on or old_day
    before = {"stage_dates": dict(case.stage_dates), "board": case.board,
              "intermediaries": case.intermediaries, "listed_on": case.listed_on}  # fmt: skip
    if board is not None and board.strip():
        board = board.strip()
        if board not in BOARDS:
            names = "、".join(BOARDS.values())
            raise InvalidInput(f"板块应为：{names}", field="board", value=board)
        if case.stage in QUOTED:
            wrong, why_not = board != "neeq", "新三板挂牌企业的板块为新三板"
        elif "neeq" in case.stage_dates:
            wrong, why_not = board != "bse", "经新三板在北交所上市的企业，板块为北交所"
        else:
            wrong, why_not = board == "neeq", "上市或拟上市的板块应为主板、科创板、创业板或北交所"
        if wrong:
            raise InvalidInput(why_not, field="board", value=board)
    else:
        board = case.board
    changed_day, changed_board = day != old_day, board != case.board
    if changed_day or changed_board:
        moved = day.year if day.year != old_day.year else None
        _refuse_if_paid(session, actor, case, stage, moved)
    if changed_day:
        order = _reached(case)
        here = order.index(stage)
        low = dt.date.fromisoformat(case.stage_dates[order[here - 1]]) if here > 0 else None
        high = (
            dt.date.fromisoformat(case.stage_dates[order[here + 1]])
            if here + 1 < len(order) else today
        )  # fmt: skip
        if day > today or (low is not None and day < low) or day > high:
            start = f"{low}（“{STAGES[order[here - 1]]}”）" if low is not None else "——"
            end = f" {high}（“{STAGES[order[here + 1]]}”）" if here + 1 < len(order) else "今天"
            raise InvalidInput(
                f"“{STAGES[stage]}”的日期 {day} 应在 {start}与{end}之间", field="on",
                value=day.isoformat(),
            )  # fmt: skip
    if not (changed_day or changed_board or intermediaries is not None):
        raise InvalidInput("没有要更正的内容（日期、板块或中介机构）", field="stage")
    case.stage_dates = {**case.stage_dates, stage: day.isoformat()}
    case.board = board
    if intermediaries is not None:
        case.intermediaries = intermediaries.strip()[:300]
    if stage == "listed" or (stage == "neeq" and "listed" not in case.stage_dates):
        case.listed_on = day
    session.flush()
    if changed_day:
        note = f"上市梯队更正：{STAGES[stage]}日期由 {old_day} 改为 {day}（{why}）"
        if old_day.year != day.year:
            _fact(session, actor, case, stage, old_day, 0.0, note)
        _fact(session, actor, case, stage, day, 1.0, note)
    after = {"stage_dates": dict(case.stage_dates), "board": case.board,
             "intermediaries": case.intermediaries, "listed_on": case.listed_on}  # fmt: skip
    audit.record(
        session, action="capital.listing_corrected", object_type="capital_listings",
        object_id=case.id, before=before, after=after | {"stage": stage, "reason": why},
    )  # fmt: skip
    return case


def withdraw(
    session: Session,
    *,
    actor: Actor,
    today: dt.date,
    case_id: int,
    reason: str,
    expected: str | None = None,
) -> ListingCase:
    """Withdraw the stage a case was last moved to (recorded by mistake), with a reason: the
    case goes back to the stage before, and the registry fact of the withdrawn stage is set to
    0 for its year (not reached). A stage whose reward was paid is refused. expected: the stage
    the officer saw; when the case has moved since (a second click, a resent form), nothing is
    withdrawn, so a double click never takes back two stages."""
    service.require_write(session, actor)
    why = _reason(reason)
    case = _case(session, case_id)
    if expected is not None and expected != case.stage:
        raise Conflict(
            f"“{case.firm_name}”现在处于“{STAGES.get(case.stage, case.stage)}”，不是页面上的"
            f"“{STAGES.get(expected, expected)}”（可能已经撤回过）；请刷新页面后再操作"
        )
    if case.stage == "reserve":
        raise InvalidInput(
            f"“{case.firm_name}”处于“上市后备”，没有可撤回的阶段", field="stage", value=case.stage
        )
    stage = case.stage
    _refuse_if_paid(session, actor, case, stage)
    day = dt.date.fromisoformat(case.stage_dates[stage])
    before = {"stage": stage, "stage_dates": dict(case.stage_dates), "board": case.board,
              "listed_on": case.listed_on}  # fmt: skip
    dates = {k: v for k, v in case.stage_dates.items() if k != stage}
    case.stage = max(dates, key=lambda k: POSITION.get(k, -1))
    case.stage_dates = dates
    if stage == "listed" and "neeq" in dates:  # back on 新三板, on the 北交所 path
        case.listed_on, case.board = dt.date.fromisoformat(dates["neeq"]), "neeq"
    elif stage in ("listed", "neeq"):
        case.listed_on = None
    if stage == "neeq":
        case.board = None
    session.flush()
    _fact(session, actor, case, stage, day, 0.0,
          f"上市梯队撤回：{STAGES[stage]}（{day.isoformat()}，{why}）")  # fmt: skip
    audit.record(
        session, action="capital.listing_withdrawn", object_type="capital_listings",
        object_id=case.id, before=before,
        after={"stage": case.stage, "withdrawn": stage, "reason": why},
    )  # fmt: skip
    return case


def remove(
    session: Session, *, actor: Actor, case_id: int, reason: str, firm: int | None = None
) -> ListingCase:
    """Take a firm off the pipeline (put on it by mistake), with a reason: its stage records go
    and the registry facts of its stages are set to 0 for their years (not reached). A firm
    listed or quoted on 新三板 is refused (its 上市 or 挂牌 is withdrawn first if it was
    recorded by mistake), and so is a firm with a stage whose listing reward was paid. firm:
    the firm the page showed for case_id; a case gone since (a second click) or now another
    firm's is refused, never removed."""
    service.require_write(session, actor)
    why = _reason(reason, "移出上市梯队")
    if firm is not None:
        shown = session.get(ListingCase, case_id, with_for_update=True)
        if shown is None or shown.enterprise_id != firm:
            raise Conflict(
                "所选企业已不在上市梯队中（已移出，或页面已过期），请刷新页面后再试",
                field="case_id",
            )
    case = _case(session, case_id)
    if case.stage == "listed" or case.stage in QUOTED:
        done = "已上市" if case.stage == "listed" else "已在新三板挂牌"
        raise Conflict(
            f"“{case.firm_name}”{done}（现处于“{STAGES.get(case.stage, case.stage)}”，"
            f"{case.stage_dates.get(case.stage, '')} 起），不能移出上市梯队；如是误登记，"
            "请先撤回该阶段",
            field="case_id",
        )  # fmt: skip
    for stage in _reached(case):
        _refuse_if_paid(session, actor, case, stage, verb="企业不能移出上市梯队")
    before = {"enterprise_id": case.enterprise_id, "firm_name": case.firm_name,
              "stage": case.stage, "stage_dates": dict(case.stage_dates), "board": case.board,
              "intermediaries": case.intermediaries}  # fmt: skip
    reached = dict(case.stage_dates)
    case.stage_dates = {}
    for stage, day in reached.items():
        _fact(session, actor, case, stage, dt.date.fromisoformat(day), 0.0,
              f"移出上市梯队：{STAGES.get(stage, stage)}（{day}，{why}）")  # fmt: skip
    session.delete(case)
    session.flush()
    audit.record(
        session, action="capital.listing_removed", object_type="capital_listings",
        object_id=case_id, before=before, after={"reason": why},
    )  # fmt: skip
    return case


def cases(session: Session, *, actor: Actor) -> list[ListingCase]:
    service.require_read(actor)
    rows = list(session.scalars(sa.select(ListingCase).order_by(ListingCase.id)))
    return sorted(rows, key=lambda c: (-POSITION.get(c.stage, 0), c.firm_name))


def firm_case(session: Session, *, actor: Actor, enterprise_id: int) -> ListingCase | None:
    """A firm's own listing status (its enterprise user, or finance staff)."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
    else:
        service.require_read(actor)
    return session.scalar(sa.select(ListingCase).where(ListingCase.enterprise_id == enterprise_id))


@dataclass(frozen=True)
class Counts:
    by_stage: dict[str, int]  # firms now at each stage
    by_board: dict[str, int]  # listed (and 挂牌) firms per board
    by_year: dict[int, int]  # new listings (上市, not 挂牌) per year
    listed: int  # listed firms (上市)
    recent: int  # new listings in the three years up to today
    by_chain: dict[str, int]  # listed and reserve firms per chain (name)


def counts(session: Session, *, actor: Actor, today: dt.date) -> Counts:
    rows = cases(session, actor=actor)
    listed = [c for c in rows if c.stage == "listed" and c.listed_on]
    years = Counter(c.listed_on.year for c in listed if c.listed_on)
    start = dt.date(today.year - 3, today.month, min(today.day, 28 if today.month == 2 else 31))
    names = chains.chain_names(session)
    chain_count: Counter[str] = Counter()
    codes = chains.chains_of(session, ids={c.enterprise_id for c in rows})
    for c in rows:
        code = codes.get(c.enterprise_id)
        chain_count[names.get(code, code) if code else "未归链"] += 1
    return Counts(
        by_stage={k: sum(1 for c in rows if c.stage == k) for k in STAGES},
        by_board={k: sum(1 for c in rows if c.board == k and c.listed_on) for k in BOARDS},
        by_year=dict(sorted(years.items())),
        listed=len(listed),
        recent=sum(1 for c in listed if c.listed_on and c.listed_on > start),
        by_chain=dict(chain_count.most_common()),
    )
