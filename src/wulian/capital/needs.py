"""Firms' financing needs (融资需求): amount, purpose, term, the collateral a firm can offer, the
day it needs the money by and where the need stands.

A need comes from a firm's own form (its enterprise user, for its firm only), from an officer of
the finance office (for any firm of the zone), from a request of the desk's 融资需求 category
(linked to the request, read through the desk's service API; one need per request) or from an
xlsx list (all or nothing, problems by row, column and value). Amounts are typed in 万元; an
amount under 1 万元 (typed in 亿元) or of 100 亿元 and more (typed in 元) is refused with the
other reading. Finance staff read every need; a firm reads its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import ledger, loans, service
from wulian.capital.models import FinancingNeed
from wulian.core import audit, forms, xlsx
from wulian.core.db import utcnow
from wulian.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RowProblem,
    WulianError,
)
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import EMPTY, read_table
from wulian.desk import service as desk
from wulian.enterprises import read
from wulian.enterprises import service as enterprises

STATUSES: dict[str, str] = {
    "open": "待对接",
    "matching": "对接中",
    "met": "已解决",
    "closed": "已关闭",
}
SOURCES: dict[str, str] = {"form": "填报", "desk": "企呼我应", "import": "导入"}
DESK_CATEGORY = "financing"  # the desk's 融资需求 category
TRACKING_NO = re.compile(r"^QH\d{4,12}$")  # the desk's 受理编号 (QH + year + number)
PURPOSE_MAX = 200
REPEAT_WINDOW = dt.timedelta(minutes=10)  # the same need from the form again: a repeat


@dataclass(frozen=True)
class NewNeed:
    firm: str  # a registry firm: number, credit code or full name (a firm's own user: its own)
    amount_wan: str | Decimal | None
    purpose: str
    term_months: str | int | None = None
    collateral: str = ""
    deadline: dt.date | None = None


def _firm(session: Session, actor: Actor, text: str) -> read.Firm:
    if actor.enterprise_id is not None:
        return read.get_or_raise(session, actor.enterprise_id)
    text = text.strip()
    found = enterprises.find_id(session, text=text) if text else None
    if found is None:
        raise InvalidInput(
            f"企业名录里没有“{text}”（请输入企业全称或统一社会信用代码）", field="firm", value=text
        )
    firm = read.get_or_raise(session, found)
    if not firm.in_zone:
        raise InvalidInput(
            f"企业“{firm.name}”不在园区内，不能登记融资需求", field="firm", value=firm.name
        )
    return firm


def _require_write(session: Session, actor: Actor) -> None:
    """The finance office, or a firm's own user (for its own firm, as a self-report)."""
    if actor.enterprise_id is None:
        service.require_write(session, actor)
    else:
        actor.require(Permission.FACTS_WRITE)


def _term(text: str | int | None) -> int | None:
    term = str(text or "").strip().removesuffix("个月").removesuffix("月").strip()
    if not term:
        return None
    if not (term.isascii() and term.isdigit()) or not 1 <= int(term) <= 360:
        raise InvalidInput(f"期限“{text}”应为 1–360 个月", field="term_months", value=str(text))
    return int(term)


@dataclass(frozen=True)
class _Checked:
    firm: read.Firm
    amount_yuan: int
    purpose: str
    term_months: int | None


def check(
    session: Session, *, actor: Actor, today: dt.date, data: NewNeed,
    unread: Iterable[WulianError] = (),
) -> tuple[_Checked | None, list[WulianError]]:  # fmt: skip
    """Every check of a need, each field on its own: the values when all pass, else every
    problem (the form and the API name them all at once, an import by row and column); unread:
    the problems of the fields the view could not read (a date)."""
    problems: list[WulianError] = list(unread)
    firm = amount = term = None
    try:
        firm = _firm(session, actor, data.firm)
    except WulianError as error:
        problems.append(error)
    try:
        amount = service.parse_money(
            data.amount_wan, "万元", field="amount_wan", label="融资金额",
            min_wan=loans.LOAN_MIN_WAN,
        )  # fmt: skip
        if amount is None:
            raise InvalidInput("请填写融资金额（万元）", field="amount_wan")
        loans.check_not_yuan(amount, data.amount_wan, "万元", field="amount_wan", label="融资金额")
    except WulianError as error:
        problems.append(error)
    purpose = data.purpose.strip()
    if not purpose or len(purpose) > PURPOSE_MAX:
        problems.append(
            InvalidInput(
                f"请填写资金用途（不超过 {PURPOSE_MAX} 个字）", field="purpose", value=purpose[:50]
            )
        )
    try:
        term = _term(data.term_months)
    except WulianError as error:
        problems.append(error)
    if data.deadline is not None and data.deadline < today:
        problems.append(
            InvalidInput(
                f"需求截止日期 {data.deadline} 早于今天",
                field="deadline",
                value=data.deadline.isoformat(),
            )
        )
    if problems or firm is None or amount is None:
        return None, problems
    return _Checked(firm, amount, purpose, term), []


def create(
    session: Session, *, actor: Actor, today: dt.date, data: NewNeed, source: str = "form",
    desk_request_id: int | None = None, unread: Iterable[WulianError] = (),
) -> FinancingNeed:  # fmt: skip
    """Register a need (every check before the write; a need with problems is refused with all
    of them). The same need sent twice from the form (a double click, a page sent again) is
    refused, naming the one registered."""
    _require_write(session, actor)
    checked, problems = check(session, actor=actor, today=today, data=data, unread=unread)
    if checked is None:
        raise forms.Problems(problems).error("融资需求")
    if source == "form":
        same = session.scalar(
            sa.select(FinancingNeed.id).where(
                FinancingNeed.enterprise_id == checked.firm.id,
                FinancingNeed.amount_yuan == checked.amount_yuan,
                FinancingNeed.purpose == checked.purpose,
                FinancingNeed.status == "open",
                FinancingNeed.created_at >= utcnow() - REPEAT_WINDOW,
            )
        )
        if same is not None:
            raise Conflict(
                f"刚刚已登记了同一笔融资需求（编号 {same}），没有重复登记；"
                "如确是另一笔需求，请在用途中写明区别"
            )
    need = FinancingNeed(
        enterprise_id=checked.firm.id, firm_name=checked.firm.name,
        amount_yuan=checked.amount_yuan, purpose=checked.purpose,
        term_months=checked.term_months, collateral=data.collateral.strip()[:200],
        deadline=data.deadline, status="open", source=source, desk_request_id=desk_request_id,
        created_by=actor.label,
    )  # fmt: skip
    session.add(need)
    session.flush()
    return need


def _desk_request(session: Session, actor: Actor, typed: str | int) -> Any:  # a DeskRequest
    """The desk's request typed as its 受理编号 (QH…, as users see it) or its internal number,
    read through the desk's service API. One that is not handed to the finance office is a
    problem of the form (the officer sees it with the form kept), not a page refused."""
    text = str(typed).strip()
    number = forms.whole_number(text)
    try:
        if number is not None:
            return desk.get_or_raise(session, actor=actor, request_id=number)
        if TRACKING_NO.match(text.upper()):
            return desk.get_by_tracking_or_raise(session, actor=actor, tracking_no=text)
    except NotFound:
        raise InvalidInput(f"没有编号为 {text} 的诉求", field="request_id", value=text) from None
    except PermissionDenied:
        raise InvalidInput(
            f"诉求 {text.upper()} 未分派给金融办，金融办不能据此登记融资需求；"
            "请先在企呼我应把它交办给金融办",
            field="request_id", value=text,
        ) from None  # fmt: skip
    raise InvalidInput(
        f"诉求编号“{text}”无效：请填写受理编号（如 QH20260000004）",
        field="request_id", value=text,
    )  # fmt: skip


def from_desk(
    session: Session, *, actor: Actor, today: dt.date, request_id: str | int | None,
    term_months: str = "", collateral: str = "", deadline: dt.date | None = None,
    unread: Iterable[WulianError] = (),
) -> FinancingNeed:  # fmt: skip
    """A need from a request of the desk's 融资需求 category, linked to it (its amount and
    purpose are the request's attributes; once per request). request_id is the request's 受理编号
    as users see it (QH…) or its internal number. The form's problems (the request, the term,
    the day; unread: those the view could not read) are named at once."""
    service.require_write(session, actor)
    found = forms.Problems(unread)
    if (request_id is None or not str(request_id).strip()) and not found.has("request_id"):
        found.add(InvalidInput("请填写诉求编号", field="request_id"))
    request = None
    if request_id is not None and str(request_id).strip():
        request = found.check(lambda: _desk_request(session, actor, request_id))
    if request is not None:
        number = request.tracking_no or request.id
        taken = session.scalar(
            sa.select(FinancingNeed.id).where(FinancingNeed.desk_request_id == request.id)
        )
        if request.category != DESK_CATEGORY:
            found.add(
                InvalidInput(
                    f"诉求 {number} 不是“融资需求”类诉求", field="request_id", value=str(request_id)
                )
            )
        elif taken is not None:
            found.add(Conflict(f"诉求 {number} 已登记为融资需求 {taken}", field="request_id"))
    found.check(lambda: _term(term_months))
    if deadline is not None and deadline < today:
        found.add(
            InvalidInput(
                f"需求截止日期 {deadline} 早于今天", field="deadline", value=deadline.isoformat()
            )
        )
    if found or request is None:  # request is None only with its problem
        raise found.error("融资需求")
    attributes = request.attributes or {}
    amount = attributes.get("amount_wan")
    data = NewNeed(
        firm=str(request.enterprise_id),
        amount_wan=None if amount is None else str(amount),
        purpose=str(attributes.get("purpose") or request.title),
        term_months=term_months, collateral=collateral, deadline=deadline,
    )  # fmt: skip
    return create(
        session, actor=actor, today=today, data=data, source="desk", desk_request_id=request.id
    )


def need_or_raise(session: Session, *, actor: Actor, need_id: int) -> FinancingNeed:
    need = session.get(FinancingNeed, need_id)
    if need is None:
        raise NotFound(f"没有编号为 {need_id} 的融资需求")
    if actor.enterprise_id is not None:
        actor.require_enterprise(need.enterprise_id)
    else:
        service.require_read(actor)
    return need


def set_status(session: Session, *, actor: Actor, need_id: int, status: str) -> FinancingNeed:
    """Move a need (the finance office)."""
    service.require_write(session, actor)
    need = need_or_raise(session, actor=actor, need_id=need_id)
    if status not in STATUSES:
        raise InvalidInput(f"需求状态应为：{'、'.join(STATUSES.values())}", field="status")
    need.status = status
    session.flush()
    return need


def needs(
    session: Session, *, actor: Actor, status: str | None = None, enterprise_id: int | None = None
) -> list[FinancingNeed]:
    """Finance staff: every need (or a firm's); a firm's user: its own."""
    if actor.enterprise_id is not None:
        actor.require(Permission.ENTERPRISES_READ)
        enterprise_id = actor.enterprise_id
    else:
        service.require_read(actor)
    query = sa.select(FinancingNeed)
    if status:
        query = query.where(FinancingNeed.status == status)
    if enterprise_id is not None:
        query = query.where(FinancingNeed.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(FinancingNeed.id.desc())))


# ---------------------------------------------------------------- the xlsx import

FIELDS: dict[str, tuple[str, ...]] = {
    "firm": ("企业名称", "企业", "统一社会信用代码"),
    "amount": ("融资金额", "需求金额", "融资需求金额"),
    "purpose": ("资金用途", "用途"),
    "term": ("期限", "融资期限", "期限月"),
    "collateral": ("可提供担保", "担保方式", "可接受担保", "抵质押物"),
    "deadline": ("需求截止日期", "截止日期", "资金需求时间"),
}
LABELS = {
    "firm": "企业名称", "amount": "融资金额（万元）", "purpose": "资金用途", "term": "期限（月）",
    "collateral": "可提供担保", "deadline": "需求截止日期",
}  # fmt: skip
REQUIRED = ("firm", "amount", "purpose")
TEMPLATE_HEADERS = list(LABELS.values())
TEMPLATE_EXAMPLE = ["某新材料有限公司", "500", "流动资金", "12", "知识产权质押", "2026-12-31"]


@dataclass
class NeedsReport:
    filename: str
    rows_total: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False
    created: int = 0
    total_yuan: int = 0


def _is_header(cells: object) -> bool:
    return any(ledger._key(str(c)) in ("企业名称", "企业") for c in cells)  # type: ignore[attr-defined]


def import_needs(
    session: Session, *, actor: Actor, today: dt.date, data: bytes, filename: str, dry_run: bool
) -> NeedsReport:
    """Check (dry_run) or write a list of needs (the finance office); every row or none."""
    service.require_write(session, actor)
    report = NeedsReport(filename=filename)
    table = read_table(data, filename, is_header=_is_header)
    wanted = {ledger._key(a): name for name, aliases in FIELDS.items() for a in aliases}
    for header in table.headers:
        name = wanted.get(ledger._key(header))
        if name is not None and name not in report.columns:
            report.columns[name] = header
            unit = ledger._UNIT.search(header)
            if name == "amount" and unit is not None and not unit.group(1).startswith("万"):
                report.problems.append(RowProblem(1, header, None, "融资金额请按万元填写"))
    for name in REQUIRED:
        if name not in report.columns:
            report.problems.append(
                RowProblem(1, LABELS[name], None, f"缺少“{LABELS[name]}”列", kind="缺少列")
            )
    if report.problems:
        return report
    rows = table.frame.to_dicts()
    report.rows_total = len(rows)
    if len(rows) > ledger.MAX_ROWS:
        report.problems.append(RowProblem(None, None, None, f"一次最多导入 {ledger.MAX_ROWS} 行"))
        return report
    for index, cells in enumerate(rows):
        line = int(table.rows[index])

        def cell(name: str, cells: dict[str, object] = cells) -> str:
            header = report.columns.get(name)
            value = "" if header is None else str(cells.get(header) or "").strip()
            return "" if value in EMPTY else value

        if not any(cell(n) for n in report.columns):
            continue
        day = ledger._day(cell("deadline"))
        if isinstance(day, str):
            report.problems.append(
                RowProblem(line, report.columns["deadline"], cell("deadline"), day)
            )
        item = NewNeed(
            firm=cell("firm"), amount_wan=cell("amount"), purpose=cell("purpose"),
            term_months=cell("term"), collateral=cell("collateral"),
            deadline=None if isinstance(day, str) else day,
        )  # fmt: skip
        checked, problems = check(session, actor=actor, today=today, data=item)
        for error in problems:
            name = {"amount_wan": "amount", "term_months": "term"}.get(
                str(error.extra.get("field") or ""), str(error.extra.get("field") or "firm")
            )
            column = report.columns.get(name, LABELS.get(name, name))
            bad = error.extra.get("value")
            report.problems.append(
                RowProblem(
                    line, column, None if bad is None else str(bad) or cell(name), error.message
                )
            )
        if checked is None or isinstance(day, str):
            continue
        need = create(session, actor=actor, today=today, data=item, source="import")
        report.created += 1
        report.total_yuan += need.amount_yuan
    if dry_run or report.problems:
        session.rollback()  # the check wrote the rows to run every rule: none of them stay
        return report
    audit.record(
        session, action="capital.needs_import", object_type="capital_needs",
        after={"filename": filename, "rows": report.created, "amount_yuan": report.total_yuan},
    )  # fmt: skip
    report.committed = True
    return report


def template_xlsx() -> bytes:
    book = xlsx.ListWorkbook()
    book.table(
        "融资需求",
        headers=TEMPLATE_HEADERS,
        rows=[TEMPLATE_EXAMPLE],
        widths=[30, 16, 16, 12, 20, 14],
    )
    return book.close()
