"""A policy's list in a run at volume: pages, filters (status, 免申即享/快申快享, paid, firm),
firms in pinyin order, the export of exactly the filtered firms, and approving every eligible
firm that matches, by the policy's department only, after a confirmation."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.policy.conftest import actor_of
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.policy import service
from wulian.policy.models import Payout

CODE = "rd_subsidy"  # eligible: 甲 (免申即享), 乙 (快申快享, self-reported), 戊 (免申即享)


def name(letter):
    return f"政策{letter}科技有限公司"


@pytest.fixture
def run_id(world, zone):
    analyst = actor_of(world, "analyst1")
    world.user("econ1", Role.OFFICER, department_id=world.department("economy", "经信局"))
    return world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)


def listing(world, run_id, who="analyst1", page=1, per_page=50, **kwargs):
    filters = service.PayoutFilters(**kwargs)
    found = world.run(
        lambda s: service.payout_list(
            s, actor=actor_of(world, who), run_id=run_id, code=CODE, filters=filters,
            page=page, per_page=per_page,
        )
    )  # fmt: skip
    return found


def names(found):
    return [line.enterprise.name for line in found.lines.items]


def test_pages_and_the_amount_of_every_match(world, run_id):
    first = listing(world, run_id, per_page=2)
    assert (first.lines.total, first.lines.pages, len(first.lines.items)) == (3, 2, 2)
    second = listing(world, run_id, page=2, per_page=2)
    assert len(second.lines.items) == 1
    assert set(names(first) + names(second)) == {name("甲"), name("乙"), name("戊")}
    assert first.amount == pytest.approx(second.amount)  # the sum of all three, on every page
    assert first.amount == pytest.approx(10 + 20 + 100)


def test_each_filter(world, run_id):
    assert sorted(names(listing(world, run_id, mode="free"))) == sorted([name("甲"), name("戊")])
    assert names(listing(world, run_id, mode="quick")) == [name("乙")]
    assert names(listing(world, run_id, status="unknown")) == [name("丙")]
    assert names(listing(world, run_id, q="政策乙")) == [name("乙")]
    assert names(listing(world, run_id, q="zcw")) == [name("戊")]  # pinyin initials
    assert names(listing(world, run_id, q="zhengcejia")) == [name("甲")]
    officer = actor_of(world, "officer1")
    jia = listing(world, run_id, q="政策甲").lines.items[0].enterprise.id
    world.run(
        lambda s: service.approve(s, actor=officer, run_id=run_id, code=CODE, enterprise_ids=[jia])
    )
    assert names(listing(world, run_id, paid="paid")) == [name("甲")]
    assert len(names(listing(world, run_id, paid="unpaid"))) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("status", "all", "状态"), ("mode", "免申", "兑现方式"), ("paid", "yes", "兑现情况"),
     ("sort", "name", "排序")],
)  # fmt: skip
def test_a_bad_filter_value_is_refused_in_chinese(world, run_id, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        listing(world, run_id, **{field: value})


def test_firms_in_pinyin_order(world, run_id):
    # code points: 乙 < 戊 < 甲; pinyin: jia < wu < yi
    assert names(listing(world, run_id, sort="firm")) == [name("甲"), name("戊"), name("乙")]


def test_the_export_holds_exactly_the_filtered_firms(world, run_id):
    def rows(**kwargs):
        data = world.run(
            lambda s: service.export_xlsx(
                s, actor=actor_of(world, "analyst1"), run_id=run_id, code=CODE,
                filters=service.PayoutFilters(**kwargs),
            )
        )  # fmt: skip
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return [r[2] for r in sheet.iter_rows(min_row=4, values_only=True)]

    assert rows(mode="quick") == [name("乙")]
    assert rows(sort="firm") == [name("甲"), name("戊"), name("乙")]
    assert rows(status="unknown") == [name("丙")]


def _paid(world):
    return world.scalar(sa.select(sa.func.count()).select_from(Payout))


def test_approve_every_match_pays_exactly_those_firms(world, run_id):
    officer = actor_of(world, "officer1")
    filters = service.PayoutFilters(mode="free")
    count = world.run(
        lambda s: service.approve_matching(
            s, actor=officer, run_id=run_id, code=CODE, filters=filters, dry_run=True
        )
    )
    assert count == 2
    with pytest.raises(Conflict, match="重新确认"):
        world.run(lambda s: service.approve_matching(
            s, actor=officer, run_id=run_id, code=CODE, filters=filters, expected=3))  # fmt: skip
    assert _paid(world) == 0
    audited = sa.select(sa.func.count()).where(AuditEntry.object_type == "policy_payouts")
    assert world.run(
        lambda s: service.approve_matching(
            s, actor=officer, run_id=run_id, code=CODE, filters=filters, expected=2
        )
    ) == 2  # fmt: skip
    paid = world.run(lambda s: sorted(s.scalars(sa.select(Payout.mode)).all()))
    assert paid == ["免申即享", "免申即享"]
    assert world.scalar(audited) == 2  # one entry per payout, as approving selected firms writes
    # the paid firms no longer match: what is left is the one 快申快享 firm
    left = world.run(lambda s: service.approve_matching(
        s, actor=officer, run_id=run_id, code=CODE, filters=service.PayoutFilters(),
        dry_run=True))  # fmt: skip
    assert left == 1


@pytest.mark.parametrize(
    ("who", "allowed"), [("officer1", True), ("econ1", False), ("analyst1", False),
                         ("firm0", False)],
)  # fmt: skip
def test_only_the_policys_department_approves_every_match(world, run_id, who, allowed):
    act = lambda s: service.approve_matching(  # noqa: E731
        s, actor=actor_of(world, who), run_id=run_id, code=CODE,
        filters=service.PayoutFilters(), expected=3,
    )  # fmt: skip
    if allowed:
        assert world.run(act) == 3
        return
    with pytest.raises(PermissionDenied):
        world.run(act)
    assert _paid(world) == 0


def test_only_eligible_firms_are_approved(world, run_id):
    with pytest.raises(InvalidInput, match="只有符合条件的企业"):
        world.run(lambda s: service.approve_matching(
            s, actor=actor_of(world, "officer1"), run_id=run_id, code=CODE,
            filters=service.PayoutFilters(status="unknown"), dry_run=True))  # fmt: skip


def test_the_page_filters_exports_confirms_then_approves(world, run_id, client):
    login(client, "officer1")
    url = f"/policies/runs/{run_id}/{CODE}"
    page = client.get(url, params={"sort": "firm", "per_page": 2})
    assert page.status_code == 200
    assert 'id="count">3<' in page.text
    assert page.text.index(name("甲")) < page.text.index(name("戊"))
    assert name("乙") not in page.text  # on page 2
    assert "第 1 / 2 页" in page.text
    bad = client.get(url, params={"mode": "nope"})
    assert bad.status_code == 422
    assert "兑现方式“nope”不对" in bad.text
    export = client.get(f"{url}/export.xlsx", params={"mode": "quick"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [r[2] for r in sheet.iter_rows(min_row=4, values_only=True)] == [name("乙")]

    token = page_csrf(client, url)
    asked = client.post(f"{url}/approve-matching", data={"csrf_token": token, "mode": "free"})
    assert asked.status_code == 200
    assert "确认批准兑现（2 家企业）" in asked.text
    assert _paid(world) == 0
    done = client.post(
        f"{url}/approve-matching",
        data={"csrf_token": token, "mode": "free", "confirm": "1", "expected": "2"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{url}?approved=2"
    assert _paid(world) == 2


def test_the_page_refuses_another_department(world, run_id, client):
    login(client, "econ1")
    url = f"/policies/runs/{run_id}/{CODE}"
    assert "批准符合筛选条件" not in client.get(url).text
    token = page_csrf(client, url)
    refused = client.post(
        f"{url}/approve-matching", data={"csrf_token": token, "confirm": "1", "expected": "3"}
    )
    assert refused.status_code == 403
    assert "由科技局负责" in refused.text
    assert _paid(world) == 0


def test_the_runs_list_is_paged(world, run_id, client):
    analyst = actor_of(world, "analyst1")
    newer = world.run(lambda s: service.create_run(s, actor=analyst, period=2025).id)
    login(client, "analyst1")
    first = client.get("/policies/runs", params={"per_page": 1})
    assert "第 1 / 2 页，共 2 条" in first.text
    assert f'href="/policies/runs/{newer}"' in first.text
    assert f'href="/policies/runs/{run_id}"' not in first.text
    assert 'value="2025"' in first.text  # a new run proposes the newest period
    second = client.get("/policies/runs", params={"per_page": 1, "page": 2})
    assert f'href="/policies/runs/{run_id}"' in second.text


# ---------------------------------------------------------------- the JSON API


@pytest.mark.parametrize(
    ("who", "status"), [("analyst1", 200), ("officer1", 200), ("econ1", 200), ("firm0", 403)]
)
def test_the_api_pages_and_filters_as_the_page_does(world, run_id, make_client, who, status):
    browser = make_client()
    login(browser, who)
    path = f"/api/v1/policies/runs/{run_id}/{CODE}/payouts"
    first = browser.get(path, params={"per_page": 2, "sort": "firm"})
    assert first.status_code == status
    runs = browser.get("/api/v1/policies/runs", params={"per_page": 1})
    assert runs.status_code == status
    if status != 200:
        assert first.json()["status"] == 403
        return
    body = first.json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 2)
    assert [i["enterprise_name"] for i in body["items"]] == [name("甲"), name("戊")]
    assert body["amount"] == pytest.approx(130)
    assert (body["policy"], body["run_id"]) == (CODE, run_id)
    second = browser.get(path, params={"per_page": 2, "page": 2, "sort": "firm"}).json()
    assert [i["enterprise_name"] for i in second["items"]] == [name("乙")]
    quick = browser.get(path, params={"mode": "quick"}).json()
    assert [i["enterprise_name"] for i in quick["items"]] == [name("乙")]
    assert quick["items"][0]["paid"] is False
    assert runs.json()["total"] == 1
    assert runs.json()["items"][0]["id"] == run_id


@pytest.mark.parametrize(
    ("params", "message"),
    [({"status": "all"}, "状态"), ({"mode": "免申"}, "兑现方式"), ({"paid": "yes"}, "兑现情况"),
     ({"sort": "name"}, "排序")],
)  # fmt: skip
def test_a_bad_api_filter_says_why_in_chinese(world, run_id, make_client, params, message):
    browser = make_client()
    login(browser, "analyst1")
    bad = browser.get(f"/api/v1/policies/runs/{run_id}/{CODE}/payouts", params=params)
    assert bad.status_code == 422
    assert message in bad.json()["detail"]
