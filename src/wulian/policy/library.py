"""The policy library: the shipped policy files, their versions (checked against the metric
catalogue and their own test cases), who owns each, and each policy as a reader sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import specversions
from wulian.core.auth import service as auth_service
from wulian.core.errors import InvalidFile, InvalidInput, RowProblem
from wulian.core.permissions import Actor, Permission
from wulian.engines.rules import cases as rule_cases
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules import expr
from wulian.engines.rules import policy as rule_policy
from wulian.engines.rules.policy import Policy, Source
from wulian.engines.specfile import refuse
from wulian.enterprises.tags import TAGS
from wulian.policy.models import PolicyVersion
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
def parse(text: str, filename: str = "政策文件", uses: tuple[str, ...] = ()) -> Policy:
    """A policy from its text (parsed once per text and texts it may read): a policy may read
    the outputs of the policies whose texts are in uses (policy_id.output; uses is a whole set,
    such as every current version, its own included, and its own is passed over). A file of outputs
    only (no conditions) is for `wulian policy` on files: the library holds policies."""
    others = parse_all(uses) if uses else []
    policy = rule_policy.load(text, filename, [p for p in others if p.id != _id_of(text)])
    return _standalone(policy, filename)


@lru_cache(maxsize=32)
def parse_all(texts: tuple[str, ...]) -> list[Policy]:
    """The policies of texts, each loaded after those it reads (a set of current versions, or
    those pinned by a run)."""
    loaded = rule_policy.load_set([(text, "政策文件") for text in texts])
    return [_standalone(p, p.filename) for p in loaded]


def _id_of(text: str) -> str | None:
    return rule_policy.references(text, "政策文件")[0]


def _standalone(policy: Policy, filename: str) -> Policy:
    if not policy.conditions:
        raise InvalidFile(
            [
                RowProblem(
                    None,
                    "conditions",
                    None,
                    "平台中的政策须有条件和类别；只定义供引用的结果的文件请用 wulian policy 命令",
                )
            ],
            filename,
        )
    return policy


def source_of(policy: Policy, key: str) -> Source:
    """Where an input comes from (its own or one of a policy it reads): as declared, else the
    metric of the same key."""
    return policy.all_inputs[key].source or Source(metric=key)


STAFF_ONLY = "企业用户只能使用本企业的政策计算器"


def require_reader(actor: Actor) -> None:
    if not (actor.has(Permission.ZONE_READ) or actor.has(Permission.ENTERPRISES_READ)):
        actor.require(Permission.ZONE_READ)


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
        if source.talent is not None and item.type != "number":
            problems.append((where, source.talent, "人才数据是人数或金额，输入应为数值"))
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
    policy = parse(text, f"{code}.yaml", tuple(t for _, t in sorted(_shipped_files().items())))
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


def _check_version(
    session: Session, actor: Actor, base: PolicyVersion, text: str, copy: bool
) -> specversions.Checked:
    texts = {row.code: row.text for row in newest(session)}
    policy = parse(text, uses=tuple(texts.values()))
    others = {code: other for code, other in texts.items() if code != base.code}
    check_sources(session, policy)
    current = current_policy(session, base.code)
    auth_service.check_owner_change(
        session, actor=actor, new=policy.department,
        old=current.department if current is not None else None, copy=copy,
        what=f"政策“{policy.title if copy or current is None else current.title}”",
    )  # fmt: skip
    rule_cases.check_cases(policy)
    _check_readers(policy, others)
    return specversions.Checked(
        policy.id, policy.title, {"category": policy.category, "document": policy.document}
    )


SPECS = specversions.SpecKind(
    model=PolicyVersion, what="政策版本", write=Permission.ANALYSES_WRITE,
    may_read=require_reader, check=_check_version,
    shipped=SHIPPED_SPECS,
    may_edit=lambda session, actor, row: auth_service.may_act(
        session, actor=actor, permission=Permission.ANALYSES_WRITE,
        department=policy_of(session, row).department,
    ),
)  # fmt: skip

# versions of the policy files, and saving a new one (refused with file, line and reason when
# the text is invalid, an input's source is unknown, or a test case fails)
get_versions = SPECS.listed
get_version_or_raise = SPECS.get
save_version = SPECS.save
install_shipped = SPECS.install  # the shipped files, for one who may write


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
    return policy_of(session, row) if row is not None else None


def policy_of(session: Session, row: PolicyVersion) -> Policy:
    """A version of a policy, reading the current versions of the policies it reads."""
    return parse(row.text, uses=tuple(r.text for r in newest(session)))


def _check_readers(policy: Policy, others: dict[str, str]) -> None:
    """The current policies that read this one still load with it, and pass their cases:
    a new version may not drop or retype an output another policy reads."""
    readers = [
        code for code, text in others.items() if policy.id in rule_policy.references(text, code)[1]
    ]
    if not readers:
        return
    texts = [policy.text, *others.values()]
    try:
        loaded = parse_all(tuple(texts))
    except InvalidFile as error:
        raise InvalidFile(
            [
                RowProblem(
                    None,
                    "outputs",
                    "、".join(readers),
                    f"读取本政策结果的政策 {'、'.join(readers)} 与新版本不相容：{error.message}",
                )
            ],
            policy.filename,
        ) from None
    for reader in loaded:
        if reader.id in readers:
            rule_cases.check_cases(reader)


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
    require_reader(actor)
    rows = newest(session)
    items = [
        LibraryItem(row, policy)
        for row, policy in zip(rows, parse_all(tuple(r.text for r in rows)), strict=True)
    ]
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
