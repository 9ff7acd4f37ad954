"""链上往来: supply ties between zone firms and external firms, kept by investment staff.

A tie says that a zone firm buys a product from an external firm (采购自) or sells one to it
(供货给), with the yearly amount in 万元 where known, the source of the fact and the year. The
external firm is a registry firm or, until it is registered, a name. Ties feed the 招商图谱's
targets (a target tied to zone firms on the gap's node or its neighbours gets the ties points)
and the 以商招商 route of an approach plan (the tied zone firm introduces the target).

Staff with the investment permission read ties; those who may write investment data enter,
delete and import them; enterprise users never see them. An import is all or nothing: every
row is checked (problems named by row, column and value, unknown firms by name), duplicates of
the table or of earlier rows are refused, and an amount that looks off by 10⁴ is flagged and
written only once confirmed. Every write is audited (the flush hook; an import also as one
entry); when the registry merges two firms the duplicate's ties move to the kept firm.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, forms, xlsx
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
from wulian.enterprises import read
from wulian.enterprises import service as enterprises
from wulian.investment import tasks
from wulian.investment.ledger import Flag  # an amount flagged in a row, as in the ledger
from wulian.investment.models import SupplyTie
from wulian.investment.pipeline import require_read

T = TypeVar("T")
DIRECTIONS: dict[str, str] = {"buys": "采购自", "sells": "供货给"}
DIRECTION_WORDS: dict[str, str] = {
    "采购自": "buys", "采购": "buys", "向其采购": "buys", "buys": "buys",
    "供货给": "sells", "供货": "sells", "销售给": "sells", "向其供货": "sells", "sells": "sells",
}  # fmt: skip
FLAG_ABOVE_WAN = Decimal(1_000_000)  # 100 亿元 a year with one partner: probably typed in 元
FLAG_BELOW_WAN = Decimal(1)  # under 1 万元 a year: probably typed in 亿元
MAX_ROWS = 5_000


def may_write(session: Session, actor: Actor) -> bool:
    """Whether actor may record or delete ties: the staff of the 招商 teams with the investment
    write permission, and administrators (other departments read them)."""
    if not actor.has(Permission.INVESTMENT_WRITE) or actor.enterprise_id is not None:
        return False
    if actor.answers_for_all:
        return True
    teams = {t.id for t in tasks.investment_teams(session, actor=actor)}
    return actor.department_id is not None and actor.department_id in teams


def require_write(session: Session, actor: Actor) -> None:
    """Refuse anyone but the 招商 teams' staff and administrators (never an enterprise user)."""
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    if not may_write(session, actor):
        raise PermissionDenied("链上往来由招商部门的工作人员登记和删除，其他部门只能查看")


@dataclass(frozen=True)
class TieInput:
    """What the form or one row of a file gives: firms by number, credit code or full name."""

    zone_firm: str
    partner: str
    direction: str  # buys | sells, or 采购自 | 供货给
    product: str
    amount_wan: str = ""  # 万元 a year, empty: unknown
    source: str = ""
    year: int | None = None  # the current year when not given
    confirm_amount: bool = False  # an amount flagged as off by 10⁴ was checked and stands


def amount_flag(value: Decimal) -> str | None:
    """Why an amount (万元 a year) looks typed in another unit, or None."""
    if value >= FLAG_ABOVE_WAN:
        return f"超过 100 亿元，疑似按元填写（按元即 {(value / 10_000).normalize():f} 万元）"
    if 0 < value < FLAG_BELOW_WAN:
        return f"不足 1 万元，疑似按亿元填写（按亿元即 {(value * 10_000).normalize():f} 万元）"
    return None


AMOUNT_CAP_WAN = Decimal(10) ** 12  # 1 亿亿元: no tie is this large, whatever the unit


def year_of(text: str) -> int | None:
    """A year as typed on the form or in a file (2025, 2025年, 2025.0); blank: None."""
    text = text.strip().removesuffix("年")
    if text.endswith(".0"):
        text = text[:-2]
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput("年度应为四位数字", field="year", value=text)
    return int(text)


def _amount(text: str) -> tuple[int | None, Decimal | None]:
    """万元 a year as typed: a plain decimal, “万”/“万元” after it or not (“1200万”); another
    unit is refused with the amount converted, as the capital forms do."""
    raw = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not raw:
        return None, None
    raw = forms.typed_amount(raw, text.strip(), "万元", field="amount_wan", label="年往来金额")
    text = raw
    value = Decimal(raw)
    if value < 0:
        raise InvalidInput("年往来金额不能为负数", field="amount_wan", value=text)
    if value >= AMOUNT_CAP_WAN:
        raise InvalidInput("年往来金额过大（单位是万元），请核对", field="amount_wan", value=text)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), value


def _firm(session: Session, actor: Actor, text: str, field: str) -> read.Firm | None:
    """The registry firm named by its number, credit code or full name, if any."""
    text = text.strip()
    if not text:
        return None
    if enterprises.USCC_SHAPE.fullmatch(text.upper()):  # a credit code, even all digits
        try:
            record = enterprises.get_by_uscc(session, code=text.upper())
        except WulianError as error:  # a code whose check character is wrong
            raise InvalidInput(error.message, field=field, value=text) from None
        return read.get(session, record.id, actor=actor) if record is not None else None
    if text.isdigit() and int(text) >= 2**31:  # no firm has such a number
        return None
    found = enterprises.find_id(session, text=text)
    return read.get(session, found, actor=actor) if found is not None else None


def _partner_key(partner_id: int | None, name: str) -> str:
    return f"id:{partner_id}" if partner_id is not None else "name:" + re.sub(r"\s+", "", name)


@dataclass(frozen=True)
class Checked:
    zone_id: int
    zone_name: str
    partner_id: int | None
    partner_name: str
    direction: str
    product: str
    amount_wan: int | None
    source: str
    year: int
    flag: str | None  # an amount that looks off by 10⁴ (not confirmed)

    @property
    def key(self) -> tuple[int, str, str, str, int]:
        return (
            self.zone_id, _partner_key(self.partner_id, self.partner_name), self.direction,
            self.product, self.year,
        )  # fmt: skip


def check(session: Session, *, actor: Actor, today: dt.date, data: TieInput) -> Checked:
    """The tie as it would be written, or the first InvalidInput (naming field and value)."""
    found = check_all(session, actor=actor, today=today, data=data)
    if isinstance(found, list):
        raise found[0]
    return found


def check_all(
    session: Session, *, actor: Actor, today: dt.date, data: TieInput
) -> Checked | list[InvalidInput]:
    """The tie as it would be written, or every problem of it (one per field), so that a form
    or a row of a file names them all at once."""
    problems: list[InvalidInput] = []

    def attempt(part: Callable[[], T]) -> T | None:
        try:
            return part()
        except InvalidInput as error:
            problems.append(error)
            return None

    zone = attempt(lambda: _zone_firm(session, actor, data.zone_firm))
    partner = attempt(lambda: _partner(session, actor, data.partner))
    direction = attempt(lambda: _direction(data.direction))
    product = attempt(lambda: _text(data.product, "product", "产品", 100, "请填写往来的产品"))
    amounts = attempt(lambda: _amount(data.amount_wan))
    year = attempt(lambda: _year(data.year, today))
    source = attempt(lambda: _text(data.source, "source", "来源", 100, None))
    if (
        problems or zone is None or partner is None or amounts is None or direction is None
        or product is None or year is None
    ):  # fmt: skip
        return problems  # a part is None only when it added its problem
    amount, exact = amounts
    partner_text, found = partner
    flag = amount_flag(exact) if exact is not None and not data.confirm_amount else None
    return Checked(
        zone_id=zone.id, zone_name=zone.name,
        partner_id=found.id if found is not None else None,
        partner_name=found.name if found is not None else partner_text,
        direction=direction, product=product, amount_wan=amount, source=source or "", year=year,
        flag=flag,
    )  # fmt: skip


def _zone_firm(session: Session, actor: Actor, text: str) -> read.Firm:
    zone_text = text.strip()
    if not zone_text:
        raise InvalidInput("请填写园区企业（名称、统一社会信用代码或编号）", field="zone_firm")
    zone = _firm(session, actor, zone_text, "zone_firm")
    if zone is None:
        raise InvalidInput(
            f"企业名录里没有“{zone_text}”（请填写园区企业的全称、统一社会信用代码或编号）",
            field="zone_firm", value=zone_text,
        )  # fmt: skip
    if not zone.in_zone:
        raise InvalidInput(f"“{zone.name}”不是园区企业", field="zone_firm", value=zone_text)
    return zone


def _partner(session: Session, actor: Actor, text: str) -> tuple[str, read.Firm | None]:
    partner_text = text.strip()
    if not partner_text:
        raise InvalidInput("请填写往来企业（名录中的企业或企业名称）", field="partner")
    if len(partner_text) > 200:
        raise InvalidInput("往来企业名称不超过 200 个字", field="partner", value=partner_text)
    partner = _firm(session, actor, partner_text, "partner")
    if partner is not None and partner.in_zone:
        raise InvalidInput(
            f"“{partner.name}”是园区企业；链上往来记录园区企业与园区外企业的购销",
            field="partner", value=partner_text,
        )  # fmt: skip
    if partner is None and enterprises.USCC_SHAPE.fullmatch(partner_text.upper()):
        raise InvalidInput(
            f"企业名录里没有统一社会信用代码为 {partner_text} 的企业（名录外的企业请填写名称）",
            field="partner", value=partner_text,
        )  # fmt: skip
    if partner is None and partner_text.isascii() and partner_text.isdigit():
        raise InvalidInput(
            f"企业名录里没有编号为 {partner_text} 的企业", field="partner", value=partner_text
        )
    if partner is None:  # a name: one the registry folds to a zone firm is that firm
        zone = read.ids_for_names(session, [partner_text], in_zone=True).get(partner_text)
        if zone is not None:
            name = read.names(session, {zone}).get(zone, partner_text)
            raise InvalidInput(
                f"“{partner_text}”即园区企业“{name}”；链上往来记录园区企业与园区外企业的购销",
                field="partner", value=partner_text,
            )  # fmt: skip
    return partner_text, partner


def _direction(text: str) -> str:
    direction = DIRECTION_WORDS.get(text.strip())
    if direction is None:
        raise InvalidInput(
            "方向应为“采购自”（园区企业向它采购）或“供货给”（园区企业向它供货）",
            field="direction", value=text,
        )  # fmt: skip
    return direction


def _text(text: str, field: str, label: str, limit: int, missing: str | None) -> str:
    value = text.strip()
    if not value and missing is not None:
        raise InvalidInput(missing, field=field)
    if len(value) > limit:
        raise InvalidInput(f"{label}不超过 {limit} 个字", field=field, value=value)
    return value


def _year(year: int | None, today: dt.date) -> int:
    year = year if year is not None else today.year
    if not 2000 <= year <= today.year:
        raise InvalidInput(f"年度应在 2000 至 {today.year} 年之间", field="year", value=str(year))
    return year


def _exists(session: Session, checked: Checked) -> bool:
    zone_id, key, direction, product, year = checked.key
    query = sa.select(SupplyTie.id).where(
        SupplyTie.zone_enterprise_id == zone_id,
        SupplyTie.partner_key == key,
        SupplyTie.direction == direction,
        SupplyTie.product == product,
        SupplyTie.year == year,
    )
    return session.scalar(query.limit(1)) is not None


def _duplicate(checked: Checked) -> Conflict:
    return Conflict(
        f"已有这条往来：{checked.zone_name} {DIRECTIONS[checked.direction]} "
        f"{checked.partner_name}（{checked.product}，{checked.year} 年）"
    )


def _write(session: Session, actor: Actor, checked: Checked) -> SupplyTie:
    tie = SupplyTie(
        zone_enterprise_id=checked.zone_id, partner_enterprise_id=checked.partner_id,
        partner_name=checked.partner_name,
        partner_key=_partner_key(checked.partner_id, checked.partner_name),
        direction=checked.direction, product=checked.product, amount_wan=checked.amount_wan,
        source=checked.source, year=checked.year, created_by=actor.label,
    )  # fmt: skip
    session.add(tie)
    session.flush()
    return tie


FORM_FIELDS = ("zone_firm", "direction", "partner", "product", "amount_wan", "year", "source")


def _unconfirmed(data: TieInput) -> InvalidInput | None:
    """The problem of an amount that looks off by 10⁴ and is not confirmed, if any."""
    if data.confirm_amount:
        return None
    try:
        _, exact = _amount(data.amount_wan)
    except InvalidInput:  # named as it is
        return None
    flag = amount_flag(exact) if exact is not None else None
    if flag is None:
        return None
    return InvalidInput(
        f"年往来金额{flag}；核对无误请勾选“金额已核对”后再保存",
        field="amount_wan", value=data.amount_wan,
    )  # fmt: skip


def create(
    session: Session, *, actor: Actor, today: dt.date, data: TieInput,
    unread: Iterable[InvalidInput] = (),
) -> SupplyTie:  # fmt: skip
    """Record one tie; a duplicate (same firms, direction, product and year) is refused, and so
    is an amount that looks off by 10⁴ unless confirmed. Every problem is named at once, with
    those the form could not read (unread: a year that is not a year)."""
    require_write(session, actor)
    checked = check_all(session, actor=actor, today=today, data=data)
    problems: list[InvalidInput] = list(unread)
    if isinstance(checked, list):
        problems += checked
    unconfirmed = _unconfirmed(data)
    if unconfirmed is not None:  # named with the others, not only once they are fixed
        problems.append(unconfirmed)
    if problems or isinstance(checked, list):
        order = {f: n for n, f in enumerate(FORM_FIELDS)}
        problems.sort(key=lambda p: order.get(str(p.extra.get("field")), len(order)))
        raise forms.Problems(problems).error()
    if _exists(session, checked):
        raise _duplicate(checked)
    return _write(session, actor, checked)


def delete(session: Session, *, actor: Actor, tie_id: int) -> SupplyTie:
    """Delete a tie (entered in error or no longer true)."""
    require_write(session, actor)
    tie = session.get(SupplyTie, tie_id)
    if tie is None:
        raise NotFound(f"没有编号为 {tie_id} 的链上往来")
    session.delete(tie)
    session.flush()
    return tie


@dataclass(frozen=True)
class Tie:
    id: int
    zone_id: int
    zone_name: str
    partner_id: int | None
    partner_name: str
    direction: str
    product: str
    amount_wan: int | None
    source: str
    year: int
    created_by: str

    @property
    def direction_name(self) -> str:
        return DIRECTIONS.get(self.direction, self.direction)

    @property
    def partner_says(self) -> str:
        """The tie from the partner's side, as a target's reason: 向园区企业X供货：DTY."""
        verb = "向园区企业" if self.direction == "buys" else "从园区企业"
        act = "供货" if self.direction == "buys" else "采购"
        return f"{verb}{self.zone_name}{act}：{self.product}"


def get_all(
    session: Session,
    *,
    actor: Actor,
    zone_ids: Iterable[int] | None = None,
    partner_ids: Iterable[int] | None = None,
    q: str = "",
    limit: int = 500,
) -> list[Tie]:
    """Ties, newest year first (of some zone firms or partners; q: a word of a firm or product)."""
    require_read(actor)
    query = sa.select(SupplyTie)
    if zone_ids is not None:
        query = query.where(SupplyTie.zone_enterprise_id.in_(list(zone_ids)))
    if partner_ids is not None:
        query = query.where(SupplyTie.partner_enterprise_id.in_(list(partner_ids)))
    words = q.strip()
    if words:
        like = f"%{words}%"
        named = read.ids_named(session, words)
        query = query.where(
            SupplyTie.partner_name.ilike(like) | SupplyTie.product.ilike(like)
            | SupplyTie.zone_enterprise_id.in_(named)
        )  # fmt: skip
    rows = list(
        session.scalars(query.order_by(SupplyTie.year.desc(), SupplyTie.id.desc()).limit(limit))
    )
    names = read.names(session, {r.zone_enterprise_id for r in rows})
    return [
        Tie(r.id, r.zone_enterprise_id, names.get(r.zone_enterprise_id, str(r.zone_enterprise_id)),
            r.partner_enterprise_id, r.partner_name, r.direction, r.product, r.amount_wan,
            r.source, r.year, r.created_by)
        for r in rows
    ]  # fmt: skip


def count(session: Session, *, actor: Actor) -> int:
    require_read(actor)
    return int(session.scalar(sa.select(sa.func.count()).select_from(SupplyTie)) or 0)


# ---------------------------------------------------------------- the import


FIELDS: dict[str, tuple[str, ...]] = {
    "zone_firm": ("园区企业", "园区企业名称", "本地企业"),
    "partner": ("往来企业", "外地企业", "合作企业", "客户或供应商", "往来企业名称"),
    "direction": ("方向", "往来方向", "购销方向"),
    "product": ("产品", "往来产品", "购销产品"),
    "amount": ("年往来金额", "年金额", "金额", "年采购供货额"),
    "source": ("来源", "信息来源"),
    "year": ("年度", "年份"),
}
LABELS = {
    "zone_firm": "园区企业", "partner": "往来企业", "direction": "方向", "product": "产品",
    "amount": "年往来金额（万元）", "source": "来源", "year": "年度",
}  # fmt: skip
REQUIRED = ("zone_firm", "partner", "direction", "product")
_STRIP = re.compile(r"[\s*＊（()）]|万元")
_UNIT = re.compile(r"[（(]\s*(万元|元|亿元|千元)\s*[)）]")
_FIELD_OF_ERROR = {"zone_firm": "zone_firm", "partner": "partner", "direction": "direction",
                   "product": "product", "amount_wan": "amount", "source": "source",
                   "year": "year"}  # fmt: skip


@dataclass
class ImportReport:
    filename: str
    rows_total: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field → the header it was read from
    problems: list[RowProblem] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    confirmed: set[int] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)  # partners not in the registry (by name)
    preview: list[dict[str, str]] = field(default_factory=list)
    committed: bool = False
    created: int = 0

    @property
    def unconfirmed(self) -> list[Flag]:
        return [f for f in self.flags if f.row not in self.confirmed]

    @property
    def ready(self) -> bool:
        return not self.problems and not self.unconfirmed


def _key(header: str) -> str:
    return _STRIP.sub("", header)


def _columns(headers: list[str], report: ImportReport) -> None:
    wanted = {_key(alias): name for name, aliases in FIELDS.items() for alias in aliases}
    for header in headers:
        name = wanted.get(_key(header))
        if name is None or name in report.columns:
            continue
        unit = _UNIT.search(header)
        if name == "amount" and (unit is None or unit.group(1) != "万元"):
            report.problems.append(
                RowProblem(
                    1, header, None, "金额列的表头须注明单位“（万元）”，如“年往来金额（万元）”"
                )
            )
        report.columns[name] = header
    for name in REQUIRED:
        if name not in report.columns:
            report.problems.append(
                RowProblem(1, LABELS[name], None, f"缺少“{LABELS[name]}”列", kind="缺少列")
            )


def _is_header(cells: object) -> bool:
    texts = [_key(str(c)) for c in cells]  # type: ignore[attr-defined]
    return any(t in FIELDS["zone_firm"] for t in texts)


def import_ties(
    session: Session,
    *,
    actor: Actor,
    today: dt.date,
    data: bytes,
    filename: str,
    dry_run: bool,
    confirm_rows: Collection[int] = (),
) -> ImportReport:
    """Check (dry_run) or write a file of ties; every row or none."""
    require_write(session, actor)
    report = ImportReport(filename=filename, confirmed=set(confirm_rows))
    table = read_table(data, filename, is_header=_is_header)
    _columns(table.headers, report)
    if report.problems:
        return report
    rows = table.frame.to_dicts()
    if len(rows) > MAX_ROWS:
        report.problems.append(RowProblem(None, None, None, f"一次最多导入 {MAX_ROWS} 行"))
        return report
    seen: dict[tuple[int, str, str, str, int], int] = {}
    ready: list[Checked] = []
    for index, cells in enumerate(rows):
        line = int(table.rows[index])

        def cell(name: str, cells: dict[str, object] = cells) -> str:
            header = report.columns.get(name)
            value = "" if header is None else str(cells.get(header) or "").strip()
            return "" if value in EMPTY else value

        if not any(cell(n) for n in report.columns):
            continue
        report.rows_total += 1
        found: list[InvalidInput] = []
        try:
            year = year_of(cell("year"))
        except InvalidInput as error:
            found.append(error)
            year = today.year  # the other columns are still checked
        item = TieInput(
            zone_firm=cell("zone_firm"), partner=cell("partner"), direction=cell("direction"),
            product=cell("product"), amount_wan=cell("amount"), source=cell("source"),
            year=year,
            confirm_amount=line in report.confirmed,
        )  # fmt: skip
        result = check_all(session, actor=actor, today=today, data=item)
        if isinstance(result, list) or found:
            for problem in [*found, *(result if isinstance(result, list) else [])]:
                name = _FIELD_OF_ERROR.get(str(problem.extra.get("field") or ""), "zone_firm")
                bad = problem.extra.get("value")
                column = report.columns.get(name, LABELS[name])
                report.problems.append(
                    RowProblem(line, column, None if bad is None else str(bad), problem.message)
                )
            continue
        checked = result
        if checked.flag is not None:
            report.flags.append(Flag(line, report.columns["amount"], cell("amount"), checked.flag))
        if checked.key in seen:
            report.problems.append(
                RowProblem(line, report.columns["product"], checked.product,
                           f"与第 {seen[checked.key]} 行重复（同一对企业、方向、产品和年度）")
            )  # fmt: skip
            continue
        seen[checked.key] = line
        if _exists(session, checked):
            report.problems.append(
                RowProblem(line, report.columns["product"], checked.product,
                           "已有这条往来（同一对企业、方向、产品和年度）")
            )  # fmt: skip
            continue
        if checked.partner_id is None and checked.partner_name not in report.unknown:
            report.unknown.append(checked.partner_name)
        ready.append(checked)
        if len(report.preview) < 20:
            report.preview.append(
                {"row": str(line), "zone": checked.zone_name,
                 "direction": DIRECTIONS[checked.direction], "partner": checked.partner_name,
                 "product": checked.product,
                 "amount": "" if checked.amount_wan is None else f"{checked.amount_wan:,}",
                 "year": str(checked.year)}
            )  # fmt: skip
    report.created = len(ready)
    if report.rows_total == 0 and not report.problems:
        report.problems.append(RowProblem(None, None, None, "文件没有数据行"))
    if dry_run or not report.ready:
        return report
    for checked in ready:
        _write(session, actor, checked)
    audit.record(
        session, action="investment.ties_import", object_type="investment_supply_ties",
        after={"filename": filename, "rows": report.created, "unknown_partners": report.unknown},
    )  # fmt: skip
    report.committed = True
    return report


TEMPLATE_HEADERS = ["园区企业", "方向", "往来企业", "产品", "年往来金额（万元）", "来源", "年度"]
TEMPLATE_EXAMPLE = [
    "某某织造有限公司", "采购自", "某某化纤股份有限公司", "DTY", "1200", "企业走访", "2026",
]  # fmt: skip


def template_xlsx() -> bytes:
    """A file of ties to fill in: the columns the import reads, one example row."""
    book = xlsx.ListWorkbook()
    book.table(
        "链上往来", headers=TEMPLATE_HEADERS, rows=[TEMPLATE_EXAMPLE],
        widths=[28, 10, 28, 20, 18, 16, 8],
    )  # fmt: skip
    return book.close()


# ---------------------------------------------------------------- for the targets and plans


def ties_with(
    session: Session, *, actor: Actor, partner_ids: Collection[int], zone_ids: Collection[int]
) -> dict[int, list[Tie]]:
    """Each partner's ties to the given zone firms, the largest amount first. A tie entered
    with the partner's name only (it was not in the registry then) counts for the registry
    firm outside the zone whose name is the same once folded (`read.ids_for_names`: width,
    spaces, brackets, 有限公司 / 有限责任公司 …), unless the same tie was entered again with
    the firm itself; nothing is written."""
    require_read(actor)
    if not partner_ids or not zone_ids:
        return {}
    out: dict[int, list[Tie]] = {}
    partners = list(partner_ids)
    for start in range(0, len(partners), 1000):
        for tie in get_all(
            session, actor=actor, partner_ids=partners[start : start + 1000],
            zone_ids=zone_ids, limit=100_000,
        ):  # fmt: skip
            if tie.partner_id is not None:
                out.setdefault(tie.partner_id, []).append(tie)
    for firm, tie in _named_ties(session, set(partners), zone_ids):
        held = {(t.zone_id, t.direction, t.product, t.year) for t in out.get(firm, ())}
        if (tie.zone_id, tie.direction, tie.product, tie.year) not in held:
            out.setdefault(firm, []).append(tie)
    for found in out.values():
        found.sort(key=lambda t: (-(t.amount_wan or 0), -t.year, t.id))
    return out


def registered_partners(session: Session, *, actor: Actor, shown: Sequence[Tie]) -> dict[int, int]:
    """For the ties shown that were entered with the partner's name only: tie id → the registry
    firm outside the zone that name now stands for (the same folding as the targets use), so the
    list links it instead of saying it is not in the registry."""
    require_read(actor)
    named = [t for t in shown if t.partner_id is None]
    if not named:
        return {}
    firms = read.ids_for_names(session, {t.partner_name for t in named}, in_zone=False)
    return {t.id: firms[t.partner_name] for t in named if t.partner_name in firms}


def _named_ties(
    session: Session, partners: set[int], zone_ids: Collection[int]
) -> list[tuple[int, Tie]]:
    """The name-only ties with the zone firms whose partner is now one of partners (a registry
    firm outside the zone with the same folded name), each with that firm's id."""
    rows = list(
        session.scalars(
            sa.select(SupplyTie)
            .where(
                SupplyTie.partner_enterprise_id.is_(None),
                SupplyTie.zone_enterprise_id.in_(list(zone_ids)),
            )
            .order_by(SupplyTie.id)
        )
    )
    if not rows:
        return []
    firms = read.ids_for_names(session, {r.partner_name for r in rows}, in_zone=False)
    linked = [(firms[r.partner_name], r) for r in rows if firms.get(r.partner_name) in partners]
    names = read.names(session, {r.zone_enterprise_id for _, r in linked})
    return [
        (firm, Tie(r.id, r.zone_enterprise_id,
                   names.get(r.zone_enterprise_id, str(r.zone_enterprise_id)), firm,
                   r.partner_name, r.direction, r.product, r.amount_wan, r.source, r.year,
                   r.created_by))
        for firm, r in linked
    ]  # fmt: skip


# ---------------------------------------------------------------- merges


def fold_firm(session: Session, *, actor: Actor, keep_id: int, drop_id: int) -> int:
    """The registry merges drop_id into keep_id: the duplicate's ties move to the kept firm
    (as zone firm or as partner); a tie the kept firm already has is dropped. Audited."""
    moved = dropped = 0
    for column, keyed in (
        (SupplyTie.zone_enterprise_id, False),
        (SupplyTie.partner_enterprise_id, True),
    ):
        for tie in list(session.scalars(sa.select(SupplyTie).where(column == drop_id))):
            zone = keep_id if not keyed else tie.zone_enterprise_id
            key = _partner_key(keep_id, "") if keyed else tie.partner_key
            clash = session.scalar(
                sa.select(SupplyTie.id).where(
                    SupplyTie.id != tie.id, SupplyTie.zone_enterprise_id == zone,
                    SupplyTie.partner_key == key, SupplyTie.direction == tie.direction,
                    SupplyTie.product == tie.product, SupplyTie.year == tie.year,
                )
            )  # fmt: skip
            if clash is not None:
                session.delete(tie)
                dropped += 1
                continue
            if keyed:
                tie.partner_enterprise_id = keep_id
                tie.partner_key = key
            else:
                tie.zone_enterprise_id = keep_id
            moved += 1
        session.flush()
    if moved or dropped:
        audit.record(
            session, action="investment.ties_merge", object_type="enterprise",
            object_id=keep_id, after={"merged": drop_id, "moved": moved, "dropped": dropped},
        )  # fmt: skip
    return moved
