"""In a real browser: a firm recognises a talent within its quota, the talent office approves
(认账), and the person's benefit appears in the policy run (认定人才安居补贴, 免申即享, for the
firm that pays it) and on the person's portrait, which links to the run; the talent office
approves the payout there. No console or script errors under the app's CSP."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from tests.conftest import SYSTEM
from tests.e2e.test_browser import sign_in, sign_out
from tests.talent.conftest import KEYS, TEST_KEY, identity
from wulian.core.permissions import Role
from wulian.enterprises.uscc import synthetic
from wulian.policy import service as policy
from wulian.reference import service as reference_service
from wulian.talent import service as talent
from wulian.talent.models import Authorisation


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"talent_key": SecretStr(TEST_KEY)})


def _zone(world) -> None:
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.run(lambda s: policy.install_shipped(s, actor=SYSTEM))
    office = world.department("talent", "人才办")
    firm = world.enterprise("衢州锂测材料有限公司", code=synthetic(3101))
    world.user("talent1", Role.OFFICER, department_id=office)
    world.user("analyst1", Role.ANALYST)
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    today = dt.date.today()

    def write(session):
        session.add(
            Authorisation(
                enterprise_id=firm, year=today.year - 1, quota=2, granted_on=today,
                expires_on=today + dt.timedelta(days=364), reasons=[], created_by="人才办",
            )
        )  # fmt: skip
        consents = dict.fromkeys(("employment", "recognition", "benefits"), today)
        talent.create_person(
            session, actor=SYSTEM, keys=KEYS, today=today,
            data=talent.NewPerson(name="王晓明", identity_number=identity(1),
                                  enterprise_id=firm, consents=consents),
        )  # fmt: skip

    world.run(write)


def test_a_recognised_talent_gets_the_benefit_in_the_policy_run(page: Page, live_server, world):
    _zone(world)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    year = dt.date.today().year

    # the firm recognises its talent within its quota
    sign_in(page, live_server, "firm1")
    page.get_by_role("link", name="人才工作台").click()
    expect(page.locator("#authorisations")).to_contain_text("有效")
    row = page.locator("#staff tr", has_text="王晓明")
    row.get_by_label("王晓明的认定依据").fill("高级工程师；主持磷酸锰铁锂中试，授权发明专利 3 件")
    row.get_by_role("button", name="认定").click()
    expect(page.locator("#submitted")).to_be_visible()
    sign_out(page)

    # the talent office approves (认账)
    sign_in(page, live_server, "talent1")
    page.get_by_role("link", name="人才工作台").click()
    page.locator("#recognitions tbody tr", has_text="王晓明").get_by_role(
        "button", name="认账"
    ).click()
    expect(page.locator("#approved")).to_be_visible()
    sign_out(page)

    # a policy run of this year: the firm gets the benefit for its recognised talent
    sign_in(page, live_server, "analyst1")
    page.goto(f"{live_server}/policies/runs")
    page.locator("#new-run input[name=period]").fill(str(year))
    page.locator("#new-run button").click()
    benefit = page.locator("tr[data-policy=talent_recognised]")
    expect(benefit).to_contain_text("认定人才安居补贴")
    benefit.get_by_role("link", name="认定人才安居补贴").click()
    line = page.locator("#payouts tbody tr", has_text="衢州锂测材料有限公司")
    expect(line).to_contain_text("2")
    expect(line).to_contain_text("免申即享")
    sign_out(page)

    # the person's portrait shows the benefit and links to the run; the office approves there
    sign_in(page, live_server, "talent1")
    page.goto(f"{live_server}/talent/people")
    page.get_by_role("link", name="王晓明").first.click()
    page.locator("#portrait-link").click()
    portrait = page.url
    expect(page.locator("#counted")).to_contain_text("计入所在企业的人才待遇")
    expect(page.locator("#portrait-recognitions")).to_contain_text("已认账")
    benefits = page.locator("#portrait-benefits")
    expect(benefits).to_contain_text("认定人才安居补贴")
    expect(benefits).to_contain_text("所在企业符合（免申即享）")
    benefits.get_by_role("link", name="评估批次").click()
    page.locator("#payouts tbody tr", has_text="衢州锂测材料有限公司").locator(
        "input[type=checkbox]"
    ).check()
    page.locator("#approve").click()
    expect(page.locator("#approved")).to_contain_text("已批准兑现 1 家企业")
    page.goto(portrait)
    expect(page.locator("#portrait-benefits")).to_contain_text("已兑现（免申即享）")
    assert errors == []
