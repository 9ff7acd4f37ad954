"""In a real browser, the talent office's walk through evaluations, the 七维 spec form and a
programme round: two published evaluations, one marked 当前; the weights-and-bands form names
every problem and saves a new version; a person is chosen by name (identity masked) to apply for,
a pool person without a firm cannot be chosen. No console or script errors under the app's CSP."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from tests.e2e.test_browser import sign_in
from tests.talent.conftest import KEYS, TEST_KEY, identity
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Role
from wulian.enterprises.uscc import synthetic
from wulian.talent import programmes, service

SHOTS = os.environ.get("WULIAN_TALENT_SHOTS")  # a folder to keep the pages' screenshots in
CONSENT = {"employment": dt.date(2026, 1, 5), "recognition": dt.date(2026, 1, 5)}


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"talent_key": SecretStr(TEST_KEY)})


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _zone(world) -> dict[str, int]:
    office = world.department("talent", "人才办")
    firm = world.enterprise("衢州锂测材料有限公司", code=synthetic(3101))
    world.user("talent1", Role.OFFICER, department_id=office)
    world.user("expert1", Role.OFFICER, department_id=office)
    actor = auth_service.actor_for_user(world.get_user("talent1"))
    today = dt.date.today()

    def people(session):
        made = {}
        for key, name, firm_id, serial in (
            ("staff", "孙立新", firm, 61),
            ("pool", "郑一鸣", None, 62),
        ):
            data = service.NewPerson(
                name=name, identity_number=identity(serial), education="博士",
                salary_yuan=600_000, consents=CONSENT, enterprise_id=firm_id,
                experience_years=9, title_level="副高级",
            )  # fmt: skip
            made[key] = service.create_person(
                session, actor=actor, keys=KEYS, today=today, data=data
            ).id
        programme = programmes.create_programme(
            session, actor=actor, code="lingjun", name="领军人才计划", summary="",
            min_award_yuan=200_000, max_award_yuan=5_000_000,
            criteria=[("merit", "业绩成果", 50), ("plan", "项目计划", 50)],
        )  # fmt: skip
        made["round"] = programmes.create_round(
            session, actor=actor, programme_id=programme.id, name="第一批",
            opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=20),
            reviewers=["expert1"],
        ).id  # fmt: skip
        return made

    return world.run(people)


def test_the_talent_office_walks_evaluations_the_spec_form_and_a_round(
    page: Page, live_server, world
):
    made = _zone(world)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "talent1")

    # two evaluations published: the last one is 当前, the first says it was superseded
    for _ in range(2):
        page.goto(f"{live_server}/talent/evaluations")
        page.get_by_role("button", name="运行评价").click()
        page.once("dialog", lambda dialog: dialog.accept())  # 确定发布…？
        page.locator("#evaluation-publish").click()
        expect(page.locator("#run-current")).to_contain_text("这是当前的人才评价结果")
    page.goto(f"{live_server}/talent/evaluations")
    expect(page.locator("#evaluation-runs .tag-ok")).to_have_count(1)
    expect(page.locator("#evaluation-runs")).to_contain_text("已被第")
    expect(page.locator("#current-run")).to_contain_text("人才画像")
    _shot(page, "evaluations-current")
    page.locator("#evaluation-runs a").last.click()
    expect(page.locator("#run-current")).to_contain_text("取代")

    # the 七维 spec by form: a wrong total is named, then a new version is saved
    page.goto(f"{live_server}/talent/evaluation/specs")
    page.get_by_role("link", name="第 1 版").click()
    page.locator("#spec-form-link a").click()
    page.get_by_label("学历的权重").fill("25")
    page.get_by_label("工作年限第 2 档下限").fill("2")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("#problems")).to_contain_text("各维度权重合计应为 100，现为 105")
    expect(page.locator("#problems")).to_contain_text("两档重叠")
    _shot(page, "seven-form-problems")
    page.get_by_label("工作年限第 2 档下限").fill("3")
    page.get_by_label("专业技术职称的权重").fill("5")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("h1")).to_contain_text("第 2 版")

    # a direct application: chosen by name, identity masked; the pool person cannot be chosen
    round_page = f"{live_server}/talent/programmes/rounds/{made['round']}"
    page.goto(round_page)
    expect(page.locator("#apply-person")).to_contain_text("3308**********")
    expect(page.locator("#apply-person")).not_to_contain_text(identity(61))
    expect(page.locator("#apply-person option[disabled]")).to_contain_text("人才库人员（无单位）")
    page.get_by_label("查找人员").fill("孙")
    page.get_by_role("button", name="查找").click()
    expect(page.locator("#candidates-note")).to_contain_text("共 1 人")
    _shot(page, "round-apply")
    page.get_by_label("申报材料摘要").fill(
        "主持高端装备控制系统研发，授权发明专利 4 件，拟建联合实验室"
    )
    page.get_by_role("button", name="申报").click()
    expect(page.locator("#applied")).to_be_visible()
    expect(page.locator("#applications")).to_contain_text("孙立新")
    assert errors == [  # the form shown again with its problems answers 422, nothing else
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
