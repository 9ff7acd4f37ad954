"""The follow-up surveys at volume: the list of surveys waiting for an answer and the list of
answers, each paged on the server, filtered (status, dates, firm, category; score, solved,
channel), firms in pinyin order, exported exactly as filtered, for desk staff only (by
department), with bad filter values refused in Chinese; the same through the JSON API."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from tests.conftest import login
from tests.desk.conftest import act, actor_of, china, submit
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.desk import service
from wulian.enterprises.uscc import synthetic

# Code-point order 中 < 北 < 张 < 阿; pinyin order 阿 (a) < 北 (bei) < 张 (zhang) < 中 (zhong).
NAMES = [
    "中原回访科技有限公司",
    "北方回访科技有限公司",
    "张江回访科技有限公司",
    "阿拉回访科技有限公司",
]
PINYIN_ORDER = [3, 1, 2, 0]
NOW = china(2026, 12, 1, 9, 0)  # every survey below is due by then


def _close(world, firm, day, category="other", department="planning"):
    when = china(2026, 11, day, 9, 0)
    rid, tracking = submit(world, "centre1", when=when, enterprise_id=firm, channel="hotline",
                           category=category)  # fmt: skip
    for user, action, minutes, fields in (
        ("centre1", "accept", 10, {}),
        ("centre1", "assign", 20, {"department": department}),
        ("land1" if department == "planning" else "power1", "handle", 30, {}),
        ("land1" if department == "planning" else "power1", "reply", 40, {"note": "已协调解决"}),
        ("land1" if department == "planning" else "power1", "close", 50, {}),
    ):
        act(world, user, rid, action, when.replace(minute=minutes), **fields)
    return rid, tracking


def _answer(world, rid, solved, satisfaction, channel, comment=""):
    land = actor_of(world, "land1")
    world.run(
        lambda s: service.answer_survey(
            s, actor=land, request_id=rid, solved=solved, satisfaction=satisfaction,
            channel=channel, comment=comment, now=china(2026, 11, 20, 10, 0),
        )
    )  # fmt: skip


@pytest.fixture
def surveys(world, desk):
    firms = [world.enterprise(name, code=synthetic(910 + i)) for i, name in enumerate(NAMES)]
    requests = [_close(world, firm, 2 + i) for i, firm in enumerate(firms)]  # Nov 2–5
    extra = _close(world, firms[0], 9)  # a second request of 中原, closed Nov 9
    answered = [_close(world, firm, 10 + i) for i, firm in enumerate(firms[:3])]
    _answer(world, answered[0][0], True, 5, "phone", "很满意")
    _answer(world, answered[1][0], False, 2, "visit", "仍未解决")
    _answer(world, answered[2][0], True, 4, "phone")
    economy = _close(world, firms[1], 16, category="power", department="economy")
    return {"firms": firms, "requests": requests, "extra": extra, "answered": answered,
            "economy": economy}  # fmt: skip


def listed(world, username="centre1", page=1, per_page=50, **filters):
    actor = actor_of(world, username)
    chosen = service.SurveyFilters(**filters)
    return world.run(
        lambda s: service.survey_list(
            s, actor=actor, filters=chosen, now=NOW, page=page, per_page=per_page
        )
    )


def answers(world, username="centre1", page=1, per_page=50, **filters):
    actor = actor_of(world, username)
    chosen = service.ResponseFilters(**filters)
    return world.run(
        lambda s: service.survey_responses(
            s, actor=actor, filters=chosen, page=page, per_page=per_page
        )
    )


def firm_of(page):
    return [r.enterprise_id for _, r in page.items]


def test_pages_and_filters_of_the_survey_list(world, surveys):
    everyone = listed(world)
    assert everyone.total == 6  # 4 + the second of 中原 + the economy bureau's
    assert [r.id for _, r in everyone.items][:4] == [rid for rid, _ in surveys["requests"]]
    first = listed(world, per_page=4)
    second = listed(world, per_page=4, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (6, 2, 4, 2)
    assert not {s.id for s, _ in first.items} & {s.id for s, _ in second.items}
    # due 3 working days after closing: Nov 2–5 close → due Nov 5–10
    assert listed(world, since=dt.date(2026, 11, 9), until=dt.date(2026, 11, 10)).total == 2
    assert listed(world, category="power").total == 1
    north = listed(world, q="北方")
    assert set(firm_of(north)) == {surveys["firms"][1]}
    assert set(firm_of(listed(world, q="bfhf"))) == {surveys["firms"][1]}  # pinyin initials
    assert set(firm_of(listed(world, q=synthetic(913)))) == {surveys["firms"][3]}
    tracking = surveys["extra"][1]
    assert [r.tracking_no for _, r in listed(world, q=tracking.lower()).items] == [tracking]
    assert listed(world, status="upcoming").total == 0
    assert listed(world, status="all").total == 6
    # an officer sees the surveys of their department's requests only
    assert listed(world, "land1").total == 5
    assert listed(world, "power1").total == 1
    assert listed(world, "analyst1").total == 6


def test_firms_in_pinyin_order(world, surveys):
    page = listed(world, sort="firm", category="other")
    order = list(dict.fromkeys(firm_of(page)))
    assert order == [surveys["firms"][i] for i in PINYIN_ORDER]


def test_the_responses_filter_by_score_solved_channel_and_date(world, surveys):
    everyone = answers(world)
    assert everyone.total == 3
    assert answers(world, satisfaction=2).total == 1
    assert answers(world, low=True).total == 1  # at or below the desk's low rating (2)
    assert answers(world, solved="no").total == 1
    assert answers(world, solved="yes").total == 2
    assert answers(world, channel="visit").total == 1
    assert answers(world, since=dt.date(2026, 11, 21)).total == 0
    assert answers(world, until=dt.date(2026, 11, 20)).total == 3
    lowest = answers(world, sort="satisfaction")
    assert [s.satisfaction for s, _ in lowest.items] == [2, 4, 5]
    by_name = answers(world, sort="firm")
    assert firm_of(by_name) == [surveys["firms"][i] for i in (1, 2, 0)]  # 北 < 张 < 中
    assert answers(world, "power1").total == 0


@pytest.mark.parametrize(
    ("filters", "message"),
    [({"status": "late"}, "回访状态"), ({"sort": "name desc"}, "排序"),
     ({"category": "nope"}, "诉求类别")],
)  # fmt: skip
def test_a_bad_survey_filter_is_refused_in_chinese(world, surveys, filters, message):
    with pytest.raises(InvalidInput, match=message):
        listed(world, **filters)


@pytest.mark.parametrize(
    ("filters", "message"),
    [({"satisfaction": 9}, "满意度"), ({"solved": "maybe"}, "解决情况"),
     ({"channel": "fax"}, "回访方式"), ({"sort": "x"}, "排序")],
)  # fmt: skip
def test_a_bad_response_filter_is_refused_in_chinese(world, surveys, filters, message):
    with pytest.raises(InvalidInput, match=message):
        answers(world, **filters)


def test_dates_the_wrong_way_round_are_refused(world, surveys):
    with pytest.raises(InvalidInput, match="晚于"):
        listed(world, since=dt.date(2026, 11, 9), until=dt.date(2026, 11, 1))


@pytest.mark.parametrize("who", ["firm1", "firm2"])
def test_a_firm_may_not_read_the_lists(world, surveys, who):
    with pytest.raises(PermissionDenied):
        listed(world, who)
    with pytest.raises(PermissionDenied):
        answers(world, who)


def test_the_exports_hold_exactly_the_filtered_rows(world, surveys):
    centre = actor_of(world, "centre1")
    filters = service.SurveyFilters(q="中原", sort="firm")
    data = world.run(lambda s: service.surveys_xlsx(s, actor=centre, filters=filters, now=NOW))
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0] == ("受理编号", "标题", "企业", "类别", "办结时间", "回访到期")
    assert [r[2] for r in rows[1:]] == [NAMES[0], NAMES[0]]
    assert rows[1][4] == "2026-11-02 09:50"  # China time, to the minute
    chosen = service.ResponseFilters(solved="no")
    data = world.run(lambda s: service.responses_xlsx(s, actor=centre, filters=chosen))
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][2] == NAMES[1]
    assert rows[1][5:9] == ("上门回访", "未解决", 2, "仍未解决")


def test_text_that_looks_like_a_formula_stays_text(world, surveys):
    rid = _close(world, surveys["firms"][3], 23)[0]
    _answer(world, rid, True, 5, "phone", comment='=HYPERLINK("http://x")')
    centre = actor_of(world, "centre1")
    data = world.run(
        lambda s: service.responses_xlsx(s, actor=centre, filters=service.ResponseFilters(q="阿拉"))
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=9)
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"


# ---------------------------------------------------------------- pages and API


def test_the_pages_page_filter_and_export(world, surveys, make_client):
    centre = make_client()
    login(centre, "centre1")
    page = centre.get("/desk/surveys?status=all&per_page=20")
    assert page.status_code == 200
    assert "共 6 条" in page.text
    assert page.text.count('data-survey="') == 6
    filtered = centre.get("/desk/surveys?status=all&q=%E5%8C%97%E6%96%B9")  # 北方
    assert filtered.text.count('data-survey="') == 2
    assert 'href="/desk/surveys/export.xlsx?status=all&amp;q=%E5%8C%97%E6%96%B9"' in filtered.text
    export = centre.get("/desk/surveys/export.xlsx?status=all&q=%E5%8C%97%E6%96%B9")
    assert export.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.values)
    assert len(rows) == 3
    responses = centre.get("/desk/surveys/responses?satisfaction=5")
    assert responses.status_code == 200
    assert responses.text.count('data-survey="') == 1
    assert "很满意" in responses.text
    export = centre.get("/desk/surveys/responses/export.xlsx?low=1")
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.values)
    assert [r[2] for r in rows[1:]] == [NAMES[1]]


@pytest.mark.parametrize(
    ("path", "message"),
    [("/desk/surveys?since=2026-13-01", "YYYY-MM-DD"), ("/desk/surveys?status=late", "回访状态"),
     ("/desk/surveys/responses?satisfaction=x", "满意度"),
     ("/desk/surveys/responses?channel=fax", "回访方式")],
)  # fmt: skip
def test_a_bad_filter_on_a_page_says_why(world, surveys, make_client, path, message):
    centre = make_client()
    login(centre, "centre1")
    page = centre.get(path)
    assert page.status_code == 422
    assert message in page.text
    assert 'role="alert"' in page.text
    api = centre.get("/api/v1" + path)
    assert api.status_code == 422
    assert message in api.json()["detail"]


@pytest.mark.parametrize(
    ("who", "status", "total"),
    [("admin", 200, 6), ("centre1", 200, 6), ("land1", 200, 5), ("power1", 200, 1),
     ("analyst1", 200, 6), ("firm1", 403, None)],
)  # fmt: skip
def test_who_may_read_the_lists_by_page_and_api(world, surveys, make_client, who, status, total):
    if who == "admin":
        from wulian.core.permissions import Role

        world.user("admin", Role.ADMIN)
    browser = make_client()
    login(browser, who)
    for path in ("/desk/surveys?status=all", "/desk/surveys/export.xlsx?status=all",
                 "/desk/surveys/responses", "/desk/surveys/responses/export.xlsx"):  # fmt: skip
        assert browser.get(path).status_code == status, path
    response = browser.get("/api/v1/desk/surveys?status=all&per_page=2")
    assert response.status_code == status
    if total is not None:
        body = response.json()
        assert (body["total"], body["page"], body["per_page"]) == (total, 1, 2)
        assert len(body["items"]) == min(2, total)
        assert set(body["items"][0]) >= {"service_request_id", "enterprise_name", "due_at"}
        answered = browser.get("/api/v1/desk/surveys/responses?solved=no").json()
        assert answered["total"] == (0 if who == "power1" else 1)


def test_an_api_token_needs_the_desk_read_scope(world, surveys, make_client, settings):
    reader = world.token("12345 热线", ["desk:read"], settings.session_secret)
    zone = world.token("园区", ["zone:read"], settings.session_secret)
    client = make_client()
    ok = client.get("/api/v1/desk/surveys/responses", headers={"Authorization": f"Bearer {reader}"})
    assert ok.status_code == 200
    assert ok.json()["total"] == 3
    refused = client.get("/api/v1/desk/surveys", headers={"Authorization": f"Bearer {zone}"})
    assert refused.status_code == 403
    assert "desk:read" in refused.json()["detail"]
