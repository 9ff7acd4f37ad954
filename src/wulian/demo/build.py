"""Build the demo zone once: the production install (`wulian.install`), a GB/T 4754 subset, the
synthetic zone with its runs and requests, and the first administrator.

The demo is dated from the day it is built (`now`, by default the clock): whatever the date, its
home pages have work waiting. Its facts cover the last three years whose figures are in
(zone.data_years: in December 2026, 2023 to 2025). The previous year's innovation list was
published after a notice that ended weeks ago and the last year's is on notice now, with an
objection to answer; the last year's 亩均效益 evaluation's notice has just ended, so it can be
published; the previous year's R&D subsidy was paid to some firms and the last year's payouts
wait for approval; requests are open in every state, most within their deadlines, a few due soon
or overdue; chain placements wait for review; and about a hundred 招商 projects stand at every
stage of the pipeline, some of them stale."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core import audit, calendar, specversions
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Actor, Role
from wulian.demo import capital as demo_capital
from wulian.demo import colleges as demo_colleges
from wulian.demo import desk as demo_desk
from wulian.demo import investment as demo_investment
from wulian.demo import talent as demo_talent
from wulian.demo import zone
from wulian.demo.zone import ZoneResult
from wulian.enterprises.models import Enterprise
from wulian.innovation import objections
from wulian.innovation import service as innovation_service
from wulian.innovation.models import InnovationResult
from wulian.install import InstallResult, install
from wulian.landuse import service as landuse_service
from wulian.landuse.models import LanduseSpec
from wulian.policy import service as policy_service
from wulian.policy.models import PolicyOutcome
from wulian.reference import service as reference_service
from wulian.reference.models import Industry

ADMIN_USERNAME = "admin"
# Days before today: the previous year's innovation list's notice started (it was published 10
# days later), the last year's list's notice started (7 days: still on), the last year's 亩均效益
# notice started (ended). The years are the demo's data years (zone.data_years).
INNOVATION_PREVIOUS_NOTICE = 40
INNOVATION_LAST_NOTICE = 2
LANDUSE_LAST_NOTICE = 9


@dataclass(frozen=True)
class DemoResult:
    installed: InstallResult  # the shipped reference data and specs (as `wulian db upgrade`)
    admin_password: str | None  # shown once, when the administrator is created
    zone: ZoneResult | None  # None when the zone already had firms
    innovation_runs: int  # innovation-points runs made for the demo
    landuse_runs: int  # 亩均效益 runs made for the demo
    policy_runs: int  # policy evaluation runs made for the demo
    placement: dict[str, int] | None  # firms placed on chain nodes, by outcome
    requests: demo_desk.DeskDemo | None  # the request desk's demo requests
    sample: Path | None  # the sample import file, when written
    pipeline: demo_investment.PipelineDemo | None = None  # the 招商 projects and signings
    talent: demo_talent.TalentDemo | None = None  # posts, people (with a key), authorisations
    capital: demo_capital.CapitalDemo | None = None  # the fund matrix, loans and pools


def build(
    session: Session, *, actor: Actor, data_dir: Path | None = None, now: dt.datetime | None = None
) -> DemoResult:
    """Create what the demo zone lacks, dated from now (aware; by default the clock); running it
    again changes nothing."""
    now = now or dt.datetime.now(dt.UTC)
    today = calendar.today(now)
    years = zone.data_years(today)
    installed = install(session, actor=actor)
    if session.scalar(sa.select(sa.func.count()).select_from(Industry)) == 0:
        subset = resources.files("wulian.demo").joinpath("data/gbt4754_subset.csv")
        with resources.as_file(subset) as path:
            reference_service.import_gbt4754(session, actor=actor, notes=path)
    zone_result = None
    if session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 0:
        zone_result = zone.build_zone(session, actor_label=actor.label, years=years)
        audit.record(
            session,
            action="demo.build",
            object_type="enterprises",
            after={
                "in_zone": zone_result.in_zone,
                "external": zone_result.external,
                "facts": zone_result.facts,
                "seed": zone.SEED,
            },
        )
    placed = chains_service.place(session, actor=actor) if zone_result is not None else None
    made = zone_result is not None
    requests = demo_desk.build(session, now=now) if made else None
    pair = (int(years[-2]), int(years[-1]))  # the previous and the last data year
    runs = _innovation_runs(session, actor=actor, today=today, years=pair) if made else 0
    landuse_runs = _landuse_runs(session, actor=actor, today=today, years=pair) if made else 0
    policy_runs = _policy_runs(session, actor=actor, years=pair) if made else 0
    pipeline = demo_investment.build(session, actor=actor, today=today) if made else None
    talent = (
        demo_talent.build(
            session, actor=actor, today=today, year=int(years[-1]), keys=demo_talent.keys()
        )
        if made
        else None
    )
    if made:
        demo_colleges.build(session, actor=actor, today=today)  # after the posts it links
    capital = demo_capital.build(session, actor=actor, today=today) if made else None
    sample = None
    if data_dir is not None:
        sample = data_dir / zone.SAMPLE_NAME
        if not sample.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            sample.write_bytes(zone.sample_import(session, years[-1]))
    password = None
    if auth_service.get_user_by_username(session, username=ADMIN_USERNAME) is None:
        result = auth_service.create_user(
            session,
            actor=actor,
            username=ADMIN_USERNAME,
            role=Role.ADMIN,
            display_name="系统管理员",
        )
        password = result.generated_password
    return DemoResult(
        installed=installed,
        admin_password=password,
        zone=zone_result,
        innovation_runs=runs,
        landuse_runs=landuse_runs,
        policy_runs=policy_runs,
        placement=placed.counts if placed is not None else None,
        requests=requests,
        sample=sample,
        pipeline=pipeline,
        talent=talent,
        capital=capital,
    )


def _landuse_runs(session: Session, *, actor: Actor, today: dt.date, years: tuple[int, int]) -> int:
    """亩均效益 on the shipped spec: the previous year published, the last on a notice that has
    just ended."""
    previous, latest = years
    spec = specversions.latest(session, LanduseSpec, "huangyan")
    if spec is None:
        raise RuntimeError("内置的亩均效益方案没有载入")
    last = landuse_service.create_run(session, actor=actor, spec_id=spec.id, period=previous)
    landuse_service.publish(session, actor=actor, run_id=last.id)
    current = landuse_service.create_run(session, actor=actor, spec_id=spec.id, period=latest)
    landuse_service.start_notice(
        session,
        actor=actor,
        run_id=current.id,
        today=today - dt.timedelta(days=LANDUSE_LAST_NOTICE),
    )
    return 2


def _policy_runs(session: Session, *, actor: Actor, years: tuple[int, int]) -> int:
    """Every policy on the previous year (the R&D subsidy paid to its first ten firms) and on
    the last (every eligible firm waiting for approval)."""
    previous, latest = years
    last = policy_service.create_run(session, actor=actor, period=previous)
    paid = session.scalars(
        sa.select(PolicyOutcome.enterprise_id)
        .where(
            PolicyOutcome.run_id == last.id,
            PolicyOutcome.policy_code == "rd_subsidy",
            PolicyOutcome.status == "eligible",
        )
        .order_by(PolicyOutcome.enterprise_id)
        .limit(10)
    ).all()
    if paid:
        policy_service.approve(
            session, actor=actor, run_id=last.id, code="rd_subsidy", enterprise_ids=list(paid)
        )
    policy_service.create_run(session, actor=actor, period=latest)
    return 2


def _innovation_runs(
    session: Session, *, actor: Actor, today: dt.date, years: tuple[int, int]
) -> int:
    """Innovation points on the national spec: the previous year published after a notice that
    ended weeks ago, the last on notice since two days ago, with one firm's objection to answer;
    every third scored firm lets banks read its points."""
    previous, latest = years
    national = innovation_service.latest_version(session, code="national")
    credit = innovation_service.latest_version(session, code="credit")
    if national is None or credit is None:
        raise RuntimeError("内置的创新积分方案没有载入")
    last = innovation_service.create_run(
        session, actor=actor, spec_id=national.id, period=str(previous), credit_spec_id=credit.id
    )
    notice = today - dt.timedelta(days=INNOVATION_PREVIOUS_NOTICE)
    innovation_service.start_notice(session, actor=actor, run_id=last.id, today=notice)
    innovation_service.publish(
        session, actor=actor, run_id=last.id, today=notice + dt.timedelta(days=10)
    )
    current = innovation_service.create_run(
        session, actor=actor, spec_id=national.id, period=str(latest), credit_spec_id=credit.id
    )
    notice = today - dt.timedelta(days=INNOVATION_LAST_NOTICE)
    innovation_service.start_notice(session, actor=actor, run_id=current.id, today=notice)
    scored = session.scalars(
        sa.select(InnovationResult.enterprise_id)
        .where(InnovationResult.run_id == current.id, InnovationResult.points.is_not(None))
        .order_by(InnovationResult.enterprise_id)
    ).all()
    if scored:
        objections.raise_objection(
            session,
            actor=actor,
            run_id=current.id,
            enterprise_id=scored[1 % len(scored)],
            text=f"本企业 {latest} 年研发费用以税务加计扣除口径为准，请核实研发投入一项的数据",
            today=today,
        )
    innovation_service.grant_consents(session, actor=actor, enterprise_ids=list(scored[::3]))
    return 2
