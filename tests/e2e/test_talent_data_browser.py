"""In a real browser: the talent office reviews a post's low-confidence occupation suggestion
(accepts it), edits a person's record (a wrong value named in Chinese, then saved), and sees the
talent map's trend and graduates columns; a firm edits its own staff. No console or script errors
under the app's CSP."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from tests.conftest import SYSTEM
from tests.e2e.test_browser import sign_in, sign_out
from tests.talent.conftest import KEYS, TEST_KEY, TODAY, identity
from tests.talent.test_occupation_suggestions import SMALL
from wulian.chains import service as chains
from wulian.core.permissions import Role
from wulian.enterprises.uscc import synthetic
from wulian.talent import service
from wulian.talent.models import Post


@pytest.fixture
def settings(settings, tmp_path):
    table = tmp_path / "occupations.csv"
    table.write_text(SMALL, encoding="utf-8")
    return settings.model_copy(
        update={"talent_key": SecretStr(TEST_KEY), "occupations_file": table}
    )


def _zone(world) -> int:
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    office = world.department("talent", "人才办")
    firm = world.enterprise("衢州锂测材料有限公司", code=synthetic(3101))
    world.user("talent1", Role.OFFICER, department_id=office)
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    return firm


def test_the_office_reviews_occupations_and_edits_a_record(page: Page, live_server, world):
    firm = _zone(world)
    data = service.NewPerson(
        name="王晓明", identity_number=identity(1), enterprise_id=firm, education="硕士",
        consents={"employment": dt.date(2026, 6, 1)},
    )  # fmt: skip
    pid = world.run(
        lambda s: service.create_person(s, actor=SYSTEM, keys=KEYS, today=TODAY, data=data).id
    )

    def post(s):
        item = service.create_post(
            s, actor=SYSTEM, data=service.NewPost(title="材料检测员", openings=2,
                                                  enterprise_id=firm, chain="lithium",
                                                  node="cathode"),
        )  # fmt: skip
        item.suggestion_state = "review"
        item.suggested_code = "2-02-29-03"
        item.suggestion_score = 0.42
        item.suggestion_terms = "材料"
        return item.id

    post_id = world.run(post)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    sign_in(page, live_server, "talent1")
    page.goto(f"{live_server}/talent")
    page.locator("#occupations-link").click()
    row = page.locator(f"#review-{post_id}")
    expect(row).to_contain_text("材料检测员")
    expect(row).to_contain_text("电池材料工程技术人员")
    expect(row).to_contain_text("42%")
    row.get_by_role("button", name="采纳建议").click()
    expect(page.locator("#occupation-review")).to_contain_text("没有待复核的岗位")
    code = world.scalar(sa.select(Post.occupation_code).where(Post.id == post_id))
    assert code == "2-02-29-03"

    page.goto(f"{live_server}/talent/people?person={pid}")
    page.locator("#edit-link").click()
    page.locator("#f-experience_years").fill("八年")
    page.locator("#f-title_level").select_option("intermediate")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#error-experience_years")).to_contain_text("工作年限应为 0–60 的整数")
    page.locator("#f-experience_years").fill("8")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#person-facts")).to_contain_text("8 年")
    expect(page.locator("#person-facts")).to_contain_text("中级")

    page.goto(f"{live_server}/talent/map")
    expect(page.locator("#talent-trends")).to_contain_text("电池材料工程技术人员")
    expect(page.locator("#talent-map thead")).to_contain_text("院校毕业生")
    sign_out(page)

    sign_in(page, live_server, "firm1")
    page.goto(f"{live_server}/talent/people/{pid}/edit")
    page.locator("#f-achievements").fill("3")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#person-facts")).to_contain_text("3 项")
    # the refused edit answered 422 on purpose; nothing else failed or was blocked by the CSP
    assert [e for e in errors if "status of 422" not in e] == []


def test_the_office_reviews_a_persons_occupation_and_saves_the_seven_form(
    page: Page, live_server, world
):
    """The review page lists people apart from posts (no identity number); the office accepts
    a person's suggestion. The 七维 form keeps a wrong value where it was typed, and once saved
    the version page's diff shows only the two weights changed."""
    from wulian.talent.models import Person

    firm = _zone(world)
    data = service.NewPerson(
        name="陈前台", identity_number=identity(7), enterprise_id=firm, skills=["接待来访"],
        consents={"employment": dt.date(2026, 6, 1)},
    )  # fmt: skip

    def person(s):
        item = service.create_person(s, actor=SYSTEM, keys=KEYS, today=TODAY, data=data)
        item.suggestion_state = "review"
        item.suggested_code = "2-02-29-04"
        item.suggestion_score = 0.31
        return item.id

    pid = world.run(person)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    sign_in(page, live_server, "talent1")
    page.goto(f"{live_server}/talent")
    page.locator("#occupations-link").click()
    expect(page.locator("#occupation-review")).to_contain_text("没有待复核的岗位")
    row = page.locator(f"#person-review-{pid}")
    expect(row).to_contain_text("陈前台")
    expect(row).to_contain_text("接待来访")
    expect(row).to_contain_text("高分子材料工程技术人员")
    expect(row).to_contain_text("31%")
    expect(page.locator("#people-occupation-review")).not_to_contain_text(identity(7)[-4:])
    row.get_by_role("button", name="采纳建议").click()
    expect(page.locator("#people-occupation-review")).to_contain_text("没有待复核的人员")
    reviewed = world.scalar(sa.select(Person.occupation_code).where(Person.id == pid))
    assert reviewed == "2-02-29-04"

    from wulian.talent import evaluations

    spec_id = world.run(lambda s: evaluations.current_spec(s, actor=SYSTEM).id)
    page.goto(f"{live_server}/talent/evaluation/specs/{spec_id}")
    page.get_by_role("link", name="按表单修改权重和分档").click()
    expect(page.locator("h2", has_text="年薪下限（万元）")).to_be_visible()
    page.get_by_label("学历的权重").fill("十五")
    page.get_by_label("专业技术职称的权重").fill("15")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("#problems")).to_contain_text("“学历”的权重应为数字，填写的是“十五”")
    expect(page.get_by_label("学历的权重")).to_have_value("十五")  # kept, marked
    expect(page.get_by_label("学历的权重")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("专业技术职称的权重")).to_have_value("15")
    page.get_by_label("学历的权重").fill("15")
    page.get_by_role("button", name="保存为新版本").click()
    summary = page.locator("#diff-summary")  # in words first, the raw diff folded below
    expect(summary).to_contain_text("学历：权重 20 → 15")
    expect(summary).to_contain_text("专业技术职称：权重 10 → 15")
    diff = page.locator("#diff")
    expect(diff).to_be_hidden()
    page.locator("#diff-raw summary").click()
    expect(diff).to_be_visible()
    expect(diff.locator(".diff-add")).to_have_count(2)
    expect(diff.locator(".diff-del")).to_have_count(2)
    expect(diff.locator(".diff-add").first).to_contain_text("学历, parent: seven, weight: 15")
    sign_out(page)
    # the refused save answered 422 on purpose; nothing else failed or was blocked by the CSP
    assert [e for e in errors if "status of 422" not in e] == []


def test_the_office_corrects_a_suggestion_taken_automatically(page: Page, live_server, world):
    """A post whose suggestion was taken without review is listed apart with the occupation's
    name; a wrong code stays in the box with a message naming the post; a code typed with a
    Chinese input method's full-width digits and dashes is read; the page says what was done and
    the post page then names the occupation."""
    firm = _zone(world)

    def post(s):
        item = service.create_post(
            s, actor=SYSTEM,
            data=service.NewPost(title="锂电池正极材料工艺工程师", openings=1, enterprise_id=firm),
        )  # fmt: skip
        item.suggestion_state = "suggested"
        item.suggested_code = item.occupation_code = "2-02-10-03"
        item.suggestion_score = 0.93
        return item.id

    post_id = world.run(post)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "talent1")
    page.goto(f"{live_server}/talent/posts/{post_id}")
    expect(page.locator("#post-occupation")).to_contain_text("软件工程技术人员")
    expect(page.locator("#post-occupation")).to_contain_text("自动采纳")
    page.goto(f"{live_server}/talent/occupations")
    row = page.locator(f"#taken-{post_id}")
    expect(row).to_contain_text("软件工程技术人员")
    expect(row).to_contain_text("93%")
    row.get_by_label("另选代码").fill("2-02-99-99")
    row.get_by_role("button", name="确定").click()
    alert = page.locator("[role=alert]")
    expect(alert).to_contain_text(f"岗位 {post_id}“锂电池正极材料工艺工程师”")
    box = page.locator(f"#taken-{post_id}").get_by_label("另选代码")
    expect(box).to_have_value("2-02-99-99")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.fill("２－０２－２９－０３")
    page.locator(f"#taken-{post_id}").get_by_role("button", name="确定").click()
    expect(page.locator("#review-done")).to_contain_text("职业代码 2-02-29-03 电池材料工程技术人员")
    expect(page.locator("#taken-posts")).to_contain_text("没有自动采纳的岗位建议")
    page.goto(f"{live_server}/talent/posts/{post_id}")
    expect(page.locator("#post-occupation")).to_contain_text("电池材料工程技术人员")
    expect(page.locator("#post-occupation")).not_to_contain_text("自动采纳")
    # the refused code answered 422 on purpose; nothing else failed or was blocked by the CSP
    assert [e for e in errors if "status of 422" not in e] == []
