"""The shell's own pages: home, cockpit, the five chains' overviews, health check."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core import todo
from wulian.core.auth import service as auth_service
from wulian.core.db import migrate
from wulian.core.deps import (
    DB,
    CurrentActor,
    download,
    render,
    settings_of,
    today_of,
    xlsx_download,
)
from wulian.core.errors import NotFound
from wulian.core.permissions import Actor, Permission
from wulian.core.workdays import service as workdays
from wulian.desk import service as desk_service
from wulian.enterprises import facts
from wulian.enterprises import service as enterprise_service
from wulian.innovation import service as innovation_service
from wulian.landuse import service as landuse_service
from wulian.policy import service as policy_service
from wulian.web import briefing
from wulian.web import cockpit as cockpit_figures
from wulian.web.navigation import CHAINS

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["园区"])


@dataclass(frozen=True)
class ZoneSummary:
    enterprises_in_zone: int
    enterprises_external: int
    departments: int
    users: int


def zone_summary(db: Session, actor: Actor) -> ZoneSummary:
    """The zone's headline counts, straight from the database."""
    actor.require(Permission.ZONE_READ)
    registry = enterprise_service.counts(db, actor=actor)
    return ZoneSummary(
        enterprises_in_zone=registry.in_zone,
        enterprises_external=registry.external,
        departments=len(auth_service.get_all_departments(db, actor=actor)),
        users=auth_service.count_users(db),
    )


# Modules of each chain, in the order they are built; a module without a page is marked as
# not yet available rather than shown with invented numbers.
CHAIN_MODULES: dict[str, list[tuple[str, str | None]]] = {
    "industry": [
        ("产业链图谱（上中下游环节、链上企业）", "/atlas"),
        ("链主企业与“N个一”工作清单", "/atlas"),
        ("强链、补链、延链与招商图谱", "/investment/atlas"),
        ("招商项目库", "/investment"),
        ("企业归链复核", "/atlas/review"),
        ("亩均效益评价（A/B/C/D 分类）", "/landuse"),
    ],
    "innovation": [
        ("创新积分评价与领跑榜、竞跑榜、进取榜", "/innovation"),
        ("梯度培育：科技型中小企业、高新技术企业、专精特新、小巨人", "/policies/pools"),
        ("企业名录与科技标签", "/enterprises"),
    ],
    "talent": [
        ("产业人才地图：需求、供给、紧缺指数", "/talent/map"),
        ("人才需求与供给匹配、人才周", "/talent/events"),
        ("企业自主认定人才与七维评价", "/talent/authorisations"),
        ("人才项目：申报、评审、资助", "/talent/programmes"),
    ],
    "capital": [
        ("产业基金与以投促引", "/capital"),
        ("金融产品与一企一策", "/capital/products"),
        ("创新积分贷、知识价值信用评价", "/capital/credit"),
        ("银企对接与上市梯队", "/capital/events"),
    ],
    "service": [
        ("企呼我应：诉求受理、交办、办结、评价", "/desk"),
        ("诉求统计：按类别、产业链、区域、部门，按时率与满意率", "/desk/stats"),
        ("免申即享：政策兑现", "/policies/runs"),
    ],
}


# What each domain says waits for someone (core/todo.py), in the order the home page lists them
WAITING = (
    desk_service.waiting,
    facts.waiting,
    policy_service.waiting,
    innovation_service.waiting,
    landuse_service.waiting,
    chains_service.waiting,
)


def waiting(request: Request, db: Session, actor: Actor) -> list[todo.Todo]:
    """What waits for actor, urgent first."""
    clock = getattr(request.app.state, "clock", None)
    now = clock() if clock else None
    return todo.ordered(
        [item for provider in WAITING for item in provider(db, actor=actor, now=now)]
    )


@pages.get("/")
def home(request: Request, db: DB, actor: CurrentActor) -> Response:
    if actor.enterprise_id is not None:
        enterprise = enterprise_service.get_or_raise(
            db, actor=actor, enterprise_id=actor.enterprise_id
        )
        return render(
            request,
            "home_enterprise.html",
            {"actor": actor, "enterprise": enterprise, "todos": waiting(request, db, actor)},
        )
    summary = zone_summary(db, actor) if actor.has(Permission.ZONE_READ) else None
    calendar_warning = (
        workdays.warning(db, today=today_of(request))
        if actor.has(Permission.CALENDAR_MANAGE)
        else None
    )
    return render(
        request,
        "home.html",
        {
            "actor": actor,
            "summary": summary,
            "chains": CHAINS,
            "calendar_warning": calendar_warning,
            "todos": waiting(request, db, actor),
        },
    )


def _now(request: Request) -> dt.datetime | None:
    """The app's clock when one is set (tests do), else None: now."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock else None


@pages.get("/cockpit")
def cockpit(request: Request, db: DB, actor: CurrentActor) -> Response:
    summary = zone_summary(db, actor)
    departments = auth_service.get_all_departments(db, actor=actor)
    return render(
        request,
        "cockpit.html",
        {
            "actor": actor,
            "summary": summary,
            "departments": departments,
            "chains": CHAINS,
            "modules": CHAIN_MODULES,
            "figures": cockpit_figures.build(db, actor=actor, now=_now(request)),
        },
    )


@pages.get("/cockpit/briefing.docx")
def cockpit_briefing(request: Request, db: DB, actor: CurrentActor) -> Response:
    """The weekly briefing (领导简报) with the cockpit's figures, as a Word document."""
    zone_summary(db, actor)  # the cockpit's own permission
    figures = cockpit_figures.build(db, actor=actor, now=_now(request))
    day = today_of(request)
    content = briefing.briefing_docx(figures, zone=settings_of(request).zone_name, day=day)
    return download(content, f"领导简报-{day:%Y%m%d}.docx", DOCX)


@pages.get("/cockpit/export.xlsx")
def cockpit_export(request: Request, db: DB, actor: CurrentActor) -> Response:
    zone_summary(db, actor)  # the cockpit's own permission
    figures = cockpit_figures.build(db, actor=actor, now=_now(request))
    day = today_of(request)
    return xlsx_download(cockpit_figures.export_xlsx(figures), f"领导驾驶舱-{day:%Y%m%d}.xlsx")


@pages.get("/chains/{key}")
def chain(request: Request, key: str, db: DB, actor: CurrentActor) -> Response:
    actor.require(Permission.ZONE_READ)
    if key not in CHAINS:
        raise NotFound(f"没有名为“{key}”的链")
    label, motto = CHAINS[key]
    summary = zone_summary(db, actor)
    return render(
        request,
        "chains/chain.html",
        {
            "actor": actor,
            "key": key,
            "label": label,
            "motto": motto,
            "modules": CHAIN_MODULES[key],
            "summary": summary,
        },
    )


@pages.get("/healthz")
def healthz(request: Request) -> Response:
    """200 with the database status when the database answers and its schema is current."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        schema = migrate.schema_state(engine)
    except Exception:
        return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
    storage = "ok" if _writable(settings_of(request).data_dir) else "unwritable"
    healthy = schema == "current" and storage == "ok"
    body = {"status": "ok" if healthy else "error", "database": "ok", "schema": schema,
            "data_dir": storage}  # fmt: skip
    return JSONResponse(body, status_code=200 if healthy else 503)


def _writable(folder: Path) -> bool:
    """Whether files (uploads, evidence) can be written to folder now: a file is created,
    synced and removed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError:
        return False
    return True


class ZoneSummaryOut(BaseModel):
    enterprises_in_zone: int
    enterprises_external: int
    departments: int
    users: int


@api.get("/zone/summary", summary="园区概况计数")
def api_zone_summary(db: DB, actor: CurrentActor) -> ZoneSummaryOut:
    return ZoneSummaryOut(**asdict(zone_summary(db, actor)))
