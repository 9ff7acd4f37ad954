"""Policies (政策库, 免申即享, 梯度培育): the only module that reads and writes the policy tables.

Policy files are versions (an edit is a new version, and must pass its own test cases). A run
evaluates every firm of the zone against the newest version of every policy for a period, from
the facts store, the registry and the published 亩均效益 classes, and keeps the input it used.
An outcome is 免申即享 when every input is present and comes from a trusted source (a government
department, or a self-report an officer verified), otherwise 快申快享 with what the firm must
supply. Approving a payout is audited, and a firm is paid once per policy and period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl
import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from wulian.core import specversions
from wulian.core.auth import service as auth_service
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.engines.rules import cases as rule_cases
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules import expr
from wulian.engines.rules import policy as rule_policy
from wulian.engines.rules.policy import STATUS_NAMES, Policy, Source
from wulian.engines.specfile import refuse
from wulian.enterprises import facts, read
from wulian.enterprises.tags import TAGS
from wulian.landuse import service as landuse
from wulian.policy.models import Payout, PolicyOutcome, PolicyRun, PolicyVersion
from wulian.reference import service as reference
from wulian.reference.models import Metric

FIELDS = {
    "age_years": ("number", "注册成立年限"),
    "gaoxin_since": ("number", "高新技术企业证书起始年份"),
    "on_chain": ("bool", "在本区产业链上"),
    "in_zone": ("bool", "在园区内"),
    "section": ("code", "行业门类"),
    "industry_code": ("code", "行业代码"),
    "chain": ("code", "所属产业链"),
    "region_code": ("code", "所在区域"),
}
FREE = "免申即享"
QUICK = "快申快享"
NEAR = rules.Near(max_failed=2, margin=0.2)


def shipped_codes() -> list[str]:
    folder = resources.files("wulian.policy").joinpath("policies")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def shipped_text(code: str) -> str:
    return resources.files("wulian.policy").joinpath(f"policies/{code}.yaml").read_text("utf-8")


@lru_cache(maxsize=256)
def parse(text: str, filename: str = "政策文件") -> Policy:
    """A policy from its text (parsed once per text)."""
    return rule_policy.load(text, filename)


def source_of(policy: Policy, key: str) -> Source:
    """Where an input comes from: as declared, else the metric of the same key."""
    return policy.inputs[key].source or Source(metric=key)


STAFF_ONLY = "企业用户只能使用本企业的政策计算器"


def _read(actor: Actor) -> None:
    if not (actor.has(Permission.ZONE_READ) or actor.has(Permission.ENTERPRISES_READ)):
        actor.require(Permission.ZONE_READ)


# ---------------------------------------------------------------- the library


def check_sources(session: Session, policy: Policy) -> None:
    """InvalidFile at each input whose source the platform does not know."""
    metrics = set(session.scalars(sa.select(Metric.key)))
    problems: list[tuple[tuple[str | int, ...], Any, str]] = []
    for key, item in policy.inputs.items():
        source = source_of(policy, key)
        where: tuple[str | int, ...] = ("inputs", key)
        if source.metric is not None and source.metric not in metrics:
            problems.append((where, source.metric, "指标目录中没有这个指标"))
        if source.tag is not None and source.tag not in TAGS:
            problems.append((where, source.tag, f"名录中没有这个称号；可用：{'、'.join(TAGS)}"))
        if source.field is not None:
            if source.field not in FIELDS:
                problems.append(
                    (where, source.field, f"名录中没有这个字段；可用：{'、'.join(FIELDS)}")
                )
            elif FIELDS[source.field][0] != item.type:
                problems.append(
                    (where, item.type, f"字段 {source.field} 的类型是 {FIELDS[source.field][0]}")
                )
        if source.tag is not None and item.type != "bool":
            problems.append((where, item.type, "称号输入的类型应为 bool"))
        if source.landuse == "grade" and item.type != "code":
            problems.append((where, item.type, "亩均效益类别的类型应为 code"))
        if source.landuse == "low" and item.type != "bool":
            problems.append((where, item.type, "是否列入低效企业名单的类型应为 bool"))
        if source.metric is not None and item.type not in ("number", "bool"):
            problems.append((where, item.type, "指标输入的类型应为 number 或 bool"))
    if problems:
        raise refuse(policy.text, policy.filename, problems)


def _shipped_files() -> dict[str, str]:
    """The shipped policy files by policy id (the file name is the id)."""
    return {code: shipped_text(code) for code in shipped_codes()}


def _describe(session: Session, code: str, text: str) -> dict[str, object]:
    policy = parse(text, f"{code}.yaml")
    if policy.id != code:
        raise InvalidInput(f"内置政策文件 {code}.yaml 的 id 应为“{code}”（文件里是“{policy.id}”）")
    check_sources(session, policy)
    return {"name": policy.title, "category": policy.category, "document": policy.document}


SHIPPED_SPECS = specversions.Shipped(
    key="policy",
    label="政策文件",
    model=PolicyVersion,
    files=_shipped_files,
    describe=_describe,
)


def install_shipped(session: Session, *, actor: Actor) -> specversions.Installed:
    """Bring the stored policy files to the shipped ones (`specversions.install`)."""
    actor.require(Permission.ANALYSES_WRITE)
    return specversions.install(session, SHIPPED_SPECS, created_by=actor.label)


def _check_version(
    session: Session, actor: Actor, base: PolicyVersion, text: str, copy: bool
) -> specversions.Checked:
    actor.require(Permission.ANALYSES_WRITE)
    policy = parse(text)
    check_sources(session, policy)
    current = current_policy(session, base.code)
    auth_service.check_owner_change(
        session, actor=actor, new=policy.department,
        old=current.department if current is not None else None, copy=copy,
        what=f"政策“{policy.title if copy or current is None else current.title}”",
    )  # fmt: skip
    rule_cases.check_cases(policy)
    return specversions.Checked(
        policy.id, policy.title, {"category": policy.category, "document": policy.document}
    )


SPECS = specversions.SpecKind(
    model=PolicyVersion, what="政策版本", may_read=_read, check=_check_version,
    shipped=SHIPPED_SPECS,
)  # fmt: skip
# versions of the policy files, and saving a new one (refused with file, line and reason when
# the text is invalid, an input's source is unknown, or a test case fails)
get_versions = SPECS.listed
get_version_or_raise = SPECS.get
save_version = SPECS.save


def may_approve(session: Session, *, actor: Actor, policy: Policy) -> bool:
    """Whether actor may approve the payouts of policy (to show the action only where it works)."""
    return auth_service.may_act(
        session, actor=actor, permission=Permission.PAYOUTS_APPROVE, department=policy.department
    )


def department_name(session: Session, policy: Policy) -> str:
    """The name of the policy's department (主管部门), for pages."""
    if policy.department is None:
        return "未指定（仅系统管理员可审核兑现）"
    found = auth_service.get_department_by_code(session, code=policy.department)
    return found.name if found is not None else f"{policy.department}（未建立的部门）"


def current_policy(session: Session, code: str) -> Policy | None:
    """The newest version of a policy, parsed; None for a policy not in the library."""
    row = session.scalar(
        sa.select(PolicyVersion)
        .where(PolicyVersion.code == code)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )
    return parse(row.text) if row is not None else None


def newest(session: Session) -> list[PolicyVersion]:
    """The newest version of each policy."""
    top = (
        sa.select(PolicyVersion.code, sa.func.max(PolicyVersion.version).label("v"))
        .group_by(PolicyVersion.code)
        .subquery()
    )
    query = (
        sa.select(PolicyVersion)
        .join(top, (top.c.code == PolicyVersion.code) & (top.c.v == PolicyVersion.version))
        .order_by(PolicyVersion.code)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class LibraryItem:
    row: PolicyVersion
    policy: Policy


def library(
    session: Session, *, actor: Actor, q: str = "", category: str = ""
) -> list[LibraryItem]:
    """The newest version of every policy, searched in title, document, issuer and summary."""
    _read(actor)
    items = [LibraryItem(row, parse(row.text)) for row in newest(session)]
    words = q.strip().split()
    if category:
        items = [i for i in items if i.policy.category == category]
    for word in words:
        items = [
            i
            for i in items
            if any(
                word in text
                for text in (
                    i.policy.title,
                    i.policy.document,
                    i.policy.issuer,
                    i.policy.summary,
                    i.policy.id,
                )
            )
        ]
    return sorted(
        items,
        key=lambda i: (
            rule_policy.CATEGORIES.index(i.policy.category),
            i.policy.rung or 99,
            i.policy.id,
        ),
    )


@dataclass(frozen=True)
class Readable:
    """A policy in readable Chinese: each rule as text with its names."""

    values: list[tuple[str, str]]  # name, formula
    score: list[tuple[str, str, str]]  # name, formula, max
    conditions: list[tuple[str, str]]  # name, rule
    benefit: str | None


def readable(policy: Policy) -> Readable:
    def text(*path: str | int) -> str:
        return expr.render(policy.tree(*path), policy.label, symbols=True)

    benefit = None
    if policy.benefit is not None:
        benefit = text("benefit")
        cap = policy.benefit.cap
        if cap is not None:
            limit = policy.label(cap) if isinstance(cap, str) else rules.fmt(cap)
            benefit += f"，不超过 {limit}"
        benefit += f"（{policy.benefit.unit}）"
    return Readable(
        values=[(v.name, text("values", i)) for i, v in enumerate(policy.values)],
        score=[
            (s.name, text("score", i), rules.fmt(s.max) if s.max is not None else "")
            for i, s in enumerate(policy.score)
        ],
        conditions=[(c.name, text("conditions", i)) for i, c in enumerate(policy.conditions)],
        benefit=benefit,
    )


# ---------------------------------------------------------------- input


def _years_between(start: dt.date | None, day: dt.date) -> float | None:
    if start is None:
        return None
    return float(day.year - start.year - ((day.month, day.day) < (start.month, start.day)))


def build_input(
    session: Session,
    *,
    actor: Actor,
    policies: list[Policy],
    period: int,
    enterprise_ids: list[int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(data, trusted): one row per zone firm (or per firm asked for) with every input of the
    policies, and for each input whether its value comes from a trusted source."""
    day = rules.period_end(period)
    kinds = rules.required_columns(policies)
    sources: dict[str, Source] = {}
    for policy in policies:
        for key in policy.inputs:
            source = source_of(policy, key)
            if sources.setdefault(key, source) != source:
                raise InvalidInput(f"输入“{key}”在不同政策中的来源不一致，请统一", field="inputs")
    registry = read.firms(
        session, ids=enterprise_ids, in_zone=None if enterprise_ids is not None else True,
        columns=("founded_on", "industry_code", "chain", "region_code", "in_zone"),
    ).to_dicts()  # fmt: skip
    ids = [r["enterprise_id"] for r in registry]
    sections = reference.sections(session)
    data: dict[str, list[Any]] = {"enterprise_id": ids}
    trusted: dict[str, list[Any]] = {"enterprise_id": ids}
    # registry fields
    gaoxin_since: dict[int, dt.date | None] = dict(
        read.titles(session, on=None, tags=["gaoxin"], with_dates=True)
        .select("enterprise_id", "valid_from")
        .iter_rows()
    )
    field_values: dict[str, list[Any]] = {
        "age_years": [_years_between(r["founded_on"], day) for r in registry],
        "gaoxin_since": [
            float(start.year) if (start := gaoxin_since.get(r["enterprise_id"])) else None
            for r in registry
        ],
        "on_chain": [r["chain"] is not None for r in registry],
        "in_zone": [bool(r["in_zone"]) for r in registry],
        "section": [sections.get(r["industry_code"] or "") for r in registry],
        "industry_code": [r["industry_code"] for r in registry],
        "chain": [r["chain"] for r in registry],
        "region_code": [r["region_code"] for r in registry],
    }
    # titles held on the last day of the period (the rule of enterprises.read.titles)
    wanted_tags = {s.tag for s in sources.values() if s.tag is not None}
    held: dict[str, set[int]] = {tag: set() for tag in wanted_tags}
    if wanted_tags:
        for enterprise_id, tag in read.titles(session, on=day, tags=wanted_tags).iter_rows():
            held[tag].add(enterprise_id)
    # 亩均效益: the newest published class and low-efficiency list up to the period
    standing: dict[int, dict[str, Any]] = {}
    if any(s.landuse is not None for s in sources.values()):
        standing = landuse.standing_up_to(session, actor=actor, year=period, enterprise_ids=ids)
    # metrics, by how many years back
    by_lag: dict[int, dict[str, str]] = defaultdict(dict)  # lag → input key → metric
    for key, source in sources.items():
        if source.metric is not None:
            by_lag[source.lag][key] = source.metric
    for lag, wanted in sorted(by_lag.items()):
        matrix = facts.build_matrix(
            session, actor=actor, metrics=sorted(set(wanted.values())), period=str(period - lag),
            enterprise_ids=ids if enterprise_ids is not None else None, with_provenance=True,
        )  # fmt: skip
        frame = pl.DataFrame({"enterprise_id": ids}, schema={"enterprise_id": pl.Int64}).join(
            matrix.frame, on="enterprise_id", how="left"
        )
        provenance = matrix.provenance if matrix.provenance is not None else pl.DataFrame()
        good = (
            provenance.filter(
                (pl.col("source") != facts.SELF_REPORT) | (pl.col("status") == "verified")
            )
            .select("enterprise_id", "metric_key")
            .iter_rows()
        )
        good_set = set(good)
        for key, metric in wanted.items():
            values: list[Any] = frame[metric].to_list()
            if kinds[key] == "bool":
                values = [None if v is None else v != 0 for v in values]
            data[key] = values
            supplied = sources[key].supplied
            trusted[key] = [(not supplied) and (i, metric) in good_set for i in ids]
    for key, source in sources.items():
        if source.field is not None:
            data[key] = field_values[source.field]
            trusted[key] = [True] * len(ids)
        elif source.tag is not None:
            data[key] = [i in held[source.tag] for i in ids]
            trusted[key] = [True] * len(ids)
        elif source.landuse is not None:
            data[key] = [standing.get(i, {}).get(source.landuse) for i in ids]
            trusted[key] = [True] * len(ids)
    schema: dict[str, Any] = {"enterprise_id": pl.Int64}
    schema |= {key: rules.DTYPES[kind] for key, kind in kinds.items()}
    frame = pl.DataFrame({k: data[k] for k in schema}, schema=schema)
    if enterprise_ids is None:
        # the firms the period concerns: those with a value of the year or a title the policies
        # read (a registry record with neither, such as an old ledger's duplicate, is left out)
        current = [k for k, s in sources.items() if (s.metric is not None and s.lag == 0) or s.tag]
        if current:
            keep = pl.any_horizontal(
                (pl.col(k) == True) if kinds[k] == "bool" else pl.col(k).is_not_null()  # noqa: E712
                for k in current
            )
            frame = frame.filter(keep)
    trust = pl.DataFrame(
        {k: trusted[k] for k in schema if k in trusted},
        schema={k: (pl.Int64 if k == "enterprise_id" else pl.Boolean) for k in schema},
    )
    return frame, trust


def snapshot_hash(texts: list[str], period: int, frame: pl.DataFrame) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    digest.update(str(period).encode())
    digest.update(frame.write_csv().encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- runs


def _modes(
    policy: Policy, frame: pl.DataFrame, trust: pl.DataFrame
) -> list[tuple[str | None, list[str]]]:
    """For each outcome row: (免申即享 | 快申快享 | None, inputs to supply or have verified)."""
    inputs = list(policy.inputs)
    trusted = {
        row["enterprise_id"]: row
        for row in trust.select("enterprise_id", *inputs).iter_rows(named=True)
    }
    out: list[tuple[str | None, list[str]]] = []
    for unit, status, missing in frame.select("enterprise_id", "status", "missing").iter_rows():
        if status == "unknown":
            out.append((QUICK, rules.names_of(missing, inputs)))
        elif status == "eligible":
            doubtful = [k for k in inputs if not trusted[unit][k]]
            out.append((QUICK, doubtful) if doubtful else (FREE, []))
        else:
            out.append((None, []))
    return out


def evaluate_all(
    policies: list[Policy], frame: pl.DataFrame, period: int, *, trace: bool = False
) -> rules.Evaluation:
    return rules.evaluate(
        policies, frame, period=period, unit="enterprise_id", trace=trace, near=NEAR
    )


def create_run(session: Session, *, actor: Actor, period: int, note: str = "") -> PolicyRun:
    """Every zone firm against the newest version of every policy, for period."""
    actor.require(Permission.ANALYSES_WRITE)
    actor.require_staff(STAFF_ONLY)
    if not 1990 <= period <= 2100:
        raise InvalidInput("评价年度应为 1990–2100 的年份", field="period", value=str(period))
    versions = newest(session)
    if not versions:
        raise InvalidInput("政策库是空的：请先导入政策", field="period")
    policies = [parse(v.text) for v in versions]
    frame, trust = build_input(session, actor=actor, policies=policies, period=period)
    result = evaluate_all(policies, frame, period)
    buffer = io.BytesIO()
    frame.join(trust, on="enterprise_id", suffix="__trusted").write_parquet(buffer)
    run = PolicyRun(
        period=period,
        versions={v.code: v.id for v in versions},
        skipped=result.skipped,
        counts={},
        inputs=buffer.getvalue(),
        snapshot_hash=snapshot_hash([v.text for v in versions], period, frame),
        note=note.strip()[:500],
        created_by=actor.label,
    )
    session.add(run)
    session.flush()
    counts: dict[str, dict[str, int]] = {}
    for code, out in result.frames.items():
        policy = result.policies[code]
        conditions = [c.key for c in policy.conditions]
        modes = _modes(policy, out, trust)
        rows = []
        columns = ["enterprise_id", "status", "amount", "missing", "failed", "worst", "near"]
        columns += ["score"] if "score" in out.columns else []
        for values, (mode, supply) in zip(
            out.select(columns).iter_rows(named=True), modes, strict=True
        ):
            rows.append(
                {
                    "run_id": run.id,
                    "policy_code": code,
                    "enterprise_id": values["enterprise_id"],
                    "status": str(values["status"]),
                    "amount": values["amount"],
                    "score": values.get("score"),
                    "missing": rules.names_of(values["missing"], list(policy.inputs)),
                    "failed": rules.names_of(values["failed"], conditions),
                    "worst": values["worst"],
                    "near": bool(values["near"]),
                    "mode": mode,
                    "supply": supply,
                }
            )
        for start in range(0, len(rows), 5000):
            session.execute(sa.insert(PolicyOutcome), rows[start : start + 5000])
        tally = Counter(r["status"] for r in rows)
        tally["near"] = sum(r["near"] for r in rows)
        tally.update(f"mode:{r['mode']}" for r in rows if r["mode"])
        counts[code] = dict(tally)
        total = sum((r["amount"] or 0.0) for r in rows if r["status"] == "eligible")
        counts[code]["amount_cents"] = round(total * 100)
    run.counts = counts
    session.flush()
    return run


def get_runs(session: Session, *, actor: Actor) -> list[PolicyRun]:
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    return list(
        session.scalars(sa.select(PolicyRun).order_by(PolicyRun.period.desc(), PolicyRun.id.desc()))
    )


def get_run_or_raise(session: Session, *, actor: Actor, run_id: int) -> PolicyRun:
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    run = session.get(PolicyRun, run_id)
    if run is None:
        raise NotFound(f"评估批次不存在：{run_id}")
    return run


def run_policy(session: Session, run: PolicyRun, code: str) -> tuple[PolicyVersion, Policy]:
    if code not in run.versions:
        raise NotFound(f"本批次没有评估政策：{code}")
    row = session.get(PolicyVersion, run.versions[code])
    if row is None:  # pragma: no cover - versions are never deleted
        raise NotFound(f"政策版本不存在：{run.versions[code]}")
    return row, parse(row.text)


def run_inputs(session: Session, run: PolicyRun) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The run's stored input and trust flags."""
    stored = pl.read_parquet(io.BytesIO(run.inputs))
    trusted = [c for c in stored.columns if c.endswith("__trusted")]
    frame = stored.drop(trusted)
    trust = stored.select(
        "enterprise_id", *[pl.col(c).alias(c.removesuffix("__trusted")) for c in trusted]
    )
    return frame, trust


# ---------------------------------------------------------------- payouts


@dataclass(frozen=True)
class PayoutLine:
    outcome: PolicyOutcome
    enterprise: read.Firm
    paid: Payout | None


def payout_list(
    session: Session, *, actor: Actor, run_id: int, code: str, status: str = "eligible"
) -> tuple[PolicyRun, Policy, list[PayoutLine]]:
    """The run's outcomes of one policy (eligible by default; unknown = 快申快享 to supply), with
    any payout already approved for the firm, policy and period."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    if status not in ("eligible", "unknown", "near"):
        raise InvalidInput("状态应为 eligible、unknown 或 near", field="status", value=status)
    query = (
        sa.select(PolicyOutcome)
        .where(PolicyOutcome.run_id == run.id, PolicyOutcome.policy_code == code)
        .order_by(PolicyOutcome.amount.desc().nulls_last(), PolicyOutcome.enterprise_id)
    )
    if status == "near":
        query = query.where(PolicyOutcome.near == sa.true())
    else:
        query = query.where(PolicyOutcome.status == status)
    rows = read.attach(session, session.scalars(query), lambda o: o.enterprise_id)
    paid = {
        p.enterprise_id: p
        for p in session.scalars(
            sa.select(Payout).where(Payout.policy_code == code, Payout.period == run.period)
        )
    }
    return run, policy, [PayoutLine(o, e, paid.get(e.id)) for o, e in rows]


def approve(
    session: Session, *, actor: Actor, run_id: int, code: str, enterprise_ids: list[int]
) -> list[Payout]:
    """Approve the payouts of the given eligible firms, all or none: refused when a firm is not
    eligible in the run, or was already paid for this policy and period (by any run)."""
    actor.require(Permission.PAYOUTS_APPROVE)
    actor.require_staff(STAFF_ONLY)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    version, policy = run_policy(session, run, code)
    auth_service.require_owner(
        session, actor=actor, department=policy.department, what=f"政策“{policy.title}”的兑现"
    )
    ids = sorted(set(enterprise_ids))
    if not ids:
        raise InvalidInput("请至少选择一家企业", field="enterprise_ids")
    outcomes = {
        o.enterprise_id: o
        for o in session.scalars(
            sa.select(PolicyOutcome).where(
                PolicyOutcome.run_id == run.id,
                PolicyOutcome.policy_code == code,
                PolicyOutcome.enterprise_id.in_(ids),
            )
        )
    }
    not_eligible = [i for i in ids if i not in outcomes or outcomes[i].status != "eligible"]
    if not_eligible:
        raise InvalidInput(
            f"以下企业在本批次中不符合条件，不能兑现：{'、'.join(map(str, not_eligible))}",
            field="enterprise_ids",
        )
    paid_ids = session.scalars(
        sa.select(Payout.enterprise_id).where(
            Payout.policy_code == code,
            Payout.period == run.period,
            Payout.enterprise_id.in_(ids),
        )
    ).all()
    already = sorted(read.names(session, paid_ids).values())
    if already:
        names = "、".join(already)
        raise Conflict(
            f"{policy.title}（{run.period} 年度）已为以下企业兑现，不能重复兑现：{names}"
        )
    payouts = [
        Payout(
            policy_code=code,
            period=run.period,
            enterprise_id=i,
            run_id=run.id,
            version_id=version.id,
            amount=outcomes[i].amount,
            mode=outcomes[i].mode or FREE,
            approved_by=actor.label,
        )
        for i in ids
    ]
    session.add_all(payouts)
    session.flush()
    return payouts


def export_xlsx(session: Session, *, actor: Actor, run_id: int, code: str) -> bytes:
    """The payout list (兑现清单) of a policy as xlsx with Chinese headers."""
    from wulian.core.xlsx import ListWorkbook

    run, policy, lines = payout_list(session, actor=actor, run_id=run_id, code=code)
    unit = policy.benefit.unit if policy.benefit else ""
    book = ListWorkbook()
    book.sheet(
        "兑现清单",
        title=f"{policy.title} {run.period} 年度兑现清单",
        notice=f"{policy.document}；评估批次 {run.id}，{len(lines)} 家企业符合条件。",
        headers=["序号", "统一社会信用代码", "企业名称", f"金额（{unit}）" if unit else "金额",
                 "兑现方式", "需补充或核验", "是否已兑现"],
        rows=(
            [
                index,
                line.enterprise.uscc,
                line.enterprise.name,
                line.outcome.amount,
                line.outcome.mode or "",
                "、".join(policy.inputs[k].name for k in line.outcome.supply),
                "已兑现" if line.paid else "",
            ]
            for index, line in enumerate(lines, 1)
        ),
        widths=[6, 22, 36, 14, 12, 36, 10],
    )  # fmt: skip
    return book.close()


# ---------------------------------------------------------------- the calculator


@dataclass(frozen=True)
class Calculation:
    enterprise: read.Firm
    period: int
    eligible: list[rules.Explanation]
    near: list[rules.Explanation]
    unknown: list[rules.Explanation]
    ineligible: list[rules.Explanation]
    modes: dict[str, tuple[str | None, list[str]]]
    skipped: dict[str, str]


def calculator(session: Session, *, actor: Actor, enterprise_id: int, period: int) -> Calculation:
    """One firm against every policy now, from its current data: what it qualifies for, nearly
    qualifies for (and by how much), what is undecided for want of data, and why."""
    if actor.enterprise_id is not None and actor.enterprise_id != enterprise_id:
        raise PermissionDenied("只能查看本企业的政策计算结果")
    _read(actor)
    enterprise = read.get_or_raise(session, enterprise_id)
    versions = newest(session)
    policies = [parse(v.text) for v in versions]
    frame, trust = build_input(
        session, actor=actor, policies=policies, period=period, enterprise_ids=[enterprise_id]
    )
    result = evaluate_all(policies, frame, period, trace=True)
    explanations = result.explain(enterprise_id)
    modes = {
        code: _modes(result.policies[code], out, trust)[0] for code, out in result.frames.items()
    }
    return Calculation(
        enterprise=enterprise,
        period=period,
        eligible=[e for e in explanations if e.status == "eligible"],
        near=[e for e in explanations if e.status == "ineligible" and e.near],
        unknown=[e for e in explanations if e.status == "unknown"],
        ineligible=[e for e in explanations if e.status == "ineligible" and not e.near],
        modes=modes,
        skipped=result.skipped,
    )


# ---------------------------------------------------------------- what-if


@dataclass(frozen=True)
class Change:
    enterprise_id: int
    name: str
    before: str
    after: str
    amount_before: float | None
    amount_after: float | None

    @property
    def delta(self) -> float:
        return (self.amount_after or 0.0) - (self.amount_before or 0.0)


@dataclass(frozen=True)
class WhatIf:
    policy: Policy
    parameter: str
    old: Any
    new: float
    eligible_before: int
    eligible_after: int
    total_before: float
    total_after: float
    gainers: list[Change]
    losers: list[Change]


def with_parameter(policy: Policy, key: str, value: float, day: dt.date) -> Policy:
    """The policy with parameter key set to value on day (the value in force then is changed)."""
    if key not in policy.parameters:
        raise InvalidInput(f"政策没有参数“{key}”", field="parameter", value=key)
    data = yaml.safe_load(policy.text)
    values = data["parameters"][key]["values"]
    current = policy.parameters[key].at(day)
    if current is None:
        raise InvalidInput(f"参数在 {day} 没有取值", field="parameter", value=key)
    if isinstance(current.value, bool | str):
        raise InvalidInput("只能试算数值参数（门槛、比例、上限）", field="parameter", value=key)
    parameter = policy.parameters[key]
    if not parameter.declared:
        raise InvalidInput(
            f"政策文件没有为“{parameter.name}”声明取值范围（min、max），不能试算",
            field="parameter", value=key,
        )  # fmt: skip
    problem = parameter.problem(value) if math.isfinite(value) else f"“{parameter.name}”应为数字"
    if problem:
        raise InvalidInput(problem, field="value", value=value)
    for item in values:
        if item["from"] == current.start:
            item["value"] = value
    return rule_policy.load(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), policy.filename
    )


def what_if(
    session: Session, *, actor: Actor, run_id: int, code: str, parameter: str, value: float
) -> WhatIf:
    """The run's firms under the policy with one parameter changed: totals and who gains or
    loses. Nothing is saved."""
    actor.require(Permission.ZONE_READ)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    day = rules.period_end(run.period)
    changed = with_parameter(policy, parameter, value, day)
    frame, _ = run_inputs(session, run)
    columns = ["enterprise_id", *policy.inputs]
    before = evaluate_all([policy], frame.select(columns), run.period).frames.get(code)
    after = evaluate_all([changed], frame.select(columns), run.period).frames.get(code)
    if before is None or after is None:
        raise InvalidInput(f"政策在 {run.period} 年度不在有效期内", field="run")
    both = before.select("enterprise_id", "status", "amount").join(
        after.select("enterprise_id", "status", "amount"), on="enterprise_id", suffix="_after"
    )
    names = read.names(session, both["enterprise_id"].to_list())
    gainers: list[Change] = []
    losers: list[Change] = []
    for unit, s0, a0, s1, a1 in both.iter_rows():
        if s0 == s1 and (a0 or 0.0) == (a1 or 0.0):
            continue
        change = Change(
            unit, names.get(unit, str(unit)), STATUS_NAMES[s0], STATUS_NAMES[s1], a0, a1
        )
        gained = (s1 == "eligible" and s0 != "eligible") or change.delta > 0
        (gainers if gained else losers).append(change)

    def total(frame: pl.DataFrame) -> float:
        return float(frame.filter(pl.col("status") == "eligible")["amount"].fill_null(0.0).sum())

    current = policy.parameters[parameter].at(day)
    return WhatIf(
        policy=policy,
        parameter=parameter,
        old=current.value if current else None,
        new=value,
        eligible_before=before.filter(pl.col("status") == "eligible").height,
        eligible_after=after.filter(pl.col("status") == "eligible").height,
        total_before=total(before),
        total_after=total(after),
        gainers=sorted(gainers, key=lambda c: -c.delta),
        losers=sorted(losers, key=lambda c: c.delta),
    )


# ---------------------------------------------------------------- cultivation pools


@dataclass(frozen=True)
class PoolMember:
    enterprise: read.Firm
    explanation: rules.Explanation


@dataclass(frozen=True)
class Pool:
    policy: Policy
    by_chain: dict[str, list[PoolMember]]

    @property
    def size(self) -> int:
        return sum(len(m) for m in self.by_chain.values())


def pools(session: Session, *, actor: Actor, run_id: int) -> tuple[PolicyRun, list[Pool]]:
    """For each title of the ladder, the firms that do not hold it on the period's last day and
    nearly qualify (at most two conditions failed, each by at most 20%), with their gaps, by
    chain."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    frame, _ = run_inputs(session, run)
    out: list[Pool] = []
    for code in run.versions:
        _, policy = run_policy(session, run, code)
        if policy.grants is None:
            continue
        # the title held on the period's last day, as the policy's own inputs read titles
        held = read.holders(session, tag=policy.grants, on=rules.period_end(run.period))
        near = [
            i
            for i in session.scalars(
                sa.select(PolicyOutcome.enterprise_id).where(
                    PolicyOutcome.run_id == run.id,
                    PolicyOutcome.policy_code == code,
                    PolicyOutcome.near == sa.true(),
                )
            )
            if i not in held
        ]
        grouped: dict[str, list[PoolMember]] = defaultdict(list)
        if near:
            subset = frame.filter(pl.col("enterprise_id").is_in(near)).select(
                "enterprise_id", *policy.inputs
            )
            traced = evaluate_all([policy], subset, run.period, trace=True)
            firms = read.records(session, near)
            for explanation_row in traced.frames[code].iter_rows(named=True):
                firm = firms[explanation_row["enterprise_id"]]
                explanation = rules.explain_row(policy, explanation_row, traced.parameters[code])
                grouped[firm.chain or "未归链"].append(PoolMember(firm, explanation))
        out.append(Pool(policy, dict(sorted(grouped.items()))))
    return run, sorted(out, key=lambda p: p.policy.rung or 99)
