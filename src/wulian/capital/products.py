"""The financing products catalogue and a firm's 一企一策 financing plan.

A product's eligibility is a rule set: one condition per line, "说明: 表达式", in the rules
engine's expression language (engines/rules/expr: parsed and type-checked, never eval), over the
inputs of INPUTS (the firm's latest-year figures from the registry's facts, its age, whether it
is in the zone, the titles it holds). A rule set that does not parse or check is refused with the
line, column and reason. For a firm each product's conditions are evaluated: met, not met, or
unknown (the data it lacks); the firm qualifies when every condition is met, nearly qualifies
when at most one is not met and none is unknown, or none is unmet but some data is missing. The
plan lists them with the reasons and the data to add; officers of the finance office annotate it
and hand notes to the firm.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import loans, service
from wulian.capital.models import FinancingProduct, Loan, PlanNote
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor
from wulian.engines.rules import expr
from wulian.enterprises import facts, read
from wulian.enterprises.tags import TAGS

KINDS: dict[str, str] = {
    "credit": "信用贷款",
    "points": "创新积分贷",
    "tax": "税易贷",
    "ip": "知识产权质押贷",
    "guarantee": "担保贷款",
    "batch": "园区批量担保贷",
    "leasing": "融资租赁",
}
# input → (label, unit, registry metric or None for a derived input)
INPUTS: dict[str, tuple[str, str, str | None]] = {
    "revenue": ("营业收入", "万元", "revenue"),
    "net_profit": ("净利润", "万元", "net_profit"),
    "total_assets": ("资产总额", "万元", "total_assets"),
    "debt_ratio": ("资产负债率", "%", "debt_ratio"),
    "rd_expense": ("研发费用", "万元", "rd_expense"),
    "tax_paid": ("纳税额", "万元", "tax_paid"),
    "staff_total": ("从业人员", "人", "staff_total"),
    "tech_staff": ("科技人员", "人", "tech_staff"),
    "invention_patents": ("发明专利申请", "件", "invention_patent_applications"),
    "years": ("成立年限", "年", None),
    "in_zone": ("园区企业", "", None),
}
TAG_INPUT = "tags"
SYMBOLS: dict[str, expr.Symbol] = {
    **{k: expr.Symbol("bool" if k == "in_zone" else "number") for k in INPUTS},
    TAG_INPUT: expr.Symbol("tags"),
}
NAMES = {k: v[0] for k, v in INPUTS.items()} | {TAG_INPUT: "资质（高新技术企业等）"}
# the Chinese names a rule may use for the inputs (the names users see) and for the titles
CHINESE = {v[0]: k for k, v in INPUTS.items()} | {
    "资质": TAG_INPUT, "称号": TAG_INPUT, "营收": "revenue", "研发投入": "rd_expense",
    "纳税": "tax_paid", "成立年限": "years", "发明专利": "invention_patents",
}  # fmt: skip
TAG_NAMES = {t.label: k for k, t in TAGS.items()} | {"高企": "gaoxin", "科小": "kexing"}
_QUOTED = re.compile(r"""('[^'\n]*'|"[^"\n]*"|‘[^’\n]*’|“[^”\n]*”)""")
_CJK = re.compile(r"[\u3400-\u9fff]+")


# ---------------------------------------------------------------- the rule set


@dataclass(frozen=True)
class Rule:
    label: str
    source: str
    node: expr.Node


def translate(source: str, number: int, label: str) -> str:
    """A condition written with the Chinese names of the inputs (营业收入 >= 500, '高新技术企业'
    in 资质) in the expression language's names; InvalidInput at the line for an unknown name."""
    out = []
    for index, part in enumerate(_QUOTED.split(source)):
        if index % 2:  # a quoted text: a title named in Chinese becomes its key
            inner = part[1:-1].strip()
            out.append(f"'{TAG_NAMES.get(inner, inner)}'")
            continue

        def name(found: re.Match[str]) -> str:
            word = found.group(0)
            if word not in CHINESE:
                raise InvalidInput(
                    f"准入规则第 {number} 行（{label}）：没有名为“{word}”的输入。可用的输入："
                    + "、".join(f"{v}（{k}）" for k, v in NAMES.items()),
                    field="eligibility", value=source,
                )  # fmt: skip
            return f" {CHINESE[word]} "

        out.append(_CJK.sub(name, part))
    return "".join(out).strip()


def parse_rules(text: str) -> list[Rule]:
    """The rule set of a product: one "说明: 表达式" per line (blank lines and lines starting with
    # are skipped); InvalidInput naming the line when one does not parse or is not a condition."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        label, sep, source = line.replace("：", ":", 1).partition(":")
        if not sep or not label.strip() or not source.strip():
            raise InvalidInput(
                f"准入规则第 {number} 行应写作“说明: 条件表达式”，如“营业收入不低于 500 万元: "
                "revenue >= 500”",
                field="eligibility", value=line,
            )  # fmt: skip
        typed = source.strip()
        source = translate(typed, number, label.strip())
        try:
            node = expr.parse(source)
            kind = expr.Checker(source, SYMBOLS).type(node)
        except expr.ExprError as error:
            raise InvalidInput(
                f"准入规则第 {number} 行（{label.strip()}）无法解析：{error}。可用的输入："
                + "、".join(f"{k}（{v}）" for k, v in NAMES.items()),
                field="eligibility", value=source,
            ) from None  # fmt: skip
        if kind != "bool":
            raise InvalidInput(
                f"准入规则第 {number} 行（{label.strip()}）应是条件（结果为是或否），"
                f"这里是{expr.TYPE_NAMES[kind]}",
                field="eligibility", value=source,
            )  # fmt: skip
        rules.append(Rule(label.strip()[:100], typed, node))
    return rules


# ---------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class NewProduct:
    name: str
    lender: str
    kind: str
    eligibility: str
    min_wan: str | None = None
    max_wan: str | None = None
    min_rate: str | None = None  # annual rate, percent
    max_rate: str | None = None
    term_months: str | int | None = None
    collateral: str = ""


def _rate(text: str | None, field: str, label: str) -> int | None:
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip().rstrip("%％")
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise InvalidInput(f"{label}“{text}”不是数字（年利率，%）", field=field) from None
    if not value.is_finite() or not 0 <= value <= 36 or (value * 100) % 1:
        raise InvalidInput(
            f"{label}应在 0–36% 之间（年利率，按百分数填写，如 4.35），最多两位小数",
            field=field, value=str(text),
        )  # fmt: skip
    if 0 < value < 1:
        percent = f"{(value * 100).normalize():f}"
        raise InvalidInput(
            f"{label}“{text}”% 不足 1%，疑似按小数填写（{text} 即 {percent}%？），"
            "年利率请按百分数填写，如 4.35",
            field=field, value=str(text), unit_suspect=True,
        )  # fmt: skip
    return int(value * 100)


def create(session: Session, *, actor: Actor, data: NewProduct) -> FinancingProduct:
    """Add a product to the catalogue; a rule set that does not parse is refused."""
    service.require_write(session, actor)
    name, lender = data.name.strip(), data.lender.strip()
    if not name or len(name) > 200:
        raise InvalidInput("产品名称不能为空，且不超过 200 个字", field="name")
    if not lender or len(lender) > 200:
        raise InvalidInput("请填写银行或担保机构", field="lender")
    if session.scalar(sa.select(FinancingProduct.id).where(FinancingProduct.name == name)):
        raise Conflict(f"已有名为“{name}”的产品", field="name")
    if data.kind not in KINDS:
        raise InvalidInput(f"产品类型应为：{'、'.join(KINDS.values())}", field="kind")
    parse_rules(data.eligibility)
    low = service.parse_money(
        data.min_wan, "万元", field="min_wan", label="最低额度", min_wan=Decimal(1)
    )
    high = service.parse_money(
        data.max_wan, "万元", field="max_wan", label="最高额度", min_wan=Decimal(1)
    )
    loans.check_not_yuan(low, data.min_wan, "万元", field="min_wan", label="最低额度")
    loans.check_not_yuan(high, data.max_wan, "万元", field="max_wan", label="最高额度")
    if low is not None and high is not None and low > high:
        raise InvalidInput("最低额度大于最高额度", field="min_wan")
    low_rate = _rate(data.min_rate, "min_rate", "最低利率")
    high_rate = _rate(data.max_rate, "max_rate", "最高利率")
    if low_rate is not None and high_rate is not None and low_rate > high_rate:
        raise InvalidInput("最低利率大于最高利率", field="min_rate")
    term = str(data.term_months or "").strip()
    if term and (not term.isdigit() or not 1 <= int(term) <= 360):
        raise InvalidInput(f"期限“{term}”应为 1–360 个月", field="term_months")
    product = FinancingProduct(
        name=name, lender=lender, kind=data.kind, min_yuan=low, max_yuan=high,
        min_rate_bp=low_rate, max_rate_bp=high_rate, term_months=int(term) if term else None,
        collateral=data.collateral.strip()[:200], eligibility=data.eligibility.strip(),
        created_by=actor.label,
    )  # fmt: skip
    session.add(product)
    session.flush()
    return product


def catalogue(session: Session, *, actor: Actor) -> list[FinancingProduct]:
    """The active products (staff; a firm sees its products through its plan)."""
    service.require_read(actor)
    query = sa.select(FinancingProduct).where(FinancingProduct.active)
    return list(session.scalars(query.order_by(FinancingProduct.kind, FinancingProduct.id)))


# ---------------------------------------------------------------- a firm's plan


@dataclass(frozen=True)
class Check:
    label: str
    source: str
    met: bool | None  # None: unknown (data missing)
    missing: list[str]  # labels of the inputs it lacks


@dataclass
class Match:
    product: FinancingProduct
    checks: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.met is False]

    @property
    def unknown(self) -> list[Check]:
        return [c for c in self.checks if c.met is None]

    @property
    def status(self) -> str:
        """qualifies, nearly or no."""
        if not self.failed and not self.unknown:
            return "qualifies"
        if (len(self.failed) == 1 and not self.unknown) or not self.failed:
            return "nearly"
        return "no"


STATUS_NAMES = {"qualifies": "符合条件", "nearly": "接近符合", "no": "暂不符合"}


@dataclass
class Plan:
    enterprise_id: int
    name: str
    period: str | None
    inputs: dict[str, object]
    matches: list[Match]
    notes: list[PlanNote]
    to_add: list[str] = field(default_factory=list)  # data the firm should add
    troubled: str = ""  # the firm's overdue or defaulted loans: no product qualifies until cleared


def _inputs(
    session: Session, actor: Actor, enterprise_id: int, today: dt.date
) -> tuple[dict[str, object], str | None]:
    record = read.get_or_raise(session, enterprise_id)
    years = facts.years(session, metric="revenue")
    period = str(years[0]) if years else None
    row: dict[str, object] = dict.fromkeys(INPUTS)
    if period is not None:
        metrics = {k: m for k, (_, _, m) in INPUTS.items() if m is not None}
        matrix = facts.build_matrix(
            session, actor=actor, metrics=list(metrics.values()), period=period,
            enterprise_ids=[enterprise_id], in_zone=None,
        )  # fmt: skip
        found = matrix.frame.to_dicts()
        if found:
            for key, metric in metrics.items():
                row[key] = found[0].get(metric)
    if record.founded_on is not None:
        row["years"] = (today - record.founded_on).days // 365
    row["in_zone"] = record.in_zone
    held = read.titles(session, on=today, ids=[enterprise_id])
    row[TAG_INPUT] = set(held["tag"].to_list())
    return row, period


def _check(rule: Rule, row: dict[str, object]) -> Check:
    met = expr.interpret(rule.node, row, SYMBOLS)
    used = [n for n in dict.fromkeys(expr.names(rule.node)) if n in SYMBOLS]
    missing = [NAMES[n] for n in used if row.get(n) is None] if met is None else []
    return Check(rule.label, rule.source, None if met is None else bool(met), missing)


def _require_plan(actor: Actor, enterprise_id: int) -> None:
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
    else:
        service.require_read(actor)


def plan(session: Session, *, actor: Actor, enterprise_id: int, today: dt.date) -> Plan:
    """The firm's 一企一策 plan: every active product with its conditions checked, those it
    qualifies for first, then those it nearly qualifies for; the data it should add; the notes
    (a firm sees only the notes handed to it)."""
    _require_plan(actor, enterprise_id)
    row, period = _inputs(session, actor, enterprise_id, today)
    products = session.scalars(
        sa.select(FinancingProduct).where(FinancingProduct.active).order_by(FinancingProduct.id)
    )
    troubled = session.scalars(
        sa.select(Loan)
        .where(Loan.enterprise_id == enterprise_id, Loan.status.in_(("overdue", "default")))
        .order_by(Loan.id)
    ).all()
    reasons = "；".join(
        f"{r.lender}贷款{loans.STATUSES[r.status]}（{r.status_on or '—'}）" for r in troubled
    )
    # a firm with an overdue or defaulted loan does not qualify without this reason
    record = [Check("无逾期、违约贷款", reasons, False, [])] if troubled else []
    matches = []
    for product in products:
        rules = parse_rules(product.eligibility)
        matches.append(Match(product, [_check(r, row) for r in rules] + record))
    order = {"qualifies": 0, "nearly": 1, "no": 2}
    matches.sort(key=lambda m: (order[m.status], len(m.failed), m.product.id))
    to_add = list(
        dict.fromkeys(
            label for m in matches if m.status != "no" for c in m.unknown for label in c.missing
        )
    )
    query = sa.select(PlanNote).where(PlanNote.enterprise_id == enterprise_id)
    if actor.enterprise_id is not None:
        query = query.where(PlanNote.handed)
    notes = list(session.scalars(query.order_by(PlanNote.id)))
    name = read.get_or_raise(session, enterprise_id).name
    shown = {k: v for k, v in row.items() if k != TAG_INPUT}
    held: set[str] = row[TAG_INPUT]  # type: ignore[assignment]
    shown[TAG_INPUT] = "、".join(TAGS[t].label for t in sorted(held) if t in TAGS) or "无"
    return Plan(enterprise_id, name, period, shown, matches, notes, to_add, reasons)


def _frame_inputs(session: Session, actor: Actor, ids: list[int], today: dt.date) -> pl.DataFrame:
    """The plan's inputs of many firms as one frame (one matrix build, one read of the titles and
    of the firms' records): a row per firm, numbers as floats (null: unknown), in_zone, tags."""
    years = facts.years(session, metric="revenue")
    period = str(years[0]) if years else None
    metrics = {k: m for k, (_, _, m) in INPUTS.items() if m is not None}
    values: dict[int, dict[str, object]] = {}
    if period is not None and ids:
        matrix = facts.build_matrix(
            session, actor=actor, metrics=list(metrics.values()), period=period,
            enterprise_ids=ids, in_zone=None,
        )  # fmt: skip
        values = {int(r["enterprise_id"]): r for r in matrix.frame.to_dicts()}
    records = read.records(session, ids)
    held: dict[int, list[str]] = {i: [] for i in ids}
    for firm, tag in read.titles(session, on=today, ids=ids).select("enterprise_id", "tag").rows():
        held.setdefault(int(firm), []).append(str(tag))
    columns: dict[str, list[object]] = {"enterprise_id": list(ids)}
    for key, metric in metrics.items():
        columns[key] = [values.get(i, {}).get(metric) for i in ids]
    columns["years"] = [
        (today - founded).days // 365 if (founded := records[i].founded_on) is not None else None
        for i in ids
    ]
    columns["in_zone"] = [records[i].in_zone for i in ids]
    columns[TAG_INPUT] = [sorted(held.get(i, [])) for i in ids]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"enterprise_id": pl.Int64}
    schema |= {k: pl.Float64 for k in INPUTS if k != "in_zone"}
    schema |= {"in_zone": pl.Boolean, TAG_INPUT: pl.List(pl.String)}
    return pl.DataFrame(columns, schema=schema)


def _evaluate(frame: pl.DataFrame, rules: list[tuple[int, int, Rule]]) -> pl.DataFrame:
    """Every rule over every firm of frame at once (a column "r<product>.<n>" each: true, false
    or null for unknown). A figure the exact arithmetic cannot hold (far too many decimals) is
    left to the interpreter, row by row, which gives the same outcomes."""
    numbers = [k for k in INPUTS if k != "in_zone"]
    try:
        data, exact_numbers = expr.exact_frame(frame.with_columns(expr.ones()), numbers)
    except expr.Inexact:
        rows = [r | {TAG_INPUT: set(r[TAG_INPUT])} for r in frame.to_dicts()]
        return pl.DataFrame(
            {"enterprise_id": frame["enterprise_id"]}
            | {f"r{pid}.{n}": [_check(rule, row).met for row in rows] for pid, n, rule in rules},
            schema={"enterprise_id": pl.Int64} | {f"r{pid}.{n}": pl.Boolean for pid, n, _ in rules},
        )
    compiler = expr.Compiler(SYMBOLS, pl.col, expr.Checker("", SYMBOLS), {}, exact_numbers)
    compiled = [compiler.compile(rule.node).alias(f"r{pid}.{n}") for pid, n, rule in rules]
    return compiler.flush(data.lazy()).select(pl.col("enterprise_id"), *compiled).collect()


def batch_matches(
    session: Session, *, actor: Actor, enterprise_ids: Sequence[int], today: dt.date
) -> dict[int, list[Match]]:
    """The plans' product matches of many firms at once (whom to invite to a matchmaking event):
    the inputs read for all firms together and every product's conditions evaluated once over
    all of them by the rules engine's compiled form (the same outcomes as `plan`, firm by firm).
    Finance staff."""
    service.require_read(actor)
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    frame = _frame_inputs(session, actor, ids, today)
    catalogue = list(
        session.scalars(
            sa.select(FinancingProduct).where(FinancingProduct.active).order_by(FinancingProduct.id)
        )
    )
    parsed = {p.id: parse_rules(p.eligibility) for p in catalogue}
    rules = [(p.id, n, rule) for p in catalogue for n, rule in enumerate(parsed[p.id])]
    outcome = _evaluate(frame, rules)
    troubled: dict[int, list[Loan]] = {}
    for loan in session.scalars(
        sa.select(Loan)
        .where(Loan.enterprise_id.in_(ids), Loan.status.in_(("overdue", "default")))
        .order_by(Loan.id)
    ):
        troubled.setdefault(loan.enterprise_id, []).append(loan)
    used = {
        (pid, n): [x for x in dict.fromkeys(expr.names(rule.node)) if x in SYMBOLS]
        for pid, n, rule in rules
    }
    inputs = frame.to_dicts()
    order = {"qualifies": 0, "nearly": 1, "no": 2}
    out: dict[int, list[Match]] = {}
    for row, met in zip(inputs, outcome.to_dicts(), strict=True):
        firm = int(row["enterprise_id"])
        record: list[Check] = []
        if troubled.get(firm):
            reasons = "；".join(
                f"{r.lender}贷款{loans.STATUSES[r.status]}（{r.status_on or '—'}）"
                for r in troubled[firm]
            )
            record = [Check("无逾期、违约贷款", reasons, False, [])]
        matches = []
        for product in catalogue:
            checks = []
            for n, rule in enumerate(parsed[product.id]):
                value = met[f"r{product.id}.{n}"]
                missing = (
                    [NAMES[x] for x in used[(product.id, n)] if row.get(x) is None]
                    if value is None
                    else []
                )
                checks.append(Check(rule.label, rule.source, None if value is None else bool(value),
                                    missing))  # fmt: skip
            matches.append(Match(product, checks + record))
        matches.sort(key=lambda m: (order[m.status], len(m.failed), m.product.id))
        out[firm] = matches
    return out


def annotate(
    session: Session, *, actor: Actor, enterprise_id: int, text: str, product_id: int | None = None,
    handed: bool = False,
) -> PlanNote:  # fmt: skip
    """An officer's note on a firm's plan (the finance office); handed notes the firm sees."""
    service.require_write(session, actor)
    read.get_or_raise(session, enterprise_id)
    text = text.strip()
    if not text or len(text) > 2000:
        raise InvalidInput("批注不能为空，且不超过 2000 个字", field="text")
    if product_id is not None and session.get(FinancingProduct, product_id) is None:
        raise NotFound(f"没有编号为 {product_id} 的融资产品")
    note = PlanNote(
        enterprise_id=enterprise_id, product_id=product_id, text=text, handed=handed,
        created_by=actor.label,
    )  # fmt: skip
    session.add(note)
    session.flush()
    return note


def hand_over(session: Session, *, actor: Actor, note_id: int) -> PlanNote:
    """Show a note to the firm."""
    service.require_write(session, actor)
    note = session.get(PlanNote, note_id)
    if note is None:
        raise NotFound(f"没有编号为 {note_id} 的批注")
    note.handed = True
    session.flush()
    return note
