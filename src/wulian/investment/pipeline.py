"""The pipeline's shared pieces: project sources, money in 亿元/万元, the stage table and who may
read or write a project."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.auth.models import Department
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.investment.models import InvestmentProject, InvestmentStage

STAFF_ONLY = "招商项目库只对园区工作人员开放，企业用户不能查看"

SOURCES: dict[str, str] = {
    "business": "以商招商",
    "fund": "基金招商/以投促引",
    "overseas": "驻外招商",
    "expo": "展会",
    "platform": "平台推荐",
    "other": "其他",
}

WAN_PER_YI = 10_000  # 1 亿元 = 10,000 万元
# Bands by total investment (万元 lower bound): 百亿级 ≥ 100亿, 十亿级 10–100亿, below.
BANDS: dict[str, tuple[str, int, int | None]] = {
    "100": ("百亿级（≥100亿元）", 1_000_000, None),
    "10": ("十亿级（10–100亿元）", 100_000, 1_000_000),
    "small": ("10亿元以下", 0, 100_000),
}
# An amount in 亿元 this large (1 万亿 and more) was almost surely typed in 万元 (off by 10⁴).
UNIT_SUSPECT_YI = Decimal(10_000)

SORTS: dict[str, str] = {
    "name": "按项目名称（拼音）",
    "-amount": "按投资额（大→小）",
    "stage": "按阶段",
    "-since": "按本阶段开始日期（新→旧）",
}


def parse_yi(text: str | Decimal | int | None, *, field: str, label: str) -> int | None:
    """An amount typed in 亿元 as whole 万元; None when nothing is typed. Refuses what is not a
    positive number, finer than 1 万元, or so large that it was surely typed in 万元."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(
            f"{label}“{text}”不是数字，请按亿元填写（如 12.5）", field=field, value=str(text)
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{label}应大于 0（亿元）", field=field, value=str(text))
    if value >= UNIT_SUSPECT_YI:
        raise InvalidInput(
            f"{label}“{text}”亿元超过 1 万亿元，疑似按万元填写（按万元即 {yi(int(value))} 亿元），"
            "请按亿元填写",
            field=field,
            value=str(text),
            unit_suspect=True,
        )
    wan = value * WAN_PER_YI
    if wan != wan.to_integral_value():
        raise InvalidInput(
            f"{label}“{text}”最多保留 4 位小数（精确到 1 万元）", field=field, value=str(text)
        )
    return int(wan)


def yi(wan: int | None) -> str:
    """万元 shown in 亿元, exactly (12.5, 0.0350, 155)."""
    if wan is None:
        return ""
    value = Decimal(wan) / WAN_PER_YI
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def band_of(wan: int) -> str:
    """The band key of an amount in 万元."""
    for key, (_, low, high) in BANDS.items():
        if wan >= low and (high is None or wan < high):
            return key
    return "small"


def stages(session: Session) -> list[InvestmentStage]:
    """The stage table in order."""
    return list(session.scalars(sa.select(InvestmentStage).order_by(InvestmentStage.position)))


def stage_names(session: Session) -> dict[str, str]:
    return {s.key: s.name for s in stages(session)}


def stage_or_raise(session: Session, key: str) -> InvestmentStage:
    stage = session.get(InvestmentStage, key)
    if stage is None:
        raise InvalidInput(f"阶段表里没有“{key}”这个阶段", field="stage", value=key)
    return stage


def update_stage(
    session: Session,
    *,
    actor: Actor,
    key: str,
    name: str,
    next_keys: Sequence[str],
    stale_days: int | None,
) -> InvestmentStage:
    """Rename a stage, set the stages a project may move to from it and its stale warning."""
    actor.require(Permission.INVESTMENT_ADMIN)
    stage = stage_or_raise(session, key)
    name = name.strip()
    if not name or len(name) > 40:
        raise InvalidInput("阶段名称不能为空，且不超过 40 个字", field="name")
    others = {s.key: s for s in stages(session)}
    if any(s.name == name and s.key != key for s in others.values()):
        raise Conflict(f"已有名为“{name}”的阶段", field="name")
    unknown = [k for k in next_keys if k not in others]
    if unknown:
        raise InvalidInput(f"阶段表里没有“{unknown[0]}”这个阶段", field="next_keys")
    if key in next_keys:
        raise InvalidInput("阶段不能转到它自己", field="next_keys")
    if stale_days is not None and not 1 <= stale_days <= 3650:
        raise InvalidInput("停滞提醒天数应在 1–3650 之间，或留空表示不提醒", field="stale_days")
    stage.name = name
    stage.next_keys = list(dict.fromkeys(next_keys))
    stage.stale_days = stale_days
    session.flush()
    return stage


def require_read(actor: Actor) -> None:
    """Staff with the investment permission; never an enterprise user."""
    actor.require_staff(STAFF_ONLY, Permission.INVESTMENT_READ)


def may_write(actor: Actor, project: InvestmentProject) -> bool:
    """Whether actor may change project: its team's officers, administrators and the system."""
    if not actor.has(Permission.INVESTMENT_WRITE) or actor.enterprise_id is not None:
        return False
    return actor.answers_for_all or actor.department_id == project.team_id


def _require_write(session: Session, actor: Actor, project: InvestmentProject) -> None:
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    if not may_write(actor, project):
        team = session.get(Department, project.team_id)
        raise PermissionDenied(
            f"项目“{project.name}”由{team.name if team else '其他小组'}负责，"
            "只有该小组的工作人员或系统管理员可以修改"
        )


def refused(
    session: Session,
    *,
    actor: Actor,
    project_id: int | None,
    attempt: str,
    error: WulianError,
    object_type: str = "investment_projects",
) -> None:
    """Roll back a write that failed and record the attempt (who tried what), on its own;
    project_id is the id of the object_type's row when there is one."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="investment.refused", object_type=object_type,
        object_id=project_id,
        after={"attempt": attempt, "code": error.code, "message": error.message},
    )  # fmt: skip
    session.commit()
