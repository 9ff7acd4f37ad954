"""The application factory: one FastAPI app serving HTML pages, the JSON API and static files."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers

from wulian import __version__
from wulian.capital import views as capital_views  # 资金链
from wulian.chains import views as chain_views
from wulian.core.db import create_engine, migrate, session_factory
from wulian.core.settings import Settings, get_settings
from wulian.desk import service as desk_service
from wulian.desk import views as desk_views
from wulian.enterprises import views as enterprise_views
from wulian.innovation import views as innovation_views
from wulian.investment import views as investment_views
from wulian.landuse import views as landuse_views
from wulian.policy import views as policy_views
from wulian.talent import collegeviews as talent_college_views
from wulian.talent import matching as talent_matching
from wulian.talent import programme_views as talent_programme_views
from wulian.talent import views as talent_views
from wulian.web import accounts, admin, errors, notifications, views
from wulian.web.middleware import AdmissionMiddleware, GuardMiddleware, RequestLogMiddleware
from wulian.web.templating import build_templates

STATIC_DIR = Path(__file__).parent / "static"


def configure_logging() -> None:
    """Request log lines go to standard error as JSON, one per line."""
    logger = logging.getLogger("wulian")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def warm_up(app: FastAPI, engine: Engine) -> None:
    """What the first requests would otherwise wait for (about 0.7 s): FastAPI's per-route
    request models, which it builds on first match, the ORM's mapper configuration, the
    request desk's category model, the talent matching kernels and the occupation model (read,
    or built in the background). Runs before the server accepts connections."""
    for route in app.router.routes:
        build = getattr(route, "effective_candidates", None)  # an included router's routes
        if callable(build):
            build()
    configure_mappers()
    with session_factory(engine)() as session:
        desk_service.warm_up(session)
    talent_matching.warm_up()  # the matching engine's compiled kernels
    # the occupation model read once for the process (or built in a background thread), and
    # the posts and people waiting for a suggested occupation filled by the system, not by a
    # request
    talent_views.suggest_occupations(app)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The wulian web application. Refuses a database whose schema is behind the code."""
    settings = settings or get_settings()
    # Every admitted request may hold one connection; a few more for health checks.
    engine = engine or create_engine(
        settings.database_url,
        timeouts=settings.db_timeouts,
        pool_size=settings.max_concurrent_requests + 4,
        max_overflow=4,
    )
    migrate.ensure_current(engine)
    settings.session_secret  # noqa: B018  (create the secret now, not on the first request)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            await anyio.to_thread.run_sync(warm_up, app, engine)
        yield
        engine.dispose()

    app = FastAPIOffline(
        title="wulian 五链 API",
        version=__version__,
        description="五链融合工作平台的 JSON 接口。机器客户端使用 `Authorization: Bearer <令牌>`。",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        static_url="/api/docs-assets",
        favicon_url="/static/img/favicon.svg",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.templates = build_templates(
        settings.zone_name,
        limits={
            "upload": settings.max_upload_bytes,
            "form": settings.max_request_bytes,
            "evidence": settings.max_evidence_bytes,
        },
    )

    errors.install(app)
    app.add_middleware(GuardMiddleware, settings=settings, render_error=errors.render_error)
    app.add_middleware(AdmissionMiddleware, limit=settings.max_concurrent_requests)
    if settings.log_requests:
        configure_logging()
        app.add_middleware(RequestLogMiddleware)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        views,
        accounts,
        notifications,
        admin,
        enterprise_views,
        innovation_views,
        landuse_views,
        policy_views,
        chain_views,
        investment_views,
        capital_views,
        desk_views,
        talent_views,
        talent_programme_views,
        talent_college_views,
    ):
        app.include_router(module.pages)
        app.include_router(module.api, prefix="/api/v1")
    return app
