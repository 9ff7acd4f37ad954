"""Every page of the demo zone, as every kind of user, in a real browser under the app's own
content security policy: no console error, no uncaught script error, no failed request and no
server error. A refusal (403) or a missing object (404) is a rendered Chinese page.

The pages are the app's GET routes, read from the application itself, so that a new page is
visited without being listed here; their path parameters are filled with real ids of the demo
zone. The demo zone is built once per database kind (see `demo_template`); one server and one
browser context per user kind visit everything."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, SYSTEM, World, app_routes
from tests.e2e.conftest import demo_copy, serving
from wulian.capital.models import CreditSpecVersion, Fund, MatchEvent
from wulian.chains import service as chains_service
from wulian.chains.models import ChainSpecRow
from wulian.core.auth import service as auth_service
from wulian.core.db import create_engine, session_factory
from wulian.core.permissions import Role
from wulian.core.settings import Settings
from wulian.desk import service as desk_service
from wulian.desk.models import DeskAttachment, DeskConfigVersion, DeskRequest
from wulian.enterprises.models import Fact
from wulian.innovation.models import InnovationResult, InnovationRun, InnovationSpec
from wulian.investment.models import InvestmentProject, ProjectDocument, SigningEvent
from wulian.landuse.models import LanduseResult, LanduseRun, LanduseSpec
from wulian.policy.models import Payout, PolicyRun, PolicyVersion
from wulian.reference.models import Metric
from wulian.talent.events import Event as TalentEvent
from wulian.talent.models import EvaluationRunRow, EvaluationSpecVersion, Person, Post
from wulian.talent.programme_models import ProgrammeRound
from wulian.web.app import create_app
from wulian.web.navigation import CHAINS

# Every kind of user of a zone: (role, department code). Officers of several departments,
# since what an officer may see and do depends on the department.
USERS: dict[str, tuple[Role, str | None]] = {
    "root": (Role.ADMIN, None),  # the demo's own "admin" must change its password first
    "analyst": (Role.ANALYST, None),
    "leader": (Role.OFFICER, "leaders"),
    "chain-office": (Role.OFFICER, "chain-office"),
    "science": (Role.OFFICER, "science"),
    "economy": (Role.OFFICER, "economy"),
    "business-env": (Role.OFFICER, "business-env"),
    "planning": (Role.OFFICER, "planning"),
    "firm": (Role.ENTERPRISE, None),
}
# Routes that answer with a file or JSON rather than a page: fetched, and must not fail.
FILES = frozenset(
    {
        "/healthz",
        "/facts/{fact_id}/evidence",
        "/desk/attachments/{attachment_id}",
        "/imports/{token}/report.xlsx",
    }
)
# JSON, assets, and Swagger UI's OAuth2 callback (the API takes bearer tokens, never OAuth2).
NOT_PAGES = (
    "/api/v1/",
    "/api/openapi.json",
    "/static",
    "/api/docs-assets",
    "/docs/oauth2-redirect",
)
# Pages that answer a form: visited with what the form sends (filled in `_ids`).
QUERIES = ("/enterprises/{enterprise_id}/history", "/policies/runs/{run_id}/{code}/whatif")
MULTILINE = "一、三期厂房用地预审尚未批复。\n二、请协调规划分局。\n三、联系人：王工"
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


# ---------------------------------------------------------------- what there is to visit


def get_routes(app: Any) -> list[str]:
    """The paths of the app's GET routes, as declared (included routers walked through)."""
    paths = {
        route.path
        for route in app_routes(app)
        if "GET" in (getattr(route, "methods", None) or ()) and not route.path.startswith(NOT_PAGES)
    }
    return sorted(paths)


def fill(path: str, values: dict[tuple[str, str], list[str]]) -> list[str]:
    """Every address of a route with its path parameters filled by the demo's ids (and its
    query, for a page that answers a form)."""
    prefix = path.strip("/").split("/", 1)[0]
    names = _PARAM.findall(path)
    choices = []
    for name in names:
        found = values.get((prefix, name), values.get(("*", name)))
        assert found, f"没有为 {path} 的参数 {name} 准备演示数据中的取值"
        choices.append(found)
    addresses = []
    for combination in product(*choices):
        address = path
        for name, value in zip(names, combination, strict=True):
            address = re.sub(r"{" + name + r"(?::\w+)?}", value, address)
        addresses.append(address + (values[("?", path)][0] if path in QUERIES else ""))
    return addresses


@dataclass
class Site:
    base: str
    pages: list[str]
    files: list[str]
    request_id: int  # the firm's request with line breaks
    data_dir: Path


def _ids(session: Session, firm: int, request_id: int) -> dict[tuple[str, str], list[str]]:
    """Real ids of the demo zone for every path parameter, by the route's first segment."""

    def all_of(column: Any) -> list[str]:
        return [str(v) for v in session.scalars(sa.select(column).order_by(column)).all()]

    def first(column: Any) -> list[str]:
        return all_of(column)[:1]

    chain = chains_service.chains(session, actor=SYSTEM)[0]
    fact = session.scalar(
        sa.select(Fact.id).order_by(Fact.evidence_path.is_(None), Fact.id).limit(1)
    )
    metric, period = session.execute(
        sa.select(Metric.key, Fact.period)
        .join(Metric, Metric.id == Fact.metric_id)
        .where(Fact.enterprise_id == firm)
        .order_by(Fact.id)
        .limit(1)
    ).one()
    demo_request = session.scalar(
        sa.select(DeskRequest.id).where(DeskRequest.id != request_id).order_by(DeskRequest.id)
    )
    return {
        ("*", "enterprise_id"): [str(firm)],
        ("chains", "key"): list(CHAINS),
        ("admin", "user_id"): [
            str(auth_service.get_user_by_username(session, username="firm").id)  # type: ignore[union-attr]
        ],
        ("facts", "fact_id"): [str(fact)],
        ("imports", "token"): ["a" * 32],  # an import nobody made: a Chinese 404
        ("innovation", "run_id"): all_of(InnovationRun.id),
        ("innovation", "spec_id"): all_of(InnovationSpec.id),
        ("landuse", "run_id"): all_of(LanduseRun.id),
        ("landuse", "spec_id"): first(LanduseSpec.id),
        ("policies", "run_id"): all_of(PolicyRun.id),
        ("policies", "spec_id"): first(PolicyVersion.id),
        # a policy paid in the demo whose what-if has the parameter "rate"
        ("policies", "code"): [c for c in all_of(Payout.policy_code) if c == "rd_subsidy"][:1],
        ("atlas", "spec_id"): first(ChainSpecRow.id),
        ("atlas", "chain"): [chain.row.code],
        ("atlas", "node"): [chain.spec.nodes[0].key],
        ("desk", "spec_id"): first(DeskConfigVersion.id),
        ("desk", "request_id"): [str(request_id), str(demo_request)],
        ("desk", "attachment_id"): first(DeskAttachment.id),
        ("investment", "project_id"): first(InvestmentProject.id),
        ("investment", "signing_id"): first(SigningEvent.id),
        ("investment", "document_id"): first(ProjectDocument.id) or ["999999"],  # none: a 404
        ("capital", "fund_id"): first(Fund.id),
        ("capital", "event_id"): first(MatchEvent.id),
        ("capital", "spec_id"): first(CreditSpecVersion.id),
        ("investment", "chain"): [chain.row.code],
        ("investment", "key"): [chain.spec.nodes[0].key],
        ("talent", "post_id"): first(Post.id),
        # the demo has people (and their evaluations) only with a key: else a Chinese 404
        ("talent", "run_id"): first(EvaluationRunRow.id) or ["999999"],
        ("talent", "spec_id"): first(EvaluationSpecVersion.id),
        ("talent", "round_id"): first(ProgrammeRound.id) or ["999999"],
        ("talent", "person_id"): first(Person.id) or ["999999"],  # no key: the page says why
        ("talent", "event_id"): first(TalentEvent.id),
        ("?", QUERIES[0]): [f"?metric={metric}&period={period}"],
        ("?", QUERIES[1]): ["?parameter=rate&value=15%25"],
    }


def _firm(session: Session) -> int:
    """An in-zone firm rated by the published 亩均 run and scored in innovation points."""
    landuse = sa.select(LanduseResult.enterprise_id).where(
        LanduseResult.run_id == sa.select(sa.func.min(LanduseRun.id)).scalar_subquery()
    )
    scored = sa.select(InnovationResult.enterprise_id).where(InnovationResult.points.is_not(None))
    firm = session.scalar(
        sa.select(sa.func.min(LanduseResult.enterprise_id)).where(
            LanduseResult.enterprise_id.in_(landuse), LanduseResult.enterprise_id.in_(scored)
        )
    )
    assert firm is not None
    return int(firm)


@pytest.fixture(scope="module")
def site(
    backend: str, demo_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A copy of the demo zone with one user of every kind and a request with line breaks and
    an attachment, served for this module."""
    folder = tmp_path_factory.mktemp(f"pages-{backend}")
    with demo_copy(demo_template, folder) as url:
        engine = create_engine(url)
        world = World(engine)
        with session_factory(engine)() as session:
            firm = _firm(session)
        for username, (role, department) in USERS.items():
            world.user(
                username,
                role,
                department_id=world.department(department) if department else None,
                enterprise_id=firm if role is Role.ENTERPRISE else None,
            )
        data_dir = folder / "data"

        def submit(session: Session) -> int:
            user = auth_service.get_user_by_username(session, username="firm")
            assert user is not None
            return desk_service.submit(
                session,
                actor=auth_service.actor_for_user(user),
                title="三期厂房用地预审",
                description=MULTILINE,
                enterprise_id=firm,
                uploads=[desk_service.Upload("备案证明.pdf", b"%PDF-1.4\n%%EOF\n")],
                data_dir=data_dir,
            ).id

        request_id = int(world.run(submit))  # type: ignore[call-overload]
        settings = Settings(database_url=url, data_dir=data_dir, log_requests=False, warm_up=False)
        app = create_app(settings, engine=engine)
        with session_factory(engine)() as session:
            values = _ids(session, firm, request_id)
        pages: list[str] = []
        files: list[str] = []
        for path in get_routes(app):
            (files if path in FILES or path.endswith((".xlsx", ".docx")) else pages).extend(
                fill(path, values)
            )
        with serving(app) as base:
            yield Site(base, pages, files, request_id, data_dir)
        engine.dispose()


# ---------------------------------------------------------------- visiting


@dataclass
class Watch:
    """What went wrong while a page loaded."""

    base: str
    problems: list[str] = field(default_factory=list)
    address: str = ""
    refused: bool = False  # the page itself answered 403 or 404, as it may for this user

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium reports a page's own 403/404 as a console error; that status is checked
        # below, and a refusal is not a fault of the page.
        if (
            self.refused
            and message.location.get("url") == self.base + self.address
            and re.match(r"Failed to load resource: .* status of 40[34]", message.text)
        ):
            return
        self.problems.append(f"{self.address}: 控制台错误 {message.text}")

    def page_error(self, error: Exception) -> None:
        self.problems.append(f"{self.address}: 脚本错误 {error}")

    def failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":  # cut short by going on to the next page
            return
        self.problems.append(f"{self.address}: 请求失败 {request.url} {request.failure}")

    def response(self, response: Response) -> None:
        if response.request.is_navigation_request() and response.url == self.base + self.address:
            self.refused = response.status in (403, 404)
        if response.status >= 500:
            self.problems.append(f"{self.address}: 服务器错误 {response.status} {response.url}")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def visit_everything(
    browser: Browser, site: Site, username: str
) -> tuple[list[str], dict[int, int]]:
    """Every page and file of the site as one user: the problems found and the statuses seen."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(site.base)
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    page.on("requestfailed", watch.failed)
    page.on("response", watch.response)
    statuses: dict[int, int] = {}
    took: dict[str, float] = {}
    try:
        sign_in(page, site.base, username)
        for address in site.pages:
            watch.address = address
            started = time.monotonic()
            response = page.goto(site.base + address)
            took[address] = time.monotonic() - started
            assert response is not None
            status = response.status
            statuses[status] = statuses.get(status, 0) + 1
            kind = response.headers.get("content-type", "")
            if status not in (200, 403, 404):
                watch.problems.append(f"{address}: 状态 {status}")
            elif not kind.startswith("text/html"):
                watch.problems.append(f"{address}: 不是页面（{kind}），应列入 FILES")
            elif status != 200:
                headings = page.locator(".error-page h1").all_inner_texts()
                if not any(re.search(r"[\u4e00-\u9fff]", text) for text in headings):
                    watch.problems.append(f"{address}: {status} 不是中文的错误页面")
        for address in site.files:
            watch.address = address
            response = context.request.get(site.base + address, max_redirects=0)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status >= 500:
                watch.problems.append(f"{address}: 服务器错误 {response.status}")
    finally:
        context.close()
    slowest = sorted(took.items(), key=lambda item: -item[1])[:5]
    print(username, "最慢的页面：", ", ".join(f"{a} {t:.1f} 秒" for a, t in slowest))
    return watch.problems, statuses


@pytest.mark.parametrize("username", list(USERS))
def test_every_page_as_every_user_without_console_errors(
    browser: Browser, site: Site, username: str
) -> None:
    started = time.monotonic()
    problems, statuses = visit_everything(browser, site, username)
    print(
        f"{username}: {len(site.pages)} 个页面、{len(site.files)} 个文件，"
        f"状态 {dict(sorted(statuses.items()))}，{time.monotonic() - started:.1f} 秒"
    )
    assert problems == [], f"{len(problems)} 个问题：\n" + "\n".join(problems)


# ---------------------------------------------------------------- the faults found this way


def test_the_monthly_trend_bars_are_drawn_to_scale(page: Page, site: Site) -> None:
    sign_in(page, site.base, "analyst")
    page.goto(f"{site.base}/desk/stats?since=2026-01-01&until=2026-12-31")
    rows = page.locator("#months tbody tr")
    assert rows.count() >= 6
    submitted = [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(rows.count())]
    widths = []
    for i in range(rows.count()):
        box = rows.nth(i).locator("td").nth(3).locator("rect, span").first.bounding_box()
        widths.append(box["width"] if box else 0.0)
    peak = max(submitted)
    assert max(widths) == pytest.approx(100, abs=0.5)
    for n, width in zip(submitted, widths, strict=True):
        assert width == pytest.approx(100 * n / peak, abs=0.5)


def test_a_request_keeps_its_line_breaks(page: Page, site: Site) -> None:
    sign_in(page, site.base, "firm")
    page.goto(f"{site.base}/desk/requests/{site.request_id}")
    description = page.locator("#description, section.card p").first
    expect(description).to_contain_text("三期厂房用地预审尚未批复")
    assert description.inner_text().strip().splitlines() == MULTILINE.splitlines()
