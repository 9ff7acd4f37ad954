"""A firm's capital on its page (一企一档): fund investments in it, its loans, its listing stage.

Shown to finance staff and to the firm's own users; other actors (and firms with none of it) get
nothing, so the page shows no empty section."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from wulian.capital import listings, loans, service
from wulian.capital.models import Loan
from wulian.core.errors import PermissionDenied
from wulian.core.permissions import Actor


@dataclass(frozen=True)
class FirmFinance:
    investments: int  # fund investments in the firm
    invested: str  # their amount, 亿元 (as the fund pages show it)
    funds: list[str]  # the funds' names
    loans: int
    granted: str  # 万元, all loans (as the loan pages show them), with thousands separators
    outstanding: str  # 万元, disbursed and not repaid
    troubled: dict[str, int]  # loans overdue or in default, by their Chinese status
    listing: str | None  # the listing stage (and board), None when not on the pipeline


def _shown(yuan: int, unit: str) -> str:
    """An amount in unit, exact, with thousands separators: 3,000,200."""
    return f"{Decimal(service.show(yuan, unit) or '0'):,f}"


def _outstanding(loan: Loan) -> int:
    return max(loan.disbursed_yuan - loan.repaid_yuan, 0)


def firm_finance(session: Session, *, actor: Actor, enterprise_id: int) -> FirmFinance | None:
    """The firm's capital for its page; None where actor may not read it or there is none."""
    try:
        firm = service.firm_capital(session, actor=actor, enterprise_id=enterprise_id)
        own_loans = loans.firm_loans(session, actor=actor, enterprise_id=enterprise_id)
        case = listings.firm_case(session, actor=actor, enterprise_id=enterprise_id)
    except PermissionDenied:
        return None
    if not firm.investments and not own_loans and case is None:
        return None
    troubled: dict[str, int] = {}
    for loan in own_loans:
        if loan.status != "normal":
            name = loans.STATUSES.get(loan.status, loan.status)
            troubled[name] = troubled.get(name, 0) + 1
    listing = None
    if case is not None:
        listing = listings.STAGES.get(case.stage, case.stage)
        if case.board:
            listing += f"（{listings.BOARDS.get(case.board, case.board)}）"
    return FirmFinance(
        investments=len(firm.investments),
        invested=_shown(sum(i.amount_yuan for i in firm.investments), "亿元"),
        funds=sorted({firm.fund_names.get(i.fund_id, "") for i in firm.investments} - {""}),
        loans=len(own_loans),
        granted=_shown(sum(x.granted_yuan for x in own_loans), "万元"),
        outstanding=_shown(sum(_outstanding(x) for x in own_loans), "万元"),
        troubled=troubled,
        listing=listing,
    )
