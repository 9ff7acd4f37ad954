"""The review queue at volume: filters (chain, node, firm), pages, firms in pinyin order, and
confirming every proposal that matches, on the chains the officer's department manages only,
after a confirmation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.chains.conftest import actor_of
from tests.conftest import SYSTEM, login, page_csrf
from wulian.chains import service
from wulian.chains.models import ChainMembership
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.enterprises.uscc import synthetic

# Code-point order 中 < 北 < 张 < 阿; pinyin order 阿 < 北 < 张 < 中.
NAMES = [
    "中原归链测试有限公司",
    "北方归链测试有限公司",
    "张江归链测试有限公司",
    "阿拉归链测试有限公司",
]
PLACES = [("lithium", "cathode"), ("lithium", "cathode"), ("lithium", "precursor"),
          ("chips_sensors", "sensor")]  # fmt: skip


@pytest.fixture
def queue(world, atlas):
    ids = [world.enterprise(n, code=synthetic(800 + i)) for i, n in enumerate(NAMES)]
    outside = world.enterprise("园外归链测试有限公司", code=synthetic(810), in_zone=False)

    def write(session):
        for (chain, node), enterprise_id, score in zip(
            PLACES, ids, (0.4, 0.6, 0.5, 0.3), strict=True
        ):
            session.add(
                ChainMembership(enterprise_id=enterprise_id, chain=chain, node=node,
                                source="model", status="review", confidence=score)
            )  # fmt: skip
        session.add(ChainMembership(enterprise_id=outside, chain="lithium", node="cathode",
                                    source="model", status="review", confidence=0.9))  # fmt: skip

    world.run(write)
    world.user("sci1", Role.OFFICER, department_id=world.department("science", "科技局"))
    world.user("admin1", Role.ADMIN)
    return {"ids": ids}


def found(world, who="officer1", page=1, per_page=50, **kwargs):
    filters = service.Filters(status="review", **kwargs)
    return world.run(
        lambda s: service.memberships(
            s, actor=actor_of(world, who), filters=filters, page=page, per_page=per_page
        )
    )


def firms(page):
    return [m.enterprise_id for m in page.items]


def test_pages_and_filters(world, queue):
    ids = queue["ids"]
    first = found(world, per_page=3)
    assert (first.total, first.pages, len(first.items)) == (4, 2, 3)
    assert len(found(world, page=2, per_page=3).items) == 1
    assert firms(first) == [ids[1], ids[2], ids[0]]  # most confident first
    assert set(firms(found(world, chain="lithium"))) == set(ids[:3])
    assert set(firms(found(world, chain="lithium", node="cathode"))) == set(ids[:2])
    assert firms(found(world, node="sensor")) == [ids[3]]
    assert firms(found(world, q="北方")) == [ids[1]]
    assert firms(found(world, q="alaguilian")) == [ids[3]]  # pinyin
    assert firms(found(world, q=synthetic(802))) == [ids[2]]  # credit code


def test_firms_in_pinyin_order(world, queue):
    ids = queue["ids"]
    assert firms(found(world, sort="firm")) == [ids[3], ids[1], ids[2], ids[0]]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("chain", "nope", "产业链"), ("node", "nope", "环节"), ("sort", "x", "排序")],
)
def test_a_bad_filter_value_is_refused_in_chinese(world, queue, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        found(world, **{field: value})


def _confirmed(world):
    return world.run(
        lambda s: sorted(
            s.scalars(
                sa.select(ChainMembership.enterprise_id).where(
                    ChainMembership.status == "confirmed"
                )
            ).all()
        )
    )


def test_confirm_every_match_acts_on_exactly_those(world, queue):
    ids = queue["ids"]
    office = actor_of(world, "officer1")
    filters = service.Filters(status="review", chain="lithium")
    assert world.run(
        lambda s: service.confirm_matching(s, actor=office, filters=filters, dry_run=True)
    ) == 3  # fmt: skip
    with pytest.raises(Conflict, match="重新确认"):
        world.run(lambda s: service.confirm_matching(s, actor=office, filters=filters, expected=4))
    assert _confirmed(world) == []
    audited = sa.select(sa.func.count()).where(AuditEntry.object_type == "chain_memberships")
    before = world.scalar(audited)
    world.run(lambda s: service.confirm_matching(s, actor=office, filters=filters, expected=3))
    assert _confirmed(world) == sorted(ids[:3])  # not the sensor firm, nor the external one
    assert world.scalar(audited) - before == 3  # one entry per membership


@pytest.mark.parametrize(
    ("who", "allowed"), [("officer1", True), ("admin1", True), ("sci1", False),
                         ("analyst1", False), ("firm0", False)],
)  # fmt: skip
def test_only_the_chains_office_confirms_every_match(world, queue, who, allowed):
    filters = service.Filters(status="review", chain="lithium", node="cathode")
    act = lambda s: service.confirm_matching(  # noqa: E731
        s, actor=actor_of(world, who), filters=filters, expected=2
    )
    if allowed:
        assert world.run(act) == 2
        return
    with pytest.raises(PermissionDenied):
        world.run(act)
    assert _confirmed(world) == []


def test_only_proposals_under_review_are_confirmed(world, queue):
    with pytest.raises(InvalidInput, match="待复核"):
        world.run(lambda s: service.confirm_matching(
            s, actor=SYSTEM, filters=service.Filters(status="placed"), dry_run=True))  # fmt: skip


def test_the_page_filters_confirms_then_acts(world, queue, client):
    ids = queue["ids"]
    login(client, "officer1")
    page = client.get("/atlas/review", params={"sort": "firm", "per_page": 2})
    assert page.status_code == 200
    assert 'id="matching-total">4<' in page.text
    assert page.text.index(NAMES[3]) < page.text.index(NAMES[1])
    assert NAMES[0] not in page.text
    bad = client.get("/atlas/review", params={"node": "nope"})
    assert bad.status_code == 422
    assert "没有编号为“nope”的环节" in bad.text
    token = page_csrf(client, "/atlas/review")
    form = {"csrf_token": token, "chain": "lithium", "node": "cathode"}
    asked = client.post("/atlas/review/confirm-matching", data=form)
    assert asked.status_code == 200
    assert "确认通过归链复核（2 条）" in asked.text
    assert _confirmed(world) == []
    done = client.post(
        "/atlas/review/confirm-matching", data={**form, "confirm": "1", "expected": "2"}
    )
    assert done.status_code == 303
    assert "confirmed=2" in done.headers["location"]
    assert _confirmed(world) == sorted(ids[:2])


def _rows(content):
    import io

    import openpyxl

    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_the_export_holds_exactly_the_filtered_memberships(world, queue):
    filters = service.Filters(status="review", chain="lithium", sort="firm")
    data = world.run(
        lambda s: service.memberships_xlsx(s, actor=actor_of(world, "officer1"), filters=filters)
    )
    rows = _rows(data)
    assert rows[0][:6] == ("企业名称", "统一社会信用代码", "园区内外", "产业链", "环节", "置信度")
    assert [r[0] for r in rows[1:]] == [NAMES[1], NAMES[2], NAMES[0]]  # 北 < 张 < 中 (pinyin)
    assert {r[9] for r in rows[1:]} == {"待复核"}
    assert rows[1][5] == pytest.approx(0.6)
    everything = world.run(
        lambda s: service.memberships_xlsx(
            s, actor=actor_of(world, "analyst1"), filters=service.Filters(status=None, in_zone=None)
        )
    )
    assert len(_rows(everything)) == 1  # placed or confirmed only; the proposals wait for review
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.memberships_xlsx(s, actor=actor_of(world, "firm0"), filters=filters)
        )


@pytest.mark.parametrize(
    ("who", "status"), [("officer1", 200), ("analyst1", 200), ("admin1", 200), ("firm0", 403)]
)
def test_the_page_exports_what_it_shows(world, queue, client, who, status):
    login(client, who)
    if status == 200:
        page = client.get("/atlas/review", params={"chain": "lithium", "q": "北方"})
        query = "chain=lithium&amp;status=review&amp;q=%E5%8C%97%E6%96%B9"
        link = f'href="/atlas/review/export.xlsx?{query}"'
        assert link in page.text
    export = client.get(
        "/atlas/review/export.xlsx", params={"chain": "lithium", "status": "review", "q": "北方"}
    )
    assert export.status_code == status
    if status == 200:
        assert [r[0] for r in _rows(export.content)[1:]] == [NAMES[1]]
        assert (
            "归链复核" in export.headers["content-disposition"]
            or "filename" in (export.headers["content-disposition"])
        )


def test_a_bad_filter_of_the_export_says_why(world, queue, client):
    login(client, "officer1")
    bad = client.get("/atlas/review/export.xlsx", params={"status": "nope"})
    assert bad.status_code == 422
    assert "没有“nope”这种归链状态" in bad.text


# ---------------------------------------------------------------- the JSON API


@pytest.mark.parametrize(
    ("who", "status"), [("officer1", 200), ("analyst1", 200), ("admin1", 200), ("firm0", 403)]
)
def test_the_api_pages_and_filters_as_the_page_does(world, queue, client, who, status):
    ids = queue["ids"]
    login(client, who)
    first = client.get("/api/v1/chain-memberships", params={"per_page": 3})
    assert first.status_code == status
    if status != 200:
        assert NAMES[0] not in first.text
        return
    body = first.json()
    assert (body["total"], body["page"], body["per_page"]) == (4, 1, 3)
    assert [i["enterprise_id"] for i in body["items"]] == [ids[1], ids[2], ids[0]]
    assert body["items"][0]["status"] == "review"
    assert body["items"][0]["node_name"]
    second = client.get("/api/v1/chain-memberships", params={"per_page": 3, "page": 2}).json()
    assert [i["enterprise_id"] for i in second["items"]] == [ids[3]]
    by_name = client.get(
        "/api/v1/chain-memberships", params={"chain": "lithium", "sort": "firm"}
    ).json()
    assert [i["enterprise_name"] for i in by_name["items"]] == [NAMES[1], NAMES[2], NAMES[0]]
    found = client.get("/api/v1/chain-memberships", params={"q": "alaguilian"}).json()
    assert [i["enterprise_id"] for i in found["items"]] == [ids[3]]
    everything = client.get("/api/v1/chain-memberships", params={"status": "all"}).json()
    assert everything["total"] == 0  # "all" is what counts in the atlas: no proposal yet


@pytest.mark.parametrize(
    ("params", "message"),
    [({"status": "nope"}, "归链状态"), ({"node": "nope"}, "环节"), ({"chain": "x"}, "产业链"),
     ({"sort": "x"}, "排序")],
)  # fmt: skip
def test_a_bad_api_filter_says_why_in_chinese(world, queue, client, params, message):
    login(client, "officer1")
    bad = client.get("/api/v1/chain-memberships", params=params)
    assert bad.status_code == 422
    assert message in bad.json()["detail"]
