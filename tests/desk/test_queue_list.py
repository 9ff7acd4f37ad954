"""The request queue at volume: a page size of the reader's choice, three orders (deadline,
newest first, firm name by pinyin), and an export of exactly what the filter matches, in the
list's order, limited to what the reader may see; a bad order is refused in Chinese."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import login
from tests.desk.conftest import act, actor_of, china, submit
from wulian.core.errors import InvalidInput
from wulian.desk import service
from wulian.enterprises.uscc import synthetic

# Code-point order 中 < 北 < 张 < 阿; pinyin order 阿 (a) < 北 (bei) < 张 (zhang) < 中 (zhong).
NAMES = [
    "中原诉求科技有限公司",
    "北方诉求科技有限公司",
    "张江诉求科技有限公司",
    "阿拉诉求科技有限公司",
]
PINYIN_ORDER = [3, 1, 2, 0]


@pytest.fixture
def queue(world, desk):
    firms = [world.enterprise(name, code=synthetic(930 + i)) for i, name in enumerate(NAMES)]
    made = []
    for i, firm in enumerate(firms):  # submitted Nov 2, 3, 4, 5: the oldest is due first
        rid, tracking = submit(world, "centre1", when=china(2026, 11, 2 + i, 9, 0),
                               enterprise_id=firm, channel="hotline",
                               title=f"=HYPERLINK(\"x\") 诉求{i}")  # fmt: skip
        act(world, "centre1", rid, "accept", china(2026, 11, 2 + i, 10, 0))
        made.append((rid, tracking))
    act(world, "centre1", made[0][0], "assign", china(2026, 11, 2, 11, 0), department="planning")
    own = submit(world, "firm1", when=china(2026, 11, 6, 9, 0))  # the desk fixture's own firm
    return {"firms": firms, "made": made, "own": own}


def listed(world, username="centre1", per_page=50, page=1, **filters):
    actor = actor_of(world, username)
    chosen = service.Filters(**filters)
    return world.run(
        lambda s: service.queue(s, actor=actor, filters=chosen, page=page, per_page=per_page)
    )


def test_the_three_orders(world, queue):
    tracking = dict(queue["made"])
    by_due = [r.id for r in listed(world, state="open").items if r.id in tracking]
    assert by_due == [rid for rid, _ in queue["made"]]  # the oldest is due first
    newest = [r.id for r in listed(world, state="open", sort="-submitted").items]
    assert newest[0] == queue["own"][0]
    assert newest[1:] == [rid for rid, _ in reversed(queue["made"])]
    by_firm = [r.id for r in listed(world, state="open", sort="firm").items if r.id in tracking]
    assert by_firm == [queue["made"][i][0] for i in PINYIN_ORDER]  # by pinyin, not code point
    with pytest.raises(InvalidInput, match="排序方式"):
        listed(world, sort="name; drop table")


def test_a_page_size_of_the_readers_choice(world, queue):
    first = listed(world, state="open", per_page=2)
    second = listed(world, state="open", per_page=2, page=2)
    assert first.total == second.total == 5
    assert first.pages == 3
    assert {r.id for r in first.items}.isdisjoint({r.id for r in second.items})


def _rows(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.values)


def test_the_export_holds_exactly_the_filter_in_the_lists_order(world, queue, make_client):
    centre = make_client()
    login(centre, "centre1")
    page = centre.get("/desk?state=open&sort=firm&per_page=20")
    assert page.status_code == 200
    assert page.text.count("data-request=") == 5
    assert 'href="/desk/export.xlsx?state=open&amp;sort=firm"' in page.text
    assert '<strong aria-current="true">20</strong>' in page.text  # the chosen page size
    rows = _rows(centre.get("/desk/export.xlsx?state=open&sort=firm").content)
    assert rows[0][:4] == ("受理编号", "标题", "企业", "类别")
    firms = [r[2] for r in rows[1:]]
    ordered = [NAMES[i] for i in PINYIN_ORDER]
    assert firms == [*ordered[:2], "企呼测试一有限公司", *ordered[2:]]  # a, bei, qi, zhang, zhong
    titles = [r[1] for r in rows[1:] if r[2] in NAMES]
    assert all(t.startswith('=HYPERLINK("x")') for t in titles)  # as typed, not as a formula
    book = openpyxl.load_workbook(io.BytesIO(centre.get("/desk/export.xlsx").content))
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
    one = _rows(centre.get(f"/desk/export.xlsx?q={queue['made'][2][1]}").content)
    assert [r[0] for r in one[1:]] == [queue["made"][2][1]]
    bad = centre.get("/desk?sort=evil")
    assert bad.status_code == 422
    assert "排序方式" in bad.text
    assert bad.text.count("data-request=") == 5  # the open requests, in the default order


def test_each_reader_exports_only_what_they_may_see(world, queue, make_client):
    firm = make_client()
    login(firm, "firm1")
    rows = _rows(firm.get("/desk/export.xlsx").content)
    assert rows[0] == ("受理编号", "标题", "类别", "状态", "提交时间", "期限", "是否超期")
    assert [r[0] for r in rows[1:]] == [queue["own"][1]]  # the firm's own request only
    land = make_client()
    login(land, "land1")
    rows = _rows(land.get("/desk/export.xlsx?state=").content)
    assert [r[0] for r in rows[1:]] == [queue["made"][0][1]]  # assigned to the land bureau
    analyst = make_client()
    login(analyst, "analyst1")  # reads the whole desk, acts on nothing
    rows = _rows(analyst.get("/desk/export.xlsx").content)
    assert len(rows) == 1 + 5
