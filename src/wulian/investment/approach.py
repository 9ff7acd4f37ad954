"""攻关路径: approach plans for the target firms of the 招商图谱, recorded per chain gap and
followed up until the firm becomes a lead of the pipeline.

A plan names the owning team (a department) and officer, the contact route (以商招商 through a
zone firm that buys from or sells to the target, 基金招商, 校友招商, an event …), the steps and
the next follow-up. Staff with the investment permission read every plan; officers write only
their own team's plans (administrators and the system any). Turning a plan into a lead enters a
project through the pipeline's own checks and links the two both ways.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains
from wulian.core.auth.models import Department
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import read
from wulian.investment import atlas
from wulian.investment.models import ApproachPlan, InvestmentProject
from wulian.investment.service import NewProject, _check_team, create, require_read

ROUTES: dict[str, str] = {
    "business": "以商招商",
    "fund": "基金招商/以投促引",
    "alumni": "校友招商",
    "event": "展会/活动招商",
    "overseas": "驻外招商",
    "platform": "平台推荐",
    "other": "其他",
}
# the pipeline's source of a lead made from a plan of each route
ROUTE_SOURCES: dict[str, str] = {
    "business": "business", "fund": "fund", "alumni": "other", "event": "expo",
    "overseas": "overseas", "platform": "platform", "other": "other",
}  # fmt: skip
STATUSES: dict[str, str] = {
    "planned": "计划中",
    "following": "跟进中",
    "paused": "暂缓",
    "lead": "已转为线索",
}


@dataclass(frozen=True)
class PlanInput:
    """What the plan form sends."""

    route: str
    team_id: int | None = None
    officer_id: int | None = None
    via_enterprise_id: int | None = None  # 以商招商: the zone firm that makes the introduction
    fund_name: str = ""
    steps: str = ""
    next_step: str = ""
    next_on: dt.date | None = None
    status: str = "planned"


def suggestion(target: atlas.Target) -> dict[str, str] | None:
    """The plan form's prefilled values for a target with supply ties: 以商招商 through the zone
    firm it trades with most (the officer may change any of it); None without ties."""
    if not target.ties:
        return None
    tie = target.ties[0]
    return {
        "route": "business",
        "via_enterprise_id": str(tie.zone_id),
        "steps": f"经园区企业{tie.zone_name}牵线（{target.name}{tie.partner_says}）",
        "note": f"建议以商招商：{target.name}{tie.partner_says}，可请{tie.zone_name}牵线。",
    }


def check_suggestion(
    target_id: int, suggested_for: int | None, suggested_via: int | None, data: PlanInput
) -> None:
    """A plan form prefilled for one target (以商招商 through the firm it trades with) and then
    switched to another target must not keep the first target's introducer unnoticed."""
    if suggested_for is None or suggested_for == target_id or suggested_via is None:
        return
    if data.route == "business" and data.via_enterprise_id == suggested_via:
        raise InvalidInput(
            "预填的以商招商牵线企业是按原先所选目标企业的链上往来建议的，目标企业已经改了："
            "请核对牵线企业和攻关步骤，或在目标企业列表中从该企业一行点“登记攻关计划”",
            field="via_enterprise_id",
        )


def brokers(
    session: Session,
    node: atlas.NodeMap,
    targets: list[atlas.Target],
    plans: Sequence[ApproachPlan] = (),
) -> list[tuple[int, str, str]]:
    """The zone firms that may introduce a target (以商招商): the biggest firms of the nodes
    around the gap, the zone firms the targets trade with (named with the tie), and the firms
    the saved plans already go through (a tie may since have been removed or the target fallen
    out of the list: the plan still names its firm)."""
    out = {fid: (fid, name, relation) for fid, name, relation in node.brokers}
    for target in targets:
        for tie in target.ties:
            if tie.zone_id not in out:
                relation = f"与{target.name}有往来：{tie.direction_name}，{tie.product}"
                out[tie.zone_id] = (tie.zone_id, tie.zone_name, relation)
    missing = {p.via_enterprise_id for p in plans if p.via_enterprise_id} - set(out)
    for fid, name in sorted(read.names(session, missing).items()):
        out[fid] = (fid, name, "攻关计划已选的牵线企业")
    return list(out.values())


def may_write(actor: Actor, plan: ApproachPlan) -> bool:
    """Whether actor may change plan: its team's officers, administrators and the system."""
    if not actor.has(Permission.INVESTMENT_WRITE) or actor.enterprise_id is not None:
        return False
    return actor.answers_for_all or actor.department_id == plan.team_id


def _require_write(session: Session, actor: Actor, plan: ApproachPlan) -> None:
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    if not may_write(actor, plan):
        team = session.get(Department, plan.team_id)
        raise PermissionDenied(
            f"对“{plan.firm_name}”的攻关计划由{team.name if team else '其他小组'}负责，"
            "只有该小组的工作人员或系统管理员可以修改"
        )


def _check(session: Session, actor: Actor, data: PlanInput, *, team_id: int) -> None:
    if data.route not in ROUTES:
        raise InvalidInput(f"没有“{data.route}”这种对接方式", field="route", value=data.route)
    if data.status not in STATUSES or data.status == "lead":
        raise InvalidInput(f"没有“{data.status}”这种计划状态", field="status", value=data.status)
    if data.route == "business":
        if data.via_enterprise_id is None:
            raise InvalidInput(
                "以商招商请选择牵线的园区企业（向目标企业采购或供货的链上企业）",
                field="via_enterprise_id",
            )
        via = read.get(session, data.via_enterprise_id, actor=actor)
        if via is None or not via.in_zone:
            raise InvalidInput("牵线企业应是园区内的企业", field="via_enterprise_id")
    if data.route == "fund" and not data.fund_name.strip():
        raise InvalidInput("基金招商请填写基金名称", field="fund_name")
    if len(data.next_step) > 200:
        raise InvalidInput("下一步不超过 200 个字", field="next_step")
    if len(data.steps) > 4000:
        raise InvalidInput("攻关步骤不超过 4000 个字", field="steps")
    _check_team(session, actor, team_id, data.officer_id)


def create_plan(
    session: Session, *, actor: Actor, chain: str, node: str, enterprise_id: int, data: PlanInput
) -> ApproachPlan:
    """Record an approach plan for a target firm (an external firm of the registry) of a gap."""
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    found = chains.chain_or_raise(session, actor=actor, code=chain)
    atlas.need_of(found.spec, node)
    firm = read.get(session, enterprise_id, actor=actor)
    if firm is None:
        raise InvalidInput(f"企业名录里没有编号为 {enterprise_id} 的企业", field="enterprise_id")
    if firm.in_zone:
        raise InvalidInput(f"“{firm.name}”已在园区内，不是招商目标企业", field="enterprise_id")
    team_id = data.team_id if data.team_id is not None else actor.department_id
    if team_id is None:
        raise InvalidInput("请选择负责的招商小组（部门）", field="team_id")
    _check(session, actor, data, team_id=team_id)
    plan = ApproachPlan(
        chain=chain, node=node, enterprise_id=firm.id, firm_name=firm.name, team_id=team_id,
        created_by=actor.label,
    )  # fmt: skip
    _apply(plan, data)
    session.add(plan)
    session.flush()
    return plan


def _apply(plan: ApproachPlan, data: PlanInput) -> None:
    plan.officer_id = data.officer_id
    plan.route = data.route
    plan.via_enterprise_id = data.via_enterprise_id if data.route == "business" else None
    plan.fund_name = data.fund_name.strip()[:100]
    plan.steps = data.steps.strip()
    plan.next_step = data.next_step.strip()
    plan.next_on = data.next_on
    if plan.status != "lead":
        plan.status = data.status
    plan.updated_at = utcnow()


def update_plan(
    session: Session, *, actor: Actor, plan_id: int, revision: int, data: PlanInput
) -> ApproachPlan:
    """Change a plan (its team stays); revision is the one the person saw."""
    plan = get_plan_or_raise(session, actor=actor, plan_id=plan_id)
    _require_write(session, actor, plan)
    if plan.revision != revision:
        raise Conflict(
            f"对“{plan.firm_name}”的攻关计划刚被其他人修改过，本次没有保存，请刷新后重试"
        )
    _check(session, actor, data, team_id=plan.team_id)
    _apply(plan, data)
    session.flush()
    return plan


def get_plan_or_raise(session: Session, *, actor: Actor, plan_id: int) -> ApproachPlan:
    require_read(actor)
    plan = session.get(ApproachPlan, plan_id)
    if plan is None:
        raise NotFound(f"没有编号为 {plan_id} 的攻关计划")
    return plan


def plans(
    session: Session, *, actor: Actor, chain: str, node: str | None = None
) -> list[ApproachPlan]:
    """The chain's plans (of one gap when node is given), the next follow-up first."""
    require_read(actor)
    query = sa.select(ApproachPlan).where(ApproachPlan.chain == chain)
    if node is not None:
        query = query.where(ApproachPlan.node == node)
    order = (ApproachPlan.next_on.is_(None), ApproachPlan.next_on, ApproachPlan.id)
    return list(session.scalars(query.order_by(*order)))


def plan_of_project(session: Session, *, actor: Actor, project_id: int) -> ApproachPlan | None:
    """The plan a project was made from, if any."""
    require_read(actor)
    return session.scalar(sa.select(ApproachPlan).where(ApproachPlan.project_id == project_id))


def to_lead(
    session: Session,
    *,
    actor: Actor,
    today: dt.date,
    plan_id: int,
    name: str,
    amount_yi: str,
    note: str = "",
) -> InvestmentProject:
    """Turn the plan's target into a new lead of the pipeline (checked as any new lead is), owned
    by the plan's team, and link the two."""
    plan = get_plan_or_raise(session, actor=actor, plan_id=plan_id)
    _require_write(session, actor, plan)
    if plan.project_id is not None:
        raise Conflict(f"对“{plan.firm_name}”的攻关计划已转为线索（项目编号 {plan.project_id}）")
    found = chains.chain_or_raise(session, actor=actor, code=plan.chain)
    need = atlas.need_of(found.spec, plan.node)
    firm = read.get_or_raise(session, plan.enterprise_id, actor=actor)
    code = firm.industry_code or ""
    where = f"{found.spec.name}·{need.name}"
    text = f"来自招商图谱（{where}，{ROUTES.get(plan.route, plan.route)}）"
    project = create(
        session, actor=actor, today=today,
        data=NewProject(
            name=name, amount_yi=amount_yi, source=ROUTE_SOURCES.get(plan.route, "other"),
            firm=str(plan.enterprise_id), industry_code=code,
            manufacturing=code[:2].isdigit() and 13 <= int(code[:2]) <= 43,
            chain=plan.chain, node=plan.node if need.placed else "",
            fund_name=plan.fund_name, team_id=plan.team_id, officer_id=plan.officer_id,
            note=f"{text}。{note.strip()}" if note.strip() else text,
        ),
    )  # fmt: skip
    plan.project_id = project.id
    plan.status = "lead"
    plan.updated_at = utcnow()
    session.flush()
    return project
