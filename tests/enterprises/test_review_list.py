"""The review queue at volume: filters (metric, source, firm, period), pages, the firm order by
pinyin, the export of exactly the filtered values, and verifying or rejecting every value that
matches, as the metric's owning department only, after a confirmation."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, login, page_csrf
from wulian.core.audit.models import AuditEntry
from wulian.core.auth import service as auth_service
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Fact, FactStatus
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service

# Code-point order 中 < 北 < 张 < 阿; pinyin order 阿 (a) < 北 (bei) < 张 (zhang) < 中 (zhong).
NAMES = [
    "中原测试科技有限公司",
    "北方测试科技有限公司",
    "张江测试科技有限公司",
    "阿拉测试科技有限公司",
]
PINYIN_ORDER = [3, 1, 2, 0]


@pytest.fixture
def queue(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    science = world.department("science", "科技局")  # owns rd_expense
    economy = world.department("economy", "经信局")  # owns revenue
    ids = [world.enterprise(name, code=synthetic(900 + i)) for i, name in enumerate(NAMES)]

    def write(session):
        for enterprise_id in ids:
            for key, period in (("rd_expense", "2024"), ("rd_expense", "2023"),
                                ("revenue", "2024")):  # fmt: skip
                facts.record(
                    session, actor=SYSTEM, enterprise_id=enterprise_id, metric_key=key,
                    period=period, value=100.0 + enterprise_id, source="self",
                    as_of=dt.date(2025, 4, 30),
                )  # fmt: skip

    world.run(write)
    world.user("admin1", Role.ADMIN)
    world.user("sci1", Role.OFFICER, department_id=science)
    world.user("econ1", Role.OFFICER, department_id=economy)
    world.user("analyst1", Role.ANALYST, department_id=science)
    return {"ids": ids}


def actor(world, username):
    return auth_service.actor_for_user(world.get_user(username))


def pending(world, who="admin1", **kwargs):
    filters = facts.ReviewFilters(**{k: v for k, v in kwargs.items() if k not in ("page", "per")})
    page = world.run(
        lambda s: facts.pending_reviews(
            s, actor=actor(world, who), filters=filters, page=kwargs.get("page", 1),
            per_page=kwargs.get("per", 50),
        )
    )  # fmt: skip
    return page


def test_pages_count_every_match_and_hold_their_share(world, queue):
    first = pending(world, per=5)
    assert (first.total, first.pages, len(first.items)) == (12, 3, 5)
    last = pending(world, per=5, page=3)
    assert len(last.items) == 2
    everyone = {f.id for p in (1, 2, 3) for f in pending(world, per=5, page=p).items}
    assert len(everyone) == 12


def test_each_filter(world, queue):
    ids = queue["ids"]
    assert pending(world, metric="rd_expense").total == 8
    assert pending(world, metric="revenue").total == 4
    assert pending(world, source="self").total == 12
    assert pending(world, source="stats").total == 0
    assert pending(world, period="2023").total == 4
    north = pending(world, q="北方")
    assert {f.enterprise_id for f in north.items} == {ids[1]}
    assert {f.enterprise_id for f in pending(world, q="bfcs").items} == {ids[1]}  # initials
    assert {f.enterprise_id for f in pending(world, q="zhangjiang").items} == {ids[2]}
    assert {f.enterprise_id for f in pending(world, q=synthetic(903)).items} == {ids[3]}
    both = pending(world, metric="rd_expense", period="2024", q="测试")
    assert both.total == 4
    # an officer's queue holds the metrics of their department only
    assert pending(world, "econ1").total == 4
    assert pending(world, "sci1", metric="rd_expense", period="2023").total == 4


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("period", "24", "期间"), ("metric", "nope", "指标目录"), ("source", "x", "数据来源"),
     ("sort", "name desc", "排序")],
)  # fmt: skip
def test_a_bad_filter_value_is_refused_in_chinese(world, queue, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        pending(world, **{field: value})


def test_firms_in_pinyin_order(world, queue):
    ids = queue["ids"]
    page = pending(world, sort="firm", metric="revenue")
    assert [f.enterprise_id for f in page.items] == [ids[i] for i in PINYIN_ORDER]


def test_the_export_holds_exactly_the_filtered_values(world, queue):
    filters = facts.ReviewFilters(metric="rd_expense", q="张江", sort="firm")
    data = world.run(lambda s: facts.review_xlsx(s, actor=actor(world, "admin1"), filters=filters))
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("企业名称", "统一社会信用代码", "指标", "期间", "来源")
    assert sorted((r[0], r[3]) for r in rows[1:]) == [(NAMES[2], "2023"), (NAMES[2], "2024")]
    everything = world.run(
        lambda s: facts.review_xlsx(
            s, actor=actor(world, "admin1"), filters=facts.ReviewFilters(sort="firm")
        )
    )
    names = [r[0] for r in openpyxl.load_workbook(io.BytesIO(everything)).active.iter_rows(
        min_row=2, values_only=True)]  # fmt: skip
    assert len(names) == 12
    assert list(dict.fromkeys(names)) == [NAMES[i] for i in PINYIN_ORDER]


def _statuses(world):
    rows = world.run(
        lambda s: s.execute(
            sa.select(Fact.enterprise_id, Fact.metric_id, Fact.period, Fact.status).where(
                Fact.status != FactStatus.REPORTED.value
            )
        ).all()
    )
    return rows


def test_verify_every_match_acts_on_exactly_those_values(world, queue):
    filters = facts.ReviewFilters(period="2024")
    sci = actor(world, "sci1")
    count = world.run(
        lambda s: facts.review_matching(s, actor=sci, filters=filters, decision="verify",
                                        dry_run=True)
    )  # fmt: skip
    assert count == 4  # rd_expense 2024 of the four firms: revenue belongs to economy
    before = world.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    done = world.run(
        lambda s: facts.review_matching(s, actor=sci, filters=filters, decision="verify",
                                        expected=4)
    )  # fmt: skip
    assert done == 4
    decided = _statuses(world)
    assert len(decided) == 4
    assert {(r.period, r.status) for r in decided} == {("2024", "verified")}
    after = world.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert after - before >= 4  # one entry per value, as a single review writes
    assert pending(world, "sci1").total == 4  # the 2023 values wait still
    assert pending(world, "econ1").total == 4


def test_reject_every_match_needs_a_reason_and_the_confirmed_count(world, queue):
    econ = actor(world, "econ1")
    filters = facts.ReviewFilters(metric="revenue", q="北方")
    with pytest.raises(InvalidInput, match="理由"):
        world.run(lambda s: facts.review_matching(s, actor=econ, filters=filters,
                                                  decision="reject", expected=1))  # fmt: skip
    with pytest.raises(Conflict, match="重新确认"):
        world.run(lambda s: facts.review_matching(s, actor=econ, filters=filters,
                                                  decision="reject", reason="与报表不符",
                                                  expected=3))  # fmt: skip
    assert _statuses(world) == []
    world.run(lambda s: facts.review_matching(s, actor=econ, filters=filters, decision="reject",
                                              reason="与报表不符", expected=1))  # fmt: skip
    assert [r.status for r in _statuses(world)] == ["rejected"]


@pytest.mark.parametrize(
    ("who", "metric", "allowed"),
    [("admin1", "rd_expense", True), ("sci1", "rd_expense", True), ("econ1", "rd_expense", False),
     ("analyst1", "rd_expense", False), ("econ1", "revenue", True), ("sci1", "revenue", False)],
)  # fmt: skip
def test_only_the_metrics_department_reviews_every_match(world, queue, who, metric, allowed):
    filters = facts.ReviewFilters(metric=metric, period="2024")
    act = lambda s: facts.review_matching(  # noqa: E731
        s, actor=actor(world, who), filters=filters, decision="verify", expected=4
    )
    if allowed:
        assert world.run(act) == 4
        return
    with pytest.raises(PermissionDenied):
        world.run(act)
    assert _statuses(world) == []


def test_the_page_filters_confirms_then_acts(world, queue, client):
    login(client, "sci1")
    page = client.get("/reviews", params={"period": "2024", "per_page": 2})
    assert page.status_code == 200
    assert 'id="matching-total">4<' in page.text
    assert "第 1 / 2 页" in page.text
    for name in NAMES:
        assert (name in page.text) == (name in (NAMES[0], NAMES[1]))  # oldest first, two a page
    bad = client.get("/reviews", params={"period": "二〇二四"})
    assert bad.status_code == 422
    assert "期间“二〇二四”的格式不对" in bad.text
    export = client.get("/reviews/export.xlsx", params={"period": "2023", "q": "阿拉"})
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(
        min_row=2, values_only=True))  # fmt: skip
    assert [(r[0], r[3]) for r in rows] == [(NAMES[3], "2023")]

    token = page_csrf(client, "/reviews")
    form = {"csrf_token": token, "period": "2024", "decision": "verify"}
    asked = client.post("/reviews/bulk", data=form)
    assert asked.status_code == 200
    assert "确认通过待审核数据（4 条）" in asked.text
    assert _statuses(world) == []  # nothing is written before the confirmation
    done = client.post("/reviews/bulk", data={**form, "confirm": "1", "expected": "4"})
    assert done.status_code == 303
    assert done.headers["location"].endswith("&count=4")
    assert len(_statuses(world)) == 4


def test_the_page_refuses_another_departments_metric(world, queue, client):
    login(client, "econ1")
    token = page_csrf(client, "/reviews")
    refused = client.post(
        "/reviews/bulk",
        data={"csrf_token": token, "metric": "rd_expense", "decision": "verify",
              "confirm": "1", "expected": "8"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert "科技局" in refused.text
    assert _statuses(world) == []


def test_the_registry_list_offers_page_numbers_and_sizes(world, queue, client):
    login(client, "admin1")
    page = client.get("/enterprises", params={"per_page": 2, "q": "测试"})
    assert "第 1 / 2 页，共 4 条" in page.text
    assert 'aria-label="第 2 页"' in page.text
    assert 'aria-label="每页 20 条"' in page.text
    names = sorted((n for n in NAMES if n in page.text), key=page.text.index)
    assert names == [NAMES[3], NAMES[1]]  # 阿拉, 北方: the first two in pinyin order
    assert client.get("/enterprises", params={"per_page": 500}).status_code == 422


# ---------------------------------------------------------------- the JSON API


@pytest.mark.parametrize(
    ("who", "status", "total"),
    [("admin1", 200, 12), ("sci1", 200, 8), ("econ1", 200, 4), ("analyst1", 403, None)],
)
def test_the_api_pages_and_filters_as_the_page_does(world, queue, client, who, status, total):
    login(client, who)
    first = client.get("/api/v1/reviews", params={"per_page": 5})
    assert first.status_code == status
    if status != 200:
        return
    body = first.json()
    assert (body["total"], body["page"], body["per_page"]) == (total, 1, 5)
    assert len(body["items"]) == min(5, total)
    assert {"enterprise_name", "metric", "period", "value", "source"} <= set(body["items"][0])
    rest = client.get("/api/v1/reviews", params={"per_page": 5, "page": 3}).json()
    assert len(rest["items"]) == total - 10 if total > 10 else rest["items"] == []
    by_firm = client.get(
        "/api/v1/reviews", params={"sort": "firm", "period": "2024", "metric": "rd_expense"}
    )
    if who == "econ1":
        assert by_firm.json()["total"] == 0
        return
    names = [i["enterprise_name"] for i in by_firm.json()["items"]]
    assert names == [NAMES[i] for i in PINYIN_ORDER]
    north = client.get("/api/v1/reviews", params={"q": "bfcs"}).json()
    assert {i["enterprise_name"] for i in north["items"]} == {NAMES[1]}


def test_the_enterprise_api_filters_and_sorts_as_the_list_does(world, queue, client):
    login(client, "admin1")
    listed = client.get("/api/v1/enterprises", params={"sort": "name", "per_page": 2}).json()
    assert listed["total"] == 4
    assert [i["name"] for i in listed["items"]] == [NAMES[3], NAMES[1]]  # pinyin
    found = client.get("/api/v1/enterprises", params={"q": "zhangjiang"}).json()
    assert [i["name"] for i in found["items"]] == [NAMES[2]]
    for params, message in (({"sort": "name desc"}, "排序"), ({"size": "huge"}, "规模"),
                            ({"tag": "nope"}, "资质")):  # fmt: skip
        bad = client.get("/api/v1/enterprises", params=params)
        assert bad.status_code == 422
        assert message in bad.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"period": "24"}, "期间"), ({"metric": "nope"}, "指标目录"), ({"source": "x"}, "数据来源"),
     ({"sort": "name desc"}, "排序")],
)  # fmt: skip
def test_a_bad_api_filter_says_why_in_chinese(world, queue, client, params, message):
    login(client, "admin1")
    bad = client.get("/api/v1/reviews", params=params)
    assert bad.status_code == 422
    assert message in bad.json()["detail"]
